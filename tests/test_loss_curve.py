"""The student's loss curve comes from the values the run traced inside its training loop.

A curve trace point (``curve = "loss"`` in ``[trace.NAME]``) keeps the passes of the epoch loop
that bind the loss anew, at most `first` of them spread over the whole run, each with its pass
number; the gradebook stores them with the run (``runs.losses``) and the feedback page draws
them. The printed lines (``Train loss: 0.26``) are read only for rows graded before that.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa

from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.record.gradebook import Gradebook
from autograder.record.rows import losses_from
from autograder.report import feedback
from autograder.report.curves import parse_losses, reference_curves
from autograder.run import protocol, trace
from autograder.run.values import Unreadable
from tests.helpers import TINY_REFERENCE, TINY_TOML, submit

CURVE_TOML = (
    TINY_TOML
    + """
[trace.loss]
depth = 1
first = 50
curve = "loss"
after = ["loss"]
"""
)


@pytest.fixture(scope="module")
def traced_tiny(tmp_path_factory: pytest.TempPathFactory) -> exercises.Exercise:
    folder = tmp_path_factory.mktemp("exercises") / "traced_training"
    folder.mkdir()
    (folder / "exercise.toml").write_text(CURVE_TOML, encoding="utf-8")
    (folder / "train.py").write_text(TINY_REFERENCE, encoding="utf-8")
    return exercises.load(folder)


def recorded(source: str, point: trace.Point) -> list[trace.Record]:
    """Run `source` (ours) with the point instrumented; its records."""
    code = compile(trace.instrument(ast.parse(source), [point]), "<test>", "exec")
    records, failure = trace.run_traced(code, {}, [point], stop=False)
    assert failure is None
    return records[point.name]


CURVE = trace.Point("loss", 8, (), ("loss",), depth=1, curve="loss")


def test_a_curve_keeps_the_passes_that_compute_the_loss_with_their_numbers() -> None:
    records = recorded(
        "for e in range(50):\n    if e % 10 == 0:\n        loss = 1.0 / (e + 1)\n", CURVE
    )
    assert [(r.number, r.after["loss"]) for r in records] == [
        (e + 1, 1.0 / (e + 1)) for e in (0, 10, 20, 30, 40)
    ]


def test_a_long_run_is_thinned_evenly_to_at_most_first_passes() -> None:
    records = recorded("for e in range(1000):\n    loss = float(e)\n", CURVE)
    numbers = [r.number for r in records]
    assert len(numbers) <= CURVE.first and numbers[0] == 1
    assert len({b - a for a, b in itertools.pairwise(numbers)}) == 1  # even steps
    assert numbers[-1] > 1000 - 1000 // len(numbers) * 2  # spread over the whole run
    assert all(r.after["loss"] == r.number - 1 for r in records)


def test_the_grader_stops_its_own_runs_without_waiting_for_a_curve() -> None:
    step = trace.Point("epoch", 1, (), ("w",), depth=1)
    source = "w = 0\nfor e in range(10**7):\n    w += 1\n    loss = w\n"
    code = compile(trace.instrument(ast.parse(source), [step, CURVE]), "<test>", "exec")
    records, failure = trace.run_traced(code, {}, [step, CURVE])
    assert failure is None and len(records["epoch"]) == 1  # stopped after one epoch


def test_a_forged_pass_number_is_refused() -> None:
    shape = protocol.trace_shape([CURVE.to_plain()])
    good = {"before": {}, "after": {"loss": {"kind": "none", "type": "NoneType"}}, "pass": 3}
    assert protocol.check_trace({"loss": [good]}, shape)["loss"][0]["pass"] == 3
    for bad in (0, -1, 10**12, 2.5, "3", True):
        with pytest.raises(Unreadable):
            protocol.check_trace({"loss": [{**good, "pass": bad}]}, shape)
    with pytest.raises(Unreadable):
        protocol.check_trace({"loss": [good] * (CURVE.first + 1)}, shape)


def test_the_feedback_curve_is_what_the_program_computed_not_what_it_printed(
    tmp_path: Path, grader: Grader, traced_tiny: exercises.Exercise
) -> None:
    book = Gradebook(f"sqlite:///{tmp_path / 'g.db'}")
    lying = TINY_REFERENCE.replace('print("Train loss: ", loss)', 'print("Train loss: ", 7.0)')
    result = submit(book, grader, tmp_path, traced_tiny, "gus", lying)
    published = next(r for r in result.runs if r.visible)
    assert parse_losses(published.output) == [7.0] * 8
    # w halves its distance to the target (1.0) each epoch: loss = (1 / 2^(e+1))^2, exactly
    expected = [(e + 1, 0.25 ** (e + 1)) for e in range(8)]
    assert list(published.losses) == expected
    (sub,) = feedback.best_submissions(book)
    assert list(book.runs_of(sub.row.id)[0].losses) == expected
    curve = feedback.context(sub, traced_tiny, reference_curves(traced_tiny))["curve"]
    assert curve["traced"] and curve["losses"] == pytest.approx([v for _, v in expected])
    assert curve["reference"] == pytest.approx(curve["losses"])  # the same training
    assert curve["image"].startswith("data:image/png;base64,")


def test_rows_graded_before_the_curve_was_stored_read_the_printed_lines(
    tmp_path: Path, grader: Grader, traced_tiny: exercises.Exercise
) -> None:
    book = Gradebook(f"sqlite:///{tmp_path / 'g.db'}")
    submit(book, grader, tmp_path, traced_tiny, "hal", TINY_REFERENCE)
    with book.engine.begin() as conn:
        conn.execute(sa.text("UPDATE runs SET losses = NULL"))
    (page,) = feedback.write_pages(book, tmp_path / "pages", load_exercise=lambda _: traced_tiny)
    text = page.read_text(encoding="utf-8")
    assert "Your last printed loss: <strong>1.52588e-05</strong>" in text
    assert "(reference: 1.52588e-05)" in text


def test_a_program_that_computes_no_loss_has_no_curve_of_its_own(
    tmp_path: Path, grader: Grader, traced_tiny: exercises.Exercise
) -> None:
    book = Gradebook(f"sqlite:///{tmp_path / 'g.db'}")
    renamed = TINY_REFERENCE.replace("loss", "cost")  # prints "Train cost", binds no `loss`
    submit(book, grader, tmp_path, traced_tiny, "ida", renamed)
    (sub,) = feedback.best_submissions(book)
    curve = feedback.context(sub, traced_tiny, reference_curves(traced_tiny))["curve"]
    assert curve["losses"] == [] and curve["why"] == "no_loss" and curve["reference"]
    (page,) = feedback.write_pages(book, tmp_path / "pages", load_exercise=lambda _: traced_tiny)
    assert "it computed no training loss" in page.read_text(encoding="utf-8")


def test_a_diverging_run_is_stored_as_plain_json_and_shown_as_diverged(
    tmp_path: Path, grader: Grader, traced_tiny: exercises.Exercise
) -> None:
    book = Gradebook(f"sqlite:///{tmp_path / 'g.db'}")
    blowing = TINY_REFERENCE.replace("loss = (target - w) ** 2", "loss = float('inf') * e")
    submit(book, grader, tmp_path, traced_tiny, "jo", blowing)
    (sub,) = feedback.best_submissions(book)
    with book.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT losses FROM runs WHERE losses IS NOT NULL"))
        texts = [text for (text,) in stored]
    assert texts and not any("Infinity" in t or "NaN" in t for t in texts)  # strict JSON
    values = [v for _, v in book.runs_of(sub.row.id)[0].losses]
    assert all(v is None for v in values)  # 0 * inf, then inf: not finite, stored as null
    curve = feedback.context(sub, traced_tiny, reference_curves(traced_tiny))["curve"]
    assert curve["diverged"]


@pytest.mark.parametrize(
    "exercise_id",
    [
        # the reference trains to the end on the published data (seconds; backprop's 900 epochs)
        pytest.param("gradient", marks=pytest.mark.slow),
        pytest.param("backprop", marks=pytest.mark.slow),
        "relu_network",
    ],
)
def test_each_training_exercise_traces_the_loss_its_reference_prints(exercise_id: str) -> None:
    """The reference's traced curve is its printed curve, at the epochs where it prints."""
    exercise = exercises.get(exercise_id)
    curves = reference_curves(exercise)
    assert curves.traced is not None and len(curves.traced) == len(curves.printed) >= 10
    assert [v for _, v in curves.traced] == pytest.approx(curves.printed)
    assert curves.traced[0][0] == 1 and curves.traced[1][0] > 2  # epoch numbers, not order


