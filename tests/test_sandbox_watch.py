"""The sandbox's cheaper per-case readings say what the costlier ones said.

The worker reads a child's CPU time per case from a /proc file held open since the fork, the
child reads its address space (the base of its memory limit) from /proc/self/statm with raw
reads, and the binds under /tmp are picked once per worker: each must give the same answer as
the straightforward reading it replaced, and the held file must not outlive the child.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from autograder.run import child, rootfs
from autograder.run.allowlist import Bind
from autograder.run.protocol import Request
from autograder.run.watch import Watch

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"), reason="Linux /proc"
)


def status_vm_size() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmSize:"))
    return int(line.split()[1]) * 1024


def test_the_address_space_read_raw_is_the_status_files():
    assert child._vm_size() == status_vm_size()


def spinning_child() -> tuple[int, int, int]:
    """A forked process that burns CPU until killed, and the two pipe ends a Watch reads."""
    out_r, out_w = os.pipe()
    res_r, res_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            end = time.monotonic() + 30
            while time.monotonic() < end:
                pass
        finally:
            os._exit(0)
    os.close(out_w)
    os.close(res_w)
    return pid, out_r, res_r


def test_the_childs_cpu_is_read_from_the_file_held_open_and_that_file_dies_with_the_watch():
    pid, out_r, res_r = spinning_child()
    request = Request("x = 1\n", "x.py", [None], {}, {"time": 1.0, "output_bytes": 100})
    watch = Watch(pid, out_r, res_r, request)
    try:
        first = watch._cpu()
        deadline = time.monotonic() + 10
        while (later := watch._cpu()) < first + 0.05 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert 0 <= first < later < 30  # seconds of CPU, growing while it spins
        held = watch._stat
        assert held is not None
    finally:
        os.kill(pid, signal.SIGKILL)
        watch.finish()
        os.close(out_r)
        os.close(res_r)
    with pytest.raises(OSError):
        os.fstat(held)  # closed with the child's reaping: no descriptor left per job


def test_only_the_binds_strictly_under_tmp_are_put_back_over_the_cases_tmp():
    binds = [
        Bind("/usr", "/usr"),
        Bind("/tmp"),
        Bind("/tmpfs-like", "/srv"),
        Bind("/tmp/venv/lib", "/tmp/venv/lib"),
        Bind("/tmp/checkout", "/tmp/checkout"),
    ]
    assert [b.target for b in rootfs._binds_under_tmp(binds)] == ["/tmp/venv/lib", "/tmp/checkout"]
