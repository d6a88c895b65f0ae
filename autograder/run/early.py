"""A trace point's records, sent by the case's child as soon as they are complete.

A training program's first-epoch steps are recorded long before it ends (trace.py), but the
case's report carries them only at the end: a right answer with a slow record loop (pandas'
``iterrows``, ``.iloc[i]``) that is stopped for time would lose steps it computed right. So the
child also writes, on the same result channel and before its report, one *early* line per
trace point the moment that point has its ``first`` passes::

    {"early": {"record": [{"before": {...}, "after": {...}, "broken": false}, ...]}}

The line is hostile input like the report (the student's code shares the child's process and
may write anything on the channel), so `EarlyTraces.take` reads it as strictly: the report's
size bound per line, only the request's non-curve points, each at most once a case, at most
``first`` passes, every value a valid description, and one budget of numbers
(`protocol.MAX_TRACE_ELEMENTS`) for all of a case's early lines. Anything else makes the case's
result unreadable, as a broken report does. A report that arrives supersedes the early lines
(it holds the same records and the curve); they are kept only when the case ends without a
readable-by-schema report of its own: stopped for time, killed, crashed. Lines written before a
case's go are discarded with the rest (`watch.Watch.forget_early_results`).
"""

from __future__ import annotations

import json
from typing import Any

from autograder.run.protocol import (
    MAX_REPORT_BYTES,
    MAX_TRACE_ELEMENTS,
    Answer,
    TraceShape,
    check_trace,
    loads,
)
from autograder.run.values import Unreadable

#: How an early line starts (``json.dumps`` of ``{"early": ...}``); a report never does.
PREFIX = b'{"early"'


def encode(point: str, passes: list[dict[str, Any]]) -> bytes:
    """The child's early line for one complete point (its passes are descriptions already)."""
    return json.dumps({"early": {point: passes}}).encode() + b"\n"


def early_shape(points: list[dict[str, Any]]) -> TraceShape:
    """The points a case may send early: the request's trace points but curves (a curve runs
    over the whole training, so it is complete only in the report)."""
    return {
        p["name"]: (int(p["first"]), frozenset((*p["before"], *p["after"])))
        for p in points
        if p.get("curve") is None
    }


class EarlyTraces:
    """One case's early lines, checked as they arrive; `kept` is what may stand in for the
    report's trace when the case ends without a report."""

    def __init__(self, points: list[dict[str, Any]]) -> None:
        self.shape = early_shape(points)
        self.kept: dict[str, list[dict[str, Any]]] = {}
        self._budget = [MAX_TRACE_ELEMENTS]

    @staticmethod
    def is_early(line: bytes | bytearray) -> bool:
        return bytes(line[: len(PREFIX)]) == PREFIX

    def take(self, line: bytes) -> None:
        """Check one early line and keep its point; raises `Unreadable` for anything else (an
        unknown point, a point sent twice, too many passes or numbers, a broken schema)."""
        plain = loads(line, MAX_REPORT_BYTES)
        if type(plain) is not dict or set(plain) != {"early"}:
            raise Unreadable("early: expected one key")
        sent = plain["early"]
        if type(sent) is not dict or len(sent) != 1:
            raise Unreadable("early: expected one point")
        (point,) = sent
        if point in self.kept:
            raise Unreadable("early: a point sent twice")
        self.kept.update(check_trace(sent, self.shape, self._budget))


def seen_then_stopped(answer: Answer) -> bool:
    """Stopped for time or killed, but with trace points it completed before: a slow program,
    not a stuck one, so the job's later (smaller) cases run on, in a fresh process."""
    return answer.status in ("timeout", "no_result") and bool(answer.trace)
