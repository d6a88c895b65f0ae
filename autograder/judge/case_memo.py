"""The checks of a case already judged, for a run that came back with the same values.

A class's files make the same few values on a case: the right ones, and each catalogued
mistake's (which is why the catalogue names them). Judging a case (`case_checks.check_case`) is
a pure function of the case's oracle and what the run sent back, and telling why a value is
wrong (carried forward, a named mistake) costs most of it; so a run whose values, outcome and
crash are exactly those of one judged before gets that run's checks again.

Exactly means bit for bit: the key holds every value's kind, type, dtype, shape, text and the
bytes of its numbers, the run's outcome, its error and whether its loop was observed, the
problem said of it, and the typed-in values and credit the grade passes in. Only small runs are
kept (`MAX_NUMBERS`) and only the last `MAX_ENTRIES`, so the memory is bounded whatever the
class; an oracle is held weakly (a course server draws new cases for every SUBMIT: the memo
must not keep their oracles alive). Checks are frozen: handing the same ones to two grades is
safe.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING

from autograder.run.sandbox import RunResult

if TYPE_CHECKING:
    from autograder.judge.checks import Check
    from autograder.judge.diagnose import Oracle

#: Runs with more numbers than this in all are judged every time (a training exercise's
#: weights): their key would cost more memory than judging them again costs time.
MAX_NUMBERS = 1024
#: Cases kept at most (the oldest go first): a few tens of kB each at most.
MAX_ENTRIES = 1024

_KEPT: OrderedDict[Hashable, tuple[weakref.ref[Oracle], list[Check]]] = OrderedDict()
_LOCK = threading.Lock()


def checks(
    oracle: Oracle,
    run: RunResult,
    key: tuple[Hashable, ...],
    judge: Callable[[], list[Check]],
) -> list[Check]:
    """`judge()`'s checks, or those of the same run judged before on this oracle; `key`
    holds everything else the checks depend on (problem, cases, typed-in values, credit)."""
    values = _values_key(run) if oracle.case.key else None  # keyless: an oracle never reused
    if values is None:
        return judge()
    full = (id(oracle), values, run.status, _error_key(run), any(run.trace.values()), *key)
    with _LOCK:
        kept = _KEPT.get(full)
        if kept is not None and kept[0]() is oracle:  # not another one at a dead one's address
            _KEPT.move_to_end(full)
            return list(kept[1])
    found = judge()
    with _LOCK:
        _KEPT[full] = (weakref.ref(oracle), list(found))
        while len(_KEPT) > MAX_ENTRIES:
            _KEPT.popitem(last=False)
    return found


def credit_key(credit: Mapping[str, frozenset[str]] | None) -> tuple[Hashable, ...]:
    return tuple(sorted((name, tuple(sorted(read))) for name, read in (credit or {}).items()))


def _values_key(run: RunResult) -> tuple[Hashable, ...] | None:
    numbers = 0
    parts = []
    for name in sorted(run.values):
        value = run.values[name]
        data = None
        if value.array is not None:
            numbers += value.array.size
            if numbers > MAX_NUMBERS:
                return None
            data = (value.array.dtype.str, value.array.shape, value.array.tobytes())
        parts.append((name, value.kind, value.type, value.dtype, value.shape, value.text, data))
    return tuple(parts)


def _error_key(run: RunResult) -> tuple[str, str] | None:
    if not run.error:
        return None
    return str(run.error.get("type")), str(run.error.get("message"))
