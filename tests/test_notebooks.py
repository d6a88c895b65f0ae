"""The notebook lab: graded like the script, and a working nbgrader assignment."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from autograder.load import exercise as exercises
from tests.helpers import REPO, filled_release, nbgrader, source_notebook, tiny_data

ALL = exercises.available()
#: The training labs' solved notebooks train fully on every case (10-40 s each on a busy machine).
ALL_TRAINED_SLOW = [
    pytest.param(e, marks=pytest.mark.slow) if exercises.get(e).training else e for e in ALL
]


@pytest.mark.parametrize("exercise_id", ALL_TRAINED_SLOW)
def test_the_solved_notebook_gets_full_marks(exercise_id, grade_text):
    exercise = exercises.get(exercise_id)
    result = grade_text(exercise, source_notebook(exercise), suffix=".ipynb")
    assert result.score == exercise.max_score, [c.message for c in result.checks if not c.passed]


@pytest.mark.parametrize("exercise_id", ALL)
def test_notebook_and_script_with_the_same_mistake_get_the_same_grade(
    exercise_id, grade_text, tmp_path
):
    exercise = exercises.get(exercise_id)
    mistake = exercise.mistakes[0]
    notebook = json.dumps(filled_release(exercise, dict(mistake.edits)))
    # A published data file (a training lab's) made tiny: the form, not the data, is tested.
    data = tiny_data(tmp_path) if exercise.published else None
    as_notebook = grade_text(exercise, notebook, seed=9, suffix=".ipynb", data=data)
    as_script = grade_text(exercise, mistake.apply(exercise.reference), seed=9, data=data)
    assert as_notebook.score == as_script.score < exercise.max_score
    assert as_notebook.mistakes == as_script.mistakes == [mistake.name]


@pytest.mark.parametrize("exercise_id", ALL)
def test_the_untouched_release_notebook_gets_zero(exercise_id, grade_text):
    exercise = exercises.get(exercise_id)
    stub = (REPO / "release" / exercise.id / exercise.notebook).read_text()
    result = grade_text(exercise, stub, suffix=".ipynb")
    assert result.score == 0
    assert (result.runs[0].problem or "").startswith("not done yet: cell ")
    assert "still raises NotImplementedError" in (result.runs[0].problem or "")


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", ALL)
def test_the_solved_lab_runs_top_to_bottom_in_a_real_kernel(exercise_id, tmp_path):
    """Execute the source notebook in a Jupyter kernel, as a student pressing Run All."""
    import nbclient
    import nbformat

    exercise = exercises.get(exercise_id)
    for name in exercise.files:
        shutil.copy(exercise.folder / name, tmp_path / name)
    (tmp_path / exercise.notebook).write_text(source_notebook(exercise))  # graded beside itself
    notebook = nbformat.reads(source_notebook(exercise), as_version=4)
    nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert errors == []
    if exercise.training:
        images = [
            o
            for c in notebook.cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})
        ]
        assert images, "a training lab plots its loss curve"


@pytest.mark.slow
def test_nbgrader_validate_is_the_students_test_run(tmp_path):
    exercise = exercises.get("gradient_basic")
    flip = exercise.mistakes[2]
    right, wrong = tmp_path / "right.ipynb", tmp_path / "wrong.ipynb"
    right.write_text(json.dumps(filled_release(exercise)))
    wrong.write_text(json.dumps(filled_release(exercise, dict(flip.edits))))
    assert (
        "Success! Your notebook passes all the tests."
        in nbgrader("validate", str(right), cwd=tmp_path).stdout
    )
    failed = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", str(wrong)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert flip.name in failed.stdout and "expected -0.18997448" in failed.stdout
    # The whole hint, wrapped within nbgrader's width (it cuts longer lines with "..."), and no
    # traceback through gdlab before it.
    assert " ".join(flip.hint.split()) in " ".join(failed.stdout.split())
    assert "autograder/notebook.py" not in failed.stdout and "Traceback" not in failed.stdout
