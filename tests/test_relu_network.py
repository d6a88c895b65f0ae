"""relu_network: the 2-3-1 ReLU network, its gradient, the lesson's erratum and the mini-batch step.

Grading compares a student's values with the reference's. These tests show that the reference is
the gradient itself (finite differences, at points with inactive units), that the lesson's
original update is not and is named when a student submits it, that hidden cases exercise
inactive units, and that the divergence figure the lab teaches is the one its code measures.

Loss convention, as in the lab: one example's loss is ½ (y − ŷ)², the error is y − ŷ, and a step
adds −lr × the loss's gradient; a batch's loss is the mean of ½ (y − ŷ)² over its rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograder.judge import reference
from autograder.load import exercise as exercises
from tests.helpers import REPO, checks_for

EXERCISE = "relu_network"
ORIGINAL_RULE = "the lesson's original update rule"
#: The training data of the exercise (the network learns to add).
DATA_X = [[2, 2], [5, 1], [0, 4], [2, 8], [3, 0]]
DATA_Y = [4, 6, 4, 10, 3]


@pytest.fixture(scope="module")
def relu() -> exercises.Exercise:
    return exercises.get(EXERCISE)


def classes(source: str, exercise: exercises.Exercise) -> dict[str, Any]:
    """The namespace of `source` run on a hidden case (a short training run: fast)."""
    given = exercise.cases(seed=0)[1].given
    with np.errstate(all="ignore"):
        return reference.run(source, given)


@pytest.fixture(scope="module")
def ref(relu: exercises.Exercise) -> dict[str, Any]:
    return classes(relu.reference, relu)


@pytest.fixture(scope="module")
def original(relu: exercises.Exercise) -> dict[str, Any]:
    """The reference with the lesson's original update rule (both of its errors)."""
    mistake = next(m for m in relu.mistakes if m.name == ORIGINAL_RULE)
    return classes(mistake.apply(relu.reference), relu)


def network(namespace: dict[str, Any], params: np.ndarray, cls: str = "NeuralNetwork") -> Any:
    """A network of the namespace's class with the 13 parameters: 9 weights, then 4 biases."""
    net = namespace[cls]()
    net.weights, net.biases = params[:9].copy(), params[9:].copy()
    return net


