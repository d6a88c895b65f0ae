"""The sandbox worker: the only gdlab code that shares a process tree with student code.

It is started once per `Sandbox`, imports numpy once (so every case starts numpy-warm), learns
what confinement the machine allows (`confine.probe`, reported in a first JSON line), then for
each job read from stdin forks a fresh child. The child takes its own namespaces, filesystem view,
session, resource limits and (as root) an unprivileged uid, then runs the student's program once
per case of the job — one case at a time, each started by a byte on a control pipe, each in a
fresh module namespace — and after each writes back *descriptions* of the requested values (see
`values.describe`). Confining once per submission rather than once per case is what makes a
class of hundreds fast; the cases of one submission are the same student's, and nothing the
child holds (given values only, never an expected value) is worth hiding between them. The
worker itself never runs student code: it watches the child from outside, gives each case its
own deadline and output, kills the child at a deadline (SIGKILL: nothing to ignore), and answers
with one JSON line per job. The child is PID 1 of its own PID namespace where
the machine allows it, so its death takes every process it started with it; besides, the worker
is a child subreaper and sweeps /proc for anything left below it.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import fcntl
import io
import json
import os
import resource
import selectors
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy  # warm: every forked case starts with numpy imported

from autograder import confine, trace
from autograder.program import GIVEN_NAME, GivenNotFound, compile_program
from autograder.values import describe, given_from_plain

PR_SET_CHILD_SUBREAPER = 36
RESULT_FD, CONTROL_FD, HIGH_FD = 3, 4, 100
MAX_RESULT_BYTES = 32 * 2**20
#: What the child may say about how the program ended; anything else is not believed.
CHILD_STATUSES = {"finished", "exited", "raised", "syntax_error", "given_missing",
                  "sandbox_failure"}
#: After these, the remaining cases would fail alike: the child stops (compile-time problems) or
#: the worker does (the child is gone or was killed).
CHILD_STOPS = {"syntax_error", "given_missing", "sandbox_failure"}


def main() -> None:
    """Serve jobs until stdin closes; the protocol channel is kept away from fds 0-2."""
    protocol_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    _become_subreaper()
    pids = confine.PidNamespaces.open()
    plan = confine.probe(pids.fork if pids else os.fork)
    hello = {"confinement": plan.summary(pid_namespace=pids is not None)}
    protocol_out.write(json.dumps(hello).encode() + b"\n")
    protocol_out.flush()
    for line in sys.stdin.buffer:
        job = json.loads(line)
        answer, clean_up = run_job(job, plan, pids)
        protocol_out.write(json.dumps(answer).encode() + b"\n")
        protocol_out.flush()
        clean_up()  # the child's exit and teardown cost the grader no waiting; the next job
        # is read only after everything this one started is gone


def _become_subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the group kill still applies
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


# --- the watching side -------------------------------------------------------------------------

def run_job(job: dict[str, Any], plan: confine.Plan, pids: confine.PidNamespaces | None
            ) -> tuple[dict[str, Any], Callable[[], None]]:
    """Fork one child for `job`, let it run the cases one by one, each under its own deadline;
    stop at the first case after which the rest could only fail alike. Returns the answer and
    the clean-up (kill, reap, sweep), which must run before the next job."""
    limits = job["limits"]
    workdir = None if plan.namespaces else _fallback_workdir(plan)
    out_r, out_w = os.pipe()
    res_r, res_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = pids.fork() if pids else os.fork()
    if pid == 0:  # the child: never returns
        try:
            _child(job, plan, pids is not None, workdir, out_w, res_w, go_r)
        finally:
            os._exit(70)
    for fd in (out_w, res_w, go_r):
        os.close(fd)
    watch = _Watch(pid, out_r, res_r, limits)
    runs = []
    for _ in job["cases"]:
        watch.forget_early_results()
        with contextlib.suppress(BrokenPipeError):  # the child is gone: _Watch says how it ended
            os.write(go_w, b"g")
        answer = watch.case()
        runs.append(answer)
        if answer["status"] in CHILD_STOPS or answer["status"] in ("timeout", "no_result"):
            break
    os.close(go_w)
    watch.kill()  # before the answer: no process of the submission runs once results exist

    def clean_up() -> None:  # reaping a killed tree takes milliseconds the grader need not wait
        watch.finish()
        _kill_descendants()
        for fd in (out_r, res_r):
            os.close(fd)
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    return {"runs": runs}, clean_up


def _fallback_workdir(plan: confine.Plan) -> str:
    """Without a mount namespace: a fresh directory of the case's own (its uid's, when we
    switch uid; the sandbox's home above it is traversable for that reason)."""
    workdir = tempfile.mkdtemp(prefix="gdlab-case-")
    if plan.uid is not None:
        os.chown(workdir, plan.uid, plan.uid)
    return workdir


