"""The server's shared state, all in the gradebook: people, drafts, the queue, limits, policy.

The queue is the ``jobs`` table. A job is claimed by exactly one worker with a lease: one
``UPDATE … WHERE id = (SELECT … LIMIT 1)`` that SQLite runs under its single writer lock and
PostgreSQL runs with ``FOR UPDATE SKIP LOCKED``, so workers never wait on each other's row. A
worker that dies leaves its lease to run out, and the next worker grades the job again (the
grade of a submission is replaced, never duplicated).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from autograder.gradebook import Gradebook, submissions
from autograder.server.schema import drafts as drafts_table
from autograder.server.schema import due_dates, grade_versions, jobs, overrides, people
from autograder.submission import Program

ROLES = ("student", "instructor")


class RateLimited(Exception):
    """Too many SUBMITs in the last minute; `retry_after` seconds until the next one counts."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"You can SUBMIT {limit} times a minute: try again in {retry_after} s.")
        self.limit, self.retry_after = limit, retry_after


@dataclass(frozen=True)
class JobView:
    """A job as its owner sees it: where it stands in the queue and, once done, its result."""

    id: int
    kind: str
    student: str
    exercise: str
    state: str
    position: int
    submission_id: int | None
    result: dict[str, Any] | None


@dataclass(frozen=True)
class Claimed:
    """A job a worker holds the lease of."""

    id: int
    kind: str
    student: str
    exercise: str
    submission_id: int | None
    filename: str
    content: bytes | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def now_iso(offset: float = 0.0) -> str:
    """The gradebook's time format (submitted_at): ISO 8601, UTC, to the second."""
    moment = datetime.now(UTC) + timedelta(seconds=offset)
    return moment.isoformat(timespec="seconds")


