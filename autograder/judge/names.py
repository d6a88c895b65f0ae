"""Graded quantities under the lesson's other names, and intermediates a file may leave out.

The original quizzes had editions: the first called the output's error term `del_err_output`,
the later one `output_error_term`. `exercise.toml` lists such names as a quantity's `aliases`;
the worker is asked for them too, and a value found only under an alias is graded as the
quantity itself, with a one-line note of the lesson's name. An `optional` quantity (an
intermediate the original quiz did not ask for) is checked only when the file defines it.
"""

from __future__ import annotations

from dataclasses import replace

from autograder.load.exercise import Exercise, Quantity
from autograder.run.sandbox import RunResult
from autograder.run.values import Value

#: Separates a quantity from the alias it is asked for under, in a job's quantities.
SEPARATOR = "|"
#: Values that say "the file has no answer here".
ABSENT = ("missing", "none")


def job_quantities(exercise: Exercise) -> dict[str, str]:
    """What the worker evaluates: every quantity's expression, then each alias (a name)."""
    exprs = dict(exercise.quantity_exprs)
    for quantity in exercise.quantities:
        for alias in quantity.aliases:
            exprs[f"{quantity.name}{SEPARATOR}{alias}"] = alias
    return exprs


def resolve(exercise: Exercise, run: RunResult) -> tuple[RunResult, dict[str, str]]:
    """The run's values per quantity, an alias's value standing in for an absent one; and
    which quantities were found under which alias."""
    values: dict[str, Value] = {}
    found: dict[str, str] = {}
    for quantity in exercise.quantities:
        value = run.values.get(quantity.name, Value.missing())
        if value.kind in ABSENT:
            for alias in quantity.aliases:
                other = run.values.get(f"{quantity.name}{SEPARATOR}{alias}")
                if other is not None and other.kind not in ABSENT:
                    value, found[quantity.name] = other, alias
                    break
        values[quantity.name] = value
    return replace(run, values=values), found


def alias_note(quantity: Quantity, alias: str) -> str:
    return f"found as `{alias}`, an earlier name of the lesson's `{quantity.name}`"


def left_out(quantity: Quantity, value: Value) -> bool:
    """An optional intermediate the file does not define: no check at all."""
    return quantity.optional and value.kind in ABSENT
