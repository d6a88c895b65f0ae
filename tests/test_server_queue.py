"""The queue as a busy worker uses it: finishing a job claims the next in the same transaction,
still by one worker only, and what the finish records (result, versions, the SUBMIT's grade) is
all there, written by the lease holder only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.judge.checks import CaseRun, Check, Grade
from autograder.load import submission
from autograder.record.gradebook import Gradebook
from autograder.run.outcome import Outcome
from autograder.server.store import Store
from tests.server_helpers import REFERENCE


def _queue(store: Store, count: int) -> list[tuple[int, int]]:
    return [
        store.enqueue_submit(
            "ada",
            "gradient_basic",
            submission.from_content(Path("gradient.py"), f"{REFERENCE}\n# {i}\n".encode()),
            seed=i,
            limit=0,
        )
        for i in range(count)
    ]


def test_finishing_a_job_claims_the_next_for_the_same_worker_only(tmp_path: Path) -> None:
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as book:
        store = Store(book)
        store.add_person("ada")
        (first, sub1), (second, _), (third, _) = _queue(store, 3)
        held = store.claim("w1", lease=60)
        assert held is not None and held.id == first
        other = store.claim("w2", lease=60)
        assert other is not None and other.id == second  # the first is held: w2 gets the next
        following = store.finish(first, "w1", {"score": 1}, (sub1, "engine 1", "exercise 2"), 60)
        assert following is not None and following.id == third  # claimed in the same call
        assert store.claim("w2", lease=60) is None  # nothing left: each job has one holder
        assert store.job(first).state == "done" and store.job(first).result == {"score": 1}
        assert store.job(third).state == "running"
        assert store.versions([sub1]) == {sub1: ("engine 1", "exercise 2")}
        # without a lease nothing more is claimed
        assert store.finish(second, "w2", {"score": 0}) is None
        assert store.finish(third, "w1", {"score": 0}, lease=60) is None
        assert store.pending() == 0


def _lost_lease(store: Store) -> tuple[int, int]:
    """One queued SUBMIT whose job the worker "slow" claimed with a lease already run out and
    "fast" then took over; its job's and its submission's ids."""
    ((job, sub),) = _queue(store, 1)
    assert store.claim("slow", lease=-1) is not None
    taken = store.claim("fast", lease=60)
    assert taken is not None and taken.id == job
    return job, sub


def test_a_worker_that_lost_its_lease_does_not_finish_the_job(tmp_path: Path) -> None:
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as book:
        store = Store(book)
        store.add_person("ada")
        job, _ = _lost_lease(store)
        store.finish(job, "slow", {"score": 99})
        assert store.job(job).state == "running"  # still the fast worker's
        store.finish(job, "fast", {"score": 1})
        assert store.job(job).result == {"score": 1}


def _grade(score: float) -> Grade:
    check = Check("h", "published", True, score > 0, score, 20.0, "1", "1", "correct")
    run = CaseRun("published", True, Outcome.FINISHED, 0.01, "out\n", False, None)
    return Grade("gradient_basic", "ada", "gradient.py", 7, [check], [run], max_score=100.0)


def test_a_submits_grade_is_recorded_with_its_jobs_end(tmp_path: Path) -> None:
    """One commit per graded SUBMIT: its grade (checks, runs), what graded it and the job's
    end are written by the one `finish` call."""
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as book:
        store = Store(book)
        store.add_person("ada")
        ((job, sub),) = _queue(store, 1)
        assert store.claim("w1", lease=60) is not None
        assert [r.status for r in book.rows()] == ["pending"]
        store.finish(job, "w1", {"score": 20}, (sub, "engine 1", "exercise 2"), grade=_grade(20))
        (row,) = book.rows()
        assert (row.status, row.score, row.max_score, row.seed) == ("graded", 20.0, 100.0, 7)
        assert [(c.quantity, c.score) for c in book.checks_of(sub)] == [("h", 20.0)]
        assert [(r.case, r.output) for r in book.runs_of(sub)] == [("published", "out\n")]
        assert store.versions([sub]) == {sub: ("engine 1", "exercise 2")}
        assert store.job(job).state == "done"


def test_a_worker_that_lost_its_lease_records_no_grade(tmp_path: Path) -> None:
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as book:
        store = Store(book)
        store.add_person("ada")
        job, sub = _lost_lease(store)
        store.finish(job, "slow", {"score": 0}, (sub, "engine 0", "exercise 0"), grade=_grade(0))
        assert [r.status for r in book.rows()] == ["pending"]  # the fast worker's to grade
        assert store.versions([sub]) == {}
        store.finish(job, "fast", {"score": 20}, (sub, "engine 1", "exercise 1"), grade=_grade(20))
        assert [(r.status, r.score) for r in book.rows()] == [("graded", 20.0)]
        assert store.versions([sub]) == {sub: ("engine 1", "exercise 1")}


def test_the_waiter_reads_the_done_jobs_among_those_awaited_in_one_query(tmp_path: Path) -> None:
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as book:
        store = Store(book)
        store.add_person("ada")
        (first, _), (second, _) = _queue(store, 2)
        assert store.claim("w1", lease=60) is not None
        assert store.done_jobs([first, second]) == {}
        store.finish(first, "w1", {"score": 20})
        (view,) = store.done_jobs([first, second, 10**6]).values()
        assert (view.id, view.state, view.position, view.result) == (
            first,
            "done",
            0,
            {"score": 20},
        )
        assert view == store.job(first)  # what the request would have read itself


def test_a_grade_the_gradebook_refuses_ends_its_job_and_the_worker_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One file never stops a class: a grade that cannot be stored (here the first) leaves its
    SUBMIT pending and its job done with "the grader failed", and the next job is graded."""
    from autograder.server import queue, worker

    monkeypatch.setattr(worker, "handle", lambda store, grader, job: ({"score": 20}, _grade(20)))
    real_write = queue.write_grade
    refused: list[int] = []

    def write_grade(conn, submission_id, grade):
        if not refused:
            refused.append(submission_id)
            raise ValueError("refused")
        real_write(conn, submission_id, grade)

    monkeypatch.setattr(queue, "write_grade", write_grade)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as book:
        store = Store(book)
        store.add_person("ada")
        (first, _), (second, _) = _queue(store, 2)
        assert worker.drain(store, grader=None, name="w1") == 2  # type: ignore[arg-type]
        assert [r.status for r in book.rows()] == ["pending", "graded"]
        assert "the grader failed (ValueError)" in json.dumps(store.job(first).result)
        assert store.job(second).result == {"score": 20}
