"""The case's file system: an empty root into which only what a program needs is bound, read-only.

The list of what is bound is `allowlist.allowed`. As root, the worker assembles the root once
(`prepare`), in a private mount namespace of its own: a small tmpfs at `STAGING` with those
binds, made read-only as a whole. Each case's namespace is a copy of that one, so a case
(`build`, in its own mount namespace) only mounts a private tmpfs on /tmp (the working
directory, the one writable place) holding the exercise's given files read-only, and a fresh
/proc when it has its own PID namespace; then it `pivot_root`s into the root and detaches the
host's. Where the worker could not prepare (a grader that is not root), `build` assembles the
root first, in the case's own namespace.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence

from autograder.run.allowlist import Bind, within

#: Where the root is assembled (relative to the worker's working directory, its own folder).
STAGING = "root"
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_RDONLY = 0x2, 0x4, 0x8, 0x1
MS_REMOUNT, MS_BIND, MNT_DETACH = 0x20, 0x1000, 0x2
SYS_MOUNT_SETATTR, SYS_PIVOT_ROOT, AT_RECURSIVE, MOUNT_ATTR_RDONLY = 442, 155, 0x8000, 0x1
_ST_FLAGS = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def check(result: int, what: str) -> None:
    """A libc call's result: 0, or an OSError naming `what` and why (errno)."""
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    check(
        _libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() or None,
        ),
        f"mount {target}",
    )


def prepare(binds: Sequence[Bind]) -> None:
    """Assemble the root once, in the worker's own private mount namespace (as root): each
    case's namespace is then a copy that already holds it, and a case pays only for its /tmp,
    /proc and the switch. Without this (a grader that is not root), `build` assembles it per
    case, in the case's own namespace."""
    global _prepared, _under_tmp, _root
    _root = os.path.abspath(STAGING)
    _assemble(_root, binds)
    _under_tmp = _binds_under_tmp(binds)
    _prepared = True


_prepared = False
#: The binds under /tmp (`_restore_under_tmp`), picked once by `prepare`: a case walking all
#: the binds would touch (and so copy, after the fork) the pages of every one of them.
_under_tmp: list[Bind] = []
#: Where `prepare` assembled it (the worker's folder does not change).
_root = ""


def build(
    binds: Sequence[Bind],
    files: Sequence[str],
    hide: Sequence[str],
    files_mb: int,
    owner: tuple[int, int],
    proc: bool,
) -> str:
    """Switch to the case's root at `STAGING` (assembled now unless `prepare` did it); returns
    the working directory. Runs in the case's own mount namespace, still privileged."""
    new = _root if _prepared else os.path.abspath(STAGING)
    if not _prepared:
        _assemble(new, binds)
    for path in hide:
        if os.path.lexists(new + path):
            _cover(new + path)
    uid, gid = owner
    mount(
        "gdlab-case",
        f"{new}/tmp",
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={files_mb}m,nr_inodes=4096,mode=0700,uid={uid},gid={gid}",
    )
    _restore_under_tmp(new, _under_tmp if _prepared else _binds_under_tmp(binds))
    for path in files:  # the exercise's given files, beside the program, read-only
        dest = f"{new}/tmp/{os.path.basename(path)}"
        _mountpoint(dest, False)
        mount(path, dest, None, MS_BIND)
        _read_only(dest, recursive=False)
    if proc:
        mount("proc", f"{new}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir(new)
    check(_libc.syscall(ctypes.c_long(SYS_PIVOT_ROOT), b".", b"."), "pivot_root")
    check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    return "/tmp"


def _assemble(new: str, binds: Sequence[Bind]) -> None:
    """A small tmpfs at `new` with every entry of `binds` in it, all read-only."""
    mount("gdlab-root", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
    os.umask(0o022)
    backing = _place(new, binds)
    for folder in ("tmp", "proc"):
        os.makedirs(f"{new}/{folder}", exist_ok=True)
    _read_only(new, recursive=True, binds=[new + t for t in backing])


def _binds_under_tmp(binds: Sequence[Bind]) -> list[Bind]:
    return [b for b in binds if within(b.target, "/tmp") and b.target.rstrip("/") != "/tmp"]


def _restore_under_tmp(new: str, under: Sequence[Bind]) -> None:
    """Put back, read-only, the binds that lie under /tmp (`_binds_under_tmp`: a checkout or a
    virtualenv there: `git clone` into /tmp, then the README's first command), which the case's
    own /tmp has just covered: without them a program's first ``import numpy.random`` failed."""
    if not under:
        return
    for target in _place(new, under):
        _read_only(new + target, recursive=False)


def _place(new: str, binds: Sequence[Bind]) -> dict[str, bool]:
    """Each entry of `binds` under `new`, parents first; returns what was mounted (target ->
    whether it is the host's, inside which nothing may be created)."""
    backing: dict[str, bool] = {}
    for bind in binds:
        dest = new + bind.target
        on_host = _on_host(bind.target, backing)
        if bind.link is not None:
            if not on_host:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                os.symlink(bind.link, dest)
            continue
        exists = os.path.isdir(dest) if bind.source is None else os.path.lexists(dest)
        if on_host and not exists:
            continue  # not on this host under that bind: nothing to show (or to create)
        if bind.source is None:  # an empty directory (a site dir: packages are bound into it)
            if on_host:
                mount("gdlab-site", dest, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
                backing[bind.target] = False
            else:
                os.makedirs(dest, exist_ok=True)
            continue
        if not on_host:
            _mountpoint(dest, os.path.isdir(bind.source))
        mount(bind.source, dest, None, MS_BIND)
        backing[bind.target] = True
    return backing


def _on_host(target: str, backing: dict[str, bool]) -> bool:
    """Does `target` lie in a directory bound from the host (rather than in our own tmpfs)?"""
    best, host = "", False
    for mounted, is_host in backing.items():
        if within(target, mounted) and len(mounted) > len(best):
            best, host = mounted, is_host
    return host


def _mountpoint(dest: str, directory: bool) -> None:
    if directory:
        os.makedirs(dest, exist_ok=True)
        return
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    os.close(os.open(dest, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o644))


def _cover(dest: str) -> None:
    """An empty, unreadable read-only filesystem over a directory (/dev/null over a file)."""
    if os.path.isdir(dest):
        mount(
            "gdlab-hidden",
            dest,
            "tmpfs",
            MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
            "size=4k,nr_inodes=1,mode=000",
        )
    elif os.path.lexists(dest):
        mount("/dev/null", dest, None, MS_BIND)


def _read_only(top: str, recursive: bool, binds: Sequence[str] = ()) -> None:
    """Make `top` (and with `recursive`, every mount below) read-only: one mount_setattr call
    (Linux 5.12+), else a read-only remount of each, keeping the flags a user namespace locks."""
    attr = (ctypes.c_uint64 * 4)(MOUNT_ATTR_RDONLY, 0, 0, 0)  # struct mount_attr
    long = ctypes.c_long
    flags = AT_RECURSIVE if recursive else 0
    if (
        _libc.syscall(
            long(SYS_MOUNT_SETATTR),
            long(-100),
            ctypes.c_char_p(top.encode()),
            long(flags),
            ctypes.byref(attr),
            ctypes.c_size_t(32),
        )
        == 0
    ):
        return
    for path in [top, *binds] if recursive else [top]:
        kept = os.statvfs(path).f_flag
        extra = sum(bit for st, bit in _ST_FLAGS.items() if kept & st)
        mount("none", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | extra)
