"""exercise.toml is checked where it is read: one line naming the file, the key and a fix.

Each test breaks one thing in a copy of gradient_basic's TOML and reads the one line a course
author would see. Build-time checks (mistake edits, check cells) and `gdlab new` follow.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autograder.commands import exercise_doc
from autograder.load import exercise as exercises
from autograder.load.schema import SpecError, validate
from tests.helpers import REPO

BASIC = tomllib.loads((REPO / "source/gradient_basic/exercise.toml").read_text("utf-8"))
FILE = "source/gradient_basic/exercise.toml"


def edited(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = copy.deepcopy(BASIC)
    change(data)
    return data


def given(data: dict[str, Any]) -> dict[str, Any]:
    return data["cases"]["given"]["x"]


def respell(table: dict[str, Any], old: str, new: str) -> None:
    table[new] = table.pop(old)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: respell(d, "rtol", "rtoll"), "unknown key `rtoll`; did you mean `rtol`?"),
        (
            lambda d: respell(d["cases"], "hidden", "hiden"),
            "unknown key `cases.hiden`; did you mean `hidden`?",
        ),
        (
            lambda d: respell(given(d), "uniform", "unifrom"),
            "unknown key `cases.given.x.unifrom`; did you mean `uniform`?",
        ),
        (
            lambda d: respell(d["quantities"]["h"], "points", "pointz"),
            "unknown key `quantities.h.pointz`; did you mean `points`?",
        ),
        (
            lambda d: respell(d["mistakes"][0], "quantity", "quantiy"),
            "unknown key `mistakes[0].quantiy`; did you mean `quantity`?",
        ),
        (
            lambda d: respell(d["limits"], "memory_mb", "memory"),
            "unknown key `limits.memory`; did you mean `memory_mb`?",
        ),
        (lambda d: d.pop("title"), "missing key `title`"),
        (lambda d: d["quantities"].clear(), "`quantities`: "),
        (
            lambda d: d.__setitem__("rtol", -1e-5),
            "`rtol`: Input should be greater than or equal to 0",
        ),
        (lambda d: d.__setitem__("atol", "small"), "`atol`: Input should be a valid number"),
        (
            lambda d: d["limits"].__setitem__("time", 0),
            "`limits.time`: Input should be greater than 0",
        ),
        (
            lambda d: d["limits"].__setitem__("time", 1e6),
            "`limits.time`: Input should be less than",
        ),
        (
            lambda d: d["limits"].__setitem__("memory_mb", 1.5),
            "`limits.memory_mb`: Input should be a valid integer",
        ),
        (
            lambda d: d["quantities"]["h"].__setitem__("points", -5),
            "`quantities.h.points`: Input should be greater than or equal to 0",
        ),
        (
            lambda d: d["quantities"]["h"].__setitem__("points", "20"),
            "`quantities.h.points`: Input should be a valid number",
        ),
        (lambda d: d.__setitem__("training", "yes"), "`training`: Input should be a valid boolean"),
        (lambda d: d["cases"].__setitem__("hidden", -1), "`cases.hidden`: Input should be greater"),
        (
            lambda d: d["cases"]["sizes"].__setitem__("n", 5),
            "`cases.sizes.n`: a size is an inclusive range [low, high], e.g. [2, 7]; got 5",
        ),
        (
            lambda d: d["cases"]["sizes"].__setitem__("n", [7, 2]),
            "`cases.sizes.n`: a size range needs 0 <= low <= high; got [7, 2]",
        ),
        (
            lambda d: d["cases"]["sizes"].__setitem__("n", [2.5, 7]),
            "`cases.sizes.n`: a size range holds whole numbers",
        ),
        (
            lambda d: given(d).update(normal=[0.0, 1.0]),
            "`cases.given.x`: give exactly one distribution: uniform, normal, integers "
            "(got uniform, normal)",
        ),
        (lambda d: given(d).pop("uniform"), "`cases.given.x`: give exactly one distribution"),
        (
            lambda d: given(d).update(uniform=[3.0, -3.0]),
            "`cases.given.x`: uniform = [low, high] needs low <= high; got [3, -3]",
        ),
        (lambda d: given(d).update(uniform=[0.0, float("inf")]), "bounds must be finite"),
        (lambda d: given(d).update(uniform=[1.0]), "expected two numbers [a, b]"),
        (
            lambda d: respell(given(d), "uniform", "normal") or given(d).update(normal=[0.0, -1.0]),
            "normal = [mean, sd] needs sd >= 0",
        ),
        (
            lambda d: (
                respell(given(d), "uniform", "integers") or given(d).update(integers=[0.5, 3])
            ),
            "integers = [low, high] takes whole numbers",
        ),
        (
            lambda d: given(d).update(shape=["m"]),
            "`cases.given.x.shape`: no such size in [cases] sizes 'm'; known: n",
        ),
        (lambda d: given(d).update(shape=[-2]), "`cases.given.x.shape`: a size cannot be negative"),
        (lambda d: given(d).update(round=-1), "`cases.given.x.round`: Input should be greater"),
        (
            lambda d: d["mistakes"][2].update(quantity="eror"),
            "`mistakes[2].quantity` (mistake 'sign flipped (ŷ − y)'): no such quantity 'eror'; "
            "did you mean `error`?",
        ),
        (
            lambda d: d["mistakes"][2].update(replace=["only old"]),
            "`mistakes[2].replace` (mistake 'sign flipped (ŷ − y)'): replace is [old, new] or "
            "a list",
        ),
        (
            lambda d: d["mistakes"][2].update(replace=["", "x"]),
            "the text to replace (old) is empty",
        ),
        (lambda d: d["mistakes"][2].update(hint=""), "`mistakes[2].hint`"),
        (
            lambda d: d.update(published={"prepare": "p.py"}),
            "missing key `published.names`",
        ),
    ],
)
def test_each_schema_error_is_one_line_with_the_file_and_the_key(change, says):
    with pytest.raises(SpecError) as caught:
        validate(edited(change), FILE)
    message = str(caught.value)
    assert message.startswith(f"{FILE}: "), message
    assert says in message, message
    assert "\n" not in message


def test_every_shipped_exercise_follows_the_schema():
    for folder in sorted((REPO / "source").iterdir()):
        if (folder / "exercise.toml").is_file():
            assert exercises.load(folder).id == folder.name


def test_a_misspelt_key_stops_the_load_with_an_exercise_error(tmp_path: Path):
    folder = tmp_path / "gradient_basic"
    shutil.copytree(REPO / "source/gradient_basic", folder)
    toml = folder / "exercise.toml"
    toml.write_text(toml.read_text("utf-8").replace("\nrtol = ", "\nrtoll = "), "utf-8")
    with pytest.raises(exercises.ExerciseError, match=r"unknown key `rtoll`; did you mean"):
        exercises.load(folder)


def test_the_schema_fills_the_defaults_the_engine_uses():
    data = edited(lambda d: [d.pop(k) for k in ("rtol", "atol", "limits", "notebook")])
    spec = validate(data, FILE)
    assert (spec.rtol, spec.atol, spec.limits.time, spec.cases.hidden) == (1e-5, 1e-8, 2.0, 4)
    assert spec.mistakes[0].replace == (("h = np.dot(x, w)", "h = x * w"),)


def test_the_reference_page_is_generated_from_the_schema_and_current():
    page = exercise_doc.render()
    assert exercise_doc.PAGE.read_text("utf-8") == page, (
        "docs/exercise-format.md is stale: run python -m autograder.commands.exercise_doc"
    )
    for key in (
        "`rtol`",
        "`memory_mb`",
        "`uniform`",
        "`replace`",
        "`label`",
        "`expr`",
        "[cases.given.<name>]",
        "[[mistakes]]",
    ):
        assert key in page


# --- checked at build -------------------------------------------------------------------------


def source_copy(tmp_path: Path) -> Path:
    """A repository holding only gradient_basic's source (build stops before nbgrader)."""
    shutil.copytree(REPO / "source/gradient_basic", tmp_path / "source/gradient_basic")
    return tmp_path


