"""One submission cannot reach the next one graded by the same sandbox worker.

A worker grades submissions one after another, and its cases share what it prepared once (the
allow-list root; as root, its empty network namespace). Submission A below leaves behind all it
can: a detached daemon listening on an abstract unix socket (reachable from anywhere in the same
network namespace, were the daemon still alive), a file in its working directory, and a patched
numpy. Submission B, graded next by the same worker, looks for each; it must find none of them.
A proves its daemon was listening (it reached it), and B's probes, run within A itself, find
every trap (the control), so B finding nothing means something.
"""

from __future__ import annotations

import pytest

from autograder.run.sandbox import Job, Limits, Sandbox, plain_mode

LEAVE_BEHIND = r"""
import os, socket, time
import numpy as np

np.sum = lambda *args, **kwargs: 42.0
with open("left_by_a.txt", "w") as note:
    note.write("A was here")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind("\0gdlab-left-by-a")
        server.listen(8)
        while True:
            connection, _ = server.accept()
            connection.sendall(b"A")
            connection.close()
    os._exit(0)
reached_own = 0.0
for _ in range(200):
    try:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect("\0gdlab-left-by-a")
        reached_own = 1.0 if probe.recv(1) == b"A" else 0.0
        break
    except OSError:
        time.sleep(0.01)
"""

LOOK_AROUND = r"""
import os, socket
import numpy as np

try:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.connect("\0gdlab-left-by-a")
    daemon_reached = 1.0
except OSError:
    daemon_reached = 0.0
file_seen = 1.0 if os.path.exists("left_by_a.txt") or os.path.exists("/tmp/left_by_a.txt") else 0.0
numpy_patched = 0.0 if np.sum(np.array([1.0, 2.0])) == 3.0 else 1.0
"""


def _number(result, name: str) -> float:
    value = result.values[name]
    assert value.kind == "real", (name, value, result.status, result.error, result.output)
    return float(value.array)


@pytest.mark.skipif(plain_mode(), reason="the plain fallback does not isolate submissions")
def test_nothing_submission_a_leaves_behind_reaches_submission_b() -> None:
    with Sandbox() as sandbox:
        confinement = sandbox.confinement
        if not (confinement["pid_namespace"] and confinement["network_isolated"]):
            pytest.skip(f"needs PID and network namespaces: {confinement}")
        limits = Limits(time=5.0)
        a = sandbox.run(Job(LEAVE_BEHIND, "a.py", None, {"reached_own": "reached_own"}, limits))
        b = sandbox.run(
            Job(
                LOOK_AROUND,
                "b.py",
                None,
                {
                    "daemon_reached": "daemon_reached",
                    "file_seen": "file_seen",
                    "numpy_patched": "numpy_patched",
                },
                limits,
            )
        )
        control = sandbox.run(
            Job(
                LEAVE_BEHIND + LOOK_AROUND,
                "a_and_b.py",
                None,
                {"daemon_reached": "daemon_reached", "file_seen": "file_seen"},
                limits,
            )
        )
    assert [_number(control, name) for name in ("daemon_reached", "file_seen")] == [1.0, 1.0]
    assert a.status == "finished", (a.status, a.error)
    assert _number(a, "reached_own") == 1.0  # the daemon was there, listening, while A ran
    assert b.status == "finished", (b.status, b.error)
    assert _number(b, "daemon_reached") == 0.0
    assert _number(b, "file_seen") == 0.0
    assert _number(b, "numpy_patched") == 0.0
