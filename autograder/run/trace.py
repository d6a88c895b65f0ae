"""Observe a training loop from inside: the values of chosen names at chosen points of a run.

A training exercise's TODO lines sit inside loops (one record, one epoch), so the final weights
alone cannot say which line slipped. Where to look is data (``[trace]`` in exercise.toml): a
*point* is the body of a loop at a nesting depth (1: a module-level loop; 2: a loop inside it),
or the body of a function with a given name (a method: the locals of its first calls). For the
first ``first`` passes through that body, the run records the ``before`` names as the body
starts (the step's inputs: the weights then, a running total before this record's step) and the
``after`` names as it ends (the step quantities, and the record ``x``, ``y``).

The mechanism is an AST rewrite, not line tracing: each chosen body becomes::

    if __gdlab_trace_on__[k]: __gdlab_trace__(k, 0)
    try:
        <the body, unchanged>
    finally:
        if __gdlab_trace_on__[k]: __gdlab_trace__(k, 1)

    except BaseException:
        if __gdlab_trace_on__[k]: __gdlab_trace__(k, 2)   # the pass broke off
        raise

so once a point has its records the cost is one list lookup per pass (measured in
``bench/trace_overhead.py``), and a pass that raises half-way still shows the steps it
finished (a name it did not reach, still holding its value from before, is left out).
Line numbers are unchanged. In the sandbox every recorded value is a *description*
(`describe.describe`), read back by the grader through `Value.from_plain` with hard bounds
(`read_trace`); the grader's own reference runs keep copies of the real values instead.

Somewhat over ~300 lines, one job: the rewrite, the recorder it calls and the reader of what it
recorded share the point's layout (``before``/``after``/broken passes) and change together.
"""

from __future__ import annotations

import ast
import copy
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.run.protocol import MAX_TRACE_ELEMENTS
from autograder.run.values import Value

ON_NAME = "__gdlab_trace_on__"
CALL_NAME = "__gdlab_trace__"
#: At most this many passes are recorded at one point, and this many names per pass.
MAX_FIRST = 10
MAX_NAMES = 24


@dataclass(frozen=True)
class Point:
    """Where to observe: a loop at `depth`, or the body of functions named `function`."""

    name: str
    first: int
    before: tuple[str, ...]
    after: tuple[str, ...]
    depth: int | None = None
    function: str | None = None
    #: How feedback names pass n, e.g. "record {n} of the first epoch".
    label: str = "{n}"

    def to_plain(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "first": self.first,
            "before": list(self.before),
            "after": list(self.after),
            "depth": self.depth,
            "function": self.function,
        }

    @classmethod
    def from_plain(cls, plain: dict[str, Any]) -> Point:
        return cls(
            str(plain["name"]),
            int(plain["first"]),
            tuple(plain["before"]),
            tuple(plain["after"]),
            plain.get("depth"),
            plain.get("function"),
        )

    def where(self, n: int) -> str:
        return self.label.replace("{n}", str(n))


@dataclass(frozen=True)
class Record:
    """One pass through a point: the names as the body started, and as it ended."""

    before: dict[str, Any]
    after: dict[str, Any]
    #: The pass raised half-way: `after` holds only the names it reached.
    broken: bool = False

    def scope(self) -> dict[str, Any]:
        """The step's inputs: names as they ended, but a name also recorded at the start is
        taken from the start (the weights the step used, a total before the step added to it)."""
        return {**self.after, **self.before}


# --- the rewrite ---------------------------------------------------------------------------------


def instrument(tree: ast.Module, points: Iterable[Point]) -> ast.Module:
    """Wrap each point's body (the first matching loop or every matching function)."""
    for index, point in enumerate(points):
        for node in _targets(tree, point):
            node.body = _wrapped(node.body, index)
    ast.fix_missing_locations(tree)
    return tree


def _targets(tree: ast.Module, point: Point) -> list[ast.For | ast.While | ast.FunctionDef]:
    if point.function is not None:
        return [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == point.function
        ]
    wanted = set(point.after)
    for loop in _loops_at(tree.body, point.depth or 1):
        if wanted & _bound_in(loop.body):
            return [loop]
    return []


def _loops_at(body: list[ast.stmt], depth: int) -> Iterable[ast.For | ast.While]:
    """Loops nested in exactly `depth` - 1 other loops, in source order (not inside functions
    or classes: those are points of their own)."""
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        is_loop = isinstance(statement, ast.For | ast.While)
        if isinstance(statement, ast.For | ast.While) and depth == 1:
            yield statement
            continue
        inner = depth - 1 if is_loop else depth
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(statement, field, None)
            if isinstance(block, list):
                for item in block:
                    if isinstance(item, ast.ExceptHandler):
                        yield from _loops_at(item.body, inner)
                yield from _loops_at([s for s in block if isinstance(s, ast.stmt)], inner)