def gdlab(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new), "utf-8")


@pytest.mark.parametrize("check", [False, True])
def test_a_mistake_whose_edit_does_not_apply_fails_the_build_in_one_line(tmp_path, check):
    repo = source_copy(tmp_path)
    replace_in(
        repo / "source/gradient_basic/exercise.toml",
        'replace = ["h = np.dot(x, w)", "h = x * w"]',
        'replace = ["h = np.dot(w, x)", "h = x * w"]',
    )
    done = gdlab("build", *(["--check"] if check else []), "--repo", str(repo))
    assert done.returncode == 2
    assert done.stderr == (
        "gdlab: error: "
        + str(repo / "source/gradient_basic/exercise.toml")
        + ": mistake 'products not summed': its edit does not apply: "
        "'h = np.dot(w, x)' occurs 0 times in gradient.py (it must occur "
        "exactly once)\n"
    )


def edit_lab(repo: Path, change: Callable[[list[dict[str, Any]]], object]) -> None:
    """Change the cells of the copied lab (a list of cell dicts) in place."""
    notebook = repo / "source/gradient_basic/gradient_basic.ipynb"
    lab = json.loads(notebook.read_text("utf-8"))
    change(lab["cells"])
    notebook.write_text(json.dumps(lab), "utf-8")


def cell(cells: list[dict[str, Any]], grade_id: str) -> dict[str, Any]:
    return next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def recall(cells: list[dict[str, Any]], grade_id: str, old: str, new: str) -> None:
    """Rewrite the check call of one check cell."""
    source = "".join(cell(cells, grade_id)["source"])
    cell(cells, grade_id)["source"] = source.replace(old, new)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            lambda cells: cell(cells, "check-h")["metadata"]["nbgrader"].update(points=10),
            "check cell for 'h' is worth 10 points; exercise.toml says 20",
        ),
        (
            lambda cells: recall(cells, "check-del_w", '"del_w")', '"delw")'),
            "check cell for 'delw': exercise.toml has no such quantity",
        ),
        (
            lambda cells: recall(cells, "check-error", '"gradient_basic"', '"gradient"'),
            "check cell for 'error' names exercise 'gradient', not 'gradient_basic'",
        ),
        (
            lambda cells: cells.remove(cell(cells, "check-del_w")),
            "no check cell for del_w",
        ),
        (
            lambda cells: recall(cells, "check-h", '"h")', '"error")'),
            "check cell for 'error': the quantity is checked twice",
        ),
    ],
)
def test_check_cells_that_disagree_with_the_toml_fail_the_build(tmp_path, change, says):
    repo = source_copy(tmp_path)
    edit_lab(repo, change)
    done = gdlab("build", "--repo", str(repo))
    assert done.returncode == 2
    assert says in done.stderr and done.stderr.count("\n") == 1, done.stderr


