"""The watching side of the sandbox worker: one job's child, seen from outside.

`run_job` forks the case's child (`child.run`), starts its cases one at a time with a
byte on the control pipe, and gives each its own deadline and output. It reads the child's
report line with `Report.decode` (a strict, bounded reader: the child runs student code), kills
the child at a deadline or after an unreadable report (SIGKILL: nothing to ignore), and answers
with one `Answer` per case. The child is PID 1 of its own PID namespace where the machine allows
it, so its death takes every process it started with it; besides, the worker is a child
subreaper and sweeps /proc for anything left below it. The child's pid is told to the grader
as soon as it exists (`started`), so that if the worker itself dies in the middle of a job the
grader kills the child, and with it the namespace, through a pidfd.

Somewhat over ~300 lines, one job: one child's life seen from outside (its cases, deadlines,
output, early traces, kills and the sweep of what it left) reads as one story.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import select
import signal
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import replace

from autograder.run import child as _sandbox_child
from autograder.run import confine
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

F_SETPIPE_SZ = 1031
_PIPE_BYTES = 1 << 20
#: Longest the output pipe goes unread while a case runs (`Watch._glance_at_output`), seconds.
_GLANCE = 0.025
_TICKS = os.sysconf("SC_CLK_TCK")


def run_job(
    request: Request,
    plan: confine.Plan,
    pids: confine.PidNamespaces | None,
    started: Callable[[int], None],
) -> tuple[list[Answer], Callable[[], None]]:
    """Fork one child for `request`, let it run the cases one by one, each under its own
    deadline; stop at the first case after which the rest could only fail alike. A case stopped
    for time (or killed) after it was seen inside its training loop (`early.py`) is a slow
    program, not a stuck one, and the later cases are smaller: they run on in a fresh child,
    once the stopped one and all it left are gone. Returns the answers and the clean-up (kill,
    reap, sweep), which must run before the next job."""
    workdir = None if plan.namespaces else _fallback_workdir(plan, request.files)
    answers: list[Answer] = []
    while True:
        rest = replace(request, cases=request.cases[len(answers) :])
        more, clean_child = _one_child(rest, plan, pids, workdir, started)
        answers += more
        if len(answers) >= len(request.cases) or not seen_then_stopped(answers[-1]):
            break
        clean_child()

    def clean_up() -> None:  # reaping a killed tree takes milliseconds the grader need not wait
        clean_child()
        if workdir:
            import shutil  # only without namespaces (`_fallback_workdir`)

            shutil.rmtree(workdir, ignore_errors=True)

    return answers, clean_up


def _one_child(
    request: Request,
    plan: confine.Plan,
    pids: confine.PidNamespaces | None,
    workdir: str | None,
    started: Callable[[int], None],
) -> tuple[list[Answer], Callable[[], None]]:
    """One child for the cases of `request`, until one ends them; killed before it returns."""
    out_r, out_w = os.pipe()
    res_r, res_w = os.pipe()
    go_r, go_w = os.pipe()
    out_w, res_w, go_r = above(out_w), above(res_w), above(go_r)
    with contextlib.suppress(OSError):  # fewer wake-ups for a flood of output
        fcntl.fcntl(out_r, F_SETPIPE_SZ, _PIPE_BYTES)
    pid = pids.fork() if pids else os.fork()
    if pid == 0:  # the child: never returns
        try:
            _sandbox_child.run(request, plan, pids is not None, workdir, (out_w, res_w, go_r))
        finally:
            os._exit(70)
    started(pid)
    for fd in (out_w, res_w, go_r):
        os.close(fd)
    watch = Watch(pid, out_r, res_r, request)
    answers = []
    for _ in request.cases:
        watch.forget_early_results()
        with contextlib.suppress(BrokenPipeError):  # the child is gone: Watch says how it ended
            os.write(go_w, b"g")
        answer = watch.case()
        answers.append(answer)
        if answer.status in CHILD_STOPS or answer.status in ("timeout", "no_result"):
            break
    os.close(go_w)
    watch.kill()  # before the answer: no process of the submission runs once results exist

    def clean_up() -> None:
        watch.finish()
        kill_descendants()
        for fd in (out_r, res_r):
            os.close(fd)

    return answers, clean_up


def above(fd: int) -> int:
    """`fd` moved above the descriptors the child gives them (`child.HIGH_FD`): done here, so
    that the freshly forked child, where each first call copies pages, need not."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, _sandbox_child.HIGH_FD)
    os.close(fd)
    return high


def _fallback_workdir(plan: confine.Plan, files: list[str]) -> str:
    """Without a mount namespace: a fresh directory of the case's own (its uid's, when we
    switch uid; the sandbox's home above it is traversable for that reason), holding copies
    of the given files."""
    # imported here, not with the module: tempfile brings `random` (reseeded at every fork)
    # and shutil brings bz2 and lzma (libraries every fork copies and every exit unmaps);
    # only this fallback uses them (measured, a `pass` job: ~0.5 ms less CPU per child,
    # ~0.3 ms less in the worker)
    import shutil
    import tempfile

    workdir = tempfile.mkdtemp(prefix="gdlab-case-")
    for path in files:
        with contextlib.suppress(OSError):
            shutil.copy(path, workdir)
    if plan.uid is not None:
        os.chown(workdir, plan.uid, plan.uid)
    return workdir


