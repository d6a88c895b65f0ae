"""backprop: a 6-2-1 network trained by backpropagation on the graduate-admissions data.

Tests that need the real data skip without ``../shared/data/binary.csv`` (see test_gradient).
The original quiz's printed numbers were computed by running the original program (pandas) on
that file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.judge.grader import Grader
from autograder.judge.grading import FULL_MARKS
from autograder.load import exercise as exercises
from autograder.load import submission
from tests.helpers import (
    REPO,
    checks_for,
    grade_on,
    needs_real_data,
    prepare,
    printed_numbers,
    sigmoid,
    tiny_data,
)

#: What the original quiz printed on the real data: its "train loss" is the erratum.
ORIGINAL_LOSSES = [
    0.2513572524259881,
    0.24996540718842905,
    0.24862005218904504,
    0.2473199321717981,
    0.24606380465584854,
    0.24485044179257037,
    0.243678632018683,
    0.24254718151769472,
    0.24145491550165454,
    0.24040067932493334,
]

#: What our quiz prints on the real data: the true training loss, and the same accuracy.
PUBLISHED_OUTPUT = """Train loss:  0.268560154404101
Train loss:  0.26681028268607343
Train loss:  0.26510696358868235
Train loss:  0.263449343284774
Train loss:  0.26183655010275364
Train loss:  0.26026769767979324
Train loss:  0.25874188793271247
Train loss:  0.2572582138472964
Train loss:  0.2558157620879725
Train loss:  0.25441361543077645
Prediction accuracy: 0.725"""

#: The published values on the synthetic default data.
SYNTHETIC_W_IH = [
    [-0.013507080102848673, -0.05016227312196866],
    [0.423512493849442, -0.5109050843140577],
    [0.30189718429884105, -0.697221309444302],
    [-0.09768399346311518, -0.08778486706079432],
    [0.44803744374944915, 0.002674237600842122],
    [-0.2588807398087192, 0.5655542496940875],
]
SYNTHETIC_W_HO = [0.5149968888550542, -0.41834127320710446]
SYNTHETIC_DEL_W_IH = [
    [0.5441416726885099, -0.45437452185530836],
    [-0.1403380780203321, 0.21226094215578983],
    [-0.1447660997656959, 0.10874147665481798],
    [-0.8904063911276483, 0.7095561468092229],
    [-0.8277368175736254, 0.7033270815686538],
    [-0.5684140702686781, 0.429642952515776],
]
SYNTHETIC_DEL_W_HO = [-10.620096698384533, -10.24126212208087]


def train(data: dict[str, Any], epochs: int = 900, learnrate: float = 0.005) -> dict[str, Any]:
    """Full-batch backpropagation as matrix products over all records at once: an independent
    second implementation. At each printing epoch it records the true loss and the original
    quiz's number, the error of the last training record's prediction made for everybody."""
    features, targets = np.asarray(data["features"]), np.asarray(data["targets"])
    n_records, n_features = features.shape
    np.random.seed(21)
    w_ih = np.random.normal(scale=1 / n_features**0.5, size=(n_features, 2))
    w_ho = np.random.normal(scale=1 / n_features**0.5, size=2)
    true_losses, original_losses = [], []
    for e in range(epochs):
        hidden = sigmoid(features @ w_ih)  # (records, hidden)
        output = sigmoid(hidden @ w_ho)  # (records,)
        output_term = (targets - output) * output * (1 - output)
        hidden_term = output_term[:, None] * w_ho * hidden * (1 - hidden)
        del_w_ih, del_w_ho = features.T @ hidden_term, output_term @ hidden
        w_ih = w_ih + learnrate * del_w_ih / n_records
        w_ho = w_ho + learnrate * del_w_ho / n_records
        if e % (epochs / 10) == 0:
            everybody = sigmoid(sigmoid(features @ w_ih) @ w_ho)
            true_losses.append(np.mean((everybody - targets) ** 2))
            last_record = sigmoid(sigmoid(features[-1] @ w_ih) @ w_ho)
            original_losses.append(np.mean((last_record - targets) ** 2))
    return {
        "w_ih": w_ih,
        "w_ho": w_ho,
        "del_w_ih": del_w_ih,
        "del_w_ho": del_w_ho,
        "true": true_losses,
        "original": original_losses,
        "train_out": sigmoid(sigmoid(features @ w_ih) @ w_ho),
    }


@pytest.fixture(scope="module")
def backprop() -> exercises.Exercise:
    """The exercise as the grader loads it."""
    return exercises.get("backprop")


@pytest.mark.slow  # trains the two-layer network to the end on the real data (a minute loaded)
def test_the_solution_prints_the_true_loss_and_the_original_accuracy_on_the_real_data(
    backprop: exercises.Exercise, grader: Grader
) -> None:
    """`gdlab run backprop --solution --data binary.csv`: the loss over all training records
    (the erratum) and the original's accuracy, 0.725."""
    data = needs_real_data()
    program = submission.load(backprop.folder / backprop.script)
    result = grader.grade(backprop, program, hidden=False, data=data)
    assert result.verdict == FULL_MARKS
    received, published = printed_numbers(result.runs[0].output), printed_numbers(PUBLISHED_OUTPUT)
    assert [words for words, _ in received] == [words for words, _ in published]
    assert [n for _, n in received] == pytest.approx([n for _, n in published], rel=1e-12)
    losses = np.array([n for _, n in received[:-1]])
    assert np.all(np.abs(losses - ORIGINAL_LOSSES) > 0.01)  # not what the original printed


