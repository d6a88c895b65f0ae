"""backprop_basic: one backpropagation step of a 3-2-1 network, graded on other sizes too."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from autograder.judge import reference
from autograder.load import exercise as exercises
from tests.helpers import REPO, GradeText, checks_for, stub

PUBLISHED_OUTPUT = """Change in weights for hidden layer to output layer:
[0.00804047 0.00555918]
Change in weights for input layer to hidden layer:
[[ 1.77005547e-04 -5.11178506e-04]
 [ 3.54011093e-05 -1.02235701e-04]
 [-7.08022187e-05  2.04471402e-04]]"""

#: Seed 0 draws networks 4-3-1, 2-4-1, 3-3-1 and 4-4-1: as many inputs as hidden units in
#: hidden 3 and 4 only.
SQUARE_SEED = 0


@pytest.fixture(scope="module")
def backprop() -> exercises.Exercise:
    """The exercise as the grader loads it."""
    return exercises.get("backprop_basic")


def reference_values(exercise: exercises.Exercise, case: exercises.Case) -> dict[str, Any]:
    """The reference's namespace on one case (published: given None)."""
    return reference.run(exercise.reference, case.given)


def test_the_solution_prints_the_published_output_exactly() -> None:
    """`gdlab run backprop_basic --solution` shows the quiz's published numbers and passes."""
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "run", "backprop_basic", "--solution"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout.split("--- your program's output ---\n")[1].split("\n\n--- ")[0]
    assert output == PUBLISHED_OUTPUT
    assert "6 of 6 visible checks pass" in done.stdout


def test_a_wrong_error_is_carried_through_the_whole_backward_pass(
    backprop: exercises.Exercise, grade_text: GradeText
) -> None:
    """Every later step computed correctly from a wrong error is credited."""
    text = backprop.reference.replace("error = target - output", "error = 2 * (target - output)")
    result = grade_text(backprop, text, seed=SQUARE_SEED)
    assert not any(c.passed for c in checks_for(result, "error"))
    for later in (
        "output_error_term",
        "hidden_error",
        "hidden_error_term",
        "delta_w_h_o",
        "delta_w_i_h",
    ):
        assert all(c.passed and c.carried_forward for c in checks_for(result, later)), later
    assert result.score == backprop.max_score - backprop.quantity("error").points


def test_a_wrong_hidden_error_costs_the_step_it_lands_in(
    backprop: exercises.Exercise, grade_text: GradeText
) -> None:
    """An uncatalogued slip in the added, optional step (worth no points): the hidden error
    term built on it pays for it, the input weights' step is carried forward from that, and
    the output weights' step does not depend on it."""
    text = backprop.reference.replace(
        "hidden_error = np.dot(output_error_term, weights_hidden_output)",
        "hidden_error = np.dot(output_error_term, weights_hidden_output) / 2",
    )
    result = grade_text(backprop, text, seed=SQUARE_SEED)
    assert not any(c.passed for c in checks_for(result, "hidden_error"))
    assert not any(c.passed for c in checks_for(result, "hidden_error_term"))
    assert all(c.passed and c.carried_forward for c in checks_for(result, "delta_w_i_h"))
    assert all(c.passed and not c.carried_forward for c in checks_for(result, "delta_w_h_o"))
    assert result.score == backprop.max_score - backprop.quantity("hidden_error_term").points


def test_x_not_made_a_column_is_named_by_the_crash_or_by_the_value(
    backprop: exercises.Exercise, grade_text: GradeText
) -> None:
    """Without x[:, None] numpy refuses when the layer sizes differ and returns a vector when
    they are equal; the mistake is named in both cases."""
    assert [c.given["weights_input_hidden"].shape for c in backprop.cases(SQUARE_SEED)[1:]] == [
        (4, 3),
        (2, 4),
        (3, 3),
        (4, 4),
    ]
    text = backprop.reference.replace("* x[:, None]", "* x")
    result = grade_text(backprop, text, seed=SQUARE_SEED)
    problems = {r.case: r.problem for r in result.runs}
    assert (problems["published"] or "").endswith(
        "with ValueError: operands could not be broadcast together with shapes (2,) (3,) "
    )
    assert problems["hidden 3"] is None and problems["hidden 4"] is None
    checks = {c.case: c for c in checks_for(result, "delta_w_i_h")}
    assert {c.mistake for c in checks.values()} == {"x not made a column"}
    square = checks["hidden 3"]
    assert square.expected.startswith("[[") and not square.received.startswith("[["), square
    assert result.score == backprop.max_score - backprop.quantity("delta_w_i_h").points


