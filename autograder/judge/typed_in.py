"""Values that never follow the given values (the published numbers typed in, or a constant).

Seen across cases: a quantity whose value on a hidden case equals its value on the published
one although the right values differ is *frozen*. A frozen value earns nothing on any case, the
published one included, and no step earns carried-forward credit (or a named mistake) from it.
"""

from __future__ import annotations

from dataclasses import replace

from autograder.judge.checks import TYPED_IN, Check, Reason
from autograder.judge.compare import close, compare
from autograder.judge.diagnose import Oracle
from autograder.run.sandbox import RunResult


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
            and compare(before.array, value, 0.0, 0.0).ok
            and not close(oracle.expected[name], first_oracle.expected[name], *tol)
        ):
            names.add(name)
    return frozenset(names)


def settle(check: Check, frozen_anywhere: frozenset[str]) -> Check:
    """`check` once every case is known: typed-in values and credit built on them revoked."""
    return _typed_in(_revoke(check, frozen_anywhere), frozen_anywhere)


def _typed_in(check: Check, frozen_anywhere: frozenset[str]) -> Check:
    """A value that stays the same while the given values change earns nothing on any case,
    the published one included: right there only because the published numbers were typed in."""
    if check.quantity not in frozen_anywhere or not check.passed:
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


def _revoke(check: Check, frozen_anywhere: frozenset[str]) -> Check:
    """No carried-forward credit and no mistake read off the student's own values, on any case,
    when those values never followed the given values (typed in, or a constant such as 0):
    a step is "right given" a constant 0 whatever its formula."""
    if not frozen_anywhere.intersection(check.built_on):
        return check
    if not check.carried_forward:
        return replace(check, mistake=None, hint=None, built_on=())
    named = ", ".join(sorted(frozen_anywhere.intersection(check.built_on)))
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
