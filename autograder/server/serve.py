"""`gdlab serve`: a pool of grading workers and the web application, from one command.

Defaults are embedded: the gradebook is SQLite under ``$GDLAB_HOME`` unless ``--db`` or
``GDLAB_DB`` names another (PostgreSQL for several machines). ``--workers 0`` runs the web
application alone (more app processes behind a load balancer); ``python -m
autograder.server.worker --db URL`` runs grading workers anywhere.
"""

from __future__ import annotations

import socket

from autograder.errors import UserError
from autograder.record.gradebook import Gradebook
from autograder.server.config import ServerConfig
from autograder.server.store import Store
from autograder.server.worker import start_pool, stop_pool


def serve(config: ServerConfig, host: str, port: int, workers: int) -> int:
    import uvicorn

    from autograder.server.app import create_app

    if config.practice and host not in ("127.0.0.1", "localhost", "::1"):
        raise UserError("--practice signs nobody in: it serves 127.0.0.1 only")
    if not config.release.is_dir():
        raise UserError(f"{config.release}: no student release here (use --release)")
    _port_free(host, port)
    book = Gradebook(config.db)
    requeued = Store(book).requeue_dead(socket.gethostname())
    if requeued:
        print(f"gdlab: {requeued} jobs of stopped workers are back in the queue")
    procs = start_pool(book.url, workers) if workers > 0 else []
    where = f"http://{host}:{port}/"
    print(
        f"gdlab: serving on {where} with {workers} grading workers"
        + (" (practice: no sign-in)" if config.practice else ""),
        flush=True,
    )
    try:
        uvicorn.run(create_app(config, book), host=host, port=port, log_level="warning")
    finally:
        stop_pool(procs)
        book.close()
    return 0


def _port_free(host: str, port: int) -> None:
    """Refuse a port another program holds, in one line, before anything starts (uvicorn would
    print its own error after our "serving on" line)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise UserError(f"cannot serve on {host}:{port}: {error.strerror}") from None


def roster_add(db: str | None, names: list[str], role: str, base_url: str) -> list[str]:
    """Add (or re-issue) each person; one line per person with their sign-in link and token."""
    with Gradebook(db) as book:
        store = Store(book)
        lines = []
        for name in names:
            if not name.strip() or "/" in name or len(name) > 200:
                raise UserError(f"{name!r} is not a usable name")
            token = store.add_person(name.strip(), role)
            lines.append(
                f"{name}\t{role}\t{base_url.rstrip('/')}/signin/{token}\tGDLAB_TOKEN={token}"
            )
    return lines
