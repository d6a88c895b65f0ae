"""The case's child: the one process that runs a student's program (forked by the sandbox worker).

It confines itself (`confine.enter`: namespaces and the allow-list root, then limits, then
`confine.drop`: the unprivileged uid), and then, for each case of the job, waits for the worker's
go on the control pipe, runs the program in a fresh module namespace with that case's given
values, and writes one `Report` line: how the program ended and *descriptions* of the requested
values (`values.describe`). Everything here after `drop` runs alongside the student's code and
may be patched by it, which is why the worker and the grader believe nothing it writes without
checking (`sandbox_protocol`).
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import io
import os
import resource
import signal
import sys
import traceback
from typing import Any

import numpy  # forked warm from the worker

from autograder import confine
from autograder.program import GIVEN_NAME, GivenNotFound, compile_program
from autograder.sandbox_protocol import CHILD_STOPS, Report, Request
from autograder.values import describe, given_from_plain

RESULT_FD, CONTROL_FD, HIGH_FD = 3, 4, 100


class CappedOutput(io.RawIOBase):
    """The program's stdout and stderr: bytes go to fd 1 up to the case's cap, the rest is
    counted and dropped here, so a flood of prints costs no pipe writes (and no time limit)."""

    def __init__(self, cap: int) -> None:
        self.cap, self.room = cap, cap

    def writable(self) -> bool:
        return True

    def new_case(self) -> None:
        self.room = self.cap

    def write(self, data: Any) -> int:
        size = len(data)
        if self.room > 0:
            kept = bytes(data[: self.room])
            self.room -= len(kept)
            view = memoryview(kept)
            with contextlib.suppress(OSError):  # the worker stopped reading: just drop it
                while view:
                    view = view[os.write(1, view):]
        return size


def run(request: Request, plan: confine.Plan, own_pid_namespace: bool, workdir: str | None,
        pipes: tuple[int, int, int]) -> None:
    """Confine this process, then for each case: wait for the go, run the program, report;
    exit without cleanup. Never returns."""
    out_w, res_w, go_r = (fcntl.fcntl(fd, fcntl.F_DUPFD, HIGH_FD) for fd in pipes)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    os.dup2(res_w, RESULT_FD)
    os.dup2(go_r, CONTROL_FD)
    os.closerange(CONTROL_FD + 1, 65536)
    for sig in (signal.SIGPIPE, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails instead of killing
    try:
        _confine(request, plan, own_pid_namespace, workdir)
    except OSError as error:  # fail closed: an unconfined program is not run at all
        _await_go()
        _report(Report("sandbox_failure", {"type": "SandboxFailure",
                                           "message": f"confinement failed: {error}",
                                           "line": None}, {}))
        os._exit(0)
    output = CappedOutput(request.limits["output_bytes"])
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(output, 1 << 16), encoding="utf-8", errors="replace",
        line_buffering=True)
    child = os.getpid()
    for given in request.cases:
        if not _await_go():
            break
        output.new_case()
        report = _run_program(request, given)
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


def _confine(request: Request, plan: confine.Plan, own_pid_namespace: bool,
             workdir: str | None) -> None:
    """Namespaces and the allow-list root, working directory, limits, then the uid: in that
    order, because only the privileged process can do the first steps and nothing may come after
    the last one but the student's program."""
    limits = {**request.limits, "cases": len(request.cases)}
    address_space = _vm_size() + limits["memory_mb"] * 2**20  # /proc is gone after the switch
    entered = confine.enter(plan, request.files, request.hide_paths, limits["files_mb"],
                            own_pid_namespace)
    workdir = entered or workdir
    assert workdir is not None
    os.chdir(workdir)
    os.environ.update(HOME=workdir, TMPDIR=workdir, MPLCONFIGDIR=f"{workdir}/.matplotlib")
    if workdir not in sys.path:  # the given files lie beside the program, as for the student
        sys.path.insert(0, workdir)
    _set_limits(limits, address_space)
    confine.drop(plan)


def _report(report: Report) -> None:
    """Write one case's report line for the worker (JSON never contains a raw newline)."""
    view = memoryview(report.encode())
    with contextlib.suppress(OSError):  # the channel was closed (by the program): no report
        while view:
            view = view[os.write(RESULT_FD, view):]


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


def _vm_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


#: The child's compiled program per set of injected names (one child runs one job).
_compiled: dict[tuple[str, ...] | None, Any] = {}


def _run_program(request: Request, given: dict[str, Any] | None) -> Report:
    """Compile with the given values injected, run, and describe the requested quantities."""
    filename = request.filename
    try:
        names = None if given is None else tuple(given)
        if names not in _compiled:  # the hidden cases share their names: compile once for all
            _compiled[names] = compile_program(request.source, filename, names)
        code = _compiled[names]
    except SyntaxError as error:
        return Report("syntax_error", _error_info(error, filename, error.lineno), {})
    except GivenNotFound as error:
        return Report("given_missing", {"type": "GivenNotFound", "message": str(error),
                                        "line": None}, {})
    except (ValueError, RecursionError, MemoryError) as error:
        return Report("syntax_error", _error_info(error, filename, None), {})
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__file__": filename,
        "__builtins__": dict(builtins.__dict__),
    }
    if given is not None:
        namespace[GIVEN_NAME] = {name: given_from_plain(v) for name, v in given.items()}
    pristine = [(vars(module), dict(vars(module))) for module in (builtins, numpy)]
    ending: BaseException | None = None
    try:
        exec(code, namespace)
    except BaseException as failure:
        ending = failure
    for live, saved in pristine:  # undo the program's patches before we read its values
        live.update(saved)
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
    status, error = _ending(ending, filename)
    values = {name: _describe_quantity(namespace, expr)
              for name, expr in request.quantities.items()}
    return Report(status, error, values)


def _ending(failure: BaseException | None, filename: str) -> tuple[str, dict[str, Any] | None]:
    """How the program ended: finished, exited (sys.exit) or raised, with where and why."""
    if failure is None:
        return "finished", None
    if isinstance(failure, SystemExit):
        code = _text(lambda: repr(failure.code))
        return "exited", {"type": "SystemExit", "message": f"sys.exit({code})"[:300],
                          "line": _line_in(failure, filename)}
    return "raised", _error_info(failure, filename, _line_in(failure, filename))


def _describe_quantity(namespace: dict[str, Any], expr: str) -> dict[str, Any]:
    try:
        if expr.isidentifier():
            if expr not in namespace:
                return {"kind": "missing", "type": "-"}
            return describe(namespace[expr])
        return describe(eval(expr, namespace))
    except BaseException as failure:
        return {"kind": "object", "type": f"error: {type(failure).__name__}"}


def _line_in(failure: BaseException, filename: str) -> int | None:
    line = None
    for frame in traceback.extract_tb(failure.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def _text(make: Any) -> str:
    """The program's own __str__ or __repr__ may raise or lie about its type; never let it stop
    the report."""
    try:
        text = make()
    except BaseException:
        return "?"
    return text if type(text) is str else "?"


def _error_info(failure: BaseException, filename: str, line: int | None) -> dict[str, Any]:
    message = _text(lambda: str(failure))
    if isinstance(failure, MemoryError):
        message = "memory limit exceeded"
    if isinstance(failure, SyntaxError):
        message = failure.msg
    line = line if type(line) is int and line > 0 else None
    return {"type": type(failure).__name__, "message": message[:300], "line": line}
