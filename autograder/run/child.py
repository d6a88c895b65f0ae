"""The case's child: the one process that runs a student's program (forked by the sandbox worker).

It confines itself (`confine.enter`: namespaces and the allow-list root, then limits, then
`confine.drop`: the unprivileged uid), and then, for each case of the job, waits for the worker's
go on the control pipe, runs the program in a fresh module namespace with that case's given
values, and writes one `Report` line: how the program ended and *descriptions* of the requested
values (`describe.describe`). Everything here after `drop` runs alongside the student's code and
may be patched by it, which is why the worker and the grader believe nothing it writes without
checking (`sandbox_protocol`).
"""

from __future__ import annotations

# The C functions under `signal`: its Python wrappers convert every handler to and from an enum,
# which in a freshly forked child copies the pages of the enum machinery (measured: ~0.3 ms of
# the child's CPU for four calls, against ~0.04 ms here).
import _signal  # type: ignore[import-not-found]
import contextlib
import fcntl
import io
import os
import resource
import sys
from typing import Any

from autograder.run import confine
from autograder.run.execute import reseed, run_program
from autograder.run.protocol import CHILD_STOPS, Report, Request

RESULT_FD, CONTROL_FD, HIGH_FD = 3, 4, 100


class CappedOutput(io.RawIOBase):
    """The program's stdout and stderr: bytes go to fd 1 up to the case's cap, the rest is
    dropped here, so a flood of prints costs no pipe writes (and no time limit). Until the cap
    the text layer above flushes every line (what a program printed before a crash is kept);
    once it is reached, sys.stdout and sys.stderr (while they are ours) become a buffered
    /dev/null until the next case, so each further print costs what printing to a file does."""

    def __init__(self, cap: int) -> None:
        self.cap, self.room = cap, cap
        self.text: io.TextIOWrapper | None = None
        self.sink: io.TextIOWrapper | None = None

    def writable(self) -> bool:
        return True

    def new_case(self) -> None:
        self.room = self.cap
        for name in ("stdout", "stderr"):
            if self.sink is not None and getattr(sys, name) is self.sink:
                setattr(sys, name, self.text)

    def write(self, data: Any) -> int:
        size = len(data)
        if self.room > 0:
            kept = bytes(data[: self.room])
            self.room -= len(kept)
            view = memoryview(kept)
            with contextlib.suppress(OSError):  # the worker stopped reading: just drop it
                while view:
                    view = view[os.write(1, view) :]
            if self.room <= 0:
                self._full()
        return size

    def _full(self) -> None:
        with contextlib.suppress(OSError):
            self.sink = self.sink or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        for name in ("stdout", "stderr"):
            if self.sink is not None and getattr(sys, name) is self.text:
                setattr(sys, name, self.sink)


def run(
    request: Request,
    plan: confine.Plan,
    own_pid_namespace: bool,
    workdir: str | None,
    pipes: tuple[int, int, int],
) -> None:
    """Confine this process, then for each case: wait for the go, run the program, report;
    exit without cleanup. Never returns."""
    out_w, res_w, go_r = pipes
    if min(pipes) <= CONTROL_FD:  # the worker raises them (`watch.above`): cheaper there
        out_w, res_w, go_r = (fcntl.fcntl(fd, fcntl.F_DUPFD, HIGH_FD) for fd in pipes)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    os.dup2(res_w, RESULT_FD)
    os.dup2(go_r, CONTROL_FD)
    os.closerange(CONTROL_FD + 1, 65536)
    for sig in (_signal.SIGPIPE, _signal.SIGINT, _signal.SIGTERM):
        _signal.signal(sig, _signal.SIG_DFL)
    _signal.signal(_signal.SIGXFSZ, _signal.SIG_IGN)  # an oversized write fails, not kills
    try:
        _confine(request, plan, own_pid_namespace, workdir)
    except OSError as error:  # fail closed: an unconfined program is not run at all
        _await_go()
        _report(
            Report(
                "sandbox_failure",
                {"type": "SandboxFailure", "message": f"confinement failed: {error}", "line": None},
                {},
            )
        )
        os._exit(0)
    output = CappedOutput(request.limits["output_bytes"])
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = sys.stderr = output.text = io.TextIOWrapper(
        io.BufferedWriter(output, 1 << 16), encoding="utf-8", errors="replace", line_buffering=True
    )
    with contextlib.suppress(Exception):  # no fresh seed is no reason to fail the cases
        reseed()
    child = os.getpid()
    for given in request.cases:
        if not _await_go():
            break
        output.new_case()
        report = run_program(request, given, _write)
        if os.getpid() != child:  # a copy the program forked got here too: only we report
            os._exit(0)
        _report(report)
        if report.status in CHILD_STOPS:
            break
    os._exit(0)


def _await_go() -> bool:
    """Block until the worker starts the next case (False: no more cases, or no worker)."""
    try:
        return os.read(CONTROL_FD, 1) == b"g"
    except OSError:
        return False


def _confine(
    request: Request, plan: confine.Plan, own_pid_namespace: bool, workdir: str | None
) -> None:
    """Namespaces and the allow-list root, working directory, limits, then the uid: in that
    order, because only the privileged process can do the first steps and nothing may come after
    the last one but the student's program."""
    limits = {**request.limits, "cases": len(request.cases)}
    address_space = _vm_size() + limits["memory_mb"] * 2**20  # /proc is gone after the switch
    entered = confine.enter(
        plan, request.files, request.hide_paths, limits["files_mb"], own_pid_namespace
    )
    workdir = entered or workdir
    assert workdir is not None
    os.chdir(workdir)
    # one by one: `update` goes through the Mapping ABC's machinery, pages a fresh child copies
    os.environ["HOME"] = os.environ["TMPDIR"] = workdir
    os.environ["MPLCONFIGDIR"] = f"{workdir}/.matplotlib"
    if workdir not in sys.path:  # the given files lie beside the program, as for the student
        sys.path.insert(0, workdir)
    _set_limits(limits, address_space)
    confine.drop(plan)


def _report(report: Report) -> None:
    """Write one case's report line for the worker (JSON never contains a raw newline)."""
    _write(report.encode())


def _write(line: bytes) -> None:
    """One line on the result channel: a report, or a trace point's early line (`early.py`)."""
    view = memoryview(line)
    with contextlib.suppress(OSError):  # the channel was closed (by the program): no report
        while view:
            view = view[os.write(RESULT_FD, view) :]


def _set_limits(limits: dict[str, Any], address_space: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    cpu = (int(limits["time"]) + 1) * max(1, limits.get("cases", 1))  # counted over all cases
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    files = limits["files_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (files, files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Counted per uid, not enforced for root: effective once `confine.drop` switched uid.
    processes = limits.get("processes", 32)
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _vm_size() -> int:
    """This process's address space in bytes: the first number of /proc/self/statm (pages),
    read with one raw read: a text file object here costs the freshly forked child ~0.4 ms of
    copied pages (measured), for one number."""
    fd = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
    try:
        return int(os.read(fd, 200).split(maxsplit=1)[0]) * _PAGE
    finally:
        os.close(fd)
