"""A gradebook's first use: concurrent SUBMITs all recorded, the file created private."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from tests.helpers import REPO

ANSWER = REPO / "examples" / "gradient_basic" / "ada_correct.py"


def concurrent_submits(count: int, env: dict[str, str], *extra: str) -> list[tuple[int, str]]:
    """`count` real `gdlab submit` processes started together; (exit status, stderr) each."""
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "autograder",
                "submit",
                "gradient_basic",
                str(ANSWER),
                "--student",
                f"s{n}",
                *extra,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(count)
    ]
    return [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in processes]


@pytest.mark.slow  # eight gdlab SUBMIT processes at once
@pytest.mark.parametrize("where", ["home", "db"])
def test_eight_concurrent_first_submits_are_all_recorded_in_a_private_file(tmp_path, where):
    env = {**os.environ, "GDLAB_HOME": str(tmp_path / "home")}
    database = tmp_path / "home" / "gradebook.db"
    extra: tuple[str, ...] = ()
    if where == "db":
        database = tmp_path / "elsewhere" / "grades" / "class.db"
        extra = ("--db", f"sqlite:///{database}")
    outcomes = concurrent_submits(8, env, *extra)
    assert [status for status, _ in outcomes] == [0] * 8, [err for _, err in outcomes]
    with sqlite3.connect(database) as db:
        recorded = db.execute("SELECT student, status FROM submissions ORDER BY student")
        assert recorded.fetchall() == [(f"s{n}", "graded") for n in range(8)]
        assert (
            db.execute("SELECT value FROM gdlab_meta WHERE key = 'schema_version'").fetchone()
            is not None
        )
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    for sidecar in database.parent.iterdir():  # the WAL, its index and the lock
        assert stat.S_IMODE(sidecar.stat().st_mode) & 0o077 == 0, sidecar.name


@pytest.mark.slow  # eight gdlab SUBMIT processes at once
def test_eight_concurrent_first_submits_on_postgresql_are_all_recorded(postgres_url):
    import sqlalchemy as sa

    fresh = postgres_url  # a new, empty database
    outcomes = concurrent_submits(8, dict(os.environ), "--db", fresh)
    assert [status for status, _ in outcomes] == [0] * 8, [err for _, err in outcomes]
    engine = sa.create_engine(fresh)
    with engine.connect() as conn:
        recorded = conn.execute(sa.text("SELECT student FROM submissions ORDER BY student"))
        assert [row[0] for row in recorded] == [f"s{n}" for n in range(8)]
    engine.dispose()