def numerical_gradient(
    loss: Callable[[np.ndarray], float], params: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central differences of `loss` at `params`, one parameter at a time."""
    grad = np.zeros_like(params)
    for i in range(params.size):
        nudge = np.zeros_like(params)
        nudge[i] = eps
        grad[i] = (loss(params + nudge) - loss(params - nudge)) / (2 * eps)
    return grad


def hidden_pre_activations(params: np.ndarray, X: np.ndarray) -> np.ndarray:
    """h of the three hidden units for each row of X (rows, 3), from the parameter layout."""
    return X @ params[:6].reshape(3, 2).T + params[9:12]


def random_points(
    count: int, rows: int, *, inactive: bool, seed: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(params, X, Y) with every |h| ≥ 0.01 (no finite difference crosses the kink at 0) and,
    with `inactive`, at least one inactive unit; without, every unit active on every row."""
    rng = np.random.default_rng(seed)
    points = []
    while len(points) < count:
        params = rng.uniform(-1, 1, 13)
        X, Y = rng.uniform(-3, 3, (rows, 2)), rng.uniform(-5, 5, rows)
        H = hidden_pre_activations(params, X)
        if np.min(np.abs(H)) < 0.01 or bool(np.any(H < 0)) != inactive:
            continue
        points.append((params, X, Y))
    return points


def example_step(
    namespace: dict[str, Any], params: np.ndarray, x1: float, x2: float, y: float, lr: float
) -> tuple[np.ndarray, float]:
    """The parameter change of one update_weights_and_biases, and the error it returned."""
    net = network(namespace, params)
    error = net.update_weights_and_biases(x1, x2, y, lr)
    return np.concatenate([net.weights, net.biases]) - params, error


def example_loss(
    namespace: dict[str, Any], x1: float, x2: float, y: float
) -> Callable[[np.ndarray], float]:
    """½ (y − ŷ)² of one example as a function of the 13 parameters (the reference's predict)."""
    return lambda p: (y - network(namespace, p).predict(x1, x2)) ** 2 / 2


# --- what a student sees ----------------------------------------------------------------------


def test_test_run_of_the_reference_prints_the_trained_network_and_passes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "run", EXERCISE, "--solution"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Prediction for 4 + 4:\n8.0\n" in done.stdout
    assert "Weights:\n[-0.90791801 -0.25951537 " in done.stdout  # unit 1 dead: never moved
    assert "10 of 10 visible checks pass" in done.stdout


# --- the reference is the gradient --------------------------------------------------------------


def test_the_update_is_minus_lr_times_the_gradient_of_half_the_squared_error(ref) -> None:
    """At 200 points, each with an inactive unit, the step equals −lr × ∇ ½ (y − ŷ)²: grading
    against the reference is grading against finite differences."""
    lr = 0.05
    for params, X, Y in random_points(200, 1, inactive=True, seed=1):
        (x1, x2), y = X[0], Y[0]
        step, error = example_step(ref, params, x1, x2, y, lr)
        grad = numerical_gradient(example_loss(ref, x1, x2, y), params)
        np.testing.assert_allclose(step, -lr * grad, rtol=1e-6, atol=1e-9)
        assert error == pytest.approx(y - network(ref, params).predict(x1, x2))


def test_an_inactive_unit_gets_no_step(ref) -> None:
    params = np.array([0.4, -0.3, -0.6, 0.2, 0.5, 0.7, 0.8, -0.5, 0.3, 0.1, -0.2, 0.05, 0.3])
    step, _ = example_step(ref, params, 1.5, -0.5, 2.0, 0.1)  # h2 = −1.2: unit 2 inactive
    assert np.all(step[[2, 3, 7, 10]] == 0)
    assert np.all(step[[0, 1, 4, 5, 6, 8, 9, 11, 12]] != 0)


def test_the_original_rule_is_the_gradient_only_when_every_unit_is_active(ref, original) -> None:
    lr = 0.05
    for params, X, Y in random_points(50, 1, inactive=False, seed=2):
        (x1, x2), y = X[0], Y[0]
        step, _ = example_step(original, params, x1, x2, y, lr)
        np.testing.assert_allclose(
            step, example_step(ref, params, x1, x2, y, lr)[0], rtol=1e-12, atol=1e-15
        )
    for params, X, Y in random_points(50, 1, inactive=True, seed=3):
        (x1, x2), y = X[0], Y[0]
        step, _ = example_step(original, params, x1, x2, y, lr)
        grad = numerical_gradient(example_loss(ref, x1, x2, y), params)
        assert np.max(np.abs(step + lr * grad)) > 1e-4


def test_the_batch_step_is_minus_lr_times_the_gradient_of_the_batch_mean_loss(ref) -> None:
    lr = 0.05
    for rows in (2, 3, 5, 8):
        for params, X, Y in random_points(25, rows, inactive=True, seed=rows):
            net = network(ref, params, "MiniBatchNetwork")
            loss = net.batch_step(X, Y, lr)
            step = np.concatenate([net.weights, net.biases]) - params

            def mean_loss(p: np.ndarray, X: np.ndarray = X, Y: np.ndarray = Y) -> float:
                net = network(ref, p)
                return float(
                    np.mean(
                        [(t - net.predict(a, b)) ** 2 / 2 for (a, b), t in zip(X, Y, strict=True)]
                    )
                )

            np.testing.assert_allclose(
                step, -lr * numerical_gradient(mean_loss, params), rtol=1e-6, atol=1e-9
            )
            assert loss == pytest.approx(mean_loss(params))


def test_a_batch_of_one_takes_the_per_example_step(ref) -> None:
    for params, X, Y in random_points(20, 5, inactive=True, seed=9):
        batched = network(ref, params, "MiniBatchNetwork")
        losses = batched.train(X, Y, batch_size=1, epochs=3, lr=0.05)
        single = network(ref, params)
        errors = [
            single.update_weights_and_biases(a, b, t, 0.05)
            for _ in range(3)
            for (a, b), t in zip(X, Y, strict=True)
        ]
        np.testing.assert_allclose(batched.weights, single.weights, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(batched.biases, single.biases, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(losses, np.square(errors) / 2, rtol=1e-12)


# --- grading ----------------------------------------------------------------------------------


def test_the_original_rule_fails_exactly_where_a_unit_is_inactive(relu, grade_text) -> None:
    """It is the gradient when every unit is active: those hidden cases pass, the others fail."""
    text = (REPO / "examples" / EXERCISE / "ben_original_rule.py").read_text(encoding="utf-8")
    result = grade_text(relu, text, seed=21)
    given = {case.name: case.given for case in relu.cases(21)[1:]}
    for quantity in ("check_weights_after", "check_biases_after"):
        for check in checks_for(result, quantity):
            if check.case == "published":
                assert not check.passed and check.mistake
                continue
            case = given[check.case]
            params = np.concatenate([case["check_weights"], case["check_biases"]])
            h = hidden_pre_activations(params, np.array([[case["check_x1"], case["check_x2"]]]))
            assert check.passed == bool(np.all(h > 0)), (quantity, check.case, h)
    assert sum(c.passed for c in result.checks if c.quantity == "check_weights_after") < 3
    published = next(c for c in checks_for(result, "prediction") if c.case == "published")
    assert "contains nan" in published.message  # seed 84: the correct rule reaches 8.0


def test_hidden_cases_almost_always_make_a_unit_inactive(relu) -> None:
    """A hidden unit is inactive about half of the time, so about 7 cases in 8 have one at the
    check example, nearly every check batch has units on both sides of 0, and a submission
    (4 hidden cases) nearly always meets inactive units. h also keeps away from the kink."""
    single, batch, per_submission = [], [], []
    for seed in range(500):
        flags = []
        for case in relu.cases(seed)[1:]:
            given = case.given
            params = np.concatenate([given["check_weights"], given["check_biases"]])
            h = hidden_pre_activations(params, np.array([[given["check_x1"], given["check_x2"]]]))
            H = hidden_pre_activations(params, given["check_X"])
            assert np.min(np.abs(h)) > 1e-6 and np.min(np.abs(H)) > 1e-6
            flags.append(bool(np.any(h < 0)))
            batch.append(bool(np.any(H < 0) and np.any(H > 0)))
        single += flags
        per_submission.append(sum(flags))
    assert 0.84 < np.mean(single) < 0.92  # about 7/8 (0.879 over 2000 seeds)
    assert np.mean(batch) > 0.96  # 0.981 over 2000 seeds
    assert np.mean(np.array(per_submission) >= 1) > 0.99
    assert np.mean(np.array(per_submission) >= 2) > 0.97


# --- the lab's divergence measurement -----------------------------------------------------------


def lab_cell(cell_id: str) -> str:
    notebook = json.loads((REPO / "source" / EXERCISE / f"{EXERCISE}.ipynb").read_text())
    return next("".join(c["source"]) for c in notebook["cells"] if c["id"] == cell_id)


@pytest.fixture(scope="module")
def lab_tools() -> dict[str, Any]:
    """The lab's given many-network trainer, with the exercise's training data."""
    namespace: dict[str, Any] = {"np": np, "x": DATA_X, "y": DATA_Y}
    exec(lab_cell("divergence-tools"), namespace)
    return namespace


@pytest.mark.parametrize(("rule", "namespace"), [("correct", "ref"), ("original", "original")])
def test_the_labs_trainer_takes_the_steps_of_the_rule_it_names(
    lab_tools, request, rule, namespace
) -> None:
    classes_ = request.getfixturevalue(namespace)
    points = random_points(20, 1, inactive=True, seed=4) + random_points(
        5, 1, inactive=False, seed=5
    )
    params = np.array([p for p, _, _ in points])
    for x1, x2, y in [(1.5, -0.5, 2.0), (2.0, 8.0, 10.0), (-2.5, 1.0, -3.0)]:
        W, B = lab_tools["step_many"](params[:, :9], params[:, 9:], x1, x2, y, 0.05, rule)
        for k, p in enumerate(params):
            net = network(classes_, p)
            net.update_weights_and_biases(x1, x2, y, 0.05)
            np.testing.assert_allclose(W[k], net.weights, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(B[k], net.biases, rtol=1e-12, atol=1e-14)


@pytest.mark.slow
def test_the_divergence_figure_the_lab_teaches_is_what_it_measures(
    lab_tools, ref, original
) -> None:
    """200 initialisations (seeds 0-199), the full schedule, each rule: 24 original-rule runs
    end in NaN (about 1 in 8), none with the correct rule; seed 84 is one of the 24."""
    inits = []
    for seed in range(200):
        np.random.seed(seed)
        inits.append(ref["NeuralNetwork"]().weights)
    W0, B0 = np.array(inits), np.zeros((200, 4))
    outcome = {}
    for rule in ("correct", "original"):
        W, B = lab_tools["train_many"](W0, B0, rule, 1000)
        with np.errstate(all="ignore"):
            outcome[rule] = lab_tools["outputs_many"](W, B, 4, 4)[2]
    assert np.sum(~np.isfinite(outcome["original"])) == 24
    assert np.sum(~np.isfinite(outcome["correct"])) == 0
    assert np.sum(np.abs(outcome["correct"] - 8) < 0.5) == 189
    assert not np.isfinite(outcome["original"][84]) and outcome["correct"][84] == pytest.approx(8)
    text = lab_cell("divergence-result")
    assert "24 of the 200 runs" in text and "189 runs" in text
    for seed, classes_ in ((84, original), (84, ref), (7, original)):  # the classes agree
        np.random.seed(seed)
        net = classes_["NeuralNetwork"]()
        with np.errstate(all="ignore"):
            for lr in (0.01, 0.001):
                for _ in range(1000):
                    for (a, b), t in zip(DATA_X, DATA_Y, strict=True):
                        net.update_weights_and_biases(a, b, t, lr)
            predicted = net.predict(4, 4)
        rule = "original" if classes_ is original else "correct"
        np.testing.assert_allclose(predicted, outcome[rule][seed], rtol=1e-9)
