"""What the server shows of an exercise: its statement, the stub, given files, the lab.

The stub, the given files and the lab come from the student release (``release/``), the only
files a student may see; the reference comes from the installed `solutions` package and is read
only for the workers and, when the course allows it, for a student who already has full marks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import autograder
from autograder.errors import UserError
from autograder.load import exercise as exercises

ENGINE_VERSION = autograder.__version__


def default_release() -> Path:
    """``release/`` beside the package (a checkout or an editable install)."""
    return Path(autograder.__file__).resolve().parent.parent / "release"


@dataclass(frozen=True)
class Statement:
    """A quiz page's short statement: the title and what each quantity is."""

    title: str
    #: (name, points); the quantities' formulas (``about``) stay on the server, as on the
    #: feedback pages: the stub's TODO comments say what to compute.
    quantities: tuple[tuple[str, float], ...]
    hidden_cases: int


@cache
def get(exercise_id: str) -> exercises.Exercise:
    return exercises.get(exercise_id)


@cache
def ids() -> tuple[str, ...]:
    """The exercises, in the course's order (read once per process: restart to add one)."""
    return tuple(exercises.available())


def known(exercise_id: str) -> bool:
    return exercise_id in ids()


def statement(exercise_id: str) -> Statement:
    exercise = get(exercise_id)
    return Statement(
        exercise.title,
        tuple((q.name, q.points) for q in exercise.quantities),
        exercise.hidden_cases,
    )


def _release_file(release: Path, exercise_id: str, name: str) -> Path:
    path = release / exercise_id / name
    if not path.is_file():
        raise UserError(f"{path} is missing: serve needs the student release (--release)")
    return path


def stub(release: Path, exercise_id: str) -> tuple[str, str]:
    """(file name, text) of the quiz script as students get it."""
    name = get(exercise_id).script
    return name, _release_file(release, exercise_id, name).read_text(encoding="utf-8")


def given_files(release: Path, exercise_id: str) -> list[tuple[str, str]]:
    """The given files shown read-only beside the editor (e.g. ``data_prep.py``)."""
    shown = []
    for name in get(exercise_id).files:
        path = release / exercise_id / name
        if path.suffix == ".py" and path.is_file():
            shown.append((name, path.read_text(encoding="utf-8")))
    return shown


def notebook(release: Path, exercise_id: str) -> Path:
    return _release_file(release, exercise_id, get(exercise_id).notebook)


def solution(exercise_id: str) -> str:
    exercise = get(exercise_id)
    return exercise.reference


@cache
def version(exercise_id: str) -> str:
    """The exercise's version: a digest of its data and reference, recorded with each grade."""
    exercise = get(exercise_id)
    digest = hashlib.sha256((exercise.folder / "exercise.toml").read_bytes())
    digest.update(exercise.reference.encode())
    return digest.hexdigest()[:12]
