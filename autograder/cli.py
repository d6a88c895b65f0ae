"""The `gdlab` command: list, run (TEST RUN), submit (SUBMIT), build, new.

Every user error ends in one line on stderr and exit status 2; nothing a student or instructor
types should ever produce a traceback (set GDLAB_DEBUG=1 to see one for a real bug).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import typing
from pathlib import Path

from autograder import __version__, console
from autograder import exercise as exercises
from autograder.errors import UserError

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
        prog="gdlab", description="Gradient descent lab: TEST RUN and SUBMIT your answers.")
    parser.add_argument("--version", action="version", version=f"gdlab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="list the exercises")

    run = commands.add_parser("run", help="TEST RUN: your output and the visible checks")
    run.add_argument("exercise")
    run.add_argument("file", nargs="?", type=Path, help="your .py or .ipynb answer")
    run.add_argument("--solution", action="store_true",
                     help="run the hidden reference instead (instructors: preview a full answer)")
    run.add_argument("--data", type=Path, help="a data file for the published case "
                     "(exercises that read one, e.g. the admissions data binary.csv)")

    submit = commands.add_parser("submit", help="SUBMIT: hidden cases, a score and feedback")
    submit.add_argument("exercise")
    submit.add_argument("file", type=Path)
    submit.add_argument("--student", default="", help="who submits (default: your user name)")
    submit.add_argument("--json", action="store_true", help="print one JSON object")
    submit.add_argument("--seed", type=_seed, help="reproduce the hidden cases of a past SUBMIT")
    submit.add_argument("--data", type=Path, help="a data file for the published case")
    submit.add_argument("--db", help="gradebook URL (default: $GDLAB_DB or SQLite in $GDLAB_HOME)")

    grade = commands.add_parser("grade", help="grade a class: a folder of submissions")
    grade.add_argument("path", type=Path,
                       help="a folder of <student>.py/.ipynb files, or an nbgrader course "
                            "(its submitted/<student>/<assignment>/*.ipynb)")
    grade.add_argument("--exercise", help="the exercise (inferred from an nbgrader tree)")
    grade.add_argument("--workers", type=_positive, default=os.cpu_count() or 1,
                       help="submissions graded at once (default: the number of cores)")
    grade.add_argument("--out", type=Path, help="also write the class's grades as CSV")
    grade.add_argument("--regrade", action="store_true",
                       help="grade again files already graded (default: skip them)")
    grade.add_argument("--db", help="gradebook URL (default: $GDLAB_DB or SQLite in $GDLAB_HOME)")
    grade.add_argument("--data", type=Path, help="a data file for the published case")

    export = commands.add_parser("export", help="export grades: csv, gradescope or nbgrader")
    export.add_argument("--format", choices=["csv", "gradescope", "nbgrader"], default="csv")
    export.add_argument("--out", type=Path, help="file (csv), folder (gradescope) or nbgrader "
                        "gradebook path/URL (nbgrader); csv without --out prints")
    export.add_argument("--which", choices=["best", "latest"], default="best",
                        help="which graded submission per student and exercise (default: best)")
    export.add_argument("--exercise", help="only this exercise")
    export.add_argument("--db", help="gradebook URL (default: $GDLAB_DB or SQLite in $GDLAB_HOME)")

    feedback = commands.add_parser("feedback", help="an HTML feedback page per student and "
                                   "exercise (from the gradebook)")
    feedback.add_argument("--student", help="only this student")
    feedback.add_argument("--out", type=Path, default=Path("feedback"),
                          help="the folder for the pages (default: feedback/)")
    feedback.add_argument("--db", help="gradebook URL (default: $GDLAB_DB or SQLite in "
                          "$GDLAB_HOME)")

    scope = commands.add_parser("gradescope", help="build a Gradescope autograder bundle")
    scope.add_argument("exercise")
    scope.add_argument("-o", "--out", type=Path, default=Path("autograder.zip"))

    build = commands.add_parser("build", help="regenerate release/ and solutions/ from source/")
    build.add_argument("exercises", nargs="*", metavar="EXERCISE",
                       help="only these exercises (default: all)")
    build.add_argument("--check", action="store_true",
                       help="only check that release/ and solutions/ are up to date")
    build.add_argument("--repo", type=Path, default=Path("."), help="the repository's root")

    new = commands.add_parser("new", help="scaffold source/NAME/, an exercise that builds and "
                              "passes, to edit")
    new.add_argument("name")
    new.add_argument("--repo", type=Path, default=Path("."), help="the repository's root")
    return parser


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
        print(f"gdlab: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("gdlab: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if os.environ.get("GDLAB_DEBUG"):
            raise
        print(f"gdlab: internal error: {type(error).__name__}: {error} "
              "(set GDLAB_DEBUG=1 for details)", file=sys.stderr)
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
    if args.command == "list":
        return _list()
    if args.command == "build":
        return _build(args.repo, args.check, args.exercises)
    if args.command == "grade":
        return _grade(args)
    if args.command == "new":
        return _new(args.repo, args.name)
    if args.command == "export":
        return _export(args)
    if args.command == "feedback":
        from autograder.feedback import write_pages
        from autograder.gradebook import Gradebook

        _folder_out(args.out)
        with Gradebook(args.db) as book:
            if args.student and not book.rows(student=args.student):
                raise UsageError(f"no submissions from student {args.student!r} in the "
                                 "gradebook")
            pages = write_pages(book, args.out, student=args.student)
        print(f"wrote {len(pages)} feedback pages under {args.out}")
        return 0
    if args.command == "gradescope":
        from autograder.gradescope import bundle

        exercises.get(args.exercise)
        _file_out(args.out)
        print(f"wrote {bundle(args.exercise, args.out)}")
        return 0
    if args.command == "run":
        return _run(args.exercise, args.file, args.solution, args.data)
    return _submit(args.exercise, args.file, args.student, args.json, args.seed, args.data,
                   args.db)


def _list() -> int:
    for exercise_id in exercises.available():
        exercise = exercises.get(exercise_id)
        print(f"{exercise_id:16} {exercise.title}")
    return 0


def _load(exercise_id: str, file: Path | None, solution: bool = False):
    from autograder import submission

    exercise = exercises.get(exercise_id)
    if solution:
        file = exercise.folder / exercise.script
    if file is None:
        raise UsageError(f"give the file to run (gdlab run {exercise_id} FILE)")
    return exercise, submission.load(file)


def _run(exercise_id: str, file: Path | None, solution: bool, data: Path | None) -> int:
    from autograder.grading import grade
    from autograder.report import test_run_text
    from autograder.sandbox import Sandbox

    if file is not None and solution:
        raise UsageError("give either a FILE or --solution, not both")
    exercise, program = _load(exercise_id, file, solution)
    with Sandbox() as sandbox:
        result = grade(exercise, program, hidden=False, sandbox=sandbox, data=data)
    print(test_run_text(result, exercise.hidden_cases, _data_label(exercise, data)))
    return 0 if result.full_marks else 1


def _data_label(exercise: exercises.Exercise, data: Path | None) -> str | None:
    if exercise.published is None:
        return None
    return f"data: {data}" if data else f"data: {exercise.published.label or 'the default'}"


def _submit(exercise_id: str, file: Path, student: str, as_json: bool, seed: int | None,
            data: Path | None, db: str | None) -> int:
    from autograder.gradebook import Gradebook
    from autograder.grading import grade, new_seed
    from autograder.report import submit_text, to_json
    from autograder.sandbox import Sandbox

    exercise, program = _load(exercise_id, file)
    student = student or _user()
    seed = new_seed() if seed is None else seed
    with Sandbox() as sandbox, Gradebook(db) as book:
        submission_id = book.add_submission(exercise.id, student, program, seed)
        result = grade(exercise, program, student=student, seed=seed, sandbox=sandbox, data=data)
        book.add_grade(submission_id, result)
    print(to_json(result, submission_id) if as_json else submit_text(result, submission_id))
    return 0


def _grade(args: argparse.Namespace) -> int:
    from autograder.batch import discover, grade_class, progress_printer
    from autograder.export import chosen, to_csv
    from autograder.gradebook import Gradebook

    if args.out:
        _file_out(args.out)
    items = discover(args.path, args.exercise)
    update, close = progress_printer(len(items))
    with Gradebook(args.db) as book:
        try:
            summary = grade_class(items, book, workers=args.workers, regrade=args.regrade,
                                  progress=update, data=args.data)
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
    from autograder.export import export
    from autograder.gradebook import Gradebook

    if args.out and args.format == "csv":
        _file_out(args.out)
    elif args.out and args.format == "gradescope":
        _folder_out(args.out)
    with Gradebook(args.db) as book:
        if args.exercise and args.exercise not in exercises.available() \
                and not book.rows(args.exercise):
            raise UsageError(f"unknown exercise {args.exercise!r}: not installed and not in the "
                             f"gradebook; known: {', '.join(exercises.available())}")
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
    from autograder.build import build, stale

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
    from autograder.scaffold import scaffold

    for path in scaffold(repo, name):
        print(f"wrote {path}")
    print(f"next: gdlab build {name} && gdlab run {name} --solution "
          "(keys: docs/exercise-format.md)")
    return 0


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "student"


if __name__ == "__main__":
    sys.exit(main())
