"""Training exercises: each TODO line inside the loop is a check, as in the basic quizzes.

One slip costs that step, the steps computed from it and the end of training — nothing else —
and is named at the step where it happens. Steps a student did not write separately cost
nothing. The published case here trains on a tiny data file (`tiny_data`) so the suite stays
fast; the real data (``../shared/data/binary.csv``) is used where present.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from autograder.judge.grader import Grader
from autograder.judge.grading import FULL_MARKS, Grade
from autograder.judge.steps import _line
from autograder.load import exercise as exercises
from autograder.load import submission
from autograder.run import trace
from tests.helpers import REAL_DATA, checks_for, needs_real_data, stub, tiny_data

TRAINING = [e for e in exercises.available() if exercises.get(e).steps]
MISTAKES = [(e, m.name) for e in TRAINING for m in exercises.get(e).mistakes]

#: Whole epochs in matrices, no record loop: right, so full marks.
VECTORISED = {
    "gradient": """for e in range(epochs):
    output = sigmoid(features @ weights)
    del_w = ((targets - output) * output * (1 - output)) @ features
    weights += learnrate * del_w / n_records

""",
    "backprop": """for e in range(epochs):
    hidden_output = sigmoid(features @ weights_input_hidden)
    output = sigmoid(hidden_output @ weights_hidden_output)
    output_error_term = (targets - output) * output * (1 - output)
    hidden_error_term = (np.outer(output_error_term, weights_hidden_output)
                         * hidden_output * (1 - hidden_output))
    del_w_hidden_output = output_error_term @ hidden_output
    del_w_input_hidden = features.T @ hidden_error_term
    weights_input_hidden += learnrate * del_w_input_hidden / n_records
    weights_hidden_output += learnrate * del_w_hidden_output / n_records

