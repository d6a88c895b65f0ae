"""Compare and diagnose every quantity of one case: a `Check` each, with its `Reason`.

The order of questions, for a value that is not right: did the case run at all (`NOT_RUN`; a run
stopped for time whose training loop was observed did run, `observed`), did
the program stop before computing it (`NOT_COMPUTED`, maybe a catalogued mistake that crashes
the same way), is it right given the student's own upstream values (error carried forward), is
it a catalogued mistake, is it the published value typed in (`TYPED_IN`)? Used for each case of
a grade (`grading.judge_runs`) and, on values computed in the student's kernel, by a lab's check
cell (`Grader.check_values`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autograder.judge import case_memo, names
from autograder.judge.checks import CORRECT, TYPED_IN, Check, Reason
from autograder.judge.compare import compare
from autograder.judge.diagnose import Diagnosis, Oracle
from autograder.load.exercise import Mistake
from autograder.run.outcome import Outcome
from autograder.run.sandbox import RunResult
from autograder.run.values import Value, format_value


def check_case(
    oracle: Oracle,
    run: RunResult,
    problem: str | None,
    n_cases: int,
    frozen: frozenset[str] = frozenset(),
    credit: Mapping[str, frozenset[str]] | None = None,
) -> list[Check]:
    """Compare and diagnose every quantity of one case. `frozen`: the values that stayed as on
    the published case although the given values changed; `credit`: for each quantity, those
    of them its own line reads (`judge.typed_in`), from which it may still carry credit.

    A run whose values are exactly those of one judged before on this case gets its checks
    again (`case_memo`): a class makes the same few values."""
    return case_memo.checks(
        oracle,
        run,
        (problem, n_cases, tuple(sorted(frozen)), case_memo.credit_key(credit)),
        lambda: _judge(oracle, run, problem, n_cases, frozen, credit or {}),
    )


def _judge(
    oracle: Oracle,
    run: RunResult,
    problem: str | None,
    n_cases: int,
    frozen: frozenset[str],
    credit: Mapping[str, frozenset[str]],
) -> list[Check]:
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
            message = _correct(received, outcome.note)
            checks.append(Check(**base, passed=True, score=worth, message=message))
            continue
        if run.status.stops_grading and not observed(run):
            checks.append(
                Check(
                    **base,
                    passed=False,
                    score=0.0,
                    message=f"not run: {problem}",
                    reason=Reason.NOT_RUN,
                )
            )
            continue
        if received.kind == "missing" and not run.status.ran_through:
            mistake = _mistake_behind_crash(oracle, quantity.name, run)
            checks.append(
                Check(
                    **base,
                    passed=False,
                    score=0.0,
                    message=f"not computed: {problem}",
                    mistake=mistake.name if mistake else None,
                    hint=mistake.hint if mistake else None,
                    reason=Reason.NOT_COMPUTED,
                )
            )
            continue
        # A training exercise's mistakes are found at its steps, not by training again.
        diagnosis = (
            Diagnosis()
            if exercise.steps
            else oracle.diagnose(
                quantity.name, received, run.values, frozen - credit.get(quantity.name, set())
            )
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
        message, reason = outcome.problem, outcome.reason
        if diagnosis.upstream and not mistake and reason is Reason.WRONG_VALUE:
            message += f"; it follows from your {', '.join(diagnosis.upstream)}"
            reason = Reason.FOLLOWS_UPSTREAM  # a slip named at another quantity
        if run.status is Outcome.RAISED and problem:
            message += f" ({problem})"
        name, hint = (mistake.name, mistake.hint) if mistake else (None, None)
        typed = quantity.name in frozen and not credit.get(quantity.name)
        if typed and run.status.ran_through:  # a program that stopped
            # early keeps its starting values (a loop's zeros): the crash is the story there
            message += (
                "; it is the same as on the published example although the given values "
                "changed: compute it from them instead of typing it in"
            )
            name, hint, reason = name or TYPED_IN[0], hint or TYPED_IN[1], Reason.TYPED_IN
        checks.append(
            Check(
                **base,
                passed=False,
                score=0.0,
                message=message,
                mistake=name,
                hint=hint,
                built_on=diagnosis.upstream,
                reason=reason,
            )
        )
    return checks


def observed(run: RunResult) -> bool:
    """The run was seen inside its loops before it ended (a trace point's records came back,
    early.py): a run stopped for time or killed then still ran, its steps are graded and its
    end-of-training values were not computed, rather than "not run"."""
    return any(run.trace.values())


def _correct(received: Value, allowance: str = "") -> str:
    if allowance:
        return f"correct ({allowance}: accepted)"
    if received.type in ("list", "tuple"):
        return f"correct (a Python {received.type}: accepted; a numpy array is the habit)"
    if received.type in ("Series", "DataFrame"):
        return f"correct (a pandas {received.type}: graded as its numbers, its .values)"
    return CORRECT


def _mistake_behind_crash(oracle: Oracle, name: str, run: RunResult) -> Mistake | None:
    """A catalogued mistake at `name` whose edited reference crashes exactly as the program did.

    Only that quantity's own catalogue entries are tried, so a crash is named where the mistake
    is, whether the crash left the quantity unset or with a value it had before (a training
    loop's zeros)."""
    if run.status is not Outcome.RAISED or not run.error:
        return None
    return oracle.mistake_raising(name, str(run.error.get("type")), str(run.error.get("message")))
