"""Helpers shared by the tests (one module; no test file imports from another)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from autograder import exercise as exercises
from autograder.grading import Check, Grade

REPO = Path(__file__).resolve().parent.parent

#: The `grade_text` fixture's type: ``grade_text(exercise, text, seed=1, suffix=".py")``.
GradeText = Callable[..., Grade]


def stub(exercise: exercises.Exercise) -> str:
    """The student's release script, every TODO still `None`."""
    return (REPO / "release" / exercise.id / exercise.script).read_text(encoding="utf-8")


def checks_for(result: Grade, quantity: str) -> list[Check]:
    """The checks of one quantity, published case first."""
    return [c for c in result.checks if c.quantity == quantity]
