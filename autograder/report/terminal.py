"""Report a grade to a person (text) or a program (JSON). Nothing here decides a score."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from autograder.judge.checks import Check, Grade, Reason
from autograder.report.sanitize import for_terminal, in_json, one_line

PASS, FAIL, CARRIED = "✓", "✗", "✓*"
#: A value column's width: longer values wrap onto more lines rather than being cut.
_COLUMN = 44
#: Past this many characters a value is cut (values.py already shows at most 12 numbers).
_LONGEST = 600
#: Paragraphs (notes, hints) wrap at this width.
_WIDTH = 96


def _wrap(text: str, width: int = _COLUMN) -> list[str]:
    """`text` on as many lines of `width` as it needs, never cut below `_LONGEST` characters."""
    if len(text) > _LONGEST:
        text = text[: _LONGEST - 1] + "…"
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def _paragraph(text: str, indent: int, more: int = 2) -> list[str]:
    """A note or hint wrapped at `_WIDTH`, its later lines indented `more` further."""
    return textwrap.wrap(
        text,
        _WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + more),
        break_on_hyphens=False,
    )


def _mark(check: Check) -> str:
    if check.carried_forward:
        return CARRIED
    return PASS if check.passed else FAIL


def _note(check: Check) -> str:
    if check.passed:
        return check.message if check.noted else ""
    if check.mistake:
        return f"{check.mistake}: {check.hint}"
    return check.message


def _table(rows: list[list[str]], wrapped: tuple[int, ...] = ()) -> list[str]:
    """Rows as aligned columns; the `wrapped` columns' cells wrap onto more lines."""
    cells = [
        [_wrap(cell) if i in wrapped else [cell] for i, cell in enumerate(row)] for row in rows
    ]
    widths = [max(len(line) for row in cells for line in row[i]) for i in range(len(rows[0]))]
    out = []
    for row in cells:
        for k in range(max(len(cell) for cell in row)):
            parts = [
                (cell[k] if k < len(cell) else "").ljust(width)
                for cell, width in zip(row, widths, strict=True)
            ]
            out.append(("  " + "  ".join(parts)).rstrip())
    return out


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
    """TEST RUN: the program's own output, then the visible checks as a short table.

    Everything the student controls (output, messages, names) reaches the terminal escaped."""
    visible = [c for c in grade.checks if c.visible]
    run = next((r for r in grade.runs if r.visible), None)
    out = [f"TEST RUN  {grade.exercise}  ({one_line(grade.file)})"]
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
    rows += [[_mark(c), c.quantity, c.expected, c.received] for c in visible]
    out += _table(rows, wrapped=(2, 3))
    notes = [(c.quantity, _note(c)) for c in visible if _note(c)]
    if notes:
        out.append("")
        for quantity, note in notes:
            out += _paragraph(f"{quantity}: {note}", indent=2, more=4)
    passed = sum(c.passed for c in visible)
    out += [
        "",
        f"{passed} of {len(visible)} visible checks pass. "
        f"SUBMIT also runs {hidden_cases} hidden cases with other given values.",
    ]
    return for_terminal("\n".join(out))


def submit_text(grade: Grade, submission_id: int | None = None) -> str:
    """SUBMIT: a mark per quantity and case, then feedback that names mistakes, then the score."""
    cases = list(dict.fromkeys(c.case for c in grade.checks))
    quantities = list(dict.fromkeys(c.quantity for c in grade.checks))
    by = {(c.quantity, c.case): c for c in grade.checks}
    header = f"SUBMIT  {grade.exercise}  ({one_line(grade.file)})"
    if grade.student:
        header += f"  student {one_line(grade.student)}"
    out = [
        header,
        f"{len(cases)} cases: the published one and {len(cases) - 1} hidden ones "
        f"(seed {grade.seed})",
        "",
    ]
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
    return for_terminal("\n".join(out))


def _feedback(
    grade: Grade, cases: list[str], quantities: list[str], by: dict[tuple[str, str], Check]
) -> list[str]:
    """One paragraph per quantity that needs attention, detailed on its first failing case."""
    lines = []
    for q in quantities:
        checks = [by[(q, case)] for case in cases]
        failed = [c for c in checks if not c.passed]
        carried = [c for c in checks if c.carried_forward]
        if failed and all(c.reason is Reason.NOT_RUN for c in failed) and grade.runs:
            lines.append(f"  ✗ {q}: no value to check (see how your program ran)")
        elif failed:
            first = failed[0]
            named = next((c for c in failed if c.mistake), None)
            lines.append(f"  ✗ {q}: {named.mistake if named else first.message}")
            if named:
                lines += _paragraph(named.hint or "", indent=6, more=0)
            lines += _paragraph(
                f"{first.case}: expected {first.expected}, received {first.received}", indent=6
            )
            if named is None and first.reason is Reason.WRONG_VALUE:
                lines.append("      (no known mistake matches this value)")
            others = [c.case for c in failed[1:]]
            if others:
                lines.append(f"      also wrong in: {', '.join(others)}")
        elif carried:
            lines.append(f"  {CARRIED} {q}: {carried[0].message}; full marks for this step")
        elif any(c.noted for c in checks):
            noted = next(c.message for c in checks if c.noted)
            lines.append(f"  {PASS} {q}: {noted}")
    return lines


def _notes(grade: Grade) -> list[str]:
    """What the student should know although it costs nothing (a changed given value)."""
    if not grade.notes:
        return []
    return [
        "",
        "Note:",
        *[
            line
            for note in grade.notes
            for line in textwrap.wrap(note, 96, initial_indent="  ", subsequent_indent="    ")
        ],
    ]


def to_json(grade: Grade, submission_id: int | None) -> str:
    data: dict[str, Any] = {**grade.to_dict(), "submission_id": submission_id}
    return in_json(json.dumps(data, indent=2, ensure_ascii=False))
