"""The instructor's pages: class table, a student's work, an exercise's mistakes, due dates,
overrides, regrades, the roster and the CSV export. Every route needs the instructor role."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from autograder.report import feedback
from autograder.server import classview, course
from autograder.server.auth import require
from autograder.server.store import Store
from autograder.server.student import _page


def _exercise(request: Request) -> str:
    exercise_id = request.path_params["exercise"]
    if not course.known(exercise_id):
        raise HTTPException(404, f"no exercise {exercise_id!r}")
    return exercise_id


async def class_table(request: Request) -> Response:
    await require(request, "instructor")
    students, ids, cells = await run_in_threadpool(classview.table, request.app.state.store)
    return _page(
        request,
        "instructor/class.html",
        students=students,
        exercises=ids,
        cells=cells,
        due=request.app.state.store.due(),
    )


async def class_json(request: Request) -> JSONResponse:
    await require(request, "instructor")
    students, ids, cells = await run_in_threadpool(classview.table, request.app.state.store)
    return JSONResponse(
        {
            "students": students,
            "exercises": ids,
            "cells": [
                {
                    "student": s,
                    "exercise": e,
                    "best": c.best,
                    "max_score": c.max_score,
                    "attempts": c.attempts,
                    "last_activity": c.last,
                }
                for (s, e), c in cells.items()
            ],
        }
    )


async def student_page(request: Request) -> Response:
    await require(request, "instructor")
    store = request.app.state.store
    name = request.path_params["student"]
    rows = await run_in_threadpool(store.book.rows, None, name)
    versions = await run_in_threadpool(store.versions, [r.id for r in rows])
    return _page(
        request, "instructor/student.html", student=name, rows=rows[::-1], versions=versions
    )


async def submission_page(request: Request) -> Response:
    """Everything about one submission, hidden cases included (instructors only): the student's
    feedback page, then the file."""
    await require(request, "instructor")
    store = request.app.state.store
    submission_id = request.path_params["submission"]
    found = await run_in_threadpool(_feedback_context, store, submission_id)
    if found is None:
        raise HTTPException(404, "no such submission")
    code = (await run_in_threadpool(store.book.content_of, submission_id)).decode(
        "utf-8", "replace"
    )
    versions = await run_in_threadpool(store.versions, [submission_id])
    return _page(
        request,
        "instructor/submission.html",
        **found,
        code=code,
        version=versions.get(submission_id),
    )


def _feedback_context(store: Store, submission_id: int) -> dict[str, Any] | None:
    rows = [r for r in store.book.rows() if r.id == submission_id]
    if not rows:
        return None
    row = rows[0]
    attempts = sum(r.status == "graded" for r in store.book.rows(row.exercise, row.student))
    sub = feedback.Submission(
        row, row.verdict, store.book.checks_of(row.id), store.book.runs_of(row.id), max(attempts, 1)
    )
    exercise = course.get(row.exercise) if course.known(row.exercise) else None
    found = feedback.context(sub, exercise)
    found["curve"] = (
        None  # the loss curve is on the handed-out page; the web process trains nothing
    )
    return found


async def exercise_page(request: Request) -> Response:
    await require(request, "instructor")
    exercise_id = _exercise(request)
    store = request.app.state.store
    counts = await run_in_threadpool(classview.mistakes, store, exercise_id)
    return _page(
        request,
        "instructor/exercise.html",
        exercise=exercise_id,
        title=course.get(exercise_id).title,
        counts=counts,
        due=store.due().get(exercise_id, ""),
        version=course.version(exercise_id),
    )


async def set_due(request: Request) -> Response:
    await require(request, "instructor")
    exercise_id = _exercise(request)
    due = str((await request.form()).get("due_at") or "").strip()
    if due and len(due) == 16:  # a browser's datetime-local: YYYY-MM-DDTHH:MM, taken as UTC
        due += ":00+00:00"
    await run_in_threadpool(request.app.state.store.set_due, exercise_id, due or None)
    return RedirectResponse(f"/instructor/exercise/{exercise_id}", status_code=303)


async def regrade(request: Request) -> Response:
    await require(request, "instructor")
    exercise_id = _exercise(request)
    count = await run_in_threadpool(request.app.state.store.enqueue_regrade, exercise_id)
    return _page(
        request,
        "instructor/done.html",
        message=f"{count} submissions of {exercise_id} queued for regrading.",
        back=f"/instructor/exercise/{exercise_id}",
    )


async def override(request: Request) -> Response:
    user = await require(request, "instructor")
    form = await request.form()
    student, exercise_id = str(form.get("student", "")), str(form.get("exercise", ""))
    if not course.known(exercise_id):
        raise HTTPException(404, f"no exercise {exercise_id!r}")
    try:
        score = float(str(form.get("score", "")))
    except ValueError:
        raise HTTPException(400, "the score must be a number") from None
    comment = str(form.get("comment", "")).strip()
    if not comment:
        raise HTTPException(400, "an override needs a comment saying why")
    await run_in_threadpool(
        request.app.state.store.add_override, student, exercise_id, score, comment, user.name
    )
    return RedirectResponse(f"/instructor/student/{quote(student, safe='')}", status_code=303)


async def roster(request: Request) -> Response:
    await require(request, "instructor")
    people = await run_in_threadpool(request.app.state.store.roster)
    return _page(request, "instructor/roster.html", people=people)


async def export_csv(request: Request) -> Response:
    await require(request, "instructor")
    before_due = request.query_params.get("before_due") == "1"
    text = await run_in_threadpool(classview.to_csv, request.app.state.store, before_due)
    return Response(
        text,
        media_type="text/csv",
        headers={"content-disposition": 'attachment; filename="grades.csv"'},
    )


routes = [
    Route("/instructor", class_table),
    Route("/api/class", class_json),
    Route("/instructor/student/{student}", student_page),
    Route("/instructor/submission/{submission:int}", submission_page),
    Route("/instructor/exercise/{exercise}", exercise_page),
    Route("/instructor/exercise/{exercise}/due", set_due, methods=["POST"]),
    Route("/instructor/exercise/{exercise}/regrade", regrade, methods=["POST"]),
    Route("/instructor/override", override, methods=["POST"]),
    Route("/instructor/roster", roster),
    Route("/instructor/export.csv", export_csv),
]
