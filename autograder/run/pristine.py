"""Undo a program's patches of `builtins` and `numpy` before its values are read, cheaply.

After each case the case's child puts back the two module namespaces a program most often
patches (``builtins.abs = …``, ``numpy.sum = …``) as they were when the case started, so the
child's own reading of the values is not fooled by accident and the next case of the submission
starts clean. Snapshotting a namespace copies it, and in a freshly forked child copying
touches every object in it (their reference counts): numpy's ~500 names cost ~300 copied
pages, about 1.2 ms of CPU a submission. So the sandbox worker takes the snapshot once, before
it forks (`take`; again only when its own imports changed a namespace, `stale`: after a fork,
each page a process writes costs it a fault), and the child compares CPython's dictionary
version tag (PEP 509: it changes on every change of the dictionary) with the one taken then:
only a namespace the program did change is copied back, exactly as before. Where the tag
cannot be read (another Python), every case copies and restores as before.

The child runs student code, so none of this is a security boundary (a program can patch this
module too): what the child reports is checked by the worker and the grader, never trusted.
"""

from __future__ import annotations

import builtins
import ctypes
import sys
from typing import Any

import numpy

#: Where PEP 509's version tag lies in CPython's PyDictObject (after the object header and
#: ma_used), in the versions that keep it there and change it on every mutation.
_OFFSET = 3 * ctypes.sizeof(ctypes.c_ssize_t)
_READ = ctypes.c_uint64.from_address

#: (namespace, its copy, its version tag then), per module; None until `take`.
_SAVED: list[tuple[dict[str, Any], dict[str, Any], int | None]] | None = None


def _tagged() -> bool:
    """Does this interpreter keep a version tag where we read it, changed by a change?"""
    if sys.implementation.name != "cpython" or sys.version_info[:2] not in ((3, 10), (3, 11)):
        return False
    probe: dict[str, int] = {}
    before = _read(probe)
    probe["x"] = 1
    after = _read(probe)
    del probe["x"]
    return before is not None and after is not None and before != after != _read(probe)


def _read(namespace: dict[str, Any]) -> int | None:
    return int(_READ(id(namespace) + _OFFSET).value)


TAGGED = _tagged()


def _version(namespace: dict[str, Any]) -> int | None:
    return _read(namespace) if TAGGED else None


def take() -> None:
    """Snapshot the namespaces now (the sandbox worker, before it forks a job's child)."""
    global _SAVED
    _SAVED = [(vars(m), dict(vars(m)), _version(vars(m))) for m in (builtins, numpy)]


def stale() -> bool:
    """Has a namespace changed since `take` (the worker's own imports may add to numpy's)?"""
    return _SAVED is None or any(
        version is None or _version(live) != version for live, _, version in _SAVED
    )


def snapshot() -> list[tuple[dict[str, Any], dict[str, Any], int | None]]:
    """The namespaces as the case starts: the worker's snapshot when there is one (the child
    inherited it), else a copy made now (the plain fallback runs cases in its own process)."""
    if _SAVED is None:
        return [(vars(m), dict(vars(m)), None) for m in (builtins, numpy)]
    return _SAVED


def restore(saved: list[tuple[dict[str, Any], dict[str, Any], int | None]]) -> None:
    """Put back what the program changed; a namespace it left alone is not touched. A restored
    one is snapshotted again: the next case starts from it, as it would have from a copy."""
    for index, (live, copy, version) in enumerate(saved):
        if version is not None and _version(live) == version:
            continue
        live.update(copy)
        if saved is _SAVED:
            saved[index] = (live, dict(live), _version(live))
