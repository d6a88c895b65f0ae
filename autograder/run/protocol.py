"""What the grader, the sandbox worker and a case's child say to each other, and how it is read.

Three messages, each a dataclass with one JSON line on the wire:

* `Request` (grader → worker): the program, its cases, what to read back, the limits. Ours.
* `Report` (child → worker): how one case ended and descriptions of its values. The child runs
  the student's program in its own process, which can write anything on the report channel, so a
  report is *hostile input*: `Report.decode` reads it with a strict schema and hard bounds.
* `Answer` (worker → grader): one case as the worker saw it (time, output, report). It relays
  what the child said, so the grader reads it with the same strictness (`Answer.from_plain`).

Reading is linear in the bytes received and bounded: a line over its size limit, JSON nested
deeper than the schema, a number that is not finite, a key the schema does not know, a value
of the wrong exact type, too many elements: each makes the whole report unreadable (the case's
result "could not be read"), never an exception outside this module. Values are checked by
`values.check_description`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from autograder.run.values import MAX_REPORT_ELEMENTS, Unreadable, check_description, printable

#: What the child may say about how the program ended; anything else is not believed.
CHILD_STATUSES = frozenset(
    {"finished", "exited", "raised", "syntax_error", "given_missing", "sandbox_failure"}
)
#: After these the child stops: the remaining cases would fail alike.
CHILD_STOPS = frozenset({"syntax_error", "given_missing", "sandbox_failure"})
#: What the worker adds: the case ran out of time, or ended without a readable report.
WORKER_STATUSES = frozenset({"timeout", "no_result"})
#: The one report line a case may write (a value holds at most `values.MAX_ELEMENTS` numbers).
MAX_REPORT_BYTES = 8 * 2**20
#: Exit text of a case whose report broke the schema (grading words it for the student).
UNREADABLE = "unreadable"
#: A case's time limit is CPU time: it may take up to this many times the limit in wall-clock
#: time while it has not used the limit in CPU (a busy machine), then it is stopped.
STRETCH = 3.0
_MAX_TEXT = {"type": 120, "message": 300}
_MAX_LINE = 10**7


def _shallow(message: Any) -> dict[str, Any]:
    """A message's fields as a dict for `json.dumps`: its fields are plain JSON data already,
    so `dataclasses.asdict`'s deep copy (of every number of every case) is work for nothing."""
    return {f.name: getattr(message, f.name) for f in fields(message)}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(line: bytes | str, max_bytes: int) -> Any:
    """json.loads with hard limits: size, no NaN/Infinity literals, nesting (RecursionError from
    the C scanner, which stops at the interpreter's recursion limit) all become `Unreadable`."""
    if len(line) > max_bytes:
        raise Unreadable(f"more than {max_bytes} bytes")
    try:
        return json.loads(line, parse_constant=_refuse_constant)
    except (ValueError, RecursionError, MemoryError, UnicodeDecodeError) as error:
        raise Unreadable(type(error).__name__) from None


def _exact(value: Any, kind: type, what: str) -> Any:
    if type(value) is not kind:
        raise Unreadable(f"{what}: expected {kind.__name__}")
    return value


def _keys(plain: Any, allowed: frozenset[str], what: str) -> dict[str, Any]:
    _exact(plain, dict, what)
    if not set(plain) <= allowed:
        raise Unreadable(f"{what}: unknown keys")
    return plain


_ERROR_KEYS = frozenset({"type", "message", "line"})
_REPORT_KEYS = frozenset({"status", "error", "values", "trace"})
_PASS_KEYS = frozenset({"before", "after", "broken", "pass"})
#: The largest pass number a curve point's record may carry.
MAX_PASS = 10**9
#: What a trace may hold, per trace point: at most this many passes, only these names.
TraceShape = dict[str, tuple[int, frozenset[str]]]
#: Numbers a case's whole trace may hold (the recorder stops describing past this).
MAX_TRACE_ELEMENTS = 100_000


def check_error(plain: Any) -> dict[str, Any] | None:
    """An error description: {"type": str, "message": str, "line": int in range or null}."""
    if plain is None:
        return None
    _keys(plain, _ERROR_KEYS, "error")
    kind = printable(_exact(plain.get("type"), str, "error type")[: _MAX_TEXT["type"]])
    message = printable(_exact(plain.get("message"), str, "error message")[: _MAX_TEXT["message"]])
    line = plain.get("line")
    if line is not None and not (type(line) is int and 0 < line <= _MAX_LINE):
        raise Unreadable("error line")
    return {"type": kind, "message": message, "line": line}


def check_values(plain: Any, quantities: frozenset[str]) -> dict[str, dict[str, Any]]:
    """The described values: only requested names, each a valid description, bounded in total."""
    _keys(plain, quantities, "values")
    budget = [MAX_REPORT_ELEMENTS]
    return {name: check_description(described, budget) for name, described in plain.items()}


def trace_shape(points: list[dict[str, Any]]) -> TraceShape:
    """The shape a trace must have, from the request's trace points (`trace.Point.to_plain`)."""
    return {p["name"]: (int(p["first"]), frozenset((*p["before"], *p["after"]))) for p in points}


