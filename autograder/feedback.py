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
the reference's loss curve comes from `curves.reference_losses`.

What a page never shows: the reference program, the quantities' formulas (``about`` in
exercise.toml), the hidden given values, the hidden cases' program output (it may print them) and
the hidden cases' seed (it reproduces them).
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autograder import __version__
from autograder import exercise as exercises
from autograder.compare import NOT_DONE
from autograder.curves import loss_plot, parse_losses, reference_losses
from autograder.errors import UserError
from autograder.export import chosen
from autograder.gradebook import Gradebook, Row

log = logging.getLogger("gdlab.feedback")

PASS, FAIL, CARRIED = "✓", "✗", "✓*"
#: What the gradebook keeps of a run's output (gradebook._OUTPUT_KEPT); longer is cut there.
_OUTPUT_KEPT = 20_000

_STATUS_WORDS = {
    "finished": "ran to the end",
    "syntax_error": "does not compile",
    "given_missing": "given values missing",
    "timeout": "stopped: too slow",
    "raised": "stopped with an error",
    "exited": "called exit",
    "no_result": "ended early",
    "sandbox_failure": "grader failure",
}


# --- gathering a page's data ---------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """One graded submission with everything a page shows, read from the gradebook."""

    row: Row
    verdict: str
    checks: list[dict[str, Any]]
    runs: list[dict[str, Any]]
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
    ]


def _case_key(name: str, visible: bool) -> tuple[int, int, str]:
    """The published case first, then the hidden ones by number ("hidden 2" before "hidden 10")."""
    number = re.search(r"\d+", name)
    return (0 if visible else 1, int(number.group()) if number else 0, name)


def _cases(sub: Submission) -> list[str]:
    seen: dict[str, bool] = {}
    for item in [*sub.checks, *sub.runs]:
        seen.setdefault(item["case_name"], bool(item["visible"]))
    return sorted(seen, key=lambda name: _case_key(name, seen[name]))


def _quantities(sub: Submission, exercise: exercises.Exercise | None) -> list[str]:
    present = list(dict.fromkeys(c["quantity"] for c in sub.checks))
    if exercise is None:
        return present
    ordered = [q.name for q in exercise.quantities if q.name in present]
    return ordered + [q for q in present if q not in ordered]


# --- what each section shows ----------------------------------------------------------------------


def _when(stamp: str | None) -> str:
    """'2026-11-23 14:11 UTC' from a stored ISO time (as stored when it does not parse)."""
    if not stamp:
        return "-"
    try:
        moment = datetime.fromisoformat(stamp).astimezone(UTC)
    except ValueError:
        return stamp
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def mark(check: dict[str, Any] | None) -> tuple[str, str, str]:
    """(symbol, css class, words) for one check."""
    if check is None:
        return "–", "none", "not checked"
    if check["carried_forward"]:
        return CARRIED, "carried", "right given your earlier value"
    if check["passed"]:
        return PASS, "pass", "correct"
    return FAIL, "fail", "not right"


@dataclass
class Card:
    """One entry of "What to work on": a reason and the quantities it concerns."""

    kind: str  # "mistake" (a wrong value), "shared" (no value to check), "carried"
    names: list[str]
    title: str
    hint: str | None = None
    #: mistake cards: (label, case, expected, received, other cases it fails in)
    examples: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    unknown: bool = False
    reason: str = ""
    see_run: bool = False


def _is_visible(sub: Submission, case: str) -> bool:
    return any(
        bool(item["visible"]) for item in [*sub.checks, *sub.runs] if item["case_name"] == case
    )


def _sorted_checks(sub: Submission, q: str, order: dict[str, int]) -> list[dict[str, Any]]:
    return sorted(
        (c for c in sub.checks if c["quantity"] == q),
        key=lambda c: order.get(c["case_name"], len(order)),
    )


def work_on(sub: Submission, cases: list[str], quantities: list[str]) -> list[Card]:
    """What needs attention, in the quantities' order: a wrong value gets a card with the named
    mistake's hint (or why it is wrong) and an example, on the published case when it fails there
    since the student can reproduce that one. Quantities failing for one shared reason (the same
    named mistake, not done yet, a crash) share one card, so a page never repeats itself."""
    order = {case: i for i, case in enumerate(cases)}
    wrong: dict[tuple[str, str], list[tuple[str, dict[str, Any], list[dict[str, Any]]]]] = {}
    shared: dict[tuple[str, str], list[str]] = {}
    carried_cards: list[Card] = []
    for q in quantities:
        checks = _sorted_checks(sub, q, order)
        failed = [c for c in checks if not c["passed"]]
        carried = [c for c in checks if c["carried_forward"]]
        named = next((c for c in failed if c["mistake"]), None)
        if named is not None:
            wrong.setdefault((named["mistake"], named["hint"] or ""), []).append((q, named, failed))
        elif failed and (key := _shared_reason(failed[0]["message"])):
            shared.setdefault(key, []).append(q)
        elif failed:
            wrong.setdefault((f"{q}:", failed[0]["message"]), []).append((q, failed[0], failed))
        elif carried:
            carried_cards.append(Card("carried", [q], carried[0]["message"]))
    # Named mistakes first: they come with a hint, the most useful thing on the page.
    ranked = sorted(wrong.values(), key=lambda entries: not entries[0][1]["mistake"])
    cards = [_mistake_card(entries) for entries in ranked]
    for (title, reason), names in shared.items():
        cards.append(
            Card(
                "shared",
                names,
                title,
                reason=reason[:1].upper() + reason[1:],
                see_run=title != NOT_DONE,
            )
        )
    return cards + carried_cards


