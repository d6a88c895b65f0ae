"""A gradebook's first use: created private, and migrated once however many gdlabs start at once.

Eight students submitting in the same second to a gradebook that does not exist yet would each
find it empty and each create its tables; all but one fail. So migrations run under a lock that
every gdlab takes first: a file lock beside a SQLite file (``gradebook.db.lock``), a session
advisory lock on PostgreSQL. The second one in waits, then finds the schema current.

A SQLite gradebook holds every score, every file and the secret that seeds the hidden cases, so
it is created readable by its owner only (file 0600, any folder we create 0700) wherever it lives,
``--db`` included; SQLite gives its WAL and index files the database file's permissions.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy only where a gradebook is migrated (`database.py` says why)
    import sqlalchemy as sa

#: Any fixed 64-bit number: the advisory lock's name on PostgreSQL (the bytes of "gdlabmig").
_PG_LOCK_KEY = int.from_bytes(b"gdlabmig", "big") & (2**63 - 1)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    database = parsed.database
    if (
        not parsed.drivername.startswith("sqlite")
        or not database
        or database == ":memory:"
        or database.startswith("file:")
    ):
        return None
    return Path(database)


def create_private(path: Path) -> None:
    """Create `path` (mode 0600) and each missing folder above it (mode 0700) if absent;
    an existing file or folder is left as its owner made it."""
    missing = [folder for folder in [path.parent, *path.parent.parents] if not folder.exists()]
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another gdlab made it first
            folder.mkdir(mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))


def prepare(url: str) -> None:
    """Before the first connection: a SQLite gradebook's file exists, private."""
    path = sqlite_path(url)
    if path is not None:
        create_private(path)


@contextlib.contextmanager
def migration_lock(engine: sa.Engine) -> Iterator[None]:
    """Hold the gradebook's migration lock (waiting for it) for the duration of the block."""
    path = sqlite_path(str(engine.url))
    if path is not None:
        lock = path.with_name(path.name + ".lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:  # a read-only folder: nobody can be creating a gradebook there either
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when the file is closed, or gdlab dies
            yield
        finally:
            os.close(fd)
    elif engine.dialect.name == "postgresql":
        import sqlalchemy as sa

        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            conn.commit()  # the lock belongs to the session, not to a transaction
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                conn.commit()
    else:
        yield
