"""The published case's expected values, shipped with the release (``release/<ex>/published.json``).

In course mode the references stay on the server, yet a student offline still deserves a TEST
RUN: the published case is public (TEST RUN shows its expected values anyway), so `gdlab build`
writes them beside the stub, with what a visible check needs to be read without the reference —
each quantity's name, points and aliases, the tolerances, the limits, the given names, the trace
points of a training loop and each traced step's expected values at the passes the reference
makes. Never the reference, the mistakes' edits, the formulas (``about``) or how hidden cases are
drawn. The values come from the reference through its oracle (`diagnose.Oracle`, whose
`published_cache` keeps a training exercise's values between builds), rounded to 12 significant
digits so that the file does not drift with the last bit of another machine's arithmetic.

`read` rebuilds an `Exercise` from the file and the release folder (the stub stands in as the
"reference": only its given block is ever run, to hand out the lesson's given values), so the
same sandbox, comparison and report as a self-study TEST RUN apply.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from autograder import toml as tomllib
from autograder.load.exercise import Exercise, ExerciseError, GivenRule, Published, Quantity, Step
from autograder.run.sandbox import Limits
from autograder.run.trace import Point

FILE = "published.json"
FORMAT = 1
#: A published.json larger than this is not ours (the largest, backprop's, is a few kB).
MAX_BYTES = 1_000_000
#: Elements in one shipped value (a weight matrix of the published case).
MAX_ELEMENTS = 10_000
_DIGITS = 12


@dataclass(frozen=True)
class Shipped:
    """An exercise as a student's install knows it: no reference, the published values."""

    exercise: Exercise
    #: quantity -> its expected value on the published case.
    expected: dict[str, np.ndarray]
    #: step id -> its expected value at each traced pass (None where the reference has none).
    steps: dict[str, list[np.ndarray | None]]


# --- writing (gdlab build, on the instructor's side) -------------------------------------------


def document(exercise: Exercise) -> str:
    """The published.json of `exercise` (built with its reference), as text."""
    from autograder.judge.diagnose import oracle_for

    case = exercise.published_case()
    expected = oracle_for(exercise, case).expected
    plain: dict[str, Any] = {
        "format": FORMAT,
        "exercise": exercise.id,
        "title": exercise.title,
        "order": _order(exercise),
        "script": exercise.script,
        "notebook": exercise.notebook,
        "files": list(exercise.files),
        "hidden_cases": exercise.hidden_cases,
        "rtol": exercise.rtol,
        "atol": exercise.atol,
        "limits": asdict(exercise.limits),
        "published": asdict(exercise.published) if exercise.published else None,
        "given": [{"name": r.name, "aliases": list(r.aliases)} for r in exercise.given_rules],
        "quantities": [
            {
                "name": q.name,
                "points": q.points,
                "expr": q.expr,
                "aliases": list(q.aliases),
                "optional": q.optional,
                "expected": _plain(expected[q.name]),
            }
            for q in exercise.quantities
        ],
        "trace": [{**p.to_plain(), "label": p.label} for p in exercise.points],
        "steps": _step_values(exercise, case),
    }
    text = json.dumps(plain, indent=1, allow_nan=True) + "\n"
    if len(text.encode()) > MAX_BYTES:
        raise ExerciseError(f"{exercise.id}: {FILE} would be over {MAX_BYTES} bytes")
    return text


def _order(exercise: Exercise) -> int:
    """Where the exercise comes in the course (``order`` in exercise.toml; `gdlab list`)."""
    spec = tomllib.loads((exercise.folder / "exercise.toml").read_text(encoding="utf-8"))
    return int(spec.get("order", 99))


