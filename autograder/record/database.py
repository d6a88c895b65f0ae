"""The gradebook's connection: SQL text with named parameters, run on SQLite or PostgreSQL.

The gradebook's queries are plain SQL (the portable part both databases share, ``:name``
parameters) run through a `Database`: for a SQLite file, Python's own `sqlite3`; for any other
URL, SQLAlchemy's engine (`connection.EngineDatabase`). Why not SQLAlchemy for SQLite too:
importing it costs about 0.3 s of CPU, which every `gdlab grade`, `export` and `feedback` paid
before doing anything — a quarter of grading a class of sixty notebooks. SQLAlchemy still
builds and migrates every gradebook (`schema.py`, the one migration path) and serves the course
server's queue: a SQLite gradebook whose schema is not current is migrated through it first.

A `Database` is shared by a batch's threads: SQLite's is one connection, used by one thread at
a time (a lock), each write in one ``BEGIN IMMEDIATE`` transaction (the write lock is taken at
the start, so two gdlabs writing at once wait for each other, never fail half-way).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from autograder.errors import UserError
from autograder.home import default_home
from autograder.record import first_use
from autograder.record.states import SCHEMA_VERSION

Params = Mapping[str, Any]


class GradebookError(UserError):
    """The gradebook cannot be opened (bad URL, missing driver, unreachable server)."""


class Writer(Protocol):
    """One write transaction: statements run in it commit together or not at all."""

    def execute(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        """Run `sql`; its rows (a ``RETURNING`` clause's), else []."""
        ...

    def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...


class Database(Protocol):
    """Where a gradebook's rows are: reads, and write transactions (`Writer`)."""

    def read(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]: ...

    def write(self) -> contextlib.AbstractContextManager[Writer]: ...

    def close(self) -> None: ...


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


def sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite URL (``sqlite:///path``, the form gdlab writes); None for
    anything else — another database, memory, a driver or query options — which SQLAlchemy
    reads as it always did."""
    prefix = "sqlite:///"
    path = url[len(prefix) :]
    if not url.startswith(prefix) or not path or path == ":memory:" or path.startswith("file:"):
        return None
    if any(character in path for character in "?%#"):
        return None
    return Path(path)


def open_database(url: str) -> tuple[Database, Any]:
    """The gradebook at `url`, migrated to the current schema, and the SQLAlchemy engine when
    one was made on the way (None when SQLite needed none); one clear error when it cannot be
    opened."""
    path = sqlite_file(url)
    if path is not None:
        try:
            first_use.create_private(path)
        except OSError as error:  # creating the file or its folder
            raise GradebookError(f"cannot create gradebook {url!r}: {error}") from None
        try:
            database = SqliteFile(path)
        except sqlite3.Error as error:  # not a database, unreadable, locked for a minute
            raise GradebookError(f"cannot open gradebook {url!r}: {error}") from None
        if database.version() == SCHEMA_VERSION:
            return database, None
        database.close()  # not made yet, older or newer: SQLAlchemy migrates (or refuses)
    from autograder.record.connection import EngineDatabase, open_engine

    engine = open_engine(url)
    if path is None:
        return EngineDatabase(engine), engine
    return SqliteFile(path), engine


class SqliteFile:
    """A SQLite gradebook through `sqlite3`, with the settings the engine's connections get
    (`connection._sqlite_pragmas` says why)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
            self._db.execute(f"PRAGMA {pragma}")

    def version(self) -> int:
        """The stored schema version; 0 when it has none (new, or older than versions)."""
        try:
            [row] = self.read("SELECT value FROM gdlab_meta WHERE key = 'schema_version'") or [
                ("0",)
            ]
        except sqlite3.OperationalError:  # no gdlab_meta table
            return 0
        return int(row[0])

    def read(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params or {}).fetchall()

    @contextlib.contextmanager
    def write(self) -> Iterator[Writer]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteWriter(self._db)
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


class _SqliteWriter:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params or {}).fetchall()

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            self._db.executemany(sql, rows)
