"""A training lab's failing check cell: the steps inside the loop, as TEST RUN checks them.

The kernel holds only what training left behind (the last record of the last epoch), so the
steps of the first epoch cannot be read from it. A failing check cell of a training lab runs the
notebook as last saved — the TEST RUN of ``gdlab run EXERCISE LAB.ipynb``: the published case
only, in the sandbox, traced inside the loop — and shows the steps that belong to its cell
(``part_of``) and any other step that slipped, each with quantity, expected, received and the
named mistake, as the basic labs' checks do. One run is kept per saved content, so the lab's
other check cells reuse it.

When the saved notebook ends training with another value than the kernel (edited and run, not
saved since), its steps are not the kernel's: the cell says to save instead of showing them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from autograder.judge.checks import Check, Grade
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import submission

#: nbgrader validate cuts each line of an error at 87 characters (its width 90, minus "...").
WIDTH = 80
#: Saved notebooks whose TEST RUN is kept (a lab has a handful of check cells).
_KEPT = 4
_RUNS: dict[tuple[str, bytes, str], Grade] = {}


def wrapped(text: str, indent: int = 2) -> list[str]:
    """`text` in lines of at most WIDTH, indented by `indent` (later lines two more)."""
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + 2),
        break_on_hyphens=False,
    )


def saved_lab(exercise: exercises.Exercise, folder: Path | None = None) -> Path | None:
    """The notebook the kernel runs beside: the exercise's, or the folder's only notebook."""
    folder = folder or Path.cwd()
    named = folder / exercise.notebook
    if named.is_file():
        return named
    found = sorted(folder.glob("*.ipynb"))
    return found[0] if len(found) == 1 else None


def step_lines(
    exercise: exercises.Exercise, quantity: str, kernel_received: str, data: Path | None
) -> list[str]:
    """What a failing check cell of a training lab adds below its own verdict: the steps
    inside the loop from the saved notebook's TEST RUN (or why they cannot be shown)."""
    pointer = wrapped(
        f"Which line? `gdlab run {exercise.id} {exercise.notebook}` checks each step inside "
        "the training loop (save the notebook first)."
    )
    path = saved_lab(exercise)
    if path is None:
        return pointer
    try:
        result = _test_run(exercise, submission.load(path), data)
    except Exception:  # a cell shows a teaching message, never a traceback through gdlab
        return pointer
    end = next((c for c in result.checks if c.quantity == quantity), None)
    if end is None or end.received != kernel_received:
        return wrapped(
            f"The notebook as last saved ends training with another {quantity} "
            f"({end.received if end else 'none'}): save it (Ctrl+S) and run this cell again "
            "to see which line inside the training loop slipped."
        )
    steps = [
        c
        for c in result.checks
        if c.quantity in {s.id for s in exercise.steps}
        and (exercise.cell_of(c.quantity) == quantity or not c.passed)
    ]
    if not steps:
        return []
    lines = wrapped(f"Inside the training loop ({path.name} as last saved, published case):")
    for check in steps:
        lines += _step(check)
    return lines


def _test_run(
    exercise: exercises.Exercise, program: submission.Program, data: Path | None
) -> Grade:
    key = (exercise.id, program.content, str(data))
    if key not in _RUNS:
        if len(_RUNS) >= _KEPT:
            _RUNS.pop(next(iter(_RUNS)))
        with Grader(data=data) as grader:  # a kernel keeps no sandbox between cells
            _RUNS[key] = grader.test_run(exercise, program)
    return _RUNS[key]


def _step(check: Check) -> list[str]:
    if check.passed:
        mark = "✓*" if check.carried_forward else "✓"
        note = f": {check.message}" if check.carried_forward else ""
        return wrapped(f"{mark} {check.quantity}{note}", 4)
    lines = wrapped(f"✗ {check.quantity}: {check.message}", 4)
    lines += wrapped(f"expected {check.expected}", 6)
    lines += wrapped(f"received {check.received}", 6)
    if check.mistake:
        lines += wrapped(f"{check.mistake}: {check.hint}", 6)
    return lines
