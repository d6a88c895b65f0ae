"""The instructor's views of the class: the table, mistake counts, exports with due dates.

Best score per student and exercise is the highest graded SUBMIT (with a due date: submitted by
then, when asked), unless an instructor overrode it; the override and its comment win.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

from autograder.record.gradebook import Row
from autograder.server import course
from autograder.server.store import Store


@dataclass(frozen=True)
class Cell:
    best: float | None
    max_score: float
    attempts: int
    last: str | None
    override: dict[str, Any] | None


def _best(rows: list[Row], due: str | None) -> float | None:
    scores = [
        r.score for r in rows if r.score is not None and (due is None or r.submitted_at <= due)
    ]
    return max(scores) if scores else None


def table(
    store: Store, before_due: bool = False
) -> tuple[list[str], list[str], dict[tuple[str, str], Cell]]:
    """(students, exercises, cell per (student, exercise))."""
    rows = store.book.rows()
    roster = [name for name, role in store.roster() if role == "student"]
    students = sorted(set(roster) | {r.student for r in rows})
    ids = list(course.ids())
    due = store.due() if before_due else {}
    overrides = store.overrides()
    by: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        by.setdefault((r.student, r.exercise), []).append(r)
    cells = {}
    for s in students:
        for e in ids:
            mine = by.get((s, e), [])
            override = overrides.get((s, e))
            best = override["score"] if override else _best(mine, due.get(e))
            cells[(s, e)] = Cell(
                best,
                _max(e),
                len(mine),
                max((r.submitted_at for r in mine), default=None),
                override,
            )
    return students, ids, cells


def _max(exercise_id: str) -> float:
    return course.get(exercise_id).max_score


def mistakes(store: Store, exercise_id: str) -> list[tuple[str, int]]:
    """Each named mistake of the exercise with the number of students who made it."""
    seen = Counter(
        m for student, names in _mistakes_by_student(store, exercise_id).items() for m in names
    )
    return seen.most_common()


def _mistakes_by_student(store: Store, exercise_id: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in store.book.rows(exercise=exercise_id):
        out.setdefault(r.student, set()).update(r.mistakes)
    return out


def to_csv(store: Store, before_due: bool) -> str:
    students, ids, cells = table(store, before_due)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "student",
            "exercise",
            "score",
            "max_score",
            "attempts",
            "last_activity",
            "override_comment",
        ]
    )
    for s in students:
        for e in ids:
            cell = cells[(s, e)]
            if cell.attempts or cell.override:
                writer.writerow(
                    [
                        s,
                        e,
                        "" if cell.best is None else f"{cell.best:g}",
                        f"{cell.max_score:g}",
                        cell.attempts,
                        cell.last or "",
                        cell.override["comment"] if cell.override else "",
                    ]
                )
    return out.getvalue()
