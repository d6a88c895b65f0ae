"""multilayer: the forward pass of a 4-3-2 network, graded on networks of other sizes too."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograder.judge.grading import FULL_MARKS
from autograder.load import exercise as exercises
from tests.helpers import REPO, GradeText, checks_for, stub

PUBLISHED_OUTPUT = """Hidden-layer Output:
[0.41492192 0.42604313 0.5002434 ]
Output-layer Output:
[0.49815196 0.48539772]
"""

#: Seed 0 draws, in this order, networks 4-3-2, 2-2-2, 3-2-2 and 3-3-3: the input-to-hidden
#: matrix is square in hidden 2 and 4 only.
SQUARE_SEED = 0


@pytest.fixture(scope="module")
def multilayer() -> exercises.Exercise:
    """The exercise as the grader loads it."""
    return exercises.get("multilayer")


def test_the_solution_prints_the_published_output_exactly() -> None:
    """`gdlab run multilayer --solution` shows the quiz's published numbers and passes."""
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "run", "multilayer", "--solution"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout.split("--- your program's output ---\n")[1].split("\n--- ")[0]
    assert output.strip("\n") == PUBLISHED_OUTPUT.strip("\n")
    assert "4 of 4 visible checks pass" in done.stdout


def test_hidden_cases_are_networks_of_other_sizes(multilayer: exercises.Exercise) -> None:
    """The layers' shapes always chain up; some input-to-hidden matrices are square, some not."""
    square = []
    for case in multilayer.cases(SQUARE_SEED)[1:]:
        x, w_ih, w_ho = (case.given[n] for n in multilayer.given_names)
        assert w_ih.shape[0] == x.shape[0] and w_ih.shape[1] == w_ho.shape[0]
        square.append(w_ih.shape[0] == w_ih.shape[1])
    assert square == [False, True, False, True]


def test_a_wrong_hidden_layer_in_costs_that_step_only(
    multilayer: exercises.Exercise, grade_text: GradeText
) -> None:
    """Later layers computed correctly from a wrong hidden_layer_in are credited."""
    text = multilayer.reference.replace(
        "hidden_layer_in = np.dot(X, weights_input_to_hidden)",
        "hidden_layer_in = 2 * np.dot(X, weights_input_to_hidden)",
    )
    result = grade_text(multilayer, text, seed=SQUARE_SEED)
    assert not any(c.passed for c in checks_for(result, "hidden_layer_in"))
    for later in ("hidden_layer_out", "output_layer_in", "output_layer_out"):
        assert all(c.passed and c.carried_forward for c in checks_for(result, later)), later
    assert result.score == multilayer.max_score - multilayer.quantity("hidden_layer_in").points


def test_a_row_kept_as_a_one_by_n_matrix_is_form_and_gets_full_marks(
    multilayer: exercises.Exercise, grade_text: GradeText
) -> None:
    """`X` made a (1, n) row: every layer is a (1, k) row of the right numbers. The shape is
    form (axes of length 1), the numbers are the mathematics: full marks, and it is said."""
    text = multilayer.reference.replace(
        "hidden_layer_in = np.dot(X, weights_input_to_hidden)",
        "hidden_layer_in = np.dot(X.reshape(1, -1), weights_input_to_hidden)",
    )
    result = grade_text(multilayer, text, seed=SQUARE_SEED)
    assert result.score == multilayer.max_score
    first = checks_for(result, "hidden_layer_in")[0]
    assert "shape (1, 3) where the lesson has shape (3,): the same numbers" in first.message


def test_weights_the_wrong_way_round_are_named_by_the_crash_or_by_the_value(
    multilayer: exercises.Exercise, grade_text: GradeText
) -> None:
    """np.dot(W, X) raises on a non-square matrix and quietly miscomputes on a square one;
    both are named."""
    text = multilayer.reference.replace(
        "np.dot(X, weights_input_to_hidden)", "np.dot(weights_input_to_hidden, X)"
    )
    result = grade_text(multilayer, text, seed=SQUARE_SEED)
    runs = {r.case: r for r in result.runs}
    assert "ValueError: shapes (4,3) and (4,) not aligned" in (runs["published"].problem or "")
    assert runs["hidden 2"].problem is None and runs["hidden 4"].problem is None
    assert runs["hidden 3"].problem and "not aligned" in runs["hidden 3"].problem
    for check in checks_for(result, "hidden_layer_in"):
        assert not check.passed
        assert check.mistake == "weight matrix before the inputs", check.case
    square = [
        c
        for c in result.checks
        if c.case in ("hidden 2", "hidden 4") and c.quantity != "hidden_layer_in"
    ]
    assert square and all(c.passed and c.carried_forward for c in square)


def test_an_element_wise_product_is_named_on_every_case(
    multilayer: exercises.Exercise, grade_text: GradeText
) -> None:
    """X * W broadcasts only when the matrix is square, else numpy refuses: named either way."""
    text = multilayer.reference.replace(
        "np.dot(X, weights_input_to_hidden)", "X * weights_input_to_hidden"
    )
    result = grade_text(multilayer, text, seed=SQUARE_SEED)
    published = next(r for r in result.runs if r.case == "published")
    assert "operands could not be broadcast together" in (published.problem or "")
    names = {c.case: c.mistake for c in checks_for(result, "hidden_layer_in")}
    assert set(names.values()) == {"element-wise product instead of a matrix product"}


def test_the_release_stub_keeps_the_given_block_and_prints(multilayer: exercises.Exercise) -> None:
    """The student's file opens with the quiz's given block and ends with its prints."""
    text = stub(multilayer)
    assert "np.random.seed(42)\n" in text and "X = np.random.randn(4)\n" in text
    assert text.count(" = None\n") == len(multilayer.quantities)
    assert text.rstrip().endswith("print(output_layer_out)")


ORIGINAL_QUIZ_ANSWER = '''import numpy as np

def sigmoid(x):
    """
    Calculate sigmoid
    """
    return 1/(1+np.exp(-x))

# Network size
N_input = 4
N_hidden = 3
N_output = 2

np.random.seed(42)
# Make some fake data
X = np.random.randn(4)

weights_input_to_hidden = np.random.normal(0, scale=0.1, size=(N_input, N_hidden))
weights_hidden_to_output = np.random.normal(0, scale=0.1, size=(N_hidden, N_output))


# TODO: Make a forward pass through the network

hidden_layer_in = np.dot(X, weights_input_to_hidden)
hidden_layer_out = sigmoid(hidden_layer_in)

print('Hidden-layer Output:')
print(hidden_layer_out)

output_layer_in = np.dot(hidden_layer_out, weights_hidden_to_output)
output_layer_out = sigmoid(output_layer_in)

print('Output-layer Output:')
print(output_layer_out)
'''


def test_an_answer_written_for_the_original_quiz_gets_full_marks(
    multilayer: exercises.Exercise, grade_text: GradeText
) -> None:
    """Fixed size constants (N_input = 4, ...) do not matter: the given arrays carry the sizes."""
    result = grade_text(multilayer, ORIGINAL_QUIZ_ANSWER, seed=SQUARE_SEED)
    assert result.verdict == FULL_MARKS
