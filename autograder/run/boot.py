"""Start the sandbox worker's process — first thing, before the command loads anything else.

The worker spends ~0.15 s booting (numpy, its confinement probe, the allow-list) and the
command about as long loading numpy and the exercise. On two cores the two overlap only if
the worker is started before the command's own imports: `early` does that (standard library
only, a few ms), and the `Sandbox` the command opens next takes that process (`take`) instead
of starting another. Still one worker per command, booted once; no daemon. A process started
early that no sandbox took (the command failed first) is killed at the command's end
(`discard`). `gdlab grade` starts one per worker thread this way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import suppress

from autograder.run import twins

#: Threads would multiply numpy's memory and defeat the process limit; one of each is plenty.
WORKER_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
}
BOOT = "import sys; sys.path.insert(0, {root!r}); from autograder.run.worker import main; main()"
#: Where Linux namespaces are missing (or GDLAB_SANDBOX=plain): unconfined, said once.
PLAIN_BOOT = (
    "import sys; sys.path.insert(0, {root!r}); from autograder.run.plain import main; main()"
)
#: The folder holding autograder/.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


def plain_mode() -> bool:
    """Run programs in a plain subprocess: forced with GDLAB_SANDBOX=plain, and off Linux."""
    return os.environ.get("GDLAB_SANDBOX") == "plain" or not sys.platform.startswith("linux")


def default_code() -> str:
    return PLAIN_BOOT if plain_mode() else BOOT


class Started:
    """A worker process as started: its pipes, its scratch home, and the code it runs.
    (A plain class: `dataclasses` costs this early path ~10 ms of imports.)"""

    def __init__(
        self, process: subprocess.Popen[bytes] | twins.TwinProcess, home: str, code: str
    ) -> None:
        self.process, self.home, self.code = process, home, code


def spawn(
    code: str, extra_env: dict[str, str] | None = None, pass_fds: tuple[int, ...] = ()
) -> Started:
    """Start a worker running `code` in a new session, with a scrubbed environment (and
    `extra_env`, and `pass_fds` left open: a batch's twins, `early`)."""
    home = scratch_home()
    os.chmod(home, 0o711)  # a case running as another uid reaches its workdir below
    env = {**WORKER_ENV, "HOME": home, "TMPDIR": home, **(extra_env or {})}
    if os.name != "posix":  # Windows needs these to start Python at all
        env.update({k: os.environ[k] for k in ("SYSTEMROOT", "PATH") if k in os.environ})
    process = subprocess.Popen(
        [sys.executable, "-I", "-c", code.format(root=_ROOT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=home,
        start_new_session=os.name == "posix",
        pass_fds=pass_fds,
    )
    return Started(process, home, code)


def scratch_home() -> str:
    """A new private folder for the worker, as ``tempfile.mkdtemp(prefix="gdlab-sandbox-")``
    makes it (in ``tempfile.gettempdir()``'s folder, mode 0o700, created by an exclusive
    `mkdir` under a random name), without importing `tempfile` on the way to the worker's
    start: it brings shutil, random, bz2 and lzma (~6 ms, measured with -X importtime)."""
    if "tempfile" in sys.modules:  # loaded anyway (or its folder chosen by a caller): use it
        return sys.modules["tempfile"].mkdtemp(prefix="gdlab-sandbox-")
    folders = [os.environ.get(name) for name in ("TMPDIR", "TEMP", "TMP")]
    folders += ["/tmp", "/var/tmp", "/usr/tmp"] if os.name == "posix" else []
    for folder in [f for f in folders if f] + [os.getcwd()]:
        for _ in range(100):
            path = os.path.join(os.path.abspath(folder), "gdlab-sandbox-" + os.urandom(6).hex())
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                continue  # a clash of random names: another one
            except OSError:
                break  # not a folder we may write in: the next one, as gettempdir tries
            return path
    import tempfile  # none of them: let tempfile say why, in its own words

    return tempfile.mkdtemp(prefix="gdlab-sandbox-")


_early: list[Started] = []


def early(count: int = 1) -> None:
    """Start this command's `count` workers now, for the next sandboxes to take: one process,
    forking the others once it has booted, where this machine allows (`twins.py`)."""
    code = default_code()
    if count - len(_early) > 1 and code == BOOT and hasattr(os, "pidfd_open"):
        _early.extend(_spawn_with_twins(code, count - len(_early) - 1))
    while len(_early) < count:
        _early.append(spawn(code))


def _spawn_with_twins(code: str, count: int) -> list[Started]:
    """A worker, and `count` twins it forks after its imports (`twins.py`)."""
    twins.adopt_orphans()
    spec, inherited, processes, homes = twins.pipes(count, scratch_home)
    try:
        first = spawn(code, {twins.ENV: spec}, tuple(inherited))
    finally:
        for fd in inherited:  # the first worker's now, and the twins' after its fork
            os.close(fd)
    return [
        first,
        *(Started(process, home, code) for process, home in zip(processes, homes, strict=True)),
    ]


def take(code: str) -> Started | None:
    """A worker started early, if it runs `code` and is alive; else None (and it is gone)."""
    while _early:
        started = _early.pop(0)
        if started.code == code and started.process.poll() is None:
            return started
        kill(started)
    return None


def discard() -> None:
    """Kill the workers started early that no sandbox took (the command ended before)."""
    while _early:
        kill(_early.pop())


def kill(started: Started) -> None:
    """Kill the worker's whole session at once (nothing of a submission runs in it yet)."""
    with suppress(ProcessLookupError, PermissionError):
        if isinstance(started.process, twins.TwinProcess):
            started.process.settle()  # its pid, from its first line
            started.process.kill()  # by its pidfd
        elif os.name == "posix":
            os.killpg(started.process.pid, signal.SIGKILL)
        else:
            started.process.kill()
    started.process.wait()
    import shutil  # not on the early path: shutil imports bz2 and lzma

    for stream in (started.process.stdin, started.process.stdout):
        if stream is not None:
            stream.close()
    shutil.rmtree(started.home, ignore_errors=True)
