"""The grading queue: the ``jobs`` table, claimed by exactly one worker at a time.

A job is claimed with a lease: one ``UPDATE … WHERE id = (SELECT … LIMIT 1)`` that SQLite runs
under its single writer lock and PostgreSQL runs with ``FOR UPDATE SKIP LOCKED``, so workers
never wait on each other's row. A worker that dies leaves its lease to run out (or `gdlab serve`
hands its jobs back at start), and another worker grades the job again: the grade of a
submission is replaced, never duplicated. Every SUBMIT is a submission row before it is a job, so
nothing a student sent is ever lost; the SUBMIT rate limit is counted from those rows.

Somewhat over ~300 lines, one job: every statement on the ``jobs`` table is here, so that the
lease's rules (who may claim, finish or requeue) can be read and checked in one place.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from autograder.judge.checks import Grade
from autograder.load.submission import Program
from autograder.record.connection import EngineWriter
from autograder.record.gradebook import write_grade
from autograder.record.schema import submissions
from autograder.server.schema import grade_versions, jobs


class RateLimited(Exception):
    """Too many SUBMITs in the last minute; `retry_after` seconds until the next one counts."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"You can SUBMIT {limit} times a minute: try again in {retry_after} s.")
        self.limit, self.retry_after = limit, retry_after


class Busy(Exception):
    """A student's TEST RUN is already waiting."""


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


#: A job's page and the queue ahead of it: asked by every waiting request, so built once.
_JOB_COLUMNS = sa.select(
    jobs.c.id,
    jobs.c.kind,
    jobs.c.student,
    jobs.c.exercise,
    jobs.c.state,
    jobs.c.submission_id,
    jobs.c.result,
)
_JOB = _JOB_COLUMNS.where(jobs.c.id == sa.bindparam("id"))
_AHEAD = sa.select(sa.func.count()).where(jobs.c.state == "queued", jobs.c.id < sa.bindparam("id"))


#: What every SUBMIT inserts (the columns come with each call's values).
_NEW_SUBMISSION, _NEW_JOB = submissions.insert(), jobs.insert()

#: Claiming (`Queue.claim`): a job is ready when queued, or running on a lease that ran out.
_READY = sa.or_(
    jobs.c.state == "queued",
    sa.and_(jobs.c.state == "running", jobs.c.lease_until < sa.bindparam("now")),
)
_ANY_READY = sa.select(jobs.c.id).where(_READY).limit(1)


