"""Values as plain data, so that nothing a submission made is ever unpickled or imported by us.

The child *describes* each value it finds (`describe.py`, the student's side); the grader
*reads* the description here (`Value.from_plain`, with hard bounds) and decides what it is
allowed to be. A description never carries behaviour: an object with a lying ``__eq__`` or an
ndarray subclass arrives as a name, not as an object.

Given values travel the other way (`given_to_plain` / `given_from_plain`); those are ours.

numpy is imported where an array is made, not with the module: a TEST RUN builds and sends its
job (`sandbox`, which reads answers with this module) before the grader imports numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: Arrays larger than this are reported as too large rather than shipped back.
MAX_ELEMENTS = 200_000
#: Numbers one case's report may carry in all (a few values of the largest size).
MAX_REPORT_ELEMENTS = 4 * MAX_ELEMENTS
#: Dimensions a shape may have (numpy's own limit is 64).
MAX_DIMS = 32
#: The kinds a description may have (`describe` makes each; anything else is unreadable).
KINDS = frozenset(
    {
        "none",
        "real",
        "complex",
        "non_numeric",
        "too_large",
        "subclass",
        "sequence",
        "str",
        "object",
        "missing",
    }
)
_NAMED = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class Unreadable(ValueError):
    """A description (or a report holding it) that breaks the schema: the case's result could
    not be read. Raised only by the readers; never escapes the sandbox's grader side."""


@dataclass(frozen=True)
class Value:
    """What the submission's variable turned out to be, as far as the grader will believe."""

    kind: str
    type: str
    dtype: str | None = None
    shape: tuple[int, ...] | None = None
    array: np.ndarray | None = None
    text: str | None = None

    @classmethod
    def missing(cls) -> Value:
        return cls(kind="missing", type="-")

    @classmethod
    def from_plain(cls, plain: Any, checked: bool = False) -> Value:
        """Read a description (checked by `check_description`); a malformed one is an
        'object' of unknown type here (the sandbox refuses the whole report before this).
        `checked`: `plain` is what `check_description` returned already (a case's values,
        read by `Answer.from_plain`), so reading it again would find nothing new."""
        if not checked:
            try:
                plain = check_description(plain, [MAX_REPORT_ELEMENTS])
            except Unreadable:
                return cls(kind="object", type="unreadable")
        kind, type_name = plain["kind"], plain["type"]
        shape = plain.get("shape")
        shape_t = tuple(shape) if shape is not None else None
        dtype = plain.get("dtype")
        if kind == "real":
            import numpy as np

            data = np.array(
                [_NAMED.get(v, v) if type(v) is str else v for v in plain["data"]], dtype=np.float64
            )
            return cls(kind, type_name, dtype, shape_t, data.reshape(shape_t))
        text = plain.get("text") if kind == "str" else None
        if kind == "sequence":
            text = f"length {plain['length']}"
        return cls(kind, type_name, dtype, shape_t, None, text)

    def describe(self) -> str:
        """A short human phrase for what arrived, used in feedback."""
        match self.kind:
            case "real":
                return format_value(self.array)
            case "missing":
                return "(not defined)"
            case "none":
                return "None"
            case "str":
                return f"the string {self.text!r}"
            case "sequence":
                return f"a {self.type} ({self.text})"
            case "complex":
                return f"a complex {self.dtype} value"
            case "too_large":
                return f"an array of shape {self.shape} (too large to check)"
            case "subclass":
                return f"an object of ndarray subclass {self.type}"
            case _:
                return f"an object of type {self.type}"


_DESCRIPTION_KEYS = frozenset({"kind", "type", "dtype", "shape", "data", "text", "length"})