class _Watch:
    """The worker's view of one child: output and result lines, case by case, with deadlines."""

    def __init__(self, pid: int, out_r: int, res_r: int, limits: dict[str, Any]) -> None:
        self.pid, self.out_r, self.res_r, self.limits = pid, out_r, res_r, limits
        for fd in (out_r, res_r):
            os.set_blocking(fd, False)
        self.pidfd = os.pidfd_open(pid)
        self.selector = selectors.DefaultSelector()
        self.selector.register(out_r, selectors.EVENT_READ, "out")
        self.selector.register(res_r, selectors.EVENT_READ, "res")
        self.selector.register(self.pidfd, selectors.EVENT_READ, "exit")
        self.results = bytearray()
        self.exited = False
        self.status: int | None = None

    def case(self) -> dict[str, Any]:
        """Wait for the current case's result line, the child's end, or the case's deadline."""
        started = time.monotonic()
        deadline = started + self.limits["time"]
        room = self.limits["output_bytes"]
        output = bytearray()
        timed_out = False
        while b"\n" not in self.results and not self.exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in self.selector.select(remaining):
                if key.data == "exit":
                    self.exited = True
                elif key.data == "out":
                    output += self._read(self.out_r, room - len(output))
                else:
                    self.results += self._read(self.res_r, MAX_RESULT_BYTES - len(self.results))
        if timed_out:
            self._kill()
        elif self.exited:
            self.results += _drain(self.res_r, MAX_RESULT_BYTES - len(self.results))[0]
        output += _drain(self.out_r, room - len(output))[0]  # written before its result line
        answer: dict[str, Any] = {
            "seconds": round(time.monotonic() - started, 4),
            "output": bytes(output[:room]).decode("utf-8", "replace"),
            "output_truncated": len(output) >= room,
        }
        if timed_out:
            return {**answer, "status": "timeout"}
        line, found, rest = bytes(self.results).partition(b"\n")
        self.results = bytearray(rest)
        if not found and self.exited:  # the child's last words need no newline
            found = bool(line)
        body = _parse(line) if found else None
        if body is None:
            return {**answer, "status": "no_result", "exit": self._exit_text()}
        return {**answer, **{key: body.get(key) for key in ("status", "error", "values", "trace")}}

    def forget_early_results(self) -> None:
        """A case's result comes after its go: anything written before it (extra lines a
        program forged earlier) is nobody's result."""
        self.results = bytearray()
        _drain(self.res_r, 0)

    def _read(self, fd: int, room: int) -> bytes:
        chunk, eof = _drain(fd, room)
        if eof:
            self.selector.unregister(fd)
        return chunk

    def kill(self) -> None:
        """SIGKILL the child, PID 1 of its namespace: the kernel kills everything in it, and
        none of it runs another instruction of its own."""
        if self.status is None:
            self._kill()

    def _kill(self) -> None:
        _kill_group(self.pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)  # PID 1 of its namespace: this kills all of it

    def _exit_text(self) -> str:
        self.finish(kill=False)
        return _exit_text(self.status) if self.status is not None else "unknown"

    def finish(self, kill: bool = True) -> None:
        """End the child (it is waiting for a case that will not come) and reap it."""
        if self.status is None:
            if kill and not self.exited:
                self._kill()
            _, self.status = os.waitpid(self.pid, 0)
            self.selector.close()
            os.close(self.pidfd)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(line)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("status") not in CHILD_STATUSES:
        return None
    return body


def _drain(fd: int, room: int) -> tuple[bytes, bool]:
    """Read what is there now; keep at most `room` bytes, discard the rest (output cap)."""
    kept = bytearray()
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return bytes(kept), False
        if not chunk:
            return bytes(kept), True
        if room - len(kept) > 0:
            kept += chunk[: room - len(kept)]


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _kill_descendants() -> None:
    """SIGKILL every process left below us (orphans are re-parented to us) and reap them."""
    me = os.getpid()
    for _ in range(1000):
        children = _children_of(me)
        if not children:
            return
        for child in children:
            _kill_group(child)
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        _reap()
        time.sleep(0.001)


def _children_of(parent: int) -> list[int]:
    """Live children of `parent`: from /proc/PID/task/*/children where the kernel has it (fast),
    else by reading every process's parent from /proc."""
    _reap()
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
    with open(path, encoding="ascii", errors="replace") as file:
        return file.read()


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _exit_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return f"exit {os.waitstatus_to_exitcode(status)}"


