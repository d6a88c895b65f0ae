"""The plain fallback: where Linux namespaces are missing, a program still runs, unconfined.

On a student's Mac or Windows laptop (or with ``GDLAB_SANDBOX=plain``) the sandbox worker is this
module instead of `worker`. It speaks the same lines to the grader (hello, started,
runs), but runs each job in a fresh plain subprocess of the same interpreter, in a temporary
working directory, with the limits the system offers (`resource` where it exists: CPU time,
file size, and address space on Linux), each case under its wall-clock deadline, output capped,
and its report read as strictly as the confined one's. It is *not* a sandbox: the program can
read and write whatever its user can, and the grader says so once (`Sandbox`). It is meant for
TEST RUN and self-study SUBMIT on one's own machine, never for grading others' files.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from autograder.run.early import EarlyTraces, seen_then_stopped
from autograder.run.protocol import (
    CHILD_STOPS,
    MAX_REPORT_BYTES,
    STRETCH,
    Answer,
    Report,
    Request,
    trace_shape,
)
from autograder.run.values import Unreadable

CONFINEMENT = {
    "network_isolated": False,
    "paths_hidden": False,
    "pid_namespace": False,
    "uid": os.getuid() if hasattr(os, "getuid") else -1,
    "stdlib_readable": True,
    "confined": False,
}
_CHILD = "from autograder.run.plain import child; child()"


def main() -> None:
    """Serve jobs until stdin closes, as `worker.main` does."""
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    _send(out, {"confinement": CONFINEMENT})
    for line in sys.stdin.buffer:
        request = Request.decode(line)
        answers = run_job(request, lambda pid: _send(out, {"started": pid}))
        _send(out, {"runs": [answer.to_plain() for answer in answers]})


def _send(out: IO[bytes], message: dict[str, Any]) -> None:
    out.write(json.dumps(message).encode() + b"\n")
    out.flush()


def run_job(request: Request, started: Any) -> list[Answer]:
    """Run the cases of `request` one by one in one fresh subprocess (one more for the rest
    after a case stopped once seen in its training loop: `early.seen_then_stopped`)."""
    workdir = tempfile.mkdtemp(prefix="gdlab-case-")
    for path in request.files:
        with contextlib.suppress(OSError):
            shutil.copy(path, workdir)
    answers: list[Answer] = []
    try:
        while True:
            rest = replace(request, cases=request.cases[len(answers) :])
            answers += _one_process(rest, started, workdir)
            if len(answers) >= len(request.cases) or not seen_then_stopped(answers[-1]):
                break
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return answers


def _one_process(request: Request, started: Any, workdir: str) -> list[Answer]:
    """The cases of `request` in one subprocess, until one ends them; it is killed after."""
    root = str(Path(__file__).resolve().parents[2])  # the folder holding autograder/
    env = {
        **os.environ,
        "HOME": workdir,
        "TMPDIR": workdir,
        "PYTHONPATH": root,
        "MPLCONFIGDIR": os.path.join(workdir, ".matplotlib"),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", _CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=workdir,
        env=env,
        start_new_session=os.name == "posix",
    )
    started(process.pid)
    assert process.stdin and process.stdout and process.stderr
    reports: queue.Queue[bytes] = queue.Queue()
    output = _Output(request.limits["output_bytes"])
    threading.Thread(target=_read_reports, args=(process.stdout, reports), daemon=True).start()
    threading.Thread(target=output.drain, args=(process.stderr,), daemon=True).start()
    answers = []
    try:
        process.stdin.write(request.encode())
        for _ in request.cases:
            process.stdin.write(b"g\n")
            process.stdin.flush()
            answer = _case(reports, output, request, process)
            answers.append(answer)
            if answer.status in CHILD_STOPS or answer.status in ("timeout", "no_result"):
                break
    except OSError:  # the subprocess is gone: the case says how it ended
        answers.append(
            Answer("no_result", 0.0, output.take(), False, exit=f"exit {process.wait()}")
        )
    finally:
        _kill(process)
    return answers


def _case(
    reports: queue.Queue[bytes], output: _Output, request: Request, process: subprocess.Popen[bytes]
) -> Answer:
    started = time.monotonic()
    deadline = started + request.limits["time"] * STRETCH  # CPU: RLIMIT_CPU
    early = EarlyTraces(request.trace)
    try:
        line = _report_line(reports, deadline, early)
    except queue.Empty:
        _kill(process)
        seconds = round(time.monotonic() - started, 4)
        return Answer("timeout", seconds, output.take(), output.truncated, trace=early.kept)
    except Unreadable:  # an early line that breaks its schema (early.py)
        _kill(process)
        return Answer.unreadable(round(time.monotonic() - started, 4), output.take(), False)
    time.sleep(0.005)  # let the output written before the report arrive
    seconds = round(time.monotonic() - started, 4)
    if not line:
        exit_text = f"exit {process.wait()}"
        return Answer(
            "no_result", seconds, output.take(), output.truncated, exit=exit_text, trace=early.kept
        )
    try:
        shape = trace_shape(request.trace)
        report = Report.decode(line.rstrip(b"\n"), frozenset(request.quantities), shape)
    except Unreadable:
        _kill(process)
        return Answer.unreadable(seconds, output.take(), output.truncated)
    return Answer(
        report.status,
        seconds,
        output.take(),
        output.truncated,
        report.error,
        report.values,
        trace=report.trace,
    )


def _report_line(reports: queue.Queue[bytes], deadline: float, early: EarlyTraces) -> bytes:
    """The case's report line (b"": the subprocess ended), taking its early lines on the way;
    raises queue.Empty at the deadline, `Unreadable` for a broken early line."""
    while True:
        line = reports.get(timeout=max(0.0, deadline - time.monotonic()))
        if not (early.is_early(line) and line.endswith(b"\n")):
            return line
        early.take(line.rstrip(b"\n"))


class _Output:
    """The program's output for the current case, kept up to the cap, the rest discarded."""

    def __init__(self, cap: int) -> None:
        self.cap, self.kept, self.truncated = cap, bytearray(), False
        self.lock = threading.Lock()

    def drain(self, stream: IO[bytes]) -> None:
        while chunk := stream.read1(1 << 16):  # type: ignore[attr-defined]
            with self.lock:
                room = self.cap - len(self.kept)
                self.kept += chunk[:room]
                self.truncated |= len(chunk) > room

    def take(self) -> str:
        with self.lock:
            text = bytes(self.kept).decode("utf-8", "replace")
            self.kept, self.truncated = bytearray(), False
        return text


