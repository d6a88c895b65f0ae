"""The JSON API: what the quiz page, `gdlab submit --server` and the lab's check cells use.

Every answer is built from `public` views: no reference code, no hidden values, no seed.
A student reaches only their own drafts, jobs and submissions (403 otherwise).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from autograder.errors import UserError
from autograder.judge.grading import new_seed
from autograder.load import submission
from autograder.server import course, history
from autograder.server.auth import User, require
from autograder.server.queue import Busy
from autograder.server.store import JobView, RateLimited, Store

MAX_CODE = submission.MAX_BYTES


def _store(request: Request) -> Store:
    return request.app.state.store


def _exercise(request: Request) -> str:
    exercise_id = request.path_params["exercise"]
    if not course.known(exercise_id):
        raise HTTPException(404, f"no exercise {exercise_id!r}")
    return exercise_id


async def _code(request: Request, default_name: str) -> tuple[str, bytes]:
    """(file name, bytes) from JSON ``{"code": …, "filename": …}`` or an uploaded ``file``."""
    kind = request.headers.get("content-type", "")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > 3 * MAX_CODE:
        raise HTTPException(413, "the file is larger than a submission may be")
    if kind.startswith("multipart/form-data"):
        form = await request.form(max_part_size=MAX_CODE)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(400, "no file uploaded")
        content = await upload.read(MAX_CODE + 1)
        name = Path(upload.filename or default_name).name
    else:
        body = b""
        async for chunk in request.stream():  # never more than a submission may be, in memory
            body += chunk
            if len(body) > 2 * MAX_CODE:
                raise HTTPException(413, "the file is larger than a submission may be")
        try:
            data = json.loads(body)
            content = str(data["code"]).encode()
            name = Path(str(data.get("filename") or default_name)).name
        except (ValueError, KeyError, TypeError):
            raise HTTPException(400, 'send JSON {"code": "..."} or a file') from None
    if len(content) > MAX_CODE:
        raise HTTPException(413, "the file is larger than a submission may be")
    if Path(name).suffix not in (".py", ".ipynb"):
        raise HTTPException(400, "send a .py or .ipynb file")
    return name, content


def job_json(job: JobView) -> dict[str, Any]:
    return {
        "job": job.id,
        "kind": job.kind,
        "state": job.state,
        "position": job.position,
        "submission": job.submission_id,
        "result": job.result,
    }


async def _wait(request: Request, job_id: int, fresh: bool = False) -> JobView:
    """The job, after waiting up to ``?wait=SECONDS`` for its result (`fresh`: just queued)."""
    store = _store(request)
    try:
        wait = min(float(request.query_params.get("wait", 0)), request.app.state.config.max_wait)
    except ValueError:
        wait = 0.0
    if not (fresh and wait > 0):  # a job queued a moment ago is not done: no need to look
        job = await run_in_threadpool(store.job, job_id)
        if job is None:
            raise HTTPException(404, "no such job")
        if job.state == "done" or wait <= 0:
            return job
    job = await request.app.state.waiter.wait(job_id, wait)
    if job is None:  # not done in time: where it stands now
        job = await run_in_threadpool(store.job, job_id)
    if job is None:
        raise HTTPException(404, "no such job")
    return job


async def run(request: Request) -> JSONResponse:
    user = await require(request)
    exercise_id = _exercise(request)
    name, content = await _code(request, course.get(exercise_id).script)
    try:
        job_id = await run_in_threadpool(
            _store(request).enqueue_run, user.name, exercise_id, name, content
        )
    except Busy as busy:
        return JSONResponse(
            {"error": str(busy), "retry_after": 1}, status_code=429, headers={"Retry-After": "1"}
        )
    return JSONResponse(job_json(await _wait(request, job_id, fresh=True)), status_code=202)


async def submit(request: Request) -> JSONResponse:
    user = await require(request)
    exercise_id = _exercise(request)
    name, content = await _code(request, course.get(exercise_id).script)
    try:
        program = submission.from_content(Path(name), content)
    except UserError as error:
        raise HTTPException(400, str(error)) from None
    limit = request.app.state.config.submit_limit
    try:
        job_id, _ = await run_in_threadpool(
            _store(request).enqueue_submit, user.name, exercise_id, program, new_seed(), limit
        )
    except RateLimited as limited:
        return JSONResponse(
            {"error": str(limited), "retry_after": limited.retry_after},
            status_code=429,
            headers={"Retry-After": str(limited.retry_after)},
        )
    return JSONResponse(job_json(await _wait(request, job_id, fresh=True)), status_code=202)


async def job(request: Request) -> JSONResponse:
    user = await require(request)
    found = await run_in_threadpool(_store(request).job, int(request.path_params["job"]))
    if found is None:
        raise HTTPException(404, "no such job")
    _own(user, found.student)
    return JSONResponse(job_json(await _wait(request, found.id)))


def _own(user: User, owner: str) -> None:
    if owner != user.name and not user.instructor:
        raise HTTPException(403, "this is another student's work")


async def save_draft(request: Request) -> JSONResponse:
    user = await require(request)
    exercise_id = _exercise(request)
    _, content = await _code(request, "draft.py")
    await run_in_threadpool(
        _store(request).save_draft, user.name, exercise_id, content.decode("utf-8", "replace")
    )
    return JSONResponse({"saved": True})


async def reset(request: Request) -> JSONResponse:
    """RESET QUIZ: the draft goes back to the stub; past submissions stay."""
    user = await require(request)
    exercise_id = _exercise(request)
    _, text = course.stub(request.app.state.config.release, exercise_id)
    await run_in_threadpool(_store(request).save_draft, user.name, exercise_id, text)
    return JSONResponse({"code": text})


async def exercise(request: Request) -> JSONResponse:
    user = await require(request)
    return JSONResponse(
        await run_in_threadpool(
            history.quiz_data,
            request.app.state.config,
            _store(request),
            user.name,
            _exercise(request),
        )
    )


async def exercises_list(request: Request) -> JSONResponse:
    user = await require(request)
    return JSONResponse(await run_in_threadpool(history.overview, _store(request), user.name))


async def submission_view(request: Request) -> JSONResponse:
    user = await require(request)
    submission_id = int(request.path_params["submission"])
    owner = await run_in_threadpool(_store(request).submission_owner, submission_id)
    if owner is None:
        raise HTTPException(404, "no such submission")
    _own(user, owner[0])
    return JSONResponse(await run_in_threadpool(history.attempt, _store(request), submission_id))


async def me(request: Request) -> JSONResponse:
    user = await require(request)
    return JSONResponse({"name": user.name, "role": user.role})


routes = [
    Route("/api/me", me),
    Route("/api/exercises", exercises_list),
    Route("/api/exercises/{exercise}", exercise),
    Route("/api/exercises/{exercise}/run", run, methods=["POST"]),
    Route("/api/exercises/{exercise}/submit", submit, methods=["POST"]),
    Route("/api/exercises/{exercise}/draft", save_draft, methods=["POST", "PUT"]),
    Route("/api/exercises/{exercise}/reset", reset, methods=["POST"]),
    Route("/api/jobs/{job:int}", job),
    Route("/api/submissions/{submission:int}", submission_view),
]
