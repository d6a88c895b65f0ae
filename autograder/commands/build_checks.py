"""What `gdlab build` checks before it writes anything: the TOML agrees with the code beside it.

The schema (`exercise_schema`) checks exercise.toml on its own; these checks need the other
files of the folder:

* every mistake's edit applies to the solved script (each ``old`` text occurs exactly once,
  edit after edit), so a catalogue entry can never silently stop recognising its mistake;
* the lab's check cells agree with the TOML: one graded cell per quantity, calling
  ``check("<this exercise>", "<quantity>")`` and worth the quantity's points. (A lab that calls
  no ``check`` at all grades itself with its own assertions, as relu_network's does; it is
  left alone.)

Each problem is one line naming the file, what is wrong and what was expected.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from autograder.errors import UserError
from autograder.load.exercise import Exercise

#: A check cell's call, as the labs write it: ``gdlab.check("gradient_basic", "h")``.
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']\s*\)""")


class BuildCheckError(UserError):
    """An exercise's files disagree with each other (said in one line)."""


def check_mistakes(exercise: Exercise, reference: str, toml: Path) -> None:
    """Every mistake's edits apply, in order, to `reference` (the solved script)."""
    for mistake in exercise.mistakes:
        text = reference
        for number, (old, new) in enumerate(mistake.edits, start=1):
            count = text.count(old)
            if count != 1:
                which = (
                    f"edit {number} of {len(mistake.edits)}"
                    if len(mistake.edits) > 1
                    else "its edit"
                )
                raise BuildCheckError(
                    f"{toml}: mistake {mistake.name!r}: {which} does not apply: "
                    f"{_short(old)} occurs {count} times in {exercise.script} "
                    "(it must occur exactly once)"
                )
            text = text.replace(old, new)
        if text == reference:
            raise BuildCheckError(
                f"{toml}: mistake {mistake.name!r}: its edits leave {exercise.script} unchanged"
            )


def check_notebook(exercise: Exercise, notebook: Path) -> None:
    """The lab's graded check cells match the TOML's quantities, exercise and points."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BuildCheckError(f"{notebook}: not a readable notebook ({error})") from None
    seen: dict[str, float] = {}
    for cell in cells:
        for exercise_id, quantity in CHECK_CALL.findall(_source(cell)):
            where = f"{notebook}: check cell for {quantity!r}"
            if exercise_id != exercise.id:
                raise BuildCheckError(
                    f"{where} names exercise {exercise_id!r}, not {exercise.id!r}"
                )
            if quantity not in exercise.quantity_exprs:
                raise BuildCheckError(
                    f"{where}: exercise.toml has no such quantity "
                    f"(it has {', '.join(exercise.quantity_exprs)})"
                )
            if quantity in seen:
                raise BuildCheckError(f"{where}: the quantity is checked twice")
            nbgrader = cell.get("metadata", {}).get("nbgrader", {})
            if not nbgrader.get("grade"):
                raise BuildCheckError(f"{where} is not an nbgrader graded cell")
            points = float(nbgrader.get("points", 0))
            if points != exercise.cell_points(quantity):  # its quantity's and its steps'
                raise BuildCheckError(
                    f"{where} is worth {points:g} points; exercise.toml says "
                    f"{exercise.cell_points(quantity):g}"
                )
            seen[quantity] = points
    # An optional quantity is worth nothing, so it needs no graded cell.
    missing = [q.name for q in exercise.quantities if not q.optional and q.name not in seen]
    if missing and seen:
        raise BuildCheckError(
            f"{notebook}: no check cell for {', '.join(missing)} "
            f"(add a graded cell calling check({exercise.id!r}, ...))"
        )


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _short(text: str, width: int = 60) -> str:
    shown = repr(text)
    return shown if len(shown) <= width else shown[: width - 1] + "…"
