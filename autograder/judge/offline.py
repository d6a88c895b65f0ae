"""TEST RUN without the reference: the published case against the values shipped with the release.

In course mode a student's install holds no reference (`published_release`), so the published
case is checked against the expected values `gdlab build` shipped: the same sandbox, the same
comparison (`grading.check_case`, `compare`), the same visible-check table. What needs the
reference is left out and said so: no named mistakes, no error carried forward (a later value
built on an earlier slip is ✗ here, ✓* on the server), no hidden cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.judge import grading, names, problems
from autograder.judge.case_checks import check_case
from autograder.judge.checks import CaseRun, Check, Grade
from autograder.judge.compare import compare
from autograder.judge.diagnose import Diagnosis
from autograder.judge.grader import Grader
from autograder.judge.published_release import Shipped
from autograder.load import published_given
from autograder.load.exercise import Case, Exercise
from autograder.load.submission import Program
from autograder.run.outcome import Outcome
from autograder.run.sandbox import Job, RunResult
from autograder.run.values import Value, format_value

#: Said after every offline TEST RUN and check cell.
OFFLINE_NOTE = (
    "Checked offline against the published values shipped with the release: mistake names, "
    "error carried forward and SUBMIT need the course server."
)


@dataclass
class ShippedOracle:
    """What `check_case` asks of an oracle, answered from the shipped values alone."""

    exercise: Exercise
    case: Case
    expected: dict[str, np.ndarray]

    def diagnose(self, *args: Any, **kwargs: Any) -> Diagnosis:
        return Diagnosis()  # naming a mistake runs the reference: the server's job

    def mistake_raising(self, *args: Any) -> None:
        return None


def grade_published(shipped: Shipped, program: Program, grader: Grader | None = None) -> Grade:
    """TEST RUN `program` on the published case; the checks compare with the shipped values."""
    exercise = shipped.exercise
    case = exercise.published_case()
    result = Grade(
        exercise.id,
        "",
        program.path.name,
        None,
        max_score=exercise.max_score,
        notes=published_given.changes(exercise, program.source),
    )
    job = Job(
        program.source,
        program.path.name,
        None,
        names.job_quantities(exercise),
        exercise.limits,
        cases=(case.given_plain(exercise.given_keys),),
        files=tuple(str(exercise.folder / f) for f in exercise.files),
        trace=exercise.points,
    )
    if grader is None:
        with Grader() as own:
            runs = own.run(job)
    else:
        runs = grader.run(job)
    oracle = ShippedOracle(exercise, case, shipped.expected)
    if not runs:
        result.checks = grading._not_run(oracle, 1, "not run")  # type: ignore[arg-type]
        return result
    run, aliased = names.resolve(exercise, runs[0])
    problem = problems.problem(run, program, exercise.limits.time)
    result.runs.append(
        CaseRun(case.name, True, run.status, run.seconds, run.output, run.output_truncated, problem)
    )
    checks = grading._noted(
        check_case(oracle, run, problem, 1),  # type: ignore[arg-type]
        exercise,
        aliased,
    )
    if exercise.steps:
        checks = _with_steps(shipped, run, problem, checks)
    result.checks = checks
    return result


def _with_steps(
    shipped: Shipped, run: RunResult, problem: str | None, ends: list[Check]
) -> list[Check]:
    """A training exercise: each traced step against its shipped values, then the
    end-of-training checks with the points of the steps the file does not write separately."""
    exercise = shipped.exercise
    carry: dict[str, float] = {}
    steps = []
    for step in exercise.steps:
        worth = step.points + carry.pop(step.part_of, 0.0)
        records = run.trace.get(step.at, [])
        if not any(step.name in r.after for r in records) and run.status is Outcome.FINISHED:
            carry[step.part_of] = worth  # not written as a variable of its own: costs nothing
            continue
        steps.append(
            _step_check(exercise, step, shipped.steps.get(step.id, []), run, problem, worth)
        )
    return steps + grading.ends_after(steps, ends, carry, run)


def _step_check(
    exercise: Exercise,
    step: Any,
    expected: list[np.ndarray | None],
    run: RunResult,
    problem: str | None,
    worth: float,
) -> Check:
    base = {"quantity": step.id, "case": "published", "visible": True, "max_score": worth}
    records = run.trace.get(step.at, [])
    point = exercise.point(step.at)
    first: tuple[str, str] = ("-", "-")
    for index, value in enumerate(expected):
        if value is None:
            continue
        mine = records[index] if index < len(records) else None
        if mine is None and index > 0 and run.status is not Outcome.FINISHED:
            break  # the run stopped in an earlier pass: charged to the step that stopped it
        received = mine.after.get(step.name, Value.missing()) if mine else Value.missing()
        shown = {**base, "expected": format_value(value), "received": received.describe()}
        if first == ("-", "-"):
            first = (shown["expected"], shown["received"])
        outcome = compare(value, received, exercise.rtol, exercise.atol)
        if outcome.ok:
            continue
        if received.kind == "missing" and run.status is not Outcome.FINISHED:
            return Check(**shown, passed=False, score=0.0, message=f"not computed: {problem}")
        where = point.where(index + 1)
        return Check(**shown, passed=False, score=0.0, message=f"{where}: {outcome.problem}")
    return Check(
        **base, expected=first[0], received=first[1], passed=True, score=worth, message="correct"
    )
