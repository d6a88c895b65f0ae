"""The grading pipeline for one submission: run each case isolated, compare, diagnose.

One check per quantity per case; each check is worth the quantity's points divided by the
number of cases. A run that cannot say anything about the later cases (it does not compile, its
given block is gone, it hangs) stops the grading early instead of repeating the same failure.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from autograder.judge import names
from autograder.judge.compare import close, compare
from autograder.judge.diagnose import Diagnosis, Oracle, oracle_for
from autograder.load import published_given
from autograder.load.exercise import Exercise, Mistake
from autograder.load.submission import Program
from autograder.run import trace
from autograder.run.protocol import STRETCH, UNREADABLE
from autograder.run.sandbox import Job, RunResult, Sandbox
from autograder.run.values import Value, format_value

FULL_MARKS = "Nice job! That's right!"
#: Not in any exercise's catalogue: the engine itself sees a value that never follows the case.
TYPED_IN = (
    "value does not follow the given values",
    "This value stays the same whatever the given values are (typed in, or a constant). "
    "Compute it from the given values so that it is right for any of them.",
)
_STOP_STATUSES = {"syntax_error", "given_missing", "timeout", "sandbox_failure", "no_result"}


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
    message: str
    mistake: str | None = None
    hint: str | None = None
    carried_forward: bool = False
    #: With `carried_forward`: the student's wrong upstream quantities this value was built on.
    built_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseRun:
    """How the program ran on one case."""

    case: str
    visible: bool
    status: str
    seconds: float
    output: str
    output_truncated: bool
    problem: str | None
    #: The loss the program computed while training, as (pass, loss), None where not finite:
    #: from the trace's curve point (trace.curve); None when the exercise watches no curve.
    losses: tuple[tuple[int, float | None], ...] | None = None


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
            "checks": [asdict(c) for c in self.checks],
            "runs": [asdict(r) for r in self.runs],
            "notes": list(self.notes),
        }


def new_seed() -> int:
    """A fresh seed for a SUBMIT's hidden cases; it is recorded so a grade can be reproduced."""
    return secrets.randbits(32)


def grade(
    exercise: Exercise,
    program: Program,
    *,
    student: str = "",
    seed: int | None = None,
    hidden: bool = True,
    sandbox: Sandbox | None = None,
    data: Path | None = None,
) -> Grade:
    """Grade `program`: the published case (on `data` if given), then (with `hidden`) the
    hidden ones drawn from `seed`."""
    cases = exercise.cases(seed, hidden=hidden, data=data)
    result = Grade(
        exercise.id,
        student,
        program.path.name,
        seed if hidden else None,
        max_score=exercise.max_score,
        notes=published_given.changes(exercise, program.source),
    )
    own_sandbox = sandbox is None
    sandbox = sandbox or Sandbox()
    try:
        oracles = [oracle_for(exercise, case) for case in cases]
        for oracle in oracles:
            oracle.expected  # noqa: B018  (the references run while the worker starts up)
        _prepare_steps(exercise, cases)
        runs = sandbox.run_cases(
            Job(
                program.source,
                program.path.name,
                None,
                names.job_quantities(exercise),
                exercise.limits,
                cases=tuple(case.given_plain(exercise.given_keys) for case in cases),
                files=tuple(str(exercise.folder / f) for f in exercise.files),
                trace=exercise.points,
            )
        )
        stopped: str | None = None
        published: tuple[Oracle, RunResult] | None = None
        frozen_anywhere: frozenset[str] = frozenset()
        for index, (case, oracle) in enumerate(zip(cases, oracles, strict=True)):
            if stopped or index >= len(runs):  # the sandbox stops after a run the rest repeat
                result.checks.extend(_not_run(oracle, len(cases), stopped or "not run"))
                continue
            run, aliased = names.resolve(exercise, runs[index])
            problem = _problem(run, program, exercise.limits.time)
            if published and problem:
                problem += _size_hint(run, published[1])
            result.runs.append(
                CaseRun(
                    case.name,
                    case.visible,
                    run.status,
                    run.seconds,
                    run.output,
                    run.output_truncated,
                    problem,
                    trace.curve(exercise.points, run.trace),
                )
            )
            frozen = _frozen(oracle, run, published) if published else frozenset()
            sized = _shape_hint(oracle, run, published[0]) if published else set()
            frozen_anywhere |= frozen
            checks = _noted(check_case(oracle, run, problem, len(cases), frozen), exercise, aliased)
            if exercise.steps:
                checks = _with_steps(oracle, run, problem, len(cases), checks)
            result.checks.extend(
                replace(c, message=f"{c.message}; it has the published case's shape: {SIZE_HINT}")
                if c.quantity in sized and not c.passed and SIZE_HINT not in c.message
                else c
                for c in checks
            )
            published = published or (oracle, run)
            if run.status in _STOP_STATUSES:
                stopped = f"not run: on the {case.name} case {problem}"
    finally:
        if own_sandbox:
            sandbox.close()
    result.checks = [_typed_in(_revoke(c, frozen_anywhere), frozen_anywhere) for c in result.checks]
    return result


