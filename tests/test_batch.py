"""Grading a class: parallel, resumable after kill -9, summarised, exported."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.errors import UserError
from autograder.record.batch import discover
from autograder.report.export import CSV_HEADER
from tests.helpers import REPO, gdlab

EXAMPLES = REPO / "examples" / "gradient_basic"


#: The example whose endless loop runs to the time limit (5 s of CPU each time it is graded).
ENDLESS = "gus_endless_loop.py"


def class_folder(tmp_path: Path, copies: int = 1, endless: bool = True) -> Path:
    """The example class, `copies` times; without the endless loop where time-outs are not the
    point (each one burns the whole time limit)."""
    folder = tmp_path / "class"
    folder.mkdir()
    for n in range(copies):
        for answer in EXAMPLES.iterdir():
            if answer.name == ENDLESS and not endless:
                continue
            suffix = f"_{n}" if copies > 1 else ""
            shutil.copy(answer, folder / f"{answer.stem}{suffix}{answer.suffix}")
    return folder


@pytest.mark.slow  # a class through the gdlab command
def test_grade_prints_a_class_summary_and_writes_the_csv(tmp_path, private_home):
    folder = class_folder(tmp_path)
    done = gdlab(
        "grade",
        str(folder),
        "--exercise",
        "gradient_basic",
        "--workers",
        "2",
        "--out",
        str(tmp_path / "grades.csv"),
        home=private_home,
    )
    assert done.returncode == 0, done.stderr
    assert "10 submissions (10 graded now" in done.stdout
    assert "mistakes (students who made each):" in done.stdout
    assert "sign flipped (ŷ − y)" in done.stdout and "timed out" in done.stdout
    rows = list(csv.reader((tmp_path / "grades.csv").open()))
    assert rows[0] == CSV_HEADER
    scores = {r[0]: float(r[2]) for r in rows[1:]}
    assert scores["ada_correct"] == 100 and scores["ben_sign_flip"] == 80
    assert scores["jo_not_started"] == 0 and len(scores) == 10
    assert "[10/10]" in done.stderr  # plain progress lines when not on a terminal


@pytest.mark.slow  # a class graded three times through the gdlab command
def test_a_rerun_skips_what_is_graded_and_regrade_redoes_it(tmp_path, private_home):
    folder = class_folder(tmp_path, endless=False)  # 9 submissions
    gdlab("grade", str(folder), "--exercise", "gradient_basic", home=private_home)
    again = gdlab("grade", str(folder), "--exercise", "gradient_basic", home=private_home)
    assert "(0 graded now, 9 already in the gradebook)" in again.stdout
    redo = gdlab(
        "grade", str(folder), "--exercise", "gradient_basic", "--regrade", home=private_home
    )
    assert "(9 graded now" in redo.stdout
    with sqlite3.connect(private_home / "gradebook.db") as db:
        assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 9


@pytest.mark.slow  # a class graded, killed and graded again through the gdlab command
def test_kill_9_midway_loses_nothing_and_a_rerun_completes_without_duplicates(
    tmp_path, private_home
):
    folder = class_folder(tmp_path, copies=4, endless=False)  # 36 submissions
    env = {**os.environ, "GDLAB_HOME": str(private_home)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(folder),
            "--exercise",
            "gradient_basic",
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    database = private_home / "gradebook.db"
    deadline = time.monotonic() + 120
    graded = 0
    while time.monotonic() < deadline and graded < 5:
        time.sleep(0.2)
        if database.exists():
            with sqlite3.connect(database) as db:
                try:
                    graded = db.execute(
                        "SELECT count(*) FROM submissions WHERE status = 'graded'"
                    ).fetchone()[0]
                except sqlite3.OperationalError:
                    graded = 0
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    with sqlite3.connect(database) as db:
        kept = db.execute("SELECT count(*), sum(status = 'graded') FROM submissions").fetchone()
    assert kept[0] == 36 and 5 <= kept[1] < 36  # every file stored before grading began
    rerun = gdlab("grade", str(folder), "--exercise", "gradient_basic", home=private_home)
    assert rerun.returncode == 0, rerun.stderr
    with sqlite3.connect(database) as db:
        per_student = db.execute(
            "SELECT student, count(*), max(status) FROM submissions GROUP BY student"
        ).fetchall()
        checks = db.execute("SELECT count(*) FROM checks").fetchone()[0]
    assert len(per_student) == 36
    assert all(count == 1 and status == "graded" for _, count, status in per_student)
    assert checks == 36 * 25


def test_an_nbgrader_submitted_tree_is_discovered_with_its_exercise(tmp_path):
    for student in ("ann", "bo"):
        folder = tmp_path / "submitted" / student / "gradient_basic"
        folder.mkdir(parents=True)
        shutil.copy(REPO / "release/gradient_basic/gradient_basic.ipynb", folder)
    items = discover(tmp_path, None)
    assert [(i.student, i.exercise, i.path.name) for i in items] == [
        ("ann", "gradient_basic", "gradient_basic.ipynb"),
        ("bo", "gradient_basic", "gradient_basic.ipynb"),
    ]


@pytest.mark.parametrize(
    ("layout", "says"),
    [
        ("empty", "no .py or .ipynb submissions found"),
        ("no-exercise", "needs --exercise"),
        ("file", "not a folder of submissions"),
    ],
)
def test_bad_class_folders_are_one_clear_error(tmp_path, layout, says):
    target = tmp_path / "x"
    if layout == "file":
        target.write_text("")
    else:
        target.mkdir()
        if layout == "no-exercise":
            (target / "ann.py").write_text("")
    with pytest.raises(UserError, match=says):
        discover(target, None if layout == "no-exercise" else "gradient_basic")


@pytest.mark.slow  # classes graded through the gdlab command
def test_exports_choose_the_best_submission_and_say_so(tmp_path, private_home):
    answers = tmp_path / "answers"
    answers.mkdir()
    worse = answers / "ben.py"
    worse.write_text((EXAMPLES / "ben_sign_flip.py").read_text())
    gdlab("submit", "gradient_basic", str(worse), "--student", "ben", home=private_home)
    gdlab(
        "submit",
        "gradient_basic",
        str(EXAMPLES / "ada_correct.py"),
        "--student",
        "ben",
        home=private_home,
    )
    gdlab("submit", "gradient_basic", str(worse), "--student", "ben", home=private_home)
    best = gdlab("export", "--format", "csv", home=private_home).stdout
    latest = gdlab("export", "--format", "csv", "--which", "latest", home=private_home).stdout
    assert list(csv.reader(io.StringIO(best)))[1][2] == "100"
    assert list(csv.reader(io.StringIO(latest)))[1][2] == "80"
    out = gdlab(
        "export", "--format", "gradescope", "--out", str(tmp_path / "gs"), home=private_home
    )
    assert "the best graded submission" in out.stdout
    results = json.loads((tmp_path / "gs/ben/gradient_basic/results.json").read_text())
    assert results["score"] == 100 and len(results["tests"]) == 25


@pytest.mark.slow  # two SUBMITs and an export through the gdlab command (nbgrader's database)
def test_export_into_an_nbgrader_gradebook_leaves_out_an_exercise_no_longer_installed(
    tmp_path, private_home
):
    """One export proves both: a submission lands in nbgrader's gradebook with its score and
    each check cell's, and one of an exercise since retired is left out, saying so."""
    for student in ("cara", "dora"):
        answer = str(EXAMPLES / "cara_no_derivative.py")
        gdlab("submit", "gradient_basic", answer, "--student", student, home=private_home)
    with sqlite3.connect(private_home / "gradebook.db") as db:  # an exercise since retired
        db.execute("UPDATE submissions SET exercise = 'retired' WHERE student = 'dora'")
    target = tmp_path / "nbgrader.db"
    done = gdlab("export", "--format", "nbgrader", "--out", str(target), home=private_home)
    assert done.returncode == 0, done.stderr
    assert "wrote 1 submissions" in done.stdout
    assert "left out (not installed here): retired" in done.stdout
    assert "Warning" not in done.stderr
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{target}") as book:
        assert book.find_submission("gradient_basic", "cara").score == 80
        assert (
            book.find_grade("check-error_term", "gradient_basic", "gradient_basic", "cara").score
            == 0
        )


