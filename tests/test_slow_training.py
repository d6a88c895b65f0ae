"""A training program stopped for time keeps the steps it was seen computing.

A right answer whose record loop is slow (pandas' ``iterrows``, ``.iloc[i]``) computes its first
epoch's steps right long before it is stopped: the child sends each trace point's records the
moment they are complete (`run/early.py`), so the case's steps are graded as usual (error
carried forward, named mistakes) and only the end of training is "not computed", with a
feedback line that says the program was too slow. A program seen in no loop (``while True:
pass``, a sleep) still gets 0 and "not run". The tests lower the exercise's time limit to one
second (a copy of the exercise, `dataclasses.replace`) and make the program spin from its
second epoch on, so they take seconds, not the real limit of 20. A case stopped after it was
seen in its loop does not end the grading: the later cases (smaller, in a fresh process) run.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from autograder.judge.checks import Grade, Reason
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import submission
from autograder.run import early
from autograder.run.outcome import Outcome
from autograder.run.protocol import MAX_TRACE_ELEMENTS
from autograder.run.sandbox import Job, Limits, Sandbox
from autograder.run.trace import Point
from autograder.run.values import Unreadable
from tests.helpers import checks_for, tiny_data

#: From the second epoch on the program never ends (CPU-bound: the limit is CPU time).
SPIN = "for e in range(epochs):\n    while e > 0:\n        pass\n"


@pytest.fixture(scope="module")
def slow_gradient() -> exercises.Exercise:
    """`gradient` with a time limit of one second (the real one is 20 s)."""
    gradient = exercises.get("gradient")
    return dataclasses.replace(gradient, limits=Limits(time=1.0, memory_mb=512))


def spinning(text: str) -> str:
    """The program, made to spin forever once its first epoch is over."""
    assert "for e in range(epochs):\n" in text
    return text.replace("for e in range(epochs):\n", SPIN)


def graded(exercise: exercises.Exercise, text: str, folder: Path, grader: Grader) -> Grade:
    path = folder / "answer.py"
    path.write_text(text, encoding="utf-8")
    return grader.grade(exercise, submission.load(path), seed=3, data=tiny_data(folder))


def step_points(exercise: exercises.Exercise, *left_out: str) -> float:
    """The points of every case's steps, but those `left_out`."""
    return sum(s.points for s in exercise.steps if s.id not in left_out)


def test_a_right_answer_stopped_for_time_earns_exactly_its_steps(
    slow_gradient: exercises.Exercise, grader: Grader, tmp_path: Path
) -> None:
    """Every case is stopped for time after its first epoch; each was seen in its loop, so
    the next case runs on (in a fresh process) and every case's steps earn their points."""
    result = graded(slow_gradient, spinning(slow_gradient.reference), tmp_path, grader)
    assert [r.status for r in result.runs] == [Outcome.TIMEOUT] * (1 + slow_gradient.hidden_cases)
    assert all("too slow" in (r.problem or "") for r in result.runs)
    assert result.score == pytest.approx(step_points(slow_gradient))  # 72 of 100
    steps = {s.id for s in slow_gradient.steps}
    for check in result.checks:
        if check.quantity in steps:
            assert check.passed and check.message == "correct", check
        else:  # the end of training: computed by no one
            assert not check.passed and check.reason is Reason.NOT_COMPUTED
            assert check.message.startswith("not computed: your program was too slow")
            assert "follows from" not in check.message


def test_an_answer_too_slow_only_for_the_published_data_keeps_the_hidden_cases(
    slow_gradient: exercises.Exercise, grader: Grader, tmp_path: Path
) -> None:
    """The newcomer's case: too slow for the large published data, fast on the small hidden
    cases (at most 20 records). The published case earns its steps, every hidden case all."""
    text = slow_gradient.reference.replace(
        "for e in range(epochs):\n",
        "for e in range(epochs):\n    while e > 0 and n_records > 30:\n        pass\n",
    )
    path = tmp_path / "answer.py"
    path.write_text(text, encoding="utf-8")
    data = tiny_data(tmp_path, rows=40)
    result = grader.grade(slow_gradient, submission.load(path), seed=3, data=data)
    assert [r.status for r in result.runs] == [Outcome.TIMEOUT] + [Outcome.FINISHED] * 4
    cases = 1 + slow_gradient.hidden_cases
    assert result.score == pytest.approx(step_points(slow_gradient) / cases + 100 * 4 / cases)
    assert all(c.passed for c in result.checks if c.case != "published")


def test_a_slow_answer_with_a_slip_loses_the_slipped_step_too(
    slow_gradient: exercises.Exercise, grader: Grader, tmp_path: Path
) -> None:
    text = slow_gradient.reference.replace("error = y - output", "error = output - y")
    result = graded(slow_gradient, spinning(text), tmp_path, grader)
    assert result.runs[0].status is Outcome.TIMEOUT
    assert result.score == pytest.approx(step_points(slow_gradient, "error"))
    error = checks_for(result, "error")[0]
    assert not error.passed and error.mistake == "sign flipped (ŷ − y)"
    term = checks_for(result, "error_term")[0]
    assert term.passed and term.carried_forward  # one slip costs that step only
    assert result.mistakes == ["sign flipped (ŷ − y)"]