class Watch:
    """The worker's view of one child: output and report lines, case by case, with deadlines."""

    def __init__(self, pid: int, out_r: int, res_r: int, request: Request) -> None:
        self.pid, self.out_r, self.res_r = pid, out_r, res_r
        self.limits = request.limits
        self.quantities = frozenset(request.quantities)
        self.trace_shape = trace_shape(request.trace)
        self.points = request.trace
        for fd in (out_r, res_r):
            os.set_blocking(fd, False)
        self.pidfd = os.pidfd_open(pid)
        # epoll itself rather than `selectors`: its bookkeeping, per wake-up of every case,
        # cost the worker a measurable share of its CPU per job; any event (data, hang-up,
        # error) on a pipe means "read it", as `selectors` reads it. The output pipe is not
        # watched until the program floods it (`_glance_at_output`).
        self.poller = select.epoll(3)
        self.watched = {res_r, self.pidfd}
        for fd in self.watched:
            self.poller.register(fd, select.EPOLLIN)
        self._stat = _open_stat(pid)  # kept open: read once per case (`_cpu`)
        self.results = bytearray()
        self.scanned = 0  # bytes of `results` known to hold no newline: the scan stays linear
        self.exited = False
        self.status: int | None = None

    def _line_end(self) -> int:
        end = self.results.find(b"\n", self.scanned)
        self.scanned = len(self.results) if end < 0 else end
        return end

    def case(self) -> Answer:
        """Wait for the current case's report line, the child's end, or the case's deadline;
        an early line that breaks its schema (`early.py`) makes the case unreadable at once."""
        started = time.monotonic()
        output = bytearray()
        try:
            return self._case(started, output, EarlyTraces(self.points))
        except Unreadable:  # whatever it does next is not read
            self._kill()
            room = self.limits["output_bytes"]
            output += drain(self.out_r, room - len(output))[0]
            text = bytes(output[:room]).decode("utf-8", "replace")
            seconds = round(time.monotonic() - started, 4)
            return Answer.unreadable(seconds, text, len(output) >= room)

    def _case(self, started: float, output: bytearray, early: EarlyTraces) -> Answer:  # noqa: C901 - one case's life, read top to bottom: its branches are its outcomes
        limit = self.limits["time"]
        deadline, latest = started + limit, started + limit * STRETCH
        cpu_at_start = self._cpu()
        room = self.limits["output_bytes"]
        timed_out = False
        while self._report_end(early) < 0 and not self.exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:  # out of wall time: has it had its CPU time yet?
                used = self._cpu() - cpu_at_start
                unused = limit - used if math.isfinite(used) else 0.0  # unknown: no stretching
                deadline = min(latest, time.monotonic() + unused)
                if unused <= 0.01 or deadline - time.monotonic() <= 0:
                    timed_out = True
                    break
                continue
            flooding = self.out_r in self.watched
            for fd, _ in self.poller.poll(remaining if flooding else min(remaining, _GLANCE)):
                if fd == self.pidfd:
                    self.exited = True
                elif fd == self.out_r:
                    output += self._read(self.out_r, room - len(output))
                else:  # one byte over the bound is enough to know the report is too long
                    self.results += self._read(self.res_r, MAX_REPORT_BYTES + 1 - len(self.results))
            if not flooding:
                self._glance_at_output(output, room)
            if len(self.results) > MAX_REPORT_BYTES:
                break
        if timed_out:
            self._kill()
        elif self.exited:
            self.results += drain(self.res_r, MAX_REPORT_BYTES + 1 - len(self.results))[0]
        output += drain(self.out_r, room - len(output))[0]  # written before its report line
        seconds = round(time.monotonic() - started, 4)
        text = bytes(output[:room]).decode("utf-8", "replace")
        truncated = len(output) >= room
        if timed_out:  # the trace points it completed before the kill are kept (early.py)
            return Answer("timeout", seconds, text, truncated, trace=early.kept)
        end = self._report_end(early)
        if end < 0 and self.exited and self.results:  # the child's last words need no newline
            end = len(self.results)
        if end < 0 and not self.exited:  # over the bound before any newline
            self._kill()
            return Answer.unreadable(seconds, text, truncated)
        if end < 0:
            exit_text = self._exit_text()
            return Answer("no_result", seconds, text, truncated, exit=exit_text, trace=early.kept)
        line = bytes(self.results[:end])
        del self.results[: end + 1]
        self.scanned = 0
        try:
            report = Report.decode(line, self.quantities, self.trace_shape)
        except Unreadable:
            self._kill()  # whatever it does next, its result is not read
            return Answer.unreadable(seconds, text, truncated)
        return Answer(
            report.status, seconds, text, truncated, report.error, report.values, trace=report.trace
        )

    def _report_end(self, early: EarlyTraces) -> int:
        """Where the case's report line ends in what it has written (-1: not yet); the early
        lines before it are checked and kept on the way (`early.py`; raises `Unreadable`)."""
        while (end := self._line_end()) >= 0 and early.is_early(self.results[:end]):
            early.take(bytes(self.results[:end]))
            del self.results[: end + 1]
            self.scanned = 0
        return end

    def _cpu(self) -> float:
        """CPU seconds the child has used so far (its threads, and children it reaped); no
        stretching when /proc cannot say. One pread of the file opened with the child: an
        open, a file object and a close per case cost more than the read."""
        try:
            if self._stat is None:
                raise OSError("no stat")
            fields = os.pread(self._stat, 4096, 0).rsplit(b")", 1)[1].split()
            return sum(int(f) for f in fields[11:15]) / _TICKS
        except (OSError, IndexError, ValueError):
            return float("inf")

    def forget_early_results(self) -> None:
        """A case's report comes after its go: anything written before it (extra lines a
        program forged earlier) is nobody's report."""
        self.results = bytearray()
        self.scanned = 0
        drain(self.res_r, 0)

    def _glance_at_output(self, output: bytearray, room: int) -> None:
        """Read what the program printed so far, at each wake-up and at least every `_GLANCE`
        seconds: its prints then cost the worker no wake-up each (a case's six lines were
        six wake-ups, ~1 ms of the worker's CPU per job, measured), and what it printed stays
        in the order it was printed, before its report. A program that fills a quarter of the
        pipe in between (a flood straight to fd 1, past the print cap) is read as it writes
        from then on, so that it is never kept waiting for us."""
        if _pending(self.out_r) >= _PIPE_BYTES // 4:
            self.poller.register(self.out_r, select.EPOLLIN)
            self.watched.add(self.out_r)
        output += self._read(self.out_r, room - len(output))

    def _read(self, fd: int, room: int) -> bytes:
        chunk, eof = drain(fd, room)
        if eof and fd in self.watched:
            self.poller.unregister(fd)
            self.watched.discard(fd)
        return chunk

    def kill(self) -> None:
        """SIGKILL the child, PID 1 of its namespace: the kernel kills everything in it, and
        none of it runs another instruction of its own."""
        if self.status is None:
            self._kill()

    def _kill(self) -> None:
        kill_group(self.pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)  # PID 1 of its namespace: this kills all of it

    def _exit_text(self) -> str:
        self.finish(kill=False)
        return exit_text(self.status) if self.status is not None else "unknown"

    def finish(self, kill: bool = True) -> None:
        """End the child (it is waiting for a case that will not come) and reap it."""
        if self.status is None:
            if kill and not self.exited:
                self._kill()
            _, self.status = os.waitpid(self.pid, 0)
            self.poller.close()
            os.close(self.pidfd)
            if self._stat is not None:
                os.close(self._stat)