def _bound_in(body: list[ast.stmt]) -> set[str]:
    return {
        n.id
        for s in body
        for n in ast.walk(s)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def _wrapped(body: list[ast.stmt], index: int) -> list[ast.stmt]:
    start, broke, end = (
        ast.parse(f"if {ON_NAME}[{index}]: {CALL_NAME}({index}, {phase})").body[0]
        for phase in (0, 2, 1)
    )
    reraise = ast.Raise()
    for inserted in (start, broke, end, reraise):  # our lines take the body's first line number
        for node in ast.walk(inserted):
            ast.copy_location(node, body[0])
    handler = ast.ExceptHandler(
        type=ast.Name("BaseException", ast.Load()), name=None, body=[broke, reraise]
    )
    guarded = ast.Try(
        body=body, handlers=[ast.copy_location(handler, body[0])], orelse=[], finalbody=[end]
    )
    return [start, ast.copy_location(guarded, body[0])]


# --- the recording -------------------------------------------------------------------------------


class TraceComplete(BaseException):
    """Raised by a recorder made with ``stop=True`` once every point has its records: the
    grader's own runs (reference, mistakes) need one epoch, not a whole training."""


class Recorder:
    """The function the rewritten program calls; `keep` turns a live value into what is kept."""

    def __init__(
        self,
        points: list[Point],
        keep: Callable[[Any], Any],
        stop: bool = False,
        same: Callable[[Any, Any], bool] = lambda a, b: a == b,
    ):
        self.points, self.keep, self.stop, self.same = points, keep, stop, same
        self.on = [p.first > 0 for p in points]
        self.records: list[list[dict[str, Any]]] = [[] for _ in points]
        self._start: list[dict[str, Any]] = [{} for _ in points]
        self._broken = [False] * len(points)

    def install(self, namespace: dict[str, Any]) -> None:
        namespace[ON_NAME] = self.on
        namespace[CALL_NAME] = self

    def __call__(self, index: int, phase: int) -> None:
        if phase == 2:
            self._broken[index] = True
            return
        point = self.points[index]
        if len(self.records[index]) >= point.first:  # a program calling us itself: no more
            return
        scope = sys._getframe(1).f_locals
        names = (*point.before, *point.after) if phase == 0 else point.after
        kept = {name: self.keep(scope[name]) for name in names if name in scope}
        if phase == 0:
            self._start[index] = kept
            return
        start, broken = self._start[index], self._broken[index]
        if broken:  # what the pass did not reach still holds its value from before
            kept = {n: v for n, v in kept.items() if n not in start or not self.same(v, start[n])}
        self._broken[index] = False
        self.records[index].append(
            {
                "before": {n: start[n] for n in point.before if n in start},
                "after": kept,
                "broken": broken,
            }
        )
        if len(self.records[index]) >= point.first:
            self.on[index] = False
            if self.stop and not any(self.on):
                raise TraceComplete

    def plain(self) -> dict[str, list[dict[str, Any]]]:
        return {p.name: self.records[i][: p.first] for i, p in enumerate(self.points)}


def same_live(a: Any, b: Any) -> bool:
    """Equal live values (the grader's own runs), arrays element by element."""
    try:
        return type(a) is type(b) and bool(np.array_equal(a, b))
    except Exception:
        return a is b


def live_copy(value: Any) -> Any:
    """What the grader's own runs keep: a copy (a running total changes in place later)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def budgeted(describe: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """`describe`, but past MAX_TRACE_ELEMENTS numbers in all a value arrives as too large."""
    spent = [0]

    def keep(value: Any) -> dict[str, Any]:
        plain = describe(value)
        data = plain.get("data")
        if isinstance(data, list):
            spent[0] += len(data)
            if spent[0] > MAX_TRACE_ELEMENTS:
                plain = {**plain, "kind": "too_large"}
                plain.pop("data")
        return plain

    return keep


# --- the grader's side ---------------------------------------------------------------------------


def read_trace(raw: Any, points: Iterable[Point]) -> dict[str, list[Record]]:
    """The worker's trace as Records of `Value`s: only known points and names, at most `first`
    passes each; anything malformed is dropped."""
    if not isinstance(raw, dict):
        return {}
    trace: dict[str, list[Record]] = {}
    for point in points:
        passes = raw.get(point.name)
        if not isinstance(passes, list):
            continue
        records = []
        for item in passes[: point.first]:
            if not isinstance(item, dict):
                break
            before, after = item.get("before"), item.get("after")
            if not isinstance(before, dict) or not isinstance(after, dict):
                break
            records.append(
                Record(
                    {n: Value.from_plain(before[n]) for n in point.before if n in before},
                    {n: Value.from_plain(after[n]) for n in point.after if n in after},
                    item.get("broken") is True,
                )
            )
        trace[point.name] = records
    return trace


def run_traced(
    code: Any, namespace: dict[str, Any], points: list[Point]
) -> tuple[dict[str, list[Record]], BaseException | None]:
    """Run compiled, instrumented `code` of ours until every point has its records; return the
    records (live copies) and the exception the program raised first, if any."""
    recorder = Recorder(points, live_copy, stop=True, same=same_live)
    recorder.install(namespace)
    failure: BaseException | None = None
    try:
        exec(code, namespace)
    except TraceComplete:
        pass
    except Exception as error:
        failure = error
    records = {
        name: [Record(r["before"], r["after"], r["broken"]) for r in passes]
        for name, passes in recorder.plain().items()
    }
    return records, failure