def test_stored_curves_are_read_with_bounds() -> None:
    assert losses_from(None) is None  # a row graded before: read the printed lines
    assert losses_from("not json") == ()
    read = losses_from('[[1, 0.5], ["x", 1], [2], [3, "nan"], [4, null], 7]')
    assert read == ((1, 0.5), (4, None))
    assert len(losses_from(str([[n, 0.1] for n in range(5000)]))) == 1000


@pytest.mark.parametrize(
    ("point", "says"),
    [
        ('depth = 1\nfirst = 5\ncurve = "loss"\nafter = ["w"]', "must be one of the `after`"),
        ('depth = 1\nfirst = 50\nafter = ["loss"]', "at most 10 passes"),
        ('depth = 1\nfirst = 101\ncurve = "loss"\nafter = ["loss"]', "100"),
    ],
)
def test_a_curve_point_is_checked_at_load(tmp_path: Path, point: str, says: str) -> None:
    (tmp_path / "exercise.toml").write_text(
        TINY_TOML + f"\n[trace.loss]\n{point}\n", encoding="utf-8"
    )
    (tmp_path / "train.py").write_text(TINY_REFERENCE, encoding="utf-8")
    with pytest.raises(exercises.ExerciseError, match=says.replace("`", ".")):
        exercises.load(tmp_path)
