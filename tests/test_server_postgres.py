"""The course server over PostgreSQL: each queued job is claimed by exactly one worker."""

from __future__ import annotations

import threading
from pathlib import Path

from autograder.judge.grader import Grader
from autograder.load.submission import Program
from autograder.record.gradebook import Gradebook
from autograder.server.store import Store
from autograder.server.worker import drain
from tests.server_helpers import REFERENCE, STUB


def test_workers_claim_each_job_once_with_skip_locked(
    postgres_url: str,
    grader: Grader,
) -> None:
    store = Store(Gradebook(postgres_url))
    jobs = [
        store.enqueue_submit(
            f"s{i}",
            "gradient_basic",
            Program(Path("gradient.py"), STUB, f"{STUB}#{i}".encode()),
            seed=i,
            limit=0,
        )[0]
        for i in range(40)
    ]
    claimed: list[list[int]] = [[] for _ in range(4)]

    def claim_all(mine: list[int]) -> None:
        own = Store(Gradebook(postgres_url))
        while (job := own.claim(f"w{id(mine)}", lease=60)) is not None:
            mine.append(job.id)

    threads = [threading.Thread(target=claim_all, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = [job for mine in claimed for job in mine]
    assert sorted(taken) == sorted(jobs)  # every job once, none twice
    # and a real SUBMIT is graded through the queue on PostgreSQL
    job, _ = store.enqueue_submit(
        "ada",
        "gradient_basic",
        Program(Path("gradient.py"), REFERENCE, REFERENCE.encode()),
        seed=7,
        limit=0,
    )
    assert drain(store, grader, "w") == 1
    assert store.job(job).result["score"] == 100.0
    assert [r.score for r in store.book.rows(student="ada")] == [100.0]