def _open_stat(pid: int) -> int | None:
    """/proc/PID/stat of the child, held open: it names that process even after its number is
    reused (reads fail once it is gone); None when /proc cannot say."""
    try:
        return os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


def _pending(fd: int) -> int:
    """Bytes waiting in a pipe (0 when the system cannot say)."""
    try:
        return int.from_bytes(
            fcntl.ioctl(fd, termios.FIONREAD, bytes(4)), sys.byteorder, signed=True
        )
    except OSError:
        return 0


def drain(fd: int, room: int) -> tuple[bytes, bool]:
    """Read what is there now; keep at most `room` bytes, discard the rest (output cap)."""
    kept = bytearray()
    while True:
        try:
            chunk = os.read(fd, _PIPE_BYTES)
        except BlockingIOError:
            return bytes(kept), False
        if not chunk:
            return bytes(kept), True
        if room - len(kept) > 0:
            kept += chunk[: room - len(kept)]


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def kill_descendants() -> None:
    """SIGKILL every process left below us (orphans are re-parented to us) and reap them."""
    me = os.getpid()
    for _ in range(1000):
        children = _children_of(me)
        if not children:
            return
        for child in children:
            kill_group(child)
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        reap()
        time.sleep(0.001)


def _children_of(parent: int) -> list[int]:
    """Live children of `parent`: from /proc/PID/task/*/children where the kernel has it (fast),
    else by reading every process's parent from /proc."""
    reap()
    try:
        tasks = os.listdir(f"/proc/{parent}/task")
        listed = [_read(f"/proc/{parent}/task/{task}/children") for task in tasks]
    except OSError:
        return _children_by_scan(parent)
    return [int(pid) for text in listed for pid in text.split()]


def _children_by_scan(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _read(f"/proc/{entry}/stat").rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(entry))
    return found


def _read(path: str) -> str:
    """A small /proc file's text, by raw reads (a text file object costs more than the read:
    this runs after every job)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("ascii", "replace")


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def exit_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return f"exit {os.waitstatus_to_exitcode(status)}"
