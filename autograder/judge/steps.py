"""Grade the TODO lines of a training loop where they run, as the basic quizzes grade theirs.

Each step (``[steps]`` in exercise.toml) is one check per case. The student's program and the
reference both record the step's value and its inputs at the same passes of the loop (trace.py);
at each pass the student's value is

* right: equal to the reference's value at that pass;
* right given the student's own inputs (error carried forward): equal to the reference's line
  run on the student's values at that pass (the weights then, the record, the earlier steps);
* a named mistake: equal to a catalogued edit of that line run on the same values, or to the
  edited reference's own value at that pass.

The grader's own runs stop as soon as every point has its records (one epoch, not a whole
training), so a mistake costs one step of diagnosis. A step the student did not write as a
variable of its own (inlined, or a whole epoch in matrices) is not observed: it costs nothing and
its points go to the next observed step of its lab cell, finally to the end-of-training check.

Somewhat over ~300 lines, one job: the oracle (the reference's traced run) and the check of a
step read the same records pass by pass; most of the length is `_check`'s one walk over them.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from autograder.judge.checks import CORRECT, Check, Reason
from autograder.judge.compare import accepts, as_real, close, compare
from autograder.judge.reference import quiet_namespace, quiet_numpy
from autograder.load.exercise import Case, Exercise, Mistake, Step
from autograder.load.program import GIVEN_NAME, assigned_names, compile_program
from autograder.run import trace
from autograder.run.outcome import Outcome
from autograder.run.sandbox import RunResult
from autograder.run.trace import Record
from autograder.run.values import Value, format_value

Traced = tuple[dict[str, list[Record]], BaseException | None, dict[str, Any]]


@dataclass
class StepOracle:
    """The reference's (and each mistake's) records on one case, each from a run that stops
    after the last trace point, computed when first needed and kept for the case."""

    exercise: Exercise
    case: Case
    _mutants: dict[str, Traced] = field(default_factory=dict)

    @cached_property
    def reference(self) -> Traced:
        return _traced_run(self.exercise, self.exercise.reference, self.case)

    def mutant(self, mistake: Mistake) -> Traced:
        if mistake.name not in self._mutants:
            source = mistake.apply(self.exercise.reference)
            self._mutants[mistake.name] = _traced_run(self.exercise, source, self.case)
        return self._mutants[mistake.name]


def _traced_run(exercise: Exercise, source: str, case: Case) -> Traced:
    points = list(exercise.points)
    try:
        code = compile_program(
            source,
            "<reference>",
            None if case.given is None else list(case.given),
            rewrite=lambda tree: trace.instrument(tree, points),
        )
    except Exception as error:  # a mistake's edit may not even compile
        return {}, error, {}
    namespace = quiet_namespace()
    if case.given is not None:
        namespace[GIVEN_NAME] = copy.deepcopy(case.given)
    with quiet_numpy():
        records, failure = trace.run_traced(code, namespace, points)
    return records, failure, namespace


_ORACLES: dict[tuple[Any, ...], StepOracle] = {}


def step_oracle(exercise: Exercise, case: Case) -> StepOracle:
    """Shared by every submission graded on the same case values (as `diagnose.oracle_for`)."""
    if not case.key:
        return StepOracle(exercise, case)
    key = (exercise.id, hash(exercise.reference), *case.key)
    if key not in _ORACLES:
        if len(_ORACLES) >= 256:
            _ORACLES.pop(next(iter(_ORACLES)))
        _ORACLES[key] = StepOracle(exercise, case)
    return _ORACLES[key]


# --- one step's line, from the reference or a mistaken edit of it ----------------------------

_CODE: dict[tuple[int, str], tuple[Any, tuple[str, ...]] | None] = {}


def _line(exercise: Exercise, source: str, step: Step) -> tuple[Any, tuple[str, ...]] | None:
    """The statements of `source` that bind the step's variable directly in the body of its
    trace point, compiled, with the names they read; None when there are none."""
    key = (hash(source), step.id)
    if key not in _CODE:
        tree = ast.parse(source)
        found = None
        for target in trace._targets(tree, exercise.point(step.at)):
            statements = [s for s in target.body if step.name in assigned_names(s)]
            if statements:
                module = ast.Module(body=statements, type_ignores=[])
                reads = tuple(
                    dict.fromkeys(
                        n.id
                        for s in statements
                        for n in ast.walk(s)
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                    )
                )
                found = (compile(module, f"<step {step.id}>", "exec"), reads)
                break
        _CODE[key] = found
    return _CODE[key]


def _evaluate(
    line: tuple[Any, tuple[str, ...]] | None, name: str, scope: dict[str, Any]
) -> np.ndarray | None:
    if line is None:
        return None
    local = dict(scope)
    try:
        with quiet_numpy():
            exec(line[0], local)
        array = np.asarray(local.get(name), dtype=np.float64)
    except Exception:
        return None
    return array if np.all(np.isfinite(array)) else None


# --- the checks ------------------------------------------------------------------------------


def step_checks(
    exercise: Exercise, case: Case, run: RunResult, problem: str | None, n_cases: int
) -> tuple[list[Check], dict[str, float]]:
    """One check per observed step on this case, and per lab cell the points of the steps
    that were not observed (they go to that cell's end-of-training check)."""
    oracle = step_oracle(exercise, case)
    carry: dict[str, float] = {}
    checks = []
    for step in exercise.steps:
        worth = step.points / n_cases + carry.pop(step.part_of, 0.0)
        records = run.trace.get(step.at, [])
        if not any(step.name in r.after for r in records) and _whole(oracle, step, records, run):
            carry[step.part_of] = worth  # not written as a variable of its own: costs nothing
            continue
        checks.append(_check(oracle, step, records, run, problem, worth))
    return checks, carry


def _whole(oracle: StepOracle, step: Step, records: list[Record], run: RunResult) -> bool:
    """Every pass of the step's point that the reference makes came back whole: the run went
    through, or (stopped later for time, or killed) it sent the point's records complete
    (early.py). Then a step missing from them is one the student did not write separately."""
    if run.status.ran_through:
        return True
    reference = oracle.reference[0].get(step.at, [])
    return bool(records) and len(records) >= len(reference) and not any(r.broken for r in records)


def _check(
    oracle: StepOracle,
    step: Step,
    records: list[Record],
    run: RunResult,
    problem: str | None,
    worth: float,
) -> Check:
    exercise, case = oracle.exercise, oracle.case
    tol = exercise.rtol, exercise.atol
    point = exercise.point(step.at)
    ref_records, _, namespace = oracle.reference
    reference = ref_records.get(step.at, [])
    base: dict[str, Any] = {
        "quantity": step.id,
        "case": case.name,
        "visible": case.visible,
        "max_score": worth,
    }
    if not reference:
        return Check(
            **base,
            passed=False,
            score=0.0,
            expected="-",
            received="-",
            message="the reference does not reach this step on this case",
            reason=Reason.NOT_REACHED,
        )
    carried: tuple[str, ...] | None = None
    for index, expected_record in enumerate(reference):
        expected = np.asarray(expected_record.after.get(step.name), dtype=np.float64)
        mine = records[index] if index < len(records) else None
        if mine is None and index > 0 and not run.status.ran_through:
            break  # the run stopped in an earlier pass: charged to the step that stopped it
        received = mine.after.get(step.name, Value.missing()) if mine else Value.missing()
        shown: dict[str, Any] = {
            **base,
            "expected": format_value(expected),
            "received": received.describe(),
        }
        where = point.where(index + 1)
        outcome = compare(expected, received, *tol)
        if outcome.ok:
            continue
        if received.kind == "missing" and not run.status.ran_through:
            mistake = _crash_mistake(oracle, step, run)
            return Check(
                **shown,
                passed=False,
                score=0.0,
                message=f"not computed: {problem}",
                mistake=mistake.name if mistake else None,
                hint=mistake.hint if mistake else None,
                reason=Reason.NOT_COMPUTED,
            )
        if isinstance(as_real(received), str) or mine is None:
            return Check(
                **shown,
                passed=False,
                score=0.0,
                message=f"{where}: {outcome.problem}",
                reason=outcome.reason,
            )
        scope = _scope(exercise, step, namespace, expected_record, mine)
        local = _evaluate(_line(exercise, exercise.reference, step), step.name, scope)
        upstream = _upstream(exercise, step, expected_record, mine)
        if local is not None and accepts(local, received, *tol):
            carried = carried or upstream
            continue
        mistake = _named(oracle, step, index, scope, local, expected, received)
        crash = f" ({problem})" if run.status is Outcome.RAISED and problem else ""
        return Check(
            **shown,
            passed=False,
            score=0.0,
            message=f"{where}: {outcome.problem}{crash}",
            mistake=mistake.name if mistake else None,
            hint=mistake.hint if mistake else None,
            built_on=upstream,
            reason=outcome.reason,
        )
    first = reference[0].after.get(step.name)
    received = records[0].after.get(step.name, Value.missing()) if records else Value.missing()
    shown = {
        **base,
        "expected": format_value(np.asarray(first, dtype=np.float64)),
        "received": received.describe(),
    }
    if carried is not None:
        built_on = ", ".join(carried) or "earlier values"
        return Check(
            **shown,
            passed=True,
            score=worth,
            carried_forward=True,
            built_on=carried,
            message=f"right given your {built_on} (error carried forward)",
        )
    return Check(**shown, passed=True, score=worth, message=CORRECT)


def _scope(
    exercise: Exercise, step: Step, namespace: dict[str, Any], expected: Record, mine: Record
) -> dict[str, Any]:
    """The values the step's line reads at this pass: the reference's names, then the
    reference's record (a record variable the student named otherwise), then the student's own
    record; an earlier step the student did not write separately is recomputed from them."""
    scope = {**namespace, **expected.scope()}
    for name, value in mine.scope().items():
        actual = as_real(value)
        if not isinstance(actual, str):
            scope[name] = actual[()] if actual.ndim == 0 else actual
    for earlier in exercise.steps:
        if earlier.id == step.id:
            break
        if earlier.at == step.at and earlier.name not in mine.after:
            value = _evaluate(_line(exercise, exercise.reference, earlier), earlier.name, scope)
            if value is not None:
                scope[earlier.name] = value[()] if value.ndim == 0 else value
    return scope


def _upstream(exercise: Exercise, step: Step, expected: Record, mine: Record) -> tuple[str, ...]:
    """The student's values this step's line reads at this pass that differ from the
    reference's there (an earlier step, a running total, the weights then)."""
    tol = exercise.rtol, exercise.atol
    line = _line(exercise, exercise.reference, step)
    theirs, ours = mine.scope(), expected.scope()
    wrong = []
    for name in line[1] if line else ():
        if name in theirs and name in ours:
            reference = np.asarray(ours[name], dtype=np.float64)
            if not accepts(reference, theirs[name], *tol):
                wrong.append(name)
    return tuple(wrong)


def _named(
    oracle: StepOracle,
    step: Step,
    index: int,
    scope: dict[str, Any],
    local: np.ndarray | None,
    expected: np.ndarray,
    received: Value,
) -> Mistake | None:
    """The first catalogued mistake of this step that gives the student's value: its edited
    line on the student's values, or the edited reference's own value at this pass."""
    exercise = oracle.exercise
    tol = exercise.rtol, exercise.atol
    right = local if local is not None else expected
    for mistake in exercise.mistakes:
        if mistake.quantity != step.id:
            continue
        candidates = [
            _evaluate(_line(exercise, mistake.apply(exercise.reference), step), step.name, scope)
        ]
        records = oracle.mutant(mistake)[0].get(step.at, [])
        if index < len(records) and step.name in records[index].after:
            candidates.append(_finite(records[index].after[step.name]))
        for candidate in candidates:
            if (
                candidate is not None
                and candidate.shape == received.shape
                and not close(candidate, right, *tol)
                and accepts(candidate, received, *tol)
            ):
                return mistake
    return None


def _finite(value: Any) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if np.all(np.isfinite(array)) else None


def _crash_mistake(oracle: StepOracle, step: Step, run: RunResult) -> Mistake | None:
    """The mistake of this step whose edited reference fails, within the traced passes,
    exactly as the student's program did."""
    error = run.error or {}
    for mistake in oracle.exercise.mistakes:
        if mistake.quantity != step.id:
            continue
        failure = oracle.mutant(mistake)[1]
        if (
            failure is not None
            and type(failure).__name__ == error.get("type")
            and str(failure)[:300] == error.get("message")
        ):
            return mistake
    return None
