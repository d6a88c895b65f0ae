"""gradient: one sigmoid unit trained by gradient descent on the graduate-admissions data.

The real data file is not part of the repository: tests that need it read
``../shared/data/binary.csv`` beside the repository and skip with the reason when it is absent.
Numbers that the original quiz printed were computed by running the original program (pandas)
on that file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.judge.grader import Grader
from autograder.judge.grading import FULL_MARKS
from autograder.load import exercise as exercises
from autograder.load import submission
from tests.helpers import (
    REAL_DATA,
    REPO,
    grade_on,
    needs_real_data,
    prepare,
    printed_numbers,
    sigmoid,
    tiny_data,
)

#: What the original quiz printed on the real data (its last loss ended in ...777, not ...7768:
#: pandas' column-major arrays round the dot products differently in the 17th digit).
ORIGINAL_OUTPUT = """Train loss:  0.2627609384996635
Train loss:  0.20928619409324875
Train loss:  0.20084292908073426
Train loss:  0.19862156475527873
Train loss:  0.19779851396686027
Train loss:  0.19742577912189863
Train loss:  0.19723507746241065
Train loss:  0.1971294562509248
Train loss:  0.19706766341315082
Train loss:  0.1970300580177737
Prediction accuracy: 0.725"""

#: The published values on the synthetic default data (what TEST RUN checks without --data).
SYNTHETIC_WEIGHTS = [
    0.23444856750449994,
    -0.032403640543989996,
    -0.2563065639883126,
    -0.9161559801066232,
    -0.9609661152740272,
    -1.3247659539466055,
]
SYNTHETIC_DEL_W = [
    0.004977328413011496,
    -0.0057867962947062805,
    -0.02845184134653228,
    -0.0030985174740046015,
    -0.00552425637286702,
    -0.12470374285617118,
]


def train(data: dict[str, Any], epochs: int = 1000, learnrate: float = 0.5) -> dict[str, Any]:
    """Full-batch gradient descent written as matrix products: an independent second
    implementation of the quiz (the reference loops over the records)."""
    features, targets = np.asarray(data["features"]), np.asarray(data["targets"])
    np.random.seed(42)
    weights = np.random.normal(scale=1 / features.shape[1] ** 0.5, size=features.shape[1])
    printed = []
    for e in range(epochs):
        output = sigmoid(features @ weights)
        del_w = ((targets - output) * output * (1 - output)) @ features
        weights = weights + learnrate * del_w / len(targets)
        if e % (epochs / 10) == 0:
            printed.append(np.mean((sigmoid(features @ weights) - targets) ** 2))
    test_out = sigmoid(data["features_test"] @ weights)
    accuracy = np.mean((test_out > 0.5) == data["targets_test"])
    return {"weights": weights, "del_w": del_w, "printed": printed, "accuracy": accuracy}


@pytest.fixture(scope="module")
def gradient() -> exercises.Exercise:
    """The exercise as the grader loads it."""
    return exercises.get("gradient")


@pytest.mark.slow  # trains to the end on the real data
def test_the_solution_prints_the_original_programs_output_on_the_real_data(
    gradient: exercises.Exercise, grader: Grader
) -> None:
    """`gdlab run gradient --solution --data binary.csv`: the original's losses and accuracy."""
    data = needs_real_data()
    program = submission.load(gradient.folder / gradient.script)
    result = grader.grade(gradient, program, hidden=False, data=data)
    assert result.verdict == FULL_MARKS
    received, original = printed_numbers(result.runs[0].output), printed_numbers(ORIGINAL_OUTPUT)
    assert [words for words, _ in received] == [words for words, _ in original]
    assert [n for _, n in received] == pytest.approx([n for _, n in original], rel=1e-12)
    assert result.runs[0].output.strip().endswith("Prediction accuracy: 0.725")


def test_the_published_weights_agree_with_a_matrix_form_of_the_training(
    gradient: exercises.Exercise, tmp_path: Path
) -> None:
    """The reference's record loop and full-batch matrix products reach the same weights."""
    data = prepare("gradient", tmp_path, None)
    trained = train(data)
    assert trained["weights"] == pytest.approx(SYNTHETIC_WEIGHTS, rel=1e-9)
    assert trained["del_w"] == pytest.approx(SYNTHETIC_DEL_W, rel=1e-9)


