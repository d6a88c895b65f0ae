"""Run a program in a separate, limited process and get back only descriptions of its values.

The grader's process never imports, unpickles or executes anything from a submission. It starts a
worker (`worker`) in a new session with a scrubbed environment and talks to it in JSON
lines (`protocol`); the worker forks one confined child per submission, which runs its
cases in an allow-list root (`confine`, `rootfs`). What comes back is read strictly: a case whose
report breaks the schema "could not be read", never an exception here. If the worker itself
stops answering, we kill its whole session and the job's child, and start another, so one
broken submission cannot stall a batch. The worker's first line says what confinement this
machine allows; whatever is missing is noted once (logger ``gdlab.sandbox``, INFO) and, where a
program runs unconfined (no Linux namespaces: `plain`), said once on stderr.
SECURITY.md has the threat model.

Somewhat over ~300 lines, one job: the grader's end of the worker's pipe — starting it, one
job's request and answers, the deadlines and the kills belong together.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from autograder.home import default_home
from autograder.run import boot, notes
from autograder.run.boot import BOOT as _BOOT
from autograder.run.boot import PLAIN_BOOT as _PLAIN_BOOT
from autograder.run.boot import plain_mode
from autograder.run.outcome import Outcome
from autograder.run.protocol import STRETCH, Answer, Request, trace_shape
from autograder.run.trace import Point, Record, read_trace
from autograder.run.twins import TwinProcess
from autograder.run.values import Unreadable, Value


@dataclass(frozen=True)
class Limits:
    """What one case may use; the child is killed, not asked. Time is the case's CPU seconds,
    within `sandbox_protocol.STRETCH` times as many wall-clock seconds (a busy machine)."""

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
    `hide_paths` are covered for this run on top of the sandbox's own list (see `Sandbox`), where
    they lie inside the case's allow-list root (nothing outside it exists for the case anyway).
    """

    source: str
    filename: str
    given: dict[str, Any] | None
    quantities: dict[str, str]
    limits: Limits = field(default_factory=Limits)
    hide_paths: tuple[str, ...] = ()
    cases: tuple[dict[str, Any] | None, ...] | None = None
    #: The exercise's given files: read-only in the case's working directory, beside the program.
    files: tuple[str, ...] = ()
    #: Where to observe the program from inside (trace.py); its records come back in `trace`.
    trace: tuple[Point, ...] = ()


@dataclass(frozen=True)
class RunResult:
    """What came back: how the run ended (`Outcome`, given as its word or itself), its output,
    and the values as the grader reads them."""

    status: Outcome
    values: dict[str, Value]
    output: str = ""
    output_truncated: bool = False
    error: dict[str, Any] | None = None
    exit: str | None = None
    seconds: float = 0.0
    #: Per trace point, the records of the passes observed (read with bounds: trace.read_trace).
    trace: dict[str, list[Record]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.status, Outcome):
            object.__setattr__(self, "status", Outcome(self.status))


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
    checkout = Path(__file__).resolve().parents[2]
    paths += [checkout / "source", checkout / ".git"]
    found = tuple(dict.fromkeys(os.path.realpath(p) for p in paths if p.exists()))
    if home.exists():
        _HIDDEN[key] = found
    return found


_HIDDEN: dict[str, tuple[str, ...]] = {}


