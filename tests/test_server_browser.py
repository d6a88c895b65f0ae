"""The quiz page in a real browser: Debian's headless Chromium driven by Playwright.

A student signs in by link, gets TEST RUN's ✗ and hint for a wrong answer, fixes it, SUBMITs
for 100, RESETs, and a reload keeps the autosaved code; the instructor sees the grade; another
student gets 403; a program printing ``<script>`` shows it as text. Takes the README's
screenshots (docs/*.png) when ``GDLAB_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server_helpers import REFERENCE, REPO, SIGN_FLIPPED, STUB

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
#: Playwright starts Chromium on a new, empty user-data-dir of its own.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCRIPT_LINE = "print('<script>alert(1)</script>')\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    home = tmp_path_factory.mktemp("server-home")
    env = {**os.environ, "GDLAB_HOME": str(home)}
    env.pop("GDLAB_DB", None)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    gdlab = [sys.executable, "-m", "autograder"]
    links = {}
    for name, flag in (("alice", []), ("bob", []), ("prof", ["--instructor"])):
        line = subprocess.run(
            [*gdlab, "roster", "add", name, *flag, "--url", base],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        links[name] = line.split("\t")[2]
    proc = subprocess.Popen(
        [*gdlab, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/static/gdlab.css", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"gdlab serve did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield base, links
    proc.terminate()
    proc.wait(timeout=10)


def _type(page, text: str) -> None:
    """Replace the editor's text as a person would: select all, then type (insert) the text."""
    page.locator(".cm-content").first.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)


def test_quiz_page_in_chromium(server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, links = server
    # The README's pictures are retaken on demand only, so a test run leaves the tree clean.
    docs = REPO / "docs" if os.environ.get("GDLAB_SCREENSHOTS") else tmp_path
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            alice = browser.new_context(viewport={"width": 1200, "height": 1800})
            page = alice.new_page()
            page.goto(links["alice"])
            page.get_by_role("link", name="gradient_basic").click()
            page.wait_for_selector(".cm-editor")

            _type(page, SIGN_FLIPPED + SCRIPT_LINE)
            started = time.monotonic()
            page.get_by_role("button", name="TEST RUN").click()
            page.wait_for_selector("#result table.checks")
            test_run_seconds = time.monotonic() - started
            row = page.locator("#result table.checks tr", has_text="error_term").first
            error_row = page.locator("#result table.checks tbody tr").nth(2)
            assert "✗ wrong" in error_row.inner_text()
            assert "sign flipped" in error_row.inner_text()
            assert "The error is the target minus the output" in error_row.inner_text()
            assert row.count() == 1
            output = page.locator("#result pre.out").inner_text()
            assert "<script>alert(1)</script>" in output
            assert page.locator("#result script").count() == 0
            page.screenshot(path=str(docs / "test_run.png"), full_page=True)

            _type(page, REFERENCE)
            started = time.monotonic()  # a second TEST RUN: the worker is warm now
            page.get_by_role("button", name="TEST RUN").click()
            page.wait_for_selector("text=TEST RUN done: 5 of 5 visible checks right.")
            warm_seconds = time.monotonic() - started
            page.get_by_role("button", name="SUBMIT ANSWER").click()
            page.wait_for_selector("text=Nice job! That's right!")
            assert "Score: 100/100" in page.locator("#result").inner_text()
            page.screenshot(path=str(docs / "quiz.png"), full_page=True)

            page.once("dialog", lambda dialog: dialog.accept())
            page.get_by_role("button", name="RESET QUIZ").click()
            page.wait_for_selector("text=The quiz is back to the stub.")
            assert page.evaluate("window.gdlabEditor.get()") == STUB

            page.locator(".cm-content").first.click()
            page.keyboard.press("Control+End")
            page.keyboard.insert_text("\n# my notes so far\n")
            page.wait_for_selector("text=Saved", timeout=10_000)
            page.reload()
            page.wait_for_selector(".cm-editor")
            assert "# my notes so far" in page.evaluate("window.gdlabEditor.get()")
            fresh = browser.new_context().new_page()  # no localStorage: the server's copy
            fresh.goto(links["alice"])
            fresh.goto(base + "/exercise/gradient_basic")
            fresh.wait_for_selector(".cm-editor")
            assert "# my notes so far" in fresh.evaluate("window.gdlabEditor.get()")
            submission = page.request.get(base + "/api/exercises/gradient_basic").json()[
                "attempts"
            ][0]["submission"]

            # keyboard: the file tabs follow the arrow keys; a given file is read-only
            page.goto(base + "/exercise/gradient")
            page.get_by_role("tab", name="gradient.py").focus()
            page.keyboard.press("ArrowRight")
            given = page.get_by_role("tab", name="data_prep.py (read-only)")
            assert given.get_attribute("aria-selected") == "true"
            assert page.evaluate("document.activeElement.textContent") == (
                "data_prep.py (read-only)"
            )
            panel = page.locator("#" + given.get_attribute("aria-controls"))
            assert panel.is_visible()
            assert panel.locator(".cm-content").get_attribute("contenteditable") == "false"

            prof = browser.new_context(viewport={"width": 1400, "height": 700}).new_page()
            prof.goto(links["prof"])
            cell = prof.locator(
                '#class-table td[data-student="alice"][data-exercise="gradient_basic"]'
            )
            assert "100/100" in cell.inner_text()
            prof.screenshot(path=str(docs / "class.png"), full_page=True)

            bob = browser.new_context().new_page()
            bob.goto(links["bob"])
            assert bob.goto(f"{base}/submission/{submission}").status == 403
            assert bob.request.get(f"{base}/api/submissions/{submission}").status == 403
        finally:
            browser.close()
    print(f"TEST RUN, click to result: {test_run_seconds:.3f} s (first), {warm_seconds:.3f} s")
    assert warm_seconds < 2.0  # the target is 0.4 s; a shared machine gets slack here