def _typed_in(check: Check, frozen: frozenset[str]) -> Check:
    """A value that stays the same while the given values change earns nothing on any case,
    the published one included: right there only because the published numbers were typed in."""
    if check.quantity not in frozen or not check.passed:
        return check
    return replace(
        check,
        passed=False,
        score=0.0,
        carried_forward=False,
        built_on=(),
        mistake=TYPED_IN[0],
        hint=TYPED_IN[1],
        message="right here, but it stays the same when the given values change "
        "(typed in?): no points on any case",
    )


def _noted(checks: list[Check], exercise: Exercise, aliased: dict[str, str]) -> list[Check]:
    """A value found under an earlier name of the lesson says so, in one line."""
    noted = []
    for check in checks:
        if check.quantity in aliased:
            note = names.alias_note(exercise.quantity(check.quantity), aliased[check.quantity])
            check = replace(check, message=f"{check.message} ({note})")
        noted.append(check)
    return noted


def _prepare_steps(exercise: Exercise, cases: list) -> None:
    """The reference's first epoch on each case, also while the worker starts up."""
    if exercise.steps:
        from autograder.judge.steps import step_oracle

        for case in cases:
            step_oracle(exercise, case).reference  # noqa: B018


def _with_steps(
    oracle: Oracle, run: RunResult, problem: str | None, n_cases: int, checks: list[Check]
) -> list[Check]:
    """A training exercise's case: its traced steps first (steps.py), then the end-of-training
    checks, which take the points of steps not observed and point at the steps that slipped."""
    from autograder.judge.steps import step_checks

    steps, carry = step_checks(oracle.exercise, oracle.case, run, problem, n_cases)
    slipped = ", ".join(c.quantity for c in steps if not c.passed)
    ends = []
    for check in checks:
        extra = carry.get(check.quantity, 0.0)
        check = replace(
            check,
            max_score=check.max_score + extra,
            score=check.score + extra if check.passed else 0.0,
        )
        if not check.passed and slipped and not check.mistake:
            check = replace(check, message=f"{check.message}; it follows from {slipped} above")
        ends.append(check)
    return steps + ends


def _revoke(check: Check, frozen: frozenset[str]) -> Check:
    """No carried-forward credit and no mistake read off the student's own values, on any case,
    when those values never followed the given values (typed in, or a constant such as 0):
    a step is "right given" a constant 0 whatever its formula."""
    if not frozen.intersection(check.built_on):
        return check
    if not check.carried_forward:
        return replace(check, mistake=None, hint=None, built_on=())
    named = ", ".join(sorted(frozen.intersection(check.built_on)))
    return replace(
        check,
        passed=False,
        score=0.0,
        carried_forward=False,
        built_on=(),
        message=f"right only given your {named}, which stays the same whatever the "
        "given values are: no credit carried forward",
    )