def check_trace(
    plain: Any, shape: TraceShape, budget: list[int] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Values recorded inside the program's loops: only the requested points, at most `first`
    passes each, only the point's names, every value a valid description, bounded in total
    (by `budget`, shared by the calls given the same list: a case's early lines, `early.py`)."""
    if plain is None:
        return {}
    _keys(plain, frozenset(shape), "trace")
    budget = [MAX_TRACE_ELEMENTS] if budget is None else budget
    kept: dict[str, list[dict[str, Any]]] = {}
    for point, passes in plain.items():
        first, names = shape[point]
        if len(_exact(passes, list, "trace passes")) > first:
            raise Unreadable("trace: too many passes")
        kept[point] = [_check_pass(one, names, budget) for one in passes]
    return kept


def _check_pass(plain: Any, names: frozenset[str], budget: list[int]) -> dict[str, Any]:
    _keys(plain, _PASS_KEYS, "trace pass")
    return {
        "before": {
            n: check_description(d, budget)
            for n, d in _keys(plain.get("before", {}), names, "trace before").items()
        },
        "after": {
            n: check_description(d, budget)
            for n, d in _keys(plain.get("after", {}), names, "trace after").items()
        },
        "broken": _exact(plain.get("broken", False), bool, "trace broken"),
        **({"pass": _pass_number(plain["pass"])} if "pass" in plain else {}),
    }


def _pass_number(plain: Any) -> int:
    number = _exact(plain, int, "trace pass number")
    if not 0 < number <= MAX_PASS:
        raise Unreadable("trace pass number")
    return number


@dataclass(frozen=True)
class Request:
    """One job for the worker: run `source` once per case of `cases` (given values or None)."""

    source: str
    filename: str
    cases: list[dict[str, Any] | None]
    quantities: dict[str, str]
    limits: dict[str, Any]
    #: Given files of the exercise, bound read-only into the case's working directory.
    files: list[str] = field(default_factory=list)
    #: Paths inside the case's allow-list that must still be covered (rarely needed).
    hide_paths: list[str] = field(default_factory=list)
    #: Where to observe the program from inside (`trace.Point.to_plain`), for training loops.
    trace: list[dict[str, Any]] = field(default_factory=list)
    #: The program with the given block put in place for cases with these given names, as the
    #: grader wrote it (`given_text`): {"names": [...], "source": "..."}; None: the child
    #: rewrites the parsed program itself.
    injected: dict[str, Any] | None = None

    def encode(self) -> bytes:
        return json.dumps(_shallow(self)).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes) -> Request:
        """The grader's own request (trusted); malformed means a bug, so it raises."""
        return cls(**json.loads(line))


@dataclass(frozen=True)
class Report:
    """How one case ended, as the child says: believed only after `decode` checked it."""

    status: str
    error: dict[str, Any] | None
    values: dict[str, dict[str, Any]]
    trace: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def encode(self) -> bytes:
        return json.dumps(_shallow(self)).encode() + b"\n"

    @classmethod
    def decode(
        cls, line: bytes, quantities: frozenset[str], shape: TraceShape | None = None
    ) -> Report:
        """Read a child's report line strictly; raises `Unreadable` for anything else."""
        plain = _keys(loads(line, MAX_REPORT_BYTES), _REPORT_KEYS, "report")
        status = plain.get("status")
        if type(status) is not str or status not in CHILD_STATUSES:
            raise Unreadable("status")
        return cls(
            status,
            check_error(plain.get("error")),
            check_values(plain.get("values", {}), quantities),
            check_trace(plain.get("trace"), shape or {}),
        )


_ANSWER_KEYS = frozenset(
    {"status", "error", "values", "seconds", "output", "output_truncated", "exit", "trace"}
)


@dataclass(frozen=True)
class Answer:
    """One case as the worker saw it: the report's fields, plus time, output and exit."""

    status: str
    seconds: float
    output: str = ""
    output_truncated: bool = False
    error: dict[str, Any] | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    exit: str | None = None
    trace: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_plain(self) -> dict[str, Any]:
        return _shallow(self)

    @classmethod
    def from_plain(
        cls,
        plain: Any,
        quantities: frozenset[str],
        max_output: int,
        shape: TraceShape | None = None,
    ) -> Answer:
        """Read one case of the worker's answer as strictly as a report (it relays one)."""
        _keys(plain, _ANSWER_KEYS, "answer")
        status = plain.get("status")
        if type(status) is not str or status not in CHILD_STATUSES | WORKER_STATUSES:
            raise Unreadable("status")
        seconds = plain.get("seconds")
        if type(seconds) not in (int, float) or not 0 <= seconds < 1e6:
            raise Unreadable("seconds")
        exit_text = plain.get("exit")
        if exit_text is not None:
            exit_text = printable(_exact(exit_text, str, "exit")[:40])
        return cls(
            status,
            float(seconds),
            _exact(plain.get("output", ""), str, "output")[:max_output],
            _exact(plain.get("output_truncated", False), bool, "output_truncated"),
            check_error(plain.get("error")),
            check_values(plain.get("values", {}), quantities),
            exit_text,
            check_trace(plain.get("trace"), shape or {}),
        )

    @classmethod
    def unreadable(cls, seconds: float, output: str, truncated: bool) -> Answer:
        """A case whose report broke the schema: its result could not be read."""
        return cls("no_result", seconds, output, truncated, exit=UNREADABLE)
