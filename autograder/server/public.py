"""A grade as a student may see it: references never leave the server.

The visible (published) case is shown in full, as TEST RUN shows it. For a hidden case a student
learns which quantity was right or wrong and the named mistake, never the case's given values,
the expected or received values, the program's output on it, or the seed that drew it.
"""

from __future__ import annotations

from typing import Any

from autograder.judge.checks import FULL_MARKS, Grade
from autograder.report.wording import RUN_WORDS
from autograder.run.outcome import Outcome


def public(grade: Grade, kind: str) -> dict[str, Any]:
    """The JSON a page, `gdlab submit --server` or a lab cell receives."""
    checks = []
    for c in grade.checks:
        shown: dict[str, Any] = {
            "quantity": c.quantity,
            "case": c.case,
            "visible": c.visible,
            "passed": c.passed,
            "carried_forward": c.carried_forward,
            "score": round(c.score, 4),
            "max_score": round(c.max_score, 4),
            "mistake": c.mistake,
            "hint": c.hint,
        }
        if c.visible:
            shown.update(expected=c.expected, received=c.received, message=c.message)
        checks.append(shown)
    runs = []
    for r in grade.runs:
        if r.visible:
            runs.append(
                {
                    "case": r.case,
                    "visible": True,
                    "status": r.status,
                    "output": r.output,
                    "output_truncated": r.output_truncated,
                    "problem": r.problem,
                }
            )
        else:
            runs.append(
                {
                    "case": r.case,
                    "visible": False,
                    "status": r.status,
                    "problem": None
                    if r.status is Outcome.FINISHED
                    else f"on this hidden case your program {RUN_WORDS[r.status]}",
                }
            )
    visible = [c for c in grade.checks if c.visible]
    full = (
        grade.full_marks if kind == "submit" else bool(visible) and all(c.passed for c in visible)
    )
    return {
        "kind": kind,
        "exercise": grade.exercise,
        "file": grade.file,
        "score": grade.score if kind == "submit" else None,
        "max_score": grade.max_score if kind == "submit" else None,
        "full_marks": full,
        "verdict": (FULL_MARKS if full else grade.verdict) if kind == "submit" else None,
        "mistakes": grade.mistakes,
        "checks": checks,
        "runs": runs,
    }


def unreadable(kind: str, exercise: str, filename: str, reason: str) -> dict[str, Any]:
    """A file that could not be read at all (not UTF-8, not a notebook)."""
    return {
        "kind": kind,
        "exercise": exercise,
        "file": filename,
        "score": 0.0,
        "max_score": None,
        "full_marks": False,
        "verdict": reason,
        "mistakes": [],
        "checks": [],
        "runs": [],
        "error": reason,
    }