def test_erratum_the_original_printed_the_last_records_loss(tmp_path: Path) -> None:
    """The original's "train loss" is the error of one record's prediction made for all: it
    matches that to 1e-9 and differs from the true loss by 0.014 to 0.018 on the real data."""
    trained = train(prepare("backprop", tmp_path, needs_real_data()))
    assert trained["original"] == pytest.approx(ORIGINAL_LOSSES, rel=1e-9)
    published = [n for _, n in printed_numbers(PUBLISHED_OUTPUT)[:-1]]
    assert trained["true"] == pytest.approx(published, rel=1e-9)
    gaps = np.subtract(trained["true"], trained["original"])
    assert np.all((gaps > 0.014) & (gaps < 0.018)), gaps
    # The numbers the lab quotes: first and last print, original against true.
    quoted = [round(trained[k][i], 4) for i in (0, -1) for k in ("original", "true")]
    assert quoted == [0.2514, 0.2686, 0.2404, 0.2544]


def test_erratum_with_a_larger_learning_rate_the_original_would_warn_wrongly(
    tmp_path: Path,
) -> None:
    """learnrate 0.5: the true loss falls while the original's number rises (a false warning)."""
    trained = train(prepare("backprop", tmp_path, needs_real_data()), learnrate=0.5)
    true, original = trained["true"], trained["original"]
    assert true[-1] < true[-2] and original[-1] > original[-2]
    assert [round(v, 4) for v in (true[-2], true[-1], original[-2], original[-1])] == [
        0.1997,
        0.1993,
        0.2294,
        0.2299,
    ]


def test_the_published_weights_agree_with_a_matrix_form_and_the_lab_numbers(tmp_path: Path) -> None:
    """Synthetic default: the record loop and the matrix form reach the same weights; the
    lab's synthetic numbers (both losses, accuracy 0.500) hold."""
    data = prepare("backprop", tmp_path, None)
    trained = train(data)
    assert trained["w_ih"] == pytest.approx(np.array(SYNTHETIC_W_IH), rel=1e-9)
    assert trained["w_ho"] == pytest.approx(SYNTHETIC_W_HO, rel=1e-9)
    assert trained["del_w_ih"] == pytest.approx(np.array(SYNTHETIC_DEL_W_IH), rel=1e-9)
    assert trained["del_w_ho"] == pytest.approx(SYNTHETIC_DEL_W_HO, rel=1e-9)
    quoted = [round(trained[k][i], 4) for i in (0, -1) for k in ("original", "true")]
    assert quoted == [0.2733, 0.2732, 0.2552, 0.2570]
    features_test = np.asarray(data["features_test"])
    test_out = sigmoid(sigmoid(features_test @ trained["w_ih"]) @ trained["w_ho"])
    assert np.mean((test_out > 0.5) == data["targets_test"]) == 0.5


