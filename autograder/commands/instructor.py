"""The instructor's commands: grade a class, export, feedback pages, a Gradescope bundle, build
the release, scaffold an exercise. Each takes the parsed arguments and returns an exit status.
"""

from __future__ import annotations

import argparse
import logging
import sys
import typing
from pathlib import Path

from autograder.commands.parser import UsageError
from autograder.load import exercise as exercises

if typing.TYPE_CHECKING:
    from autograder.judge.grader import Grader
    from autograder.record.discover import Item


def feedback(args: argparse.Namespace) -> int:
    from autograder.record.gradebook import Gradebook
    from autograder.report.feedback import write_pages

    _folder_out(args.out)
    with Gradebook(args.db) as book:
        if args.student and not book.rows(student=args.student):
            raise UsageError(f"no submissions from student {args.student!r} in the gradebook")
        pages = write_pages(book, args.out, student=args.student)
    print(f"wrote {len(pages)} feedback pages under {args.out}")
    return 0


def gradescope(args: argparse.Namespace) -> int:
    from autograder.report.gradescope import bundle

    exercises.get(args.exercise)
    _file_out(args.out)
    print(f"wrote {bundle(args.exercise, args.out)}")
    return 0


def grade(args: argparse.Namespace) -> int:
    from autograder.judge.grader import Grader
    from autograder.record.discover import discover

    logging.getLogger("gdlab.sandbox").setLevel(logging.INFO)  # what this sandbox lacks: said
    # once to the instructor grading a class, never in a student's TEST RUN
    if args.out:
        _file_out(args.out)
    items = discover(args.path, args.exercise)
    with Grader(data=args.data, workers=args.workers) as grader:
        # The workers boot (numpy, a second of CPU in all) on the other core while this
        # process loads SQLAlchemy, opens the gradebook and stores the files.
        grader.start(min(args.workers, len(items)))
        return _grade_with(args, items, grader)


def _grade_with(args: argparse.Namespace, items: list[Item], grader: Grader) -> int:
    from autograder.record.batch import grade_class, progress_printer
    from autograder.record.gradebook import Gradebook
    from autograder.report.export import chosen, to_csv

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
                grader=grader,
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


def export(args: argparse.Namespace) -> int:
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


def build(repo: Path, check: bool, only: list[str], student: Path | None = None) -> int:
    from autograder.commands.build import build, stale

    if not (repo / "source").is_dir():
        raise UsageError(f"{repo.resolve()} has no source/ folder (use --repo)")
    if student is not None:
        from autograder.commands.student_package import write

        if stale(repo):  # the published values shipped must be the references' own
            raise UsageError("release/ is out of date: run `gdlab build` first")
        files = write(repo, student)
        print(f"wrote the student package ({len(files)} files, no references) into {student}")
        return 0
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


def new(repo: Path, name: str) -> int:
    from autograder import mode

    if not mode.references_installed():
        raise UsageError("gdlab new is for course authors: a student's install cannot scaffold")
    from autograder.commands.scaffold import scaffold

    for path in scaffold(repo, name):
        print(f"wrote {path}")
    print(
        f"next: gdlab build {name} && gdlab run {name} --solution (keys: docs/exercise-format.md)"
    )
    return 0
