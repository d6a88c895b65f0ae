"""Compare one received value with one expected value, strictly.

Strict about what arrives: real numbers only (no complex, strings, look-alike objects or ndarray
subclasses), the exact shape (nothing passes by broadcasting), finite values. A list or tuple of
plain real numbers arrives as the array it spells (`describe.describe`) and is held to the same
rules: students write them, and the lesson's own worked example builds one. Then close
within ``|received - expected| <= atol + rtol * |expected|`` element by element, as `numpy.isclose`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.run.values import Value, format_value

NOT_DONE = "not done yet"


@dataclass(frozen=True)
class Comparison:
    """The verdict on one value; `problem` says in words why it was not accepted."""

    ok: bool
    problem: str = ""


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
        return Comparison(False, actual)
    if actual.shape != expected.shape:
        wanted = shape_text(expected.shape)
        return Comparison(False, f"{shape_text(actual.shape)}, expected {wanted}")
    if not np.all(np.isfinite(actual)):
        bad = "nan" if np.any(np.isnan(actual)) else "inf"
        return Comparison(False, f"contains {bad}: the computation overflowed or divided by zero")
    slack = atol + rtol * np.abs(expected)
    excess = np.abs(actual - expected) - slack
    if np.all(excess <= 0):
        return Comparison(True)
    if expected.ndim == 0:
        return Comparison(False, "wrong value")
    worst = np.unravel_index(int(np.argmax(excess)), expected.shape)
    index = ", ".join(str(int(i)) for i in worst)
    return Comparison(
        False,
        f"wrong value; worst at [{index}]: expected "
        f"{format_value(expected[worst])}, "
        f"received {format_value(actual[worst])}",
    )


def close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """Do two of *our* arrays agree (same shape, within tolerance of `b`)?"""
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))
