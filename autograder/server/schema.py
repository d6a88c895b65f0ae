"""The course server's tables, added to the gradebook by one migration of its migration path.

Everything a server process needs to share lives here, so app processes keep no state of their
own and several can run behind a load balancer over one PostgreSQL: who may sign in, the
editor's autosaved drafts, the grading queue (with leases), due dates, overrides and the
versions each grade was made with.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

metadata = sa.MetaData()
people = sa.Table(
    "people",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),
    #: sha256 of the personal token: a leaked gradebook does not sign anyone in.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.Text, nullable=False),
)
drafts = sa.Table(
    "drafts",
    metadata,
    sa.Column("student", sa.String(200), primary_key=True),
    sa.Column("exercise", sa.String(200), primary_key=True),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("saved_at", sa.Float, nullable=False),
)
jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(10), nullable=False),  # "run" (TEST RUN) or "submit"
    sa.Column("student", sa.String(200), nullable=False),
    sa.Column("exercise", sa.String(200), nullable=False),
    sa.Column("submission_id", sa.Integer),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("content", sa.LargeBinary),  # TEST RUN only; a SUBMIT's file is its submission's
    sa.Column("state", sa.String(10), nullable=False),  # queued, running, done
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("lease_until", sa.Float),
    sa.Column("worker", sa.Text),
    sa.Column("result", sa.Text),  # the public view (JSON), once done
    sa.Index("jobs_by_state", "state", "id"),
)
due_dates = sa.Table(
    "due_dates",
    metadata,
    sa.Column("exercise", sa.String(200), primary_key=True),
    sa.Column("due_at", sa.Text, nullable=False),
)
overrides = sa.Table(
    "overrides",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("student", sa.String(200), nullable=False),
    sa.Column("exercise", sa.String(200), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("at", sa.Text, nullable=False),
)
grade_versions = sa.Table(
    "grade_versions",
    metadata,
    sa.Column("submission_id", sa.Integer, primary_key=True),
    sa.Column("engine", sa.Text, nullable=False),
    sa.Column("exercise_version", sa.Text, nullable=False),
)


def add_server_tables(conn: sa.Connection) -> None:
    """Migration: the course server's tables and the key that signs its session cookies."""
    metadata.create_all(conn)
    conn.execute(sa.text("CREATE INDEX submissions_by_time ON submissions (student, submitted_at)"))
    conn.execute(
        sa.text("INSERT INTO gdlab_meta (key, value) VALUES ('session_key', :v)"),
        {"v": secrets.token_hex(32)},
    )
