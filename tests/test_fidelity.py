"""Graded as written: files written for the original quizzes get the grade their work deserves.

Each test is one kind of file real students wrote (the shared cases in ../shared/cases/fidelity
are examples of these kinds): given values bound in other ways or under other names, the
original quiz's quantities and first-edition names, lists, changed or typed-in given values,
sizes typed in, and the lesson's pandas data.
"""

from __future__ import annotations

import ast
import re
import sys
import textwrap
import types

import numpy as np
import pandas as pd
import pytest

from autograder.judge.grading import FULL_MARKS, SIZE_HINT
from autograder.load import exercise as exercises
from autograder.load import frames
from autograder.load.program import GIVEN_NAME, GivenNotFound, compile_program
from tests.helpers import checks_for, tiny_data

GIVEN = {
    "learnrate": 0.25,
    "x": np.array([1.0, -2.0, 0.5]),
    "y": 0.7,
    "w": np.array([0.1, 0.2, -0.3]),
}
KEYS = {"learnrate": "learnrate|learning_rate", "x": "x", "y": "y|target", "w": "w|weights"}


def run_with_given(
    source: str, graded: tuple[str, ...] = ("h",), modules: tuple[str, ...] = ()
) -> dict:
    """Run `source` with GIVEN put in place of its given bindings; its final namespace."""
    plain = {KEYS[name]: value for name, value in GIVEN.items()}
    scope = {GIVEN_NAME: plain}
    exec(compile_program(source, "<test>", list(plain), graded, modules=modules), scope)
    return scope


