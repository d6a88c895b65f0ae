"""The grading logic for one submission: compare every case's run with the reference, diagnose.

Pure: it runs nothing of the student's. `judge.grader.Grader` (the one entry point) draws the
cases, runs the references while the sandbox runs the program (`prepare`), then hands the runs
here (`judge_runs`). One check per quantity per case; each check is worth the quantity's
points divided by the number of cases. A run that cannot say anything about the later cases (it
does not compile, its given block is gone, it hangs) stops the grading early instead of
repeating the same failure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from autograder.judge import names, problems, typed_in
from autograder.judge.case_checks import check_case, observed
from autograder.judge.checks import FULL_MARKS, TYPED_IN, CaseRun, Check, Grade, Reason, new_seed
from autograder.judge.diagnose import Oracle, oracle_for
from autograder.judge.problems import SIZE_HINT
from autograder.load import published_given
from autograder.load.exercise import Case, Exercise
from autograder.load.submission import Program
from autograder.run import trace
from autograder.run.sandbox import RunResult
from autograder.run.values import format_value

__all__ = [  # the model lives in checks.py, one case's checks in case_checks.py
    "FULL_MARKS",
    "SIZE_HINT",
    "TYPED_IN",
    "CaseRun",
    "Check",
    "Grade",
    "Reason",
    "check_case",
    "judge_runs",
    "new_seed",
    "prepare",
]


def prepare(exercise: Exercise, cases: list[Case]) -> list[Oracle]:
    """The reference's values on every case (and, for a training exercise, its first epoch):
    called while the sandbox's worker starts up, so the two overlap."""
    oracles = [oracle_for(exercise, case) for case in cases]
    for oracle in oracles:
        oracle.expected  # noqa: B018
    if exercise.steps:
        from autograder.judge.steps import step_oracle

        for case in cases:
            step_oracle(exercise, case).reference  # noqa: B018
    return oracles


@dataclass
class _Published:
    """The published case's oracle and run, once graded: what the hidden cases are held to."""

    oracle: Oracle
    run: RunResult


def judge_runs(
    exercise: Exercise,
    program: Program,
    cases: list[Case],
    oracles: list[Oracle],
    runs: list[RunResult],
    *,
    student: str = "",
    seed: int | None = None,
    hidden: bool = True,
) -> Grade:
    """The grade of `program` from its `runs` (the sandbox stops early after a run the later
    cases would only repeat, so there may be fewer runs than cases)."""
    result = Grade(
        exercise.id,
        student,
        program.path.name,
        seed if hidden else None,
        max_score=exercise.max_score,
        notes=published_given.changes(exercise, program.source),
    )
    stopped: str | None = None
    published: _Published | None = None
    frozen_anywhere: frozenset[str] = frozenset()
    credit_anywhere: dict[str, frozenset[str]] = {}
    for index, (case, oracle) in enumerate(zip(cases, oracles, strict=True)):
        if stopped or index >= len(runs):
            result.checks.extend(_not_run(oracle, len(cases), stopped or "not run"))
            continue
        run, aliased = names.resolve(exercise, runs[index])
        problem = problems.problem(run, program, exercise.limits.time)
        size_crash = bool(published and problem and problems.size_crash(run, published.run))
        if size_crash:
            problem = f"{problem}; {SIZE_HINT}"
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
        frozen = (
            typed_in.frozen(oracle, run, (published.oracle, published.run))
            if published
            else frozenset()
        )
        sized = (
            problems.published_shaped(oracle.expected, run, published.oracle.expected)
            if published and not size_crash
            else set()
        )
        frozen_anywhere |= frozen
        credit = typed_in.credit(frozen, run, exercise, program.source)
        for name, usable in credit.items():
            credit_anywhere[name] = credit_anywhere.get(name, frozenset()) | usable
        checks = _noted(
            check_case(oracle, run, problem, len(cases), frozen, credit), exercise, aliased
        )
        if exercise.steps:
            checks = _with_steps(oracle, run, problem, len(cases), checks)
        result.checks.extend(
            replace(c, message=f"{c.message}; it has the published case's shape: {SIZE_HINT}")
            if c.quantity in sized and not c.passed
            else c
            for c in checks
        )
        published = published or _Published(oracle, run)
        if run.status.stops_grading and not observed(run):  # seen in its loop: slow, go on
            stopped = f"not run: on the {case.name} case {problem}"
    result.checks = typed_in.settle(result.checks, frozen_anywhere, credit_anywhere)
    return result


def _noted(checks: list[Check], exercise: Exercise, aliased: dict[str, str]) -> list[Check]:
    """A value found under an earlier name of the lesson says so, in one line."""
    noted = []
    for check in checks:
        if check.quantity in aliased:
            note = names.alias_note(exercise.quantity(check.quantity), aliased[check.quantity])
            check = replace(check, message=f"{check.message} ({note})")
        noted.append(check)
    return noted


def _with_steps(
    oracle: Oracle, run: RunResult, problem: str | None, n_cases: int, checks: list[Check]
) -> list[Check]:
    """A training exercise's case: its traced steps first (steps.py), then the end-of-training
    checks, which take the points of steps not observed and point at the steps that slipped."""
    from autograder.judge.steps import step_checks

    steps, carry = step_checks(oracle.exercise, oracle.case, run, problem, n_cases)
    return steps + ends_after(steps, checks, carry, run)


def ends_after(
    steps: list[Check], ends: list[Check], carry: dict[str, float], run: RunResult
) -> list[Check]:
    """The end-of-training checks after a case's steps: each takes the points of the steps the
    file did not write separately (`carry`), and a wrong one points at the steps that slipped
    (unless it names its own mistake, or the run was stopped: then it is too slow, not wrong)."""
    slipped = ", ".join(c.quantity for c in steps if not c.passed)
    out = []
    for check in ends:
        extra = carry.get(check.quantity, 0.0)
        check = replace(
            check,
            max_score=check.max_score + extra,
            score=check.score + extra if check.passed else 0.0,
        )
        if not check.passed and slipped and not check.mistake and not run.status.stops_grading:
            check = replace(check, message=f"{check.message}; it follows from {slipped} above")
        out.append(check)
    return out


def _not_run(oracle: Oracle, n_cases: int, why: str) -> list[Check]:
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
            why,
            reason=Reason.NOT_RUN,
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
            why,
            reason=Reason.NOT_RUN,
        )
        for q in oracle.exercise.quantities
        if not q.optional
    ]
