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

A *curve* point (``curve = "loss"``) watches a whole training instead of its first passes: it
keeps the passes that bind that name anew (the loss the program computes, every epoch or every
hundredth), at most ``first`` of them spread evenly over the run (when full, every other one is
dropped and only every other later one is kept), each with its pass number. The cost is two
calls per pass of an epoch loop; the feedback page draws the student's loss curve from it.

Somewhat over ~300 lines, one job: the rewrite, the recorder it calls and the reader of what
it recorded share the point's layout (``before``/``after``/broken passes) and change together.
"""

from __future__ import annotations

import ast
import copy
import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# numpy is imported where the grader's own runs use it: the sandbox reads traces with this
# module, and a TEST RUN sends its job before the grader imports numpy (`judge.grader`).
from autograder.run.protocol import MAX_PASS, MAX_TRACE_ELEMENTS
from autograder.run.values import Value

ON_NAME = "__gdlab_trace_on__"
CALL_NAME = "__gdlab_trace__"
#: At most this many passes are recorded at one point, and this many names per pass.
MAX_FIRST = 10
MAX_NAMES = 24
#: A curve point keeps at most this many passes (`first`).
MAX_CURVE = 100


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
    #: A curve point: the passes that bind this name anew, spread over the whole run.
    curve: str | None = None

    def to_plain(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "first": self.first,
            "before": list(self.before),
            "after": list(self.after),
            "depth": self.depth,
            "function": self.function,
            "curve": self.curve,
        }

    @classmethod
    def from_plain(cls, plain: dict[str, Any]) -> Point:
        curve = plain.get("curve")
        return cls(
            str(plain["name"]),
            int(plain["first"]),
            tuple(plain["before"]),
            tuple(plain["after"]),
            plain.get("depth"),
            plain.get("function"),
            curve=None if curve is None else str(curve),
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
    #: Which pass this was (1 = the first), for a curve point's records.
    number: int | None = None

    def scope(self) -> dict[str, Any]:
        """The step's inputs: names as they ended, but a name also recorded at the start is
        taken from the start (the weights the step used, a total before the step added to it)."""
        return {**self.after, **self.before}


# --- the rewrite ---------------------------------------------------------------------------------


def instrument(tree: ast.Module, points: Iterable[Point]) -> ast.Module:
    """Wrap each point's body (the first matching loop or every matching function)."""
    points = list(points)
    if not points:  # nothing to observe: the tree is left as it is (no walk over it)
        return tree
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
        complete: Callable[[str, list[dict[str, Any]]], None] | None = None,
    ):
        self.points, self.keep, self.stop, self.same = points, keep, stop, same
        #: Told each (non-curve) point's records once they are all in: the sandbox's child
        #: sends them at once (`early.py`), so a run stopped later for time keeps them.
        self.complete = complete
        self.on = [p.first > 0 for p in points]
        self.records: list[list[dict[str, Any]]] = [[] for _ in points]
        self._start: list[dict[str, Any]] = [{} for _ in points]
        self._broken = [False] * len(points)
        self._curves = {i: _Curve(p) for i, p in enumerate(points) if p.curve is not None}

    def install(self, namespace: dict[str, Any]) -> None:
        namespace[ON_NAME] = self.on
        namespace[CALL_NAME] = self

    def __call__(self, index: int, phase: int) -> None:
        if phase == 2:
            self._broken[index] = True
            return
        if index in self._curves:
            self._broken[index] = False
            self._curves[index].observe(phase, sys._getframe(1).f_locals)
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
            if self.complete is not None:
                self.complete(point.name, self.records[index])
            if self.stop and not any(on for i, on in enumerate(self.on) if i not in self._curves):
                raise TraceComplete

    def plain(self) -> dict[str, list[dict[str, Any]]]:
        """Every point's records; a curve point's values are made what is kept only now (a
        value a later pass dropped was never described)."""
        plain = {}
        for i, p in enumerate(self.points):
            if i in self._curves:
                plain[p.name] = [
                    {
                        "before": {},
                        "after": {n: self.keep(v) for n, v in after.items()},
                        "broken": False,
                        "pass": number,
                    }
                    for number, after in self._curves[i].kept[: p.first]
                ]
            else:
                plain[p.name] = self.records[i][: p.first]
        return plain


