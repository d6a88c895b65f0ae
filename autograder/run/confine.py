"""Confine one sandbox case: its own namespaces, a private view of the files, an unprivileged uid.

Used only by the sandbox worker. It calls `probe` once at start-up to learn what this machine
allows, then in every case child `enter` (still privileged) and `drop` (the last step before the
student's code runs). Linux only, through libc (Python 3.11 has no ``os.unshare``). Why each step:

* PID namespace (`PidNamespaces`): the case is PID 1 of a namespace of its own, so when it dies
  the kernel kills everything it started, however detached (setsid, double fork), and it cannot
  name, signal or trace any process outside.
* network namespace: only a loopback interface that is down; no connection goes anywhere. As
  root, the worker's own (empty) one, shared by its cases one job at a time (`prepare_network`).
* mount namespace: an allow-list root (`rootfs`): only the interpreter, the packages a program
  may import and the system libraries, read-only; a /proc that shows only the case's processes;
  a fresh tmpfs with a size cap on /tmp as the one writable place, the case's working
  directory. Nothing else of the host exists for the case.
* an unprivileged uid (when we are root): RLIMIT_NPROC holds (it does not for root), file
  permissions hold, and no capability is left to undo the mounts. Without root, a user namespace
  gives the network and mount steps and then every capability is dropped.

Every step that the machine refuses is left out by `probe` and reported, never failed silently:
a case whose confinement fails at run time is not run at all (the worker fails closed).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from autograder.run import allowlist, rootfs

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_SET_NO_NEW_PRIVS = 38
#: Cases run as a uid of their own per worker, far above any account's (and not 65534, whose
#: process budget every "nobody" process on the machine shares): RLIMIT_NPROC counts per uid, so
#: a fork bomb graded on one worker cannot starve a classmate's case graded beside it.
CASE_UIDS = range(2_000_000_000, 2_000_000_000 + 2**20)


def case_uid() -> int:
    """This worker's case uid (from its pid: concurrent workers get different ones)."""
    return CASE_UIDS[os.getpid() % len(CASE_UIDS)]


_NAMESPACES = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC
#: What a case's root holds (`allowlist.allowed`, computed once by the worker before it serves).
ALLOWED: tuple[allowlist.Bind, ...] = ()
#: The worker assembled that root once in a mount namespace of its own (`prepare_root`).
PREPARED = False
#: The worker itself lives in an empty network namespace (`prepare_network`), which its cases
#: share instead of each making (and the kernel tearing down) one of their own.
NETWORK_READY = False


def prepare_network() -> None:
    """As root, move the worker into a new, empty network namespace: only a loopback that is
    down, owned by the host's user namespace, so nothing without CAP_NET_ADMIN there (no case)
    can bring it up or configure it. The worker talks to the grader over pipes and has no
    socket in it.

    Its cases then share that namespace rather than each creating one: creating and destroying
    a network namespace costs about 1 ms of CPU per case, much of it in kernel threads. Sharing
    leaks nothing from one submission to the next: a worker runs one job at a time, every
    process of a job is gone before the next starts (its PID namespace dies with it), and a
    network namespace with the loopback down holds nothing but its processes' sockets, which
    close with them. Two workers never share one (each makes its own)."""
    global NETWORK_READY
    if os.geteuid() != 0:
        return
    try:
        unshare(CLONE_NEWNET)
    except OSError:
        return
    NETWORK_READY = True


def prepare_root() -> None:
    """As root, give the worker a private mount namespace holding the case root, assembled
    once (`rootfs.prepare`); each case copies it. Elsewhere (not root, or refused) each case
    assembles its own, or has none (said by `probe`)."""
    global PREPARED
    if os.geteuid() != 0 or not ALLOWED:
        return
    try:
        unshare(CLONE_NEWNS)
        _mount("none", "/", None, MS_REC | MS_PRIVATE)
        rootfs.prepare(ALLOWED)
    except OSError:
        return
    PREPARED = True


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]


@dataclass(frozen=True)
class Plan:
    """How cases are confined on this machine (decided once by `probe`)."""

    #: New mount, network and IPC namespaces for every case.
    namespaces: bool
    #: Those namespaces belong to a new user namespace (we are not root).
    user_namespace: bool
    #: Switch to this uid and gid before running the case (root only); None: stay who we are.
    uid: int | None
    #: The case can read the standard library (else it can import only what the worker has).
    stdlib_readable: bool = True

    def summary(self, pid_namespace: bool) -> dict[str, object]:
        """What the grader is told, so it can say what is missing."""
        return {
            "network_isolated": self.namespaces,
            "paths_hidden": self.namespaces,
            "pid_namespace": pid_namespace,
            "uid": os.getuid() if self.uid is None else self.uid,
            "stdlib_readable": self.stdlib_readable,
        }


