"""Record every submission and its grade, so that nothing is ever lost.

A submission's file is stored *before* it is graded (status ``pending``); its grade, every check
and how each case ran are stored afterwards in one transaction. A crash or a ``kill -9`` in
between leaves a pending row that the next `gdlab grade` completes, never a lost file, a half
grade or a duplicate.

Any SQLAlchemy URL works (``--db`` or ``GDLAB_DB``; PostgreSQL needs the ``psycopg`` driver);
the default is SQLite at ``$GDLAB_HOME/gradebook.db``. The schema is versioned (`schema.py`: the
tables and their migrations; `connection.py` opens it; `rows.py` maps rows to grading's data);
this module is the queries. What it reads back is grading's own data: `Check` and `CaseRun`
objects, as a `Grade` holds them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from autograder.judge.checks import CaseRun, Check, Grade
from autograder.load.submission import Program
from autograder.record.connection import GradebookError, default_url, open_engine
from autograder.record.rows import (
    Row,
    case_run_from,
    check_from,
    check_rows,
    row_columns,
    row_from,
    run_rows,
)
from autograder.record.schema import (  # the schema's names, as the gradebook's users know them
    GRADED,
    MIGRATIONS,
    NEEDS_REGRADE,
    PENDING,
    SCHEMA_VERSION,
    checks,
    gdlab_meta,
    migrate,
    runs,
    schema_version,
    submissions,
)
from autograder.report.sanitize import decoded_name

__all__ = [
    "GRADED",
    "MIGRATIONS",
    "NEEDS_REGRADE",
    "PENDING",
    "SCHEMA_VERSION",
    "Gradebook",
    "GradebookError",
    "Row",
    "checks",
    "default_url",
    "gdlab_meta",
    "migrate",
    "runs",
    "schema_version",
    "submissions",
]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


#: A grade's statements, built once: a course server writes one grade per SUBMIT, and building
#: a statement costs more than SQLite's running it. (A bound name may not be a SET column's.)
_SUBMISSION: sa.BindParameter[int] = sa.bindparam("submission")
_CLEAR_CHECKS = checks.delete().where(checks.c.submission_id == _SUBMISSION)
_CLEAR_RUNS = runs.delete().where(runs.c.submission_id == _SUBMISSION)
_GRADED = (
    submissions.update()
    .where(submissions.c.id == _SUBMISSION)
    .values(
        status=GRADED,
        graded_at=sa.bindparam("new_graded_at"),
        score=sa.bindparam("new_score"),
        max_score=sa.bindparam("new_max_score"),
        verdict=sa.bindparam("new_verdict"),
        mistakes=sa.bindparam("new_mistakes"),
        seed=sa.bindparam("new_seed"),
        problem=None,
    )
)
_NEW_CHECKS, _NEW_RUNS = checks.insert(), runs.insert()


def write_grade(conn: sa.Connection, submission_id: int, grade: Grade) -> None:
    """The grade, its checks and its runs, in the caller's transaction (replacing any earlier
    try): `Gradebook.add_grade`, and a course server's worker, which marks the job done and
    claims the next one in the same transaction (one commit per SUBMIT)."""
    conn.execute(_CLEAR_CHECKS, {"submission": submission_id})
    conn.execute(_CLEAR_RUNS, {"submission": submission_id})
    conn.execute(
        _GRADED,
        {
            "submission": submission_id,
            "new_graded_at": _now(),
            "new_score": grade.score,
            "new_max_score": grade.max_score,
            "new_verdict": grade.verdict,
            "new_mistakes": json.dumps(grade.mistakes),
            "new_seed": grade.seed,
        },
    )
    if grade.checks:
        conn.execute(_NEW_CHECKS, check_rows(submission_id, grade))
    if grade.runs:
        conn.execute(_NEW_RUNS, run_rows(submission_id, grade))


class Gradebook:
    """Submissions, grades, checks and runs in one database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = open_engine(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # writing

    def add_submission(
        self,
        exercise: str,
        student: str,
        program: Program,
        seed: int | None,
        origin: str = "submit",
    ) -> int:
        """Store the file before grading it; returns the submission's id."""
        with self.engine.begin() as conn:
            result = conn.execute(
                submissions.insert().values(
                    exercise=exercise,
                    student=decoded_name(student),
                    filename=decoded_name(program.path.name),
                    sha256=program.sha256,
                    content=program.content,
                    submitted_at=_now(),
                    seed=seed,
                    status="pending",
                    origin=origin,
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]  # an INSERT's key

    def add_submissions(
        self, entries: list[tuple[str, str, Program]], origin: str = "grade"
    ) -> list[int]:
        """Store many files (exercise, student, program) in one transaction; their ids, in order.

        A class is queued this way before any grading starts, so a killed batch has every file
        and a re-run knows exactly which are left."""
        if not entries:
            return []
        now = _now()
        rows = [
            {
                "exercise": exercise,
                "student": decoded_name(student),
                "filename": decoded_name(program.path.name),
                "sha256": program.sha256,
                "content": program.content,
                "submitted_at": now,
                "seed": None,
                "status": "pending",
                "origin": origin,
            }
            for exercise, student, program in entries
        ]
        with self.engine.begin() as conn:
            result = conn.execute(
                submissions.insert().returning(submissions.c.id, sort_by_parameter_order=True), rows
            )
            return [int(row[0]) for row in result]

    def latest_by_content(self, exercises: set[str]) -> dict[tuple[str, str, str], Row]:
        """The latest submission of each (exercise, student, sha256) for these exercises."""
        query = (
            sa.select(submissions.c.sha256, *row_columns())
            .where(submissions.c.exercise.in_(sorted(exercises)))
            .order_by(submissions.c.id)
        )
        with self.engine.connect() as conn:
            return {(r.exercise, r.student, r.sha256): row_from(r) for r in conn.execute(query)}

    def add_grade(self, submission_id: int, grade: Grade) -> None:
        """Store the grade, all its checks and its runs at once (replacing any earlier try)."""
        self.add_grades([(submission_id, grade)])

    def add_grades(self, grades: Sequence[tuple[int, Grade]]) -> None:
        """Store several submissions' grades as `add_grade` does, in one transaction (a class's
        batch: one commit for several files)."""
        if not grades:
            return
        with self.engine.begin() as conn:
            for submission_id, grade in grades:
                write_grade(conn, submission_id, grade)

    def add_refusal(self, submission_id: int, reason: str, max_score: float) -> None:
        """Record a final 0 for a file that cannot be graded at all (unreadable, malformed, a
        link, too large), with the reason: the student's file is the problem."""
        self._settle(
            submission_id,
            status=GRADED,
            score=0.0,
            max_score=max_score,
            verdict=f"Not graded: {reason}",
            mistakes="[]",
            problem=reason,
        )

    def add_needs_regrade(self, submission_id: int, reason: str) -> None:
        """Record that grading failed on our side (an internal error, a sandbox that did not
        start): no score, and the next `gdlab grade` grades the file again."""
        self._settle(
            submission_id,
            status=NEEDS_REGRADE,
            score=None,
            max_score=None,
            verdict=f"Needs regrade: {reason}",
            mistakes="[]",
            problem=reason,
        )

    def _settle(self, submission_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(checks.delete().where(checks.c.submission_id == submission_id))
            conn.execute(runs.delete().where(runs.c.submission_id == submission_id))
            conn.execute(
                submissions.update()
                .where(submissions.c.id == submission_id)
                .values(graded_at=_now(), **values)
            )

    # reading

    def class_seed(self, exercise: str) -> int:
        """The hidden cases' seed for a whole class: the same for every student (fair, and
        each reference runs once), reproducible, and unknown to anyone without the gradebook.
        ``GDLAB_SEED`` overrides it."""
        if os.environ.get("GDLAB_SEED"):
            return int(os.environ["GDLAB_SEED"])
        with self.engine.connect() as conn:
            secret = conn.execute(
                sa.select(gdlab_meta.c.value).where(gdlab_meta.c.key == "secret")
            ).scalar_one()
        digest = hashlib.sha256(f"{secret}:{exercise}".encode()).digest()
        return int.from_bytes(digest[:4], "big")

    def rows(self, exercise: str | None = None, student: str | None = None) -> list[Row]:
        """Every submission, oldest first, optionally for one exercise or student."""
        query = sa.select(*row_columns()).order_by(submissions.c.id)
        if exercise:
            query = query.where(submissions.c.exercise == exercise)
        if student:
            query = query.where(submissions.c.student == student)
        with self.engine.connect() as conn:
            return [row_from(r) for r in conn.execute(query)]

    def checks_of(self, submission_id: int) -> list[Check]:
        """A graded submission's checks, in the order they were graded."""
        query = sa.select(checks).where(checks.c.submission_id == submission_id)
        with self.engine.connect() as conn:
            return [check_from(r) for r in conn.execute(query)]

    def runs_of(self, submission_id: int) -> list[CaseRun]:
        """How a graded submission's program ran on each case (its output as kept)."""
        query = sa.select(runs).where(runs.c.submission_id == submission_id)
        with self.engine.connect() as conn:
            return [case_run_from(r) for r in conn.execute(query)]

    def content_of(self, submission_id: int) -> bytes:
        with self.engine.connect() as conn:
            return bytes(
                conn.execute(
                    sa.select(submissions.c.content).where(submissions.c.id == submission_id)
                ).scalar_one()
            )
