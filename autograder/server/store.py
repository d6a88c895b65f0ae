"""The server's shared state, all in the gradebook: people, drafts, due dates, overrides,
grade versions, and (from `queue.Queue`) the grading queue and its rate limit."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import sqlalchemy as sa

from autograder.record.gradebook import Gradebook
from autograder.record.schema import submissions
from autograder.server.queue import JobView, Queue, RateLimited, now_iso
from autograder.server.schema import drafts as drafts_table
from autograder.server.schema import due_dates, grade_versions, overrides, people

ROLES = ("student", "instructor")
__all__ = ["JobView", "RateLimited", "Store"]


#: Every request asks one of these: built once (building a statement costs more than running it).
_PERSON = sa.select(people.c.name, people.c.role).where(people.c.token_hash == sa.bindparam("hash"))
_SIGNED_IN = sa.select(people.c.role, people.c.token_hash).where(
    people.c.name == sa.bindparam("name")
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store(Queue):
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
            row = conn.execute(_PERSON, {"hash": token_hash(token)}).first()
        return (row.name, row.role) if row else None

    def signed_in(self, name: str, link: str) -> str | None:
        """The role of `name` if `link` (the start of their token's hash, kept in the session)
        is still theirs: re-issuing a link with `gdlab roster add` signs the old one out."""
        with self.engine.connect() as conn:
            row = conn.execute(_SIGNED_IN, {"name": name}).first()
        return row.role if row and link and row.token_hash.startswith(link) else None

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

    def record_versions(self, submission_id: int, engine: str, exercise_version: str) -> None:
        with self.engine.begin() as conn:
            self._record_versions(conn, submission_id, engine, exercise_version)

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
