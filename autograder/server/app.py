"""The course server's web application (Starlette): pages, the JSON API, static files.

The app process keeps no state of its own: sessions are signed cookies, everything else is in
the gradebook, and grading happens in worker processes (`worker.py`). So several app processes
can serve one course behind a load balancer over one PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autograder.record.gradebook import Gradebook
from autograder.server import api, instructor, student
from autograder.server.config import ServerConfig
from autograder.server.store import Store
from autograder.server.templating import environment
from autograder.server.waiter import Waiter

HERE = Path(__file__).parent
templates = Jinja2Templates(env=environment())

#: Scripts only from this server (the page's data is JSON, never inline script); CodeMirror
#: injects its own style elements.
_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; "
        b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # a sign-in link's token never leaves in a Referer
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the headers above to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + _HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return student._page(
        request, "error.html", exc.status_code, status=exc.status_code, detail=exc.detail
    )


def create_app(config: ServerConfig, book: Gradebook | None = None) -> Starlette:
    book = book or Gradebook(config.db)
    store = Store(book)
    app = Starlette(
        routes=[
            *student.routes,
            *api.routes,
            *instructor.routes,
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=store.session_key(),
                session_cookie="gdlab_session",
                same_site="lax",
                https_only=config.https,
                max_age=14 * 24 * 3600,
            ),
        ],
        exception_handlers={HTTPException: _error},
    )
    app.state.config = config
    app.state.store = store
    app.state.waiter = Waiter(store)
    app.state.templates = templates
    return app
