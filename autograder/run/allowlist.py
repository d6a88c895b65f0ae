"""What a case may see: the allow-list of its root, decided once per worker.

An allow-list, not a deny-list: whatever is not named here does not exist for the case (the
checkout, the course tree, the gradebook, /home, /srv, /run, the host's /tmp, every socket).
Named (`allowed`):

* the system: /usr (programs and the C libraries numpy and friends load, fonts, time zones),
  the /bin, /lib… links into it, /etc/ld.so.cache and /etc/localtime, and a few devices;
* the interpreter: its executable, libpython, the standard library;
* the packages a submission may import, package by package (`PACKAGES` and everything they
  require, read from their installed metadata): each Python directory on the search path
  (site-packages and the like), and every other one found under /usr, is an empty directory in
  the case, with just those packages bound into it. So neither the installed `solutions` nor
  gdlab's own source is visible; the worker's code the case's process needs is already loaded
  in it (it is forked from the worker, which set itself up before the switch).

`rootfs` assembles a root from this list and switches a case into it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass

#: What a submission may import, with everything these require (when installed): the lesson's
#: libraries, and what notebooks import out of habit (``from IPython.display import display``,
#: ``import ipywidgets``, ``from tqdm import tqdm``), which run on a student's machine and in
#: the unconfined path alike; without them a right notebook scored 0 here and 100 there.
PACKAGES = ("numpy", "pandas", "matplotlib", "ipython", "ipywidgets", "tqdm")
_DEVICES = ("null", "zero", "full", "random", "urandom")
_DEV_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
}


@dataclass(frozen=True)
class Bind:
    """One entry of the case's root: `target` (a path inside the case) is the host's `source`
    bound read-only, or, with `source` None, an empty directory; with `link`, a symlink."""

    target: str
    source: str | None = None
    link: str | None = None


def allowed(packages: Sequence[str] = PACKAGES) -> tuple[Bind, ...]:  # noqa: C901 - each branch is one kind of path the root needs; split, they hide the list
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
        library = os.path.join(
            sysconfig.get_config_var("LIBDIR") or "/", sysconfig.get_config_var(name) or ""
        )
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
    found = [p for p in sys.path if p and os.path.isdir(p) and not within(p, stdlib)]
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})
    found += [base["purelib"], base["platlib"]]
    for pattern in (
        "/usr/lib/python3*/*-packages",
        "/usr/local/lib/python3*/*-packages",
        "/usr/lib64/python3*/*-packages",
    ):
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
                    infos.setdefault(
                        _normal(entry[: -len(".dist-info")].split("-")[0]), (site, entry)
                    )
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
        entries.update(
            os.path.join(site, top)
            for top in tops
            if top and top not in ("..", "__pycache__") and not top.endswith(".pth")
        )
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
            found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line[len("Requires-Dist:") :])
            if found:
                names.append(_normal(found.group(1)))
    return names


def _text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError:
        return ""


def within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")
