"""Grading workers: processes apart from the web process that claim queued jobs and grade them.

Each worker owns one Grader, so one sandbox (a numpy-warm worker forking a confined child per
submission): a pool of N workers grades N submissions at once and a burst beyond that waits in
the queue.
The web process never runs student code and needs none of the sandbox's privileges.

Run one with ``python -m autograder.server.worker --db URL``; `gdlab serve` starts a pool.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from autograder.errors import UserError
from autograder.judge.checks import Grade
from autograder.judge.grader import Grader
from autograder.load import submission
from autograder.record.gradebook import Gradebook
from autograder.server import course
from autograder.server.public import public, unreadable
from autograder.server.queue import Claimed
from autograder.server.store import Store

log = logging.getLogger("gdlab.server")
LEASE_SECONDS = 120.0
_IDLE_SLEEP = 0.01


def handle(store: Store, grader: Grader, job: Claimed) -> tuple[dict, Grade | None]:
    """Grade one claimed job: the public view, and a SUBMIT's grade to store (the caller
    stores it with the job's end, in one transaction: `Queue.finish`)."""
    exercise = course.get(job.exercise)
    if job.kind == "submit":
        assert job.submission_id is not None
        content, seed = store.submitted(job.submission_id)
    else:
        content, seed = job.content or b"", None
    try:
        program = submission.from_content(Path(job.filename), content)
    except UserError as error:
        return unreadable(job.kind, job.exercise, job.filename, str(error)), None
    result = grader.grade(
        exercise, program, student=job.student, seed=seed, hidden=job.kind == "submit"
    )
    return public(result, job.kind), result if job.kind == "submit" else None


def work(url: str, name: str, *, lease: float = LEASE_SECONDS, parent: int | None = None) -> int:
    """Claim and grade jobs until stopped (or until `parent` is gone); the number graded."""
    done = 0
    with Gradebook(url) as book, Grader() as grader:
        store = Store(book)
        changed = store.watcher()

        def alive() -> bool:
            return parent is None or os.getppid() == parent

        while alive():
            graded = drain(store, grader, name, lease)
            done += graded
            # Idle: wait until someone writes to the gradebook; look anyway once a second,
            # for leases that ran out while nobody wrote.
            since = time.monotonic()
            while not graded and not changed() and alive() and time.monotonic() - since < 1:
                time.sleep(_IDLE_SLEEP)
    return done


def drain(store: Store, grader: Grader, name: str, lease: float = LEASE_SECONDS) -> int:
    """Grade queued jobs until the queue is empty; the number graded."""
    done = 0
    job = store.claim(name, lease)
    while job is not None:
        grade = None
        try:
            result, grade = handle(store, grader, job)
        except Exception as error:  # one broken job never stops the worker
            log.exception("job %s failed", job.id)
            result = _failed(job, error)
        versions = None
        if job.kind == "submit" and job.submission_id is not None:
            versions = (job.submission_id, course.ENGINE_VERSION, course.version(job.exercise))
        try:
            following = store.finish(job.id, name, result, versions, lease=lease, grade=grade)
        except Exception as error:  # nor does a grade the gradebook refuses: the job ends
            if grade is None:  # without it (its SUBMIT stays pending), as a failed one
                raise
            log.exception("job %s: its grade could not be stored", job.id)
            following = store.finish(job.id, name, _failed(job, error), versions, lease=lease)
        job = following
        done += 1
    return done


def _failed(job: Claimed, error: Exception) -> dict:
    return unreadable(
        job.kind,
        job.exercise,
        job.filename,
        f"the grader failed ({type(error).__name__}); please try again",
    )


def start_pool(url: str, count: int, lease: float = LEASE_SECONDS) -> list[subprocess.Popen]:
    """Start `count` worker processes that end when this process does."""
    procs = []
    for number in range(count):
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "autograder.server.worker",
                    "--db",
                    url,
                    "--name",
                    f"{socket.gethostname()}:{os.getpid()}:{number}",
                    "--lease",
                    str(lease),
                    "--parent",
                    str(os.getpid()),
                ]
            )
        )
    return procs


def stop_pool(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a gdlab grading worker")
    parser.add_argument("--db", required=True)
    parser.add_argument("--name", default=f"{socket.gethostname()}:{os.getpid()}")
    parser.add_argument("--lease", type=float, default=LEASE_SECONDS)
    parser.add_argument("--parent", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(format="gdlab worker: %(message)s", level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        work(args.db, args.name, lease=args.lease, parent=args.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
