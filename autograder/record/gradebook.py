"""Record every submission and its grade, so that nothing is ever lost.

A submission's file is stored *before* it is graded (status ``pending``); its grade, every check
and how each case ran are stored afterwards in one transaction. A crash or a ``kill -9`` in
between leaves a pending row that the next `gdlab grade` completes, never a lost file, a half
grade or a duplicate.

Any SQLAlchemy URL works (``--db`` or ``GDLAB_DB``; PostgreSQL needs the ``psycopg`` driver);
the default is SQLite at ``$GDLAB_HOME/gradebook.db``. The schema is versioned: each migration
below runs once, in a transaction, and a new gradebook is built by running them all, so the
upgrade path is the path every test takes.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from autograder.errors import UserError
from autograder.home import default_home
from autograder.judge.grading import Grade
from autograder.load.submission import Program
from autograder.record import first_use
from autograder.report.sanitize import decoded_name
from autograder.server.schema import add_server_tables

SCHEMA_VERSION = 4
#: A submission's status: stored, not graded yet; graded (a score, maybe a 0 for a file that
#: could not be graded, with its reason in `problem`); or not graded because of a fault on the
#: grader's side (`problem` says which), to be graded again by the next `gdlab grade`.
PENDING, GRADED, NEEDS_REGRADE = "pending", "graded", "needs_regrade"
_OUTPUT_KEPT = 20_000

metadata = sa.MetaData()
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("exercise", sa.Text, nullable=False),
    sa.Column("student", sa.Text, nullable=False),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("submitted_at", sa.Text, nullable=False),
    sa.Column("seed", sa.BigInteger),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("graded_at", sa.Text),
    sa.Column("score", sa.Float),
    sa.Column("max_score", sa.Float),
    sa.Column("verdict", sa.Text),
    sa.Column("mistakes", sa.Text),
    sa.Column("origin", sa.Text, nullable=False, server_default="submit"),
    sa.Column("problem", sa.Text),
)
checks = sa.Table(
    "checks",
    metadata,
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("case_name", sa.Text, nullable=False),
    sa.Column("quantity", sa.Text, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("max_score", sa.Float, nullable=False),
    sa.Column("expected", sa.Text, nullable=False),
    sa.Column("received", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("mistake", sa.Text),
    sa.Column("hint", sa.Text),
    sa.Column("carried_forward", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("visible", sa.Boolean, nullable=False, server_default=sa.false()),
)
runs = sa.Table(
    "runs",
    metadata,
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("case_name", sa.Text, nullable=False),
    sa.Column("visible", sa.Boolean, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("output", sa.Text, nullable=False),
    sa.Column("problem", sa.Text),
)
gdlab_meta = sa.Table(
    "gdlab_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


# --- migrations ---------------------------------------------------------------------------------


def _to_v1(conn: sa.Connection) -> None:
    """The first gradebook (gdlab 0.1): submissions and their checks."""
    conn.execute(
        sa.text(
            """
        CREATE TABLE submissions (
            id INTEGER PRIMARY KEY {autoincrement},
            exercise TEXT NOT NULL, student TEXT NOT NULL, filename TEXT NOT NULL,
            sha256 TEXT NOT NULL, content {blob} NOT NULL, submitted_at TEXT NOT NULL,
            seed BIGINT, status TEXT NOT NULL DEFAULT 'pending', graded_at TEXT,
            score REAL, max_score REAL, verdict TEXT, mistakes TEXT)""".format(**_dialect(conn))
        )
    )
    conn.execute(sa.text("CREATE INDEX submissions_by_student ON submissions (student, exercise)"))
    conn.execute(
        sa.text(
            """
        CREATE TABLE checks (
            submission_id INTEGER NOT NULL REFERENCES submissions (id),
            case_name TEXT NOT NULL, quantity TEXT NOT NULL, passed {bool} NOT NULL,
            score REAL NOT NULL, max_score REAL NOT NULL, expected TEXT NOT NULL,
            received TEXT NOT NULL, message TEXT NOT NULL, mistake TEXT)""".format(**_dialect(conn))
        )
    )
    conn.execute(sa.text("CREATE INDEX checks_by_submission ON checks (submission_id)"))


def _to_v2(conn: sa.Connection) -> None:
    """Batch grading: where a submission came from, how each case ran, hints, and a secret."""
    for statement in (
        "ALTER TABLE submissions ADD COLUMN origin TEXT NOT NULL DEFAULT 'submit'",
        "ALTER TABLE checks ADD COLUMN hint TEXT",
        "ALTER TABLE checks ADD COLUMN carried_forward BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE checks ADD COLUMN visible BOOLEAN NOT NULL DEFAULT FALSE",
        "CREATE INDEX submissions_by_content ON submissions (exercise, student, sha256)",
    ):
        conn.execute(sa.text(statement))
    runs.create(conn)
    gdlab_meta.create(conn)
    conn.execute(gdlab_meta.insert(), [{"key": "secret", "value": secrets.token_hex(16)}])


def _to_v3(conn: sa.Connection) -> None:
    """One file never stops a class: why a file got 0 without running, or why it needs a
    regrade (a fault of the grader's, not a final 0)."""
    conn.execute(sa.text("ALTER TABLE submissions ADD COLUMN problem TEXT"))


MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {
    1: _to_v1,
    2: _to_v2,
    3: _to_v3,
    4: add_server_tables,
}


def _dialect(conn: sa.Connection) -> dict[str, str]:
    if conn.dialect.name == "sqlite":
        return {"autoincrement": "AUTOINCREMENT", "blob": "BLOB", "bool": "INTEGER"}
    return {"autoincrement": "GENERATED BY DEFAULT AS IDENTITY", "blob": "BYTEA", "bool": "BOOLEAN"}


def schema_version(conn: sa.Connection) -> int:
    """0: empty; 1: a gdlab 0.1 gradebook (before versions were stored); else as stored."""
    inspector = sa.inspect(conn)
    if inspector.has_table("gdlab_meta"):
        stored = conn.execute(
            sa.select(gdlab_meta.c.value).where(gdlab_meta.c.key == "schema_version")
        ).scalar()
        return int(stored or 2)
    return 1 if inspector.has_table("submissions") else 0


def migrate(engine: sa.Engine) -> int:
    """Bring the gradebook to SCHEMA_VERSION, one migration per transaction; return it."""
    with engine.begin() as conn:
        version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"this gradebook has schema {version}, newer than this gdlab "
            f"({SCHEMA_VERSION}); upgrade gdlab"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with engine.begin() as conn:
            MIGRATIONS[target](conn)
            if target >= 2:
                conn.execute(gdlab_meta.delete().where(gdlab_meta.c.key == "schema_version"))
                conn.execute(gdlab_meta.insert(), [{"key": "schema_version", "value": str(target)}])
    return SCHEMA_VERSION


# --- the gradebook -------------------------------------------------------------------------------


def default_url() -> str:
    """``$GDLAB_DB``, else SQLite in `default_home`."""
    if os.environ.get("GDLAB_DB"):
        return os.environ["GDLAB_DB"]
    home = default_home()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)  # grades and hidden seeds are private
    database = home / "gradebook.db"
    if not database.exists():
        database.touch(mode=0o600)
    return f"sqlite:///{database}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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


