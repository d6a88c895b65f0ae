"""The `gdlab` command: list, run (TEST RUN), submit (SUBMIT), build.

Every user error ends in one line on stderr and exit status 2; nothing a student or instructor
types should ever produce a traceback (set GDLAB_DEBUG=1 to see one for a real bug).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from autograder import exercise as exercises
from autograder.errors import UserError

USAGE_ERROR, INTERNAL_ERROR = 2, 3


class UsageError(UserError):
    """A mistake in how gdlab was called."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gdlab", description="Gradient descent lab: TEST RUN and SUBMIT your answers.")
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
    submit.add_argument("--seed", type=int, help="reproduce the hidden cases of a past SUBMIT")
    submit.add_argument("--data", type=Path, help="a data file for the published case")
    submit.add_argument("--db", help="gradebook URL (default: $GDLAB_DB or SQLite in $GDLAB_HOME)")

    grade = commands.add_parser("grade", help="grade a class: a folder of submissions")
    grade.add_argument("path", type=Path,
                       help="a folder of <student>.py/.ipynb files, or an nbgrader course "
                            "(its submitted/<student>/<assignment>/*.ipynb)")
    grade.add_argument("--exercise", help="the exercise (inferred from an nbgrader tree)")
    grade.add_argument("--workers", type=int, default=os.cpu_count() or 1,
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _log_to_stderr()
    try:
        return _dispatch(args)
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
    if args.command == "export":
        return _export(args)
    if args.command == "feedback":
        from autograder.feedback import write_pages
        from autograder.gradebook import Gradebook

        with Gradebook(args.db) as book:
            pages = write_pages(book, args.out, student=args.student)
        print(f"wrote {len(pages)} feedback pages under {args.out}")
        return 0
    if args.command == "gradescope":
        from autograder.gradescope import bundle

        exercises.get(args.exercise)
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

    logging.getLogger("gdlab.sandbox").setLevel(logging.INFO)  # what this sandbox lacks: said
    # once to the instructor grading a class, never in a student's TEST RUN
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

    with Gradebook(args.db) as book:
        print(export(book, args.format, args.out, args.which, args.exercise))
    return 0


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


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "student"


if __name__ == "__main__":
    sys.exit(main())
