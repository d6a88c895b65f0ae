"""One source of truth: release/ and solutions/ are built from source/ and checked for drift."""

from __future__ import annotations

import shutil

import pytest

from autograder.commands.build import BuildError, solved, stale, stubbed
from tests.helpers import REPO

MARKED = """x = 1
# TODO: the answer
### BEGIN SOLUTION
a = b = x + 1
### END SOLUTION
for i in range(2):
    ### BEGIN SOLUTION
    total: int = i
    ### END SOLUTION
print(a)
"""


def test_stub_replaces_each_solution_with_none_for_every_name_it_assigns():
    assert stubbed(MARKED) == (
        "x = 1\n# TODO: the answer\na = None\nb = None\n"
        "for i in range(2):\n    total = None\nprint(a)\n"
    )


def test_solved_keeps_the_solution_and_drops_the_markers():
    assert "###" not in solved(MARKED) and "a = b = x + 1" in solved(MARKED)


@pytest.mark.parametrize(
    "broken",
    [
        "### BEGIN SOLUTION\na = 1\n",
        "a = 1\n### END SOLUTION\n",
        "### BEGIN SOLUTION\nprint(1)\n### END SOLUTION\n",
    ],
)
def test_malformed_markers_are_build_errors(broken):
    with pytest.raises(BuildError):
        stubbed(broken)


@pytest.mark.slow
def test_release_and_solutions_are_in_sync_with_source():
    assert stale(REPO) == []


@pytest.mark.slow
def test_drift_is_detected(tmp_path):
    copy = tmp_path / "repo"
    for part in ("source", "release", "solutions"):
        shutil.copytree(REPO / part, copy / part)
    target = copy / "release" / "gradient_basic" / "gradient.py"
    target.write_text(target.read_text() + "\n# edited by hand\n")
    (copy / "solutions" / "gradient_basic" / "exercise.toml").unlink()
    shipped = copy / "release" / "gradient_basic" / "published.json"  # course mode's values
    shipped.write_text(shipped.read_text().replace("0.689974481128", "0.68997448"))
    assert sorted(stale(copy)) == [
        "release/gradient_basic/gradient.py is out of date",
        "release/gradient_basic/published.json is out of date",
        "solutions/gradient_basic/exercise.toml is missing",
    ]
