"""`gdlab run` and `submit` start their sandbox worker, and `grade` the workers its `--workers`
asks for, before anything else loads (`commands/start.py`), in a private scratch home made
without `tempfile` (`run/boot.py`)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.commands.start import wants_worker, workers_wanted
from tests.helpers import REPO

#: Runs `gdlab ARGS…` as the console script does, saying for each worker started: its pid,
#: its home, and which of the command's own modules were loaded by then.
_PROBE = """
import os, sys
from autograder.run import boot
real = boot.spawn
def spawn(code, *more):
    started = real(code, *more)
    loaded = [m for m in ("argparse", "logging", "autograder.commands.cli") if m in sys.modules]
    os.write(1, f"{started.process.pid} {started.home} {','.join(loaded) or '-'}\\n".encode())
    return started
boot.spawn = spawn
sys.argv = ["gdlab", *sys.argv[1:]]
from autograder.commands.start import entry
entry()
"""


def _gdlab(*args: str, config: Path) -> tuple[int, list[list[str]]]:
    env = {k: v for k, v in os.environ.items() if k != "GDLAB_SERVER"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=REPO,
        env={**env, "XDG_CONFIG_HOME": str(config)},  # no course server configured
        capture_output=True,
        text=True,
        timeout=120,
    )
    spawned = [line.split() for line in done.stdout.splitlines() if line.count(" ") == 2]
    return done.returncode, [s for s in spawned if s[1].startswith("/")]


def test_a_test_run_starts_its_worker_before_argparse_and_uses_that_one(tmp_path: Path) -> None:
    status, spawned = _gdlab("run", "gradient_basic", "--solution", config=tmp_path)
    assert status == 0
    [(_pid, home, loaded)] = spawned  # one worker: the early one is the sandbox's
    assert loaded == "-"  # neither argparse, logging nor the command module yet
    assert not os.path.exists(home)


def test_an_early_worker_the_command_never_uses_is_killed(tmp_path: Path) -> None:
    status, spawned = _gdlab("run", "no_such_exercise", "lab.py", config=tmp_path)
    assert status == 2  # the unknown exercise's one line
    [(pid, home, loaded)] = spawned
    assert loaded == "-"
    assert not os.path.exists(home)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)


@pytest.mark.parametrize(
    ("argv", "early"),
    [
        (["run", "gradient_basic", "x.py"], True),
        (["submit", "gradient_basic", "x.py"], True),
        (["run", "--help"], False),
        (["list"], False),
        (["grade", "course"], False),  # grade: `workers_wanted` says how many
        ([], False),
        (["submit", "gradient_basic", "x.py", "--server", "https://course"], False),
        (["run", "gradient_basic", "x.py", "--server=https://course"], False),
    ],
)
def test_only_run_and_submit_start_a_worker_before_parsing(
    argv: list[str], early: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("GDLAB_SERVER", raising=False)
    assert wants_worker(argv) is early


@pytest.mark.parametrize(
    ("argv", "count"),
    [
        (["grade", "course"], os.cpu_count() or 1),
        (["grade", "course", "--workers", "3"], 3),
        (["grade", "--workers=1", "course"], 1),
        (["grade", "course", "--workers", "0"], 0),  # the parser's one line, nothing started
        (["grade", "course", "--workers", "many"], 0),
        (["grade", "--help"], 0),
        (["export"], 0),
        (["run", "gradient_basic", "x.py"], 1),
    ],
)
def test_grade_starts_the_workers_its_options_ask_for_before_parsing(
    argv: list[str], count: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("GDLAB_SERVER", raising=False)
    assert workers_wanted(argv) == count


def test_a_batch_s_workers_start_before_argparse_and_grade_the_class(tmp_path: Path) -> None:
    solved = REPO / "solutions" / "gradient_basic" / "gradient.py"
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ada.py").write_text(solved.read_text())
    db = f"sqlite:///{tmp_path / 'book.db'}"
    status, spawned = _gdlab(
        "grade",
        str(tmp_path / "class"),
        "--exercise",
        "gradient_basic",
        "--workers",
        "2",
        "--db",
        db,
        config=tmp_path,
    )
    assert status == 0
    [(_pid, _home, loaded)] = spawned  # the first worker (it forks the other): before argparse
    assert loaded == "-"


def test_no_worker_is_started_early_where_a_course_server_may_grade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command asks the server first and starts a worker only if it grades here."""
    argv = ["submit", "gradient_basic", "x.py"]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("GDLAB_SERVER", "https://course")
    assert not wants_worker(argv)
    monkeypatch.delenv("GDLAB_SERVER")
    assert wants_worker(argv)
    (tmp_path / "gdlab").mkdir()
    (tmp_path / "gdlab" / "server.toml").write_text('url = "https://course"\n')
    assert not wants_worker(argv)


def test_the_worker_s_home_is_new_and_private_without_tempfile(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom autograder.run import boot\n"
        "home = boot.scratch_home()\nprint(home, 'tempfile' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    home, tempfile_loaded = done.stdout.split()
    assert tempfile_loaded == "False"
    assert Path(home).parent == tmp_path
    assert Path(home).name.startswith("gdlab-sandbox-")
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700


def test_an_early_worker_is_killed_when_the_command_fails_to_load(tmp_path: Path) -> None:
    """Anything raised while `cli` loads (Ctrl-C, say) happens before `cli.main`'s clean-up."""
    broken = _PROBE.replace(
        "from autograder.commands.start import entry",
        "sys.modules['autograder.commands.cli'] = None  # its import fails\n"
        "from autograder.commands.start import entry",
    )
    done = subprocess.run(
        [sys.executable, "-c", broken, "run", "gradient_basic", "lab.py"],
        cwd=REPO,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "GDLAB_SERVER": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr
    [(pid, home, _loaded)] = [line.split() for line in done.stdout.splitlines()]
    assert not os.path.exists(home)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)
