"""A case's checks are kept for a run with exactly the same values (judge/case_memo.py): a class
makes the same few values, and a repeated wrong value is diagnosed once. The same values get
the same checks; anything different (a number, the crash) is judged anew."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from autograder.judge import case_memo
from autograder.judge.case_checks import check_case
from autograder.judge.diagnose import Oracle, oracle_for
from autograder.load import exercise as exercises
from autograder.run.describe import describe
from autograder.run.outcome import Outcome
from autograder.run.sandbox import RunResult
from autograder.run.values import Value


@pytest.fixture
def oracle() -> Oracle:
    exercise = exercises.get("gradient_basic")
    return oracle_for(exercise, exercise.published_case(None))


@pytest.fixture
def diagnosed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The quantities the oracle was asked to explain from now on (a spy)."""
    asked: list[str] = []
    real = Oracle.diagnose

    def spy(self: Oracle, name: str, *args: object, **kwargs: object):
        asked.append(name)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(Oracle, "diagnose", spy)
    return asked


def run_of(values: dict[str, object], **changes: object) -> RunResult:
    """A fresh run, as the sandbox hands one back, with these values."""
    read = {name: Value.from_plain(describe(np.asarray(v))) for name, v in values.items()}
    return dataclasses.replace(RunResult(status=Outcome.FINISHED, values=read), **changes)


def sign_flipped(oracle: Oracle) -> dict[str, object]:
    """The published case's values with the error's sign flipped (a catalogued mistake)."""
    values = {name: value.copy() for name, value in oracle.expected.items()}
    values["error"] = -values["error"]
    return values


def test_the_same_values_get_the_same_checks_and_are_diagnosed_once(oracle, diagnosed):
    values = sign_flipped(oracle)
    first = check_case(oracle, run_of(values), None, 1)
    asked = list(diagnosed)
    again = check_case(oracle, run_of(values), None, 1)
    assert "error" in asked and diagnosed == asked  # not asked again
    assert again == first
    error = next(c for c in again if c.quantity == "error")
    assert not error.passed and error.mistake == "sign flipped (ŷ − y)"


def test_a_value_one_bit_apart_is_judged_anew(oracle, diagnosed):
    values = sign_flipped(oracle)
    first = check_case(oracle, run_of(values), None, 1)
    values["error"] = np.nextafter(values["error"], 1.0)
    asked = len(diagnosed)
    other = check_case(oracle, run_of(values), None, 1)
    assert diagnosed[asked:] == ["error"]  # explained again, though it reads the same
    assert [c.mistake for c in other] == [c.mistake for c in first]


def test_the_same_values_with_another_crash_are_judged_anew(oracle):
    values = {name: value for name, value in sign_flipped(oracle).items() if name != "del_w"}

    def crashed(message: str) -> RunResult:
        error = {"type": "ValueError", "message": message}
        return run_of(values, status=Outcome.RAISED, error=error)

    first = check_case(oracle, crashed("shapes (4,) and (3,) not aligned"), "it raised A", 1)
    other = check_case(oracle, crashed("another message"), "it raised B", 1)
    del_w = [next(c for c in checks if c.quantity == "del_w") for checks in (first, other)]
    assert [c.message for c in del_w] == ["not computed: it raised A", "not computed: it raised B"]


def test_a_run_with_many_numbers_is_not_kept(oracle, monkeypatch):
    monkeypatch.setattr(case_memo, "MAX_NUMBERS", 3)  # del_w alone has 4 numbers
    judged: list[int] = []
    real = case_memo._values_key
    monkeypatch.setattr(case_memo, "_values_key", lambda run: judged.append(1) or real(run))
    before = len(case_memo._KEPT)
    check_case(oracle, run_of(sign_flipped(oracle)), None, 1)
    assert judged and len(case_memo._KEPT) == before


def test_the_kept_checks_do_not_keep_their_case_alive():
    """A course server draws new cases for every SUBMIT: their oracles go when the grader's
    own table lets them go, whatever the checks kept of them."""
    import gc
    import weakref

    exercise = exercises.get("gradient_basic")
    case = exercise.published_case(None)
    oracle = Oracle(exercise, case)  # not one of the shared oracles
    values = {name: value.copy() for name, value in oracle_for(exercise, case).expected.items()}
    check_case(oracle, run_of(values), None, 1)
    gone = weakref.ref(oracle)
    del oracle
    gc.collect()
    assert gone() is None
