"""The sandbox worker: the only gdlab code that shares a process tree with student code.

It is started once per `Sandbox`, imports numpy once (so every case starts numpy-warm), learns
what confinement the machine allows (`confine.probe`) and which files a case may see (the
allow-list, `allowlist.allowed`), says so in a first JSON line, then serves jobs read from stdin:
for each it forks one child that confines itself and runs the program once per case
(`child`), watched from outside (`watch`). The worker itself never runs
student code. Its lines to the grader: the hello, then per job ``{"started": pid}`` as soon as
the child exists (so the grader can kill it should this worker die) and ``{"runs": [...]}``.
Confining once per submission rather than once per case is what makes a class of hundreds
fast; the cases of one submission are the same student's, and nothing the child holds (given
values only, never an expected value) is worth hiding between them.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import sys
from typing import Any

import numpy  # noqa: F401  (warm: every forked case starts with numpy imported)

from autograder.run import allowlist, confine, execute, pristine, rootfs, twins, watch
from autograder.run.protocol import Request

PR_SET_CHILD_SUBREAPER = 36


def main() -> None:
    """Serve jobs until stdin closes; the protocol channel is kept away from fds 0-2. A batch's
    first worker forks its twins first (`twins.py`): each goes on from here as a worker of its
    own, and says its pid in its first line (the grader is not its parent)."""
    # the allow-list is the interpreter's, the same for every worker: read once, before the
    # twins are forked (~20 ms of CPU each, measured), as the imports are
    confine.ALLOWED = allowlist.allowed()
    twin = twins.fork_twins()
    protocol_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    _become_subreaper()
    pids = confine.PidNamespaces.open()
    os.makedirs(rootfs.STAGING, exist_ok=True)
    confine.prepare_root()
    confine.prepare_network()
    plan = confine.probe(pids.fork if pids else os.fork)
    hello: dict[str, object] = {"confinement": plan.summary(pid_namespace=pids is not None)}
    if twin:
        hello["pid"] = os.getpid()
    _send(protocol_out, hello)
    pristine.take()  # each child compares with this instead of copying (pristine.py)
    _freeze()
    for line in sys.stdin.buffer:
        request = Request.decode(line)
        if execute.warm(request):
            _freeze()
        if pristine.stale():  # taking it writes to every page it covers: only when needed
            pristine.take()
        answers, clean_up = watch.run_job(
            request, plan, pids, lambda pid: _send(protocol_out, {"started": pid})
        )
        _send(protocol_out, {"runs": [answer.to_plain() for answer in answers]})
        clean_up()  # the child's exit and teardown cost the grader no waiting; the next job
        # is read only after everything this one started is gone
    # Every job's clean-up has run: nothing is left to tidy, and the interpreter's teardown
    # (numpy's modules, tens of ms) would only keep the command waiting in `Sandbox.close`.
    protocol_out.flush()
    os._exit(0)


def _freeze() -> None:
    """Move everything the worker holds so far (numpy, our modules) out of the garbage
    collector's reach: a forked child's collections then never walk it, which would write to
    every object's header and copy the page it lies on (measured: a few ms per submission)."""
    gc.collect()
    gc.freeze()
    _trim()


def _trim() -> None:
    """Give the C heap's free pages back (glibc's malloc_trim): what start-up freed (the
    allow-list's reading, the probe) would otherwise stay mapped, and every fork copies the
    page tables of all the worker's memory and every child's exit tears them down again."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to give back
        ctypes.CDLL(None).malloc_trim(0)


def _send(out: Any, message: dict[str, Any]) -> None:
    out.write(json.dumps(message).encode() + b"\n")
    out.flush()


def _become_subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the group kill still applies
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


if __name__ == "__main__":
    main()