class Store:
    """The server's reads and writes, over an open `Gradebook`."""

    def __init__(self, book: Gradebook) -> None:
        self.book = book
        self.engine = book.engine
        self._postgres = self.engine.dialect.name == "postgresql"

    # people

    def add_person(self, name: str, role: str = "student") -> str:
        """Add or re-issue `name`: a fresh personal token (the old one stops working)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        token = secrets.token_urlsafe(24)
        row = {"role": role, "token_hash": token_hash(token), "created_at": now_iso()}
        with self.engine.begin() as conn:
            done = conn.execute(people.update().where(people.c.name == name).values(**row))
            if done.rowcount == 0:
                conn.execute(people.insert().values(name=name, **row))
        return token

    def person(self, token: str) -> tuple[str, str] | None:
        """(name, role) of the token's holder, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(people.c.name, people.c.role).where(
                    people.c.token_hash == token_hash(token)
                )
            ).first()
        return (row.name, row.role) if row else None

    def roster(self) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            return [
                (r.name, r.role)
                for r in conn.execute(
                    sa.select(people.c.name, people.c.role).order_by(people.c.role, people.c.name)
                )
            ]

    def session_key(self) -> str:
        with self.engine.connect() as conn:
            return str(
                conn.execute(
                    sa.text("SELECT value FROM gdlab_meta WHERE key = 'session_key'")
                ).scalar_one()
            )

    # drafts

    def save_draft(self, student: str, exercise: str, code: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                drafts_table.update()
                .where(drafts_table.c.student == student, drafts_table.c.exercise == exercise)
                .values(code=code, saved_at=time.time())
            )
            if done.rowcount == 0:
                conn.execute(
                    drafts_table.insert().values(
                        student=student, exercise=exercise, code=code, saved_at=time.time()
                    )
                )

    def draft(self, student: str, exercise: str) -> tuple[str, float] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(drafts_table.c.code, drafts_table.c.saved_at).where(
                    drafts_table.c.student == student, drafts_table.c.exercise == exercise
                )
            ).first()
        return (row.code, row.saved_at) if row else None

    # the queue

    def enqueue_run(self, student: str, exercise: str, filename: str, content: bytes) -> int:
        """A TEST RUN job (not a submission: nothing is recorded but the queue entry)."""
        with self.engine.begin() as conn:
            conn.execute(
                jobs.delete().where(
                    jobs.c.student == student,
                    jobs.c.kind == "run",
                    jobs.c.state == "done",
                    jobs.c.created < time.time() - 600,
                )
            )
            return int(
                conn.execute(
                    jobs.insert().values(
                        kind="run",
                        student=student,
                        exercise=exercise,
                        filename=filename,
                        content=content,
                        state="queued",
                        created=time.time(),
                    )
                ).inserted_primary_key[0]
            )

    def enqueue_submit(
        self, student: str, exercise: str, program: Program, seed: int, limit: int
    ) -> tuple[int, int]:
        """Record the SUBMIT (before any grading) and queue it; (job id, submission id).

        Raises RateLimited when the student already has `limit` SUBMITs in the last minute."""
        since = now_iso(-60)
        with self.engine.begin() as conn:
            if limit > 0:
                recent = (
                    conn.execute(
                        sa.select(submissions.c.submitted_at)
                        .where(
                            submissions.c.student == student,
                            submissions.c.origin == "server",
                            submissions.c.submitted_at > since,
                        )
                        .order_by(submissions.c.submitted_at)
                    )
                    .scalars()
                    .all()
                )
                if len(recent) >= limit:
                    oldest = datetime.fromisoformat(recent[-limit])
                    wait = 60 - (datetime.now(UTC) - oldest).total_seconds()
                    raise RateLimited(limit, max(1, int(wait + 0.999)))
            submission_id = int(
                conn.execute(
                    submissions.insert().values(
                        exercise=exercise,
                        student=student,
                        filename=program.path.name,
                        sha256=program.sha256,
                        content=program.content,
                        submitted_at=now_iso(),
                        seed=seed,
                        status="pending",
                        origin="server",
                    )
                ).inserted_primary_key[0]
            )
            job_id = self._queue(
                conn, "submit", student, exercise, submission_id, program.path.name
            )
        return job_id, submission_id

    def enqueue_regrade(self, exercise: str) -> int:
        """Queue every server SUBMIT of `exercise` again (same file, same hidden cases)."""
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(submissions.c.id, submissions.c.student, submissions.c.filename).where(
                    submissions.c.exercise == exercise, submissions.c.origin == "server"
                )
            ).all()
            for row in rows:
                self._queue(conn, "submit", row.student, exercise, row.id, row.filename)
        return len(rows)

    @staticmethod
    def _queue(
        conn: sa.Connection,
        kind: str,
        student: str,
        exercise: str,
        submission_id: int | None,
        filename: str,
    ) -> int:
        return int(
            conn.execute(
                jobs.insert().values(
                    kind=kind,
                    student=student,
                    exercise=exercise,
                    submission_id=submission_id,
                    filename=filename,
                    state="queued",
                    created=time.time(),
                )
            ).inserted_primary_key[0]
        )

    def job(self, job_id: int) -> JobView | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(
                    jobs.c.id,
                    jobs.c.kind,
                    jobs.c.student,
                    jobs.c.exercise,
                    jobs.c.state,
                    jobs.c.submission_id,
                    jobs.c.result,
                ).where(jobs.c.id == job_id)
            ).first()
            if row is None:
                return None
            position = 0
            if row.state == "queued":
                position = 1 + int(
                    conn.execute(
                        sa.select(sa.func.count()).where(
                            jobs.c.state == "queued", jobs.c.id < job_id
                        )
                    ).scalar_one()
                )
        return JobView(
            row.id,
            row.kind,
            row.student,
            row.exercise,
            row.state,
            position,
            row.submission_id,
            json.loads(row.result) if row.result else None,
        )

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).where(jobs.c.state != "done")).scalar_one()
            )

    def watcher(self) -> Callable[[], bool]:
        """A cheap test, for idle polls, of whether anyone wrote to the gradebook since the last
        call (SQLite's ``PRAGMA data_version`` on a connection of its own: microseconds, no
        table read). Elsewhere it always says yes and the caller reads the queue."""
        if self.engine.dialect.name != "sqlite":
            return lambda: True
        raw = self.engine.raw_connection()
        last = [None]

        def changed() -> bool:
            cursor = raw.cursor()
            version = cursor.execute("PRAGMA data_version").fetchone()[0]
            cursor.close()
            if version == last[0]:
                return False
            last[0] = version
            return True

        return changed

    def claim(self, worker: str, lease: float) -> Claimed | None:
        """Take the oldest queued job (or one whose lease ran out) for `lease` seconds."""
        now = time.time()
        ready = sa.or_(
            jobs.c.state == "queued", sa.and_(jobs.c.state == "running", jobs.c.lease_until < now)
        )
        with self.engine.connect() as conn:  # a cheap read first: idle polls take no write lock
            if conn.execute(sa.select(jobs.c.id).where(ready).limit(1)).first() is None:
                return None
        oldest = sa.select(jobs.c.id).where(ready).order_by(jobs.c.id).limit(1)
        if self._postgres:
            oldest = oldest.with_for_update(skip_locked=True)
        statement = (
            jobs.update()
            .where(jobs.c.id == oldest.scalar_subquery(), ready)
            .values(state="running", worker=worker, lease_until=now + lease)
            .returning(
                jobs.c.id,
                jobs.c.kind,
                jobs.c.student,
                jobs.c.exercise,
                jobs.c.submission_id,
                jobs.c.filename,
                jobs.c.content,
            )
        )
        with self.engine.begin() as conn:
            row = conn.execute(statement).first()
        if row is None:
            return None
        return Claimed(
            row.id,
            row.kind,
            row.student,
            row.exercise,
            row.submission_id,
            row.filename,
            bytes(row.content) if row.content is not None else None,
        )

    def finish(self, job_id: int, worker: str, result: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.worker == worker)
                .values(state="done", result=json.dumps(result), content=None, lease_until=None)
            )

    def record_versions(self, submission_id: int, engine: str, exercise_version: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                grade_versions.delete().where(grade_versions.c.submission_id == submission_id)
            )
            conn.execute(
                grade_versions.insert().values(
                    submission_id=submission_id, engine=engine, exercise_version=exercise_version
                )
            )

    def versions(self, submission_ids: list[int]) -> dict[int, tuple[str, str]]:
        with self.engine.connect() as conn:
            return {
                r.submission_id: (r.engine, r.exercise_version)
                for r in conn.execute(
                    sa.select(grade_versions).where(
                        grade_versions.c.submission_id.in_(submission_ids)
                    )
                )
            }

    # policy: due dates and overrides

    def set_due(self, exercise: str, due_at: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(due_dates.delete().where(due_dates.c.exercise == exercise))
            if due_at:
                conn.execute(due_dates.insert().values(exercise=exercise, due_at=due_at))

    def due(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {r.exercise: r.due_at for r in conn.execute(sa.select(due_dates))}

    def add_override(
        self, student: str, exercise: str, score: float, comment: str, author: str
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                overrides.insert().values(
                    student=student,
                    exercise=exercise,
                    score=score,
                    comment=comment,
                    author=author,
                    at=now_iso(),
                )
            )

    def overrides(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The latest override of each (student, exercise)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(overrides).order_by(overrides.c.id)).all()
        return {(r.student, r.exercise): dict(r._mapping) for r in rows}

    def submission_owner(self, submission_id: int) -> tuple[str, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(submissions.c.student, submissions.c.exercise).where(
                    submissions.c.id == submission_id
                )
            ).first()
        return (row.student, row.exercise) if row else None

    def requeue_dead(self, host: str) -> int:
        """Jobs leased by workers of this host whose process is gone go back to the queue at
        once (a restart need not wait for their leases to run out)."""
        with self.engine.begin() as conn:
            held = conn.execute(
                sa.select(jobs.c.id, jobs.c.worker).where(
                    jobs.c.state == "running", jobs.c.worker.like(f"{host}:%")
                )
            ).all()
            dead = [r.id for r in held if not _alive(r.worker.split(":")[1])]
            if dead:
                conn.execute(
                    jobs.update()
                    .where(jobs.c.id.in_(dead), jobs.c.state == "running")
                    .values(state="queued", worker=None, lease_until=None)
                )
        return len(dead)


def _alive(pid: str) -> bool:
    import os

    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
