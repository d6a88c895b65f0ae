"""The keys of ``exercise.toml`` that observe a training loop: ``[trace.NAME]`` and ``[steps]``.

A training exercise is graded inside its loops, not only at the end: a trace point says where
the run is observed and which names are recorded there (`trace.py` rewrites the program to do
it), and each step is one TODO line checked at that point, with points taken from the quantity
whose lab cell it belongs to. Kept apart from `exercise_schema.py`, which reads the rest.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from autograder.load.spec_errors import Misnamed
from autograder.run.trace import MAX_CURVE, MAX_FIRST, MAX_NAMES


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TracePointSpec(_Spec):
    """Where a run is observed: a loop at `depth`, or the body of functions named `function`."""

    depth: int | None = Field(
        None,
        ge=1,
        description="The first loop nested this deep (1 = module level) whose body binds one of "
        "the `after` names. Give this or `function`.",
    )
    function: str | None = Field(
        None, description="The body of every function or method with this name."
    )
    first: int = Field(
        1,
        ge=1,
        le=MAX_CURVE,
        description=f"How many passes are recorded (at most {MAX_FIRST}; a curve's, {MAX_CURVE}).",
    )
    label: str | None = Field(
        None,
        description="How feedback names pass n, e.g. 'record {n} of the first epoch' "
        "(default: the point's name and n).",
    )
    before: list[str] = Field(
        default_factory=list, description="Names recorded as the body starts (a step's inputs)."
    )
    after: list[str] = Field(min_length=1, description="Names recorded as the body ends.")
    curve: str | None = Field(
        None,
        description="The training loss the program computes, one of `after`: the point then "
        "watches the whole run, keeps the passes that bind this name anew (at most `first`, "
        "spread evenly) and the feedback page draws the student's loss curve from them. "
        "No step is checked there, and the grader's own runs do not wait for it.",
    )

    @model_validator(mode="after")
    def _where(self) -> TracePointSpec:
        if (self.depth is None) == (self.function is None):
            raise ValueError("give either depth or function")
        if self.curve is None and self.first > MAX_FIRST:
            raise ValueError(f"first: at most {MAX_FIRST} passes (a curve point: {MAX_CURVE})")
        if self.curve is not None and self.curve not in self.after:
            raise ValueError(f"curve {self.curve!r} must be one of the `after` names")
        if len(self.before) + len(self.after) > MAX_NAMES:
            raise ValueError(f"at most {MAX_NAMES} names in before and after together")
        return self


class StepSpec(_Spec):
    """One TODO line inside a training loop: a check of its own, where it runs."""

    name: str | None = Field(
        None, description="The variable the line binds (default: the step's key)."
    )
    at: str = Field(description="The trace point where it is observed ([trace.NAME]).")
    points: float = Field(gt=0, description="Its points, taken from the quantity `part_of`.")
    part_of: str = Field(
        description="The quantity (lab cell) whose points it shares; that quantity's "
        "end-of-training check keeps the rest."
    )
    about: str = Field("", description="What the value is, in the lesson's words.")


def check_steps(
    steps: dict[str, StepSpec], trace: dict[str, TracePointSpec], quantities: dict[str, Any]
) -> None:
    """Each step is recorded at its point and shares the points of a quantity that has them."""
    for key, step in steps.items():
        point = trace.get(step.at)
        if point is None:
            raise Misnamed(("steps", key, "at"), step.at, list(trace), "no such trace point")
        if point.curve is not None:
            raise ValueError(f"`steps.{key}`: {step.at!r} is a curve point, not checked")
        if (step.name or key) not in point.after:
            raise ValueError(f"`steps.{key}`: {step.name or key!r} is not recorded at {step.at!r}")
        if step.part_of not in quantities:
            raise Misnamed(
                ("steps", key, "part_of"),
                step.part_of,
                list(quantities),
                "no such quantity",
            )
    if sum(p.curve is not None for p in trace.values()) > 1:
        raise ValueError("at most one trace point has a `curve`")
    for name, quantity in quantities.items():
        shared = sum(s.points for s in steps.values() if s.part_of == name)
        if shared > quantity.points:
            raise ValueError(
                f"`quantities.{name}`: its steps take {shared:g} of its {quantity.points:g} points"
            )