def test_an_answer_to_the_original_quiz_gets_full_marks(
    backprop: exercises.Exercise, grade_text: GradeText
) -> None:
    """The original quiz computed the hidden error term in one line; hidden_error is ours,
    optional: not there, not checked."""
    text = backprop.reference.replace(
        "hidden_error = np.dot(output_error_term, weights_hidden_output)\n", ""
    ).replace(
        "hidden_error_term = hidden_error *",
        "hidden_error_term = np.dot(output_error_term, weights_hidden_output) *",
    )
    result = grade_text(backprop, text, seed=SQUARE_SEED)
    assert all(c.passed for c in result.checks)
    assert checks_for(result, "hidden_error") == []
    assert result.score == backprop.max_score == 100


def test_the_forward_pass_is_given_code_that_runs_on_the_hidden_values(
    backprop: exercises.Exercise,
) -> None:
    """The stub keeps the forward pass after the given block, so hidden cases recompute it."""
    text = stub(backprop)
    assert (
        text.index("weights_hidden_output = np.array")
        < text.index("hidden_layer_input = np.dot(x, weights_input_hidden)")
        < text.index("error = None")
    )
    for case in backprop.cases(SQUARE_SEED)[1:]:
        values = reference_values(backprop, case)
        hidden = 1 / (1 + np.exp(-np.dot(case.given["x"], case.given["weights_input_hidden"])))
        output = 1 / (1 + np.exp(-np.dot(hidden, case.given["weights_hidden_output"])))
        assert values["output"] == pytest.approx(output)
        assert values["error"] == pytest.approx(case.given["target"] - output)


def test_the_weight_steps_agree_with_a_numerical_gradient(backprop: exercises.Exercise) -> None:
    """On every case, each step is -learnrate times the finite-difference slope of
    E = (target - output)^2 / 2: the reference is backpropagation, not just the quiz's numbers."""
    for case in backprop.cases(SQUARE_SEED):
        values = reference_values(backprop, case)
        given = {name: values[name] for name in backprop.given_names}

        def loss(w_ih: np.ndarray, w_ho: np.ndarray, given: dict[str, Any] = given) -> float:
            hidden = 1 / (1 + np.exp(-np.dot(given["x"], w_ih)))
            output = 1 / (1 + np.exp(-np.dot(hidden, w_ho)))
            return 0.5 * (given["target"] - output) ** 2

        w_ih, w_ho = given["weights_input_hidden"], given["weights_hidden_output"]
        eps = 1e-6
        numeric_ih = np.zeros_like(w_ih, dtype=float)
        for index in np.ndindex(w_ih.shape):
            nudge = np.zeros_like(numeric_ih)
            nudge[index] = eps
            numeric_ih[index] = (loss(w_ih + nudge, w_ho) - loss(w_ih - nudge, w_ho)) / (2 * eps)
        numeric_ho = np.array(
            [
                (loss(w_ih, w_ho + eps * e) - loss(w_ih, w_ho - eps * e)) / (2 * eps)
                for e in np.eye(len(w_ho))
            ]
        )
        rate = given["learnrate"]
        np.testing.assert_allclose(values["delta_w_i_h"], -rate * numeric_ih, atol=1e-9)
        np.testing.assert_allclose(values["delta_w_h_o"], -rate * numeric_ho, atol=1e-9)


def test_the_vanishing_gradient_bound_the_lab_teaches() -> None:
    """The sigmoid's slope never exceeds 1/4, reached at 0 only: each sigmoid layer an error
    crosses multiplies it by at most 0.25, so 5 layers shrink it more than a thousandfold."""
    z = np.linspace(-20, 20, 400_001)
    sigmoid = 1 / (1 + np.exp(-z))
    slope = sigmoid * (1 - sigmoid)
    assert slope.max() == 0.25 and z[slope.argmax()] == 0.0
    assert np.all(slope[z != 0] < 0.25) and np.all(slope > 0)
    assert 0.25**5 < 1e-3 and 0.25**10 < 1e-6


def test_every_error_term_is_at_most_a_quarter_of_its_error(backprop: exercises.Exercise) -> None:
    """The bound on every case: |δᵒ| <= |error| / 4 and |δʰ| <= |hidden error| / 4. On the
    published case the hidden error terms are 14 and 40 times smaller than δᵒ (the lab says so)."""
    for case in backprop.cases(SQUARE_SEED):
        values = reference_values(backprop, case)
        assert abs(values["output_error_term"]) <= 0.25 * abs(values["error"])
        assert np.all(np.abs(values["hidden_error_term"]) <= 0.25 * np.abs(values["hidden_error"]))
    published = reference_values(backprop, backprop.published_case())
    ratio = abs(published["output_error_term"]) / np.abs(published["hidden_error_term"])
    np.testing.assert_allclose(ratio, [40.6, 14.1], rtol=0.01)
