"""Report a grade to a person (text) or a program (JSON). Nothing here decides a score."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from autograder.grading import Check, Grade

PASS, FAIL, CARRIED = "✓", "✗", "✓*"
_WIDTH = 44


def _cut(text: str, width: int = _WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _mark(check: Check) -> str:
    if check.carried_forward:
        return CARRIED
    return PASS if check.passed else FAIL


def _note(check: Check) -> str:
    if check.passed:
        return "" if check.message == "correct" else check.message
    if check.mistake:
        return f"{check.mistake}: {check.hint}"
    return check.message


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def _run_problems(grade: Grade, visible_only: bool) -> list[str]:
    """How the program ran, one line per distinct problem with the cases it happened in."""
    cases: dict[str, list[str]] = {}
    for run in grade.runs:
        if run.problem and (run.visible or not visible_only):
            cases.setdefault(run.problem, []).append(run.case)
        if run.output_truncated and run.visible:
            cases.setdefault("output truncated (only the first part is shown)", []).append(run.case)
    return [f"  {', '.join(names)}: {problem}" for problem, names in cases.items()]


def test_run_text(grade: Grade, hidden_cases: int, data_label: str | None = None) -> str:
    """TEST RUN: the program's own output, then the visible checks as a short table."""
    visible = [c for c in grade.checks if c.visible]
    run = next((r for r in grade.runs if r.visible), None)
    out = [f"TEST RUN  {grade.exercise}  ({grade.file})"]
    if data_label:
        out.append(data_label)
    out += ["", "--- your program's output ---"]
    out.append(run.output.rstrip("\n") if run and run.output else "(no output)")
    problems = _run_problems(grade, visible_only=True)
    if problems:
        out += ["", "--- how it ran ---", *problems]
    out += _notes(grade)
    out += ["", "--- visible checks (the published given values) ---"]
    rows = [["", "quantity", "expected", "received"]]
    rows += [[_mark(c), c.quantity, _cut(c.expected), _cut(c.received)] for c in visible]
    out += _table(rows)
    notes = [(c.quantity, _note(c)) for c in visible if _note(c)]
    if notes:
        out += ["", *[f"  {q}: {note}" for q, note in notes]]
    passed = sum(c.passed for c in visible)
    out += ["", f"{passed} of {len(visible)} visible checks pass. "
                f"SUBMIT also runs {hidden_cases} hidden cases with other given values."]
    return "\n".join(out)


def submit_text(grade: Grade, submission_id: int | None = None) -> str:
    """SUBMIT: a mark per quantity and case, then feedback that names mistakes, then the score."""
    cases = list(dict.fromkeys(c.case for c in grade.checks))
    quantities = list(dict.fromkeys(c.quantity for c in grade.checks))
    by = {(c.quantity, c.case): c for c in grade.checks}
    header = f"SUBMIT  {grade.exercise}  ({grade.file})"
    if grade.student:
        header += f"  student {grade.student}"
    out = [header, f"{len(cases)} cases: the published one and {len(cases) - 1} hidden ones "
                   f"(seed {grade.seed})", ""]
    rows = [["quantity", *cases, "points"]]
    for q in quantities:
        checks = [by[(q, case)] for case in cases]
        got, worth = sum(c.score for c in checks), sum(c.max_score for c in checks)
        rows.append([q, *[_mark(c) for c in checks], f"{got:g}/{worth:g}"])
    out += _table(rows)
    problems = _run_problems(grade, visible_only=False)
    if problems:
        out += ["", "How your program ran:", *problems]
    out += _notes(grade)
    feedback = _feedback(grade, cases, quantities, by)
    if feedback:
        out += ["", "Feedback:", *feedback]
    out += ["", f"Score: {grade.score:g}/{grade.max_score:g}"]
    if submission_id is not None:
        out.append(f"Recorded as submission {submission_id}.")
    out.append(grade.verdict)
    return "\n".join(out)


def _feedback(grade: Grade, cases: list[str], quantities: list[str],
              by: dict[tuple[str, str], Check]) -> list[str]:
    """One paragraph per quantity that needs attention, detailed on its first failing case."""
    lines = []
    for q in quantities:
        checks = [by[(q, case)] for case in cases]
        failed = [c for c in checks if not c.passed]
        carried = [c for c in checks if c.carried_forward]
        if failed and all(c.message.startswith("not run:") for c in failed) and grade.runs:
            lines.append(f"  ✗ {q}: no value to check (see how your program ran)")
        elif failed:
            first = failed[0]
            named = next((c for c in failed if c.mistake), None)
            lines.append(f"  ✗ {q}: {named.mistake if named else first.message}")
            if named:
                lines += textwrap.wrap(named.hint, 96, initial_indent=" " * 6,
                                       subsequent_indent=" " * 6)
            lines.append(f"      {first.case}: expected {_cut(first.expected, 60)}, "
                         f"received {_cut(first.received, 60)}")
            if named is None and first.message == "wrong value":
                lines.append("      (no known mistake matches this value)")
            others = [c.case for c in failed[1:]]
            if others:
                lines.append(f"      also wrong in: {', '.join(others)}")
        elif carried:
            lines.append(f"  {CARRIED} {q}: {carried[0].message}; full marks for this step")
        elif any(c.message != "correct" for c in checks):
            noted = next(c.message for c in checks if c.message != "correct")
            lines.append(f"  {PASS} {q}: {noted}")
    return lines


def _notes(grade: Grade) -> list[str]:
    """What the student should know although it costs nothing (a changed given value)."""
    if not grade.notes:
        return []
    return ["", "Note:", *[line for note in grade.notes
                           for line in textwrap.wrap(note, 96, initial_indent="  ",
                                                     subsequent_indent="    ")]]


def to_json(grade: Grade, submission_id: int | None) -> str:
    data: dict[str, Any] = {**grade.to_dict(), "submission_id": submission_id}
    return json.dumps(data, indent=2, ensure_ascii=False)
