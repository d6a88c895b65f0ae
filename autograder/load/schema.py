"""The schema of ``exercise.toml``: every key an exercise may have, its type, default and meaning.

An exercise is data, so its data is checked where it is read: an unknown key (``rtoll``), a
misspelt distribution or a bad value (a negative tolerance, a time limit of 0, a size that is not
a range) stops the load with one line naming the file, the key and, for a misspelling, the key
that was probably meant. The field descriptions are the reference documentation:
``docs/exercise-format.md`` is generated from them (``python -m autograder.commands.exercise_doc``).

Adding a key is one line in the model it belongs to::

    optional: bool = Field(False, description="What it means, for a course author.")

then read it where the exercise is built (``exercise.py``) and regenerate the page.

Longer than our ~300 lines on purpose: the models are the format's one declaration, read top to
bottom as the reference page is; the training keys (``training_schema.py``) and the wording of
errors (``spec_errors.py``) are already apart, and cutting the rest would scatter one table.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from autograder.load.spec_errors import Misnamed, SpecError, explain
from autograder.load.training_schema import StepSpec, TracePointSpec, check_steps

#: Bounds that catch typing slips without getting in an author's way.
MAX_TIME_S = 600.0
MAX_HIDDEN_CASES = 50


class _Spec(BaseModel):
    """Every table of the file: unknown keys are errors, values are checked strictly."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _size_range(value: Any) -> Any:
    if not (isinstance(value, list | tuple) and len(value) == 2):
        raise ValueError(f"a size is an inclusive range [low, high], e.g. [2, 7]; got {value!r}")
    low, high = value
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError(f"a size range holds whole numbers; got {value!r}")
    if not 0 <= low <= high:
        raise ValueError(f"a size range needs 0 <= low <= high; got {value!r}")
    return (low, high)


def _pair(value: Any) -> Any:
    if not (isinstance(value, list | tuple) and len(value) == 2):
        raise ValueError(f"expected two numbers [a, b]; got {value!r}")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise ValueError(f"expected two numbers [a, b]; got {value!r}")
    if not all(math.isfinite(v) for v in value):
        raise ValueError(f"bounds must be finite; got {value!r}")
    return tuple(value)


def _edits(value: Any) -> Any:
    """``[old, new]`` or ``[[old, new], ...]``, as a tuple of pairs."""
    pairs = (
        [value]
        if isinstance(value, list | tuple) and value and isinstance(value[0], str)
        else value
    )
    if not (isinstance(pairs, list | tuple) and pairs):
        raise ValueError("replace is [old, new] or a list of [old, new] pairs")
    for pair in pairs:
        if not (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(s, str) for s in pair)
        ):
            raise ValueError(f"replace is [old, new] or a list of [old, new] pairs; got {pair!r}")
        if not pair[0]:
            raise ValueError("the text to replace (old) is empty")
    return tuple((old, new) for old, new in pairs)


SizeRange = Annotated[tuple[int, int], BeforeValidator(_size_range)]
Pair = Annotated[tuple[float, float], BeforeValidator(_pair)]
Edits = Annotated[tuple[tuple[str, str], ...], BeforeValidator(_edits)]


class LimitsSpec(_Spec):
    """What one case may use, enforced from outside the student's process."""

    time: float = Field(
        2.0,
        gt=0,
        le=MAX_TIME_S,
        description="Wall-clock seconds per case, then the process is killed.",
    )
    memory_mb: int = Field(512, gt=0, description="Address space per case, in MiB.")
    output_bytes: int = Field(
        64_000, gt=0, description="What the program may print; the rest is cut off."
    )
    files_mb: int = Field(16, gt=0, description="The largest file the program may write, in MiB.")
    processes: int = Field(32, gt=0, description="Processes and threads the case may have at once.")


