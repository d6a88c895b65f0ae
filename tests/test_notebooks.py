"""The notebook lab: graded like the script, and a working nbgrader assignment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import exercise as exercises
from autograder.build import solved
from tests.conftest import REPO

ALL = exercises.available()


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


@pytest.mark.parametrize("exercise_id", ALL)
def test_the_solved_notebook_gets_full_marks(exercise_id, grade_text):
    exercise = exercises.get(exercise_id)
    result = grade_text(exercise, source_notebook(exercise), suffix=".ipynb")
    assert result.score == exercise.max_score, [c.message for c in result.checks if not c.passed]


@pytest.mark.parametrize("exercise_id", ALL)
def test_notebook_and_script_with_the_same_mistake_get_the_same_grade(exercise_id, grade_text):
    exercise = exercises.get(exercise_id)
    mistake = exercise.mistakes[0]
    notebook = json.dumps(filled_release(exercise, dict(mistake.edits)))
    as_notebook = grade_text(exercise, notebook, seed=9, suffix=".ipynb")
    as_script = grade_text(exercise, mistake.apply(exercise.reference), seed=9)
    assert as_notebook.score == as_script.score < exercise.max_score
    assert as_notebook.mistakes == as_script.mistakes == [mistake.name]


@pytest.mark.parametrize("exercise_id", ALL)
def test_the_untouched_release_notebook_gets_zero(exercise_id, grade_text):
    exercise = exercises.get(exercise_id)
    stub = (REPO / "release" / exercise.id / exercise.notebook).read_text()
    result = grade_text(exercise, stub, suffix=".ipynb")
    assert result.score == 0
    assert "NotImplementedError" in (result.runs[0].problem or "")


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", ALL)
def test_the_solved_lab_runs_top_to_bottom_in_a_real_kernel(exercise_id, tmp_path):
    """Execute the source notebook in a Jupyter kernel, as a student pressing Run All."""
    import nbclient
    import nbformat

    exercise = exercises.get(exercise_id)
    for name in exercise.files:
        shutil.copy(exercise.folder / name, tmp_path / name)
    notebook = nbformat.reads(source_notebook(exercise), as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    if exercise.training:
        images = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if "image/png" in o.get("data", {})]
        assert images, "a training lab plots its loss curve"


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # nbgrader runs `alembic` from PATH to create its database: put this Python's bin/ first.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=300, env={**os.environ, "PATH": path})
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.mark.slow
def test_nbgrader_generates_and_autogrades_the_source_notebook(tmp_path):
    """In a real nbgrader course: generate_assignment, then autograde three students."""
    exercise = exercises.get("gradient_basic")
    course = tmp_path / "course"
    shutil.copytree(REPO / "source" / exercise.id, course / "source" / exercise.id,
                    ignore=shutil.ignore_patterns("*.py", "*.toml"))
    nbgrader("generate_assignment", exercise.id, "--force", cwd=course)
    released = course / "release" / exercise.id / exercise.notebook
    assert released.read_text() == (REPO / "release" / exercise.id / exercise.notebook).read_text()
    flip = exercise.mistakes[2]
    answers = {"alice": filled_release(exercise), "carol": filled_release(
        exercise, dict(flip.edits)), "bob": json.loads(released.read_text())}
    for student, notebook in answers.items():
        folder = course / "submitted" / student / exercise.id
        folder.mkdir(parents=True)
        (folder / exercise.notebook).write_text(json.dumps(notebook))
    nbgrader("autograde", exercise.id, "--force", cwd=course)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        scores = {s: book.find_submission(exercise.id, s).score for s in answers}
    assert scores["alice"] == 100
    assert scores["bob"] == 0
    assert 0 < scores["carol"] < 100
