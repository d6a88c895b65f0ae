"""The gradebook's schema: its tables and the migrations that build them, one version each.

A new gradebook is built by running every migration in order, so the upgrade path is the path
every test takes. Each migration runs once, in a transaction (`migrate`, under the lock of
`first_use.migration_lock`). To change the schema, append a migration (a function of a
connection) to `MIGRATIONS` and declare the change in the tables below, which the queries use.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import sqlalchemy as sa

from autograder.record.states import SCHEMA_VERSION
from autograder.server.schema import add_server_tables

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
    #: `judge.checks.Reason`'s value: why the check passed or failed.
    sa.Column("reason", sa.Text),
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
    #: The training loss the program computed, traced inside its loop (`run.trace.curve`):
    #: JSON ``[[pass, loss], ...]``, loss null where not finite; NULL where nothing was traced.
    sa.Column("losses", sa.Text),
)
sa.Index("runs_by_submission", runs.c.submission_id)
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


def _add_check_reasons(conn: sa.Connection) -> None:
    """Each check's reason (`judge.checks.Reason`), so that later stages decide from data, not
    from the message's words. Checks stored before it get theirs from what they hold — the only
    place gdlab ever reads a message's words, once, for rows written by an older gdlab."""
    conn.execute(sa.text("ALTER TABLE checks ADD COLUMN reason TEXT"))
    conn.execute(
        sa.text(
            """
        UPDATE checks SET reason = CASE
            WHEN carried_forward THEN 'carried_forward'
            WHEN passed THEN 'correct'
            WHEN message LIKE 'not run%' THEN 'not_run'
            WHEN message LIKE 'not computed:%' THEN 'not_computed'
            WHEN mistake = :typed_in THEN 'typed_in'
            WHEN message LIKE 'right only given your %' THEN 'frozen_upstream'
            WHEN message LIKE '%not done yet%' THEN 'not_done'
            WHEN message LIKE '%shape%, expected %' THEN 'shape'
            WHEN message LIKE '%contains nan%' OR message LIKE '%contains inf%' THEN 'not_finite'
            WHEN message LIKE '%the reference does not reach this step%' THEN 'not_reached'
            WHEN message LIKE '%wrong value%' THEN 'wrong_value'
            WHEN message LIKE 'a %' OR message LIKE 'an %' THEN 'wrong_type'
            ELSE 'wrong_value' END"""
        ),
        {"typed_in": "value does not follow the given values"},
    )


def _add_run_losses(conn: sa.Connection) -> None:
    """A training run's loss curve as the program computed it, for the feedback page; rows
    graded before keep NULL, and their page reads the curve from the printed lines instead.
    (`_to_v2` creates `runs` from the table above, which already has the column.)"""
    if "losses" not in {c["name"] for c in sa.inspect(conn).get_columns("runs")}:
        conn.execute(sa.text("ALTER TABLE runs ADD COLUMN losses TEXT"))


def _index_runs(conn: sa.Connection) -> None:
    """Every graded SUBMIT replaces its runs by submission id: without an index that scans the
    whole table, and grows slower with the gradebook."""
    existing = {i["name"] for i in sa.inspect(conn).get_indexes("runs")}
    if "runs_by_submission" not in existing:
        conn.execute(sa.text("CREATE INDEX runs_by_submission ON runs (submission_id)"))


MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {
    1: _to_v1,
    2: _to_v2,
    3: _to_v3,
    4: add_server_tables,
    5: _add_check_reasons,
    6: _add_run_losses,
    7: _index_runs,
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
