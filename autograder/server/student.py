"""The student's pages: sign-in, the exercises with best scores, a quiz page, an attempt, a lab."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from autograder.server import course, history
from autograder.server.auth import csrf_token, current, require, sign_in


def _page(request: Request, name: str, status_code: int = 200, **context: object) -> Response:
    context.setdefault("user", current(request))
    context["csrf"] = csrf_token(request)
    context["practice"] = request.app.state.config.practice
    return request.app.state.templates.TemplateResponse(
        request, name, context, status_code=status_code
    )


async def home(request: Request) -> Response:
    user = current(request)
    if user is None:
        return _page(request, "signin.html")
    if user.instructor:
        return RedirectResponse("/instructor", status_code=303)
    rows = await run_in_threadpool(history.overview, request.app.state.store, user.name)
    return _page(request, "home.html", exercises=rows)


async def signin(request: Request) -> Response:
    token = request.path_params["token"]
    found = await run_in_threadpool(request.app.state.store.person, token)
    if found is None:
        raise HTTPException(403, "this sign-in link is not valid (ask for a new one)")
    sign_in(request, found[0], token)
    return RedirectResponse("/", status_code=303)


async def signout(request: Request) -> Response:
    await require(request)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def _exercise(request: Request) -> str:
    exercise_id = request.path_params["exercise"]
    if not course.known(exercise_id):
        raise HTTPException(404, f"no exercise {exercise_id!r}")
    return exercise_id


async def quiz(request: Request) -> Response:
    user = await require(request)
    exercise_id = _exercise(request)
    data = await run_in_threadpool(
        history.quiz_data, request.app.state.config, request.app.state.store, user.name, exercise_id
    )
    return _page(request, "quiz.html", data=data)


async def lab(request: Request) -> Response:
    await require(request)
    exercise_id = _exercise(request)
    path = course.notebook(request.app.state.config.release, exercise_id)
    return FileResponse(path, filename=path.name, media_type="application/x-ipynb+json")


async def attempt(request: Request) -> Response:
    user = await require(request)
    store = request.app.state.store
    submission_id = request.path_params["submission"]
    owner = await run_in_threadpool(store.submission_owner, submission_id)
    if owner is None:
        raise HTTPException(404, "no such submission")
    if owner[0] != user.name and not user.instructor:
        raise HTTPException(403, "this is another student's work")
    found = await run_in_threadpool(history.attempt, store, submission_id)
    return _page(request, "attempt.html", attempt=found)


routes = [
    Route("/", home),
    Route("/signin/{token}", signin),
    Route("/signout", signout, methods=["POST"]),
    Route("/exercise/{exercise}", quiz),
    Route("/exercise/{exercise}/lab", lab),
    Route("/submission/{submission:int}", attempt),
]