def test_a_slow_pandas_loop_is_named_as_the_reason(
    slow_gradient: exercises.Exercise, grader: Grader, tmp_path: Path
) -> None:
    """The newcomer's answer: each record taken with iterrows. Right steps, told why slow."""
    text = slow_gradient.reference.replace(
        "for x, y in zip(features.values, targets):",
        "for (_, x), y in zip(features.iterrows(), targets):\n        x = x.values",
    )
    result = graded(slow_gradient, spinning(text), tmp_path, grader)
    assert result.score == pytest.approx(step_points(slow_gradient))
    assert "iterrows" in (result.runs[0].problem or "")


def test_a_program_seen_in_no_loop_still_gets_zero(
    slow_gradient: exercises.Exercise, grader: Grader, tmp_path: Path
) -> None:
    result = graded(slow_gradient, "while True:\n    pass\n", tmp_path, grader)
    assert result.score == 0
    problem = result.runs[0].problem or ""
    assert "did not finish within 1 s" in problem and "too slow" not in problem
    ends = [c for c in result.checks if c.quantity in ("weights", "del_w")]
    assert ends and all(c.reason is Reason.NOT_RUN for c in ends)
    assert len(result.runs) == 1  # grading stops after one timeout, as before


# --- the early line, read strictly ------------------------------------------------------------

POINTS = [
    Point("record", 2, ("w",), ("x",), depth=2).to_plain(),
    Point("loss", 5, (), ("loss",), depth=1, curve="loss").to_plain(),
]
REAL = {"kind": "real", "type": "float", "dtype": "float64", "shape": [], "data": [1.0]}
PASS = {"before": {"w": REAL}, "after": {"x": REAL}, "broken": False}


def test_an_early_line_is_kept_once_per_point_and_refused_off_its_bounds() -> None:
    traces = early.EarlyTraces(POINTS)
    line = early.encode("record", [PASS, PASS])
    assert traces.is_early(line) and not traces.is_early(b'{"status": "finished"}')
    traces.take(line.rstrip(b"\n"))
    assert traces.kept == {"record": [PASS, PASS]}
    with pytest.raises(Unreadable):
        traces.take(line.rstrip(b"\n"))  # the same point again
    refused = [
        early.encode("loss", [PASS]),  # a curve is complete only in the report
        early.encode("unknown", [PASS]),
        early.encode("record", [PASS] * 3),  # more passes than `first`
        b'{"early": {"record": [], "loss": []}}',  # two points in one line
        b'{"early": {}, "status": "finished"}',
        b'{"early": NaN}',
    ]
    for bad in refused:
        with pytest.raises(Unreadable):
            early.EarlyTraces(POINTS).take(bad.rstrip(b"\n"))
    big = {"kind": "real", "type": "ndarray", "dtype": "float64", "shape": [60_000]}
    big["data"] = [0.0] * 60_000
    huge = {"before": {"w": big}, "after": {"x": big}, "broken": False}
    assert MAX_TRACE_ELEMENTS < 2 * 60_000
    with pytest.raises(Unreadable):  # one budget of numbers for a case's early lines
        early.EarlyTraces(POINTS).take(early.encode("record", [huge]).rstrip(b"\n"))


TWICE = """
import json, os
real = {"kind": "real", "type": "float", "dtype": "float64", "shape": [], "data": [1.0]}
line = json.dumps({"early": {"record": [{"before": {}, "after": {"x": real}, "broken": False}]}})
for fd in range(3, 10):
    try:
        os.write(fd, ((line + "\\n") * 500).encode())
    except OSError:
        pass
while True:
    pass
"""

TRAINED = """
total = 0.0
for epoch in range(10**9):
    for x in [1.0, 2.0, 3.0]:
        total += x
"""


@pytest.mark.parametrize("plain", [False, True], ids=["confined", "plain"])
def test_the_sandbox_keeps_early_records_of_a_killed_case_and_refuses_forged_floods(
    plain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if plain:
        monkeypatch.setenv("GDLAB_SANDBOX", "plain")
    record = Point("record", 2, ("total",), ("x", "total"), depth=2)
    limits = Limits(time=0.5)
    with Sandbox() as sandbox:
        slow = sandbox.run(Job(TRAINED, "slow.py", None, {}, limits, trace=(record,)))
        flood = sandbox.run(Job(TWICE, "flood.py", None, {}, limits, trace=(record,)))
        if not plain:  # unconfined, the plain path relays any line the program wrote itself
            untraced = sandbox.run(Job(TWICE, "flood.py", None, {}, limits))
            assert (untraced.status, untraced.exit) == ("no_result", "unreadable")
    # unconfined, the CPU limit's SIGXCPU may come before the watch's deadline: killed
    assert slow.status in ((Outcome.TIMEOUT, Outcome.NO_RESULT) if plain else (Outcome.TIMEOUT,))
    passes = slow.trace["record"]
    assert [float(p.after["x"].array) for p in passes] == [1.0, 2.0]  # type: ignore[arg-type]
    assert [float(p.before["total"].array) for p in passes] == [0.0, 1.0]  # type: ignore[arg-type]
    assert (flood.status, flood.exit) == ("no_result", "unreadable")
    assert flood.trace == {}  # refused at once (not a timeout), nothing of it kept
