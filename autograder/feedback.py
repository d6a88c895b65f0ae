"""Feedback pages: one self-contained HTML page per student and exercise, written for the student.

SUBMIT's text is gone once the terminal closes, and a class graded in a batch never saw it at all.
A page can be handed out afterwards (LMS, e-mail, a shared folder), so it must open anywhere,
offline, years later: CSS is inline, the loss curve is a PNG in a ``data:`` URI, there is no
script and no external URL.

A page shows the *best* graded submission (`export.chosen(rows, "best")`, the one the grade
comes from): the score and verdict, what to work on (each named mistake with its hint, each other
failure with its reason), every check with expected and received values grouped by quantity, how
the program ran, and for a training exercise the student's loss curve beside the reference's.

What it never shows: the reference program, the quantities' formulas (``about`` in
exercise.toml), the hidden given values, the hidden cases' program output (it may print them) and
the hidden cases' seed (it reproduces them). Everything read from the gradebook, where any text
may come from a student's program, goes through `html.escape`.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder import __version__
from autograder import exercise as exercises
from autograder.compare import NOT_DONE
from autograder.errors import UserError
from autograder.export import chosen
from autograder.gradebook import Gradebook, Row

if TYPE_CHECKING:
    from autograder.sandbox import Sandbox

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


# --- loss curves ---------------------------------------------------------------------------------

_NUMBER = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)"
_TRAIN_LOSS = re.compile(rf"\btrain(?:ing)?[ _]loss\b\s*[:=]?\s*({_NUMBER})", re.IGNORECASE)
_ANY_LOSS = re.compile(rf"\bloss\b\s*[:=]?\s*({_NUMBER})", re.IGNORECASE)


def parse_losses(output: str) -> list[float]:
    """The loss values a training program printed, in the order it printed them.

    The training labs print ``Train loss:  0.2627...`` a few times while training, sometimes
    followed by ``  WARNING - Loss Increasing``; the number after "Train loss" on each such line is
    one point of the curve. A program that prints its loss another way (``epoch 3 loss = 0.25``,
    ``Loss: 0.25``) is read from the first number after the word "loss" on each line, but only
    when no line has the ``Train loss`` form, so that a validation loss printed beside the training
    loss never mixes into the curve. ``nan`` and ``inf`` are kept (a diverging run is worth seeing).
    Nothing recognised: ``[]``, and the page says there is no curve and why.
    """
    train, other = [], []
    for line in output.splitlines():
        if match := _TRAIN_LOSS.search(line):
            train.append(float(match.group(1)))
        elif match := _ANY_LOSS.search(line):
            other.append(float(match.group(1)))
    return train or other


def loss_plot(student: list[float], reference: list[float]) -> str:
    """The two loss curves as a PNG ``data:`` URI, so the page needs no other file.

    matplotlib is imported here and nowhere else: it takes longer to import than a SUBMIT takes to
    run. The figure is drawn on its own Agg canvas, without pyplot's global state, which keeps it
    safe beside other threads and independent of any configured backend.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.2, 3.4), dpi=130)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if reference:
        axes.plot(range(1, len(reference) + 1), reference, color="#8a94a6", linestyle="--",
                  linewidth=2, marker="o", markersize=3.5, label="reference solution")
    if student:
        axes.plot(range(1, len(student) + 1), student, color="#2458d3", linewidth=2.2,
                  marker="o", markersize=4.5, label="your program")
    finite = [v for v in [*student, *reference] if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 50:
        axes.set_yscale("log")
    axes.set_xlabel("loss printed during training (in order)")
    axes.set_ylabel("training loss")
    axes.grid(True, color="#e3e7ee", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def reference_losses(exercise: exercises.Exercise, sandbox: Sandbox) -> list[float]:
    """The reference program's loss curve: run it on the published case as a student's is run.

    Running it (rather than storing numbers) keeps the curve true to the exercise as it is now,
    with the same sandbox, limits, data and printing as the student's run. It is one sandbox job,
    not `grading.grade`, which would also run the reference in our process as its oracle: a
    training loop costs seconds. The caller caches the curve per exercise. A reference that does
    not run through gives ``[]`` (logged: that is for the course author to fix).
    """
    from autograder.sandbox import Job

    try:
        case = exercise.published_case()
        run = sandbox.run(Job(exercise.reference, exercise.script, case.given_plain(),
                              exercise.quantity_exprs, exercise.limits))
    except Exception:
        log.exception("the reference of %s did not run", exercise.id)
        return []
    if run.status != "finished":
        log.warning("the reference of %s did not finish: %s %s", exercise.id, run.status,
                    run.error or run.exit or "")
        return []
    return parse_losses(run.output)


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
            attempts[(row.student, row.exercise)] = attempts.get(
                (row.student, row.exercise), 0) + 1
    return [Submission(row, row.verdict, book.checks_of(row.id), book.runs_of(row.id),
                       attempts[(row.student, row.exercise)])
            for row in chosen(rows, "best")]


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
    ordered = [name for name in [*(s.id for s in exercise.steps),
                                 *(q.name for q in exercise.quantities)] if name in present]
    return ordered + [q for q in present if q not in ordered]


# --- rendering -----------------------------------------------------------------------------------

def _e(text: object) -> str:
    """Escape for HTML text and attribute values: gradebook text may come from a student."""
    return html.escape(str(text), quote=True)


def _num(value: float | None) -> str:
    return f"{value or 0:g}"


def _when(stamp: str | None) -> str:
    """'2026-11-23 14:11 UTC' from a stored ISO time (as stored when it does not parse)."""
    if not stamp:
        return "-"
    try:
        moment = datetime.fromisoformat(stamp).astimezone(UTC)
    except ValueError:
        return stamp
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _mark(check: dict[str, Any]) -> tuple[str, str, str]:
    """(symbol, css class, words) for one check."""
    if check["carried_forward"]:
        return CARRIED, "carried", "right given your earlier value"
    if check["passed"]:
        return PASS, "pass", "correct"
    return FAIL, "fail", "not right"


def _chip(check: dict[str, Any] | None) -> str:
    if check is None:
        return '<span class="chip none" title="not checked">–</span>'
    symbol, css, words = _mark(check)
    return f'<span class="chip {css}" title="{_e(words)}">{_e(symbol)}</span>'


def _case_label(name: str, visible: bool) -> str:
    if visible:
        return f'{_e(name)} <span class="tag">shown in TEST RUN</span>'
    return _e(name)


def _header(sub: Submission, exercise: exercises.Exercise | None) -> str:
    row = sub.row
    title = exercise.title if exercise else row.exercise
    tries = ("your only graded submission" if sub.attempts == 1
             else f"the best of your {sub.attempts} graded submissions")
    return f"""
<header>
  <div class="kicker">gdlab feedback · {_e(row.exercise)}</div>
  <h1>{_e(title)}</h1>
  <dl class="meta">
    <div><dt>Student</dt><dd>{_e(row.student)}</dd></div>
    <div><dt>File</dt><dd><code>{_e(row.filename)}</code></dd></div>
    <div><dt>Submitted</dt><dd>{_e(_when(row.submitted_at))}</dd></div>
    <div><dt>Graded</dt><dd>{_e(tries)}</dd></div>
  </dl>
</header>"""


def _score(sub: Submission, cases: list[str]) -> str:
    row = sub.row
    score, top = row.score or 0.0, row.max_score or 0.0
    percent = 100 * score / top if top else 0.0
    level = "full" if top and score >= top else "part" if score > 0 else "zero"
    hidden = sum(1 for c in cases if not _is_visible(sub, c))
    cases_text = (f"{len(cases)} cases: the published example and {hidden} hidden "
                  f"case{'s' if hidden != 1 else ''} with other given values"
                  if hidden else f"{len(cases)} case{'s' if len(cases) != 1 else ''}")
    return f"""
<section class="card score {level}">
  <div class="figure"><span class="got">{_e(_num(score))}</span><span class="of">/ {_e(_num(top))}
  </span></div>
  <div class="summary">
    <div class="bar" role="img" aria-label="{percent:.0f} percent">
      <div style="width:{max(0.0, min(percent, 100.0)):.1f}%"></div></div>
    <p class="verdict">{_e(sub.verdict)}</p>
    <p class="muted">Graded on {_e(cases_text)}.</p>
  </div>
</section>"""


def _is_visible(sub: Submission, case: str) -> bool:
    return any(bool(item["visible"]) for item in [*sub.checks, *sub.runs]
               if item["case_name"] == case)


def _glance(sub: Submission, cases: list[str], quantities: list[str]) -> str:
    by = {(c["quantity"], c["case_name"]): c for c in sub.checks}
    head = "".join(f"<th>{_e(case)}</th>" for case in cases)
    body = []
    for q in quantities:
        checks = [c for c in sub.checks if c["quantity"] == q]
        got, worth = sum(c["score"] for c in checks), sum(c["max_score"] for c in checks)
        cells = "".join(f"<td class='c'>{_chip(by.get((q, case)))}</td>" for case in cases)
        body.append(f"<tr><th scope='row'><code>{_e(q)}</code></th>{cells}"
                    f"<td class='pts'>{_e(_num(got))} / {_e(_num(worth))}</td></tr>")
    return f"""
<section class="card">
  <h2>At a glance</h2>
  <table class="glance">
    <thead><tr><th>quantity</th>{head}<th class="pts">points</th></tr></thead>
    <tbody>{''.join(body)}</tbody>
  </table>
  <p class="legend"><span class="chip pass">{PASS}</span> correct
    <span class="chip carried">{CARRIED}</span> right given your own earlier value (error carried
    forward: full marks for this step) <span class="chip fail">{FAIL}</span> not right</p>
</section>"""


def _work_on(sub: Submission, cases: list[str], quantities: list[str]) -> str:
    """What needs attention, in the quantities' order: a wrong value gets a card with the named
    mistake's hint (or why it is wrong) and an example, on the published case when it fails there
    since the student can reproduce that one. Quantities failing for one shared reason (the same
    named mistake, not done yet, a crash) share one card, so a page never repeats itself."""
    order = {case: i for i, case in enumerate(cases)}
    wrong: dict[tuple[str, str], list[tuple[str, dict[str, Any], list[dict[str, Any]]]]] = {}
    shared: dict[tuple[str, str], list[str]] = {}
    carried_cards: list[str] = []
    for q in quantities:
        checks = sorted((c for c in sub.checks if c["quantity"] == q),
                        key=lambda c: order.get(c["case_name"], len(order)))
        failed = [c for c in checks if not c["passed"]]
        carried = [c for c in checks if c["carried_forward"]]
        named = next((c for c in failed if c["mistake"]), None)
        if named is not None:
            wrong.setdefault((named["mistake"], named["hint"] or ""), []).append(
                (q, named, failed))
        elif failed and (key := _shared_reason(failed[0]["message"])):
            shared.setdefault(key, []).append(q)
        elif failed:
            wrong.setdefault((f"{q}:", failed[0]["message"]), []).append((q, failed[0], failed))
        elif carried:
            carried_cards.append(f"""
  <div class="issue carried"><div class="issue-head"><code>{_e(q)}</code>
    <strong>{_e(carried[0]['message'])}</strong></div>
    <p>Full marks for this step: it is computed correctly from your own earlier value. Fix that
    value and this one follows.</p></div>""")
    # Named mistakes first: they come with a hint, the most useful thing on the page.
    ranked = sorted(wrong.values(), key=lambda entries: not entries[0][1]["mistake"])
    cards = [_mistake_card(entries) for entries in ranked]
    for (title, reason), names in shared.items():
        which = " ".join(f"<code>{_e(q)}</code>" for q in names)
        more = ("Write the line each TODO asks for." if title == NOT_DONE
                else 'See <a href="#ran">how your program ran</a>.')
        cards.append(f"""
  <div class="issue fail"><div class="issue-head">{which}
    <strong>{_e(title)}</strong></div>
    <p>{_e(reason[:1].upper() + reason[1:])}.</p>
    <p class="muted">{more}</p></div>""")
    cards += carried_cards
    if not cards:
        body = ("<p class='good'>Nothing to fix: every check passed. Nice job!</p>"
                if sub.checks else "<p>No checks were recorded for this submission.</p>")
    else:
        body = "".join(cards)
    return f"""
<section class="card">
  <h2>What to work on</h2>{body}
</section>"""


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


def _mistake_card(entries: list[tuple[str, dict[str, Any], list[dict[str, Any]]]]) -> str:
    """Wrong values for one reason: the mistake's name and hint (or why the value is wrong), then
    per quantity one example case, expected against received, and the other cases it fails in."""
    first = entries[0][1]
    title = first["mistake"] or first["message"]
    hint = f"<p class='hint'>{_e(first['hint'])}</p>" if first["hint"] else ""
    unknown = ("<p class='muted'>No known mistake gives this value: compare your line with what "
               "the TODO asks for.</p>" if not first["mistake"]
               and first["message"].startswith("wrong value") else "")
    names = " ".join(f"<code>{_e(q)}</code>" for q, _, _ in entries)
    rows = []
    for q, shown, failed in entries:
        label = f"<code>{_e(q)}</code> · " if len(entries) > 1 else ""
        others = [c["case_name"] for c in failed if c is not shown]
        also = (f"<tr><th></th><td></td><td class='muted'>also not right in: "
                f"{_e(', '.join(others))}</td></tr>" if others else "")
        rows.append(f"""
      <tr><th>{label}{_e(shown['case_name'])}</th><td>expected</td>
        <td><code>{_e(shown['expected'])}</code></td></tr>
      <tr><th></th><td>received</td><td><code>{_e(shown['received'])}</code></td></tr>{also}""")
    return f"""
  <div class="issue fail"><div class="issue-head">{names}
    <strong>{_e(title)}</strong></div>{hint}
    <table class="pair">{''.join(rows)}</table>{unknown}</div>"""


def _short_note(check: dict[str, Any]) -> str:
    """A few words for one check's row; the full story is in "What to work on"."""
    message = check["message"]
    if check["passed"] and not check["carried_forward"]:
        return ""
    if check["carried_forward"]:
        return "error carried forward"
    if check["mistake"]:
        return f"<strong>{_e(check['mistake'])}</strong>"
    for prefix in ("not run", "not computed"):
        if message.startswith(prefix):
            return f'<a href="#ran">{prefix}</a>'
    return _e(message.split(";")[0])


def _details(sub: Submission, cases: list[str], quantities: list[str]) -> str:
    """Every check, one block per quantity, one row per case; blocks with full marks folded."""
    order = {case: i for i, case in enumerate(cases)}
    blocks = []
    for q in quantities:
        checks = sorted((c for c in sub.checks if c["quantity"] == q),
                        key=lambda c: order.get(c["case_name"], len(order)))
        got, worth = sum(c["score"] for c in checks), sum(c["max_score"] for c in checks)
        rows = []
        for c in checks:
            symbol, css, _ = _mark(c)
            rows.append(f"""
      <tr class="{css}"><td class="c"><span class="chip {css}">{_e(symbol)}</span></td>
        <td class="case">{_case_label(c['case_name'], bool(c['visible']))}</td>
        <td class="val"><code>{_e(c['expected'])}</code></td>
        <td class="val"><code>{_e(c['received'])}</code></td>
        <td class="note" title="{_e(c['message'])}">{_short_note(c)}</td></tr>""")
        perfect = all(c["passed"] for c in checks)
        blocks.append(f"""
  <details class="quantity"{'' if perfect else ' open'}>
    <summary><code>{_e(q)}</code><span class="pts">{_e(_num(got))} / {_e(_num(worth))}
      points</span></summary>
    <table class="checks">
      <thead><tr><th></th><th>case</th><th>expected</th><th>received</th><th>note</th></tr>
      </thead><tbody>{''.join(rows)}</tbody>
    </table>
  </details>""")
    return f"""
<section class="card">
  <h2>Every check</h2>
  <p class="muted">Each quantity is checked on every case; quantities with full marks are folded
  (click to open).</p>{''.join(blocks)}
</section>"""


def _ran(sub: Submission, cases: list[str]) -> str:
    runs = {r["case_name"]: r for r in sub.runs}
    rows = []
    for case in cases:
        run = runs.get(case)
        if run is None:
            rows.append(f"<tr><td class='case'>{_e(case)}</td><td>not run</td><td></td>"
                        "<td class='muted'>skipped: an earlier case showed it would fail the same "
                        "way</td></tr>")
            continue
        css = "ok" if run["status"] == "finished" else "bad"
        words = _STATUS_WORDS.get(run["status"], run["status"])
        rows.append(f"<tr><td class='case'>{_e(case)}</td><td class='{css}'>{_e(words)}</td>"
                    f"<td class='num'>{run['seconds']:.2f} s</td>"
                    f"<td>{_e(run['problem'] or '')}</td></tr>")
    published = next((r for r in sub.runs if r["visible"]), None)
    if published is None:
        output = "<p class='muted'>Your program was not run.</p>"
    elif published["output"]:
        cut = ("<p class='muted'>Only the first 20 kB of the output were kept.</p>"
               if len(published["output"]) >= _OUTPUT_KEPT else "")
        output = (f"<h3>What your program printed on the published example</h3>"
                  f"<pre class='output'>{_e(published['output'])}</pre>{cut}")
    else:
        output = "<p class='muted'>Your program printed nothing on the published example.</p>"
    return f"""
<section class="card" id="ran">
  <h2>How your program ran</h2>
  <table class="runs">
    <thead><tr><th>case</th><th>status</th><th>time</th><th>problem</th></tr></thead>
    <tbody>{''.join(rows)}</tbody>
  </table>
  {output}
</section>"""


def _curve(sub: Submission, reference: list[float]) -> str:
    """The loss-curve section of a training exercise (or why the student's has no curve);
    left out when there is no curve at all, neither the student's nor the reference's."""
    published = next((r for r in sub.runs if r["visible"]), None)
    losses = parse_losses(published["output"]) if published else []
    if not losses and not reference:
        return ""
    notes = []
    if not losses:
        why = ("your program did not run on the published example" if published is None
               else "it stopped before printing any loss" if published["status"] != "finished"
               else "it printed no line like <code>Train loss: 0.26</code>")
        notes.append(f"No loss curve for your program: {why}. Keep the lab's loss prints: they "
                     "let you watch whether training works.")
    else:
        last = losses[-1]
        ref = f" (reference: {reference[-1]:.6g})" if reference else ""
        notes.append(f"Your last printed loss: <strong>{last:.6g}</strong>{ref}.")
        ups = sum(1 for a, b in itertools.pairwise(losses) if b > a)
        if not all(math.isfinite(v) for v in losses):
            notes.append("Your loss became <code>nan</code> or <code>inf</code>: training "
                         "diverged (a sign, a missing average, or a learning rate too large?).")
        elif ups:
            notes.append(f"Your loss went up {ups} time{'s' if ups != 1 else ''}: gradient "
                         "descent should bring it down step by step.")
    if not reference:
        notes.append("The reference curve is not available for this exercise.")
    image = ""
    if losses or reference:
        alt = "training loss of your program and of the reference solution"
        image = f'<img class="plot" alt="{alt}" src="{loss_plot(losses, reference)}">'
    paragraphs = "".join(f"<p>{note}</p>" for note in notes)
    return f"""
<section class="card">
  <h2>Training loss</h2>
  <p class="muted">The loss your program printed while training on the published example, beside
  the reference solution's. Both should fall and level off together.</p>
  {image}{paragraphs}
</section>"""


_CSS = """
:root { --ink:#1d2433; --muted:#5d6778; --line:#e3e7ee; --bg:#f5f6f8; --card:#fff;
  --pass:#157347; --pass-bg:#e4f4ea; --fail:#b42318; --fail-bg:#fdecea; --carried:#8a5a00;
  --carried-bg:#fff4d6; --accent:#2458d3; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); line-height:1.5;
  font:15px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 28px 20px 40px; }
header { margin-bottom: 18px; }
.kicker { color: var(--accent); font-weight: 600; font-size: 13px; letter-spacing: .04em;
  text-transform: uppercase; }
h1 { font-size: 26px; margin: 4px 0 12px; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0; }
.meta div { display: flex; gap: 8px; } .meta dt { color: var(--muted); } .meta dd { margin: 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 22px; margin: 0 0 16px; }
.score { display: flex; align-items: center; gap: 28px; border-left: 6px solid var(--fail); }
.score.full { border-left-color: var(--pass); } .score.part { border-left-color: #d99a00; }
.figure { white-space: nowrap; } .got { font-size: 44px; font-weight: 700; }
.of { font-size: 20px; color: var(--muted); margin-left: 4px; }
.summary { flex: 1; } .summary p { margin: 6px 0 0; }
.bar { height: 10px; background: var(--line); border-radius: 5px; overflow: hidden; }
.bar div { height: 100%; background: var(--fail); }
.full .bar div { background: var(--pass); } .part .bar div { background: #d99a00; }
.verdict { font-size: 17px; font-weight: 600; }
.muted { color: var(--muted); } .good { color: var(--pass); font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
thead th { color: var(--muted); font-weight: 600; font-size: 13px; white-space: nowrap; }
td.c, th.c { text-align: center; width: 1%; } .pts { text-align: right; white-space: nowrap; }
.glance td.c { text-align: center; }
code, pre { font-family: "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 13px; }
code { white-space: pre-wrap; overflow-wrap: break-word; }
td.val { min-width: 150px; }
.chip { display: inline-block; min-width: 28px; padding: 1px 6px; border-radius: 12px;
  text-align: center; font-weight: 700; font-size: 13px; }
.chip.pass { color: var(--pass); background: var(--pass-bg); }
.chip.fail { color: var(--fail); background: var(--fail-bg); }
.chip.carried { color: var(--carried); background: var(--carried-bg); }
.chip.none { color: var(--muted); }
.legend { color: var(--muted); font-size: 13px; margin: 10px 0 0; }
.legend .chip { margin: 0 4px 0 10px; } .legend .chip:first-child { margin-left: 0; }
.issue { border-left: 4px solid var(--fail); background: #fffafa; padding: 10px 14px;
  margin: 0 0 10px; border-radius: 0 8px 8px 0; }
.issue.carried { border-left-color: #d99a00; background: #fffdf5; }
.issue p { margin: 6px 0 0; } .issue-head { display: flex; gap: 10px; align-items: baseline; }
.issue-head code { background: var(--bg); padding: 1px 6px; border-radius: 4px; }
.hint { font-size: 15px; }
table.pair { width: auto; margin-top: 8px; } table.pair th, table.pair td { border: 0;
  padding: 1px 10px 1px 0; } table.pair th { white-space: nowrap; font-weight: 600; }
table.pair td:nth-child(2) { color: var(--muted); }
details.quantity { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 10px; }
details.quantity summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 8px;
  font-weight: 600; background: #fafbfc; border-radius: 8px; list-style: none; }
details.quantity summary::-webkit-details-marker { display: none; }
details.quantity summary::before { content: "▸"; color: var(--muted); width: 12px; }
details[open].quantity summary::before { content: "▾"; }
details.quantity summary .pts { margin-left: auto; }
details[open].quantity summary { border-bottom: 1px solid var(--line); border-radius: 8px 8px 0 0; }
details.quantity table { margin: 0; } details.quantity tr:last-child td { border-bottom: 0; }
.checks td.case { white-space: nowrap; } .checks td.note { color: var(--muted); width: 22%; }
tr.fail td.note strong { color: var(--fail); }
.tag { font-size: 11px; color: var(--accent); border: 1px solid #c9d6f5; border-radius: 8px;
  padding: 0 5px; margin-left: 4px; white-space: nowrap; }
.runs td.ok { color: var(--pass); } .runs td.bad { color: var(--fail); font-weight: 600; }
.runs td { white-space: nowrap; } .runs td:last-child { white-space: normal; }
a { color: var(--accent); }
pre.output { background: #1f2430; color: #e8ecf3; padding: 12px 14px; border-radius: 8px;
  max-height: 340px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
img.plot { width: 100%; max-width: 760px; display: block; margin: 4px auto 6px; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 20px; }
@media print { body { background: #fff; } .card { break-inside: avoid; } }
"""


def render(sub: Submission, exercise: exercises.Exercise | None,
           reference: list[float] | None = None) -> str:
    """One submission's page as a complete HTML document.

    `exercise` (None when it is no longer installed) gives the title, the quantities' order and
    whether to plot a loss curve; `reference` is the reference solution's loss curve for a
    training exercise.
    """
    cases = _cases(sub)
    quantities = _quantities(sub, exercise)
    sections = [_header(sub, exercise), _score(sub, cases), _work_on(sub, cases, quantities)]
    if exercise is not None and exercise.training:
        sections.append(_curve(sub, reference or []))
    sections += [_glance(sub, cases, quantities), _details(sub, cases, quantities),
                 _ran(sub, cases)]
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = f"{sub.row.exercise} · {sub.row.student} · gdlab feedback"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>{''.join(sections)}
<footer>Made by gdlab {_e(__version__)} on {made} from submission {sub.row.id}.</footer>
</main>
</body>
</html>
"""


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


class _References:
    """The reference loss curve of each training exercise, run once per `write_pages` call."""

    def __init__(self, sandbox: Sandbox | None) -> None:
        self._sandbox = sandbox
        self._own: Sandbox | None = None
        self._curves: dict[str, list[float]] = {}

    def curve(self, exercise: exercises.Exercise) -> list[float]:
        if exercise.id not in self._curves:
            if self._sandbox is None:
                from autograder.sandbox import Sandbox

                self._own = self._sandbox = Sandbox()
            self._curves[exercise.id] = reference_losses(exercise, self._sandbox)
        return self._curves[exercise.id]

    def close(self) -> None:
        if self._own is not None:
            self._own.close()


def write_pages(book: Gradebook, out: Path, student: str | None = None, *,
                load_exercise: Callable[[str], exercises.Exercise] = exercises.get,
                sandbox: Sandbox | None = None) -> list[Path]:
    """Write one page per student and exercise (the best graded submission); return the paths.

    `student` limits the pages to one student. `load_exercise` finds an exercise by id (tests
    give their own); an exercise no longer installed still gets a page, without title or curve.
    `sandbox` runs the references of training exercises (one is started when needed and none
    is given).
    """
    found: dict[str, exercises.Exercise | None] = {}
    references = _References(sandbox)
    written = []
    try:
        for sub in best_submissions(book, student):
            exercise_id = sub.row.exercise
            if exercise_id not in found:
                try:
                    found[exercise_id] = load_exercise(exercise_id)
                except UserError as error:
                    log.warning("feedback for %s without its exercise: %s", exercise_id, error)
                    found[exercise_id] = None
            exercise = found[exercise_id]
            reference = references.curve(exercise) if exercise and exercise.training else None
            target = page_path(out, sub.row.student, exercise_id)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(sub, exercise, reference), encoding="utf-8")
            written.append(target)
    finally:
        references.close()
    return written


__all__ = ["Submission", "best_submissions", "loss_plot", "page_path", "parse_losses",
           "reference_losses", "render", "write_pages"]
