"""The published case's given values as the sandbox gets them, kept so a TEST RUN starts at once.

Working out the published given values takes numpy (the reference's given block builds arrays)
and, for an exercise whose data a given script prepares (`gradient`, `backprop`:
``data_prep.py``), half a second of pandas. The values the sandbox receives are plain numbers
(`Case.given_plain`), the same on every run, so they are kept as JSON in the cache folder
(beside the checked exercise and the published expected values), named by a digest of what they
come from: the reference, the preparation script and the data file (if any) and the given names.
A TEST RUN sends them to the sandbox first, before the grader imports numpy, and works the
values out while the program runs; those are then compared with the ones sent, and should they
differ (something the name does not cover changed), the program runs again on the right ones
and the file is rewritten. So the kept file can only ever cost time, never a grade.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.load import spec_cache

if TYPE_CHECKING:
    from autograder.load.exercise import Exercise


def _path(exercise: Exercise, data: Path | None) -> Path | None:
    if exercise.published is None:
        if data is not None:
            return None  # --data does not apply: the grader says so, sending nothing first
        script, source = b"", "the reference's own"
    else:
        try:
            script = (exercise.folder / exercise.published.prepare).read_bytes()
            source = hashlib.sha256(data.read_bytes()).hexdigest() if data else "default"
        except OSError:
            return None
    digest = hashlib.sha256(
        repr((exercise.reference, script, source, sorted(exercise.given_keys.items()))).encode()
    ).hexdigest()[:24]
    return spec_cache.folder() / f"{exercise.id}-published-given-{digest}.json"


def load(exercise: Exercise, data: Path | None) -> dict[str, Any] | None:
    """The published case's plain given values as kept, or None."""
    path = _path(exercise, data)
    if path is None:
        return None
    try:
        plain = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return plain if isinstance(plain, dict) else None


def same(kept: dict[str, Any], plain: dict[str, Any] | None) -> bool:
    """Are `plain` (as just prepared) the values `kept` (as sent)? Compared as the sandbox
    reads them: through JSON."""
    return plain is not None and json.loads(json.dumps(plain)) == kept


def store(exercise: Exercise, data: Path | None, plain: dict[str, Any] | None) -> None:
    """Keep the published case's plain given values (a cache that cannot be written is only
    slower)."""
    path = _path(exercise, data)
    if path is None or plain is None:
        return
    try:
        text = json.dumps(plain)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, suffix=".json", delete=False, encoding="utf-8"
        ) as handle:
            handle.write(text)
        os.replace(handle.name, path)
    except (OSError, TypeError, ValueError):
        pass
