"""The `gdlab` command's arguments: one parser, a subcommand each, typed and with its help.

Mistakes in how gdlab is called end in one line (`_Parser.error`) and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import typing
from pathlib import Path

from autograder import __version__
from autograder.errors import UserError

USAGE_ERROR = 2


class UsageError(UserError):
    """A mistake in how gdlab was called."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors said in one line (the usage is one --help away)."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _seed(text: str) -> int:
    """A seed as numpy takes it: a whole number from 0 to 2**63 - 1."""
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= seed < 2**63:
        raise argparse.ArgumentTypeError(f"{seed} is out of range: a seed is 0 to 2**63 - 1")
    return seed


def _port(text: str) -> int:
    """A TCP port: 1 to 65535 (the operating system would silently wrap a larger number)."""
    port = _whole(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: a port is 1 to 65535")
    return port


def _not_negative(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be 0 or more")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _student(text: str) -> str:
    """A student's name as given, without surrounding blanks; blanks alone name nobody."""
    if text and not text.strip():
        raise argparse.ArgumentTypeError("a student's name cannot be blank")
    return text.strip()


def _positive(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gdlab", description="Gradient descent lab: TEST RUN and SUBMIT your answers."
    )
    parser.add_argument("--version", action="version", version=f"gdlab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="list the exercises")

    run = commands.add_parser("run", help="TEST RUN: your output and the visible checks")
    run.add_argument("exercise")
    run.add_argument("file", nargs="?", type=Path, help="your .py or .ipynb answer")
    run.add_argument(
        "--solution",
        action="store_true",
        help="run the hidden reference instead (instructors: preview a full answer)",
    )
    run.add_argument(
        "--data",
        type=Path,
        help="a data file for the published case "
        "(exercises that read one, e.g. the admissions data binary.csv)",
    )
    run.add_argument(
        "--server",
        help="TEST RUN on this course server (default: $GDLAB_SERVER or the client config)",
    )
    run.add_argument(
        "--offline",
        action="store_true",
        help="course mode: TEST RUN here, against the published values the release ships",
    )

    submit = commands.add_parser("submit", help="SUBMIT: hidden cases, a score and feedback")
    submit.add_argument("exercise")
    submit.add_argument("file", type=Path)
    submit.add_argument(
        "--student", type=_student, default="", help="who submits (default: your user name)"
    )
    submit.add_argument("--json", action="store_true", help="print one JSON object")
    submit.add_argument("--seed", type=_seed, help="reproduce the hidden cases of a past SUBMIT")
    submit.add_argument("--data", type=Path, help="a data file for the published case")
    submit.add_argument("--db", help="gradebook URL (default: $GDLAB_DB or SQLite in $GDLAB_HOME)")
    submit.add_argument(
        "--server",
        help="SUBMIT to this course server (default: $GDLAB_SERVER "
        "or the client config; token from $GDLAB_TOKEN)",
    )

    grade = commands.add_parser("grade", help="grade a class: a folder of submissions")
    grade.add_argument(
        "path",
        type=Path,
        help="a folder of <student>.py/.ipynb files, or an nbgrader course "
        "(its submitted/<student>/<assignment>/*.ipynb)",
    )
    grade.add_argument("--exercise", help="the exercise (inferred from an nbgrader tree)")
    grade.add_argument(
        "--workers",
        type=_positive,
        default=os.cpu_count() or 1,
        help="submissions graded at once (default: the number of cores)",
    )
    grade.add_argument("--out", type=Path, help="also write the class's grades as CSV")
    grade.add_argument(
        "--regrade",
        action="store_true",
        help="grade again files already graded (default: skip them)",
    )
    grade.add_argument("--db", help="gradebook URL (default: $GDLAB_DB or SQLite in $GDLAB_HOME)")
    grade.add_argument("--data", type=Path, help="a data file for the published case")

    export = commands.add_parser("export", help="export grades: csv, gradescope or nbgrader")
    export.add_argument("--format", choices=["csv", "gradescope", "nbgrader"], default="csv")
    export.add_argument(
        "--out",
        type=Path,
        help="file (csv), folder (gradescope) or nbgrader "
        "gradebook path/URL (nbgrader); csv without --out prints",
    )
    export.add_argument(
        "--which",
        choices=["best", "latest"],
        default="best",
        help="which graded submission per student and exercise (default: best)",
    )
    export.add_argument("--exercise", help="only this exercise")
    export.add_argument("--db", help="gradebook URL (default: $GDLAB_DB or SQLite in $GDLAB_HOME)")

    feedback = commands.add_parser(
        "feedback", help="an HTML feedback page per student and exercise (from the gradebook)"
    )
    feedback.add_argument("--student", help="only this student")
    feedback.add_argument(
        "--out",
        type=Path,
        default=Path("feedback"),
        help="the folder for the pages (default: feedback/)",
    )
    feedback.add_argument(
        "--db", help="gradebook URL (default: $GDLAB_DB or SQLite in $GDLAB_HOME)"
    )

    scope = commands.add_parser("gradescope", help="build a Gradescope autograder bundle")
    scope.add_argument("exercise")
    scope.add_argument("-o", "--out", type=Path, default=Path("autograder.zip"))

    _server_parsers(commands)

    build = commands.add_parser("build", help="regenerate release/ and solutions/ from source/")
    build.add_argument(
        "exercises", nargs="*", metavar="EXERCISE", help="only these exercises (default: all)"
    )
    build.add_argument(
        "--check",
        action="store_true",
        help="only check that release/ and solutions/ are up to date",
    )
    build.add_argument("--repo", type=Path, default=Path("."), help="the repository's root")
    build.add_argument(
        "--student-package",
        type=Path,
        metavar="DIR",
        help="write the student distribution (gdlab and the release, no references) into DIR",
    )

    new = commands.add_parser(
        "new", help="scaffold source/NAME/, an exercise that builds and passes, to edit"
    )
    new.add_argument("name")
    new.add_argument("--repo", type=Path, default=Path("."), help="the repository's root")
    return parser


def _server_parsers(commands: argparse._SubParsersAction) -> None:
    """`gdlab serve` and `gdlab roster add` (the course server, autograder/server/)."""
    serve = commands.add_parser("serve", help="run the course server (quiz pages, API, grading)")
    serve.add_argument("--db", help="gradebook URL (default: $GDLAB_DB or SQLite in $GDLAB_HOME)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument(
        "--workers",
        type=_not_negative,
        default=os.cpu_count() or 1,
        help="grading worker processes (0: the web application only)",
    )
    serve.add_argument(
        "--practice", action="store_true", help="self-study: one student on 127.0.0.1, no sign-in"
    )
    serve.add_argument("--release", type=Path, help="the student release (default: release/)")
    serve.add_argument(
        "--submit-limit",
        type=int,
        default=10,
        help="SUBMITs a student may make per minute (0: no limit)",
    )
    serve.add_argument(
        "--no-solution", action="store_true", help="never show solution.py, even after full marks"
    )
    serve.add_argument("--https", action="store_true", help="send cookies over HTTPS only")
    roster = commands.add_parser("roster", help="the course server's people")
    actions = roster.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add people; print each one's sign-in link")
    add.add_argument("names", nargs="+", metavar="NAME")
    add.add_argument("--instructor", action="store_true", help="with the instructor role")
    add.add_argument("--url", default="http://127.0.0.1:8000", help="the server's public URL")
    add.add_argument("--db", help="gradebook URL (default: $GDLAB_DB or SQLite in $GDLAB_HOME)")
