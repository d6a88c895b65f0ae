"""Shared fixtures: one Grader (so one sandbox) for the whole session, exercises, and a private
gradebook home."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.judge.checks import Grade
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import submission
from tests.helpers import REPO, checks_for, stub

#: Older test files import these from here; new ones import them from tests.helpers.
__all__ = ["REPO", "checks_for", "stub"]


@pytest.fixture(autouse=True, scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One published-values cache for the whole run (never the user's own ~/.cache)."""
    cache = tmp_path_factory.mktemp("gdlab-cache")
    before = os.environ.get("GDLAB_CACHE")
    os.environ["GDLAB_CACHE"] = str(cache)
    yield cache
    if before is None:
        del os.environ["GDLAB_CACHE"]
    else:
        os.environ["GDLAB_CACHE"] = before


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch a real user's gradebook."""
    home = tmp_path_factory.mktemp("gdlab-home")
    monkeypatch.setenv("GDLAB_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def grader() -> Iterator[Grader]:
    with Grader() as shared:
        yield shared


@pytest.fixture(scope="session")
def basic() -> exercises.Exercise:
    return exercises.get("gradient_basic")


@pytest.fixture
def grade_text(grader: Grader, tmp_path: Path):
    """Grade program text as a student's file: ``grade_text(exercise, text, seed=1)``;
    `data` replaces the published data file (--data)."""

    def run(
        exercise: exercises.Exercise,
        text: str,
        seed: int = 1,
        suffix: str = ".py",
        hidden: bool = True,
        data: Path | None = None,
    ) -> Grade:
        path = tmp_path / f"answer{suffix}"
        path.write_text(text, encoding="utf-8")
        return grader.grade(exercise, submission.load(path), seed=seed, hidden=hidden, data=data)

    return run
