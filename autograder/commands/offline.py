"""`gdlab run`, `gdlab submit`, `gdlab list` and the lab's check cells in course mode.

Course mode (`autograder.mode`) is a student's install: the references stay on the course
server. So here

* TEST RUN goes to the course server when one is configured and reachable; otherwise (or with
  ``--offline``) it runs the file in the sandbox on the published case and compares with the
  values shipped in ``release/<exercise>/published.json`` (`judge.offline`), saying what only
  the server can add;
* SUBMIT is the server's (it needs the hidden cases), and so are ``--solution`` and ``--seed``:
  each gets one line pointing to the course server and exit status 2.
"""

from __future__ import annotations

import argparse
import json
from functools import cache
from pathlib import Path
from typing import Any

from autograder import mode
from autograder.errors import UserError
from autograder.judge import published_release
from autograder.judge.published_release import Shipped

SERVER_SETUP = (
    "set GDLAB_SERVER and GDLAB_TOKEN (or url and token in ~/.config/gdlab/server.toml) "
    "to the course server's address and your token"
)


class NeedsServer(UserError):
    """Something only the course server may do (it needs the references or hidden cases)."""


def needs_server(what: str) -> NeedsServer:
    return NeedsServer(
        f"{what} on the course server only: this is a course install, which holds no "
        f"references; {SERVER_SETUP}"
    )


def available() -> list[str]:
    """The exercises of the shipped release, in the course's order."""
    root = mode.release_root()
    if not root.is_dir():
        raise UserError(f"no release at {root} (set GDLAB_RELEASE to the release folder)")
    found = []
    for path in sorted(root.glob(f"*/{published_release.FILE}")):
        try:
            order = int(json.loads(path.read_text(encoding="utf-8")).get("order", 99))
        except (OSError, ValueError, TypeError):
            order = 99
        found.append((order, path.parent.name))
    return [name for _, name in sorted(found)]


@cache
def get(exercise_id: str) -> Shipped:
    known = available()
    if exercise_id not in known:
        raise UserError(f"unknown exercise {exercise_id!r}; known: {', '.join(known)}")
    return published_release.read(mode.release_root() / exercise_id)


def list_exercises() -> int:
    for exercise_id in available():
        print(f"{exercise_id:16} {get(exercise_id).exercise.title}")
    return 0


def command(args: argparse.Namespace) -> int:
    """`gdlab run` or `gdlab submit` in course mode."""
    from autograder.server import client

    if args.command == "run" and args.solution:
        raise needs_server("the reference (--solution) is shown")
    if args.command == "submit" and args.seed is not None:
        raise needs_server("hidden cases (--seed) are drawn and kept")
    get(args.exercise)  # an unknown exercise is said before anything is sent
    if args.file is None:
        raise UserError(f"give the file to run (gdlab run {args.exercise} FILE)")
    if getattr(args, "offline", False):
        return test_run(args.exercise, args.file, args.data, "offline TEST RUN (--offline)")
    server = client.configured(args.server)
    if server is None:
        if args.command == "submit":
            raise needs_server("SUBMIT is graded")
        reason = "offline TEST RUN: no course server configured"
        return test_run(args.exercise, args.file, args.data, reason)
    try:
        return _on_server(args, server)
    except client.Unreachable as error:
        if args.command == "submit":
            raise NeedsServer(f"SUBMIT is graded on the course server: {error}") from None
        return test_run(args.exercise, args.file, args.data, f"offline TEST RUN: {error}")


def _on_server(args: argparse.Namespace, server: tuple[str, str]) -> int:
    from autograder.server import client

    kind = "submit" if args.command == "submit" else "run"
    return client.command(server, args.exercise, args.file, kind, getattr(args, "json", False))


def test_run(exercise_id: str, file: Path, data: Path | None, reason: str) -> int:
    """TEST RUN here, against the shipped published values; exit 0 when every check passes."""
    from autograder.judge.offline import OFFLINE_NOTE, grade_published
    from autograder.load import intake
    from autograder.report.terminal import test_run_text

    shipped = get(exercise_id)
    if data is not None:
        raise needs_server("a TEST RUN on another data file (--data) is graded")
    program = intake.load(file)
    result = grade_published(shipped, program)
    exercise = shipped.exercise
    label = f"data: {exercise.published.label or 'the default'}" if exercise.published else None
    print(f"({reason})")
    print(test_run_text(result, exercise.hidden_cases, label))
    print(OFFLINE_NOTE)
    for note in program.notes:
        print(f"Note: {note}")
    return 0 if result.full_marks else 1


_LAB_RESULTS: dict[tuple[str, bytes], dict[str, Any]] = {}


def lab_result(exercise_id: str) -> dict[str, Any]:
    """The saved lab's offline TEST RUN, as the server's result reads (one per saved content)."""
    from autograder.judge.offline import grade_published
    from autograder.load import intake
    from autograder.server.client import lab_file

    path = lab_file(exercise_id)
    key = (exercise_id, path.read_bytes())
    if key not in _LAB_RESULTS:
        result = grade_published(get(exercise_id), intake.load(path)).to_dict()
        _LAB_RESULTS.clear()  # only the latest save is worth keeping
        _LAB_RESULTS[key] = result
    return _LAB_RESULTS[key]
