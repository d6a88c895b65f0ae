"""A case's child compiles a file once for its published and hidden cases (`execute._program`).

The published case's given names are the hidden cases' marked soft (``?x``): where the file binds
every given value, one compiled program serves all of a submission's cases; where it lacks one
the published case may lack, the published case still runs and the hidden ones say what is
missing. Run here in the test's own process (the child's function, on our own programs).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from autograder.load import given_text, program
from autograder.run import execute, sandbox
from autograder.run.protocol import Request
from autograder.run.sandbox import Job
from autograder.run.values import Value, given_to_plain

LIMITS = {"time": 5, "memory_mb": 512, "output_bytes": 10_000, "files_mb": 1}


def _request(source: str, cases: list[dict[str, float]]) -> Request:
    plain = [{key: given_to_plain(np.float64(v)) for key, v in case.items()} for case in cases]
    return Request(source, "answer.py", plain, {"h": "h"}, LIMITS)


def _h(request: Request, case: dict) -> float | str:
    report = execute.run_program(request, case)
    if report.status != "finished":
        return report.status
    value = Value.from_plain(report.values["h"])
    assert value.array is not None
    return float(value.array)


@pytest.fixture
def compiles(monkeypatch) -> list[tuple[str, ...] | None]:
    """The names each compile of the child was for (a fresh child: nothing compiled yet)."""
    monkeypatch.setattr(execute, "_compiled", {})
    monkeypatch.setattr(execute, "_not_found", {})
    seen: list[tuple[str, ...] | None] = []
    real = program.compile_program

    def counting(source, filename, given_names, *args, **kwargs):
        seen.append(None if given_names is None else tuple(given_names))
        return real(source, filename, given_names, *args, **kwargs)

    monkeypatch.setattr(execute, "compile_program", counting)
    return seen


def test_a_file_binding_every_given_value_is_compiled_once_for_all_its_cases(compiles):
    request = _request(
        "x = 3.0\nw = 0.5\nh = x * w\n",
        [{"?x": 2.0, "?w": 0.5}, {"x": 4.0, "w": 0.25}, {"x": -1.0, "w": 2.0}],
    )
    assert [_h(request, case) for case in request.cases] == [1.0, 1.0, -2.0]
    assert compiles == [("x", "w")]


def test_a_soft_value_the_file_lacks_leaves_the_published_case_running(compiles):
    request = _request(
        "x = 3.0\nh = x * 2\n", [{"?x": 2.0, "?w": 0.5}, {"x": 4.0, "w": 0.25}, {"x": 1, "w": 1}]
    )
    published, *hidden = (_h(request, case) for case in request.cases)
    assert published == 4.0
    assert hidden == ["given_missing", "given_missing"]
    # the hidden cases' names tried once (and the miss kept), then the published case's own
    assert compiles == [("x", "w"), ("?x", "?w")]


def test_the_graders_text_is_compiled_instead_of_the_parsed_program(compiles):
    source = "x = 3.0\nw = 0.5\nh = x * w\n"
    plain = _request(source, [{"?x": 2.0, "?w": 0.5}, {"x": 4.0, "w": 0.25}])
    text = given_text.injected(source, ["x", "w"], ["h"])
    request = replace(plain, injected={"names": ["x", "w"], "source": text})
    assert [_h(request, case) for case in request.cases] == [1.0, 1.0]
    assert compiles == []  # no tree rewritten in the child


def test_text_for_other_names_or_broken_text_leaves_it_to_the_parsed_program(compiles):
    source = "x = 3.0\nw = 0.5\nh = x * w\n"
    plain = _request(source, [{"x": 4.0, "w": 0.25}])
    other = replace(plain, injected={"names": ["x"], "source": "x = __gdlab_given__['x']"})
    assert _h(other, other.cases[0]) == 1.0
    execute._compiled.clear()
    broken = replace(plain, injected={"names": ["x", "w"], "source": "h = ("})
    assert _h(broken, broken.cases[0]) == 1.0
    assert compiles == [("x", "w"), ("x", "w")]


def test_a_file_the_text_cannot_handle_is_left_to_the_tree(monkeypatch):
    """The grader's text is a shortcut: anything unforeseen in writing it sends no text, and
    the child rewrites the parsed program as it always could."""
    job = Job("x = 3.0\nh = x * 2\n", "answer.py", None, {"h": "h"})
    cases = ({"x": given_to_plain(np.float64(1.0))},)
    assert sandbox._injected(job, cases) == {
        "names": ["x"],
        "source": "x = __gdlab_given__['x']\nh = x * 2\n",
    }

    def unforeseen(*args, **kwargs):
        raise KeyError("unforeseen")

    monkeypatch.setattr(given_text, "injected", unforeseen)
    assert sandbox._injected(job, cases) is None
