"""The `gdlab` command as students and instructors type it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PUBLISHED = """Neural Network output:
0.6899744811276125
Amount of Error:
-0.1899744811276125
Change in Weights:
[-0.02031869 -0.04063738 -0.06095608 -0.08127477]"""


def gdlab(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


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
    answer.write_text((REPO / "solutions/gradient_basic/gradient.py").read_text().replace(
        "del_w = learnrate * error_term * x", "del_w = error_term * x"))
    done = gdlab("submit", "gradient_basic", str(answer), "--student", "ada", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"exercise", "student", "score", "max_score", "submission_id", "checks"} <= set(report)
    assert report["student"] == "ada" and report["max_score"] == 100
    assert report["score"] == 80
    check_keys = {"quantity", "case", "passed", "score", "max_score", "expected", "received",
                  "message"}
    assert all(check_keys <= set(c) for c in report["checks"])
    assert "learning rate missing" in report["mistakes"]
    with sqlite3.connect(private_home / "gradebook.db") as db:
        row = db.execute("SELECT student, score, status, content, seed FROM submissions "
                         "WHERE id = ?", (report["submission_id"],)).fetchone()
        n_checks = db.execute("SELECT count(*) FROM checks WHERE submission_id = ?",
                              (report["submission_id"],)).fetchone()[0]
    assert row[:3] == ("ada", 80.0, "graded")
    assert row[3] == answer.read_bytes() and row[4] == report["seed"]
    assert n_checks == len(report["checks"]) == 25


def test_submit_of_the_reference_says_nice_job():
    done = gdlab("submit", "gradient_basic", "solutions/gradient_basic/gradient.py")
    assert done.returncode == 0
    assert "Score: 100/100" in done.stdout
    assert done.stdout.rstrip().endswith("Nice job! That's right!")


def test_the_same_seed_gives_the_same_hidden_cases():
    first = json.loads(gdlab("submit", "gradient_basic", "release/gradient_basic/gradient.py",
                             "--json", "--seed", "42").stdout)
    again = json.loads(gdlab("submit", "gradient_basic", "release/gradient_basic/gradient.py",
                             "--json", "--seed", "42").stdout)
    assert [c["expected"] for c in first["checks"]] == [c["expected"] for c in again["checks"]]


@pytest.mark.parametrize(("args", "says"), [
    (("run", "no_such_exercise", "x.py"), "unknown exercise 'no_such_exercise'; known: "),
    (("run", "gradient_basic", "missing.py"), "missing.py: no such file"),
    (("submit", "gradient_basic", "pyproject.toml"), "expected a .py or .ipynb file"),
    (("run", "gradient_basic", "tests"), "expected a .py or .ipynb file"),
    (("run", "gradient_basic"), "give the file to run"),
])
def test_bad_usage_is_one_line_and_exit_2(args, says):
    done = gdlab(*args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and says in done.stderr
    assert "Traceback" not in done.stderr


def test_a_notebook_that_is_not_json_is_refused_cleanly(tmp_path):
    bad = tmp_path / "lab.ipynb"
    bad.write_text("{ not json")
    done = gdlab("run", "gradient_basic", str(bad))
    assert done.returncode == 2 and "not a Jupyter notebook" in done.stderr


def test_test_run_imports_nothing_heavy():
    """TEST RUN must stay well under a second: no database library, no nbgrader, no plotting,
    no IPython (a plain script needs no magics rewritten)."""
    probe = ("import sys, contextlib, io\n"
             "from autograder import cli\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    cli.main(['run', 'gradient_basic', 'solutions/gradient_basic/gradient.py'])\n"
             "heavy = ('sqlalchemy', 'nbgrader', 'matplotlib', 'nbformat', 'IPython')\n"
             "print(sorted(m for m in heavy if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
