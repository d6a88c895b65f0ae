"""What a student's pages read: their exercises with best scores, a quiz page's data, attempts.

A SUBMIT's public feedback is the result of its latest grading job (the queue keeps it), so
nothing here turns a stored full grade back into what a student may see.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from autograder.record.schema import submissions
from autograder.server import course
from autograder.server.config import ServerConfig
from autograder.server.schema import jobs
from autograder.server.store import Store


def _attempts(
    store: Store, student: str, exercise_id: str | None = None, submission_id: int | None = None
) -> list[dict[str, Any]]:
    """The student's SUBMITs, newest first, each with its latest public result."""
    query = (
        sa.select(
            submissions.c.id,
            submissions.c.exercise,
            submissions.c.submitted_at,
            submissions.c.status,
            submissions.c.score,
            submissions.c.max_score,
            submissions.c.verdict,
            submissions.c.filename,
        )
        .where(submissions.c.student == student)
        .order_by(submissions.c.id.desc())
    )
    if exercise_id:
        query = query.where(submissions.c.exercise == exercise_id)
    if submission_id is not None:
        query = query.where(submissions.c.id == submission_id)
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
        ids = [r.id for r in rows]
        results: dict[int, Any] = {}
        if ids:
            for j in conn.execute(
                sa.select(jobs.c.submission_id, jobs.c.result)
                .where(jobs.c.submission_id.in_(ids), jobs.c.state == "done")
                .order_by(jobs.c.id)
            ):
                results[j.submission_id] = json.loads(j.result)
    return [
        {
            "submission": r.id,
            "exercise": r.exercise,
            "submitted_at": r.submitted_at,
            "status": r.status,
            "score": r.score,
            "max_score": r.max_score,
            "verdict": r.verdict,
            "file": r.filename,
            "result": results.get(r.id),
        }
        for r in rows
    ]


def overview(store: Store, student: str) -> list[dict[str, Any]]:
    """Each exercise with the student's best score and number of SUBMITs."""
    mine = _attempts(store, student)
    out = []
    for exercise_id in course.ids():
        tries = [a for a in mine if a["exercise"] == exercise_id]
        scores = [a["score"] for a in tries if a["score"] is not None]
        out.append(
            {
                "id": exercise_id,
                "title": course.get(exercise_id).title,
                "best": max(scores) if scores else None,
                "max_score": course.get(exercise_id).max_score,
                "attempts": len(tries),
            }
        )
    return out


def quiz_data(config: ServerConfig, store: Store, student: str, exercise_id: str) -> dict[str, Any]:
    statement = course.statement(exercise_id)
    script, stub = course.stub(config.release, exercise_id)
    draft = store.draft(student, exercise_id)
    attempts = _attempts(store, student, exercise_id)
    solved = any(a["result"] and a["result"].get("full_marks") for a in attempts)
    available = course.ids()
    index = available.index(exercise_id)
    return {
        "exercise": exercise_id,
        "title": statement.title,
        "script": script,
        "quantities": [{"name": n, "points": p} for n, p in statement.quantities],
        "hidden_cases": statement.hidden_cases,
        "stub": stub,
        "files": [
            {"name": n, "text": t} for n, t in course.given_files(config.release, exercise_id)
        ],
        "draft": {"code": draft[0], "saved_at": draft[1]} if draft else None,
        "attempts": attempts,
        "solution": course.solution(exercise_id) if solved and config.show_solution else None,
        "next": available[index + 1] if index + 1 < len(available) else None,
        "submit_limit": config.submit_limit,
        "notebook": course.get(exercise_id).notebook,
    }


def attempt(store: Store, submission_id: int) -> dict[str, Any]:
    owner = store.submission_owner(submission_id)
    assert owner is not None
    found = _attempts(store, owner[0], submission_id=submission_id)
    return found[0]
