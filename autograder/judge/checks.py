"""What grading decides, as data: a `Check` per quantity and case, a `CaseRun` per case, the
`Grade`; and the `Reason` each check failed (or passed) for.

Later stages (record/, report/, server/) decide from these fields, never from the words of
`Check.message`, which is for people and may change: a check's `reason`, `passed`,
`carried_forward`, `mistake`, and a run's `status` (`run.outcome.Outcome`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from autograder.run.outcome import Outcome

FULL_MARKS = "Nice job! That's right!"
#: What a right value's check says when there is nothing more to say about it.
CORRECT = "correct"
#: Not in any exercise's catalogue: the engine itself sees a value that never follows the case.
TYPED_IN = (
    "value does not follow the given values",
    "This value stays the same whatever the given values are (typed in, or a constant). "
    "Compute it from the given values so that it is right for any of them.",
)


class Reason(str, Enum):
    """Why a check passed or failed; stored in the gradebook as its value (a short code)."""

    #: Right.
    CORRECT = "correct"
    #: Right given the student's own (wrong) upstream values: error carried forward.
    CARRIED_FORWARD = "carried_forward"
    #: A real value of the right shape that is not close enough (a named `mistake` may say why).
    WRONG_VALUE = "wrong_value"
    #: Wrong, and what an earlier quantity's named mistake gives here: the slip is named there.
    FOLLOWS_UPSTREAM = "follows_upstream"
    #: A real value of another shape.
    SHAPE = "shape"
    #: Not a real number or array (a string, complex, an object, a ragged list ...).
    WRONG_TYPE = "wrong_type"
    #: It holds nan or inf.
    NOT_FINITE = "not_finite"
    #: Not defined, or still None: the stub's answer line was not filled in.
    NOT_DONE = "not_done"
    #: The program stopped (an exception, exit, a kill) before it computed this value.
    NOT_COMPUTED = "not_computed"
    #: The case did not run (an earlier run showed it would fail alike, or the program cannot
    #: run at all: does not compile, no given block, too slow, the sandbox failed).
    NOT_RUN = "not_run"
    #: The value stays the same whatever the given values are: no points on any case.
    TYPED_IN = "typed_in"
    #: Right only given upstream values that were themselves typed in: no credit carried.
    FROZEN_UPSTREAM = "frozen_upstream"
    #: The reference itself does not reach this step of the training on this case.
    NOT_REACHED = "not_reached"

    def __str__(self) -> str:
        return self.value

    @property
    def no_value(self) -> bool:
        """The failure is not about a value the program computed (there was none to check)."""
        return self in (Reason.NOT_DONE, Reason.NOT_COMPUTED, Reason.NOT_RUN)


@dataclass(frozen=True)
class Check:
    """One quantity in one case: what was expected, what arrived, and what we make of it."""

    quantity: str
    case: str
    visible: bool
    passed: bool
    score: float
    max_score: float
    expected: str
    received: str
    #: For people: the reason in words, with details (worst element, the crash, notes).
    message: str
    mistake: str | None = None
    hint: str | None = None
    carried_forward: bool = False
    #: With `carried_forward`: the student's wrong upstream quantities this value was built on.
    built_on: tuple[str, ...] = ()
    #: Why it passed or failed; left out, it is CORRECT, CARRIED_FORWARD or WRONG_VALUE as
    #: `passed` and `carried_forward` say.
    reason: Reason | None = None

    def __post_init__(self) -> None:
        if self.reason is None:
            derived = (
                Reason.CARRIED_FORWARD
                if self.carried_forward
                else Reason.CORRECT
                if self.passed
                else Reason.WRONG_VALUE
            )
            object.__setattr__(self, "reason", derived)
        elif not isinstance(self.reason, Reason):
            object.__setattr__(self, "reason", Reason(self.reason))

    @property
    def noted(self) -> bool:
        """A passing check with something to add (a list accepted, a name of the lesson's)."""
        return self.passed and self.message != CORRECT


@dataclass(frozen=True)
class CaseRun:
    """How the program ran on one case."""

    case: str
    visible: bool
    status: Outcome
    seconds: float
    output: str
    output_truncated: bool
    #: How the run went wrong, in a sentence for the student (None when it finished).
    problem: str | None
    #: The loss the program computed while training, as (pass, loss), None where not finite:
    #: from the trace's curve point (`run.trace.curve`); None when the exercise watches none.
    losses: tuple[tuple[int, float | None], ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, Outcome):
            object.__setattr__(self, "status", Outcome(self.status))


@dataclass
class Grade:
    """The result of grading one submission."""

    exercise: str
    student: str
    file: str
    seed: int | None
    checks: list[Check] = field(default_factory=list)
    runs: list[CaseRun] = field(default_factory=list)
    max_score: float = 0.0
    #: Things the student should know that cost nothing (a given value the file changed).
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 2)

    @property
    def full_marks(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def mistakes(self) -> list[str]:
        """Named mistakes, each once, in the order the quantities come."""
        return list(dict.fromkeys(c.mistake for c in self.checks if c.mistake))

    @property
    def verdict(self) -> str:
        if self.full_marks:
            return FULL_MARKS
        passed = sum(c.passed for c in self.checks)
        return f"Not there yet: {passed} of {len(self.checks)} checks passed."

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "student": self.student,
            "file": self.file,
            "seed": self.seed,
            "score": self.score,
            "max_score": self.max_score,
            "verdict": self.verdict,
            "mistakes": self.mistakes,
            "checks": [{**asdict(c), "reason": str(c.reason)} for c in self.checks],
            "runs": [{**asdict(r), "status": str(r.status)} for r in self.runs],
            "notes": list(self.notes),
        }


def new_seed() -> int:
    """A fresh seed for a SUBMIT's hidden cases; it is recorded so a grade can be reproduced."""
    import secrets  # not with the module: a TEST RUN draws no seed

    return secrets.randbits(32)
