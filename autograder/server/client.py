"""A client of the course server: `gdlab submit --server URL` and the lab's check cells.

The server and the token come from ``--server`` / ``GDLAB_SERVER`` and ``GDLAB_TOKEN``, or from
``$XDG_CONFIG_HOME/gdlab/server.toml`` (``url = "…"``, ``token = "…"``). Only the standard
library is used, so a student's install needs nothing more.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from autograder.errors import UserError
from autograder.mode import config_file

#: A server that does not open a connection within this is not there (course mode then TEST
#: RUNs offline at once, instead of after the system's own connect timeout, minutes on a
#: network that drops packets).
CONNECT_SECONDS = 5.0
#: The longest the server holds a request open for its answer (``?wait=``), and the margin
#: after which a server that took the request but never answers counts as unreachable.
WAIT_SECONDS = 30
ANSWER_SECONDS = WAIT_SECONDS + 15.0


class ServerError(UserError):
    """The server refused or could not be reached (said in one line)."""


class Unreachable(ServerError):
    """No answer from the server at all (course mode then TEST RUNs offline)."""


def configured(url: str | None = None) -> tuple[str, str] | None:
    """(server URL, token) when a course server is configured, else None."""
    settings: dict[str, Any] = {}
    path = config_file()
    if path.is_file():
        from autograder import toml as tomllib  # only for a file to read: every TEST RUN asks

        try:
            settings = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise UserError(f"{path}: {error}") from None
    url = url or os.environ.get("GDLAB_SERVER") or settings.get("url")
    if not url:
        return None
    token = os.environ.get("GDLAB_TOKEN") or settings.get("token")
    if not token:
        raise UserError(f"no token for {url}: set GDLAB_TOKEN or token in {path}")
    return str(url).rstrip("/"), str(token)


def _call(
    server: tuple[str, str],
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict[str, Any]]:
    import urllib.error  # only to talk to a server: TEST RUN asks `configured` on every run
    import urllib.request  # and urllib.request brings http.client and ssl (60 ms)

    url, token = server
    request = urllib.request.Request(
        url + path,
        data=body,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            **({"Content-Type": content_type} if body is not None else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_SECONDS) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read() or b"{}").get("error", error.reason)
        except ValueError:
            detail = error.reason
        raise ServerError(f"{url}: {detail} (HTTP {error.code})") from None
    except TimeoutError:
        raise Unreachable(f"no answer from {url} within {ANSWER_SECONDS:g} s") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            raise Unreachable(f"no answer from {url} within {ANSWER_SECONDS:g} s") from None
        raise Unreachable(f"cannot reach {url}: {reason}") from None


def _reachable(url: str) -> None:
    """Open (and close) a connection to the server within `CONNECT_SECONDS`, or raise
    `Unreachable`: one round trip, before a file is sent."""
    import socket
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "localhost", port), CONNECT_SECONDS).close()
    except TimeoutError:
        raise Unreachable(
            f"cannot reach {url}: no connection within {CONNECT_SECONDS:g} s"
        ) from None
    except OSError as error:
        raise Unreachable(f"cannot reach {url}: {error.strerror or error}") from None


def send(server: tuple[str, str], exercise: str, file: Path, kind: str) -> dict[str, Any]:
    """TEST RUN (`kind` "run") or SUBMIT a file on the server; the public result, once graded."""
    try:
        content = file.read_bytes()
    except OSError as error:
        raise UserError(f"{file}: cannot read it ({error.strerror})") from None
    _reachable(server[0])
    import uuid

    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    _, answer = _call(
        server,
        "POST",
        f"/api/exercises/{exercise}/{kind}?wait={WAIT_SECONDS}",
        body,
        f"multipart/form-data; boundary={boundary}",
    )
    deadline = time.monotonic() + 600
    while answer.get("state") != "done":
        if time.monotonic() > deadline:
            raise ServerError("the server did not grade it within 10 minutes; try again later")
        _, answer = _call(server, "GET", f"/api/jobs/{answer['job']}?wait={WAIT_SECONDS}")
    return {**answer["result"], "submission": answer.get("submission")}


def command(
    server: tuple[str, str], exercise: str, file: Path, kind: str, as_json: bool = False
) -> int:
    """`gdlab run` or `gdlab submit` on the server: print its answer (text, or JSON with
    `as_json`); the exit status is 0 for a SUBMIT that was graded or a TEST RUN with full
    marks, 1 for a TEST RUN that is not there yet."""
    result = send(server, exercise, file, kind)
    print(json.dumps(result, indent=2, ensure_ascii=False) if as_json else text(result))
    return 0 if kind == "submit" or result.get("full_marks") else 1


def text(result: dict[str, Any]) -> str:
    """A server's result as the command line shows it."""
    if result.get("error"):
        return f"✗ {result['error']}"
    out = []
    run = next((r for r in result["runs"] if r["visible"]), None)
    out += ["--- your program's output ---", (run or {}).get("output") or "(no output)"]
    problems = [f"  {r['case']}: {r['problem']}" for r in result["runs"] if r.get("problem")]
    if problems:
        out += ["", "--- how it ran ---", *problems]
    out += ["", "--- visible checks (the published given values) ---"]
    for c in (c for c in result["checks"] if c["visible"]):
        mark = "✓*" if c["carried_forward"] else "✓" if c["passed"] else "✗"
        note = (
            f"  {c['mistake']}: {c['hint']}"
            if c.get("mistake")
            else ("" if c["passed"] and not c["carried_forward"] else f"  {c['message']}")
        )
        out.append(
            f"  {mark} {c['quantity']}: expected {c['expected']}, received {c['received']}{note}"
        )
    if result["kind"] == "submit":
        hidden = [c for c in result["checks"] if not c["visible"]]
        for q in dict.fromkeys(c["quantity"] for c in hidden):
            mine = [c for c in hidden if c["quantity"] == q]
            wrong = [c for c in mine if not c["passed"]]
            named = next((c for c in wrong if c.get("mistake")), None)
            line = f"  {'✗' if wrong else '✓'} {q} on the hidden cases: {len(mine) - len(wrong)}"
            line += f" of {len(mine)} right"
            if named:
                line += f"; {named['mistake']}: {named['hint']}"
            out.append(line)
        out += ["", f"Score: {result['score']:g}/{result['max_score']:g}"]
        if result.get("submission"):
            out.append(f"Recorded on the server as submission {result['submission']}.")
        out.append(result["verdict"])
    return "\n".join(out)


