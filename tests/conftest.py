"""Shared fixtures: one Grader (so one sandbox) for the whole session, exercises, a private
gradebook home and a throwaway PostgreSQL server.

Under pytest-xdist (`scripts/test` runs a worker per core, each test module whole in one
worker) every session fixture is per worker: each has its own temporary folders (GDLAB_HOME),
sandbox and PostgreSQL server; only the published-values cache, safe to share, is shared."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.judge.checks import Grade
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import submission
from tests.helpers import REPO, checks_for, stub

#: Older test files import these from here; new ones import them from tests.helpers.
__all__ = ["REPO", "checks_for", "stub"]


@pytest.fixture(autouse=True, scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One published-values cache for the whole run (never the user's own ~/.cache), shared by
    the xdist workers: a backprop reference trains once a run, not once a worker. Sharing is
    safe: files are named by a digest of what they hold and written by an atomic rename."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # <run's temp>/popen-gwN: the run's is shared
        base = base.parent
    cache = base / "gdlab-cache"
    cache.mkdir(exist_ok=True)
    before = os.environ.get("GDLAB_CACHE")
    os.environ["GDLAB_CACHE"] = str(cache)
    yield cache
    if before is None:
        del os.environ["GDLAB_CACHE"]
    else:
        os.environ["GDLAB_CACHE"] = before


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch a real user's gradebook."""
    home = tmp_path_factory.mktemp("gdlab-home")
    monkeypatch.setenv("GDLAB_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def grader() -> Iterator[Grader]:
    with Grader() as shared:
        yield shared


@pytest.fixture(scope="session")
def basic() -> exercises.Exercise:
    return exercises.get("gradient_basic")


@pytest.fixture
def grade_text(grader: Grader, tmp_path: Path):
    """Grade program text as a student's file: ``grade_text(exercise, text, seed=1)``;
    `data` replaces the published data file (--data)."""

    def run(
        exercise: exercises.Exercise,
        text: str,
        seed: int = 1,
        suffix: str = ".py",
        hidden: bool = True,
        data: Path | None = None,
    ) -> Grade:
        path = tmp_path / f"answer{suffix}"
        path.write_text(text, encoding="utf-8")
        return grader.grade(exercise, submission.load(path), seed=seed, hidden=hidden, data=data)

    return run


# --- PostgreSQL: one throwaway server per test process, a fresh database per test --------------


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server on a Unix socket in a private folder, started once for the
    session (once per xdist worker: each has its own), as the URL of its `postgres` database."""
    pytest.importorskip("psycopg", reason="psycopg (the PostgreSQL driver) is not installed")
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    data = Path(tempfile.mkdtemp(prefix="gdlab-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(data, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    password = Path(tempfile.mkstemp(prefix="gdlab-pg-password-")[1])  # never trust: a password
    password.write_text("gdlab-test-password\n")
    if as_user:
        shutil.chown(password, "postgres")
    run = subprocess.run(
        [
            *as_user,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "gdlab",
            "--auth=scram-sha-256",
            f"--pwfile={password}",
        ],
        capture_output=True,
        text=True,
    )
    password.unlink()
    if run.returncode != 0:
        pytest.skip(f"initdb failed: {run.stderr.strip()[:200]}")
    start = subprocess.run(
        [
            *as_user,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(data / "log"),
            "-o",
            f"-k {data} -p {port} -c listen_addresses=''",
            "start",
        ],
        capture_output=True,
        text=True,
    )
    if start.returncode != 0:
        pytest.skip(f"PostgreSQL did not start: {start.stdout[-300:]}")
    try:
        yield f"postgresql+psycopg://gdlab:gdlab-test-password@/postgres?host={data}&port={port}"
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str, request: pytest.FixtureRequest) -> str:
    """A new, empty database on the session's PostgreSQL server, named after the test: tests
    sharing the server share no rows."""
    import sqlalchemy as sa

    name = "t_" + re.sub(r"\W", "_", request.node.name).lower()[:50]
    engine = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return postgres_server.replace("/postgres?", f"/{name}?")


#: Modules whose shared set-up takes minutes: collected first, so that under xdist one worker
#: starts them at once while the other takes the rest (else the last to start ends the run).
LONGEST_FIRST = ("test_nbgrader_parity.py", "test_gradescope_py310.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest modules first; everything else keeps its order (the sort is stable)."""
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
