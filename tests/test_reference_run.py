"""The reference runs on its own copy of a case's given values, as deep as deepcopy's."""

from __future__ import annotations

import copy

import numpy as np

from autograder.judge import reference

EDITS = "x[0] = 99.0\nw *= 2\nbox[0].append(5)\n"


def test_a_run_changes_only_its_own_copy_of_the_given_values() -> None:
    given = {
        "x": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "w": np.array([0.5, -0.5]),
        "lr": 0.5,
        "box": [[1]],
    }
    before = copy.deepcopy(given)
    source = "x = 0\nw = 0\nlr = 0\nbox = 0\n" + EDITS
    scope = reference.run(source, given)
    assert scope["x"][0, 0] == 99.0 and scope["box"] == [[1, 5]]  # the run did edit its copy
    for name, value in before.items():
        assert np.array_equal(given[name], value) if name != "box" else given[name] == value


def test_the_copy_is_what_deepcopy_makes() -> None:
    given = {
        "x": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "o": np.array([[1], [2]], dtype=object),
        "lr": 0.5,
        "n": 3,
        "y": np.float64(2.0),
        "nested": {"a": [1, 2]},
    }
    fresh, deep = reference.fresh_copy(given), copy.deepcopy(given)
    for name in given:
        if isinstance(deep[name], np.ndarray):
            assert fresh[name] is not given[name]
            assert np.array_equal(fresh[name], deep[name])
            assert fresh[name].dtype == deep[name].dtype
            assert fresh[name].flags.f_contiguous == deep[name].flags.f_contiguous
        else:
            assert fresh[name] == deep[name]
    assert fresh["nested"] is not given["nested"]
    assert fresh["nested"]["a"] is not given["nested"]["a"]