_UNBOUND = object()


class _Curve:
    """A curve point's passes that bind its name anew, at most `first`, evenly spread: when
    full, every other one is dropped and from then on every other new one is kept."""

    def __init__(self, point: Point) -> None:
        self.point = point
        self.kept: list[tuple[int, dict[str, Any]]] = []
        self.passes = self.bound = 0
        self.stride = 1
        self._held: Any = _UNBOUND

    def observe(self, phase: int, scope: dict[str, Any]) -> None:
        name = self.point.curve
        value = scope.get(name, _UNBOUND) if name is not None else _UNBOUND
        if phase == 0:  # the object itself, held: rebinding makes a new one, never the same
            self.passes += 1
            self._held = value
            return
        held, self._held = self._held, _UNBOUND
        if value is _UNBOUND or value is held:
            return
        self.bound += 1
        if (self.bound - 1) % self.stride:
            return
        self.kept.append(
            (self.passes, {n: live_copy(scope[n]) for n in self.point.after if n in scope})
        )
        if len(self.kept) > self.point.first:
            del self.kept[1::2]
            self.stride *= 2


def same_live(a: Any, b: Any) -> bool:
    """Equal live values (the grader's own runs), arrays element by element."""
    import numpy as np

    try:
        return type(a) is type(b) and bool(np.array_equal(a, b))
    except Exception:
        return a is b


def live_copy(value: Any) -> Any:
    """What the grader's own runs keep: a copy (a running total changes in place later)."""
    import numpy as np

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
            number = item.get("pass")
            records.append(
                Record(
                    {n: Value.from_plain(before[n]) for n in point.before if n in before},
                    {n: Value.from_plain(after[n]) for n in point.after if n in after},
                    item.get("broken") is True,
                    number if type(number) is int and 0 < number <= MAX_PASS else None,
                )
            )
        trace[point.name] = records
    return trace


def run_traced(
    code: Any, namespace: dict[str, Any], points: list[Point], stop: bool = True
) -> tuple[dict[str, list[Record]], BaseException | None]:
    """Run compiled, instrumented `code` of ours until every point but a curve has its records
    (with `stop`; else to the end); return the records (live copies) and the exception the
    program raised first, if any."""
    recorder = Recorder(points, live_copy, stop=stop, same=same_live)
    recorder.install(namespace)
    failure: BaseException | None = None
    try:
        exec(code, namespace)
    except TraceComplete:
        pass
    except Exception as error:
        failure = error
    records = {
        name: [Record(r["before"], r["after"], r["broken"], r.get("pass")) for r in passes]
        for name, passes in recorder.plain().items()
    }
    return records, failure


def curve(
    points: Iterable[Point], records: dict[str, list[Record]]
) -> tuple[tuple[int, float | None], ...] | None:
    """The loss curve a run recorded at its curve point: (pass, loss) for each kept pass whose
    value is one real number (a `Value` from a program, or a live value of ours); a loss that
    is not a finite number (a diverging run, worth seeing) is None, so the curve is plain JSON.
    None when no point watches a curve."""
    point = next((p for p in points if p.curve is not None), None)
    if point is None or point.curve is None:
        return None
    found = []
    for record in records.get(point.name, []):
        number = _number(record.after.get(point.curve))
        if number is not None and record.number is not None:
            found.append((record.number, number if math.isfinite(number) else None))
    return tuple(found)


def _number(value: Any) -> float | None:
    if isinstance(value, Value):
        if value.kind != "real" or value.array is None:
            return None
        value = value.array
    import numpy as np

    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return float(array.reshape(-1)[0]) if array.size == 1 else None
