"""The server's other clients: `gdlab submit/run --server` and the lab's check cells."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from autograder import notebook
from autograder.commands.cli import main
from autograder.judge.grader import Grader
from autograder.server.worker import drain
from tests.server_helpers import REPO, SIGN_FLIPPED, Course


@pytest.fixture
def live(tmp_path: Path, grader: Grader, monkeypatch: pytest.MonkeyPatch) -> Iterator[Course]:
    """A real HTTP server on 127.0.0.1 with one in-process grading worker."""
    course = Course(tmp_path)
    monkeypatch.setenv("GDLAB_TOKEN", course.person("alice"))
    monkeypatch.delenv("GDLAB_SERVER", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(course.app, host="127.0.0.1", port=port, log_level="warning")
    )
    stop = threading.Event()

    def grade_forever() -> None:
        while not stop.is_set():
            if not drain(course.store, grader, "test-worker"):
                time.sleep(0.02)

    threads = [threading.Thread(target=server.run), threading.Thread(target=grade_forever)]
    for thread in threads:
        thread.start()
    while not server.started:
        time.sleep(0.02)
    course.url = f"http://127.0.0.1:{port}"
    try:
        yield course
    finally:
        server.should_exit = True
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


def test_submit_with_server_grades_and_records_there(
    live: Course, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = tmp_path / "gradient.py"
    answer.write_text(SIGN_FLIPPED, encoding="utf-8")
    assert main(["submit", "gradient_basic", str(answer), "--server", live.url]) == 0
    out = capsys.readouterr().out
    assert "Score: 80/100" in out and "sign flipped (ŷ − y)" in out
    assert "Recorded on the server as submission 1." in out
    assert "seed" not in out
    assert [r.student for r in live.book.rows()] == ["alice"]


def test_run_goes_to_the_configured_server(
    live: Course,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config" / "gdlab" / "server.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'url = "{live.url}"\n', encoding="utf-8")
    answer = tmp_path / "gradient.py"
    answer.write_text(SIGN_FLIPPED, encoding="utf-8")
    assert main(["run", "gradient_basic", str(answer)]) == 1
    assert "✗ error: expected -0.18997448, received 0.18997448" in capsys.readouterr().out
    assert live.book.rows() == []  # a TEST RUN records nothing


def test_a_bad_token_is_one_clear_line(
    live: Course,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GDLAB_TOKEN", "wrong")
    answer = tmp_path / "gradient.py"
    answer.write_text(SIGN_FLIPPED, encoding="utf-8")
    assert main(["submit", "gradient_basic", str(answer), "--server", live.url]) == 2
    assert "sign in with your personal link first (HTTP 401)" in capsys.readouterr().err


def test_lab_check_cells_ask_the_configured_server(
    live: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = tmp_path / "lab"
    lab.mkdir()
    shutil.copy(REPO / "release" / "gradient_basic" / "gradient_basic.ipynb", lab)
    monkeypatch.chdir(lab)
    monkeypatch.setenv("GDLAB_SERVER", live.url)
    with pytest.raises(
        AssertionError,
        match="✗ h: not computed: not done yet: cell 8, line 3 still raises NotImplementedError",
    ) as failed:
        notebook.check("gradient_basic", "h")
    assert "course server" in str(failed.value)
    with contextlib.suppress(AssertionError):
        notebook.check("gradient_basic", "nn_output")
    assert live.book.rows() == []


def test_in_course_mode_run_and_submit_go_to_the_server_with_the_mistake_named(
    live: Course,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GDLAB_MODE", "course")
    monkeypatch.setenv("GDLAB_SERVER", live.url)
    answer = tmp_path / "gradient.py"
    answer.write_text(SIGN_FLIPPED, encoding="utf-8")
    assert main(["run", "gradient_basic", str(answer)]) == 1
    out = capsys.readouterr().out
    assert "sign flipped (ŷ − y)" in out and "offline" not in out  # the server names it
    assert main(["submit", "gradient_basic", str(answer)]) == 0
    assert "Score: 80/100" in capsys.readouterr().out
    assert [r.student for r in live.book.rows()] == ["alice"]
