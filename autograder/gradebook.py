"""Record every submission and its grade, so that nothing is ever lost.

A submission's content is written *before* it is graded (status ``pending``); its grade and every
check are written afterwards in one transaction. A crash in between leaves a pending row that a
later run can grade again, never a lost file or half a grade. The schema is versioned
(``PRAGMA user_version``) and upgraded step by step, never dropped.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from autograder.grading import Grade
from autograder.submission import Program

_MIGRATIONS = [
    """
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        exercise TEXT NOT NULL,
        student TEXT NOT NULL,
        filename TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        content BLOB NOT NULL,
        submitted_at TEXT NOT NULL,
        seed INTEGER,
        status TEXT NOT NULL DEFAULT 'pending',
        graded_at TEXT,
        score REAL,
        max_score REAL,
        verdict TEXT,
        mistakes TEXT
    );
    CREATE INDEX submissions_by_student ON submissions (student, exercise);
    CREATE TABLE checks (
        submission_id INTEGER NOT NULL REFERENCES submissions (id),
        case_name TEXT NOT NULL,
        quantity TEXT NOT NULL,
        passed INTEGER NOT NULL,
        score REAL NOT NULL,
        max_score REAL NOT NULL,
        expected TEXT NOT NULL,
        received TEXT NOT NULL,
        message TEXT NOT NULL,
        mistake TEXT
    );
    CREATE INDEX checks_by_submission ON checks (submission_id);
    """,
]


def default_home() -> Path:
    """``$GDLAB_HOME``, else the per-user data directory (``$XDG_DATA_HOME/gdlab``)."""
    if os.environ.get("GDLAB_HOME"):
        return Path(os.environ["GDLAB_HOME"])
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "gdlab"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Gradebook:
    """A SQLite gradebook file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_home() / "gradebook.db"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._migrate()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            self._db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    def add_submission(self, exercise: str, student: str, program: Program,
                       seed: int | None) -> int:
        """Store the file before grading it; returns the submission's id."""
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO submissions (exercise, student, filename, sha256, content, "
                "submitted_at, seed) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (exercise, student, program.path.name, program.sha256, program.content, _now(),
                 seed))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add_grade(self, submission_id: int, grade: Grade) -> None:
        """Store the grade and all its checks at once."""
        with self._db:
            self._db.execute(
                "UPDATE submissions SET status = 'graded', graded_at = ?, score = ?, "
                "max_score = ?, verdict = ?, mistakes = ? WHERE id = ?",
                (_now(), grade.score, grade.max_score, grade.verdict, json.dumps(grade.mistakes),
                 submission_id))
            self._db.executemany(
                "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(submission_id, c.case, c.quantity, int(c.passed), c.score, c.max_score,
                  c.expected, c.received, c.message, c.mistake) for c in grade.checks])

    def submissions(self) -> Iterator[sqlite3.Row]:
        """Every submission, oldest first (content left out)."""
        self._db.row_factory = sqlite3.Row
        yield from self._db.execute(
            "SELECT id, exercise, student, filename, sha256, submitted_at, seed, status, "
            "graded_at, score, max_score, verdict, mistakes FROM submissions ORDER BY id")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def opened(self) -> Iterator[Gradebook]:
        try:
            yield self
        finally:
            self.close()
