"""The `gdlab` command: list, run (TEST RUN), submit (SUBMIT), build, new.

Every user error ends in one line on stderr and exit status 2; nothing a student or instructor
types should ever produce a traceback (set GDLAB_DEBUG=1 to see one for a real bug).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import typing
from collections.abc import Callable
from pathlib import Path

from autograder import __version__
from autograder.errors import UserError
from autograder.load import exercise as exercises
from autograder.report import console
from autograder.report.sanitize import one_line

if typing.TYPE_CHECKING:
    from autograder.run.sandbox import Sandbox

USAGE_ERROR, INTERNAL_ERROR = 2, 3


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


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
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

    submit = commands.add_parser("submit", help="SUBMIT: hidden cases, a score and feedback")
    submit.add_argument("exercise")
    submit.add_argument("file", type=Path)
    submit.add_argument("--student", default="", help="who submits (default: your user name)")
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
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
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


def _server_command(args: argparse.Namespace) -> int:
    if args.command == "roster":
        from autograder.server.serve import roster_add

        role = "instructor" if args.instructor else "student"
        print("\n".join(roster_add(args.db, args.names, role, args.url)))
        return 0
    from autograder.server.config import ServerConfig
    from autograder.server.serve import serve

    config = ServerConfig(
        db=args.db,
        practice=args.practice,
        practice_student=_user(),
        submit_limit=args.submit_limit,
        show_solution=not args.no_solution,
        https=args.https,
        **({"release": args.release} if args.release else {}),
    )
    return serve(config, args.host, args.port, args.workers)


def _on_server(args: argparse.Namespace) -> int | None:
    """TEST RUN or SUBMIT on a course server when one is configured (None: grade here)."""
    from autograder.server import client

    server = client.configured(args.server)
    if server is None:
        return None
    if args.file is None:
        raise UsageError(f"give the file to run (gdlab run {args.exercise} FILE)")
    kind = "submit" if args.command == "submit" else "run"
    result = client.send(server, args.exercise, args.file, kind)
    if getattr(args, "json", False):
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(client.text(result))
    return 0 if kind == "submit" or result.get("full_marks") else 1


def main(argv: list[str] | None = None) -> int:
    console.readable_streams()
    try:
        args = _parser().parse_args(argv)
        _log_to_stderr()
        status = _dispatch(args)
        sys.stdout.flush()  # inside the try: a reader that left early is not an error
        return status
    except BrokenPipeError:
        return console.pipe_closed()
    except UserError as error:
        print(f"gdlab: error: {one_line(str(error))}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("gdlab: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if os.environ.get("GDLAB_DEBUG"):
            raise
        print(
            f"gdlab: internal error: {type(error).__name__}: {one_line(str(error))} "
            "(set GDLAB_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return INTERNAL_ERROR


def _log_to_stderr() -> None:
    """gdlab's own warnings (e.g. the sandbox saying once what this machine cannot confine) as
    one plain line each; other libraries' logging is left as they set it."""
    ours = logging.getLogger("gdlab")
    if not ours.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("gdlab: %(message)s"))
        ours.addHandler(handler)
        ours.setLevel(logging.WARNING)
        ours.propagate = False


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command `args` names: a table, one small function per command."""
    return _COMMANDS[args.command](args)


def _feedback(args: argparse.Namespace) -> int:
    from autograder.record.gradebook import Gradebook
    from autograder.report.feedback import write_pages

    _folder_out(args.out)
    with Gradebook(args.db) as book:
        if args.student and not book.rows(student=args.student):
            raise UsageError(f"no submissions from student {args.student!r} in the gradebook")
        pages = write_pages(book, args.out, student=args.student)
    print(f"wrote {len(pages)} feedback pages under {args.out}")
    return 0


def _gradescope(args: argparse.Namespace) -> int:
    from autograder.report.gradescope import bundle

    exercises.get(args.exercise)
    _file_out(args.out)
    print(f"wrote {bundle(args.exercise, args.out)}")
    return 0


def _run_or_submit(args: argparse.Namespace) -> int:
    """TEST RUN or SUBMIT: on the configured course server if there is one, else here."""
    if args.command == "submit" or not args.solution:
        on_server = _on_server(args)
        if on_server is not None:
            return on_server
    if args.command == "run":
        return _run(args.exercise, args.file, args.solution, args.data)
    return _submit(args.exercise, args.file, args.student, args.json, args.seed, args.data, args.db)


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": lambda args: _list(),
    "build": lambda args: _build(args.repo, args.check, args.exercises),
    "grade": lambda args: _grade(args),
    "new": lambda args: _new(args.repo, args.name),
    "export": lambda args: _export(args),
    "feedback": _feedback,
    "gradescope": _gradescope,
    "serve": lambda args: _server_command(args),
    "roster": lambda args: _server_command(args),
    "run": _run_or_submit,
    "submit": _run_or_submit,
}


def _list() -> int:
    for exercise_id in exercises.available():
        exercise = exercises.get(exercise_id)
        print(f"{exercise_id:16} {exercise.title}")
    return 0


def _load(exercise_id: str, file: Path | None, solution: bool = False):
    from autograder.load import intake

    exercise = exercises.get(exercise_id)
    if solution:
        file = exercise.folder / exercise.script
    if file is None:
        raise UsageError(f"give the file to run (gdlab run {exercise_id} FILE)")
    return exercise, intake.load(file)  # the file itself: a symbolic link is refused


def _run(exercise_id: str, file: Path | None, solution: bool, data: Path | None) -> int:
    from autograder.run.sandbox import Sandbox

    if file is not None and solution:
        raise UsageError("give either a FILE or --solution, not both")
    if exercise_id not in exercises.available():
        exercises.get(exercise_id)  # the one-line error naming the known ones, before any worker
    with Sandbox() as sandbox:  # its worker boots (numpy) on the other core while we load below
        from autograder.judge.grading import grade
        from autograder.report.terminal import test_run_text

        exercise, program = _load(exercise_id, file, solution)
        result = grade(exercise, program, hidden=False, sandbox=sandbox, data=data)
    print(test_run_text(result, exercise.hidden_cases, _data_label(exercise, data)))
    _print_notes(program.notes)
    return 0 if result.full_marks else 1


def _print_notes(notes: tuple[str, ...], to_stderr: bool = False) -> None:
    """What the loader left out of a notebook (a magic, a shell escape), one line each."""
    for note in notes:
        print(f"Note: {note}", file=sys.stderr if to_stderr else sys.stdout)


def _data_label(exercise: exercises.Exercise, data: Path | None) -> str | None:
    if exercise.published is None:
        return None
    return f"data: {data}" if data else f"data: {exercise.published.label or 'the default'}"


def _submit(
    exercise_id: str,
    file: Path,
    student: str,
    as_json: bool,
    seed: int | None,
    data: Path | None,
    db: str | None,
) -> int:
    from autograder.judge.grading import grade, new_seed
    from autograder.record.gradebook import Gradebook
    from autograder.report.terminal import submit_text, to_json
    from autograder.run.sandbox import Sandbox

    exercise, program = _load(exercise_id, file)
    student = student or _user()
    seed = new_seed() if seed is None else seed
    with Sandbox() as sandbox, Gradebook(db) as book:
        submission_id = book.add_submission(exercise.id, student, program, seed)
        result = grade(exercise, program, student=student, seed=seed, sandbox=sandbox, data=data)
        book.add_grade(submission_id, result)
    print(to_json(result, submission_id) if as_json else submit_text(result, submission_id))
    _print_notes(program.notes, to_stderr=as_json)  # --json keeps stdout one JSON document
    return 0


def _grade(args: argparse.Namespace) -> int:
    from autograder.run.sandbox import Sandbox

    logging.getLogger("gdlab.sandbox").setLevel(logging.INFO)  # what this sandbox lacks: said
    # once to the instructor grading a class, never in a student's TEST RUN
    if args.out:
        _file_out(args.out)
    if not args.path.is_dir():
        raise UsageError(f"{args.path}: not a folder of submissions")
    # The workers boot (numpy, a second of CPU in all) on the other core while this process
    # loads SQLAlchemy, opens the gradebook and stores the files.
    booted = [Sandbox() for _ in range(args.workers)]
    try:
        return _grade_booted(args, booted)
    finally:
        for sandbox in booted:
            sandbox.close()


def _grade_booted(args: argparse.Namespace, booted: list[Sandbox]) -> int:
    from autograder.record.batch import discover, grade_class, progress_printer
    from autograder.record.gradebook import Gradebook
    from autograder.report.export import chosen, to_csv

    items = discover(args.path, args.exercise)
    for sandbox in booted[len(items) :]:  # more workers than files
        sandbox.close()
    update, close = progress_printer(len(items))
    with Gradebook(args.db) as book:
        try:
            summary = grade_class(
                items,
                book,
                workers=args.workers,
                regrade=args.regrade,
                progress=update,
                data=args.data,
                booted=booted[: len(items)],
            )
        finally:
            close()
        print(summary.text())
        if args.out:
            ids = {o.submission_id for o in summary.outcomes}
            rows = [r for r in book.rows() if r.id in ids]
            args.out.write_text(to_csv(chosen(rows, "latest")), encoding="utf-8")
            print(f"\nwrote {args.out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from autograder.record.gradebook import Gradebook
    from autograder.report.export import export

    if args.out and args.format == "csv":
        _file_out(args.out)
    elif args.out and args.format == "gradescope":
        _folder_out(args.out)
    with Gradebook(args.db) as book:
        if (
            args.exercise
            and args.exercise not in exercises.available()
            and not book.rows(args.exercise)
        ):
            raise UsageError(
                f"unknown exercise {args.exercise!r}: not installed and not in the "
                f"gradebook; known: {', '.join(exercises.available())}"
            )
        print(export(book, args.format, args.out, args.which, args.exercise))
    return 0


def _file_out(path: Path) -> None:
    """A file to write: its folder must exist, and it must not be a folder itself."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent}: no such folder (create it first)")


def _folder_out(path: Path) -> None:
    """A folder to write into (created if missing): it must not be a file."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file, not a folder")


def _build(repo: Path, check: bool, only: list[str]) -> int:
    from autograder.commands.build import build, stale

    if not (repo / "source").is_dir():
        raise UsageError(f"{repo.resolve()} has no source/ folder (use --repo)")
    if check:
        problems = stale(repo, only)
        for problem in problems:
            print(f"stale: {problem}")
        if problems:
            print("release/ or solutions/ is out of date: run `gdlab build`", file=sys.stderr)
            return 1
        print("release/ and solutions/ are up to date")
        return 0
    for path in build(repo, only=only):
        print(f"wrote {path}")
    return 0


def _new(repo: Path, name: str) -> int:
    from autograder.commands.scaffold import scaffold

    for path in scaffold(repo, name):
        print(f"wrote {path}")
    print(
        f"next: gdlab build {name} && gdlab run {name} --solution (keys: docs/exercise-format.md)"
    )
    return 0


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "student"


if __name__ == "__main__":
    sys.exit(main())