# --- the child's side --------------------------------------------------------------------------

def _child(job: dict[str, Any], plan: confine.Plan, own_pid_namespace: bool,
           workdir: str | None, out_w: int, res_w: int, go_r: int) -> None:
    """Confine this process, then for each case: wait for the go, run the program, describe the
    values; exit without cleanup."""
    out_w, res_w, go_r = (fcntl.fcntl(fd, fcntl.F_DUPFD, HIGH_FD) for fd in (out_w, res_w, go_r))
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
        _confine(job, plan, own_pid_namespace, workdir)
    except OSError as error:  # fail closed: an unconfined program is not run at all
        _await_go()
        _report({"status": "sandbox_failure", "error": {
            "type": "SandboxFailure", "message": f"confinement failed: {error}", "line": None}})
        os._exit(0)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = sys.stderr = io.TextIOWrapper(
        open(1, "wb", buffering=0, closefd=False), encoding="utf-8",  # noqa: SIM115
        errors="replace", line_buffering=True, write_through=True)
    child = os.getpid()
    for given in job["cases"]:
        if not _await_go():
            break
        body = _run_program(job, given)
        if os.getpid() != child:  # a copy the program forked got here too: only we report
            os._exit(0)
        _report(body)
        if body["status"] in CHILD_STOPS:
            break
    os._exit(0)


def _await_go() -> bool:
    """Block until the worker starts the next case (False: no more cases)."""
    try:
        return os.read(CONTROL_FD, 1) == b"g"
    except OSError:
        return False


def _confine(job: dict[str, Any], plan: confine.Plan, own_pid_namespace: bool,
             workdir: str | None) -> None:
    """Namespaces and filesystem view, working directory, limits, then the uid: in that order,
    because only the privileged process can do the first steps and nothing may come after the
    last one but the student's program."""
    limits = {**job["limits"], "cases": len(job["cases"])}
    workdir = confine.enter(plan, job.get("hide_paths", []), limits["files_mb"],
                            own_pid_namespace) or workdir
    assert workdir is not None
    os.chdir(workdir)
    os.environ.update(HOME=workdir, TMPDIR=workdir)
    _set_limits(limits)
    confine.drop(plan)


def _report(body: dict[str, Any]) -> None:
    """Write one case's result line for the worker (JSON never contains a raw newline)."""
    view = memoryview(json.dumps(body).encode() + b"\n")
    while view:
        view = view[os.write(RESULT_FD, view):]


def _set_limits(limits: dict[str, Any]) -> None:
    mb = 2**20
    address_space = _vm_size() + limits["memory_mb"] * mb
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    cpu = (int(limits["time"]) + 1) * max(1, limits.get("cases", 1))  # counted over all cases
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    files = limits["files_mb"] * mb
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


def _run_program(job: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any]:
    """Compile with the given values injected, run, and describe the requested quantities."""
    filename = job["filename"]
    try:
        names = None if given is None else tuple(given)
        points = [trace.Point.from_plain(p) for p in job.get("trace", [])]
        if names not in _compiled:  # the hidden cases share their names: compile once for all
            _compiled[names] = compile_program(job["source"], filename, names,
                                               lambda tree: trace.instrument(tree, points))
        code = _compiled[names]
    except SyntaxError as error:
        return {"status": "syntax_error", "error": _error_info(error, filename, error.lineno)}
    except GivenNotFound as error:
        return {"status": "given_missing", "error": {"type": "GivenNotFound",
                                                     "message": str(error), "line": None}}
    except (ValueError, RecursionError, MemoryError) as error:
        return {"status": "syntax_error", "error": _error_info(error, filename, None)}
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__file__": filename,
        "__builtins__": dict(builtins.__dict__),
    }
    if given is not None:
        namespace[GIVEN_NAME] = {name: given_from_plain(v) for name, v in given.items()}
    recorder = trace.Recorder(points, trace.budgeted(describe))
    recorder.install(namespace)
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
    values = {name: _describe_quantity(namespace, expr) for name, expr in job["quantities"].items()}
    return {"status": status, "error": error, "values": values, "trace": recorder.plain()}


def _ending(failure: BaseException | None, filename: str) -> tuple[str, dict[str, Any] | None]:
    """How the program ended: finished, exited (sys.exit) or raised, with where and why."""
    if failure is None:
        return "finished", None
    if isinstance(failure, SystemExit):
        code = _text(lambda: repr(failure.code))
        return "exited", {"type": "SystemExit", "message": f"sys.exit({code})",
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
    return {"type": type(failure).__name__, "message": message[:300], "line": line}


if __name__ == "__main__":
    main()
