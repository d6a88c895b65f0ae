"""Move grades from gdlab's gradebook to where the course lives: CSV, Gradescope, nbgrader.

Every export has one row per student and exercise, taken from the *best* graded submission
(ties: the latest) or, with ``which="latest"``, the latest graded one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Literal

from autograder.errors import UserError
from autograder.record.gradebook import GRADED, NEEDS_REGRADE, Gradebook, Row
from autograder.report.sanitize import csv_cell, one_line, path_component

Which = Literal["best", "latest"]
CSV_HEADER = [
    "student",
    "exercise",
    "score",
    "max_score",
    "submitted_at",
    "graded_at",
    "mistakes",
    "status",
    "reason",
]


def status_of(row: Row) -> str:
    """``graded``; ``refused`` (a recorded 0: the file itself could not be graded); or
    ``needs regrade`` (a fault on the grader's side: no score yet)."""
    if row.status == NEEDS_REGRADE:
        return "needs regrade"
    return "refused" if row.problem else "graded"


def chosen(rows: list[Row], which: Which = "best") -> list[Row]:
    """One row per (student, exercise), sorted by student then exercise: the best (or latest)
    graded one; a submission that needs a regrade when it is the latest (``latest``) or when
    nothing of that student and exercise is graded (``best``), so exports list it."""
    picked: dict[tuple[str, str], Row] = {}
    for row in rows:
        if row.status not in (GRADED, NEEDS_REGRADE):
            continue
        key = (row.student, row.exercise)
        current = picked.get(key)
        if (
            current is None
            or which == "latest"
            or current.status == NEEDS_REGRADE
            or (row.status == GRADED and (row.score or 0) >= (current.score or 0))
        ):
            picked[key] = row
    return [picked[key] for key in sorted(picked)]


def notes(rows: list[Row]) -> list[str]:
    """What an export says beside its rows: files graded 0 without running, and submissions
    that need a regrade (left out of Gradescope and nbgrader: they have no score yet)."""
    said = []
    for kind, title in (
        ("refused", "graded 0 without running (the file cannot be graded)"),
        (
            "needs regrade",
            "need a regrade (grader-side failure, no score yet: run gdlab grade again)",
        ),
    ):
        listed = [r for r in rows if status_of(r) == kind]
        if listed:
            said.append(f"{len(listed)} {title}:")
            said += [
                f"  {one_line(r.student)} ({r.exercise}): {one_line(r.problem or '')}"
                for r in listed
            ]
    return said


def to_csv(rows: list[Row]) -> str:
    """The CSV every export and ``gdlab grade --out`` writes (mistakes joined with '; ').

    Text cells are neutralised (`csv_cell`): a student named ``=HYPERLINK(…)`` stays text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        status = status_of(row)
        score = ("", "") if status == "needs regrade" else (row.score or 0.0, row.max_score or 0.0)
        writer.writerow(
            [
                csv_cell(cell)
                for cell in (
                    row.student,
                    row.exercise,
                    *score,
                    row.submitted_at,
                    row.graded_at or "",
                    "; ".join(row.mistakes),
                    status,
                    row.problem or "",
                )
            ]
        )
    return out.getvalue()


def gradescope_results(book: Gradebook, row: Row) -> dict:
    """A Gradescope results.json for one graded submission (see `gradescope.results`)."""
    from autograder.report.gradescope import results_from_checks

    return results_from_checks(
        book.checks_of(row.id),
        book.runs_of(row.id),
        row.score or 0.0,
        row.verdict if row.problem else "",
    )


def write_gradescope(book: Gradebook, rows: list[Row], folder: Path) -> list[Path]:
    """``folder/<student>/<exercise>/results.json`` for each row, each name made one safe path
    component (`path_component`): a student named ``..`` or ``a/b`` stays inside `folder`."""
    written = []
    for row in rows:
        if row.status != GRADED:
            continue
        target = folder / path_component(row.student) / path_component(row.exercise)
        target = target / "results.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(gradescope_results(book, row), indent=2), encoding="utf-8")
        written.append(target)
    return written


def write_nbgrader(book: Gradebook, rows: list[Row], nbgrader_db: str) -> tuple[int, list[str]]:
    """Write each row's scores into an nbgrader gradebook, one grade cell per quantity; returns
    how many, and the exercises left out because this install does not have them (a gradebook
    may outlive an exercise: its cells and points are unknown, so the others still go in).

    The lab's graded cells are named ``check-<quantity>`` with the quantity's points (a test
    holds every exercise to that), so each quantity's score lands in its own cell as nbgrader's
    auto score; the assignment is named after the exercise and the notebook after the lab.
    """
    from nbgrader.api import Gradebook as NbGradebook  # only for this export: costs seconds
    from sqlalchemy.exc import SAWarning

    # nbgrader's own session warnings (its add_submission), which say nothing to the instructor
    warnings.filterwarnings("ignore", category=SAWarning, module="nbgrader")

    from autograder.load import exercise as exercises

    url = nbgrader_db if "://" in nbgrader_db else f"sqlite:///{Path(nbgrader_db).resolve()}"
    # nbgrader runs the `alembic` command to create its database: find it beside our Python
    # even when the virtual environment is not activated.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    count, missing = 0, []
    installed = set(exercises.available())
    with NbGradebook(url) as nb:
        for row in rows:
            if row.status != GRADED:
                continue
            if row.exercise not in installed:
                missing += [row.exercise] if row.exercise not in missing else []
                continue
            exercise = exercises.get(row.exercise)
            notebook = Path(exercise.notebook).stem
            nb.update_or_create_assignment(exercise.id)
            nb.update_or_create_notebook(notebook, exercise.id)
            for quantity in exercise.quantities:
                nb.update_or_create_grade_cell(
                    f"check-{quantity.name}",
                    notebook,
                    exercise.id,
                    max_score=exercise.cell_points(quantity.name),
                    cell_type="code",
                )
            nb.update_or_create_student(row.student)
            try:
                nb.find_submission(exercise.id, row.student)
            except Exception:  # nbgrader raises MissingEntry
                nb.add_submission(exercise.id, row.student)
            scores: dict[str, float] = {}
            for check in book.checks_of(row.id):
                cell = exercise.cell_of(check.quantity)
                scores[cell] = scores.get(cell, 0.0) + check.score
            for quantity in exercise.quantities:
                cell = nb.find_grade(f"check-{quantity.name}", notebook, exercise.id, row.student)
                cell.auto_score = round(scores.get(quantity.name, 0.0), 6)
            nb.db.commit()
            count += 1
    return count, missing


def export(
    book: Gradebook, fmt: str, out: Path | None, which: Which = "best", exercise: str | None = None
) -> str:
    """Run one export; returns what to tell the user."""
    rows = chosen(book.rows(exercise), which)
    stated = f"one row per student and exercise, the {which} graded submission"
    said = "\n".join(["", *notes(rows)]) if notes(rows) else ""
    if fmt == "csv":
        text = to_csv(rows)
        if out is None:
            return text.rstrip("\n")
        out.write_text(text, encoding="utf-8")
        return f"wrote {out}: {len(rows)} rows ({stated}){said}"
    if fmt == "gradescope":
        written = write_gradescope(book, rows, out or Path("gradescope-results"))
        return (
            f"wrote {len(written)} results.json files under {out or 'gradescope-results'} "
            f"({stated}){said}"
        )
    if fmt == "nbgrader":
        if out is None:
            raise UserError(
                "--format nbgrader needs --out: the nbgrader gradebook "
                "(a gradebook.db path or a database URL)"
            )
        count, missing = write_nbgrader(book, rows, str(out))
        if missing:
            said += "\nleft out (not installed here): " + ", ".join(sorted(missing))
        return f"wrote {count} submissions into nbgrader gradebook {out} ({stated}){said}"
    raise UserError(f"unknown export format {fmt!r}")
