"""Feedback pages: one self-contained HTML page per student and exercise, written for the student.

SUBMIT's text is gone once the terminal closes, and a class graded in a batch never saw it at all.
A page can be handed out afterwards (LMS, e-mail, a shared folder), so it must open anywhere,
offline, years later: the stylesheet is inlined, the loss curve is a PNG in a ``data:`` URI,
there is no script and no external URL.

A page shows the *best* graded submission (`export.chosen(rows, "best")`, the one the grade
comes from): the score and verdict, what to work on (each named mistake with its hint, each other
failure with its reason), every check with expected and received values grouped by quantity, how
the program ran, and for a training exercise the student's loss curve beside the reference's.

This module gathers what a page shows, as data; the Jinja2 templates
(``server/templates/feedback/``, autoescaped: gradebook text may come from a student's program)
and the shared stylesheet (``server/static/gdlab.css``) lay it out. Reporting runs no sandbox:
the reference's loss curve comes from `curves.reference_curves`, the student's from what the
run traced (stored with it), or from its printed lines for a row graded before that.

What a page never shows: the reference program, the quantities' formulas (``about`` in
exercise.toml), the hidden given values, the hidden cases' program output (it may print them) and
the hidden cases' seed (it reproduces them).

Somewhat over ~300 lines, one job: what one page shows, gathered as data for its templates.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from autograder import __version__
from autograder.errors import UserError
from autograder.judge.checks import CaseRun, Check
from autograder.load import exercise as exercises
from autograder.record.gradebook import Gradebook, Row
from autograder.record.rows import OUTPUT_KEPT
from autograder.report.curves import (
    ReferenceCurves,
    in_order,
    loss_plot,
    parse_losses,
    reference_curves,
    traced_points,
)
from autograder.report.export import chosen
from autograder.report.feedback_cards import (
    CARRIED,
    FAIL,
    PASS,
    mark,
    short_note,
    sorted_checks,
    work_on,
)
from autograder.report.wording import run_words

log = logging.getLogger("gdlab.feedback")


# --- gathering a page's data ---------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """One graded submission with everything a page shows, read from the gradebook."""

    row: Row
    verdict: str
    checks: list[Check]
    runs: list[CaseRun]
    #: How many graded submissions this student made for this exercise.
    attempts: int


def best_submissions(book: Gradebook, student: str | None = None) -> list[Submission]:
    """The best graded submission per student and exercise, as the exports choose it."""
    rows = book.rows(student=student)
    attempts: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.status == "graded":
            attempts[(row.student, row.exercise)] = attempts.get((row.student, row.exercise), 0) + 1
    return [
        Submission(
            row,
            row.verdict,
            book.checks_of(row.id),
            book.runs_of(row.id),
            attempts[(row.student, row.exercise)],
        )
        for row in chosen(rows, "best")
        if row.status == "graded"
    ]


def _case_key(name: str, visible: bool) -> tuple[int, int, str]:
    """The published case first, then the hidden ones by number ("hidden 2" before "hidden 10")."""
    number = re.search(r"\d+", name)
    return (0 if visible else 1, int(number.group()) if number else 0, name)


def _cases(sub: Submission) -> list[str]:
    seen: dict[str, bool] = {}
    for item in _checks_and_runs(sub):
        seen.setdefault(item.case, item.visible)
    return sorted(seen, key=lambda name: _case_key(name, seen[name]))


def _quantities(sub: Submission, exercise: exercises.Exercise | None) -> list[str]:
    present = list(dict.fromkeys(c.quantity for c in sub.checks))
    if exercise is None:
        return present
    checks = [*(s.id for s in exercise.steps), *(q.name for q in exercise.quantities)]
    ordered = [name for name in checks if name in present]  # steps inside the loop first
    return ordered + [q for q in present if q not in ordered]


# --- what each section shows ----------------------------------------------------------------------


def _when(stamp: str | None) -> str:
    """'2026-11-23 14:11 UTC' from a stored ISO time (as stored when it does not parse)."""
    if not stamp:
        return "-"
    try:
        moment = datetime.fromisoformat(stamp).astimezone(timezone.utc)
    except ValueError:
        return stamp
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _checks_and_runs(sub: Submission) -> list[Check | CaseRun]:
    return [*sub.checks, *sub.runs]


def _is_visible(sub: Submission, case: str) -> bool:
    return any(item.visible for item in _checks_and_runs(sub) if item.case == case)


def _tries(sub: Submission) -> str:
    return (
        "your only graded submission"
        if sub.attempts == 1
        else f"the best of your {sub.attempts} graded submissions"
    )


def _cases_text(sub: Submission, cases: list[str]) -> str:
    hidden = sum(1 for c in cases if not _is_visible(sub, c))
    if hidden:
        return (
            f"{len(cases)} cases: the published example and {hidden} hidden "
            f"case{'s' if hidden != 1 else ''} with other given values"
        )
    return f"{len(cases)} case{'s' if len(cases) != 1 else ''}"


def _curve(sub: Submission, reference: ReferenceCurves) -> dict[str, Any] | None:
    """What the loss-curve section says: the student's losses beside the reference's; None
    (the section left out) when there is no curve at all, the student's nor the reference's.

    The student's curve is the one the run traced (stored with it); a row graded before runs
    kept it has its printed lines read instead, and the reference's curve is taken alike."""
    published = next((r for r in sub.runs if r.visible), None)
    traced = traced_points(published.losses) if published else None
    if traced is not None:
        losses = traced
    else:
        losses = in_order(parse_losses(published.output)) if published else []
    use_trace = traced is not None or (published is None and reference.traced is not None)
    beside = reference.beside(use_trace)
    if not losses and not beside:
        return None
    values = [v for _, v in losses]
    why = (
        ""
        if losses
        else "your program did not run on the published example"
        if published is None
        else f"it stopped before {'computing' if traced is not None else 'printing'} any loss"
        if not published.status.ran_through
        else "no_loss"
        if traced is not None
        else "no_lines"
    )
    return {
        "losses": values,
        "reference": [v for _, v in beside],
        "traced": use_trace,
        "why": why,
        "ups": sum(1 for a, b in itertools.pairwise(values) if b > a),
        "diverged": not all(math.isfinite(v) for v in values),
        "image": loss_plot(losses, beside, use_trace),
    }


