"""An exercise as last validated, kept on disk so that a command need not import the schema.

Checking ``exercise.toml`` against its schema (`schema`: pydantic, ~0.1 s to import and build)
is most of what loading an exercise costs, on every TEST RUN, for a file that rarely changes.
Once a file has passed, the `Exercise` built from it (but its folder and reference, which are
read anew) is kept as JSON in the cache folder (``$GDLAB_CACHE``, default
``$XDG_CACHE_HOME/gdlab``, beside the published values), named by a digest of the file's exact
text, its folder's name and the source of the code that checks and builds it. Any edit of the
file, or of that code, is another name: the file is checked again, and a broken one gets its
one-line error as before. A missing or unreadable entry is only slower. Nothing else is ever
read from there, and JSON, not pickle: the entry is data.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.load.exercise import Exercise

#: What an entry leaves out: given by the caller each time (the folder may move; the reference
#: is the script's text, read anew).
_NOT_KEPT = ("id", "folder", "reference")
#: The code an entry depends on (relative to autograder/): the schema and the classes built.
_CODE = (
    "load/schema.py",
    "load/training_schema.py",
    "load/exercise.py",
    "load/spec_cache.py",
    "run/trace.py",
    "run/sandbox.py",
)
_PACKAGE = Path(__file__).resolve().parents[1]


def folder() -> Path:
    """The cache folder: ``$GDLAB_CACHE``, else ``$XDG_CACHE_HOME/gdlab`` (~/.cache/gdlab)."""
    if os.environ.get("GDLAB_CACHE"):
        return Path(os.environ["GDLAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gdlab"


_code_digest: str | None = None


def _path(text: str, name: str) -> Path:
    global _code_digest
    if _code_digest is None:
        code = hashlib.sha256()
        for module in _CODE:
            code.update((_PACKAGE / module).read_bytes())
        _code_digest = code.hexdigest()
    # the folder's name too: it is the exercise's id, and its notebook's name by default
    digest = hashlib.sha256(f"{_code_digest}\0{name}\0{text}".encode()).hexdigest()[:24]
    return folder() / f"exercise-{digest}.json"


def load(spec_text: str, exercise_folder: Path, reference: str) -> Exercise | None:
    """The exercise `spec_text` describes, as validated before; None if it was not (yet)."""
    try:
        plain = json.loads(_path(spec_text, exercise_folder.name).read_text(encoding="utf-8"))
        return decode(plain, exercise_folder, reference)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def store(spec_text: str, exercise: Exercise) -> None:
    """Keep `exercise`, just validated from `spec_text` (a cache that cannot be written is
    only slower)."""
    try:
        path = _path(spec_text, exercise.folder.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, suffix=".json", delete=False, encoding="utf-8"
        ) as handle:
            json.dump(encode(exercise), handle)
        os.replace(handle.name, path)
    except OSError:
        pass


def encode(exercise: Exercise) -> dict[str, Any]:
    """The exercise as JSON-ready data, but its id, folder and reference."""
    plain = {f.name: getattr(exercise, f.name) for f in fields(exercise)}
    for name in _NOT_KEPT:
        del plain[name]
    return json.loads(json.dumps(plain, default=asdict))  # nested dataclasses as dicts


def decode(plain: dict[str, Any], exercise_folder: Path, reference: str) -> Exercise:
    """The `Exercise` `encode` gave (JSON's lists are the dataclasses' tuples again)."""
    from autograder.load.exercise import (
        Exercise,
        GivenRule,
        Mistake,
        Published,
        Quantity,
        Step,
    )
    from autograder.run.sandbox import Limits
    from autograder.run.trace import Point

    many = {
        "quantities": Quantity,
        "mistakes": Mistake,
        "given_rules": GivenRule,
        "points": Point,
        "steps": Step,
    }
    one = {"limits": Limits, "published": Published}
    values: dict[str, Any] = {}
    for name, value in plain.items():
        if name in many:
            values[name] = tuple(many[name](**_tuples(item)) for item in value)
        elif name in one:
            values[name] = None if value is None else one[name](**_tuples(value))
        elif name == "sizes":
            values[name] = {size: tuple(bounds) for size, bounds in value.items()}
        else:
            values[name] = _tuples(value)
    return Exercise(id=exercise_folder.name, folder=exercise_folder, reference=reference, **values)


def _tuples(value: Any) -> Any:
    """Lists (JSON's arrays) as tuples, at every depth: every sequence of these classes is."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value
