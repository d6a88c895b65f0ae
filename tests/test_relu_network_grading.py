"""relu_network graded as issue 10 asks of every training exercise: one slip costs its own
check, the checks computed from it and the end of training, and is named where it is made; a
right answer written another way (the per-example step in arrays, the batch step as a loop over
its rows) gets full marks.

relu_network's steps are its methods: the given check code calls them on the check values and
stores what they return (`check_*`, `batch_*`), and `prediction` is the end of training.
"""

from __future__ import annotations

import pytest

from autograder.judge.compare import close
from autograder.judge.diagnose import oracle_for
from autograder.judge.grading import FULL_MARKS
from autograder.load import exercise as exercises
from tests.helpers import checks_for

RELU = exercises.get("relu_network")
SEED = 3

#: The per-example step with arrays: U (3, 2), v, and the gradient as outer products.
ARRAY_UPDATE = '''    def update_weights_and_biases(self, x1, x2, y, lr):
        """One gradient-descent step on this example's loss; returns y - output."""
        w, b = self.weights, self.biases
        x = np.array([x1, x2])
        h = w[:6].reshape(3, 2) @ x + b[:3]
        a = self.relu(h)
        error = y - (w[6:] @ a + b[3])
        delta = error * w[6:] * (h > 0)
        self.weights = w + lr * np.concatenate([np.outer(delta, x).ravel(), error * a])
        self.biases = b + lr * np.append(delta, error)
        return error

'''

#: The batch step as a loop over the batch's rows, each row's gradient summed, then averaged.
LOOP_BATCH = '''    def batch_step(self, X, Y, lr):
        """One gradient-descent step on the batch's mean loss; returns that loss before it."""
        w, b = self.weights, self.biases
        total, steps_w, steps_b = 0.0, np.zeros(9), np.zeros(4)
        for (x1, x2), y in zip(X, Y):
            h = np.array([w[0] * x1 + w[1] * x2 + b[0], w[2] * x1 + w[3] * x2 + b[1],
                          w[4] * x1 + w[5] * x2 + b[2]])
            a = self.relu(h)
            error = y - (w[6:] @ a + b[3])
            total += error ** 2 / 2
            delta = error * w[6:] * (h > 0)
            steps_w += np.concatenate([np.outer(delta, [x1, x2]).ravel(), error * a])
            steps_b += np.append(delta, error)
        self.weights = w + lr * steps_w / len(X)
        self.biases = b + lr * steps_b / len(X)
        return total / len(X)

'''


def rewritten(method: str, text: str) -> str:
    """The reference with one method (up to the next `def` at its indent) replaced."""
    source = RELU.reference
    start = source.index(f"    def {method}(")
    end = source.index("    def ", start + 1)
    return source[:start] + text + source[end:]


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(RELU.reference, id="as-in-the-lab"),
        pytest.param(rewritten("update_weights_and_biases", ARRAY_UPDATE), id="arrays"),
        pytest.param(rewritten("batch_step", LOOP_BATCH), id="batch-as-a-loop"),
    ],
)
def test_a_right_answer_written_another_way_gets_full_marks(answer: str, grade_text) -> None:
    result = grade_text(RELU, answer, seed=SEED)
    assert result.score == RELU.max_score, [c.message for c in result.checks if not c.passed]
    assert result.verdict == FULL_MARKS
    published = next(r for r in result.runs if r.visible)
    assert published.losses and published.losses[-1][1] < 1e-6  # its traced curve: trained


def changed_by(mistake: exercises.Mistake) -> set[str]:
    """The quantities whose value the mistake changes on some case: the slip's own check and
    those computed from it (the end of training among them)."""
    changed = set()
    for case in RELU.cases(SEED):
        oracle = oracle_for(RELU, case)
        for quantity in RELU.quantities:
            value = oracle._mutant_value(mistake, quantity.name)
            expected = oracle.expected[quantity.name]
            if (
                value is None
                or value.shape != expected.shape
                or not close(value, expected, RELU.rtol, RELU.atol)
            ):
                changed.add(quantity.name)
    return changed


@pytest.mark.parametrize("mistake", RELU.mistakes, ids=[m.name for m in RELU.mistakes])
def test_a_slip_costs_its_check_those_computed_from_it_and_is_named_where_made(
    mistake: exercises.Mistake, grade_text
) -> None:
    result = grade_text(RELU, mistake.apply(RELU.reference), seed=SEED)
    failing = {c.quantity for c in result.checks if not c.passed}
    assert mistake.quantity in failing and failing <= changed_by(mistake), failing
    published = next(c for c in checks_for(result, mistake.quantity) if c.case == "published")
    assert published.mistake == mistake.name and published.hint == mistake.hint
    if result.runs[0].status == "raised":
        return  # a crash: the checks after it are not computed, named where it happens
    cases = {case.name: case for case in RELU.cases(SEED)}
    for check in result.checks:  # any other name is part of the same slip (its edits), or
        if check.mistake and check.mistake != mistake.name:  # the case cannot tell them apart
            other = next(m for m in RELU.mistakes if m.name == check.mistake)
            oracle = oracle_for(RELU, cases[check.case])
            alike = close(
                oracle._mutant_value(other, check.quantity),
                oracle._mutant_value(mistake, check.quantity),
                RELU.rtol,
                RELU.atol,
            )  # (a batch of 2 rows: ½ Σ e² is the mean of e², "loss missing the ½")
            assert set(other.edits) <= set(mistake.edits) or alike, (check.quantity, other.name)


def test_a_flipped_error_is_not_called_a_step_that_goes_uphill(grade_text) -> None:
    """The weights' line is right: the weights are wrong because the error is (issue 10)."""
    flipped = next(m for m in RELU.mistakes if m.name == "sign flipped (ŷ − y)")
    result = grade_text(RELU, flipped.apply(RELU.reference), seed=SEED)
    assert result.mistakes == ["sign flipped (ŷ − y)"]
    for quantity in ("check_weights_after", "check_biases_after"):
        check = next(c for c in checks_for(result, quantity) if c.case == "published")
        assert not check.passed and check.mistake is None
        assert check.message.endswith("; it follows from your check_error")