def context(
    sub: Submission,
    exercise: exercises.Exercise | None,
    reference: ReferenceCurves | None = None,
    curve: bool = True,
) -> dict[str, Any]:
    """Everything the feedback templates show of one submission (`curve`: plot the loss)."""
    cases = _cases(sub)
    quantities = _quantities(sub, exercise)
    order = {case: i for i, case in enumerate(cases)}
    by = {(c.quantity, c.case): c for c in sub.checks}
    row = sub.row
    score, top = row.score or 0.0, row.max_score or 0.0
    percent = 100 * score / top if top else 0.0
    return {
        "sub": sub,
        "row": row,
        "title": exercise.title if exercise else row.exercise,
        "when": _when(row.submitted_at),
        "tries": _tries(sub),
        "cases": cases,
        "visible": {case: _is_visible(sub, case) for case in cases},
        "quantities": quantities,
        "by": by,
        "score": score,
        "top": top,
        "percent": max(0.0, min(percent, 100.0)),
        "cases_text": _cases_text(sub, cases),
        "level": "full" if top and score >= top else "part" if score > 0 else "zero",
        "cards": work_on(sub.checks, cases, quantities),
        "checks_of": {q: sorted_checks(sub.checks, q, order) for q in quantities},
        "runs": {r.case: r for r in sub.runs},
        "published": next((r for r in sub.runs if r.visible), None),
        "output_kept": OUTPUT_KEPT,
        "run_words": run_words,
        "curve": _curve(sub, reference or ReferenceCurves(None, []))
        if curve and exercise is not None and exercise.training
        else None,
        "mark": mark,
        "short_note": short_note,
        "PASS": PASS,
        "FAIL": FAIL,
        "CARRIED": CARRIED,
    }


def render(
    sub: Submission,
    exercise: exercises.Exercise | None,
    reference: ReferenceCurves | None = None,
) -> str:
    """One submission's page as a complete HTML document.

    `exercise` (None when it is no longer installed) gives the title, the quantities' order and
    whether to plot a loss curve; `reference` is the reference solution's loss curve for a
    training exercise.
    """
    from autograder.server.templating import environment, stylesheet

    return (
        environment()
        .get_template("feedback/page.html")
        .render(
            **context(sub, exercise, reference),
            css=stylesheet(),
            version=__version__,
            made=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )


# --- writing pages -------------------------------------------------------------------------------


def page_path(out: Path, student: str, exercise: str) -> Path:
    """``out/<student>/<exercise>.html``, with each name made safe as one path component.

    Names come from the gradebook (file names, ``--student``); one like ``../x`` or ``a/b`` must
    not write outside `out`, so anything but letters, digits and ``._@+-`` becomes ``_``.
    """
    return out / _component(student) / f"{_component(exercise)}.html"


def _component(name: str) -> str:
    safe = re.sub(r"[^\w.@+-]", "_", name, flags=re.ASCII)
    return safe if safe.strip(".") else f"_{safe}"


def write_pages(
    book: Gradebook,
    out: Path,
    student: str | None = None,
    *,
    load_exercise: Callable[[str], exercises.Exercise] = exercises.get,
) -> list[Path]:
    """Write one page per student and exercise (the best graded submission); return the paths.

    `student` limits the pages to one student. `load_exercise` finds an exercise by id (tests
    give their own); an exercise no longer installed still gets a page, without title or curve.
    """
    found: dict[str, exercises.Exercise | None] = {}
    curves: dict[str, ReferenceCurves] = {}
    written = []
    for sub in best_submissions(book, student):
        exercise_id = sub.row.exercise
        if exercise_id not in found:
            try:
                found[exercise_id] = load_exercise(exercise_id)
            except UserError as error:
                log.warning("feedback for %s without its exercise: %s", exercise_id, error)
                found[exercise_id] = None
        exercise = found[exercise_id]
        reference = None
        if exercise is not None and exercise.training:
            if exercise_id not in curves:
                curves[exercise_id] = reference_curves(exercise)
            reference = curves[exercise_id]
        target = page_path(out, sub.row.student, exercise_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(sub, exercise, reference), encoding="utf-8")
        written.append(target)
    return written


__all__ = [
    "Submission",
    "best_submissions",
    "context",
    "loss_plot",
    "page_path",
    "parse_losses",
    "reference_curves",
    "render",
    "write_pages",
]
