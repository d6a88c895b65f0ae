"""The lab's check cells: a TEST RUN inside Jupyter, and gdlab's own score inside nbgrader.

Every graded cell of a lab reads::

    from autograder import notebook as gdlab
    ### BEGIN HIDDEN TESTS
    gdlab.grade_hidden_cases()
    ### END HIDDEN TESTS
    gdlab.check("gradient_basic", "h")

In the student's notebook (and ``nbgrader validate``) the hidden lines are gone: `check` looks at
the student's variables on the published values, with the same comparison, carried-forward
credit and named mistakes as ``gdlab run``, and fails the cell with a teaching message.

When nbgrader autogrades, the hidden line switches `check` to grading: it grades the submitted
notebook file (nbgrader runs the kernel beside it) exactly as ``gdlab grade`` does — same
engine, sandbox, hidden cases and class seed — and returns the quantity's points as the cell's
value, which nbgrader takes as partial credit. So both give the same scores, and the cell shows
no hidden input and no formula, only how many cases were right.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Any

from autograder import exercise as exercises
from autograder.grading import Grade, check_case, grade
from autograder.sandbox import RunResult
from autograder.values import Value, describe

_state = {"grading": False}
_GRADES: dict[tuple[str, str], Grade] = {}


def grade_hidden_cases() -> None:
    """Switch the following checks to grading mode (only nbgrader's hidden tests call this)."""
    _state["grading"] = True


def check(exercise_id: str, quantity: str) -> float | None:
    """Check one quantity: the published case for a student, every case when grading."""
    exercise = exercises.get(exercise_id)
    if quantity not in exercise.quantity_exprs:
        raise ValueError(f"{exercise_id} has no quantity {quantity!r}")
    if _state["grading"]:
        return _graded_points(exercise, quantity)
    _published_check(exercise, quantity, _user_namespace())
    return None


def _user_namespace() -> dict[str, Any]:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        return shell.user_ns
    return sys._getframe(3).f_globals  # plain Python: the module that called check()


def _published_check(exercise: exercises.Exercise, quantity: str, scope: dict[str, Any]) -> None:
    from autograder.diagnose import oracle_for

    values = {q.name: _value(scope, q.expr) for q in exercise.quantities}
    oracle = oracle_for(exercise, exercise.published_case(_local_data(exercise)))
    run = RunResult(status="finished", values=values)
    result = next(c for c in check_case(oracle, run, None, 1) if c.quantity == quantity)
    if result.passed:
        note = f" ({result.message})" if result.carried_forward else ""
        print(f"✓ {quantity} = {result.received}{note}")
        return
    lines = [f"✗ {quantity}: {result.message}",
             f"  expected {result.expected}", f"  received {result.received}"]
    if result.mistake:
        lines.append(f"  {result.mistake}: {result.hint}")
    if exercise.steps:  # the lines inside the loop are checked where they run, by a TEST RUN
        lines.append(f"  Which line? `gdlab run {exercise.id} {exercise.notebook}` checks each "
                     "step inside the training loop (save the notebook first).")
    raise AssertionError("\n".join(lines))


def _value(scope: dict[str, Any], expr: str) -> Value:
    try:
        if expr.isidentifier():
            return Value.from_plain(describe(scope[expr])) if expr in scope else Value.missing()
        return Value.from_plain(describe(eval(expr, scope)))
    except Exception:
        return Value.missing()


def _local_data(exercise: exercises.Exercise) -> Path | None:
    """The data file beside the notebook, if the student has one (their data_prep reads it)."""
    if exercise.published is None:
        return None
    local = Path.cwd() / exercise.published.data
    return local if local.is_file() else None


def _graded_points(exercise: exercises.Exercise, quantity: str) -> float:
    from autograder import submission
    from autograder.gradebook import Gradebook

    path = _submitted_notebook(exercise)
    program = submission.load(path)
    key = (exercise.id, program.sha256)
    if key not in _GRADES:
        quiet = logging.getLogger("gdlab")
        quiet.addHandler(logging.NullHandler())  # nbgrader scores a cell with stderr output as 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Gradebook() as book:
                seed = book.class_seed(exercise.id)
            _GRADES[key] = grade(exercise, program, seed=seed)
    checks = [c for c in _GRADES[key].checks if exercise.cell_of(c.quantity) == quantity]
    points = sum(c.score for c in checks)
    right = sum(c.passed for c in checks)
    print(f"{quantity}: right in {right} of {len(checks)} cases (the published one and hidden "
          f"ones): {points:g} of {sum(c.max_score for c in checks):g} points")
    return round(points, 6)


def _submitted_notebook(exercise: exercises.Exercise) -> Path:
    """nbgrader runs the kernel in the submission's folder: the lab is there."""
    named = Path.cwd() / exercise.notebook
    if named.is_file():
        return named
    found = sorted(Path.cwd().glob("*.ipynb"))
    if len(found) == 1:
        return found[0]
    raise FileNotFoundError(f"cannot find {exercise.notebook} in {Path.cwd()} to grade")
