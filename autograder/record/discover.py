"""The submissions of a class: a folder of ``<student>.py|.ipynb`` files, or an nbgrader course's
``submitted/`` tree, each an `Item` (student, exercise, path), a symbolic link marked refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UserError
from autograder.load import exercise as exercises
from autograder.load import intake, submission
from autograder.report.sanitize import decoded_name

SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Item:
    """One student's file for one exercise."""

    student: str
    exercise: str
    path: Path
    #: Why the file is refused before reading it (a symbolic link on its way).
    refused: str | None = None


def discover(root: Path, exercise: str | None) -> list[Item]:
    """The submissions under `root`: a folder of ``<student>.py|.ipynb`` files, or an nbgrader
    course's ``submitted/<student>/<assignment>/<notebook>.ipynb`` tree (the exercise is then
    the assignment's name unless `exercise` says otherwise).

    Student names are the file or folder names as text (bytes that are not UTF-8 shown as
    ``\\xNN``); a file reached through a symbolic link is listed, to be refused with a 0."""
    if not root.is_dir():
        raise UserError(f"{root}: not a folder of submissions")
    tree = root / "submitted" if (root / "submitted").is_dir() else root
    nested = sorted(tree.glob("*/*/*.ipynb"))
    if nested and not any(p.suffix in SUFFIXES for p in tree.iterdir() if p.is_file()):
        items = [
            Item(
                decoded_name(p.parent.parent.name), exercise or p.parent.name, p, _refused(tree, p)
            )
            for p in nested
            if not p.parent.name.startswith(".") and ".ipynb_checkpoints" not in p.parts
        ]
    else:
        if exercise is None:
            raise UserError(f"{root}: a folder of files needs --exercise")
        items = [
            Item(decoded_name(p.stem), exercise, p, _refused(tree, p))
            for p in sorted(tree.iterdir())
            if (p.is_file() or p.is_symlink()) and p.suffix in SUFFIXES
        ]
    if not items:
        raise UserError(f"{root}: no .py or .ipynb submissions found")
    known = exercises.ids()
    unknown = sorted({i.exercise for i in items} - known)
    if unknown:
        raise UserError(
            f"unknown exercise {', '.join(unknown)} (use --exercise); "
            f"known: {', '.join(sorted(known))}"
        )
    return items


def _refused(tree: Path, path: Path) -> str | None:
    try:
        intake.refuse_link(path, tree)
    except submission.SubmissionError as error:
        return str(error)
    return None
