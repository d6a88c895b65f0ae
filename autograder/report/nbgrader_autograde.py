"""`nbgrader autograde` with gdlab's score, taken outside the student's kernel.

nbgrader scores a test cell by what the cell left in the notebook after the student's kernel ran
it: a number is partial credit, no error is full credit. Whatever computes that number in the
kernel shares the kernel with the student's cells, so a notebook that replaces
``autograder.notebook.check`` with ``lambda *a: 20`` would get full marks. So the score is not
computed there. This preprocessor runs in nbgrader's own process after the notebook has been
executed and before `SaveAutoGrades` reads the cells: it grades the notebook's program with
gdlab's engine and sandbox (hidden cases, the class seed from gdlab's gradebook), exactly as
``gdlab grade`` does, and writes each quantity's points into its check cell (``check-<name>``)
as the cell's only result. Nothing the kernel printed, returned or raised in a check cell
survives, so nothing a student's cell does to the kernel changes a score.

The course's ``nbgrader_config.py`` puts it in the pipeline::

    from autograder.report.nbgrader_autograde import configure
    configure(get_config())
"""

from __future__ import annotations

import atexit
import copy
import warnings
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

from autograder.judge.checks import Grade
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import intake
from autograder.load.submission import SubmissionError

CHECK_PREFIX = "check-"
_shared: dict[str, Grader] = {}


def configure(config: Any) -> None:
    """Insert `GdlabScores` into ``Autograde.autograde_preprocessors``, before SaveAutoGrades."""
    from nbgrader.converters import Autograde

    section = config.Autograde
    steps = list(
        section["autograde_preprocessors"]
        if "autograde_preprocessors" in section
        else Autograde.class_traits()["autograde_preprocessors"].default()
    )
    if GdlabScores not in steps:
        steps.insert(
            steps.index(SaveAutoGrades) if SaveAutoGrades in steps else len(steps), GdlabScores
        )
    config.Autograde.autograde_preprocessors = steps


class GdlabScores(NbGraderPreprocessor):
    """Each gdlab check cell's output becomes gdlab's points for its quantity (see above)."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        assignment = resources["nbgrader"]["assignment"]
        if assignment not in exercises.available():
            return nb, resources  # not a gdlab lab: nbgrader as usual
        exercise = exercises.get(assignment)
        name = Path(resources["nbgrader"]["notebook"]).with_suffix(".ipynb")
        result, refused = _grade(exercise, nb, name)
        by_quantity = {q.name: q for q in exercise.quantities}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = str(meta.get("grade_id", ""))
            if not meta.get("grade") or meta.get("solution") or cell.cell_type != "code":
                continue
            quantity = grade_id.removeprefix(CHECK_PREFIX)
            if not grade_id.startswith(CHECK_PREFIX) or quantity not in by_quantity:
                self.log.warning("%s: test cell %s is not a gdlab check; scored 0", name, grade_id)
                cell.outputs = [_text("not a gdlab check: no points"), _points(0.0)]
                continue
            worth = float(meta.get("points", exercise.cell_points(quantity)))
            if result is None:
                cell.outputs = [_text(f"{quantity}: not graded: {refused}"), _points(0.0)]
                continue
            checks = [c for c in result.checks if exercise.cell_of(c.quantity) == quantity]
            points = min(round(sum(c.score for c in checks), 6), worth)
            right = sum(c.passed for c in checks)
            cell.outputs = [
                _text(
                    f"{quantity}: right in {right} of {len(checks)} cases (the published one and "
                    f"hidden ones): {points:g} of {worth:g} points (graded by gdlab outside the "
                    "notebook's kernel)"
                ),
                _points(points),
            ]
        return nb, resources


def _grade(exercise: exercises.Exercise, nb: Any, name: Path) -> tuple[Grade | None, str]:
    """gdlab's grade of the notebook's program (its outputs left out), or why there is none."""
    from autograder.record.gradebook import Gradebook

    bare = copy.deepcopy(nb)
    for cell in bare.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    try:
        program = intake.program(name, nbformat.writes(bare).encode("utf-8"))
    except SubmissionError as error:
        return None, str(error)
    with Gradebook() as book:
        seed = book.class_seed(exercise.id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _grader().submit(exercise, program, seed=seed), ""


def _grader() -> Grader:
    """One Grader, so one sandbox, for the whole autograde run (booting one costs a third of a
    second), closed when nbgrader's process ends."""
    if "one" not in _shared:
        _shared["one"] = Grader()
        atexit.register(_shared["one"].close)
    return _shared["one"]


def _text(message: str) -> Any:
    return nbformat.v4.new_output("stream", name="stdout", text=message + "\n")


def _points(points: float) -> Any:
    return nbformat.v4.new_output(
        "execute_result", data={"text/plain": repr(float(points))}, execution_count=None
    )
