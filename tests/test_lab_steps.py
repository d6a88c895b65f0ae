"""A failing check cell of a training lab shows the steps inside the loop, as TEST RUN does.

The kernel only holds what training left behind; the cell runs the notebook as last saved
(published case, in the sandbox) and shows each step of its cell and any step that slipped:
quantity, expected, received and the named mistake, the teaching message first, no traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autograder import notebook
from autograder.load import exercise as exercises
from tests.helpers import REPO, filled_release, tiny_data


def lab_folder(folder: Path, exercise: exercises.Exercise, edits: dict[str, str]) -> Path:
    """A student's folder: the lab answered (with `edits`), its given files, a small data set
    as its binary.csv (data_prep reads it there)."""
    lab = folder / exercise.notebook
    lab.write_text(json.dumps(filled_release(exercise, edits)), encoding="utf-8")
    for name in exercise.files:
        shutil.copy(REPO / "release" / exercise.id / name, folder / name)
    tiny_data(folder).rename(folder / "binary.csv")
    return lab


def kernel(lab: Path) -> dict[str, Any]:
    """What the kernel holds after running the lab's cells up to its checks (no plots)."""
    scope: dict[str, Any] = {"__name__": "__main__"}
    sys.path.insert(0, str(lab.parent))
    try:
        for cell in json.loads(lab.read_text(encoding="utf-8"))["cells"]:
            text = "".join(cell["source"])
            if cell["cell_type"] != "code" or "gdlab.check" in text or "plt." in text:
                continue
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(text, "<cell>", "exec"), scope)
    finally:
        sys.path.remove(str(lab.parent))
        sys.modules.pop("data_prep", None)
    return scope


def failed_cell(exercise: exercises.Exercise, quantity: str, scope: dict[str, Any]) -> str:
    with pytest.raises(notebook.CheckFailed) as failure:
        notebook._published_check(exercise, quantity, scope)
    return "\n".join(failure.value._render_traceback_())


@pytest.fixture
def flipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, Any]]:
    monkeypatch.chdir(tmp_path)
    gradient = exercises.get("gradient")
    mistake = next(m for m in gradient.mistakes if m.name == "sign flipped (ŷ − y)")
    lab = lab_folder(tmp_path, gradient, dict(mistake.edits))
    return lab, kernel(lab)


def test_a_failing_training_cell_shows_the_step_that_slipped_with_its_mistake(flipped) -> None:
    gradient = exercises.get("gradient")
    mistake = next(m for m in gradient.mistakes if m.name == "sign flipped (ŷ − y)")
    text = failed_cell(gradient, "del_w", flipped[1])
    lines = text.splitlines()
    assert lines[0].startswith("✗ del_w: wrong value")  # the teaching message first
    assert "Inside the training loop (gradient.ipynb as last saved, published case):" in text
    assert "    ✗ error: record 1 of the first epoch: wrong value" in lines
    assert " ".join(f"{mistake.name}: {mistake.hint}".split()) in " ".join(text.split())
    assert "    ✓* error_term: right given your error (error carried forward)" in lines
    assert "    ✓ output" in lines
    assert "gdlab run" not in text and "Traceback" not in text
    assert max(len(line) for line in lines) <= 87  # nbgrader validate's width


def test_each_cell_shows_its_own_steps_and_the_slip_it_follows_from(flipped) -> None:
    gradient = exercises.get("gradient")
    text = failed_cell(gradient, "weights", flipped[1])
    assert "✗ error: record 1 of the first epoch" in text  # the slip, from the del_w cell
    assert "✓* weights (epoch 1): right given your" in text  # its own step, carried forward
    assert "✓ output" not in text  # a step of another cell that is right


def test_a_notebook_not_saved_since_the_kernel_ran_it_says_save(flipped) -> None:
    lab, scope = flipped
    lab.write_text(json.dumps(filled_release(exercises.get("gradient"))), encoding="utf-8")
    text = failed_cell(exercises.get("gradient"), "weights", scope)
    assert "save it (Ctrl+S) and run this cell again" in " ".join(text.split())
    assert "✗ error" not in text


def test_without_the_saved_notebook_the_cell_points_to_gdlab_run(flipped) -> None:
    lab, scope = flipped
    lab.unlink()
    assert "`gdlab run gradient gradient.ipynb`" in failed_cell(
        exercises.get("gradient"), "weights", scope
    )


@pytest.mark.slow
def test_nbgrader_validate_shows_a_training_labs_steps(tmp_path: Path) -> None:
    backprop = exercises.get("backprop")
    mistake = next(m for m in backprop.mistakes if m.name == "hidden derivative missing")
    lab = lab_folder(tmp_path, backprop, dict(mistake.edits))
    failed = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", str(lab)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "GDLAB_SERVER": ""},
    )
    assert "✗ hidden_error_term: record 1 of the first epoch: wrong value" in failed.stdout
    assert mistake.name in failed.stdout
    assert "autograder/notebook.py" not in failed.stdout and "Traceback" not in failed.stdout