def _read_reports(stream: IO[bytes], reports: queue.Queue[bytes]) -> None:
    while True:
        line = stream.readline(MAX_REPORT_BYTES + 1)
        reports.put(line)
        if not line:
            return


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        if os.name == "posix":
            os.killpg(process.pid, 9)
        else:
            process.kill()
    process.wait()


def child() -> None:
    """The subprocess: read the request, set the limits there are, run each case on 'go'."""
    from autograder.run.execute import run_program

    control = os.fdopen(os.dup(0), "rb")
    reports = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # the program's input() fails at once instead of eating the control
    os.dup2(2, 1)  # the program's output goes to the output pipe
    sys.stdout = sys.stderr
    request = Request.decode(control.readline())
    _set_limits(request.limits, len(request.cases))
    for given in request.cases:
        if control.readline() != b"g\n":
            break
        report = run_program(request, given, lambda line: _send_line(reports, line))
        _send_line(reports, report.encode())
        if report.status in CHILD_STOPS:
            break
    os._exit(0)


def _send_line(reports: IO[bytes], line: bytes) -> None:
    reports.write(line)
    reports.flush()


def _set_limits(limits: dict[str, Any], cases: int) -> None:
    """The rlimits this system has (none on Windows); address space only where it holds."""
    try:
        import resource
    except ImportError:
        return
    wanted = [
        (resource.RLIMIT_CPU, (int(limits["time"]) + 1) * max(1, cases)),
        (resource.RLIMIT_FSIZE, limits["files_mb"] * 2**20),
    ]
    if sys.platform.startswith("linux"):  # elsewhere RLIMIT_AS is not enforced, or refused
        with open("/proc/self/status") as status:
            size = next(
                (int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")), 0
            )
        wanted.append((resource.RLIMIT_AS, size + limits["memory_mb"] * 2**20))
    for kind, value in wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(kind, (value, value))
