"""Values that never follow the given values (the published numbers typed in, or a constant).

Seen across cases: a quantity whose value on a hidden case equals its value on the published
one although the right values differ is *frozen*. A frozen value earns nothing on any case, the
published one included, and no step earns carried-forward credit (or a named mistake) from it —
unless the step's own line reads it (`load.dataflow`): ``h = 0.8`` typed in, then `nn_output`
computed as the sigmoid of that `h`, is one slip at `h`, and `nn_output`, frozen only because
`h` is, keeps its points as right given that `h`. A frozen value of zeros carries nothing: any
formula that multiplies by it is "right given" it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from autograder.judge.checks import TYPED_IN, Check, Reason
from autograder.judge.compare import accepts, close
from autograder.judge.diagnose import Oracle
from autograder.load import dataflow
from autograder.load.exercise import Exercise
from autograder.run.sandbox import RunResult

#: For each quantity, the frozen values it may still carry credit from.
Credit = Mapping[str, frozenset[str]]


def frozen(oracle: Oracle, run: RunResult, published: tuple[Oracle, RunResult]) -> frozenset[str]:
    """Quantities whose value did not follow the case: the same as on the published example,
    although the right value is not."""
    first_oracle, first_run = published
    tol = oracle.exercise.rtol, oracle.exercise.atol
    names = set()
    for name, value in run.values.items():
        before = first_run.values.get(name)
        if (
            value.kind == "real"
            and before is not None
            and before.kind == "real"
            and value.shape == before.shape
            and before.array is not None
            and accepts(before.array, value, 0.0, 0.0)
            and not close(oracle.expected[name], first_oracle.expected[name], *tol)
        ):
            names.add(name)
    return frozenset(names)


def reads(exercise: Exercise, source: str) -> dict[str, frozenset[str]]:
    """For each quantity: the other quantities the file computes it from (under any of their
    names), read off its text."""
    owner = tuple((n, q.name) for q in exercise.quantities for n in (q.name, *q.aliases))
    return _reads(source, owner)


@functools.lru_cache(maxsize=32)
def _reads(source: str, owner_pairs: tuple[tuple[str, str], ...]) -> dict[str, frozenset[str]]:
    owner = dict(owner_pairs)
    found: dict[str, set[str]] = {}
    for name, read in dataflow.reads(source, owner).items():
        found.setdefault(owner[name], set()).update(owner[r] for r in read if r in owner)
    return {q: frozenset(r - {q}) for q, r in found.items()}


def credit(frozen: frozenset[str], run: RunResult, exercise: Exercise, source: str) -> Credit:
    """For each quantity: the frozen values of this run it reads, zeros left out. The file is
    read only when some value is frozen (rarely: a file whose values follow the case)."""
    if not frozen:
        return {}
    read = reads(exercise, source)
    usable = set()
    for name in frozen:
        value = run.values.get(name)
        if value is not None and value.array is not None and np.any(value.array):
            usable.add(name)
    return {q: r & usable for q, r in read.items() if r & usable}


def settle(checks: list[Check], frozen_anywhere: frozenset[str], credit: Credit) -> list[Check]:
    """The checks once every case is known: typed-in values and credit built on them revoked."""
    checks = [_revoke(c, frozen_anywhere, credit) for c in checks]
    inherited = _inherited(checks, frozen_anywhere)
    return [_typed_in(c, frozen_anywhere - inherited) for c in checks]


def _inherited(checks: list[Check], frozen_anywhere: frozenset[str]) -> frozenset[str]:
    """Frozen values that stay the same only because a value they are computed from does: right
    given it on every hidden case (after `_revoke`, so only through credit their line reads)."""
    hidden: dict[str, list[Check]] = {}
    for check in checks:
        if check.quantity in frozen_anywhere and not check.visible:
            hidden.setdefault(check.quantity, []).append(check)
    return frozenset(
        q for q, found in hidden.items() if all(c.passed and c.carried_forward for c in found)
    )


def _typed_in(check: Check, typed: frozenset[str]) -> Check:
    """A value that stays the same while the given values change earns nothing on any case,
    the published one included: right there only because the published numbers were typed in."""
    if check.quantity not in typed or not check.passed:
        return check
    return replace(
        check,
        passed=False,
        score=0.0,
        carried_forward=False,
        built_on=(),
        mistake=TYPED_IN[0],
        hint=TYPED_IN[1],
        reason=Reason.TYPED_IN,
        message="right here, but it stays the same when the given values change "
        "(typed in?): no points on any case",
    )


def _revoke(check: Check, frozen_anywhere: frozenset[str], credit: Credit) -> Check:
    """No carried-forward credit and no mistake read off the student's own values, on any case,
    when those values never followed the given values (typed in, or a constant such as 0):
    a step is "right given" a constant 0 whatever its formula."""
    blocking = frozen_anywhere.intersection(check.built_on) - credit.get(check.quantity, set())
    if not blocking:
        return check
    if not check.carried_forward:
        return replace(check, mistake=None, hint=None, built_on=())
    named = ", ".join(sorted(blocking))
    return replace(
        check,
        passed=False,
        score=0.0,
        carried_forward=False,
        built_on=(),
        reason=Reason.FROZEN_UPSTREAM,
        message=f"right only given your {named}, which stays the same whatever the "
        "given values are: no credit carried forward",
    )
