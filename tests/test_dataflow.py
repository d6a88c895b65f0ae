"""What a file computes each name from, read off its text (`autograder.load.dataflow`): the
evidence that a value frozen by a typed-in one was computed from it, not typed in too."""

from __future__ import annotations

from autograder.load.dataflow import reads


def test_a_line_reads_the_names_on_its_right_and_theirs():
    found = reads("h = 0.8\nnn_output = sigmoid(h)\nerror = y - nn_output\n", ["error", "h"])
    assert found["error"] == {"y", "nn_output", "sigmoid", "h"}
    assert found["h"] == set()


def test_a_number_typed_in_reads_nothing():
    assert reads("nn_output = 0.68997448\n", ["nn_output"]) == {"nn_output": frozenset()}


def test_running_totals_loops_and_item_assignments_are_followed():
    source = (
        "del_w = np.zeros(3)\n"
        "for x, y in zip(features.values, targets):\n"
        "    del_w += error_term * x\n"
        "steps = []\n"
        "steps.append(learnrate * del_w)\n"
        "weights[0] = steps[i]\n"
    )
    found = reads(source, ["del_w", "steps", "weights"])
    assert {"error_term", "x", "features", "targets"} <= found["del_w"]
    assert {"learnrate", "del_w"} <= found["steps"]
    assert {"steps", "i"} <= found["weights"]


def test_a_function_reads_what_its_body_reads():
    source = "def forward():\n    return sigmoid(h)\n\nnn_output = forward()\n"
    assert "h" in reads(source, ["nn_output"])["nn_output"]


def test_names_never_bound_and_files_that_do_not_parse_read_nothing():
    assert reads("x = 1\n", ["h"]) == {}
    assert reads("h = (\n", ["h"]) == {}