_check, _mount = rootfs.check, rootfs.mount  # one libc wrapper for both modules


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


class PidNamespaces:
    """Fork each case as PID 1 of a PID namespace of its own.

    unshare(CLONE_NEWPID) changes where the caller's *next* children go, and works only while
    that is still the caller's own namespace. So per case: unshare, fork, then point our children
    back at our own namespace with setns, ready for the next case.
    """

    def __init__(self) -> None:
        self._own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)

    @classmethod
    def open(cls) -> PidNamespaces | None:
        """A PidNamespaces if this machine lets us create them, else None."""
        try:
            spaces = cls()
        except OSError:
            return None
        try:
            unshare(CLONE_NEWPID)
            spaces._restore()
        except OSError:
            os.close(spaces._own)
            return None
        return spaces

    def fork(self) -> int:
        """os.fork(), with the child as PID 1 of a new namespace."""
        unshare(CLONE_NEWPID)
        try:
            pid = os.fork()
        except OSError:
            self._restore()
            raise
        if pid:
            self._restore()
        return pid

    def _restore(self) -> None:
        _check(_libc.setns(self._own, CLONE_NEWPID), "setns")


def enter(
    plan: Plan, files: Sequence[str], hide: Sequence[str], files_mb: int, own_pid_namespace: bool
) -> str | None:
    """Give this (forked, still privileged) process its namespaces and its allow-list root
    (`rootfs.build`, holding the given `files`, with `hide` covered if they are in it).

    Returns the working directory to use (a fresh tmpfs on /tmp), or None without namespaces.
    """
    if not plan.namespaces:
        return None
    uid, gid = (os.getuid(), os.getgid()) if plan.uid is None else (plan.uid, plan.uid)
    if plan.user_namespace:
        unshare(CLONE_NEWUSER | _NAMESPACES)
        _map_ids(uid, gid)
    else:  # the worker's empty network namespace is shared where it has one
        unshare(_NAMESPACES & ~CLONE_NEWNET if NETWORK_READY else _NAMESPACES)
    if not PREPARED:  # a copy of the worker's namespace, private already when it is prepared
        _mount("none", "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks to the host
    return rootfs.build(ALLOWED, files, hide, files_mb, (uid, gid), own_pid_namespace)


def _map_ids(uid: int, gid: int) -> None:
    """Inside a new user namespace, be the same uid and gid as outside (no others exist)."""
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"{uid} {uid} 1"),
        ("gid_map", f"{gid} {gid} 1"),
    ):
        with open(f"/proc/self/{name}", "w") as control:
            control.write(text)


def drop(plan: Plan) -> None:
    """Give up every privilege; after this, nothing `enter` did can be undone."""
    if plan.uid is not None:
        os.setgroups([])
        os.setgid(plan.uid)
        os.setuid(plan.uid)
        if os.getuid() != plan.uid or os.geteuid() != plan.uid:
            raise OSError(0, "setuid did not take")
    elif plan.user_namespace:
        _drop_capabilities()
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _drop_capabilities() -> None:
    """capset(2) with every set empty: the capabilities a new user namespace gave us are gone."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable}, all zero
    _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def probe(fork: Callable[[], int]) -> Plan:
    """The strongest plan this machine allows: try each in a throwaway child, strongest first."""
    if os.geteuid() == 0:
        candidates = [Plan(True, False, case_uid()), Plan(False, False, case_uid())]
    else:
        candidates = [Plan(True, True, None)]
    for plan in candidates:
        outcome = _try(plan, fork)
        if outcome != _FAILED:
            return replace(plan, stdlib_readable=outcome == _WORKS)
    return Plan(False, False, None)


_WORKS, _FAILED, _NO_STDLIB = 0, 1, 2


def _try(plan: Plan, fork: Callable[[], int]) -> int:
    """Confine a throwaway child as a case would be; can it then still read the stdlib?"""
    pid = fork()
    if pid == 0:
        try:
            enter(plan, (), (), 1, own_pid_namespace=os.getpid() == 1)
            drop(plan)
        except BaseException:
            os._exit(_FAILED)
        try:
            os.listdir(os.path.dirname(os.__file__))
        except OSError:
            os._exit(_NO_STDLIB)
        os._exit(_WORKS)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