@pytest.mark.slow  # a Gradescope bundle built and run in subprocesses
def test_gradescope_bundle_runs_and_always_writes_results(tmp_path, private_home):
    bundle = tmp_path / "autograder.zip"
    assert (
        gdlab("gradescope", "gradient_basic", "-o", str(bundle), home=private_home).returncode == 0
    )
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "source")
    assert {
        "setup.sh",
        "run_autograder",
        "gdlab/pyproject.toml",
        "gdlab/solutions/gradient_basic/gradient.py",
    } <= names
    assert not any("multilayer" in n for n in names)  # only this exercise's hidden material
    assert subprocess.run(["bash", "-n", str(tmp_path / "source/setup.sh")]).returncode == 0
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for answer, score in (("ben_sign_flip.py", 80), ("hal_syntax_error.py", 0), (None, 0)):
        root = tmp_path / f"root-{answer}"
        (root / "submission").mkdir(parents=True)
        if answer:
            shutil.copy(EXAMPLES / answer, root / "submission" / answer)
        done = subprocess.run(
            ["bash", str(tmp_path / "source/run_autograder")],
            env={**env, "AUTOGRADER_ROOT": str(root)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        results = json.loads((root / "results" / "results.json").read_text())
        assert results["score"] == score
        assert {t["visibility"] for t in results["tests"]} <= {"visible", "after_due_date"}
        if answer is None:
            assert "No submission found" in results["output"]
        elif answer.startswith("ben"):
            hidden = [t for t in results["tests"] if t["visibility"] == "after_due_date"]
            assert len(hidden) == 20 and all("max_score" in t for t in hidden)


def test_the_summary_lists_refused_files_in_the_order_of_the_files():
    """A file that cannot be loaded is refused by the thread that grades it, so refusals arrive
    in whatever order the threads finish; the summary lists them by file all the same, the
    first twenty of them."""
    from autograder.record.batch import Item, ItemResult, Summary

    names = [f"s{n:02d}" for n in range(25)]
    arrived = names[1::2] + names[::2]  # finished out of order
    summary = Summary(
        [
            ItemResult(
                Item(n, "gradient_basic", Path(f"{n}.ipynb")), 0, 0.0, 100.0, [], refused="bad"
            )
            for n in arrived
        ]
    )
    text = summary.text()
    assert "files graded 0 without running (the file itself cannot be graded): 25" in text
    listed = [
        line.split()[0] for line in text.splitlines() if line.endswith("(gradient_basic): bad")
    ]
    assert listed == names[:20]
    assert "… and 5 more" in text
