"""Opening a gradebook through SQLAlchemy: the engine that migrates every gradebook and serves
PostgreSQL and the course server (`database.py` says when SQLite needs none), its first use
(migrations under a lock), and the errors a user can act on.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from autograder.record import first_use
from autograder.record.database import GradebookError, Params, Writer
from autograder.record.schema import migrate


def open_engine(url: str) -> sa.Engine:
    """An engine on `url`'s gradebook, migrated to the current schema; one clear error (the
    URL, and why) when it cannot be opened."""
    try:
        first_use.prepare(url)  # a SQLite file is created private
        engine = sa.create_engine(url, **_engine_options(url))
        with first_use.migration_lock(engine):  # concurrent first uses migrate once
            migrate(engine)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ModuleNotFoundError) as error:
        raise GradebookError(f"cannot use gradebook {url!r}: {error}") from None
    except OSError as error:  # creating the SQLite file or its folder
        raise GradebookError(f"cannot create gradebook {url!r}: {error}") from None
    except sa.exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise GradebookError(f"cannot open gradebook {url!r}: {reason}") from None
    return engine


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


class EngineDatabase:
    """A gradebook's `Database` on a SQLAlchemy engine (PostgreSQL, or a SQLite URL with
    options): the same SQL text as `sqlite3` runs, as ``sa.text``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def read(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(_text(sql), dict(params or {}))]

    @contextlib.contextmanager
    def write(self) -> Iterator[Writer]:
        with self.engine.begin() as conn:
            yield EngineWriter(conn)

    def close(self) -> None:
        self.engine.dispose()


class EngineWriter:
    """A `Writer` in a SQLAlchemy connection's transaction (the course server's queue writes a
    SUBMIT's grade in the transaction that ends its job)."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        result = self.conn.execute(_text(sql), dict(params or {}))
        return [tuple(row) for row in result] if result.returns_rows else []

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            self.conn.execute(_text(sql), [dict(row) for row in rows])


@functools.lru_cache(maxsize=128)
def _text(sql: str) -> sa.TextClause:
    """Each statement's construct made once (SQLAlchemy then reuses its compiled form)."""
    return sa.text(sql)
