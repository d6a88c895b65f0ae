"""The comparison is strict about what arrives and says why it refuses."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.judge.compare import accepts, close, compare
from autograder.run.describe import describe
from autograder.run.values import Value

EXPECTED = np.array([1.0, 2.0, 3.0, 4.0])


def received(value) -> Value:
    return Value.from_plain(describe(value))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "still None: not done yet"),
        (["1", "2", "3", "4"], "a Python list that is not all plain real numbers"),
        ([1.0, 2.0, 3.0, 4.0j], "a Python list that is not all plain real numbers"),
        ((1.0, 2.0, [3.0], 4.0), "a Python tuple that is not all plain real numbers"),
        ([1.0, 2.0, 3.0], "shape (3,), expected shape (4,)"),
        ([[1.0, 2.0], [3.0, 4.0]], "shape (2, 2), expected shape (4,)"),
        (EXPECTED.reshape(4, 1), "shape (4, 1), expected shape (4,)"),  # a column is not a row
        ([1.0, float("nan"), 3.0, 4.0], "contains nan"),
        (EXPECTED + 1e-12j, "complex"),
        ("1 2 3 4", "a string"),
        (EXPECTED.reshape(1, 1, 4) + 1, "wrong value; worst at [0]: expected 1, received 2"),
        (np.array(2.5), "a scalar, shape (), expected shape (4,)"),
        (np.array([1.0, np.nan, 3.0, 4.0]), "contains nan"),
        (np.array([1.0, 2.0, np.inf, 4.0]), "contains inf"),
        (EXPECTED.view(np.matrix), "ndarray subclass"),
        (np.array(["a"], dtype=object), "dtype object"),
    ],
)
def test_refuses_what_is_not_a_plain_real_array_of_the_right_shape(value, problem):
    outcome = compare(EXPECTED, received(value), rtol=1e-5, atol=1e-8)
    assert not outcome.ok
    assert problem in outcome.problem


@pytest.mark.parametrize(
    "value",
    [
        [1.0, 2.0, 3.0, 4.0],
        (1, 2, 3, 4),
        [np.float64(1), np.float32(2), np.int64(3), np.array(4.0)],
    ],
)
def test_accepts_a_list_or_tuple_of_real_numbers(value):
    arrived = received(value)
    assert arrived.type == type(value).__name__
    assert compare(EXPECTED, arrived, rtol=1e-5, atol=1e-8).ok


@pytest.mark.parametrize(
    ("value", "expected", "says"),
    [
        (EXPECTED.reshape(1, 4), EXPECTED, "shape (1, 4) where the lesson has shape (4,)"),
        ([[1.0, 2.0, 3.0, 4.0]], EXPECTED, "shape (1, 4) where the lesson has shape (4,)"),
        (np.array([0.5]), np.array(0.5), "shape (1,) where the lesson has a scalar, shape ()"),
        (np.array(0.5), np.array([[0.5]]), "a scalar, shape () where the lesson has shape (1, 1)"),
    ],
)
def test_axes_of_length_one_are_form_the_same_numbers_pass_and_it_is_said(value, expected, says):
    outcome = compare(expected, received(value), rtol=1e-5, atol=1e-8)
    assert outcome.ok
    assert outcome.note == f"{says}: the same numbers"


def test_a_list_holding_a_look_alike_is_refused_without_calling_it():
    class Liar(float):
        def __float__(self):
            raise AssertionError("the grader called a submission's method")

    arrived = received([1.0, 2.0, Liar(3.0), 4.0])
    assert arrived.kind == "sequence"
    assert not compare(EXPECTED, arrived, 1e-5, 1e-8).ok


def test_names_the_worst_element():
    outcome = compare(EXPECTED, received(np.array([1.0, 2.1, 3.5, 4.0])), 1e-5, 1e-8)
    assert outcome.problem == "wrong value; worst at [2]: expected 3, received 3.5"


@pytest.mark.parametrize(
    "value", [EXPECTED.astype(np.float32), np.array([1, 2, 3, 4]), EXPECTED * (1 + 5e-6)]
)
def test_accepts_other_real_dtypes_within_tolerance(value):
    assert compare(EXPECTED, received(value), rtol=1e-5, atol=1e-8).ok


def test_a_python_float_is_a_scalar():
    assert compare(np.array(0.5), received(0.5), 1e-5, 1e-8).ok
    one_long = compare(np.array(0.5), received([0.5]), 1e-5, 1e-8)
    assert one_long.ok and "shape (1,) where the lesson has a scalar" in one_long.note


def test_objects_arrive_as_names_not_objects():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    value = received(AlwaysEqual())
    assert value.kind == "object" and "AlwaysEqual" in value.type
    assert not compare(EXPECTED, value, 1e-5, 1e-8).ok


def _numpy_within(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    """The rule as numpy states it, element by element: the oracle for the fast path."""
    return bool(np.all(np.abs(actual - expected) - (atol + rtol * np.abs(expected)) <= 0))


def test_small_values_are_judged_exactly_as_numpy_judges_them():
    """Values of a few numbers are compared in Python floats (cheaper per call): differentially
    against numpy's arithmetic, on values placed at the very edge of the tolerance, with
    zeros, tiny and huge magnitudes, and both ways round."""
    rng = np.random.default_rng(20261130)
    rtol, atol = 1e-5, 1e-8
    seen = set()
    for _ in range(4000):
        shape = [(), (1,), (3,), (2, 3), (7,)][int(rng.integers(5))]
        scale = 10.0 ** rng.integers(-12, 12)
        expected = rng.normal(size=shape) * scale
        if rng.random() < 0.1:
            expected = expected * 0.0
        edge = atol + rtol * np.abs(expected)
        step = rng.choice([-1.0, 1.0], size=shape) * edge * rng.choice([0.5, 1.0, 1.0 + 1e-9, 2.0])
        actual = np.asarray(expected + step, dtype=np.float64)
        ours = compare(expected, received(actual), rtol, atol).ok
        assert ours == _numpy_within(actual, expected, rtol, atol), (actual, expected)
        assert close(actual, expected, rtol, atol) == bool(
            np.all(np.abs(actual - expected) <= atol + rtol * np.abs(expected))
        )
        seen.add(ours)
    assert seen == {True, False}  # both verdicts were reached at the edge


def test_close_treats_what_is_not_finite_as_numpy_does():
    """`close` compares our own arrays (a mistake's value may overflow): nan is never close,
    and an infinite bound holds anything, in both ways of computing it."""
    one = np.array([1.0, 2.0])
    for bad in (np.nan, np.inf, -np.inf):
        other = np.array([1.0, bad])
        for a, b in ((other, one), (one, other)):
            numpy_says = bool(np.all(np.abs(a - b) <= 1e-8 + 1e-5 * np.abs(b)))
            assert close(a, b, 1e-5, 1e-8) == numpy_says


def test_accepts_gives_the_verdict_of_compare_on_every_kind_of_value():
    """`accepts` (the diagnosis's verdict without words) says what `compare` says of it: on
    every kind that is refused, at the edge of the tolerance, with axes of length one."""
    rng = np.random.default_rng(20261201)
    values: list[object] = [None, "1 2 3 4", EXPECTED + 1e-12j, EXPECTED.view(np.matrix)]
    values += [[1.0, 2.0, 3.0], EXPECTED.reshape(4, 1), EXPECTED.reshape(1, 4), [1.0, 2.0]]
    values += [np.array([1.0, np.nan, 3.0, 4.0]), np.array([1.0, 2.0, np.inf, 4.0]), (1, 2, 3, 4)]
    values += [EXPECTED.astype(np.float32), EXPECTED * (1 + 5e-6), EXPECTED * (1 + 2e-5)]
    values += [np.arange(100.0), np.array(["a"], dtype=object), np.array(2.5)]
    for _ in range(300):
        values.append(
            EXPECTED
            + rng.choice([-1.0, 1.0], 4) * (1e-8 + 1e-5 * EXPECTED) * rng.choice([0.5, 1.0, 2.0])
        )
    seen = set()
    for expected in (EXPECTED, np.arange(100.0), np.array(2.5), np.array([[2.5]])):
        for value in values:
            arrived = received(value)
            verdict = compare(expected, arrived, 1e-5, 1e-8).ok
            assert accepts(expected, arrived, 1e-5, 1e-8) == verdict, (expected, value)
            seen.add(verdict)
    assert seen == {True, False}