@pytest.mark.slow  # trains to the end on the synthetic data
def test_without_a_data_file_the_synthetic_default_is_used_and_labelled(
    gradient: exercises.Exercise,
) -> None:
    """TEST RUN says which data it uses; the default is the labelled synthetic stand-in."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "run",
            "gradient",
            str(REPO / "release" / "gradient" / "gradient.py"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # the untouched stub fails its checks
    assert "data: SYNTHETIC admissions data" in done.stdout
    assert "weights: still None: not done yet" in done.stdout
    assert gradient.published is not None and "SYNTHETIC" in gradient.published.label


def test_the_synthetic_data_looks_like_the_real_data(tmp_path: Path) -> None:
    """Same columns, counts and ranges as the real applicants, drawn from a fixed seed."""
    data = prepare("gradient", tmp_path, None)
    assert data["SYNTHETIC"] is True
    admit, gre, gpa, rank = data["admissions"].to_numpy().T
    assert np.unique(rank, return_counts=True)[1].tolist() == [61, 151, 121, 67]
    assert set(np.unique(admit)) == {0.0, 1.0} and 0.2 < admit.mean() < 0.4
    assert gre.min() >= 200 and gre.max() <= 800 and np.all(gre % 20 == 0)
    assert gpa.max() <= 4.0 and np.allclose(gpa, np.round(gpa, 2))
    assert abs(gre.mean() - 587.7) < 15 and abs(gpa.mean() - 3.3899) < 0.05
    again = prepare("gradient", tmp_path, None)
    assert np.array_equal(again["features"], data["features"])


def test_data_prep_prepares_the_real_data_as_specified(tmp_path: Path) -> None:
    """One-hot rank, ddof=1 standardization, 360 training rows in drawn order, 40 in file order."""
    real = needs_real_data()
    data = prepare("gradient", tmp_path, real)
    assert data["SYNTHETIC"] is False
    table = np.loadtxt(real, delimiter=",", skiprows=1)  # admit, gre, gpa, rank
    np.random.seed(42)
    train_rows = np.random.choice(np.arange(400), size=360, replace=False)
    test_rows = np.setdiff1d(np.arange(400), train_rows)
    gre = (table[:, 1] - table[:, 1].mean()) / table[:, 1].std(ddof=1)
    gpa = (table[:, 2] - table[:, 2].mean()) / table[:, 2].std(ddof=1)
    expected = np.column_stack(
        [gre, gpa] + [(table[:, 3] == r).astype(float) for r in (1, 2, 3, 4)]
    )
    assert data["features"].shape == (360, 6) and data["features_test"].shape == (40, 6)
    assert np.allclose(data["features"], expected[train_rows])
    assert np.allclose(data["features_test"], expected[test_rows])
    assert np.array_equal(data["targets"], table[train_rows, 0])
    assert np.array_equal(data["targets_test"], table[test_rows, 0])
    # pandas objects like the original lesson's: a DataFrame of floats with named columns, a
    # Series of targets, each row labelled with its row number in the file
    assert list(data["features"].columns) == ["gre", "gpa", "rank_1", "rank_2", "rank_3", "rank_4"]
    assert set(data["features"].dtypes) == {np.dtype(float)}
    assert data["features"].index.tolist() == train_rows.tolist()
    assert data["targets"].name == "admit" and data["targets"].index.tolist() == train_rows.tolist()
    assert data["features_test"].index.tolist() == test_rows.tolist()


def test_the_numbers_the_lab_quotes(tmp_path: Path) -> None:
    """What to notice: losses, weights, accuracy and the do-nothing baseline, on both data."""
    synthetic = train(prepare("gradient", tmp_path, None))
    assert [round(synthetic["printed"][i], 4) for i in (0, 2, 9)] == [0.2756, 0.2023, 0.1986]
    assert synthetic["accuracy"] == 0.65
    real = train(prepare("gradient", tmp_path, needs_real_data()))
    assert [round(real["printed"][i], 4) for i in (0, 2, 9)] == [0.2628, 0.2008, 0.1970]
    assert np.round(real["weights"], 2).tolist() == [0.25, 0.30, 0.10, -0.62, -1.14, -1.41]
    targets_test = prepare("gradient", tmp_path, REAL_DATA)["targets_test"]
    assert real["accuracy"] == 29 / 40
    assert np.mean(targets_test == 0) == 30 / 40  # "not admitted" to all would score 0.750


def test_hidden_cases_are_small_data_sets_with_their_own_training_values(
    gradient: exercises.Exercise,
) -> None:
    """Other sizes, starting weights, epochs and learning rates, so that every case trains."""
    cases = gradient.cases(seed=5)[1:]
    for case in cases:
        given = case.given
        n, m = given["features"].shape
        assert 6 <= n <= 20 and 2 <= m <= 5 and given["weights"].shape == (m,)
        assert given["targets"].shape == (n,) and set(given["targets"]) <= {0, 1}
        assert given["features_test"].shape[1] == m
        assert 2 <= given["epochs"] <= 6 and given["learnrate"] != 0.5
    assert len({c.given["features"].shape for c in cases}) > 1


def test_iterating_the_dataframe_instead_of_its_values_is_named(
    gradient: exercises.Exercise, grader: Grader, tmp_path: Path
) -> None:
    """The records are `features.values`; iterating the DataFrame gives its column names.
    (A small data file keeps the diagnosis of the wrong values quick.)"""
    text = gradient.reference.replace("zip(features.values, targets)", "zip(features, targets)")
    result = grade_on(gradient, text, tiny_data(tmp_path), grader)
    assert result.score == 0
    assert result.mistakes == ["DataFrame iterated instead of its values"]


def test_the_hidden_cases_hand_out_pandas_objects_like_the_original(
    gradient: exercises.Exercise,
) -> None:
    """features a DataFrame with the lesson's first m column names, targets a Series."""
    for case in gradient.cases(seed=5)[1:]:
        features, targets = case.given["features"], case.given["targets"]
        m = features.shape[1]
        assert list(features.columns) == ["gre", "gpa", "rank_1", "rank_2", "rank_3"][:m]
        assert targets.name == "admit" and len(targets) == len(features)
        assert case.given["features_test"].shape[1] == m
