"""One file never stops a class: a file that cannot be graded gets a recorded 0 with its reason,
a failure of the grader's is recorded as "needs regrade", and links are never followed."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest

from autograder.judge import grader as grader_module
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load.submission import MAX_BYTES
from autograder.record import batch
from autograder.record.gradebook import NEEDS_REGRADE, Gradebook
from autograder.report import gradescope
from autograder.report.export import CSV_HEADER, export
from tests.helpers import REPO, gdlab

EXAMPLES = REPO / "examples" / "gradient_basic"
REFERENCE = REPO / "solutions" / "gradient_basic" / "gradient.py"


def broken_class(folder: Path) -> dict[str, str]:
    """ada (right), ben (a mistake) and one file of every kind that cannot be graded, with a
    word its reason must contain."""
    folder.mkdir()
    shutil.copy(EXAMPLES / "ada_correct.py", folder / "ada.py")
    shutil.copy(EXAMPLES / "ben_sign_flip.py", folder / "ben.py")
    answer = (EXAMPLES / "ada_correct.py").read_text()
    (folder / "utf16.py").write_bytes(answer.encode("utf-16-le"))  # no BOM: cannot be read
    (folder / "nullmeta.ipynb").write_text(
        json.dumps(
            {
                "cells": [{"cell_type": "code", "metadata": None, "source": ["x = 1\n", 5]}],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    (folder / "deep.ipynb").write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (folder / "huge.py").write_bytes(b"#" * (MAX_BYTES + 1))
    os.symlink(folder / "ada.py", folder / "zed.py")  # a classmate's file
    os.symlink(REFERENCE, folder / "mallory.py")  # the reference
    name = os.fsdecode(b"caf\xe9.py")  # a Latin-1 file name: not UTF-8
    shutil.copy(EXAMPLES / "ada_correct.py", folder / name)
    return {
        "utf16": "",
        "nullmeta": "",
        "deep": "",
        "huge": "more than a submission may be",
        "zed": "symbolic link",
        "mallory": "symbolic link",
    }


def test_a_class_with_broken_files_is_graded_and_each_gets_its_zero_with_a_reason(tmp_path):
    home = tmp_path / "home"
    refused = broken_class(tmp_path / "class")
    out = tmp_path / "grades.csv"
    done = gdlab(
        "grade",
        str(tmp_path / "class"),
        "--exercise",
        "gradient_basic",
        "--out",
        str(out),
        "--workers",
        "2",
        home=home,
    )
    assert done.returncode == 0, done.stderr
    assert "files graded 0 without running (the file itself cannot be graded): 6" in done.stdout
    rows = {r["student"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert list(rows["ada"]) == CSV_HEADER
    assert rows["ada"]["score"] == "100" and rows["ada"]["status"] == "graded"
    assert rows["ben"]["score"] == "80"
    assert rows["caf\\xe9"]["score"] == "100"  # graded as written, the name shown as bytes
    for student, word in refused.items():
        assert rows[student]["score"] == "0" and rows[student]["max_score"] == "100", student
        assert rows[student]["status"] == "refused" and word in rows[student]["reason"], student
    assert "8 submissions" not in done.stdout and "9 submissions (9 graded now" in done.stdout
    again = gdlab("grade", str(tmp_path / "class"), "--exercise", "gradient_basic", home=home)
    assert "(0 graded now, 9 already in the gradebook)" in again.stdout
    assert "files graded 0 without running (the file itself cannot be graded): 6" in again.stdout
    exported = gdlab("export", "--format", "gradescope", "--out", str(tmp_path / "gs"), home=home)
    assert "6 graded 0 without running" in exported.stdout
    results = json.loads((tmp_path / "gs/mallory/gradient_basic/results.json").read_text())
    assert results["score"] == 0 and "symbolic link" in results["output"]


def test_a_grader_failure_needs_a_regrade_and_the_next_run_grades_it(tmp_path, monkeypatch):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ada_correct", "ben_sign_flip"):
        shutil.copy(EXAMPLES / f"{name}.py", folder / f"{name}.py")
    real_submit = Grader.submit

    def failing_for_ben(self, exercise, program, **kwargs):
        if kwargs["student"] == "ben_sign_flip":
            raise RuntimeError("the grader broke")
        return real_submit(self, exercise, program, **kwargs)

    url = f"sqlite:///{tmp_path / 'book.db'}"
    items = batch.discover(folder, "gradient_basic")
    with Gradebook(url) as book:
        monkeypatch.setattr(Grader, "submit", failing_for_ben)
        summary = batch.grade_class(items, book, workers=1)
        assert (
            "needs regrade (a fault on the grader's side, not a grade: run gdlab grade "
            "again): 1\n  ben_sign_flip (gradient_basic): RuntimeError: the grader broke"
            in summary.text()
        )
        assert "1 submissions (1 graded now" in summary.text()
        [ben] = book.rows(student="ben_sign_flip")
        assert ben.status == NEEDS_REGRADE and ben.score is None
        text = export(book, "csv", None)
        row = next(r for r in csv.DictReader(io.StringIO(text)) if r["student"] == "ben_sign_flip")
        assert row["status"] == "needs regrade" and row["score"] == ""
        said = export(book, "gradescope", tmp_path / "gs")
        assert "1 need a regrade" in said and not (tmp_path / "gs/ben_sign_flip").exists()
        monkeypatch.setattr(Grader, "submit", real_submit)
        summary = batch.grade_class(items, book, workers=1)
        assert "(1 graded now, 1 already in the gradebook)" in summary.text()
        [ben] = book.rows(student="ben_sign_flip")
        assert ben.status == "graded" and ben.score == 80


def test_a_symlinked_student_folder_in_an_nbgrader_tree_gets_a_zero(tmp_path):
    submitted = tmp_path / "submitted"
    (submitted / "alice" / "gradient_basic").mkdir(parents=True)
    shutil.copy(
        REPO / "release/gradient_basic/gradient_basic.ipynb", submitted / "alice" / "gradient_basic"
    )
    os.symlink(submitted / "alice", submitted / "zed")
    items = batch.discover(tmp_path, None)
    assert [(i.student, i.refused is not None) for i in items] == [("alice", False), ("zed", True)]
    assert "symbolic link" in (items[1].refused or "")


def test_submit_refuses_a_symlink_in_one_line(tmp_path):
    link = tmp_path / "mallory.py"
    os.symlink(REFERENCE, link)
    done = gdlab("submit", "gradient_basic", str(link), "--json", home=tmp_path / "home")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "is a symbolic link" in done.stderr


@pytest.mark.parametrize("target", [REFERENCE, EXAMPLES / "ada_correct.py"])
def test_the_gradescope_runner_refuses_a_symlinked_submission(tmp_path, target):
    exercise = exercises.get("gradient_basic")
    (tmp_path / "submission").mkdir()
    os.symlink(target, tmp_path / "submission" / exercise.script)
    results = gradescope.run("gradient_basic", tmp_path)
    assert results["score"] == 0 and results["tests"] == []
    assert "is a symbolic link" in results["output"]


def test_a_sandbox_that_cannot_start_leaves_every_file_to_regrade_not_zero(tmp_path, monkeypatch):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ada_correct", "ben_sign_flip"):
        shutil.copy(EXAMPLES / f"{name}.py", folder / f"{name}.py")

    class Unstartable:
        def __init__(self) -> None:
            raise OSError("cannot fork the sandbox worker")

    items = batch.discover(folder, "gradient_basic")
    real = grader_module.Sandbox
    with Gradebook(f"sqlite:///{tmp_path / 'book.db'}") as book:
        monkeypatch.setattr(grader_module, "Sandbox", Unstartable)
        text = batch.grade_class(items, book, workers=2).text()
        assert "No submissions graded." in text
        assert "run gdlab grade again): 2" in text and "cannot fork the sandbox worker" in text
        assert {r.status for r in book.rows()} == {NEEDS_REGRADE}
        monkeypatch.setattr(grader_module, "Sandbox", real)
        again = batch.grade_class(items, book, workers=1)
        assert {o.item.student: o.score for o in again.outcomes} == {
            "ada_correct": 100,
            "ben_sign_flip": 80,
        }
