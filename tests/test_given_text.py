"""The given block put in place as text (`given_text`) runs as the rewritten tree does.

The tree (`program.compile_program`) is the specification: for each kind of binding real files
have, the text the grader writes must end with the same names, values, printed output and
error (type and line), and keep every line where it was. Kinds the text leaves to the tree
(imports of a given module, a tuple's part spanning lines) must say so (None).
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
import traceback

import numpy as np
import pytest

from autograder.load import given_text, program

KEYS = ("learnrate|learning_rate", "x", "y|target", "w|weights")
GIVEN = {
    "learnrate|learning_rate": 0.25,
    "x": np.array([1.0, -2.0, 0.5]),
    "y|target": 0.7,
    "w|weights": np.array([0.1, 0.2, -0.3]),
}
TAIL = "h = np.dot(x, w) + y * learnrate\nprint(h)\n"

SOURCES = {
    "a binding over several lines, then two on one line": (
        "import numpy as np\nx = np.array([1,\n   2,\n   3])  # given\n"
        "learnrate = 0.5; y = 0.5\nw = np.zeros(3)\n" + TAIL
    ),
    "Windows line endings and other names": (
        "import numpy as np\r\nx = np.array([1, 2, 3])\r\nlearning_rate = 0.5\r\n"
        "target = 0.5\r\nweights = np.zeros(3)\r\nh = np.dot(x, weights) + target\r\n"
    ),
    "non-ASCII text before a binding on its line, an annotation": (
        "# ünïcode\nimport numpy as np\nx = np.array([1, 2, 3]); s = 'é'; learnrate = 0.5\n"
        "y: float = 0.5\nw = np.zeros(3)\n" + TAIL
    ),
    "a main guard with tuple assignments, one spanning lines": (
        'import numpy as np\nif __name__ == "__main__":\n    x, y = np.array([1, 2, 3]), 0.5\n'
        "    learnrate, w = (0.5,\n        np.zeros(3))\n    h = np.dot(x, w) * y\n"
    ),
    "chained targets, an import kept beside, a trailing statement": (
        "from math import pi as PI, e\nimport numpy as np\nx = y = np.array([1.0, 2.0, 3.0])\n"
        "learnrate = 1\nw = np.array([\n  0.5, 0.5, 0.5,\n]); z = 3\n" + TAIL
    ),
    "a backslash continuation, and the student's own reshaping kept": (
        "import numpy as np\nx = np.array([1, 2, 3]) \\\n    * 2\ny = 0.5\nlearnrate = 1\n"
        "w = np.ones(3)\nw = w.astype(float)\n" + TAIL + "x = x * 2\n"
    ),
    "everything on one line, no final newline": (
        "import numpy as np\nx = np.array([1, 2, 3]); y = 0.5; learnrate = 1; w = np.ones(3); "
        "h = np.dot(x, w); print(h)"
    ),
    "a walrus as a part of a tuple assignment": (
        "import numpy as np\nx, z = np.ones(3), (q := 3)\nlearnrate = 1; y = 0.5\n"
        "w = np.ones(3)\n" + TAIL + "print(z, q)\n"
    ),
    "a binding over several lines is the file's last, with no final newline": (
        "import numpy as np\nlearnrate = 1; y = 0.5; w = np.ones(3)\nh = 0\n"
        "x = np.array([1,\n2, 3])"
    ),
    "a lone carriage return inside a binding, line feeds elsewhere": (
        "import numpy as np\nx = np.array([1,\r2, 3])\nlearnrate = 1; y = 0.5\n"
        "w = np.ones(3)\n" + TAIL + "1 / 0\n"
    ),
    "a carriage return in a given string, an error after it": (
        "import numpy as np\nnote = 'a'\nx = np.ones(3); y = '''c\rd'''\n\n"
        "learnrate = 1; w = np.ones(3)\nh = np.dot(x, w)\n1 / 0\n"
    ),
    "an error after the given block keeps its line": (
        "import numpy as np\nx = (np.array(\n[1, 2, 3]))\n\n\ny = 0.5 \nlearnrate = 1\t# tab\n"
        "w = np.ones(\n3\n)\nh = undefined_name\n"
    ),
}


def _lines(text: str) -> int:
    """Lines as Python counts them (a line feed, a carriage return or both end one)."""
    return len(re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text))


def _run(code) -> tuple[dict, tuple | None, str]:
    scope = {"__name__": "__main__", program.GIVEN_NAME: copy.deepcopy(GIVEN)}
    printed = io.StringIO()
    error = None
    try:
        with contextlib.redirect_stdout(printed):
            exec(code, scope)
    except Exception as failure:
        lines = [f.lineno for f in traceback.extract_tb(failure.__traceback__)]
        error = (type(failure).__name__, lines[-1])
    del scope["__builtins__"]
    return scope, error, printed.getvalue()


@pytest.mark.parametrize("source", SOURCES.values(), ids=list(SOURCES))
def test_the_text_runs_as_the_rewritten_tree(source):
    text = given_text.injected(source, KEYS, ["h"])
    assert text is not None
    assert _lines(text) == _lines(source)  # every line where it was
    tree, tree_error, tree_output = _run(program.compile_program(source, "f.py", KEYS, ["h"]))
    mine, error, output = _run(compile(text, "f.py", "exec"))
    assert (error, output) == (tree_error, tree_output)
    assert set(mine) == set(tree)
    for name, value in tree.items():
        assert (
            np.array_equal(mine[name], value)
            if isinstance(value, np.ndarray)
            else (type(mine[name]) is type(value))
        )


def test_what_the_text_cannot_say_is_left_to_the_tree():
    star = "from lesson_data import *\nimport numpy as np\nh = np.dot(x, w)\n"
    assert given_text.injected(star, ["x", "w"], ["h"], ["lesson_data"]) is None
    split = "import numpy as np\nw = np.ones(2)\nx, z = np.ones(2), (3 +\n  4)\nh = np.dot(x, w)\n"
    assert given_text.injected(split, ["x", "w"], ["h"]) is None
    missing = "import numpy as np\nx = np.ones(2)\nh = np.dot(x, x)\n"
    assert given_text.injected(missing, ["x", "w"], ["h"]) is None
    assert given_text.injected("h = (", ["x"], ["h"]) is None


def test_a_main_guard_nested_in_one_is_read_alike_whatever_was_read_before():
    """The grader's readings of one file are kept (`program.parsed_bindings`); reading it with
    other names first must not change what the next reading finds."""
    source = (
        'import numpy as np\nif __name__ == "__main__":\n    if __name__ == "__main__":\n'
        "        z = 1\n        q = 2\n    x = np.ones(3)\n    y = 0.5\n    learnrate = 1\n"
        "    w = np.ones(3)\n" + TAIL
    )
    program.parsed_bindings(source, ("?x", "?w"), frozenset())  # another reading first
    text = given_text.injected(source, KEYS, ["h"])
    assert text is not None
    tree, tree_error, tree_output = _run(program.compile_program(source, "f.py", KEYS, ["h"]))
    mine, error, output = _run(compile(text, "f.py", "exec"))
    assert (error, output) == (tree_error, tree_output)
    assert mine["q"] == tree["q"] == 2