def check_description(plain: Any, budget: list[int]) -> dict[str, Any]:  # noqa: C901 - one branch per description kind: the schema, kept flat to be audited
    """Check one value description against the schema `describe` writes, exactly: known keys,
    exact types, bounded texts and shapes, real data that fills its shape with numbers (finite,
    or the names nan/inf/-inf that `describe` uses). `budget` holds the numbers the whole report
    may still carry and is spent here. Linear in the description's size; raises `Unreadable`."""
    if type(plain) is not dict or not set(plain) <= _DESCRIPTION_KEYS:
        raise Unreadable("a value description")
    kind, type_name = plain.get("kind"), plain.get("type")
    if type(kind) is not str or kind not in KINDS or type(type_name) is not str:
        raise Unreadable("a value's kind or type")
    checked: dict[str, Any] = {"kind": kind, "type": printable(type_name[:80])}
    if "dtype" in plain:
        if type(plain["dtype"]) is not str:
            raise Unreadable("dtype")
        checked["dtype"] = printable(plain["dtype"][:20])
    if "shape" in plain:
        checked["shape"] = _shape(plain["shape"])
    if kind == "real":
        checked["data"] = _data(plain.get("data"), checked.get("shape"), budget)
    elif kind == "str":
        if type(plain.get("text")) is not str:
            raise Unreadable("text")
        checked["text"] = printable(plain["text"][:60])
    elif kind == "sequence":
        length = plain.get("length")
        if type(length) is not int or not 0 <= length < 2**63:
            raise Unreadable("length")
        checked["length"] = length
    return checked


def printable(text: str) -> str:
    """`text` as valid Unicode: a lone surrogate (JSON can carry one) becomes '?', so printing
    or storing what a program sent can never fail."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _shape(shape: Any) -> list[int]:
    if type(shape) is not list or len(shape) > MAX_DIMS:
        raise Unreadable("shape")
    if not all(type(n) is int and 0 <= n < 2**40 for n in shape):
        raise Unreadable("shape")
    return shape


def _data(data: Any, shape: list[int] | None, budget: list[int]) -> list[float | str]:
    """Real data: exactly prod(shape) numbers, within the report's remaining budget."""
    if shape is None or type(data) is not list or len(data) > MAX_ELEMENTS:
        raise Unreadable("data")
    if len(data) != math.prod(shape) or len(data) > budget[0]:
        raise Unreadable("data does not fill its shape")
    budget[0] -= len(data)
    for v in data:
        kind = type(v)
        if kind is float:
            if not math.isfinite(v):
                raise Unreadable("a number that is not finite")
        elif not (kind is str and v in _NAMED):
            raise Unreadable("data")
    return data


def format_value(array: np.ndarray | None, digits: int = 8) -> str:
    """Numbers as a student would write them, on one line: ``0.8``, ``[0.5 -1]``,
    ``[[1 2] [3 4]]``; a large array shows its shape, first and last numbers."""
    if array is None:
        return "-"
    if array.ndim == 0:
        return f"{float(array):.{digits}g}"
    if array.size > 12:
        flat = array.ravel()
        head = " ".join(f"{v:.{digits}g}" for v in flat[:3])
        tail = " ".join(f"{v:.{digits}g}" for v in flat[-3:])
        return f"shape {array.shape}: [{head} … {tail}]"
    return _nested(array, digits)


def _nested(array: np.ndarray, digits: int) -> str:
    if array.ndim == 1:
        return "[" + " ".join(f"{v:.{digits}g}" for v in array.tolist()) + "]"
    return "[" + " ".join(_nested(row, digits) for row in array) + "]"


# --- given values, grader to worker ------------------------------------------------------------


def given_to_plain(value: Any) -> dict[str, Any]:
    """Encode one of *our* given values (float, int or real ndarray) for the worker."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return {"array": value.ravel().tolist(), "dtype": str(value.dtype), "shape": value.shape}
    return {"scalar": value}


def given_from_plain(plain: dict[str, Any]) -> Any:
    """Rebuild a given value inside the worker (or the reference run)."""
    if "array" in plain:
        import numpy as np

        return np.array(plain["array"], dtype=plain["dtype"]).reshape(plain["shape"])
    return plain["scalar"]