def _shared_reason(message: str) -> tuple[str, str] | None:
    """(title, reason) when a failure is not about the value itself, so that every quantity
    failing for it shares one card: not done yet, or no value because the program stopped."""
    if message.endswith(NOT_DONE):
        return NOT_DONE, message
    if message.startswith("not run:"):
        return "no value to check", "your program did not run far enough to compute it"
    if message.startswith("not computed:"):
        return "no value to check", message
    return None


def _mistake_card(entries: list[tuple[str, dict[str, Any], list[dict[str, Any]]]]) -> Card:
    """Wrong values for one reason: the mistake's name and hint (or why the value is wrong), then
    per quantity one example case, expected against received, and the other cases it fails in."""
    first = entries[0][1]
    examples = []
    for q, shown, failed in entries:
        others = ", ".join(c["case_name"] for c in failed if c is not shown)
        examples.append(
            (
                q if len(entries) > 1 else "",
                shown["case_name"],
                shown["expected"],
                shown["received"],
                others,
            )
        )
    return Card(
        "mistake",
        [q for q, _, _ in entries],
        first["mistake"] or first["message"],
        hint=first["hint"],
        examples=examples,
        unknown=not first["mistake"] and first["message"].startswith("wrong value"),
    )


def short_note(check: dict[str, Any]) -> tuple[str, str]:
    """(kind, text) of a few words for one check's row; "What to work on" tells the rest."""
    message = check["message"]
    if check["passed"] and not check["carried_forward"]:
        return "", ""
    if check["carried_forward"]:
        return "text", "error carried forward"
    if check["mistake"]:
        return "mistake", check["mistake"]
    for prefix in ("not run", "not computed"):
        if message.startswith(prefix):
            return "ran", prefix
    return "text", message.split(";")[0]


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


def _curve(sub: Submission, reference: list[float]) -> dict[str, Any]:
    """What the loss-curve section says: the student's losses beside the reference's."""
    published = next((r for r in sub.runs if r["visible"]), None)
    losses = parse_losses(published["output"]) if published else []
    why = (
        ""
        if losses
        else "your program did not run on the published example"
        if published is None
        else "it stopped before printing any loss"
        if published["status"] != "finished"
        else "no_lines"
    )
    return {
        "losses": losses,
        "reference": reference,
        "why": why,
        "ups": sum(1 for a, b in itertools.pairwise(losses) if b > a),
        "diverged": not all(math.isfinite(v) for v in losses),
        "image": loss_plot(losses, reference) if losses or reference else None,
    }


def context(
    sub: Submission,
    exercise: exercises.Exercise | None,
    reference: list[float] | None = None,
    curve: bool = True,
) -> dict[str, Any]:
    """Everything the feedback templates show of one submission (`curve`: plot the loss)."""
    cases = _cases(sub)
    quantities = _quantities(sub, exercise)
    order = {case: i for i, case in enumerate(cases)}
    by = {(c["quantity"], c["case_name"]): c for c in sub.checks}
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
        "cards": work_on(sub, cases, quantities),
        "checks_of": {q: _sorted_checks(sub, q, order) for q in quantities},
        "runs": {r["case_name"]: r for r in sub.runs},
        "published": next((r for r in sub.runs if r["visible"]), None),
        "output_kept": _OUTPUT_KEPT,
        "status_words": _STATUS_WORDS,
        "curve": _curve(sub, reference or [])
        if curve and exercise is not None and exercise.training
        else None,
        "mark": mark,
        "short_note": short_note,
        "PASS": PASS,
        "FAIL": FAIL,
        "CARRIED": CARRIED,
    }


def render(
    sub: Submission, exercise: exercises.Exercise | None, reference: list[float] | None = None
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
            made=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
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
    curves: dict[str, list[float]] = {}
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
                curves[exercise_id] = reference_losses(exercise)
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
    "reference_losses",
    "render",
    "write_pages",
]
