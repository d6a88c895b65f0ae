"""The result channel is hostile input: what the strict readers accept and what they refuse."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder.run.describe import describe
from autograder.run.protocol import MAX_REPORT_BYTES, Answer, Report
from autograder.run.values import MAX_ELEMENTS, Unreadable, Value

NAMES = frozenset({"h", "w"})


def report_line(values: dict, status: str = "finished", error: object = None) -> bytes:
    return json.dumps({"status": status, "error": error, "values": values}).encode()


def test_a_report_as_the_child_writes_it_is_read_back_exactly() -> None:
    values = {"h": describe(np.float64(0.8)), "w": describe(np.array([[1.5, -2.0]]))}
    report = Report.decode(report_line(values), NAMES)
    assert report.status == "finished"
    read = Value.from_plain(report.values["w"])
    assert read.kind == "real" and read.shape == (1, 2)
    assert read.array is not None and read.array.tolist() == [[1.5, -2.0]]
    assert Value.from_plain(report.values["h"]).array == np.float64(0.8)


def test_nan_and_infinity_described_by_name_stay_what_they_are() -> None:
    values = {"h": describe(np.array([np.nan, np.inf, -np.inf]))}
    read = Value.from_plain(Report.decode(report_line(values), NAMES).values["h"])
    assert read.array is not None
    assert np.isnan(read.array[0]) and read.array[1] == np.inf and read.array[2] == -np.inf


@pytest.mark.parametrize(
    "line",
    [
        b'{"status": "finished", "values": {"h": {"kind": "too_large", "type": "x", '
        b'"shape": [Infinity]}}}',  # JSON's Infinity literal
        b'{"status": "raised", "error": {"type": "E", "message": "m", "line": "x"}, "values": {}}',
        b'{"status": "raised", "error": {"type": "E", "message": "m", "line": -3}, "values": {}}',
        b'{"status": "finished", "values": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"status": "finished", "values": {"h": {"kind": "real", "type": "ndarray", '
        b'"shape": [2], "data": [NaN, 1.0]}}}',
        b'{"status": "finished", "values": {"h": {"kind": "real", "type": "ndarray", '
        b'"shape": [2], "data": [1e999, 1.0]}}}',
        b'{"status": "finished", "values": {"h": {"kind": "real", "type": "ndarray", '
        b'"shape": [1], "data": [true]}}}',
        b'{"status": "finished", "values": {"h": {"kind": "real", "type": "ndarray", '
        b'"shape": [1.0], "data": [1.0]}}}',
        b'{"status": "finished", "values": {"h": {"kind": "real", "type": "ndarray", '
        b'"shape": [3], "data": [1.0]}}}',  # does not fill its shape
        b'{"status": "finished", "values": {"h": {"kind": "real", "type": "ndarray", '
        b'"shape": [1], "data": [1.0], "verdict": "correct"}}}',  # a key the schema lacks
        b'{"status": "finished", "values": {"secret": {"kind": "none", "type": "NoneType"}}}',
        b'{"status": "passed", "values": {}}',
        b'{"status": "finished", "values": {}, "output": "forged"}',
        b'["finished"]',
        b"not json",
        b'{"status": "finished", "values": {"h": {"kind": "sequence", "type": "list", '
        b'"length": 1e300}}}',
    ],
)
def test_anything_off_the_schema_is_unreadable(line: bytes) -> None:
    with pytest.raises(Unreadable):
        Report.decode(line, NAMES)


def test_size_and_element_bounds() -> None:
    with pytest.raises(Unreadable):
        Report.decode(b" " * (MAX_REPORT_BYTES + 1), NAMES)
    big = {
        "kind": "real",
        "type": "ndarray",
        "shape": [MAX_ELEMENTS + 1],
        "data": [0.5] * (MAX_ELEMENTS + 1),
    }
    with pytest.raises(Unreadable):
        Report.decode(report_line({"h": big}), NAMES)


def test_the_workers_answer_is_read_as_strictly() -> None:
    answer = Answer("finished", 0.01, "out", False, None, {"h": describe(1.0)})
    assert Answer.from_plain(answer.to_plain(), NAMES, 100) == answer
    forged = {**answer.to_plain(), "seconds": float("inf")}
    with pytest.raises(Unreadable):
        Answer.from_plain(forged, NAMES, 100)
    with pytest.raises(Unreadable):
        Answer.from_plain({**answer.to_plain(), "output_truncated": 1}, NAMES, 100)


def test_texts_a_program_sent_are_always_printable() -> None:
    line = report_line(
        {"h": {"kind": "str", "type": "str", "text": "\ud800x"}},
        "raised",
        {"type": "E\udfff", "message": "bad \ud800", "line": 3},
    )
    report = Report.decode(line, NAMES)
    assert report.error == {"type": "E?", "message": "bad ?", "line": 3}
    assert Value.from_plain(report.values["h"]).text == "?x"
