"""The queue as a busy worker uses it: finishing a job claims the next in the same transaction,
still by one worker only, and what the finish records (result, versions) is all there."""

from __future__ import annotations

from pathlib import Path

from autograder.load import submission
from autograder.record.gradebook import Gradebook
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


def test_a_worker_that_lost_its_lease_does_not_finish_the_job(tmp_path: Path) -> None:
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as book:
        store = Store(book)
        store.add_person("ada")
        ((job, _),) = _queue(store, 1)
        assert store.claim("slow", lease=-1) is not None  # its lease has already run out
        taken = store.claim("fast", lease=60)
        assert taken is not None and taken.id == job
        store.finish(job, "slow", {"score": 99})
        assert store.job(job).state == "running"  # still the fast worker's
        store.finish(job, "fast", {"score": 1})
        assert store.job(job).result == {"score": 1}