def _step_values(exercise: Exercise, case: Any) -> list[dict[str, Any]]:
    if not exercise.steps:
        return []
    from autograder.judge.steps import step_oracle

    records, _, _ = step_oracle(exercise, case).reference
    return [
        {
            "id": s.id,
            "name": s.name,
            "at": s.at,
            "points": s.points,
            "part_of": s.part_of,
            "expected": [
                _plain(np.asarray(r.after[s.name], dtype=np.float64)) if s.name in r.after else None
                for r in records.get(s.at, [])
            ],
        }
        for s in exercise.steps
    ]


def _plain(array: np.ndarray) -> dict[str, Any]:
    values = [_rounded(float(x)) for x in np.asarray(array, dtype=np.float64).ravel()]
    return {"shape": list(np.shape(array)), "values": values}


def _rounded(x: float) -> float:
    return float(f"{x:.{_DIGITS}g}") if math.isfinite(x) else x


def same(a: str, b: str) -> bool:
    """Two published.json texts that agree (values within the last rounded digit)."""
    try:
        return _close(json.loads(a), json.loads(b))
    except ValueError:
        return False


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float | int):
        return a == b or math.isclose(a, b, rel_tol=10.0 ** (2 - _DIGITS), abs_tol=1e-300)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


# --- reading (a student's install, course mode) ------------------------------------------------


def read(folder: Path) -> Shipped:
    """The exercise of a release folder, from its published.json and its stub."""
    path = folder / FILE
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_BYTES:
            raise ExerciseError(f"{path} is over {MAX_BYTES} bytes")
        plain = json.loads(raw)
        return _shipped(folder, plain)
    except FileNotFoundError:
        raise ExerciseError(f"{path} does not exist (run `gdlab build`)") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ExerciseError(f"{path}: unreadable ({type(error).__name__}: {error})") from None


def _shipped(folder: Path, plain: dict[str, Any]) -> Shipped:
    if plain.get("format") != FORMAT:
        raise ExerciseError(f"{folder / FILE}: format {plain.get('format')!r}, expected {FORMAT}")
    script = str(plain["script"])
    stub = (folder / script).read_text(encoding="utf-8")
    steps = tuple(
        Step(str(s["id"]), str(s["name"]), str(s["at"]), float(s["points"]), str(s["part_of"]), "")
        for s in plain["steps"]
    )
    published = plain["published"]
    exercise = Exercise(
        id=str(plain["exercise"]),
        title=str(plain["title"]),
        folder=folder,
        script=script,
        notebook=str(plain["notebook"]),
        reference=stub,
        quantities=tuple(
            Quantity(
                str(q["name"]),
                float(q["points"]),
                "",
                str(q["expr"]),
                tuple(map(str, q["aliases"])),
                bool(q["optional"]),
            )
            for q in plain["quantities"]
        ),
        mistakes=(),
        given_rules=tuple(
            GivenRule(str(g["name"]), "uniform", (0.0, 0.0), None, None, tuple(g["aliases"]))
            for g in plain["given"]
        ),
        sizes={},
        hidden_cases=int(plain["hidden_cases"]),
        rtol=float(plain["rtol"]),
        atol=float(plain["atol"]),
        limits=Limits(**plain["limits"]),
        published=Published(
            str(published["prepare"]),
            tuple(published["names"]),
            str(published["data"]),
            str(published["label"]),
        )
        if published
        else None,
        files=tuple(map(str, plain["files"])),
        training=False,
        points=tuple(replace(Point.from_plain(p), label=str(p["label"])) for p in plain["trace"]),
        steps=steps,
    )
    return Shipped(
        exercise,
        {str(q["name"]): _array(q["expected"]) for q in plain["quantities"]},
        {
            str(s["id"]): [None if v is None else _array(v) for v in s["expected"]]
            for s in plain["steps"]
        },
    )


def _array(plain: dict[str, Any]) -> np.ndarray:
    shape = tuple(int(n) for n in plain["shape"])
    values = plain["values"]
    if len(values) > MAX_ELEMENTS or math.prod(shape) != len(values):
        raise ValueError(f"a value of shape {shape} with {len(values)} numbers")
    return np.asarray(values, dtype=np.float64).reshape(shape)