def _claim_statement(postgres: bool) -> sa.Update:
    oldest = sa.select(jobs.c.id).where(_READY).order_by(jobs.c.id).limit(1)
    if postgres:
        oldest = oldest.with_for_update(skip_locked=True)
    return (
        jobs.update()
        .where(jobs.c.id == oldest.scalar_subquery(), _READY)
        .values(state="running", worker=sa.bindparam("claimer"), lease_until=sa.bindparam("until"))
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


_CLAIM, _CLAIM_POSTGRES = _claim_statement(False), _claim_statement(True)

#: Ending a job (`Queue.finish`): only its lease holder may; what graded a SUBMIT is replaced.
_FINISH = (
    jobs.update()
    .where(jobs.c.id == sa.bindparam("job"), jobs.c.worker == sa.bindparam("holder"))
    .values(state="done", result=sa.bindparam("new_result"), content=None, lease_until=None)
)
_CLEAR_VERSIONS = grade_versions.delete().where(
    grade_versions.c.submission_id == sa.bindparam("submission")
)
_NEW_VERSIONS = grade_versions.insert()


def _view(row: Any, position: int) -> JobView:
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


def now_iso(offset: float = 0.0) -> str:
    """The gradebook's time format (submitted_at): ISO 8601, UTC, to the second."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=offset)
    return moment.isoformat(timespec="seconds")


class Queue:
    """The queue's reads and writes; `Store` adds the rest (needs `engine` and `_postgres`)."""

    engine: sa.Engine
    _postgres: bool

    def enqueue_run(self, student: str, exercise: str, filename: str, content: bytes) -> int:
        """A TEST RUN job (not a submission: nothing is recorded but the queue entry).

        One waiting TEST RUN per student (Busy otherwise): a student clicking fast cannot fill
        the queue that the whole class shares."""
        with self.engine.begin() as conn:
            waiting = conn.execute(
                sa.select(sa.func.count()).where(
                    jobs.c.student == student, jobs.c.kind == "run", jobs.c.state == "queued"
                )
            ).scalar_one()
            if waiting:
                raise Busy("Your previous TEST RUN is still waiting in the queue.")
            conn.execute(
                jobs.delete().where(
                    jobs.c.student == student,
                    jobs.c.kind == "run",
                    jobs.c.state == "done",
                    jobs.c.created < time.time() - 600,
                )
            )
            return int(
                conn.execute(  # type: ignore[index]  # an INSERT has its key
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
                    wait = 60 - (datetime.now(timezone.utc) - oldest).total_seconds()
                    raise RateLimited(limit, max(1, int(wait + 0.999)))
            submission_id = int(
                conn.execute(  # type: ignore[index]  # an INSERT has its key
                    _NEW_SUBMISSION,
                    {
                        "exercise": exercise,
                        "student": student,
                        "filename": program.path.name,
                        "sha256": program.sha256,
                        "content": program.content,
                        "submitted_at": now_iso(),
                        "seed": seed,
                        "status": "pending",
                        "origin": "server",
                    },
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
            conn.execute(  # type: ignore[index]  # an INSERT has its key
                _NEW_JOB,
                {
                    "kind": kind,
                    "student": student,
                    "exercise": exercise,
                    "submission_id": submission_id,
                    "filename": filename,
                    "state": "queued",
                    "created": time.time(),
                },
            ).inserted_primary_key[0]
        )

    def job(self, job_id: int) -> JobView | None:
        with self.engine.connect() as conn:
            row = conn.execute(_JOB, {"id": job_id}).first()
            if row is None:
                return None
            position = 0
            if row.state == "queued":
                position = 1 + int(conn.execute(_AHEAD, {"id": job_id}).scalar_one())
        return _view(row, position)

    def done_jobs(self, job_ids: list[int]) -> dict[int, JobView]:
        """Those of `job_ids` that are done, as their owners see them, in one query (the
        waiter asks this every tick for every job a request is waiting on)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                _JOB_COLUMNS.where(jobs.c.state == "done", jobs.c.id.in_(job_ids))
            ).all()
        return {row.id: _view(row, 0) for row in rows}

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
        with self.engine.connect() as conn:  # a cheap read first: idle polls take no write lock
            if conn.execute(_ANY_READY, {"now": now}).first() is None:
                return None
        with self.engine.begin() as conn:
            return self._claim(conn, worker, lease)

    def _claim(self, conn: sa.Connection, worker: str, lease: float) -> Claimed | None:
        now = time.time()
        statement = _CLAIM_POSTGRES if self._postgres else _CLAIM
        row = conn.execute(statement, {"now": now, "claimer": worker, "until": now + lease}).first()
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

    def finish(
        self,
        job_id: int,
        worker: str,
        result: dict[str, Any],
        versions: tuple[int, str, str] | None = None,
        lease: float | None = None,
        grade: Grade | None = None,
    ) -> Claimed | None:
        """Mark the job done with its public result; with `versions` (submission id, engine
        version, exercise version), record what graded it, and with `grade` the SUBMIT's grade
        itself, in the same transaction: a SUBMIT's grade, its versions and its job's end are
        one commit (one per SUBMIT), never one without the others, and only by the job's lease
        holder (a worker that lost its lease leaves the grade to the one that took the job).
        With `lease`, claim the next job in that transaction too (a busy worker's next job
        costs no commit of its own) and return it."""
        with self.engine.begin() as conn:
            held = conn.execute(
                _FINISH,
                {"job": job_id, "holder": worker, "new_result": json.dumps(result)},
            ).rowcount
            if held and versions is not None:
                if grade is not None:
                    write_grade(EngineWriter(conn), versions[0], grade)
                self._record_versions(conn, *versions)
            return self._claim(conn, worker, lease) if lease is not None else None

    def submitted(self, submission_id: int) -> tuple[bytes, int | None]:
        """A SUBMIT's file and seed, in one query (the worker needs both to grade it)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(submissions.c.content, submissions.c.seed).where(
                    submissions.c.id == submission_id
                )
            ).one()
        return bytes(row.content), row.seed

    @staticmethod
    def _record_versions(
        conn: sa.Connection, submission_id: int, engine: str, exercise_version: str
    ) -> None:
        conn.execute(_CLEAR_VERSIONS, {"submission": submission_id})
        conn.execute(
            _NEW_VERSIONS,
            {
                "submission_id": submission_id,
                "engine": engine,
                "exercise_version": exercise_version,
            },
        )

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
