"""Who is asking: a personal sign-in link or token, a signed session cookie, CSRF, roles.

* `gdlab roster add` gives each person a token; ``/signin/<token>`` puts their name (and a
  fingerprint of the token, so that re-issuing a link signs the old one out) in a session cookie
  signed with the gradebook's session key (HttpOnly, SameSite=Lax), so any app
  process behind a load balancer accepts it.
* Command-line clients send the same token as ``Authorization: Bearer …``; no cookie, no CSRF.
* A cookie-authenticated request that changes anything must carry the session's CSRF token
  (header ``X-CSRF-Token`` or form field ``csrf_token``).
* ``--practice``: one student on 127.0.0.1, no sign-in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request

from autograder.server.store import token_hash

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    by_cookie: bool

    @property
    def instructor(self) -> bool:
        return self.role == "instructor"


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return str(request.session["csrf"])


def sign_in(request: Request, name: str, token: str) -> None:
    request.session.clear()
    request.session.update({"user": name, "link": token_hash(token)[:16]})
    csrf_token(request)


def current(request: Request) -> User | None:
    config = request.app.state.config
    if config.practice:
        return User(config.practice_student, "student", by_cookie=True)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = request.app.state.store.person(header[7:].strip())
        return User(found[0], found[1], by_cookie=False) if found else None
    if "user" in request.session:  # the role is read afresh: a re-issued link signs out
        name = str(request.session["user"])
        role = request.app.state.store.signed_in(name, str(request.session.get("link", "")))
        return User(name, role, by_cookie=True) if role else None
    return None


async def require(request: Request, role: str | None = None) -> User:
    """The signed-in user (401 otherwise), with `role` (403 otherwise); checks CSRF on writes."""
    user = current(request)
    if user is None:
        raise HTTPException(401, "sign in with your personal link first")
    if role == "instructor" and not user.instructor:
        raise HTTPException(403, "instructors only")
    if request.method not in SAFE_METHODS and user.by_cookie:
        sent = request.headers.get("x-csrf-token")
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            sent = str((await request.form()).get("csrf_token") or "")
        if not sent or not secrets.compare_digest(sent, csrf_token(request)):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page")
    return user
