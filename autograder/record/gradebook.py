"""Record every submission and its grade, so that nothing is ever lost.

A submission's file is stored *before* it is graded (status ``pending``); its grade, every check
and how each case ran are stored afterwards in one transaction. A crash or a ``kill -9`` in
between leaves a pending row that the next `gdlab grade` completes, never a lost file, a half
grade or a duplicate.

Any SQLAlchemy URL works (``--db`` or ``GDLAB_DB``; PostgreSQL needs the ``psycopg`` driver);
the default is SQLite at ``$GDLAB_HOME/gradebook.db``. The schema is versioned (`schema.py`: the
tables and their migrations, in SQLAlchemy); `database.py` reaches it (SQLite without
SQLAlchemy, and why); `rows.py` maps rows to grading's data; this module is the queries, plain
SQL that SQLite and PostgreSQL both run. What it reads back is grading's own data: `Check` and
`CaseRun` objects, as a `Grade` holds them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from autograder.judge.checks import CaseRun, Check, Grade
from autograder.load.submission import Program
from autograder.record.database import GradebookError, Writer, default_url, open_database
from autograder.record.rows import (
    CHECK_COLUMNS,
    ROW_COLUMNS,
    RUN_COLUMNS,
    Row,
    case_run_from,
    check_from,
    check_rows,
    row_from,
    run_rows,
)
from autograder.record.states import GRADED, NEEDS_REGRADE, PENDING, SCHEMA_VERSION
from autograder.report.sanitize import decoded_name

__all__ = [
    "GRADED",
    "NEEDS_REGRADE",
    "PENDING",
    "SCHEMA_VERSION",
    "Gradebook",
    "GradebookError",
    "Row",
    "default_url",
    "write_grade",
]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


_ROW = ", ".join(ROW_COLUMNS)
_CLEAR_CHECKS = "DELETE FROM checks WHERE submission_id = :submission"
_CLEAR_RUNS = "DELETE FROM runs WHERE submission_id = :submission"
_GRADED = (
    "UPDATE submissions SET status = :status, graded_at = :graded_at, score = :score, "
    "max_score = :max_score, verdict = :verdict, mistakes = :mistakes, seed = :seed, "
    "problem = NULL WHERE id = :submission"
)
_SETTLED = (
    "UPDATE submissions SET status = :status, graded_at = :graded_at, score = :score, "
    "max_score = :max_score, verdict = :verdict, mistakes = '[]', problem = :problem "
    "WHERE id = :submission"
)
_CHECK_KEYS = (
    "submission_id, case_name, quantity, passed, score, max_score, expected, received, "
    "message, mistake, hint, carried_forward, visible, reason"
)
_NEW_CHECKS = (
    f"INSERT INTO checks ({_CHECK_KEYS}) VALUES "
    f"({', '.join(':' + key for key in _CHECK_KEYS.split(', '))})"
)
_RUN_KEYS = "submission_id, case_name, visible, status, seconds, output, problem, losses"
_NEW_RUNS = (
    f"INSERT INTO runs ({_RUN_KEYS}) VALUES "
    f"({', '.join(':' + key for key in _RUN_KEYS.split(', '))})"
)
_NEW_SUBMISSION = (
    "INSERT INTO submissions (exercise, student, filename, sha256, content, submitted_at, "
    "seed, status, origin) VALUES (:exercise, :student, :filename, :sha256, :content, "
    ":submitted_at, :seed, :status, :origin) RETURNING id"
)


def write_grade(writer: Writer, submission_id: int, grade: Grade) -> None:
    """The grade, its checks and its runs, in the writer's transaction (replacing any earlier
    try): `Gradebook.add_grade`, and a course server's worker, which marks the job done and
    claims the next one in the same transaction (one commit per SUBMIT)."""
    _replace(
        writer,
        submission_id,
        _GRADED,
        {
            "status": GRADED,
            "score": grade.score,
            "max_score": grade.max_score,
            "verdict": grade.verdict,
            "mistakes": json.dumps(grade.mistakes),
            "seed": grade.seed,
        },
    )
    writer.executemany(_NEW_CHECKS, check_rows(submission_id, grade))
    writer.executemany(_NEW_RUNS, run_rows(submission_id, grade))


def _replace(writer: Writer, submission_id: int, update: str, values: dict[str, Any]) -> None:
    """Clear a submission's checks and runs of an earlier try, then `update` its row."""
    writer.execute(_CLEAR_CHECKS, {"submission": submission_id})
    writer.execute(_CLEAR_RUNS, {"submission": submission_id})
    writer.execute(update, {"submission": submission_id, "graded_at": _now(), **values})


