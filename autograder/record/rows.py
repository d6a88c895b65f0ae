"""The gradebook's rows and grading's data, each way: a `Grade`'s checks and runs as rows to
insert, stored rows back as `Check`, `CaseRun` and `Row` objects.

Kept apart from the queries (`gradebook.py`) so that what a column holds is said in one place.
Rows are read as plain tuples, their columns in the order the ``*_COLUMNS`` names give (the
queries select them by those names).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autograder.judge.checks import CaseRun, Check, Grade

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


#: The columns of `submissions` a `Row` is made of, in its order.
ROW_COLUMNS = (
    "id",
    "exercise",
    "student",
    "filename",
    "submitted_at",
    "graded_at",
    "status",
    "score",
    "max_score",
    "mistakes",
    "seed",
    "verdict",
    "problem",
)
#: The columns of `checks` a `Check` is read from, in `check_from`'s order.
CHECK_COLUMNS = (
    "quantity",
    "case_name",
    "visible",
    "passed",
    "score",
    "max_score",
    "expected",
    "received",
    "message",
    "mistake",
    "hint",
    "carried_forward",
    "reason",
)
#: The columns of `runs` a `CaseRun` is read from, in `case_run_from`'s order.
RUN_COLUMNS = ("case_name", "visible", "status", "seconds", "output", "problem", "losses")


def row_from(r: Sequence[Any]) -> Row:
    """A row of `ROW_COLUMNS`."""
    (id_, exercise, student, filename, submitted_at, graded_at, status, score, max_score,
     mistakes, seed, verdict, problem) = r  # fmt: skip
    return Row(
        int(id_),
        exercise,
        student,
        filename,
        submitted_at,
        graded_at,
        status,
        score,
        max_score,
        json.loads(mistakes) if mistakes else [],
        seed,
        verdict or "",
        problem,
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


def check_from(r: Sequence[Any]) -> Check:
    """A stored check (a row of `CHECK_COLUMNS`) as grading made it (what the gradebook does
    not keep, `built_on`, empty)."""
    (quantity, case, visible, passed, score, max_score, expected, received, message, mistake,
     hint, carried_forward, reason) = r  # fmt: skip
    return Check(
        quantity,
        case,
        bool(visible),
        bool(passed),
        score,
        max_score,
        expected,
        received,
        message,
        mistake,
        hint,
        bool(carried_forward),
        reason=reason,
    )


def case_run_from(r: Sequence[Any]) -> CaseRun:
    """A stored run (a row of `RUN_COLUMNS`; its output as kept: `output_truncated` when the
    gradebook cut it)."""
    case, visible, status, seconds, output, problem, losses = r
    return CaseRun(
        case,
        bool(visible),
        status,
        seconds,
        output,
        len(output) >= OUTPUT_KEPT,
        problem,
        losses_from(losses),
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
