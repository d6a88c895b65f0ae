"""nbgrader autograde gives every lab gdlab's scores, and takes none from the student's kernel.

Every lab is one assignment of one nbgrader course, graded by one `nbgrader autograde` and one
`gdlab grade` (each command's start-up paid once, not once a lab). Its own module, so that under
pytest-xdist (`--dist loadfile`) the course is built by one worker while the other runs the rest
of the notebook tests.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.load import exercise as exercises
from tests.helpers import REPO, filled_release, gdlab, nbgrader

ALL = exercises.available()


#: The labs whose parity run also has a notebook that crashes and one that does not compile.
FAILING_LABS = ("gradient_basic", "backprop")


def varied_answers(exercise: exercises.Exercise, released: dict) -> dict[str, dict]:
    """Kinds of student notebook, one of each: right, untouched and catalogued mistakes in two
    graded cells, for every lab (each lab's cells and points are its own); a crash and a syntax
    error for one quiz lab and one training lab (a program that fails is scored by the same code
    whatever the lab). Every catalogued mistake is graded and named by test_grading, and a
    notebook and a script with the same mistake get the same grade (test_notebooks); here a
    mistake in each of two cells proves that nbgrader gives a cell gdlab's points."""
    answers = {"right": filled_release(exercise), "untouched": released}
    cells: dict[str, exercises.Mistake] = {}
    for mistake in exercise.mistakes:
        cells.setdefault(exercise.cell_of(mistake.quantity), mistake)
    for number, mistake in enumerate(list(cells.values())[:2]):
        answers[f"mistake{number}"] = filled_release(exercise, dict(mistake.edits))
    if exercise.id not in FAILING_LABS:
        return answers
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


def cheating_answers(released: dict, exercise: exercises.Exercise) -> dict[str, dict]:
    """A first answer cell that replaces `check` with one returning full points: on the
    untouched release (mallory) and on a right answer (ada)."""
    cheat = (
        "try:\n"
        "    import autograder.notebook\n"
        "    autograder.notebook.check = lambda exercise_id, quantity: 20.0\n"
        "    autograder.notebook.grade_hidden_cases = lambda: None\n"
        "except ImportError:  # the sandbox: nothing to patch there\n"
        "    pass\n"
    )
    answers = {"mallory": copy.deepcopy(released), "ada": filled_release(exercise)}
    for notebook in answers.values():
        first = next(
            c
            for c in notebook["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")
        )
        first["source"] = cheat + "".join(first["source"])
    return answers


@dataclass
class Autograded:
    """One nbgrader course holding every lab, autograded by nbgrader and graded by gdlab."""

    course: Path
    answers: dict[str, dict[str, dict]]  # exercise -> student -> notebook
    nbgrader_scores: dict[tuple[str, str], float]  # (exercise, student) -> score
    gdlab_scores: dict[tuple[str, str], float]
    mallorys_first_cell: float  # nbgrader's auto score of mallory's check-h cell


@pytest.fixture(scope="module")
def autograded(tmp_path_factory: pytest.TempPathFactory) -> Autograded:
    """Every lab in one nbgrader course: one `generate_assignment`, one `autograde` and one
    `gdlab grade` over all of them (each command's start-up paid once, not once a lab)."""
    root = tmp_path_factory.mktemp("nbgrader")
    course, home = root / "course", root / "gdlab-home"  # one gdlab home: one class seed
    for exercise_id in ALL:
        shutil.copytree(
            REPO / "source" / exercise_id,
            course / "source" / exercise_id,
            ignore=shutil.ignore_patterns("*.py", "*.toml"),
        )
    shutil.copy(REPO / "nbgrader_config.py", course)  # gdlab's scores, outside the kernel
    env = {"GDLAB_HOME": str(home)}
    nbgrader("generate_assignment", "*", "--force", cwd=course, env=env)
    answers: dict[str, dict[str, dict]] = {}
    for exercise_id in ALL:
        exercise = exercises.get(exercise_id)
        released = course / "release" / exercise.id / exercise.notebook
        assert (
            released.read_text() == (REPO / "release" / exercise.id / exercise.notebook).read_text()
        )
        answers[exercise_id] = varied_answers(exercise, json.loads(released.read_text()))
        if exercise_id == "gradient_basic":
            answers[exercise_id] |= cheating_answers(json.loads(released.read_text()), exercise)
        for student, notebook in answers[exercise_id].items():
            folder = course / "submitted" / student / exercise.id
            folder.mkdir(parents=True)
            (folder / exercise.notebook).write_text(json.dumps(notebook))
    nbgrader("autograde", "*", "--force", cwd=course, env=env, timeout=1800)  # whole labs
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        nbgrader_scores = {
            (e, s): book.find_submission(e, s).score for e in answers for s in answers[e]
        }
        basic = exercises.get("gradient_basic")
        notebook = Path(basic.notebook).stem
        first_cell = book.find_grade("check-h", notebook, basic.id, "mallory")
        mallorys_first_cell = first_cell.auto_score
    done = gdlab("grade", str(course), "--out", str(root / "grades.csv"), home=home)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader((root / "grades.csv").open()))
    gdlab_scores = {(r["exercise"], r["student"]): float(r["score"]) for r in rows}
    return Autograded(course, answers, nbgrader_scores, gdlab_scores, mallorys_first_cell)


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", ALL)
def test_nbgrader_autograde_gives_gdlabs_scores(exercise_id, autograded):
    """Same engine, same hidden cases: nbgrader's partial credit per cell is gdlab's score."""
    students = autograded.answers[exercise_id]
    assert len(students) >= (6 if exercise_id in FAILING_LABS else 4)
    nbgrader_scores = {s: autograded.nbgrader_scores[exercise_id, s] for s in students}
    gdlab_scores = {s: autograded.gdlab_scores[exercise_id, s] for s in students}
    assert gdlab_scores == pytest.approx(nbgrader_scores)
    assert nbgrader_scores["right"] == 100 and nbgrader_scores["untouched"] == 0
    assert nbgrader_scores["mistake0"] < 100 and nbgrader_scores["mistake1"] < 100
    assert len(set(nbgrader_scores.values())) >= 3


@pytest.mark.slow
def test_nbgrader_autograde_takes_no_score_from_the_students_kernel(autograded):
    """A first answer cell that replaces `check` with one returning full points gets 0."""
    assert autograded.nbgrader_scores["gradient_basic", "mallory"] == 0
    # the patch changes nothing either way: a right answer keeps its full marks
    assert autograded.nbgrader_scores["gradient_basic", "ada"] == 100
    assert autograded.mallorys_first_cell == 0
