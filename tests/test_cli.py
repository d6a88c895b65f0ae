"""The `gdlab` command as students and instructors type it."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

PUBLISHED = """Neural Network output:
0.6899744811276125
Amount of Error:
-0.1899744811276125
Change in Weights:
[-0.02031869 -0.04063738 -0.06095608 -0.08127477]"""


def gdlab(*args: str, cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env} if env else None,
    )


def test_list_shows_the_exercises():
    done = gdlab("list")
    assert done.returncode == 0
    assert done.stdout.splitlines()[0].startswith("gradient_basic")


def test_test_run_of_the_reference_prints_the_published_output_and_passes():
    done = gdlab("run", "gradient_basic", "--solution")
    assert done.returncode == 0, done.stderr
    assert PUBLISHED in done.stdout
    assert "5 of 5 visible checks pass" in done.stdout
    assert "hidden cases" in done.stdout


def test_test_run_of_the_stub_fails_and_shows_the_table():
    done = gdlab("run", "gradient_basic", "release/gradient_basic/gradient.py")
    assert done.returncode == 1
    assert "✗  h" in done.stdout and "not done yet" in done.stdout


def test_submit_json_reports_and_records_every_check(tmp_path, private_home):
    answer = tmp_path / "mine.py"
    answer.write_text(
        (REPO / "solutions/gradient_basic/gradient.py")
        .read_text()
        .replace("del_w = learnrate * error_term * x", "del_w = error_term * x")
    )
    done = gdlab("submit", "gradient_basic", str(answer), "--student", "ada", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"exercise", "student", "score", "max_score", "submission_id", "checks"} <= set(report)
    assert report["student"] == "ada" and report["max_score"] == 100
    assert report["score"] == 80
    check_keys = {
        "quantity",
        "case",
        "passed",
        "score",
        "max_score",
        "expected",
        "received",
        "message",
    }
    assert all(check_keys <= set(c) for c in report["checks"])
    assert "learning rate missing" in report["mistakes"]
    with sqlite3.connect(private_home / "gradebook.db") as db:
        row = db.execute(
            "SELECT student, score, status, content, seed FROM submissions WHERE id = ?",
            (report["submission_id"],),
        ).fetchone()
        n_checks = db.execute(
            "SELECT count(*) FROM checks WHERE submission_id = ?", (report["submission_id"],)
        ).fetchone()[0]
    assert row[:3] == ("ada", 80.0, "graded")
    assert row[3] == answer.read_bytes() and row[4] == report["seed"]
    assert n_checks == len(report["checks"]) == 25


def test_submit_of_the_reference_says_nice_job():
    done = gdlab("submit", "gradient_basic", "solutions/gradient_basic/gradient.py")
    assert done.returncode == 0
    assert "Score: 100/100" in done.stdout
    assert done.stdout.rstrip().endswith("Nice job! That's right!")


def test_the_same_seed_gives_the_same_hidden_cases():
    first = json.loads(
        gdlab(
            "submit",
            "gradient_basic",
            "release/gradient_basic/gradient.py",
            "--json",
            "--seed",
            "42",
        ).stdout
    )
    again = json.loads(
        gdlab(
            "submit",
            "gradient_basic",
            "release/gradient_basic/gradient.py",
            "--json",
            "--seed",
            "42",
        ).stdout
    )
    assert [c["expected"] for c in first["checks"]] == [c["expected"] for c in again["checks"]]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("run", "no_such_exercise", "x.py"), "unknown exercise 'no_such_exercise'; known: "),
        (("run", "gradient_basic", "missing.py"), "missing.py: no such file"),
        (("submit", "gradient_basic", "pyproject.toml"), "expected a .py or .ipynb file"),
        (("run", "gradient_basic", "tests"), "expected a .py or .ipynb file"),
        (("run", "gradient_basic"), "give the file to run"),
        (
            ("submit", "gradient_basic", "x.py", "--seed", "-5"),
            "argument --seed: -5 is out of range: a seed is 0 to 2**63 - 1",
        ),
        (("submit", "gradient_basic", "x.py", "--seed", "many"), "'many' is not a whole number"),
        (("grade", "examples/gradient_basic", "--workers", "0"), "0 must be at least 1"),
        (
            ("gradescope", "gradient_basic", "-o", "no/such/folder/autograder.zip"),
            "no/such/folder: no such folder",
        ),
        (("gradescope", "gradient_basic", "-o", "tests"), "tests is a folder; give a file name"),
        (
            ("grade", "examples/gradient_basic", "--out", "no/such/folder/grades.csv"),
            "no/such/folder: no such folder",
        ),
        (("export", "--out", "no/such/folder/grades.csv"), "no/such/folder: no such folder"),
        (("feedback", "--out", "README.md"), "README.md is a file, not a folder"),
        (
            ("export", "--exercise", "nope"),
            "unknown exercise 'nope': not installed and not in the "
            "gradebook; known: gradient_basic",
        ),
        (
            ("feedback", "--student", "nobody", "--out", "feedback-test"),
            "no submissions from student 'nobody' in the gradebook",
        ),
        (("nonsense",), "invalid choice: 'nonsense'"),
        (("serve", "--port", "99999"), "99999 is not a port: a port is 1 to 65535"),
        (("serve", "--workers", "-1"), "-1 must be 0 or more"),
        (
            ("submit", "gradient_basic", "x.py", "--student", "   "),
            "a student's name cannot be blank",
        ),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args, says, private_home):
    done = gdlab(*args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and says in done.stderr
    assert "Traceback" not in done.stderr


def test_serving_on_a_port_in_use_is_one_line_before_anything_starts(private_home):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = gdlab("serve", "--practice", "--workers", "0", "--port", str(port))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"cannot serve on 127.0.0.1:{port}" in done.stderr
    assert "serving on" not in done.stdout


def test_a_notebook_that_is_not_json_is_refused_cleanly(tmp_path):
    bad = tmp_path / "lab.ipynb"
    bad.write_text("{ not json")
    done = gdlab("run", "gradient_basic", str(bad))
    assert done.returncode == 2 and "not a Jupyter notebook" in done.stderr


def test_test_run_imports_nothing_heavy():
    """TEST RUN must stay well under a second: no database library, no nbgrader, no plotting,
    no IPython (a plain script needs no magics rewritten), no HTTP client (only a configured
    course server needs one), no templates, no pandas (gradient_basic has no data)."""
    probe = (
        "import sys, contextlib, io\n"
        "from autograder.commands import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['run', 'gradient_basic', 'solutions/gradient_basic/gradient.py'])\n"
        "heavy = ('sqlalchemy', 'nbgrader', 'matplotlib', 'nbformat', 'IPython', 'ssl',\n"
        "         'http.client', 'jinja2', 'pandas')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_the_command_starts_light_so_its_sandbox_worker_boots_beside_the_rest():
    """`gdlab run` and `gdlab grade` start their sandbox worker before loading the exercise's
    schema (pydantic) or the gradebook (SQLAlchemy): the command module imports neither, so
    the worker's boot overlaps them on the other core."""
    probe = (
        "import sys\nimport autograder.commands.cli\n"
        "print(sorted(m for m in ('pydantic', 'sqlalchemy') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_version():
    done = gdlab("--version")
    assert (done.returncode, done.stdout) == (0, "gdlab 0.1.0\n")


def test_a_reader_that_leaves_early_is_not_an_error():
    """`gdlab list | head -1`: the pipe closes before gdlab writes; it stops quietly."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "autograder", "list"],
            cwd=REPO,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_console_that_cannot_show_unicode_gets_readable_ascii(tmp_path):
    answer = tmp_path / "answer.py"
    answer.write_text(
        (REPO / "solutions/gradient_basic/gradient.py")
        .read_text()
        .replace("del_w = learnrate * error_term * x", "del_w = error_term * x")
    )
    done = gdlab("run", "gradient_basic", str(answer), PYTHONIOENCODING="ascii", LC_ALL="C")
    assert done.returncode == 1, done.stderr
    assert done.stdout.isascii()
    assert "ok  h " in done.stdout and "X  del_w" in done.stdout
    assert "Deltaw = eta delta x" in done.stdout  # the hint's Δw = η δ x, spelled out


def test_test_run_shows_whole_values_wrapped_not_cut(tmp_path):
    """A 4-number vector used to be cut at 44 characters; now every number is shown."""
    answer = tmp_path / "answer.py"
    answer.write_text(
        (REPO / "solutions/gradient_basic/gradient.py")
        .read_text()
        .replace("del_w = learnrate * error_term * x", "del_w = error_term * x")
    )
    done = gdlab("run", "gradient_basic", str(answer))
    table = done.stdout.split("--- visible checks")[1]
    assert "…" not in table
    words = table.split()
    for number in (
        "[-0.020318692",
        "-0.040637384",
        "-0.060956075",
        "-0.081274767]",
        "[-0.040637384",
        "-0.081274767",
        "-0.12191215",
        "-0.16254953]",
    ):
        assert number in words, number
    assert max(len(line) for line in table.splitlines()) <= 100


def test_a_failing_check_in_ipython_shows_the_teaching_message_and_no_traceback(tmp_path):
    """What a student sees in Jupyter: the message first, nothing from inside gdlab."""
    cell = tmp_path / "cell.py"
    cell.write_text(
        "import numpy as np\nlearnrate = 0.5\nx = np.array([1, 2, 3, 4])\n"
        "y = np.array(0.5)\nw = np.array([0.5, -0.5, 0.3, 0.1])\nh = x * w\n"
        "from autograder import notebook as gdlab\n"
        "gdlab.check('gradient_basic', 'h')\n"
    )
    ipython = Path(sys.executable).parent / "ipython"
    done = subprocess.run(
        [str(ipython), "--colors=NoColor", str(cell)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    shown = (done.stdout + done.stderr).strip().splitlines()
    assert shown[0] == "✗ h: shape (4,), expected a scalar, shape ()", shown
    assert "products not summed: h is one number" in " ".join(shown)
    assert "Traceback" not in done.stdout + done.stderr
    assert "autograder" not in done.stdout + done.stderr
    assert all(len(line) <= 86 for line in shown)  # nbgrader validate cuts longer lines
