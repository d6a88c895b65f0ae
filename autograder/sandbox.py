"""Run a program in a separate, limited process and get back only descriptions of its values.

The grader's process never imports, unpickles or executes anything from a submission. It starts a
worker (`_sandbox_worker`) in a new session with a scrubbed environment and talks to it in JSON
lines; the worker forks one confined child per case (`confine` says how). If the worker itself
stops answering, we kill its whole session and start another, so one broken submission cannot
stall a batch. The worker's first line says what confinement this machine allows; whatever is
missing is logged once (logger ``gdlab.sandbox``), so nobody mistakes a weaker sandbox for the
real one. SECURITY.md has the threat model.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from autograder.home import default_home
from autograder.trace import Point, Record, read_trace
from autograder.values import Value

log = logging.getLogger("gdlab.sandbox")
_warned: set[str] = set()

#: Threads would multiply numpy's memory and defeat the process limit; one of each is plenty.
_WORKER_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
}
_BOOT = ("import sys; sys.path.insert(0, {root!r}); "
         "from autograder._sandbox_worker import main; main()")


@dataclass(frozen=True)
class Limits:
    """What one case may use. Time is wall-clock seconds; the child is killed, not asked."""

    time: float = 2.0
    memory_mb: int = 512
    output_bytes: int = 64_000
    files_mb: int = 16
    #: Processes and threads the case's uid may have at once (only holds for a non-root uid).
    processes: int = 32


@dataclass(frozen=True)
class Job:
    """One program, run on one case (`given`) or on several (`cases`, which then wins).

    A case is the given values to inject, or None for the program as written. The cases of one
    job run one after another in one confined process, each with the whole time limit.
    `hide_paths` are covered for this run on top of the sandbox's own list (see `Sandbox`).
    """

    source: str
    filename: str
    given: dict[str, Any] | None
    quantities: dict[str, str]
    limits: Limits = field(default_factory=Limits)
    hide_paths: tuple[str, ...] = ()
    cases: tuple[dict[str, Any] | None, ...] | None = None
    #: Where to observe the program from inside (trace.py); its records come back in `trace`.
    trace: tuple[Point, ...] = ()


@dataclass(frozen=True)
class RunResult:
    """What came back: how the run ended, its output, and the values as the grader reads them.

    status is one of: finished, exited (sys.exit), raised, syntax_error, given_missing, timeout,
    no_result (the process died or ended without reporting), sandbox_failure (the worker stopped
    answering, or the case could not be confined and was therefore not run).
    """

    status: str
    values: dict[str, Value]
    output: str = ""
    output_truncated: bool = False
    error: dict[str, Any] | None = None
    exit: str | None = None
    seconds: float = 0.0
    #: Per trace point, the records of the passes observed (read with bounds: trace.read_trace).
    trace: dict[str, list[Record]] = field(default_factory=dict)


def default_hidden_paths() -> tuple[str, ...]:
    """What no submission may read: the references (the `solutions` package), the gradebook and,
    when gdlab runs from a checkout, the sources and history that hold the references too.

    Looked up for every job (a first SUBMIT creates the gradebook after the sandbox started),
    but remembered once every path exists: the lookup costs milliseconds, a batch has thousands
    of jobs."""
    home = default_home()
    key = str(home)
    if key in _HIDDEN:
        return _HIDDEN[key]
    paths = [home]
    spec = importlib.util.find_spec("solutions")
    if spec is not None and spec.submodule_search_locations:
        paths += [Path(p) for p in spec.submodule_search_locations]
    checkout = Path(__file__).resolve().parent.parent
    paths += [checkout / "source", checkout / ".git"]
    found = tuple(dict.fromkeys(os.path.realpath(p) for p in paths if p.exists()))
    if home.exists():
        _HIDDEN[key] = found
    return found


_HIDDEN: dict[str, tuple[str, ...]] = {}


class Sandbox:
    """A worker process that runs jobs one after another; use as a context manager.

    `hide_paths` are made unreadable to every job, where the machine allows a mount namespace.
    By default they are `default_hidden_paths()`, looked up for each job: a gradebook created
    after the sandbox (a first SUBMIT) is hidden too. `confinement` says what this machine allows.
    """

    def __init__(self, hide_paths: tuple[str, ...] | None = None) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._hide = None if hide_paths is None else tuple(hide_paths)
        self._confinement: dict[str, Any] | None = None
        self._start()

    def _start(self) -> None:
        root = str(Path(__file__).resolve().parent.parent)
        self._home = tempfile.mkdtemp(prefix="gdlab-sandbox-")
        os.chmod(self._home, 0o711)  # a case running as another uid reaches its workdir below
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT.format(root=root)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**_WORKER_ENV, "HOME": self._home, "TMPDIR": self._home},
            cwd=self._home, start_new_session=True)
        self._buffer = b""
        self._confinement = None

    @property
    def pid(self) -> int | None:
        """The worker's process id, if it is running (for monitoring and tests)."""
        return self._process.pid if self._process is not None else None

    @property
    def confinement(self) -> dict[str, Any]:
        """What the worker could set up: network_isolated, paths_hidden, pid_namespace, uid,
        stdlib_readable (see `confine.Plan.summary`)."""
        if self._confinement is None:
            self._handshake()
        assert self._confinement is not None
        return self._confinement

    def _handshake(self) -> None:
        """Read the worker's first line (it imports numpy first, so this waits for that)."""
        hello = json.loads(self._read_line(deadline=time.monotonic() + 30))
        self._confinement = dict(hello["confinement"])
        _warn_missing(self._confinement)

    def run(self, job: Job) -> RunResult:
        """Run a one-case job; never raises for anything the program does."""
        return self.run_cases(replace(job, cases=(job.given,)))[0]

    def run_cases(self, job: Job) -> list[RunResult]:
        """Run every case of `job` in order; never raises for anything the program does.

        The list stops early after a case whose ending the rest would only repeat (it did not
        compile, its given block is missing, it timed out, it died, the sandbox failed).
        """
        if self._process is None or self._process.poll() is not None:
            self._start()
        assert self._process is not None and self._process.stdin is not None
        cases = job.cases if job.cases is not None else (job.given,)
        always = default_hidden_paths() if self._hide is None else self._hide
        hide = list(dict.fromkeys((*always, *job.hide_paths)))
        request = {"source": job.source, "filename": job.filename, "cases": list(cases),
                   "quantities": job.quantities, "limits": asdict(job.limits),
                   "hide_paths": hide, "trace": [p.to_plain() for p in job.trace]}
        try:
            if self._confinement is None:
                self._handshake()
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
            deadline = time.monotonic() + len(cases) * job.limits.time + 15
            runs = json.loads(self._read_line(deadline=deadline))["runs"]
            return [_result_from(run, job) for run in runs[: len(cases)]] or [_failure()]
        except (BrokenPipeError, TimeoutError, EOFError, ValueError, KeyError, TypeError):
            self._kill()
            return [_failure()]

    def _read_line(self, deadline: float) -> bytes:
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise TimeoutError
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _kill(self) -> None:
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None
            shutil.rmtree(self._home, ignore_errors=True)

    def close(self) -> None:
        """Let the worker finish (closing its stdin ends its loop), then make sure it is gone."""
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=2)
            self._kill()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _warn_missing(confinement: dict[str, Any]) -> None:
    """Say once per process what this machine's sandbox lacks, and what that means."""
    missing = []
    if not confinement.get("network_isolated"):
        missing.append("no network namespace: submissions can open network connections")
    if not confinement.get("paths_hidden"):
        missing.append("no mount namespace: submissions can read whatever their uid can read "
                       "(the references included, unless their file permissions forbid it)")
    if not confinement.get("pid_namespace"):
        missing.append("no PID namespace: a submission's processes are found by a /proc sweep")
    if not confinement.get("stdlib_readable", True):
        missing.append("the cases' uid cannot read Python's standard library here: submissions "
                       "can import only what the worker preloaded (install Python where other "
                       "users can read it, or allow mount namespaces)")
    if confinement.get("uid") == os.getuid():
        missing.append("submissions run as the grader's own user (run the grader as root in a "
                       "container to give them an unprivileged one)")
    for message in missing:
        if message not in _warned:
            _warned.add(message)
            log.warning("sandbox: %s", message)


def _failure() -> RunResult:
    return RunResult(status="sandbox_failure", values={}, error={
        "type": "SandboxFailure", "message": "the sandbox stopped answering", "line": None})


def _result_from(answer: dict[str, Any], job: Job) -> RunResult:
    """Turn the worker's answer into a RunResult, reading every value through `Value`."""
    raw = answer.get("values") if isinstance(answer.get("values"), dict) else {}
    values = {name: Value.from_plain(raw[name]) if name in raw else Value.missing()
              for name in job.quantities}
    error = answer.get("error") if isinstance(answer.get("error"), dict) else None
    return RunResult(status=str(answer.get("status", "no_result")), values=values,
                     output=str(answer.get("output", "")),
                     output_truncated=bool(answer.get("output_truncated")),
                     error=error, exit=answer.get("exit"),
                     seconds=float(answer.get("seconds", 0.0)),
                     trace=read_trace(answer.get("trace"), job.trace))
