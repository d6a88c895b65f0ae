"""The notebook lab: graded like the script, and a working nbgrader assignment."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.commands.build import solved
from autograder.load import exercise as exercises
from tests.helpers import REPO

ALL = exercises.available()
#: The training labs' solved notebooks train fully on every case (10-40 s each on a busy machine).
ALL_TRAINED_SLOW = [
    pytest.param(e, marks=pytest.mark.slow) if exercises.get(e).training else e for e in ALL
]


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


@pytest.mark.parametrize("exercise_id", ALL_TRAINED_SLOW)
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


def nbgrader(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # nbgrader runs `alembic` from PATH to create its database: put this Python's bin/ first.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PATH": path},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def make_course(tmp_path: Path, exercise: exercises.Exercise) -> Path:
    """An nbgrader course with the exercise's source notebook, released."""
    course = tmp_path / "course"
    shutil.copytree(
        REPO / "source" / exercise.id,
        course / "source" / exercise.id,
        ignore=shutil.ignore_patterns("*.py", "*.toml"),
    )
    shutil.copy(REPO / "nbgrader_config.py", course)  # gdlab's scores, outside the kernel
    nbgrader("generate_assignment", exercise.id, "--force", cwd=course)
    return course


def varied_answers(exercise: exercises.Exercise, released: dict) -> dict[str, dict]:
    """Kinds of student notebook: right, catalogued mistakes, stub, broken. nbgrader runs each
    lab whole, so a training lab (seconds to train in a kernel) brings two mistakes, the others
    ten: the suite stays within its budget."""
    answers = {"right": filled_release(exercise), "untouched": released}
    mistakes = exercise.mistakes[: 2 if exercise.training else 10]
    for number, mistake in enumerate(mistakes):
        answers[f"mistake{number}"] = filled_release(exercise, dict(mistake.edits))
    assigned = [
        line.split(" = ")[0].strip()
        for region in re.findall(
            r"### BEGIN SOLUTION\n(.*?)### END SOLUTION",
            (REPO / "source" / exercise.id / exercise.script).read_text(encoding="utf-8"),
            re.S,
        )
        for line in region.splitlines()
        if re.match(r"\s*\w+ = ", line)
    ]
    first, third = assigned[0], assigned[2]  # names bound in the solution cells
    answers["crash"] = filled_release(exercise, {f"{third} =": f"{third} = undefined_name +"})
    answers["syntax"] = filled_release(exercise, {f"{first} =": f"{first} = ("})
    return answers


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", ALL)
def test_nbgrader_autograde_gives_gdlabs_scores(exercise_id, tmp_path):
    """Same engine, same hidden cases: nbgrader's partial credit per cell is gdlab's score."""
    exercise = exercises.get(exercise_id)
    course = make_course(tmp_path, exercise)
    released = course / "release" / exercise.id / exercise.notebook
    assert released.read_text() == (REPO / "release" / exercise.id / exercise.notebook).read_text()
    answers = varied_answers(exercise, json.loads(released.read_text()))
    assert len(answers) >= 6
    for student, notebook in answers.items():
        folder = course / "submitted" / student / exercise.id
        folder.mkdir(parents=True)
        (folder / exercise.notebook).write_text(json.dumps(notebook))
    nbgrader("autograde", exercise.id, "--force", cwd=course, timeout=1800)  # whole labs
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        nbgrader_scores = {s: book.find_submission(exercise.id, s).score for s in answers}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(course),
            "--out",
            str(tmp_path / "grades.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = (tmp_path / "grades.csv").read_text().splitlines()[1:]
    gdlab_scores = {r.split(",")[0]: float(r.split(",")[2]) for r in rows}
    assert gdlab_scores == pytest.approx(nbgrader_scores)
    assert nbgrader_scores["right"] == 100 and nbgrader_scores["untouched"] == 0
    assert len(set(nbgrader_scores.values())) >= (3 if exercise.training else 4)


@pytest.mark.slow
def test_nbgrader_autograde_takes_no_score_from_the_students_kernel(tmp_path):
    """A first answer cell that replaces `check` with one returning full points gets 0."""
    exercise = exercises.get("gradient_basic")
    course = make_course(tmp_path, exercise)
    released = json.loads((course / "release" / exercise.id / exercise.notebook).read_text())
    cheat = (
        "try:\n"
        "    import autograder.notebook\n"
        "    autograder.notebook.check = lambda exercise_id, quantity: 20.0\n"
        "    autograder.notebook.grade_hidden_cases = lambda: None\n"
        "except ImportError:  # the sandbox: nothing to patch there\n"
        "    pass\n"
    )
    patched = copy.deepcopy(released)
    first = next(
        c for c in patched["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    )
    first["source"] = cheat + "".join(first["source"])
    cheating_right = filled_release(exercise)
    first_right = next(
        c
        for c in cheating_right["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    )
    first_right["source"] = cheat + "".join(first_right["source"])
    for student, notebook in (("mallory", patched), ("ada", cheating_right)):
        folder = course / "submitted" / student / exercise.id
        folder.mkdir(parents=True)
        (folder / exercise.notebook).write_text(json.dumps(notebook))
    nbgrader("autograde", exercise.id, "--force", cwd=course)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        assert book.find_submission(exercise.id, "mallory").score == 0
        # the patch changes nothing either way: a right answer keeps its full marks
        assert book.find_submission(exercise.id, "ada").score == 100
        cell = book.find_grade("check-h", Path(exercise.notebook).stem, exercise.id, "mallory")
        assert cell.auto_score == 0


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
