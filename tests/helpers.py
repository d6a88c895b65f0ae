"""Helpers shared by the tests (one module; no test file imports from another)."""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.commands.build import solved
from autograder.judge.grader import Grader
from autograder.judge.grading import Check, Grade
from autograder.load import exercise as exercises
from autograder.load import submission
from autograder.record.gradebook import Gradebook

REPO = Path(__file__).resolve().parent.parent

#: The real admissions data, where the project's shared data lives (never copied into the repo).
REAL_DATA = REPO.parent / "shared" / "data" / "binary.csv"


#: The `grade_text` fixture's type: ``grade_text(exercise, text, seed=1, suffix=".py")``.
GradeText = Callable[..., Grade]


def stub(exercise: exercises.Exercise) -> str:
    """The student's release script, every TODO still `None`."""
    return (REPO / "release" / exercise.id / exercise.script).read_text(encoding="utf-8")


def checks_for(result: Grade, quantity: str) -> list[Check]:
    """The checks of one quantity, published case first."""
    return [c for c in result.checks if c.quantity == quantity]


# --- the admissions data (gradient, backprop) ---------------------------------------------


def needs_real_data() -> Path:
    """The real data file, or skip the test saying where it was looked for."""
    if not REAL_DATA.is_file():
        pytest.skip(
            f"binary.csv not found: {REAL_DATA} (the real admissions data is kept "
            "outside the repository)"
        )
    return REAL_DATA


def prepare(exercise_id: str, folder: Path, data: Path | None) -> dict[str, Any]:
    """Run the exercise's given data_prep.py in `folder`, with `data` beside it as binary.csv."""
    shutil.copy(REPO / "source" / exercise_id / "data_prep.py", folder / "data_prep.py")
    if data is not None:
        shutil.copy(data, folder / "binary.csv")
    return runpy.run_path(str(folder / "data_prep.py"))


def tiny_data(folder: Path, rows: int = 20) -> Path:
    """A small admissions file (same columns) for tests that need a data set, not the data."""
    rng = np.random.default_rng(0)
    path = folder / "tiny.csv"
    lines = ["admit,gre,gpa,rank"] + [
        f"{rng.integers(0, 2)},{20 * rng.integers(10, 41)},{rng.uniform(2.5, 4.0):.2f},{1 + i % 4}"
        for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def grade_on(exercise: exercises.Exercise, text: str, data: Path, grader: Grader) -> Grade:
    """TEST RUN of program `text` with `data` as the published data file (--data)."""
    path = data.parent / "answer.py"
    path.write_text(text, encoding="utf-8")
    return grader.grade(exercise, submission.load(path), hidden=False, data=data)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1 / (1 + np.exp(-x))


def printed_numbers(output: str) -> list[tuple[str, float]]:
    """Each printed line as (its words, its number), to compare numbers with a tolerance."""
    pairs = []
    for line in output.strip().splitlines():
        number = re.search(r"-?\d+\.\d+(e-?\d+)?", line)
        assert number, line
        pairs.append((line.replace(number.group(), "#"), float(number.group())))
    return pairs


def gdlab(*args: str, home: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The `gdlab` command as a user runs it, with its own GDLAB_HOME (gradebook, secrets)."""
    env = {**os.environ, "GDLAB_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        **kwargs,
    )


# --- notebooks ------------------------------------------------------------------------------


def source_notebook(exercise: exercises.Exercise) -> str:
    return (REPO / "source" / exercise.id / exercise.notebook).read_text(encoding="utf-8")


def filled_release(exercise: exercises.Exercise, answer: dict[str, str] | None = None) -> dict:
    """The student's release notebook with every solution cell answered (as in the source)."""
    release = json.loads((REPO / "release" / exercise.id / exercise.notebook).read_text())
    source = {c["id"]: c for c in json.loads(source_notebook(exercise))["cells"]}
    for cell in release["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            text = solved("".join(source[cell["id"]]["source"]))
            for old, new in (answer or {}).items():
                text = text.replace(old, new)
            cell["source"] = text
    return release


def nbgrader(
    *args: str, cwd: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # nbgrader runs `alembic` from PATH to create its database: put this Python's bin/ first.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PATH": path, **(env or {})},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


#: The seed of the feedback tests' SUBMITs.
SEED = 918_273_645

#: A training exercise small enough to run in a blink: the loop prints its loss as the labs do.
TINY_TOML = """
title = "A tiny training loop"
script = "train.py"
training = true

[quantities]
w = { points = 10, about = "the trained weight" }

[cases]
hidden = 1

[cases.given]
target = { uniform = [0.5, 2.0], round = 2 }
"""
TINY_REFERENCE = """\
target = 1.0
learnrate = 0.5
w = 0.0
last_loss = None
for e in range(8):
    w = w + learnrate * (target - w)
    loss = (target - w) ** 2
    if last_loss and last_loss < loss:
        print("Train loss: ", loss, "  WARNING - Loss Increasing")
    else:
        print("Train loss: ", loss)
    last_loss = loss
"""


def submit(
    book: Gradebook,
    grader: Grader,
    folder: Path,
    exercise: exercises.Exercise,
    student: str,
    text: str,
) -> Grade:
    """SUBMIT `text` as `student`'s file and record it, as `gdlab submit` does."""
    path = folder / "answer.py"
    path.write_text(text, encoding="utf-8")
    program = submission.load(path)
    submission_id = book.add_submission(exercise.id, student, program, SEED)
    result = grader.grade(exercise, program, student=student, seed=SEED)
    book.add_grade(submission_id, result)
    return result
