"""A batch's workers boot once: the first forks its twins after its imports (`run/twins.py`),
and each then stands alone — its own namespaces, folder, pipes and life."""

from __future__ import annotations

import os
import time

import pytest

from autograder.load import exercise as exercises
from autograder.run import boot
from autograder.run.outcome import Outcome
from autograder.run.sandbox import Job, Sandbox
from autograder.run.twins import TwinProcess

pytestmark = pytest.mark.skipif(
    not hasattr(os, "pidfd_open") or boot.plain_mode(), reason="twins need Linux's pidfds"
)


def _job() -> Job:
    exercise = exercises.get("gradient_basic")
    return Job(
        exercise.reference,
        exercise.script,
        None,
        exercise.quantity_exprs,
        exercise.limits,
        cases=tuple(c.given_plain(exercise.given_keys) for c in exercise.cases(seed=1)),
        files=tuple(str(exercise.folder / f) for f in exercise.files),
        trace=exercise.points,
    )


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def _gone(pid: int) -> bool:
    """Neither running nor a zombie: ended and reaped."""
    for _ in range(100):
        if not os.path.exists(f"/proc/{pid}"):
            return True
        time.sleep(0.02)
    return False


def test_a_twin_is_a_worker_of_its_own_booted_for_a_fraction_of_the_cpu() -> None:
    boot.early(2)
    first, twin = Sandbox(), Sandbox()
    try:
        assert isinstance(twin._process, TwinProcess)
        assert first.confinement["network_isolated"] == twin.confinement["network_isolated"]
        assert first.pid is not None and twin.pid is not None and first.pid != twin.pid
        for space in ("net", "mnt"):  # nothing shared between two submissions' cases
            assert os.readlink(f"/proc/{first.pid}/ns/{space}") != os.readlink(
                f"/proc/{twin.pid}/ns/{space}"
            )
        assert os.readlink(f"/proc/{first.pid}/cwd") != os.readlink(f"/proc/{twin.pid}/cwd")
        assert int(_stat(twin.pid)[1]) == os.getpid()  # not below the first worker
        assert int(_stat(twin.pid)[3]) == twin.pid  # leads its own session
        job = _job()
        for sandbox in (first, twin):
            assert [r.status for r in sandbox.run_cases(job)] == [Outcome.FINISHED] * 5
        first_cpu, twin_cpu = (sum(map(int, _stat(p)[11:13])) for p in (first.pid, twin.pid))
        assert twin_cpu < first_cpu  # numpy was imported once, by the first
        twin_pid = twin.pid
    finally:
        first.close()
        twin.close()
    assert _gone(twin_pid)


def test_a_twin_outlives_its_first_worker() -> None:
    boot.early(2)
    first, twin = Sandbox(), Sandbox()
    try:
        assert twin.confinement["pid_namespace"] == first.confinement["pid_namespace"]
        first._kill()
        assert [r.status for r in twin.run_cases(_job())] == [Outcome.FINISHED] * 5
    finally:
        first.close()
        twin.close()


def test_a_twin_whose_first_worker_died_before_forking_it_is_replaced() -> None:
    boot.early(2)
    first, twin = Sandbox(), Sandbox()
    try:
        first._kill()  # at once: still importing numpy, no twin forked yet
        assert [r.status for r in twin.run_cases(_job())] == [Outcome.FINISHED] * 5
        assert not isinstance(twin._process, TwinProcess)  # a worker started alone
    finally:
        first.close()
        twin.close()


def test_twins_nobody_took_are_ended_and_reaped() -> None:
    boot.early(3)
    taken = Sandbox()
    left = list(boot._early)
    assert len(left) == 2 and all(isinstance(s.process, TwinProcess) for s in left)
    boot.discard()
    for started in left:
        assert started.process.poll() is not None and not os.path.exists(started.home)
        assert started.process.pid is not None and _gone(started.process.pid)
    taken.close()
