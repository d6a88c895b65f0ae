"""Compare one received value with one expected value, strictly.

Strict about what arrives: real numbers only (no complex, strings, look-alike objects or ndarray
subclasses), the shape (nothing passes by broadcasting), finite values. One allowance of form:
leading axes of length 1 (a batch of one: a ``(1, 3)`` row where the lesson has ``(3,)``, a
``(1,)`` array for a number) hold the same numbers in the same order, so they are compared as
the lesson's shape and the check says so. A column is not a row: ``(n, 1)`` for ``(n,)`` is
wrong (the lesson teaches the difference with ``x[:, None]``, and ``w + del_w`` would then be an
``(n, n)`` matrix), and so is any other shape. A list or tuple of
plain real numbers arrives as the array it spells (`describe.describe`) and is held to the same
rules: students write them, and the lesson's own worked example builds one. Then close
within ``|received - expected| <= atol + rtol * |expected|`` element by element, as `numpy.isclose`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from autograder.judge.checks import Reason
from autograder.run.values import Value, format_value

NOT_DONE = "not done yet"


@dataclass(frozen=True)
class Comparison:
    """The verdict on one value; `reason` says why it was not accepted, `problem` in words;
    `note` says what of its form was accepted (a batch of one)."""

    ok: bool
    problem: str = ""
    reason: Reason = Reason.CORRECT
    note: str = ""


def as_real(received: Value) -> np.ndarray | str:
    """The received value as a float array, or a sentence saying why it cannot be one."""
    match received.kind:
        case "real":
            assert received.array is not None
            return received.array
        case "missing":
            return f"not defined: {NOT_DONE}"
        case "none":
            return f"still None: {NOT_DONE}"
        case "complex":
            return "a complex value; the answer is a real number"
        case "sequence":
            return (
                f"a Python {received.type} that is not all plain real numbers of one shape; "
                "the answer is a numpy array or number"
            )
        case "str":
            return f"a string ({received.text!r}); the answer is a number"
        case "subclass":
            return f"an ndarray subclass ({received.type}); the answer is a plain numpy array"
        case "non_numeric":
            return f"an array of dtype {received.dtype}; the answer holds real numbers"
        case "too_large":
            return f"an array of shape {received.shape}, far larger than the answer"
        case _:
            return f"an object of type {received.type}; the answer is a number or numpy array"


def shape_text(shape: tuple[int, ...]) -> str:
    return "a scalar, shape ()" if shape == () else f"shape {shape}"


def compare(expected: np.ndarray, received: Value, rtol: float, atol: float) -> Comparison:
    """Accept `received` only if it is a finite real array of `expected`'s shape, and close."""
    actual = as_real(received)
    if isinstance(actual, str):
        not_done = received.kind in ("missing", "none")
        return Comparison(False, actual, Reason.NOT_DONE if not_done else Reason.WRONG_TYPE)
    shaped = ""
    if actual.shape != expected.shape:
        wanted = shape_text(expected.shape)
        if _batch_of_one(actual.shape) != _batch_of_one(expected.shape):
            return Comparison(False, f"{shape_text(actual.shape)}, expected {wanted}", Reason.SHAPE)
        shaped = f"{shape_text(actual.shape)} where the lesson has {wanted}: the same numbers"
        actual = actual.reshape(expected.shape)
    if not _finite(actual):
        bad = "nan" if np.isnan(actual).any() else "inf"
        return Comparison(
            False,
            f"contains {bad}: the computation overflowed or divided by zero",
            Reason.NOT_FINITE,
        )
    if _within(actual, expected, rtol, atol):
        return Comparison(True, note=shaped)
    excess = np.abs(actual - expected) - (atol + rtol * np.abs(expected))
    if expected.ndim == 0:
        return Comparison(False, "wrong value", Reason.WRONG_VALUE)
    worst = np.unravel_index(int(np.argmax(excess)), expected.shape)
    index = ", ".join(str(int(i)) for i in worst)
    return Comparison(
        False,
        f"wrong value; worst at [{index}]: expected "
        f"{format_value(expected[worst])}, "
        f"received {format_value(actual[worst])}",
        Reason.WRONG_VALUE,
    )


def accepts(expected: np.ndarray, received: Value, rtol: float, atol: float) -> bool:
    """``compare(...).ok``, without putting a refusal into words: the diagnosis asks this of
    many candidate values, most of them refused, and wording a refusal (the worst element)
    cost three times the verdict."""
    if received.kind != "real":  # what `as_real` turns into a sentence
        return False
    actual = received.array
    assert actual is not None
    if actual.shape != expected.shape:
        if _batch_of_one(actual.shape) != _batch_of_one(expected.shape):
            return False
        actual = actual.reshape(expected.shape)
    return _finite(actual) and _within(actual, expected, rtol, atol)


def _batch_of_one(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape without its leading axes of length 1."""
    while shape and shape[0] == 1:
        shape = shape[1:]
    return shape


def close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """Do two of *our* arrays agree (same shape, within tolerance of `b`)?"""
    if a.shape != b.shape:
        return False
    if _small(a, b):
        pairs = zip(a.ravel().tolist(), b.ravel().tolist(), strict=True)
        return all(abs(x - y) <= atol + rtol * abs(y) for x, y in pairs)
    return bool((np.abs(a - b) <= atol + rtol * np.abs(b)).all())


#: Up to this many numbers, a value is compared in Python floats: the same IEEE double
#: arithmetic, operation for operation, as numpy's, without numpy's cost per call (a SUBMIT
#: compares about a hundred values of a few numbers each; numpy took 15 µs a comparison).
SMALL = 64


_FLOAT64 = np.dtype(np.float64)


def _small(*arrays: np.ndarray) -> bool:
    """Few numbers, all float64 (what Python's float is), so the arithmetic is the same."""
    return all(a.size <= SMALL and a.dtype == _FLOAT64 for a in arrays)


def _finite(actual: np.ndarray) -> bool:
    if _small(actual):
        return all(map(math.isfinite, actual.ravel().tolist()))
    return bool(np.isfinite(actual).all())


def _within(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    """Every number within ``atol + rtol * |expected|`` (as `numpy.isclose`, one-sided)."""
    if _small(actual, expected):
        pairs = zip(actual.ravel().tolist(), expected.ravel().tolist(), strict=True)
        return all(abs(x - y) - (atol + rtol * abs(y)) <= 0 for x, y in pairs)
    return bool((np.abs(actual - expected) - (atol + rtol * np.abs(expected)) <= 0).all())