class Sandbox:
    """A worker process that runs jobs one after another; use as a context manager.

    A case sees only its allow-list root (`rootfs`); `hide_paths` are covered on top of it for
    every job, should one lie inside it. By default they are `default_hidden_paths()`, looked
    up for each job. `confinement` says what this machine allows.
    """

    def __init__(self, hide_paths: tuple[str, ...] | None = None) -> None:
        self._process: subprocess.Popen[bytes] | TwinProcess | None = None
        self._buffer = bytearray()
        self._hide = None if hide_paths is None else tuple(hide_paths)
        self._confinement: dict[str, Any] | None = None
        self._start()

    def _start(self, fresh: bool = False) -> None:
        boot_code = _PLAIN_BOOT if plain_mode() else _BOOT
        # the worker the command started first (`boot.early`), else a new one
        started = (None if fresh else boot.take(boot_code)) or boot.spawn(boot_code)
        self._process, self._home = started.process, started.home
        self._buffer = bytearray()
        self._confinement = None
        self._lines: queue.Queue[bytes] | None = None
        if boot_code == _PLAIN_BOOT:  # select() cannot wait on a pipe on Windows: a reader thread
            self._lines = queue.Queue()
            threading.Thread(
                target=_read_lines, args=(self._process.stdout, self._lines), daemon=True
            ).start()

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
        """Read the worker's first line (it imports numpy first, so this waits for that). A
        twin (`twins.py`) names itself there; one that never says hello (its first worker
        died first) is replaced by a worker started alone."""
        try:
            hello = json.loads(self._read_line(deadline=time.monotonic() + 30))
            if isinstance(self._process, TwinProcess):
                self._process.adopt(hello.get("pid"))
        except (OSError, TimeoutError, EOFError, ValueError, AttributeError):
            if not isinstance(self._process, TwinProcess):
                raise
            self._kill()
            self._start(fresh=True)
            hello = json.loads(self._read_line(deadline=time.monotonic() + 30))
        self._confinement = dict(hello["confinement"])
        notes.warn_missing(self._confinement)
        notes.say_unconfined(self._confinement)

    def run(self, job: Job) -> RunResult:
        """Run a one-case job; never raises for anything the program does."""
        return self.run_cases(replace(job, cases=(job.given,)))[0]

    def run_cases(self, job: Job) -> list[RunResult]:
        """Run every case of `job` in order; never raises for anything the program does.

        The list stops early after a case whose ending the rest would only repeat (it did not
        compile, its given block is missing, it timed out, it died, the sandbox failed), but
        not after one stopped for time or killed once seen inside its training loop.
        """
        if self._process is None or self._process.poll() is not None:
            self._start()
        assert self._process is not None and self._process.stdin is not None
        cases = job.cases if job.cases is not None else (job.given,)
        always = default_hidden_paths() if self._hide is None else self._hide
        request = Request(
            job.source,
            job.filename,
            list(cases),
            job.quantities,
            asdict(job.limits),
            list(job.files),
            list(dict.fromkeys((*always, *job.hide_paths))),
            [p.to_plain() for p in job.trace],
            _injected(job, cases),
        )
        child = None
        try:
            if self._confinement is None:
                self._handshake()
            self._process.stdin.write(request.encode())
            self._process.stdin.flush()
            deadline = time.monotonic() + len(cases) * job.limits.time * STRETCH + 15
            # a child per run of cases: one more after a case stopped once seen in its loop
            while "runs" not in (message := json.loads(self._read_line(deadline=deadline))):
                _close(child)
                child = None
                child = _pidfd(message["started"])
            runs = message["runs"]
            if type(runs) is not list:
                raise TypeError("runs")
        except (OSError, TimeoutError, EOFError, ValueError, KeyError, TypeError):
            self._kill(child)
            return [_failure()]
        _close(child)
        return [_result_from(run, job) for run in runs[: len(cases)]] or [_failure()]

    def _read_line(self, deadline: float) -> bytes:
        assert self._process is not None and self._process.stdout is not None
        if self._lines is not None:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError from None
            if not line.endswith(b"\n"):
                raise EOFError
            return line[:-1]
        fd = self._process.stdout.fileno()
        scanned = 0  # the bytes before it hold no newline: each byte is looked at once
        # poll itself: a `selectors` object per line (an epoll made, registered and closed)
        # cost the grader a tenth of a millisecond per line, two lines a submission
        waiting = select.poll()
        waiting.register(fd, select.POLLIN)
        while (end := self._buffer.find(b"\n", scanned)) < 0:
            scanned = len(self._buffer)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not waiting.poll(remaining * 1000):
                raise TimeoutError
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise EOFError
            self._buffer += chunk
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return line

    def _kill(self, child: int | None = None) -> None:
        """Kill the worker's session and, through its pidfd, the job's child (PID 1 of its
        namespace, in a session of its own): with the worker gone, nobody else would."""
        if child is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(child, signal.SIGKILL)
            _close(child)
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                if isinstance(self._process, TwinProcess):
                    self._process.kill()  # through its pidfd: not our child (`twins.py`)
                elif os.name == "posix":
                    os.killpg(self._process.pid, signal.SIGKILL)
                else:
                    self._process.kill()
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


def _read_lines(stream: Any, lines: queue.Queue[bytes]) -> None:
    """The plain worker's lines, for `_read_line` (ends with b"" or a line cut short)."""
    while True:
        line = stream.readline()
        lines.put(line)
        if not line.endswith(b"\n"):
            return


def _pidfd(pid: Any) -> int | None:
    """A handle on the job's child that stays right even if its number is reused."""
    if type(pid) is not int or pid <= 1:
        raise ValueError("started")
    try:
        return os.pidfd_open(pid)
    except (OSError, AttributeError):  # already gone, or not Linux (the plain fallback)
        return None


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def _injected(job: Job, cases: tuple[dict[str, Any] | None, ...]) -> dict[str, Any] | None:
    """The program with its given block put in place, written here (`given_text`) for the
    child to compile from text, for the names of the job's cases (soft marks dropped: the
    published case's values are looked up by the same names); None where the child must
    rewrite the parsed program (trace points to add, an import of a given module, a value the
    file lacks) or nothing is put in place."""
    given = next((case for case in cases if case is not None), None)
    if given is None or job.trace:
        return None
    from autograder.load import given_text
    from autograder.load.program import SOFT

    names = [name.removeprefix(SOFT) for name in given]
    modules = [Path(f).stem for f in job.files if f.endswith(".py")]
    try:
        source = given_text.injected(job.source, names, job.quantities.values(), modules)
    except Exception:  # a file we did not foresee: the child rewrites the tree, as before
        notes.log.debug("given block not written as text: %s", job.filename, exc_info=True)
        return None
    return None if source is None else {"names": names, "source": source}


def _failure() -> RunResult:
    return RunResult(
        status=Outcome.SANDBOX_FAILURE,
        values={},
        error={"type": "SandboxFailure", "message": "the sandbox stopped answering", "line": None},
    )


def _result_from(plain: Any, job: Job) -> RunResult:
    """Turn one case of the worker's answer into a RunResult; whatever breaks the schema is
    the case's result that "could not be read" (`Answer.from_plain`), never an exception."""
    try:
        shape = trace_shape([p.to_plain() for p in job.trace])
        answer = Answer.from_plain(plain, frozenset(job.quantities), job.limits.output_bytes, shape)
    except Unreadable:
        answer = Answer.unreadable(0.0, "", False)
    values = {  # checked by `Answer.from_plain` just now (`check_values`)
        name: Value.from_plain(answer.values[name], checked=True)
        if name in answer.values
        else Value.missing()
        for name in job.quantities
    }
    return RunResult(
        status=Outcome(answer.status),
        values=values,
        output=answer.output,
        output_truncated=answer.output_truncated,
        error=answer.error,
        exit=answer.exit,
        seconds=answer.seconds,
        trace=read_trace(answer.trace, job.trace),
    )
