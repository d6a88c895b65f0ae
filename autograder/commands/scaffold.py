"""`gdlab new NAME`: a new exercise folder that builds and passes, for an author to edit.

It writes ``source/NAME/`` with the three files every exercise has: ``exercise.toml`` (two
quantities, hidden cases, one named mistake), the solved quiz script with its solution markers,
and the nbgrader lab with one answer cell and one check cell per quantity. ``gdlab build NAME``
then makes its release, and ``gdlab run NAME --solution`` passes. Every part is the simplest
working example of a field documented in docs/exercise-format.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from autograder.errors import UserError

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")

TOML = """\
# {name}: scaffolded by `gdlab new`; every key is documented in docs/exercise-format.md.

title = "A tanh unit: weighted sum and output"
order = 50
script = "{name}.py"
notebook = "{name}.ipynb"
rtol = 1e-5
atol = 1e-8

[limits]
time = 2.0
memory_mb = 512

[quantities]
h      = {{ points = 50, about = "the weighted sum of the inputs, x · w" }}
output = {{ points = 50, about = "the unit's output, tanh(h)" }}

[cases]
hidden = 4
sizes = {{ n = [2, 6] }}

[cases.given]
x = {{ uniform = [-2.0, 2.0], shape = ["n"], round = 2 }}
w = {{ uniform = [-1.0, 1.0], shape = ["n"], round = 2 }}

[[mistakes]]
quantity = "output"
name = "activation missing"
hint = "The unit's output is tanh of its weighted sum: output = np.tanh(h), not h itself."
replace = ["output = np.tanh(h)", "output = h"]
"""

GIVEN = """import numpy as np

x = np.array([1.0, 2.0, 3.0])
w = np.array([0.5, -0.5, 0.25])
"""

ANSWERS = {
    "h": ("the weighted sum of the inputs", "h = np.dot(x, w)"),
    "output": ("the unit's output", "output = np.tanh(h)"),
}

PRINTS = 'print("h:", h)\nprint("output:", output)\n'


def script_text(name: str) -> str:
    """The solved quiz script: given block, marked answers, prints."""
    answers = "".join(
        f"\n# TODO: {about}\n### BEGIN SOLUTION\n{code}\n### END SOLUTION\n"
        for about, code in ANSWERS.values()
    )
    return f'"""{name}: a tanh unit (scaffolded by gdlab new)."""\n\n{GIVEN}{answers}\n{PRINTS}'


def notebook_text(name: str) -> str:
    """The nbgrader lab: the given cell, then an answer and a check cell per quantity."""
    cells = [
        _markdown("intro", f"# {name}\n\nCompute each quantity below, then run its check."),
        _code("given", GIVEN.rstrip("\n"), locked=True),
    ]
    for quantity, (about, code) in ANSWERS.items():
        cells.append(
            _code(
                f"answer-{quantity}",
                f"# TODO: {about}\n### BEGIN SOLUTION\n{code}\n### END SOLUTION",
                solution=True,
            )
        )
        check = (
            f"# Check {quantity}\nfrom autograder import notebook as gdlab\n"
            "### BEGIN HIDDEN TESTS\ngdlab.grade_hidden_cases()\n### END HIDDEN TESTS\n"
            f'gdlab.check("{name}", "{quantity}")'
        )
        cells.append(_code(f"check-{quantity}", check, locked=True, points=50))
    cells.append(_code("prints", PRINTS.rstrip("\n"), locked=True))
    notebook = {
        "cells": cells,
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _markdown(cell_id: str, text: str) -> dict:
    return {
        "cell_type": "markdown",
        "id": cell_id,
        "metadata": {},
        "source": text.splitlines(keepends=True),
    }


def _code(
    cell_id: str,
    text: str,
    *,
    locked: bool = False,
    solution: bool = False,
    points: float | None = None,
) -> dict:
    nbgrader: dict = {
        "grade": points is not None,
        "grade_id": cell_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
    }
    if points is not None:
        nbgrader["points"] = points
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {"nbgrader": nbgrader},
        "outputs": [],
        "source": text.splitlines(keepends=True),
    }


def scaffold(repo: Path, name: str) -> list[Path]:
    """Write ``source/<name>/``; refuse a bad name or an existing folder."""
    if not NAME.fullmatch(name):
        raise UserError(
            f"{name!r} is not an exercise name: use lower-case letters, digits and "
            "_, starting with a letter (e.g. tanh_unit)"
        )
    if not (repo / "source").is_dir():
        raise UserError(f"{repo.resolve()} has no source/ folder (use --repo)")
    folder = repo / "source" / name
    if folder.exists():
        raise UserError(f"{folder} already exists")
    folder.mkdir()
    files = {
        folder / "exercise.toml": TOML.format(name=name),
        folder / f"{name}.py": script_text(name),
        folder / f"{name}.ipynb": notebook_text(name),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
