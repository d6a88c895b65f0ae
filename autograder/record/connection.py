"""Opening a gradebook: its URL, the engine, the first use (a private SQLite file, migrations
under a lock) and the errors a user can act on.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa

from autograder.errors import UserError
from autograder.home import default_home
from autograder.record import first_use
from autograder.record.schema import migrate


class GradebookError(UserError):
    """The gradebook cannot be opened (bad URL, missing driver, unreachable server)."""


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