class QuantitySpec(_Spec):
    """One entry per value the student computes, in the program's order."""

    points: float = Field(
        ge=0,
        description="Points for this quantity, split evenly over the "
        "cases (the published one and the hidden ones); 0 only for an optional one.",
    )
    about: str = Field(
        "", description="What the value is, in the lesson's words (shown in feedback)."
    )
    expr: str | None = Field(
        None,
        description="What to evaluate in the student's namespace "
        "(default: the quantity's own name).",
    )
    aliases: list[str] = Field(
        default_factory=list,
        description="Other names the lesson used for it (its first edition's): a value found "
        "under one gets full credit and a note of the lesson's name.",
    )
    optional: bool = Field(
        False,
        description="An intermediate the original quiz did not ask for: worth no points, checked "
        "and used for diagnosis and carried-forward credit when the program defines it, never "
        "missed when it does not.",
    )

    @model_validator(mode="after")
    def _points_unless_optional(self) -> QuantitySpec:
        if self.points == 0 and not self.optional:
            raise ValueError("points must be greater than 0 (only an optional quantity has 0)")
        return self


class GivenSpec(_Spec):
    """How a hidden case draws one given value; exactly one distribution."""

    uniform: Pair | None = Field(None, description="[low, high]: uniformly distributed.")
    normal: Pair | None = Field(None, description="[mean, standard deviation].")
    integers: Pair | None = Field(None, description="[low, high]: whole numbers, both included.")
    shape: list[str | int] | None = Field(
        None,
        description="Sizes (numbers, or names from [cases] sizes). Absent: a plain "
        "Python number; []: a 0-d array.",
    )
    round: int | None = Field(
        None, ge=0, le=15, description="Decimals to keep, so hidden values read well in feedback."
    )
    aliases: list[str] = Field(
        default_factory=list,
        description="Other names a student's file may bind it to (`weights` for `w`).",
    )
    pandas: Literal["DataFrame", "Series"] | None = Field(
        None,
        description="Hand the value out as a pandas object, as the original lesson did "
        "(absent: a numpy array or number).",
    )
    columns: list[str] = Field(
        default_factory=list,
        description="With pandas: a DataFrame's column names (the first ones, as many as its "
        "columns), or a Series' name.",
    )

    @model_validator(mode="after")
    def _one_distribution(self) -> GivenSpec:
        chosen = [d for d in DISTRIBUTIONS if getattr(self, d) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"give exactly one distribution: {', '.join(DISTRIBUTIONS)}"
                + (f" (got {', '.join(chosen)})" if chosen else "")
            )
        low, high = getattr(self, chosen[0])
        if chosen[0] == "normal" and high < 0:
            raise ValueError(f"normal = [mean, sd] needs sd >= 0; got sd {high:g}")
        if chosen[0] != "normal" and low > high:
            raise ValueError(
                f"{chosen[0]} = [low, high] needs low <= high; got [{low:g}, {high:g}]"
            )
        if chosen[0] == "integers" and not (low == int(low) and high == int(high)):
            raise ValueError(f"integers = [low, high] takes whole numbers; got [{low:g}, {high:g}]")
        return self

    @property
    def distribution(self) -> str:
        return next(d for d in DISTRIBUTIONS if getattr(self, d) is not None)


DISTRIBUTIONS = ("uniform", "normal", "integers")


class CasesSpec(_Spec):
    """The hidden cases, where the given block gets drawn values instead."""

    hidden: int = Field(
        4,
        ge=0,
        le=MAX_HIDDEN_CASES,
        description="How many hidden cases SUBMIT runs besides the published one.",
    )
    sizes: dict[str, SizeRange] = Field(
        default_factory=dict,
        description="Named sizes drawn per case, each an inclusive range "
        "[low, high], used in the given values' shapes.",
    )
    given: dict[str, GivenSpec] = Field(
        description="One rule per given name: the names the student's given block assigns."
    )


class PublishedSpec(_Spec):
    """Where the published case's data comes from, when not in the quiz."""

    prepare: str = Field(
        description="A given script shipped beside the quiz that defines "
        "`names` (as the original data_prep.py)."
    )
    names: list[str] = Field(min_length=1, description="The given names the script defines.")
    data: str = Field(
        description="The data file it reads from its folder when present "
        "(--data PATH swaps in another)."
    )
    label: str = Field("", description="Says what the default data is, on every TEST RUN.")