_LAB_RESULTS: dict[tuple[str, str, bytes], dict[str, Any]] = {}


def lab_file(exercise: str, folder: Path | None = None) -> Path:
    """The lab the kernel runs beside: ``<exercise>.ipynb``, or the folder's only notebook."""
    folder = folder or Path.cwd()
    named = folder / f"{exercise}.ipynb"
    if named.is_file():
        return named
    found = sorted(folder.glob("*.ipynb"))
    if len(found) == 1:
        return found[0]
    raise UserError(f"cannot find {named.name} in {folder} to send to the course server")


def lab_check(server: tuple[str, str], exercise: str, quantity: str) -> None:
    """A lab check cell in course mode: TEST RUN of the saved notebook on the server, then
    this quantity's visible check (an AssertionError carrying the teaching message if wrong)."""
    path = lab_file(exercise)
    content = path.read_bytes()
    key = (server[0], exercise, content)
    if key not in _LAB_RESULTS:
        _LAB_RESULTS[key] = send(server, exercise, path, "run")
    show_check(_LAB_RESULTS[key], exercise, quantity, "course server")


def show_check(result: dict[str, Any], exercise: str, quantity: str, where: str) -> None:
    """One quantity's visible check of a TEST RUN `result` (the server's, or an offline one
    checked `where`), printed, or raised as an AssertionError carrying the teaching message."""
    if result.get("error"):
        raise AssertionError(result["error"])
    check = next((c for c in result["checks"] if c["quantity"] == quantity), None)
    if check is None:
        raise AssertionError(f"{exercise} has no check of {quantity!r}")
    if check["passed"]:
        note = f" ({check['message']})" if check["carried_forward"] else ""
        print(f"✓ {quantity} = {check['received']}{note}  ({where}; the notebook as last saved)")
        return
    lines = [
        f"✗ {quantity}: {check['message']}",
        f"  expected {check['expected']}",
        f"  received {check['received']}",
    ]
    if check.get("mistake"):
        lines.append(f"  {check['mistake']}: {check['hint']}")
    lines.append(f"  (checked on the {where}: the notebook as last saved)")
    raise AssertionError("\n".join(lines))


def lab_submit(exercise: str) -> None:
    """SUBMIT the saved lab to the course server and print the feedback (a lab's last cell)."""
    server = configured()
    if server is None:
        raise UserError("no course server configured (GDLAB_SERVER and GDLAB_TOKEN)")
    print(text(send(server, exercise, lab_file(exercise), "submit")))
