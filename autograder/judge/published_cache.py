"""The published case's expected values, kept on disk between runs.

A training exercise's published case is the whole original training (900 epochs of per-record
updates for `backprop`): seconds of work for the grader's oracle on every TEST RUN and SUBMIT,
for numbers that never change. They are kept in ``$GDLAB_CACHE`` (default
``$XDG_CACHE_HOME/gdlab``), named by a digest of everything they depend on: the reference, the
quantities, the data file and numpy's version. These are the *published* values, which TEST RUN
shows anyway; hidden cases are never stored. A missing, stale or unreadable file is recomputed.
`gdlab build` reads them through here too, to write each exercise's ``published.json`` (course
mode's offline TEST RUN, `published_release`), so a rebuild does not train again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from autograder.load.exercise import Case, Exercise


def folder() -> Path:
    if os.environ.get("GDLAB_CACHE"):
        return Path(os.environ["GDLAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gdlab"


def _path(exercise: Exercise, case: Case) -> Path | None:
    if not case.visible or not case.key:
        return None  # hidden cases are never kept
    digest = hashlib.sha256(
        repr(
            (exercise.reference, sorted(exercise.quantity_exprs.items()), case.key, np.__version__)
        ).encode()
    ).hexdigest()[:24]
    return folder() / f"{exercise.id}-published-{digest}.npz"


def load(exercise: Exercise, case: Case) -> dict[str, np.ndarray] | None:
    path = _path(exercise, case)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            values = {name: stored[name] for name in exercise.quantity_exprs}
    except (OSError, KeyError, ValueError):
        return None
    return values


def store(exercise: Exercise, case: Case, expected: dict[str, np.ndarray]) -> None:
    path = _path(exercise, case)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as handle:
            np.savez(handle, **expected)  # type: ignore[arg-type]  # names, never allow_pickle
        os.replace(handle.name, path)
    except OSError:  # a cache that cannot be written is only slower
        pass
