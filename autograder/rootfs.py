"""The case's file system: an empty root into which only what a program needs is bound, read-only.

An allow-list, not a deny-list: whatever is not named here does not exist for the case (the
checkout, the course tree, the gradebook, /home, /srv, /run, the host's /tmp, every socket).
What is named (`allowed`, decided once per worker):

* the system: /usr (programs and the C libraries numpy and friends load, fonts, time zones),
  the /bin, /lib… links into it, /etc/ld.so.cache and /etc/localtime, and a few devices;
* the interpreter: its executable, libpython, the standard library;
* the packages a submission may import, package by package (`PACKAGES` and everything they
  require, read from their installed metadata): each Python directory on the search path
  (site-packages and the like), and every other one found under /usr, is an empty directory in
  the case, with just those packages bound into it. So neither the installed `solutions` nor
  gdlab's own source is visible; the worker's code the case's process needs is already loaded
  in it (it is forked from the worker, which set itself up before the switch).

Per case (`build`, in the case's own mount namespace): the root is a small tmpfs with those
binds, made read-only as a whole, then a private tmpfs on /tmp (the working directory, the one
writable place) holding the exercise's given files read-only, and a fresh /proc when the case
has its own PID namespace; then `pivot_root` into it and the old root is detached.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import re
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass

#: What a submission may import, with everything these require (when installed).
PACKAGES = ("numpy", "pandas", "matplotlib")
#: Where each case's root is assembled (in its own mount namespace; set by the worker).
STAGING = "root"
_DEVICES = ("null", "zero", "full", "random", "urandom")
_DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
              "stderr": "/proc/self/fd/2"}
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_RDONLY = 0x2, 0x4, 0x8, 0x1
MS_REMOUNT, MS_BIND, MNT_DETACH = 0x20, 0x1000, 0x2
SYS_MOUNT_SETATTR, SYS_PIVOT_ROOT, AT_RECURSIVE, MOUNT_ATTR_RDONLY = 442, 155, 0x8000, 0x1
_ST_FLAGS = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


@dataclass(frozen=True)
class Bind:
    """One entry of the case's root: `target` (a path inside the case) is the host's `source`
    bound read-only, or, with `source` None, an empty directory; with `link`, a symlink."""

    target: str
    source: str | None = None
    link: str | None = None


def allowed(packages: Sequence[str] = PACKAGES) -> tuple[Bind, ...]:
    """The allow-list for this interpreter, parents before children."""
    binds: dict[str, Bind] = {}

    def add(bind: Bind) -> None:
        binds.setdefault(bind.target, bind)

    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            add(Bind(top, link=os.readlink(top)))
        elif os.path.isdir(top):
            add(Bind(top, top))
    for path in ("/usr", "/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives"):
        if os.path.exists(path):
            add(Bind(path, path))
    for name in _DEVICES:
        if os.path.exists(f"/dev/{name}"):
            add(Bind(f"/dev/{name}", f"/dev/{name}"))
    for name, text in _DEV_LINKS.items():
        add(Bind(f"/dev/{name}", link=text))
    stdlib = os.path.abspath(sysconfig.get_paths()["stdlib"])
    add(Bind(stdlib, stdlib))
    executable = os.path.realpath(sys.executable)
    add(Bind(executable, executable))
    if os.path.abspath(sys.executable) != executable:
        add(Bind(os.path.abspath(sys.executable), link=executable))
    for name in ("LDLIBRARY", "INSTSONAME"):  # libpython, for a program that starts Python
        library = os.path.join(sysconfig.get_config_var("LIBDIR") or "/",
                               sysconfig.get_config_var(name) or "")
        if os.path.isfile(library):
            add(Bind(os.path.abspath(library), os.path.realpath(library)))
    if sys.prefix != sys.base_prefix and os.path.isfile(f"{sys.prefix}/pyvenv.cfg"):
        add(Bind(f"{sys.prefix}/pyvenv.cfg", f"{sys.prefix}/pyvenv.cfg"))
    site_dirs = _site_dirs(stdlib)
    for site in site_dirs:
        add(Bind(site))
    on_path = [os.path.abspath(p) for p in sys.path if p]  # where this Python imports from
    searched = [site for site in dict.fromkeys(on_path) if site in site_dirs]
    for entry in _package_entries(packages, searched):
        add(Bind(entry, entry))
    return tuple(binds[t] for t in sorted(binds))


def _site_dirs(stdlib: str) -> list[str]:
    """Directories Python imports third-party code from: on the search path (not the stdlib),
    the base interpreter's own, and the system's under /usr (where pip may have put gdlab)."""
    found = [p for p in sys.path if p and os.path.isdir(p) and not _within(p, stdlib)]
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})
    found += [base["purelib"], base["platlib"]]
    for pattern in ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages",
                    "/usr/lib64/python3*/*-packages"):
        found += glob.glob(pattern)
    return sorted({os.path.abspath(p) for p in found if os.path.isdir(p)})


def _package_entries(packages: Sequence[str], site_dirs: Sequence[str]) -> list[str]:
    """The top-level files and folders the allowed distributions installed (their RECORD), and
    what they require (their METADATA's Requires-Dist, extras left out), found by reading the
    ``*.dist-info`` folders of `site_dirs` directly (the first in search order wins, as for an
    import): importlib.metadata parses each file as an e-mail and costs a worker's start-up a
    fifth of a second."""
    infos: dict[str, tuple[str, str]] = {}  # normalised name -> (site dir, dist-info folder)
    for site in site_dirs:
        with contextlib.suppress(OSError):
            for entry in os.listdir(site):
                if entry.endswith(".dist-info"):
                    infos.setdefault(_normal(entry[: -len(".dist-info")].split("-")[0]),
                                     (site, entry))
    todo, seen, entries = [_normal(p) for p in packages], set(), set()
    while todo:
        name = todo.pop()
        if name in seen or name not in infos:
            continue
        seen.add(name)
        site, info = infos[name]
        todo += _requires(os.path.join(site, info, "METADATA"))
        entries.add(os.path.join(site, info))
        record = _text(os.path.join(site, info, "RECORD"))  # lines of path,hash,size
        tops = {line.split("/", 1)[0].split(",", 1)[0].strip('"') for line in record.splitlines()}
        entries.update(os.path.join(site, top) for top in tops
                       if top and top not in ("..", "__pycache__") and not top.endswith(".pth"))
    return sorted(e for e in entries if os.path.exists(e))


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requires(metadata: str) -> list[str]:
    """Names in the Requires-Dist headers, except those only an extra asks for."""
    names = []
    for line in _text(metadata).splitlines():
        if not line:  # the headers end at the first empty line
            break
        if line.startswith("Requires-Dist:") and "extra ==" not in line:
            found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line[len("Requires-Dist:"):])
            if found:
                names.append(_normal(found.group(1)))
    return names


def _text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError:
        return ""


def _within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                       flags, data.encode() or None), f"mount {target}")


def prepare(binds: Sequence[Bind]) -> None:
    """Assemble the root once, in the worker's own private mount namespace (as root): each
    case's namespace is then a copy that already holds it, and a case pays only for its /tmp,
    /proc and the switch. Without this (a grader that is not root), `build` assembles it per
    case, in the case's own namespace."""
    global _prepared
    _assemble(os.path.abspath(STAGING), binds)
    _prepared = True


_prepared = False


def build(binds: Sequence[Bind], files: Sequence[str], hide: Sequence[str], files_mb: int,
          owner: tuple[int, int], proc: bool) -> str:
    """Switch to the case's root at `STAGING` (assembled now unless `prepare` did it); returns
    the working directory. Runs in the case's own mount namespace, still privileged."""
    new = os.path.abspath(STAGING)
    if not _prepared:
        _assemble(new, binds)
    for path in hide:
        if os.path.lexists(new + path):
            _cover(new + path)
    uid, gid = owner
    mount("gdlab-case", f"{new}/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={files_mb}m,nr_inodes=4096,mode=0700,uid={uid},gid={gid}")
    for path in files:  # the exercise's given files, beside the program, read-only
        dest = f"{new}/tmp/{os.path.basename(path)}"
        _mountpoint(dest, False)
        mount(path, dest, None, MS_BIND)
        _read_only(dest, recursive=False)
    if proc:
        mount("proc", f"{new}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir(new)
    _check(_libc.syscall(ctypes.c_long(SYS_PIVOT_ROOT), b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    return "/tmp"


def _assemble(new: str, binds: Sequence[Bind]) -> None:
    """A small tmpfs at `new` with every entry of `binds` in it, all read-only."""
    mount("gdlab-root", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
    os.umask(0o022)
    backing: dict[str, bool] = {}  # mounted target -> is it the host's (nothing may be created)
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
    for folder in ("tmp", "proc"):
        os.makedirs(f"{new}/{folder}", exist_ok=True)
    _read_only(new, recursive=True, binds=[new + t for t in backing])


def _on_host(target: str, backing: dict[str, bool]) -> bool:
    """Does `target` lie in a directory bound from the host (rather than in our own tmpfs)?"""
    best, host = "", False
    for mounted, is_host in backing.items():
        if _within(target, mounted) and len(mounted) > len(best):
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
        mount("gdlab-hidden", dest, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k,nr_inodes=1,mode=000")
    elif os.path.lexists(dest):
        mount("/dev/null", dest, None, MS_BIND)


def _read_only(top: str, recursive: bool, binds: Sequence[str] = ()) -> None:
    """Make `top` (and with `recursive`, every mount below) read-only: one mount_setattr call
    (Linux 5.12+), else a read-only remount of each, keeping the flags a user namespace locks."""
    attr = (ctypes.c_uint64 * 4)(MOUNT_ATTR_RDONLY, 0, 0, 0)  # struct mount_attr
    long = ctypes.c_long
    flags = AT_RECURSIVE if recursive else 0
    if _libc.syscall(long(SYS_MOUNT_SETATTR), long(-100), ctypes.c_char_p(top.encode()),
                     long(flags), ctypes.byref(attr), ctypes.c_size_t(32)) == 0:
        return
    for path in [top, *binds] if recursive else [top]:
        kept = os.statvfs(path).f_flag
        extra = sum(bit for st, bit in _ST_FLAGS.items() if kept & st)
        mount("none", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | extra)
