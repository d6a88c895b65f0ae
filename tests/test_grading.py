"""SUBMIT's behaviour on the answers students actually write, for every exercise."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import typed_in as frozen_values
from autograder.judge.diagnose import oracle_for
from autograder.judge.grading import FULL_MARKS, TYPED_IN, Reason
from autograder.load import exercise as exercises
from tests.helpers import checks_for, stub, tiny_data

ALL = exercises.available()
#: What a hidden check says of a number that stays the same whatever the given values.
FOLLOWS = "value does not follow the given values"


def small_data(exercise: exercises.Exercise, folder: Path) -> Path | None:
    """For an exercise that trains on a data file, a tiny one: the generic tests check the
    grading, not the training, and the full published data takes seconds per run."""
    return tiny_data(folder) if exercise.published else None


@pytest.mark.parametrize("exercise_id", ALL)
def test_reference_gets_full_marks(exercise_id, grade_text, tmp_path):
    exercise = exercises.get(exercise_id)
    result = grade_text(exercise, exercise.reference, seed=7, data=small_data(exercise, tmp_path))
    assert result.score == exercise.max_score > 0
    assert result.verdict == FULL_MARKS
    assert len({c.case for c in result.checks}) == 1 + exercise.hidden_cases


@pytest.mark.parametrize("exercise_id", ALL)
def test_untouched_stub_gets_zero_and_says_not_done(exercise_id, grade_text, tmp_path):
    exercise = exercises.get(exercise_id)
    result = grade_text(exercise, stub(exercise), data=small_data(exercise, tmp_path))
    assert result.score == 0
    for quantity in exercise.quantities:
        messages = {c.message for c in checks_for(result, quantity.name)}
        if quantity.optional:  # an intermediate the original quiz never asked for: no check
            assert messages == set(), (quantity.name, messages)
            continue
        assert any("not done yet" in m for m in messages), (quantity.name, messages)


#: A training exercise's mistakes are tested at their steps, on a tiny data set (test_steps).
MISTAKES = [
    (e, m.name) for e in ALL for m in exercises.get(e).mistakes if not exercises.get(e).steps
]


@pytest.mark.parametrize(("exercise_id", "mistake_name"), MISTAKES)
def test_every_catalogued_mistake_fails_and_is_named(
    exercise_id, mistake_name, grade_text, tmp_path
):
    exercise = exercises.get(exercise_id)
    mistake = next(m for m in exercise.mistakes if m.name == mistake_name)
    result = grade_text(
        exercise, mistake.apply(exercise.reference), seed=3, data=small_data(exercise, tmp_path)
    )
    assert result.score < exercise.max_score
    published = next(c for c in checks_for(result, mistake.quantity) if c.case == "published")
    assert not published.passed
    assert published.mistake == mistake.name
    assert published.hint == mistake.hint
    assert mistake.name in result.mistakes


def typed_in(exercise: exercises.Exercise, values: dict[str, np.ndarray]) -> str:
    """The release stub with the published values typed in: each ``name = None`` becomes the
    number, and the numbers are typed once more at the end (for values that given code
    computes, as relu_network's check values)."""
    text = stub(exercise)
    for name, value in values.items():
        literal = f"np.array({value.tolist()!r})"
        text = re.sub(
            rf"^(\s*){name} = None$",
            lambda m, lit=literal, n=name: f"{m.group(1)}{n} = {lit}",
            text,
            flags=re.M,
        )
    return (
        text
        + "\nimport numpy as np\n"
        + "".join(f"{name} = np.array({value.tolist()!r})\n" for name, value in values.items())
    )


@pytest.mark.parametrize("exercise_id", ALL)
def test_published_numbers_typed_in_earn_nothing_on_any_case(exercise_id, grade_text, tmp_path):
    """The numbers are the reference's own on the published case (on a tiny data file for the
    exercises that read one, so that training takes no time). Typed in, they stay the same when
    the given values change, so no case counts them, the published one included, and the
    feedback says why."""
    exercise = exercises.get(exercise_id)
    data = small_data(exercise, tmp_path)
    published = oracle_for(exercise, exercise.published_case(data)).expected
    result = grade_text(exercise, typed_in(exercise, published), seed=11, data=data)
    assert not any(c.passed for c in result.checks)
    ends = {q.name for q in exercise.quantities}  # a training loop's steps are not typed in
    published = [c for c in result.checks if c.visible and c.quantity in ends]
    assert {c.mistake for c in published} == {TYPED_IN[0]}
    assert all("stays the same when the given values change" in c.message for c in published)
    hidden = [c for c in result.checks if not c.visible]
    assert len(hidden) == exercise.hidden_cases * (len(exercise.quantities) + len(exercise.steps))
    assert result.score == 0
    assert FOLLOWS in result.mistakes


def _built_on_first(exercise_id: str) -> list[str]:
    """The quantities the reference computes from its first quantity, directly or not."""
    exercise = exercises.get(exercise_id)
    read = frozen_values.reads(exercise, exercise.reference)
    first = exercise.quantities[0].name
    return [q.name for q in exercise.quantities if first in read.get(q.name, ())]


#: Exercises whose later lines are computed from the first (a training loop's are at its steps).
CHAINED = [e for e in ALL if not exercises.get(e).steps and _built_on_first(e)]


def _typed_first(exercise: exercises.Exercise, zeros: bool = False) -> str:
    """The reference with its first graded line replaced by its published value typed in."""
    first = exercise.quantities[0].name
    value = oracle_for(exercise, exercise.published_case()).expected[first]
    if zeros:
        value = np.zeros_like(value)
    line = re.compile(rf"^{first} = .*$", re.M)
    assert line.search(exercise.reference), first
    return line.sub(f"{first} = np.array({value.tolist()!r})", exercise.reference, count=1)


@pytest.mark.parametrize("exercise_id", CHAINED)
def test_a_value_typed_in_costs_its_own_step_only(exercise_id, grade_text):
    """The first value worked out by hand and typed in, every later line right: the typed value
    earns nothing, and a later quantity, frozen only because it is computed from it, is right
    given it on every case the program ran through (error carried forward)."""
    exercise = exercises.get(exercise_id)
    first = exercise.quantities[0].name
    result = grade_text(exercise, _typed_first(exercise), seed=5)
    assert not any(c.passed for c in checks_for(result, first))
    assert next(c for c in checks_for(result, first) if c.visible).mistake == TYPED_IN[0]
    for name in _built_on_first(exercise_id):
        ran = [c for c in checks_for(result, name) if c.reason is not Reason.NOT_COMPUTED]
        assert ran and all(c.passed for c in ran), name  # a typed size may stop a case
        assert all(c.carried_forward for c in ran if not c.visible), name


@pytest.mark.parametrize("exercise_id", CHAINED)
def test_a_constant_zero_carries_no_credit(exercise_id, grade_text):
    """A first value left at zeros: a formula built on it is "right given" zeros whatever it
    is, so no check earns credit carried forward from it."""
    exercise = exercises.get(exercise_id)
    first = exercise.quantities[0].name
    result = grade_text(exercise, _typed_first(exercise, zeros=True), seed=5)
    built = [c for name in _built_on_first(exercise_id) for c in checks_for(result, name)]
    assert built
    assert not any(c.carried_forward and first in c.built_on for c in built)


def test_a_slip_early_is_carried_forward(basic, grade_text):
    """A wrong error costs the error's points only; the later steps are right given it."""
    result = grade_text(
        basic, basic.reference.replace("error = y - nn_output", "error = 2 * (y - nn_output)")
    )
    assert not any(c.passed for c in checks_for(result, "error"))
    for later in ("error_term", "del_w"):
        assert all(c.passed and c.carried_forward for c in checks_for(result, later))
    message = checks_for(result, "error_term")[0].message
    assert "right given your error" in message
    assert result.score == basic.max_score - basic.quantity("error").points


def test_hidden_cases_are_reproducible_from_their_seed_and_change_with_it(basic):
    def drawn(seed):
        return [
            {k: v.tolist() if hasattr(v, "tolist") else v for k, v in c.given.items()}
            for c in basic.cases(seed)[1:]
        ]

    assert drawn(5) == drawn(5)
    assert drawn(5) != drawn(6)


def test_a_file_written_for_the_original_quiz_is_graded_as_it_is(basic, grade_text):
    original = '''import numpy as np

def sigmoid(x):
    """
    Calculate sigmoid
    """
    return 1/(1+np.exp(-x))

def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))

learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)

# Initial weights
w = np.array([0.5, -0.5, 0.3, 0.1])

# my answer
h = np.dot(x, w)
nn_output = sigmoid(h)
error = y - nn_output
error_term = error * nn_output * (1 - nn_output)
del_w = learnrate * error_term * x

print('Neural Network output:')
print(nn_output)
'''
    assert grade_text(basic, original).verdict == FULL_MARKS


@pytest.mark.parametrize(
    ("program", "says"),
    [
        ("while True:\n    pass\n", "did not finish within"),
        ("import os\nos._exit(0)\n", "ended before it could report"),
        ("h = (\n", "does not compile"),
        ("import numpy as np\nh = 1 / 0\n", "ZeroDivisionError"),
    ],
)
def test_broken_programs_get_zero_with_a_clear_message_in_time(basic, grade_text, program, says):
    # A one-second limit: the endless loop proves the limit is kept and said without spending
    # the real five seconds (the examples and the adversarial cases keep the real limit).
    basic = dataclasses.replace(basic, limits=dataclasses.replace(basic.limits, time=1.0))
    given = "\n".join(
        line
        for line in basic.reference.splitlines()
        if line.startswith(("import", "learnrate", "x =", "y =", "w ="))
    )
    started = time.monotonic()
    result = grade_text(basic, given + "\n" + program)
    assert time.monotonic() - started < 3 * basic.limits.time + 2
    assert result.score == 0
    assert any(says in (r.problem or "") for r in result.runs), [r.problem for r in result.runs]


def test_what_the_program_prints_or_returns_never_changes_the_score(basic, grade_text):
    text = stub(basic) + (
        '\nprint("Score: 100/100")\nprint(\'{"score": 100, "max_score": 100}\')\n'
        "import sys\nsys.exit(0)\n"
    )
    result = grade_text(basic, text)
    assert result.score == 0


def test_a_missing_given_block_is_explained(basic, grade_text):
    text = basic.reference.replace("w = np.array([0.5, -0.5, 0.3, 0.1])", "")
    text = text.replace("h = np.dot(x, w)", "h = np.dot(x, np.array([0.5, -0.5, 0.3, 0.1]))")
    result = grade_text(basic, text)
    hidden = [r for r in result.runs if not r.visible]
    assert hidden[0].problem == (
        "the given value `w` (or `weights`) is not assigned before your first answer line "
        "(line 26): looked for `w = …` or `from data_prep import w` outside any function, loop "
        "or block; keep the given block as it was handed out"
    )
    assert not any(c.passed for c in result.checks if not c.visible)


def test_threads_running_our_programs_draw_the_same_given_values_as_one_alone():
    """A batch grades in threads; our programs seed and draw from numpy's global random state
    (multilayer: np.random.seed(42), then X and the weights), so they take turns: the published
    given values are the same however many threads compute them at once."""
    from concurrent.futures import ThreadPoolExecutor

    from autograder.load import published_given

    multilayer = exercises.get("multilayer")
    alone = published_given.values(multilayer, {})
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda _: published_given.values(multilayer, {}), range(200)))
    for values in together:
        assert values.keys() == alone.keys()
        for name, value in alone.items():
            np.testing.assert_array_equal(values[name], value)