@pytest.fixture
def given_module(tmp_path, monkeypatch):
    """A given file `lesson_data.py` defining the published `w` and `x` (and `n`, not given),
    importable as the exercise's given module is beside a student's program."""
    (tmp_path / "lesson_data.py").write_text("w = [9.0, 9.0, 9.0]\nx = [8.0, 8.0, 8.0]\nn = 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, "lesson_data", raising=False)
    return "lesson_data"


# --- given values put in place (program.py) ----------------------------------------------------


def test_every_binding_before_the_first_graded_line_gets_the_given_value():
    scope = run_with_given(
        "import numpy as np\nx = np.array([0.1, 0.3])\ny = 0.2\n"  # a demo above the block
        "learnrate = 0.5\nx = np.array([1, 2, 3, 4])\ny = 0.5\nw = np.zeros(4)\n"
        "x = np.array([9, 9, 9, 9])\n"  # the given block pasted twice
        "h = np.dot(x, w)\n"
    )
    assert scope["x"].tolist() == [1.0, -2.0, 0.5] and scope["y"] == 0.7
    assert scope["h"] == pytest.approx(0.1 - 0.4 - 0.15)


def test_tuple_star_and_import_bindings_get_the_given_values():
    scope = run_with_given(
        "import numpy as np\nfrom math import pi\nx, y = np.array([1, 2]), 0.5\n"
        "learnrate, *rest = [0.5, 1, 2]\nfrom data_prep import w\nh = np.dot(x, w) + 0 * pi\n"
    )
    assert scope["x"].tolist() == [1.0, -2.0, 0.5] and scope["y"] == 0.7
    assert scope["learnrate"] == 0.25 and scope["rest"] == [1, 2]
    assert scope["w"].tolist() == [0.1, 0.2, -0.3]


def test_a_students_own_reshaping_of_a_given_value_is_kept():
    scope = run_with_given(
        "import numpy as np\nlearnrate = 0.5\nx = np.array([1, 2, 3, 4])\nx = x[:, None]\n"
        "y = 0.5\nw = [0.5, -0.5, 0.3, 0.1]\nw = np.array(w)\nh = np.dot(x.T, w)\n"
    )
    assert scope["x"].shape == (3, 1)
    assert scope["h"].tolist() == pytest.approx([0.1 - 0.4 - 0.15])


def test_given_values_under_the_lessons_other_names():
    scope = run_with_given(
        "x = 1\ntarget = 0.5\nlearning_rate = 0.5\nweights = 2\nh = x * weights\n"
    )
    assert scope["weights"].tolist() == [0.1, 0.2, -0.3] and scope["learning_rate"] == 0.25
    assert scope["target"] == 0.7


def test_a_given_value_bound_only_after_the_first_graded_line_still_counts():
    scope = run_with_given("x = 1\ny = 2\nw = 3\nh = 0\nlearnrate = 0.5\n")
    assert scope["learnrate"] == 0.25


def test_a_missing_given_value_says_what_was_looked_for_and_where():
    with pytest.raises(GivenNotFound) as raised:
        run_with_given("x = 1\ny = 2\nlearnrate = 0.5\nh = x\nfor i in range(2):\n    w = i\n")
    assert str(raised.value) == (
        "the given value `w` (or `weights`) is not assigned before your first answer line "
        "(line 4): looked for `w = …` or `from data_prep import w` outside any function, loop "
        "or block; keep the given block as it was handed out"
    )


def test_a_star_import_of_a_given_module_binds_the_given_values_it_defines(given_module):
    scope = run_with_given(
        "from lesson_data import *\nlearnrate = 0.5\ny = 0.5\nh = sum(x) * n\n",
        modules=(given_module,),
    )
    assert scope["w"].tolist() == [0.1, 0.2, -0.3] and scope["x"].tolist() == [1.0, -2.0, 0.5]
    assert scope["n"] == 3 and scope["h"] == pytest.approx(-0.5 * 3)
    assert "weights" not in scope  # an alias the module does not define stays unbound


def test_a_given_modules_attributes_read_in_the_file_get_the_given_values(given_module):
    scope = run_with_given(
        "import numpy as np\nimport lesson_data as data\nlearnrate = 0.5\ny = 0.5\n"
        "h = np.dot(data.x, data.w)\n",
        modules=(given_module,),
    )
    assert scope["h"] == pytest.approx(0.1 - 0.4 - 0.15)
    assert scope["data"].n == 3  # the module's other names are its own


def test_a_star_import_of_a_library_binds_no_given_value(given_module):
    with pytest.raises(GivenNotFound) as raised:
        run_with_given(
            "from math import *\nx = 1\ny = 2\nlearnrate = 0.5\nh = x\n",
            modules=(given_module,),
        )
    assert raised.value.names == ["w"]


# --- whole submissions ------------------------------------------------------------------------


def reference_of(exercise_id: str) -> tuple[exercises.Exercise, str]:
    exercise = exercises.get(exercise_id)
    return exercise, exercise.reference


def test_weights_for_w_and_a_tuple_assignment_get_full_marks(grade_text):
    basic, text = reference_of("gradient_basic")
    text = text.replace(
        "x = np.array([1, 2, 3, 4])\ny = np.array(0.5)",
        "x, y = np.array([1, 2, 3, 4]), np.array(0.5)",
    )
    text = re.sub(r"\bw\b", "weights", text)
    result = grade_text(basic, text, seed=4)
    assert result.verdict == FULL_MARKS and result.score == 100


def test_a_file_written_under_a_main_guard_gets_full_marks(grade_text):
    basic, text = reference_of("gradient_basic")
    start = text.index("learnrate = 0.5")
    guarded = textwrap.indent(text[start:], "    ")
    text = text[:start] + 'if __name__ == "__main__":\n' + guarded
    result = grade_text(basic, text, seed=4)
    assert result.score == 100 and result.verdict == FULL_MARKS


def test_only_a_main_guard_is_taken_as_the_top_level():
    scope = run_with_given(
        'import numpy as np\nif "__main__" == __name__:\n    x, y, w = 1, 2, 3\n'
        "    learnrate = 0.5\n    h = np.dot(x, w)\n"
    )
    assert scope["h"] == pytest.approx(0.1 - 0.4 - 0.15)
    with pytest.raises(GivenNotFound):
        run_with_given("if True:\n    x, y, w, learnrate = 1, 2, 3, 4\n    h = x\n")


def test_a_list_of_numbers_gets_full_marks_with_a_note(grade_text):
    basic, text = reference_of("gradient_basic")
    text = text.replace(
        "del_w = learnrate * error_term * x", "del_w = [learnrate * error_term * xi for xi in x]"
    )
    result = grade_text(basic, text, seed=4)
    assert result.score == 100
    assert {c.message for c in checks_for(result, "del_w")} == {
        "correct (a Python list: accepted; a numpy array is the habit)"
    }


def test_a_changed_given_value_is_graded_on_the_lessons_and_said(grade_text):
    basic, text = reference_of("gradient_basic")
    result = grade_text(basic, text.replace("learnrate = 0.5", "learnrate = 0.1"), seed=4)
    assert result.score == 100
    assert result.notes == [
        "your file sets `learnrate = 0.1`; the lesson hands out "
        "`learnrate = 0.5`: the published case is graded on the handed-out "
        "value"
    ]
    same = grade_text(basic, text.replace("y = np.array(0.5)", "y = 0.5"), seed=4)
    assert same.notes == []  # the same number written another way is no change


ORIGINAL_BACKPROP = """
hidden_error_term = np.dot(output_error_term, weights_hidden_output) * \\
    hidden_layer_output * (1 - hidden_layer_output)
"""


def original_backprop_quiz(first_edition: bool = False, sign_flip: bool = False) -> str:
    """The reference as the original quiz had it: no separate hidden_error line."""
    _, text = reference_of("backprop_basic")
    text = text.replace("hidden_error = np.dot(output_error_term, weights_hidden_output)\n", "")
    text = text.replace(
        "hidden_error_term = hidden_error * hidden_layer_output * (1 - hidden_layer_output)\n",
        ORIGINAL_BACKPROP,
    )
    if sign_flip:
        text = text.replace("error = target - output", "error = output - target")
    if first_edition:
        text = re.sub(r"\boutput_error_term\b", "del_err_output", text)
        text = re.sub(r"\bhidden_error_term\b", "del_err_hidden", text)
        text = re.sub(r"\bdelta_w_i_h\b", "delta_w_i_o", text)
    return text


def test_the_original_backprop_quiz_gets_full_marks_without_hidden_error(grade_text):
    backprop = exercises.get("backprop_basic")
    result = grade_text(backprop, original_backprop_quiz(), seed=4)
    assert result.score == 100 and result.verdict == FULL_MARKS
    assert checks_for(result, "hidden_error") == []


def test_the_first_editions_names_get_full_marks_and_a_note(grade_text):
    backprop = exercises.get("backprop_basic")
    result = grade_text(backprop, original_backprop_quiz(first_edition=True), seed=4)
    assert result.score == 100
    assert {c.message for c in checks_for(result, "output_error_term")} == {
        "correct (found as `del_err_output`, an earlier name of the lesson's `output_error_term`)"
    }


def test_one_slip_in_the_original_quiz_costs_that_step_only(grade_text):
    backprop = exercises.get("backprop_basic")
    result = grade_text(backprop, original_backprop_quiz(sign_flip=True), seed=4)
    assert {c.quantity for c in result.checks if not c.passed} == {"error"}
    assert result.score == 100 - 15
    assert result.mistakes == ["sign flipped (ŷ − y)"]


def test_a_wrong_optional_step_costs_the_step_it_lands_in(grade_text):
    backprop, text = reference_of("backprop_basic")
    text = text.replace(
        "hidden_error = np.dot(output_error_term, weights_hidden_output)",
        "hidden_error = output_error_term",
    )
    result = grade_text(backprop, text, seed=4)
    assert result.score == 100 - 25
    wrong = next(c for c in checks_for(result, "hidden_error_term") if c.case == "published")
    assert not wrong.passed
    assert wrong.mistake == "output weights not applied to the hidden error"


def test_the_input_kept_as_hidden_layer_in_is_named(grade_text):
    multilayer, text = reference_of("multilayer")
    text = text.replace(
        "hidden_layer_in = np.dot(X, weights_input_to_hidden)", "hidden_layer_in = X"
    ).replace(
        "hidden_layer_out = sigmoid(hidden_layer_in)",
        "hidden_layer_out = sigmoid(np.dot(hidden_layer_in, weights_input_to_hidden))",
    )
    result = grade_text(multilayer, text, seed=4)
    assert result.score == 75
    assert result.mistakes == ["input kept as hidden_layer_in"]


@pytest.mark.parametrize(
    ("exercise_id", "old", "new", "quantity", "name"),
    [
        (
            "gradient_basic",
            "error = y - nn_output",
            "error = (y - nn_output) ** 2 / 2",
            "error",
            "half squared error instead of the error",
        ),
        (
            "backprop_basic",
            "error = target - output",
            "error = (target - output) ** 2 / 2",
            "error",
            "half squared error instead of the error",
        ),
        (
            "gradient_basic",
            "del_w = learnrate * error_term * x",
            "del_w = learnrate * error * x",
            "del_w",
            "error used instead of the error term",
        ),
        (
            "backprop_basic",
            "learnrate * output_error_term * hidden_layer_output",
            "learnrate * error * hidden_layer_output",
            "delta_w_h_o",
            "error used instead of the error term",
        ),
        (
            "gradient_basic",
            "error_term = error * sigmoid_prime(h)",
            "error_term = sigmoid_prime(error)",
            "error_term",
            "sigmoid's slope applied to the error alone",
        ),
        (
            "gradient_basic",
            "del_w = learnrate * error_term * x",
            "del_w = w + learnrate * error_term * x",
            "del_w",
            "updated weights instead of the change",
        ),
    ],
)
def test_more_mistakes_are_named(grade_text, exercise_id, old, new, quantity, name):
    exercise, text = reference_of(exercise_id)
    result = grade_text(exercise, text.replace(old, new), seed=4)
    published = next(c for c in checks_for(result, quantity) if c.case == "published")
    assert published.mistake == name


def test_a_typed_in_size_is_said_on_the_hidden_cases(grade_text):
    basic, text = reference_of("gradient_basic")
    text = text.replace(
        "del_w = learnrate * error_term * x",
        "del_w = np.array([learnrate * error_term * x[i] for i in range(4)])",
    )
    result = grade_text(basic, text, seed=4)
    sizes = {case.name: case.given["x"].size for case in basic.cases(seed=4)[1:]}
    hidden = [c for c in checks_for(result, "del_w") if not c.visible]
    assert {c.case for c in hidden if c.passed} == {n for n, size in sizes.items() if size == 4}
    failed = [c for c in hidden if not c.passed]
    assert failed and all(SIZE_HINT in c.message for c in failed)


# --- the lesson's data as pandas objects -------------------------------------------------------


def test_pandas_given_values_cross_the_sandbox_with_their_labels():
    features = pd.DataFrame([[0.5, 1.0], [2.0, -1.0]], columns=["gre", "gpa"], index=[7, 3])
    targets = pd.Series([1, 0], index=[7, 3], name="admit")
    for value in (features, targets):
        back = frames.from_plain(frames.to_plain(value))
        assert type(back) is type(value)
        pd.testing.assert_index_equal(back.index, value.index)
        assert np.array_equal(back.to_numpy(), value.to_numpy())
    assert list(frames.from_plain(frames.to_plain(features)).columns) == ["gre", "gpa"]
    assert frames.from_plain(frames.to_plain(targets)).name == "admit"


def test_a_value_is_plain_while_another_thread_is_still_importing_pandas(monkeypatch):
    """`gdlab grade` over a course of several labs grades in threads: one may ask about a value
    while another is halfway through importing pandas (no DataFrame yet). That once made a
    right notebook "needs regrade: partially initialized module 'pandas'"."""
    half_made = types.ModuleType("pandas")  # what sys.modules holds mid-import
    monkeypatch.setitem(sys.modules, "pandas", half_made)
    assert frames.to_plain(np.array([1.0, 2.0])) is not None
    assert not frames.is_pandas(np.array([1.0, 2.0]))


@pytest.mark.parametrize(
    "imports",
    [
        "from data_prep import *",
        "import data_prep",
    ],
)
def test_the_given_data_module_imported_whole_gets_full_marks(grade_text, imports, tmp_path):
    gradient, text = reference_of("gradient")
    given = "from data_prep import features, targets, features_test, targets_test"
    assert given in text
    text = text.replace(given, imports)
    if imports == "import data_prep":
        text = re.sub(r"\b(features|targets|features_test|targets_test)\b", r"data_prep.\1", text)
        text = text.replace("import data_prep.", "import ")
    # The published case on a tiny data file: how the module is imported is the point.
    result = grade_text(gradient, text, seed=4, data=tiny_data(tmp_path))
    assert result.score == 100 and result.verdict == FULL_MARKS


def test_the_records_loop_over_features_values_on_every_case(grade_text):
    gradient = exercises.get("gradient")
    loop = next(
        n
        for n in ast.walk(ast.parse(gradient.reference))
        if isinstance(n, ast.For) and "zip" in ast.unparse(n.iter)
    )
    assert ast.unparse(loop.iter) == "zip(features.values, targets)"
    given = gradient.cases(seed=4)[1].given
    assert isinstance(given["features"], pd.DataFrame)
    assert isinstance(given["targets"], pd.Series)
