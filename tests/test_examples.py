"""The example classes grade as examples/expected.toml says: one data file, one test."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from autograder.judge.grader import Grader
from autograder.judge.grading import FULL_MARKS
from autograder.load import exercise as exercises
from autograder.load import submission
from tests.helpers import REPO, tiny_data

EXAMPLES = REPO / "examples"
EXPECTED = tomllib.loads((EXAMPLES / "expected.toml").read_text(encoding="utf-8"))
#: The hidden cases the expectations were written for.
SEED = 5


def test_every_example_file_has_an_expectation():
    files = {f"{p.parent.name}/{p.name}" for p in EXAMPLES.glob("*/*.py")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_the_example_gets_the_grade_its_data_file_says(
    example: str, grader: Grader, tmp_path: Path
):
    expected = EXPECTED[example]
    exercise = exercises.get(example.split("/")[0])
    data = tiny_data(tmp_path) if exercise.published else None
    result = grader.grade(exercise, submission.load(EXAMPLES / example), seed=SEED, data=data)
    assert (result.score, result.mistakes) == (expected["score"], expected["mistakes"])
    assert (result.verdict == FULL_MARKS) == (expected["score"] == exercise.max_score)
    if "says" in expected:
        assert any(expected["says"] in (run.problem or "") for run in result.runs), [
            run.problem for run in result.runs
        ]
