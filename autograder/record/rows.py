"""The gradebook's rows and grading's data, each way: a `Grade`'s checks and runs as rows to
insert, stored rows back as `Check`, `CaseRun` and `Row` objects.

Kept apart from the queries (`gradebook.py`) so that what a column holds is said in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from autograder.judge.checks import CaseRun, Check, Grade
from autograder.record.schema import submissions

#: What the gradebook keeps of a run's output; longer is cut.
OUTPUT_KEPT = 20_000


@dataclass(frozen=True)
class Row:
    """One submission as the exports see it (content left out)."""

    id: int
    exercise: str
    student: str
    filename: str
    submitted_at: str
    graded_at: str | None
    status: str
    score: float | None
    max_score: float | None
    mistakes: list[str]
    seed: int | None
    verdict: str = ""
    #: Why a graded 0 never ran, or why it needs a regrade (see NEEDS_REGRADE).
    problem: str | None = None


def row_columns() -> list[sa.Column[Any]]:
    """The columns of `submissions` a `Row` is made of, in its order."""
    c = submissions.c
    return [
        c.id,
        c.exercise,
        c.student,
        c.filename,
        c.submitted_at,
        c.graded_at,
        c.status,
        c.score,
        c.max_score,
        c.mistakes,
        c.seed,
        c.verdict,
        c.problem,
    ]


def row_from(r: Any) -> Row:
    return Row(
        int(r.id),
        r.exercise,
        r.student,
        r.filename,
        r.submitted_at,
        r.graded_at,
        r.status,
        r.score,
        r.max_score,
        json.loads(r.mistakes) if r.mistakes else [],
        r.seed,
        r.verdict or "",
        r.problem,
    )


def check_rows(submission_id: int, grade: Grade) -> list[dict[str, Any]]:
    """The grade's checks as rows of `checks` (the reason as its short code)."""
    return [
        {
            "submission_id": submission_id,
            "case_name": c.case,
            "quantity": c.quantity,
            "passed": c.passed,
            "score": c.score,
            "max_score": c.max_score,
            "expected": c.expected,
            "received": c.received,
            "message": c.message,
            "mistake": c.mistake,
            "hint": c.hint,
            "carried_forward": c.carried_forward,
            "visible": c.visible,
            "reason": str(c.reason),
        }
        for c in grade.checks
    ]


def run_rows(submission_id: int, grade: Grade) -> list[dict[str, Any]]:
    """The grade's runs as rows of `runs` (the outcome as its word, the output cut)."""
    return [
        {
            "submission_id": submission_id,
            "case_name": r.case,
            "visible": r.visible,
            "status": str(r.status),
            "seconds": r.seconds,
            "output": r.output[:OUTPUT_KEPT],
            "problem": r.problem,
            "losses": None if r.losses is None else json.dumps(r.losses),
        }
        for r in grade.runs
    ]


def check_from(r: Any) -> Check:
    """A stored check as grading made it (what the gradebook does not keep, `built_on`, empty)."""
    return Check(
        r.quantity,
        r.case_name,
        bool(r.visible),
        bool(r.passed),
        r.score,
        r.max_score,
        r.expected,
        r.received,
        r.message,
        r.mistake,
        r.hint,
        bool(r.carried_forward),
        reason=r.reason,
    )


def case_run_from(r: Any) -> CaseRun:
    """A stored run (its output as kept: `output_truncated` when the gradebook cut it)."""
    return CaseRun(
        r.case_name,
        bool(r.visible),
        r.status,
        r.seconds,
        r.output,
        len(r.output) >= OUTPUT_KEPT,
        r.problem,
        losses_from(getattr(r, "losses", None)),
    )


#: Points a stored curve may have (a curve trace point keeps at most trace.MAX_CURVE).
_MAX_STORED = 1000


def losses_from(text: Any) -> tuple[tuple[int, float | None], ...] | None:
    """A run's stored loss curve (`runs.losses`, JSON ``[[pass, loss|null], …]``), read with
    bounds: None for a row graded before curves were stored; malformed items are dropped."""
    if not isinstance(text, str):
        return None
    try:
        plain = json.loads(text)
    except ValueError:
        return ()
    return tuple(
        (item[0], None if item[1] is None else float(item[1]))
        for item in (plain[:_MAX_STORED] if isinstance(plain, list) else [])
        if isinstance(item, list)
        and len(item) == 2
        and type(item[0]) is int
        and (item[1] is None or type(item[1]) in (int, float))
    )