def test_the_lab_says_the_network_is_barely_trained_on_the_real_data(tmp_path: Path) -> None:
    """Outputs between 0.43 and 0.58, right on 48% of the training records, below the 69% of
    answering "not admitted" to everybody."""
    data = prepare("backprop", tmp_path, needs_real_data())
    trained = train(data)
    out = trained["train_out"]
    assert out.min() > 0.43 and out.max() < 0.58
    assert round(np.mean((out > 0.5) == data["targets"]), 2) == 0.48
    assert round(np.mean(data["targets"] == 0), 2) == 0.69


def test_data_prep_differs_from_gradients_only_in_the_split_seed() -> None:
    """The two exercises ship the same preparation; only SEED (42, here 21) differs."""
    ours = (REPO / "source" / "backprop" / "data_prep.py").read_text().splitlines()
    theirs = (REPO / "source" / "gradient" / "data_prep.py").read_text().splitlines()
    differing = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
    assert differing == [("SEED = 21", "SEED = 42")]


def test_the_split_has_360_training_and_40_test_records(tmp_path: Path) -> None:
    """Seed 21 draws another split of the same 400 applicants."""
    data = prepare("backprop", tmp_path, None)
    assert data["features"].shape == (360, 6) and data["features_test"].shape == (40, 6)
    np.random.seed(21)
    drawn = np.random.choice(np.arange(400), size=360, replace=False)
    assert np.array_equal(data["sample"], drawn)


def test_without_a_data_file_the_synthetic_default_is_used_and_labelled(
    backprop: exercises.Exercise, tmp_path: Path
) -> None:
    """No binary.csv: data_prep makes up its labelled stand-in, and TEST RUN prints the label
    (the CLI line itself is tested for gradient, which shares the mechanism)."""
    assert prepare("backprop", tmp_path, None)["SYNTHETIC"] is True
    assert backprop.published is not None
    assert backprop.published.label.startswith("SYNTHETIC admissions data")
    assert backprop.published_case().given["features"].shape == (360, 6)


def test_hidden_cases_vary_the_number_of_hidden_units(backprop: exercises.Exercise) -> None:
    """The weight shapes chain up on every case, with 1 to 4 hidden units."""
    hidden_units = []
    for case in backprop.cases(seed=5)[1:]:
        given = case.given
        n, m = given["features"].shape
        assert given["weights_input_hidden"].shape[0] == m
        assert given["weights_input_hidden"].shape[1] == given["weights_hidden_output"].shape[0]
        assert 2 <= given["epochs"] <= 6 and 6 <= n <= 20
        hidden_units.append(given["weights_hidden_output"].shape[0])
    assert len(set(hidden_units)) > 1


def test_x_not_made_a_column_stops_with_numpys_reason(
    backprop: exercises.Exercise, grader: Grader, tmp_path: Path
) -> None:
    """Without x[:, None] the step cannot broadcast to (6, 2): the run says so, the steps of
    the first record before it still count, and the mistake is named at its step."""
    text = backprop.reference.replace("hidden_error_term * x[:, None]", "hidden_error_term * x")
    result = grade_on(backprop, text, tiny_data(tmp_path), grader)
    assert "ValueError: operands could not be broadcast together with shapes (2,) (6,)" in (
        result.runs[0].problem or ""
    )
    step = checks_for(result, "del_w_input_hidden (record)")[0]
    assert not step.passed and step.mistake == "x not made a column"
    assert step.message.startswith("not computed: your program stopped at line")
    before = [s.id for s in backprop.steps][: [s.id for s in backprop.steps].index(step.quantity)]
    assert all(c.passed for q in before for c in checks_for(result, q))
    assert result.score == sum(backprop.steps[i].points for i in range(len(before)))
    assert not any(c.passed for c in checks_for(result, "del_w_input_hidden"))
