"""A client of the course server: `gdlab submit --server URL` and the lab's check cells.

The server and the token come from ``--server`` / ``GDLAB_SERVER`` and ``GDLAB_TOKEN``, or from
``$XDG_CONFIG_HOME/gdlab/server.toml`` (``url = "…"``, ``token = "…"``). Only the standard
library is used, so a student's install needs nothing more.
"""

from __future__ import annotations

import json
import os
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from autograder.errors import UserError


class ServerError(UserError):
    """The server refused or could not be reached (said in one line)."""


def config_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "gdlab" / "server.toml"


def configured(url: str | None = None) -> tuple[str, str] | None:
    """(server URL, token) when a course server is configured, else None."""
    settings: dict[str, Any] = {}
    path = config_file()
    if path.is_file():
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
        with urllib.request.urlopen(request, timeout=90) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read() or b"{}").get("error", error.reason)
        except ValueError:
            detail = error.reason
        raise ServerError(f"{url}: {detail} (HTTP {error.code})") from None
    except (urllib.error.URLError, OSError) as error:
        raise ServerError(f"cannot reach {url}: {getattr(error, 'reason', error)}") from None


def send(server: tuple[str, str], exercise: str, file: Path, kind: str) -> dict[str, Any]:
    """TEST RUN (`kind` "run") or SUBMIT a file on the server; the public result, once graded."""
    try:
        content = file.read_bytes()
    except OSError as error:
        raise UserError(f"{file}: cannot read it ({error.strerror})") from None
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
        f"/api/exercises/{exercise}/{kind}?wait=30",
        body,
        f"multipart/form-data; boundary={boundary}",
    )
    deadline = time.monotonic() + 600
    while answer.get("state") != "done":
        if time.monotonic() > deadline:
            raise ServerError("the server did not grade it within 10 minutes; try again later")
        _, answer = _call(server, "GET", f"/api/jobs/{answer['job']}?wait=30")
    return {**answer["result"], "submission": answer.get("submission")}


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