class GradebookError(UserError):
    """The gradebook cannot be opened (bad URL, missing driver, unreachable server)."""


class Gradebook:
    """Submissions, grades, checks and runs in one database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        try:
            first_use.prepare(self.url)  # a SQLite file is created private
            self.engine = sa.create_engine(self.url, **_engine_options(self.url))
            with first_use.migration_lock(self.engine):  # concurrent first uses migrate once
                migrate(self.engine)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ModuleNotFoundError) as error:
            raise GradebookError(f"cannot use gradebook {self.url!r}: {error}") from None
        except OSError as error:  # creating the SQLite file or its folder
            raise GradebookError(f"cannot create gradebook {self.url!r}: {error}") from None
        except sa.exc.OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise GradebookError(f"cannot open gradebook {self.url!r}: {reason}") from None

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
            sa.select(submissions.c.sha256, *self._row_columns())
            .where(submissions.c.exercise.in_(sorted(exercises)))
            .order_by(submissions.c.id)
        )
        with self.engine.connect() as conn:
            return {(r.exercise, r.student, r.sha256): self._row(r) for r in conn.execute(query)}

    def add_grade(self, submission_id: int, grade: Grade) -> None:
        """Store the grade, all its checks and its runs at once (replacing any earlier try)."""
        with self.engine.begin() as conn:
            conn.execute(checks.delete().where(checks.c.submission_id == submission_id))
            conn.execute(runs.delete().where(runs.c.submission_id == submission_id))
            conn.execute(
                submissions.update()
                .where(submissions.c.id == submission_id)
                .values(
                    status=GRADED,
                    graded_at=_now(),
                    score=grade.score,
                    max_score=grade.max_score,
                    verdict=grade.verdict,
                    mistakes=json.dumps(grade.mistakes),
                    seed=grade.seed,
                    problem=None,
                )
            )
            if grade.checks:
                conn.execute(
                    checks.insert(),
                    [
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
                        }
                        for c in grade.checks
                    ],
                )
            if grade.runs:
                conn.execute(
                    runs.insert(),
                    [
                        {
                            "submission_id": submission_id,
                            "case_name": r.case,
                            "visible": r.visible,
                            "status": r.status,
                            "seconds": r.seconds,
                            "output": r.output[:_OUTPUT_KEPT],
                            "problem": r.problem,
                        }
                        for r in grade.runs
                    ],
                )

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
        query = sa.select(*self._row_columns()).order_by(submissions.c.id)
        if exercise:
            query = query.where(submissions.c.exercise == exercise)
        if student:
            query = query.where(submissions.c.student == student)
        with self.engine.connect() as conn:
            return [self._row(r) for r in conn.execute(query)]

    @staticmethod
    def _row_columns() -> list[sa.Column[Any]]:
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

    @staticmethod
    def _row(r: Any) -> Row:
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

    def checks_of(self, submission_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping)
                for r in conn.execute(
                    sa.select(checks).where(checks.c.submission_id == submission_id)
                )
            ]

    def runs_of(self, submission_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping)
                for r in conn.execute(sa.select(runs).where(runs.c.submission_id == submission_id))
            ]

    def content_of(self, submission_id: int) -> bytes:
        with self.engine.connect() as conn:
            return bytes(
                conn.execute(
                    sa.select(submissions.c.content).where(submissions.c.id == submission_id)
                ).scalar_one()
            )


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 60}}
    return {"pool_pre_ping": True}


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets a reader (an export) run while a batch writes; foreign keys keep checks honest.
    In WAL mode, synchronous=NORMAL keeps every committed grade through a crash or a kill -9 of
    gdlab (only a power cut may lose the last few) without an fsync per submission."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()
