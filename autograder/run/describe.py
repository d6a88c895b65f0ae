"""Describe a value as plain data, on the student's side of the boundary (the child's process).

The child describes each quantity it finds (`describe`); the grader reads the description back
with hard bounds (`values.Value.from_plain`). A description never carries behaviour: an object
with a lying ``__eq__`` or an ndarray subclass arrives as a name, not as an object. Nothing here
calls a method of the value it describes, except a pandas object's own ``to_numpy``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograder.run.values import MAX_ELEMENTS


def describe(value: Any) -> dict[str, Any]:
    """Describe `value` as JSON-able plain data, without trusting any of its methods."""
    # The exact type, compared by identity: isinstance() believes a forged __class__ and `in`
    # believes a metaclass's __eq__.
    kind = type(value)
    if value is None:
        return {"kind": "none", "type": "NoneType"}
    if _is_one_of(kind, (np.ndarray, int, float, bool, complex)) or issubclass(kind, np.generic):
        return _describe_numeric(value)
    if issubclass(kind, np.ndarray):
        return {"kind": "subclass", "type": f"{kind.__module__}.{kind.__qualname__}"}
    if _is_one_of(kind, (list, tuple)):
        return _describe_sequence(value, kind.__name__)
    if kind is str:
        return {"kind": "str", "type": "str", "text": value[:60]}
    if f"{kind.__module__}.{kind.__qualname__}" in _PANDAS:
        return _describe_pandas(value, kind.__qualname__)
    return {"kind": "object", "type": f"{kind.__module__}.{kind.__qualname__}"}


#: pandas objects, by exact type name (pandas is not imported here; pandas 3 names its classes
#: `pandas.Series`, pandas 2 `pandas.core.series.Series`): the original lesson's data
#: were pandas frames, so a whole-array answer computed from them is a Series or a DataFrame.
_PANDAS = frozenset(
    {
        "pandas.Series",
        "pandas.DataFrame",
        "pandas.core.series.Series",
        "pandas.core.frame.DataFrame",
    }
)


def _describe_pandas(value: Any, type_name: str) -> dict[str, Any]:
    """A Series or DataFrame as the array of its numbers (its `.to_numpy()`), its type kept so
    the grader can say so. Its method runs in the case's own process, like all of its code: a
    forged one is worth what typing the numbers in is worth."""
    try:
        array = value.to_numpy()
    except Exception:
        array = None
    if type(array) is not np.ndarray:
        return {"kind": "object", "type": f"pandas.{type_name}"}
    return {**_describe_numeric(array), "type": type_name}


def _is_one_of(kind: type, types: tuple[type, ...]) -> bool:
    return any(kind is t for t in types)


def _describe_numeric(value: Any) -> dict[str, Any]:
    array = np.asarray(value)
    type_name = type(value).__name__ if type(value) is not np.ndarray else "ndarray"
    head = {"type": type_name, "dtype": _dtype_name(array.dtype), "shape": list(array.shape)}
    if array.size > MAX_ELEMENTS:
        return {"kind": "too_large", **head}
    if array.dtype.kind == "c":
        return {"kind": "complex", **head}
    if array.dtype.kind not in "biuf":
        return {"kind": "non_numeric", **head}
    flat = array.astype(np.float64).ravel().tolist()
    return {"kind": "real", **head, "data": [_finite_or_name(v) for v in flat]}


#: The names of the dtypes described so far: numpy spells a dtype's name in Python, a good
#: share of describing a small array (every quantity of every case; measured). Only numpy's
#: own dtypes, so that a program making new ones cannot grow it.
_DTYPE_NAMES: dict[np.dtype, str] = {}


def _dtype_name(dtype: np.dtype) -> str:
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = str(dtype)
        if dtype.isbuiltin == 1 and len(_DTYPE_NAMES) < 64:
            _DTYPE_NAMES[dtype] = name
    return name


# A list or tuple of real numbers, as students write them (the lesson's own worked example builds
# del_w as a list): described as the array it spells, with its type kept, so the grader can
# accept it and say that a numpy array is the habit. Only plain numbers count — exact Python or
# numpy real scalar types and 0-d real arrays, nested into a rectangular shape — read without
# calling any of the objects' methods; anything else stays a "sequence", refused as before.
_SCALARS = (
    int,
    float,
    bool,
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int32,
    np.int16,
    np.int8,
    np.uint64,
    np.uint32,
    np.uint16,
    np.uint8,
    np.bool_,
)
_MAX_DEPTH = 8


def _describe_sequence(value: list[Any] | tuple[Any, ...], type_name: str) -> dict[str, Any]:
    refused = {"kind": "sequence", "type": type_name, "length": len(value)}
    count = [0]
    try:
        nested = _plain_numbers(value, 0, count)
        array = np.array(nested, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return refused
    head = {"type": type_name, "dtype": "float64", "shape": list(array.shape)}
    return {"kind": "real", **head, "data": [_finite_or_name(v) for v in array.ravel().tolist()]}


def _plain_numbers(value: Any, depth: int, count: list[int]) -> Any:
    """Python floats in `value`'s nesting, or TypeError for anything that is not a number."""
    kind = type(value)
    if _is_one_of(kind, (list, tuple)) and depth < _MAX_DEPTH:
        return [_plain_numbers(item, depth + 1, count) for item in value]
    count[0] += 1
    if count[0] > MAX_ELEMENTS:
        raise ValueError("too many numbers")
    if _is_one_of(kind, _SCALARS):
        return float(value)
    if kind is np.ndarray and value.ndim == 0 and value.dtype.kind in "biuf":
        return float(value[()])
    raise TypeError("not a plain number")


def _finite_or_name(v: float) -> float | str:
    """JSON has no NaN or infinity: send those as names."""
    return v if math.isfinite(v) else repr(v)