@pytest.mark.slow
def test_gdlab_new_scaffolds_an_exercise_that_builds_and_passes(tmp_path, grade_text):
    (tmp_path / "source").mkdir()
    done = gdlab("new", "tanh_unit", "--repo", str(tmp_path))
    assert done.returncode == 0, done.stderr
    built = gdlab("build", "tanh_unit", "--repo", str(tmp_path))
    assert built.returncode == 0, built.stderr
    exercise = exercises.load(tmp_path / "solutions" / "tanh_unit")
    assert grade_text(exercise, exercise.reference).score == exercise.max_score == 100
    stub = (tmp_path / "release/tanh_unit/tanh_unit.py").read_text("utf-8")
    assert grade_text(exercise, stub).score == 0
    lab = (tmp_path / "source/tanh_unit/tanh_unit.ipynb").read_text("utf-8")
    assert grade_text(exercise, lab, suffix=".ipynb").score == 100
    mistake = exercise.mistakes[0]
    assert grade_text(exercise, mistake.apply(exercise.reference)).mistakes == [mistake.name]
    assert gdlab("build", "--check", "--repo", str(tmp_path)).returncode == 0


@pytest.mark.parametrize(
    ("name", "says"),
    [("Bad-Name", "is not an exercise name"), ("gradient_basic", "already exists")],
)
def test_gdlab_new_refuses_a_bad_or_taken_name(tmp_path, name, says):
    (tmp_path / "source" / "gradient_basic").mkdir(parents=True)
    done = gdlab("new", name, "--repo", str(tmp_path))
    assert done.returncode == 2 and says in done.stderr and done.stderr.count("\n") == 1