def _not_run(oracle: Oracle, n_cases: int, reason: str) -> list[Check]:
    """Checks for a case skipped because an earlier run showed the rest would fail alike."""
    steps = [
        Check(
            s.id,
            oracle.case.name,
            oracle.case.visible,
            False,
            0.0,
            s.points / n_cases,
            "-",
            "-",
            reason,
        )
        for s in oracle.exercise.steps
    ]
    return steps + [
        Check(
            q.name,
            oracle.case.name,
            oracle.case.visible,
            False,
            0.0,
            q.points / n_cases,
            format_value(oracle.expected[q.name]),
            "-",
            reason,
        )
        for q in oracle.exercise.quantities
        if not q.optional
    ]


def _frozen(oracle: Oracle, run: RunResult, published: tuple[Oracle, RunResult]) -> frozenset[str]:
    """Quantities whose value did not follow the case: the same as on the published example,
    although the right value is not."""
    first_oracle, first_run = published
    tol = oracle.exercise.rtol, oracle.exercise.atol
    frozen = set()
    for name, value in run.values.items():
        before = first_run.values.get(name)
        if (
            value.kind == "real"
            and before is not None
            and before.kind == "real"
            and value.shape == before.shape
            and before.array is not None
            and compare(before.array, value, 0.0, 0.0).ok
            and not close(oracle.expected[name], first_oracle.expected[name], *tol)
        ):
            frozen.add(name)
    return frozenset(frozen)


def check_case(
    oracle: Oracle,
    run: RunResult,
    problem: str | None,
    n_cases: int,
    frozen: frozenset[str] = frozenset(),
) -> list[Check]:
    """Compare and diagnose every quantity of one case."""
    exercise, case = oracle.exercise, oracle.case
    checks = []
    for quantity in exercise.quantities:
        worth = quantity.points / n_cases
        expected = oracle.expected[quantity.name]
        received = run.values.get(quantity.name, Value.missing())
        if names.left_out(quantity, received):
            continue
        base: dict[str, Any] = {
            "quantity": quantity.name,
            "case": case.name,
            "visible": case.visible,
            "max_score": worth,
            "expected": format_value(expected),
            "received": received.describe(),
        }
        outcome = compare(expected, received, exercise.rtol, exercise.atol)
        if outcome.ok:
            checks.append(Check(**base, passed=True, score=worth, message=_correct(received)))
            continue
        if run.status in _STOP_STATUSES:
            checks.append(Check(**base, passed=False, score=0.0, message=f"not run: {problem}"))
            continue
        if received.kind == "missing" and run.status != "finished":
            mistake = _mistake_behind_crash(oracle, quantity.name, run)
            checks.append(
                Check(
                    **base,
                    passed=False,
                    score=0.0,
                    message=f"not computed: {problem}",
                    mistake=mistake.name if mistake else None,
                    hint=mistake.hint if mistake else None,
                )
            )
            continue
        # A training exercise's mistakes are found at its steps, not by training again.
        diagnosis = (
            Diagnosis()
            if exercise.steps
            else oracle.diagnose(quantity.name, received, run.values, frozen)
        )
        if diagnosis.carried_forward:
            built_on = ", ".join(diagnosis.upstream) or "earlier values"
            checks.append(
                Check(
                    **base,
                    passed=True,
                    score=worth,
                    carried_forward=True,
                    message=f"right given your {built_on} (error carried forward)",
                    built_on=diagnosis.upstream,
                )
            )
            continue
        mistake = diagnosis.mistake or _mistake_behind_crash(oracle, quantity.name, run)
        message = outcome.problem
        if diagnosis.upstream and not mistake:  # a slip named at another quantity
            message += f"; it follows from your {', '.join(diagnosis.upstream)}"
        if run.status == "raised" and problem:
            message += f" ({problem})"
        name, hint = (mistake.name, mistake.hint) if mistake else (None, None)
        if quantity.name in frozen and run.status == "finished":  # a program that stopped
            # early keeps its starting values (a loop's zeros): the crash is the story there
            message += (
                "; it is the same as on the published example although the given values "
                "changed: compute it from them instead of typing it in"
            )
            name, hint = name or TYPED_IN[0], hint or TYPED_IN[1]
        checks.append(
            Check(
                **base,
                passed=False,
                score=0.0,
                message=message,
                mistake=name,
                hint=hint,
                built_on=diagnosis.upstream,
            )
        )
    return checks