class MistakeSpec(_Spec):
    """A known wrong step, an edit of the reference, and what to tell."""

    quantity: str = Field(description="The quantity whose value the mistake makes wrong.")
    name: str = Field(min_length=1, description="Its short name, shown in feedback and summaries.")
    hint: str = Field(min_length=1, description="What to tell a student who makes it.")
    replace: Edits = Field(
        description="[old, new], or a list of them: edits of the reference, "
        "applied in order; each old text occurs exactly once "
        "(checked by gdlab build)."
    )


class ExerciseSpec(_Spec):
    """The exercise itself: what it is called, where its files are, how values are compared."""

    title: str = Field(min_length=1, description="The exercise's title, shown by gdlab list.")
    order: int = Field(99, description="Its place in the course (gdlab list sorts by it).")
    script: str = Field(
        description="The solved quiz script, with ### BEGIN/END SOLUTION around each answer."
    )
    notebook: str | None = Field(
        None, description="The nbgrader lab in the folder (default: <exercise>.ipynb)."
    )
    files: list[str] = Field(
        default_factory=list, description="Given files shipped beside the quiz and the reference."
    )
    training: bool = Field(
        False, description="Does it train a network (its lab plots a loss curve)?"
    )
    rtol: float = Field(
        1e-5,
        ge=0,
        description="Relative tolerance: |received − expected| ≤ atol + rtol·|expected|.",
    )
    atol: float = Field(1e-8, ge=0, description="Absolute tolerance (see rtol).")
    limits: LimitsSpec = Field(default_factory=LimitsSpec, description="Per-case limits.")
    published: PublishedSpec | None = Field(
        None,
        description="Published data prepared by a "
        "given script (absent: the "
        "values are in the quiz).",
    )
    quantities: dict[str, QuantitySpec] = Field(min_length=1, description="What is checked.")
    cases: CasesSpec = Field(description="How hidden cases are drawn.")
    mistakes: list[MistakeSpec] = Field(
        default_factory=list, description="The catalogue of known mistakes."
    )
    trace: dict[str, TracePointSpec] = Field(
        default_factory=dict,
        description="Training exercises: where the run is observed inside its loops.",
    )
    steps: dict[str, StepSpec] = Field(
        default_factory=dict,
        description="Training exercises: the TODO lines checked inside the loop, by check name "
        "(a mistake's `quantity` may name one).",
    )

    @model_validator(mode="after")
    def _names_agree(self) -> ExerciseSpec:
        checks = [*self.quantities, *self.steps]
        for number, mistake in enumerate(self.mistakes):
            if mistake.quantity not in checks:
                raise Misnamed(
                    ("mistakes", number, "quantity"),
                    mistake.quantity,
                    checks,
                    "no such quantity",
                    f" (mistake {mistake.name!r})",
                )
        check_steps(self.steps, self.trace, self.quantities)
        for name, rule in self.cases.given.items():
            for size in rule.shape or []:
                if isinstance(size, str) and size not in self.cases.sizes:
                    raise Misnamed(
                        ("cases", "given", name, "shape"),
                        size,
                        list(self.cases.sizes),
                        "no such size in [cases] sizes",
                    )
                if isinstance(size, int) and size < 0:
                    raise ValueError(f"`cases.given.{name}.shape`: a size cannot be negative")
        return self


def validate(data: dict[str, Any], path: Path | str) -> ExerciseSpec:
    """The checked exercise, or a `SpecError` naming the file, the key and a suggestion."""
    try:
        return ExerciseSpec.model_validate(data)
    except ValidationError as errors:
        # A misspelt key also makes the key it should have been "missing": name the misspelling.
        first = min(errors.errors(), key=lambda e: e["type"] != "extra_forbidden")
        raise SpecError(f"{path}: {explain(first, data, ExerciseSpec)}") from None


__all__ = ["DISTRIBUTIONS", "ExerciseSpec", "SpecError", "validate"]
