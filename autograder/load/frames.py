"""Given values as pandas objects, like the original lesson's data (a DataFrame of features, a
Series of targets), on both sides of the sandbox.

Only *our* given values pass through here: the grader encodes them as plain numbers plus their
labels (`to_plain`), the worker rebuilds the same pandas object for the student's program
(`from_plain`). pandas is imported only when a value is a pandas object, so an exercise without
one (and its TEST RUN) never pays for the import; numpy only where a value is made, so a TEST
RUN sends its job before importing it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from autograder.run.values import given_from_plain, given_to_plain

if TYPE_CHECKING:
    import numpy as np


def _pandas() -> Any:
    import pandas

    return pandas


def is_pandas(value: Any) -> bool:
    # While another thread of a batch imports pandas, sys.modules holds it half made (no
    # DataFrame yet): then no value can be a pandas object, and the question is not an error.
    pandas = sys.modules.get("pandas")
    frame, series = getattr(pandas, "DataFrame", None), getattr(pandas, "Series", None)
    return frame is not None and series is not None and isinstance(value, frame | series)


def as_pandas(array: np.ndarray, kind: str, columns: tuple[str, ...], name: str) -> Any:
    """A drawn array as the lesson hands it out: a DataFrame with the lesson's column names
    (as many as it has columns; more get ``x<i>``), or a Series named by its one column name
    (else like the value)."""
    pandas = _pandas()
    if kind == "Series":
        return pandas.Series(array, name=columns[0] if columns else name)
    labels = [columns[i] if i < len(columns) else f"x{i}" for i in range(array.shape[1])]
    return pandas.DataFrame(array, columns=labels)


def to_plain(value: Any) -> dict[str, Any]:
    """One of our given values for the worker; pandas objects keep their labels."""
    if not is_pandas(value):
        return given_to_plain(value)
    import numpy as np

    pandas = _pandas()
    numbers = given_to_plain(np.ascontiguousarray(value.to_numpy()))
    index = [_label(i) for i in value.index]
    if isinstance(value, pandas.DataFrame):
        return {"frame": {**numbers, "index": index, "columns": [_label(c) for c in value.columns]}}
    return {"series": {**numbers, "index": index, "name": _label(value.name)}}


def _label(label: Any) -> Any:
    import numpy as np

    return label.item() if isinstance(label, np.generic) else label


def from_plain(plain: dict[str, Any]) -> Any:
    """Rebuild a given value (worker side, or a test)."""
    if "frame" in plain:
        body = plain["frame"]
        return _pandas().DataFrame(
            given_from_plain(body), index=body["index"], columns=body["columns"]
        )
    if "series" in plain:
        body = plain["series"]
        return _pandas().Series(given_from_plain(body), index=body["index"], name=body["name"])
    return given_from_plain(plain)


def needs_pandas(cases: list[dict[str, Any] | None]) -> bool:
    """Does any case hand out a pandas object (so the worker should import pandas once)?"""
    return any(
        isinstance(v, dict) and ("frame" in v or "series" in v)
        for case in cases
        if case
        for v in case.values()
    )