class Gradebook:
    """Submissions, grades, checks and runs in one database (`database.py`: how it is
    reached; `engine`: SQLAlchemy's, for the course server, made when first asked for)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self._db, self._engine = open_database(self.url)

    @property
    def engine(self) -> Any:
        """The gradebook's SQLAlchemy engine (the course server's queue and store use it)."""
        if self._engine is None:
            from autograder.record.connection import open_engine

            self._engine = open_engine(self.url)
        return self._engine

    def close(self) -> None:
        self._db.close()
        if self._engine is not None:
            self._engine.dispose()

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
        return self.add_submissions([(exercise, student, program)], origin, seed)[0]

    def add_submissions(
        self,
        entries: list[tuple[str, str, Program]],
        origin: str = "grade",
        seed: int | None = None,
    ) -> list[int]:
        """Store many files (exercise, student, program) in one transaction; their ids, in order.

        A class is queued this way before any grading starts, so a killed batch has every file
        and a re-run knows exactly which are left."""
        now = _now()
        with self._db.write() as writer:
            return [
                int(
                    writer.execute(
                        _NEW_SUBMISSION,
                        {
                            "exercise": exercise,
                            "student": decoded_name(student),
                            "filename": decoded_name(program.path.name),
                            "sha256": program.sha256,
                            "content": program.content,
                            "submitted_at": now,
                            "seed": seed,
                            "status": PENDING,
                            "origin": origin,
                        },
                    )[0][0]
                )
                for exercise, student, program in entries
            ]

    def latest_by_content(self, exercises: set[str]) -> dict[tuple[str, str, str], Row]:
        """The latest submission of each (exercise, student, sha256) for these exercises."""
        names = {f"e{number}": name for number, name in enumerate(sorted(exercises))}
        if not names:
            return {}
        query = (
            f"SELECT sha256, {_ROW} FROM submissions "
            f"WHERE exercise IN ({', '.join(':' + key for key in names)}) ORDER BY id"
        )
        latest = {}
        for sha256, *columns in self._db.read(query, names):
            row = row_from(columns)
            latest[row.exercise, row.student, sha256] = row
        return latest

    def add_grade(self, submission_id: int, grade: Grade) -> None:
        """Store the grade, all its checks and its runs at once (replacing any earlier try)."""
        self.add_grades([(submission_id, grade)])

    def add_grades(self, grades: Sequence[tuple[int, Grade]]) -> None:
        """Store several submissions' grades as `add_grade` does, in one transaction (a class's
        batch: one commit for several files)."""
        if not grades:
            return
        with self._db.write() as writer:
            for submission_id, grade in grades:
                write_grade(writer, submission_id, grade)

    def add_refusal(self, submission_id: int, reason: str, max_score: float) -> None:
        """Record a final 0 for a file that cannot be graded at all (unreadable, malformed, a
        link, too large), with the reason: the student's file is the problem."""
        self._settle(submission_id, GRADED, 0.0, max_score, f"Not graded: {reason}", reason)

    def add_needs_regrade(self, submission_id: int, reason: str) -> None:
        """Record that grading failed on our side (an internal error, a sandbox that did not
        start): no score, and the next `gdlab grade` grades the file again."""
        self._settle(submission_id, NEEDS_REGRADE, None, None, f"Needs regrade: {reason}", reason)

    def _settle(
        self,
        submission_id: int,
        status: str,
        score: float | None,
        max_score: float | None,
        verdict: str,
        problem: str,
    ) -> None:
        with self._db.write() as writer:
            _replace(
                writer,
                submission_id,
                _SETTLED,
                {
                    "status": status,
                    "score": score,
                    "max_score": max_score,
                    "verdict": verdict,
                    "problem": problem,
                },
            )

    # reading

    def class_seed(self, exercise: str) -> int:
        """The hidden cases' seed for a whole class: the same for every student (fair, and
        each reference runs once), reproducible, and unknown to anyone without the gradebook.
        ``GDLAB_SEED`` overrides it."""
        if os.environ.get("GDLAB_SEED"):
            return int(os.environ["GDLAB_SEED"])
        [(secret,)] = self._db.read("SELECT value FROM gdlab_meta WHERE key = 'secret'")
        digest = hashlib.sha256(f"{secret}:{exercise}".encode()).digest()
        return int.from_bytes(digest[:4], "big")

    def rows(self, exercise: str | None = None, student: str | None = None) -> list[Row]:
        """Every submission, oldest first, optionally for one exercise or student."""
        where = [
            f"{key} = :{key}"
            for key, value in (("exercise", exercise), ("student", student))
            if value
        ]
        query = f"SELECT {_ROW} FROM submissions"
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY id"
        params = {"exercise": exercise, "student": student}
        return [row_from(r) for r in self._db.read(query, {k: v for k, v in params.items() if v})]

    def checks_of(self, submission_id: int) -> list[Check]:
        """A graded submission's checks, in the order they were graded."""
        query = f"SELECT {', '.join(CHECK_COLUMNS)} FROM checks WHERE submission_id = :id"
        return [check_from(r) for r in self._db.read(query, {"id": submission_id})]

    def runs_of(self, submission_id: int) -> list[CaseRun]:
        """How a graded submission's program ran on each case (its output as kept)."""
        query = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE submission_id = :id"
        return [case_run_from(r) for r in self._db.read(query, {"id": submission_id})]

    def content_of(self, submission_id: int) -> bytes:
        [(content,)] = self._db.read(
            "SELECT content FROM submissions WHERE id = :id", {"id": submission_id}
        )
        return bytes(content)