""",
}


def vectorised(exercise: exercises.Exercise) -> str:
    """The reference with its training loop replaced by the whole-array version."""
    source = exercise.reference
    start = source.index("for e in range(epochs):")
    end = source.index("    # The mean squared error on ")
    return source[:start] + VECTORISED[exercise.id] + source[end:]


def graded(
    exercise: exercises.Exercise,
    text: str,
    folder: Path,
    grader: Grader,
    data: Path | None,
    seed: int = 3,
) -> Grade:
    path = folder / "answer.py"
    path.write_text(text, encoding="utf-8")
    return grader.grade(exercise, submission.load(path), seed=seed, data=data)


def edited_steps(exercise: exercises.Exercise, mistake: exercises.Mistake) -> set[str]:
    """Steps whose own line the mistake changes (or removes)."""
    edited = mistake.apply(exercise.reference)
    changed = set()
    for step in exercise.steps:
        before, after = _line(exercise, exercise.reference, step), _line(exercise, edited, step)
        if (
            after is None
            or before is None
            or before[0].co_code != after[0].co_code
            or before[0].co_consts != after[0].co_consts
            or before[1] != after[1]
        ):
            changed.add(step.id)
    return changed


@pytest.mark.parametrize(("exercise_id", "mistake_name"), MISTAKES)
def test_a_slip_costs_its_step_the_steps_computed_from_it_and_the_end_of_training(
    exercise_id: str, mistake_name: str, grader: Grader, tmp_path: Path
) -> None:
    exercise = exercises.get(exercise_id)
    mistake = next(m for m in exercise.mistakes if m.name == mistake_name)
    result = graded(
        exercise, mistake.apply(exercise.reference), tmp_path, grader, tiny_data(tmp_path)
    )
    step = next(s for s in exercise.steps if s.id == mistake.quantity)
    depth = exercise.point(step.at).depth or 0
    later = {
        s.id
        for s in exercise.steps  # steps of the passes that contain this one
        if (exercise.point(s.at).depth or 0) < depth
    }
    allowed = (
        {step.id} | edited_steps(exercise, mistake) | later | {q.name for q in exercise.quantities}
    )
    if result.runs[0].status == "raised":  # a mistake that stops the program: nothing after it
        allowed |= {s.id for s in exercise.steps}  # is observed, but it is named at its own step
    failing = {c.quantity for c in result.checks if not c.passed}
    assert step.id in failing and failing <= allowed, failing - allowed
    published = next(c for c in checks_for(result, step.id) if c.case == "published")
    assert not published.passed and published.mistake == mistake.name
    assert published.hint == mistake.hint
    assert result.mistakes == [mistake.name]  # named at its step, nowhere else
    for end in exercise.quantities:
        check = next(c for c in checks_for(result, end.name) if c.case == "published")
        assert not check.passed and check.mistake is None


@pytest.mark.parametrize("exercise_id", TRAINING)
def test_a_right_answer_by_record_or_vectorised_gets_full_marks(
    exercise_id: str, grader: Grader, tmp_path: Path
) -> None:
    exercise = exercises.get(exercise_id)
    data = tiny_data(tmp_path)
    for text in (exercise.reference, vectorised(exercise)):
        result = graded(exercise, text, tmp_path, grader, data)
        assert result.score == exercise.max_score, [
            c.message for c in result.checks if not c.passed
        ]
        assert result.verdict == FULL_MARKS


@pytest.mark.parametrize("exercise_id", TRAINING)
def test_vectorised_steps_cost_nothing_their_points_go_to_the_end_of_training(
    exercise_id: str, grader: Grader, tmp_path: Path
) -> None:
    exercise = exercises.get(exercise_id)
    result = graded(exercise, vectorised(exercise), tmp_path, grader, tiny_data(tmp_path))
    record_steps = [s for s in exercise.steps if s.at == "record"]
    assert not any(checks_for(result, s.id) for s in record_steps)
    for quantity in exercise.quantities:
        cell = exercise.cell_points(quantity.name)
        counted = sum(
            c.max_score for c in result.checks if exercise.cell_of(c.quantity) == quantity.name
        )
        assert counted == pytest.approx(cell)  # the cell keeps its points


@pytest.mark.slow  # trains to the end on the published data (8-26 s each on a busy machine)
@pytest.mark.parametrize("exercise_id", TRAINING)
@pytest.mark.parametrize("data", ["synthetic", "real"])
def test_a_right_answer_gets_full_marks_on_the_published_data(
    exercise_id: str, data: str, grader: Grader, tmp_path: Path
) -> None:
    """TEST RUN on the published data: the synthetic default, and the real file if present.

    The whole-array answer here; the record loop (the reference) trains to the end on the same
    data in test_notebooks (the solved lab, synthetic) and in test_gradient / test_backprop (the
    solution on the real data), so it is not trained a second time."""
    exercise = exercises.get(exercise_id)
    path = needs_real_data() if data == "real" else None
    file = tmp_path / "answer.py"
    file.write_text(vectorised(exercise), encoding="utf-8")
    result = grader.grade(exercise, submission.load(file), hidden=False, data=path)
    assert result.score == exercise.max_score, [c.message for c in result.checks if not c.passed]


def test_an_inlined_step_costs_nothing_and_passes_its_points_on(
    grader: Grader, tmp_path: Path
) -> None:
    gradient = exercises.get("gradient")
    text = gradient.reference.replace("        error = y - output\n", "").replace(
        "error_term = error * output", "error_term = (y - output) * output"
    )
    result = graded(gradient, text, tmp_path, grader, tiny_data(tmp_path))
    assert result.score == gradient.max_score
    assert not checks_for(result, "error")
    points = {s.id: s.points for s in gradient.steps}
    term = checks_for(result, "error_term")[0]
    assert term.max_score == pytest.approx(
        (points["error"] + points["error_term"]) / (1 + gradient.hidden_cases)
    )


def test_a_slip_is_carried_forward_inside_the_loop(grader: Grader, tmp_path: Path) -> None:
    """The error's sign flipped: the error fails, the error term and the running total are
    right given it (error carried forward), and the feedback says so."""
    gradient = exercises.get("gradient")
    text = gradient.reference.replace("error = y - output", "error = output - y")
    result = graded(gradient, text, tmp_path, grader, tiny_data(tmp_path))
    error = checks_for(result, "error")[0]
    assert not error.passed and error.mistake == "sign flipped (ŷ − y)"
    assert error.message.startswith("record 1 of the first epoch: wrong value")
    for later in ("error_term", "del_w (record)", "weights (epoch 1)"):
        assert all(c.passed for c in checks_for(result, later)), later
    term = checks_for(result, "error_term")[0]
    assert term.carried_forward and term.message == (
        "right given your error (error carried forward)"
    )
    assert "it follows from error above" in checks_for(result, "weights")[0].message


def test_the_untouched_stub_is_not_done_at_every_step(grader: Grader, tmp_path: Path) -> None:
    gradient = exercises.get("gradient")
    result = graded(gradient, stub(gradient), tmp_path, grader, tiny_data(tmp_path))
    assert result.score == 0
    output = checks_for(result, "output")[0]
    assert output.message == "record 1 of the first epoch: still None: not done yet"


def test_the_rewrite_keeps_line_numbers_and_records_the_first_passes() -> None:
    """The instrumented program raises at the student's own line; only the first passes are
    kept, and a pass that broke off keeps only the names it reached."""
    source = "total = 0\nfor i in range(5):\n    a = i * 2\n    b = a / (3 - i)\n    total += b\n"
    point = trace.Point("loop", 2, ("total",), ("a", "b", "total"), depth=1)
    tree = trace.instrument(ast.parse(source), [point])
    namespace: dict = {}
    recorder = trace.Recorder([point], trace.live_copy, same=trace.same_live)
    recorder.install(namespace)
    with pytest.raises(ZeroDivisionError) as raised:
        exec(compile(tree, "answer.py", "exec"), namespace)
    assert raised.traceback[-1].lineno + 1 == 4
    first, second = recorder.records[0]
    assert first == {
        "before": {"total": 0},
        "after": {"a": 0, "b": 0.0, "total": 0.0},
        "broken": False,
    }
    assert second["after"] == {"a": 2, "b": 1.0, "total": 1.0}
    assert len(recorder.records[0]) == 2  # the third pass (i = 3 raises) is not recorded


def test_a_forged_trace_is_read_with_bounds() -> None:
    point = trace.Point("record", 2, ("w",), ("x",), depth=2)
    raw = {
        "record": [
            {
                "before": {"w": {"kind": "real", "shape": [1], "data": [1.0]}},
                "after": {
                    "x": {"kind": "real", "shape": [2], "data": [1.0]},
                    "other": {"kind": "real", "shape": [], "data": [2.0]},
                },
            }
        ]
        * 50,
        "unknown": [1, 2, 3],
    }
    records = trace.read_trace(raw, [point])["record"]
    assert len(records) == 2 and set(records[0].after) == {"x"}
    assert records[0].after["x"].kind == "object"  # the data does not fill its shape
    assert trace.read_trace("nonsense", [point]) == {}


@pytest.mark.skipif(not REAL_DATA.is_file(), reason="binary.csv not found")
def test_the_published_real_data_trace_is_what_the_reference_computes() -> None:
    """The first record's output on the real data, by hand: sigmoid(x · w) at the start."""
    gradient = exercises.get("gradient")
    case = gradient.published_case(REAL_DATA)
    from autograder.judge.steps import step_oracle

    records = step_oracle(gradient, case).reference[0]["record"]
    np.random.seed(42)
    n_features = case.given["features"].shape[1]
    weights = np.random.normal(scale=1 / n_features**0.5, size=n_features)
    x = case.given["features"].values[0]  # the lesson's DataFrame, read as its numbers
    assert records[0].after["output"] == pytest.approx(1 / (1 + np.exp(-x @ weights)))
