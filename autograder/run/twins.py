"""A batch's workers booted once: the first forks the others as soon as it has imported numpy.

`gdlab grade` runs one sandbox worker per core, and each used to boot alone: Python, numpy, our
modules, ~150 ms of CPU apiece, on the cores the grading then needs. Here the command starts one
worker and asks it (``GDLAB_TWINS``) to fork the others right after its imports, before anything
that belongs to one worker is made; each twin then sets up its own namespaces (mount, network,
the PID namespaces of its cases), confinement probe, allow-list root and folder exactly as a
worker started alone does, and talks to the grader on pipes of its own, made by the grader and
passed down at the start. Nothing a submission sent exists yet at the fork: no job has been read.

A twin is forked twice over, so that it is nobody's child in our tree: the first worker reaps
the short-lived middle process at once and never sees the twin again (its per-job sweep of
everything below it would otherwise kill it), and the twin leads a session of its own, as a
worker started alone does. The grader, not being its parent, watches it through a pidfd
(`TwinProcess`) once its first line names it; until then, closing its pipes is what ends it.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time

TYPE_CHECKING = False  # (not `typing`'s: this module is on the worker's early start path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO

#: The first worker's environment names the twins' pipes and folders: ``read,write,home;...``.
ENV = "GDLAB_TWINS"


def fork_twins() -> bool:
    """In the first worker, right after its imports: fork the twins asked for (and close their
    pipes here); in a twin, move onto its own pipes and folder. True in a twin."""
    wanted = [entry.split(",", 2) for entry in os.environ.pop(ENV, "").split(";") if entry]
    mine = None
    for index, (read_fd, write_fd, home) in enumerate(wanted):
        if _fork_detached():
            mine = index
            os.dup2(int(read_fd), 0)
            os.dup2(int(write_fd), 1)
            os.chdir(home)
            os.environ["HOME"] = os.environ["TMPDIR"] = home
            break
    for read_fd, write_fd, _ in wanted:
        for fd in (int(read_fd), int(write_fd)):
            os.close(fd)
    return mine is not None


def _fork_detached() -> bool:
    """Fork a process that is not our child and leads its own session; True in it."""
    middle = os.fork()
    if middle == 0:
        if os.fork():
            os._exit(0)
        os.setsid()
        return True
    os.waitpid(middle, 0)
    return False


def adopt_orphans() -> None:
    """Make this process (the command) the one its orphaned descendants are handed to, so
    that a twin, once its middle process is gone, is ours to reap (`TwinProcess.wait`) rather
    than a zombie of the system's init until the command ends. Its workers are themselves
    where their cases' orphans go: nothing else reaches us this way."""
    import ctypes  # the command has it loaded by then anyway (numpy imports it)

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


_PR_SET_CHILD_SUBREAPER = 36


def pipes(
    count: int, make_home: Callable[[], str]
) -> tuple[str, list[int], list[TwinProcess], list[str]]:
    """For `count` twins: the ``GDLAB_TWINS`` value, the fds the first worker must inherit, the
    grader's end of each twin (its job pipe's writer, its answer pipe's reader) and the twins'
    folders. `make_home` makes a private folder (`boot.scratch_home`)."""
    entries, inherited, processes, homes = [], [], [], []
    for _ in range(count):
        jobs_r, jobs_w = os.pipe()
        answers_r, answers_w = os.pipe()
        home = make_home()
        os.chmod(home, 0o711)  # as `boot.spawn` does: a case's uid reaches its workdir below
        entries.append(f"{jobs_r},{answers_w},{home}")
        inherited += [jobs_r, answers_w]
        processes.append(TwinProcess(os.fdopen(jobs_w, "wb"), os.fdopen(answers_r, "rb", 0)))
        homes.append(home)
    return ";".join(entries), inherited, processes, homes


class TwinProcess:
    """The grader's handle on a twin: what `Sandbox` and `boot` use of a `subprocess.Popen`
    (pid, stdin, stdout, poll, wait), through a pidfd once the twin's first line named it
    (`adopt`)."""

    def __init__(self, stdin: IO[bytes], stdout: IO[bytes]) -> None:
        self.stdin, self.stdout = stdin, stdout
        self.pid: int | None = None
        self.returncode: int | None = None
        self._pidfd: int | None = None

    def adopt(self, pid: object) -> None:
        """The twin's own pid, as its hello says it (checked: a number that names a process)."""
        if type(pid) is not int or pid <= 1:
            raise ValueError("pid")
        self._pidfd = os.pidfd_open(pid)
        self.pid = pid

    def settle(self, timeout: float = 5.0) -> None:
        """A twin nobody took (the command ended first): read its first line, when it comes
        within `timeout`, to learn its pid, so that it is killed and reaped, not left to end
        alone once it finds its pipes closed."""
        if self.pid is not None:
            return
        line, deadline = b"", time.monotonic() + timeout
        fd = self.stdout.fileno()
        while not line.endswith(b"\n") and len(line) < 65536:
            if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                return
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            line += chunk
        with contextlib.suppress(ValueError, AttributeError, OSError):
            import json  # only here: this module is on the worker's early start path

            self.adopt(json.loads(line.split(b"\n", 1)[0]).get("pid"))

    def kill(self) -> None:
        """SIGKILL it through its pidfd (never by number: once it has ended, whoever reaped it
        may have handed its number to another process)."""
        if self._pidfd is not None and self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def poll(self) -> int | None:
        """None while it runs (or before it said hello); -1 once it has ended (its exit status
        is not kept: it is reaped here only to leave no zombie)."""
        pidfd = self._pidfd
        if self.returncode is None and pidfd is not None and select.select([pidfd], [], [], 0)[0]:
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for its end (a twin that never said hello ends by itself once its pipes are
        closed: nothing to wait for here)."""
        pidfd = self._pidfd
        if self.returncode is None and pidfd is not None:
            if not select.select([pidfd], [], [], timeout)[0]:
                # imported here: the worker imports this module, and `subprocess` brings
                # `threading`, whose at-fork handler cost every forked case ~0.6 ms (measured)
                import subprocess

                raise subprocess.TimeoutExpired("gdlab twin worker", timeout or 0)
            self._ended()
        return self.returncode or 0

    def _ended(self) -> None:
        self.returncode = -1
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        if self.pid is not None:
            with contextlib.suppress(ChildProcessError):  # ours to reap (`adopt_orphans`)
                os.waitpid(self.pid, os.WNOHANG)
