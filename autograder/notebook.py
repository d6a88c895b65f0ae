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

When nbgrader autogrades, the hidden line switches `check` off: the kernel is the student's, so
nothing computed in it can be a score (a cell of theirs could replace `check` itself). The
course's ``nbgrader_config.py`` adds gdlab's preprocessor (`autograder.report.nbgrader_autograde`),
which grades the submitted notebook outside the kernel exactly as ``gdlab grade`` does — same
engine, sandbox, hidden cases and class seed — and writes each quantity's points into its cell.
In the kernel, `check` then returns 0: an autograde run without that preprocessor gives 0, never
marks nobody earned. The kernel never opens the gradebook (its secret seeds the hidden cases).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

from autograder.load import exercise as exercises
from autograder.run.describe import describe
from autograder.run.values import Value

_state = {"grading": False}


def submit(exercise_id: str) -> None:
    """SUBMIT the saved lab to the course server (course mode)."""
    from autograder.server.client import lab_submit

    lab_submit(exercise_id)


def grade_hidden_cases() -> None:
    """Switch the following checks to grading mode (only nbgrader's hidden tests call this)."""
    _state["grading"] = True


def check(exercise_id: str, quantity: str) -> float | None:
    """Check one quantity: the published case for a student, every case when grading.

    With a course server configured (``GDLAB_SERVER``), the check is a TEST RUN on the server;
    in course mode without one, a TEST RUN against the published values the release ships."""
    if not _state["grading"] and _on_server_or_offline(exercise_id, quantity):
        return None
    exercise = exercises.get(exercise_id)
    if quantity not in exercise.quantity_exprs:
        raise ValueError(f"{exercise_id} has no quantity {quantity!r}")
    if _state["grading"]:
        return _graded_points(exercise, quantity)
    _published_check(exercise, quantity, _user_namespace())
    return None


def _on_server_or_offline(exercise_id: str, quantity: str) -> bool:
    """The check on the course server when one is configured; in course mode without a
    reachable server, offline against the shipped published values (`commands.offline`).
    False: a self-study check, in this kernel."""
    from autograder import mode
    from autograder.server.client import Unreachable, configured, lab_check, show_check

    server, course = configured(), mode.course()
    if server is not None:
        try:
            lab_check(server, exercise_id, quantity)
            return True
        except Unreachable:
            if not course:
                raise
    if not course:
        return False
    from autograder.commands.offline import lab_result

    where = "published values shipped with the release, offline: mistake names need the server"
    show_check(lab_result(exercise_id), exercise_id, quantity, where)
    return True


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
    from autograder.judge.grader import Grader

    values = {q.name: _value(scope, q.expr) for q in exercise.quantities}
    with Grader(data=_local_data(exercise)) as grader:  # the kernel's values: no sandbox
        result = grader.check_values(exercise, quantity, values)
    if result.passed:
        note = f" ({result.message})" if result.carried_forward else ""
        print(f"✓ {quantity} = {result.received}{note}")
        return
    lines = [
        f"✗ {quantity}: {result.message}",
        *_wrapped(f"expected {result.expected}"),
        *_wrapped(f"received {result.received}"),
    ]
    if result.mistake:
        lines += _wrapped(f"{result.mistake}: {result.hint}")
    if exercise.steps:  # the lines inside the loop: the saved notebook's TEST RUN shows them
        from autograder.report.lab_steps import step_lines

        lines += step_lines(exercise, quantity, result.received, _local_data(exercise))
    raise CheckFailed("\n".join(lines)) from None


class CheckFailed(AssertionError):
    """A check cell's teaching message, shown without a traceback through gdlab.

    IPython (and so Jupyter and ``nbgrader validate``) shows what `_render_traceback_` returns
    instead of the traceback; it stays an AssertionError, so nbgrader still fails the cell.
    """

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


#: nbgrader validate cuts each line of an error at 87 characters (its width 90, minus "...").
_LINE = 80


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(
        text, _LINE, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False
    )


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
    """Under `nbgrader autograde`: no score from the student's kernel (see the module doc)."""
    print(f"{quantity}: graded by gdlab outside this kernel (nbgrader_config.py)")
    return 0.0