#: Words of numpy's errors about sizes: a hidden case with other sizes hits them first.
_SIZE_WORDS = ("shape", "size", "aligned", "broadcast", "out of bounds", "dimension")
SIZE_HINT = (
    "the published case ran, and this case has other sizes: is a size typed in (4 "
    "instead of len(x) or x.shape) rather than read from the given values?"
)


def _size_hint(run: RunResult, published: RunResult) -> str:
    """A crash about sizes on a case the published one survived points at a typed-in size."""
    error = run.error or {}
    if (
        run.status == "raised"
        and published.status == "finished"
        and error.get("type") in ("ValueError", "IndexError")
        and any(w in str(error.get("message", "")) for w in _SIZE_WORDS)
    ):
        return f"; {SIZE_HINT}"
    return ""


def _shape_hint(oracle: Oracle, run: RunResult, published: Oracle) -> set[str]:
    """Quantities that arrived with the published case's shape where this case's differs."""
    return {
        name
        for name, value in run.values.items()
        if name in oracle.expected
        and value.kind == "real"
        and value.shape is not None
        and value.shape == published.expected[name].shape != oracle.expected[name].shape
    }


def _correct(received: Value) -> str:
    if received.type in ("list", "tuple"):
        return f"correct (a Python {received.type}: accepted; a numpy array is the habit)"
    if received.type in ("Series", "DataFrame"):
        return f"correct (a pandas {received.type}: graded as its numbers, its .values)"
    return "correct"


def _mistake_behind_crash(oracle: Oracle, name: str, run: RunResult) -> Mistake | None:
    """A catalogued mistake at `name` whose edited reference crashes exactly as the program did.

    Only that quantity's own catalogue entries are tried, so a crash is named where the mistake
    is, whether the crash left the quantity unset or with a value it had before (a training
    loop's zeros)."""
    if run.status != "raised" or not run.error:
        return None
    return oracle.mistake_raising(name, str(run.error.get("type")), str(run.error.get("message")))


def _problem(run: RunResult, program: Program, time_limit: float) -> str | None:
    """One sentence on how the run went wrong, or None when it finished normally."""
    error = run.error or {}
    where = program.where(error.get("line"))
    kind, message = error.get("type", ""), error.get("message", "")
    match run.status:
        case "finished":
            return None
        case "syntax_error":
            return f"your file does not compile ({kind} at {where}: {message})"
        case "given_missing":
            return str(message)
        case "timeout":
            return (
                f"your program did not finish within {time_limit:g} s of computing (or "
                f"{time_limit * STRETCH:g} s in all, on a busy machine) and was stopped "
                "(an endless loop? too many iterations?)"
            )
        case "raised":
            return f"your program stopped at {where} with {kind}: {message}"
        case "exited":
            return f"your program called {message} at {where}"
        case "no_result":
            return _ended_early(run.exit)
        case _:
            return "the sandbox failed while running your program; please submit again"


def _ended_early(exit_text: str | None) -> str:
    if exit_text == UNREADABLE:
        return "your program's result could not be read (it broke the report's format or size)"
    signals = {
        "SIGSEGV": "crashed (a segmentation fault or an abort)",
        "SIGXCPU": "used up its CPU time",
        "SIGABRT": "aborted",
        "SIGKILL": "was killed (memory or process limit)",
    }
    if exit_text in signals:
        return f"your program {signals[exit_text]}"
    return (
        f"your program ended before it could report its values ({exit_text}): did it call "
        "os._exit() or close its own files?"
    )
