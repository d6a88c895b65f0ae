"""What keeps a command's start short: the worker started first, the checked exercise kept."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import spec_cache, submission
from autograder.run import boot
from autograder.run.sandbox import Sandbox
from tests.helpers import REPO


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("GDLAB_CACHE", str(folder))
    return folder


@pytest.mark.parametrize("exercise_id", exercises.available())
def test_a_kept_exercise_is_the_exercise_the_schema_built(exercise_id: str, tmp_path: Path) -> None:
    built = exercises.get(exercise_id)
    kept = spec_cache.decode(spec_cache.encode(built), built.folder, built.reference)
    assert kept == built


def test_the_second_load_reads_the_kept_exercise(cache: Path) -> None:
    first = exercises.get("gradient_basic")
    assert [p.name.startswith("exercise-") for p in cache.iterdir()] == [True]
    assert exercises.get("gradient_basic") == first


def test_an_edited_file_is_checked_again(cache: Path, tmp_path: Path) -> None:
    """The kept form is named by the file's text: a key misspelt after a good load still gets
    its one-line error."""
    folder = tmp_path / "gradient_basic"
    shutil.copytree(exercises.solutions_root() / "gradient_basic", folder)
    exercises.load(folder)
    spec = folder / "exercise.toml"
    spec.write_text(spec.read_text(encoding="utf-8") + "\nrtoll = 1e-3\n", encoding="utf-8")
    with pytest.raises(exercises.ExerciseError, match="rtoll"):
        exercises.load(folder)


def test_a_damaged_entry_is_only_slower(cache: Path) -> None:
    first = exercises.get("multilayer")
    [entry] = cache.iterdir()
    entry.write_text('{"title": 3', encoding="utf-8")
    assert exercises.get("multilayer") == first
    entry.write_text('{"title": "another"}', encoding="utf-8")  # readable, not an exercise
    assert exercises.get("multilayer") == first


def test_the_reference_is_read_anew(cache: Path, tmp_path: Path) -> None:
    folder = tmp_path / "gradient_basic"
    shutil.copytree(exercises.solutions_root() / "gradient_basic", folder)
    exercises.load(folder)
    script = folder / exercises.load(folder).script
    script.write_text(script.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert exercises.load(folder).reference.endswith("# edited\n")
    script.unlink()
    with pytest.raises(exercises.ExerciseError, match="does not exist"):
        exercises.load(folder)


def test_the_worker_started_first_is_the_one_the_sandbox_uses() -> None:
    boot.early()
    [early] = boot._early
    with Sandbox() as sandbox:
        assert sandbox.pid == early.process.pid
        assert sandbox.confinement  # it answers
    assert boot._early == []


def test_a_worker_started_first_and_never_used_is_killed() -> None:
    boot.early(2)
    started = list(boot._early)
    boot.discard()
    for early in started:
        assert early.process.poll() is not None
        assert not os.path.exists(early.home)


def _probe(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_command_module_imports_no_numpy() -> None:
    """So that `gdlab run` starts its worker before its own numpy import, and the two boot
    side by side on two cores."""
    assert _probe("import sys, autograder.commands.cli; print('numpy' in sys.modules)") == "False"


def test_a_test_run_of_a_checked_exercise_imports_no_schema(cache: Path) -> None:
    probe = (
        "import sys, contextlib, io\n"
        "from autograder.commands import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['run', 'gradient_basic', 'solutions/gradient_basic/gradient.py'])\n"
        "print('pydantic' in sys.modules)\n"
    )
    assert _probe(probe) == "True"  # the first load checks the file
    assert _probe(probe) == "False"  # the next ones read what passed


SUMS = (
    "from data_prep import features, targets, features_test, targets_test\n"
    "print(round(float(features.values.sum()), 6), len(targets))\n"
)


def _published_output(grader: Grader, hidden: bool = False) -> str:
    program = submission.Program(Path("sums.py"), SUMS, SUMS.encode())
    grade = grader.grade("gradient", program, seed=1, hidden=hidden)
    return grade.runs[0].output


def test_a_test_run_starts_on_the_kept_published_values_and_checks_them(
    cache: Path, grader: Grader
) -> None:
    """`gradient`'s published data is prepared with pandas: its plain values are kept, so the
    next TEST RUN sends them before preparing; they are checked against the prepared ones, and
    a kept file that no longer matches costs a second run, never a wrong grade."""
    first = _published_output(grader)
    [kept] = cache.glob("gradient-published-given-*.json")
    right = kept.read_text(encoding="utf-8")
    assert _published_output(grader) == first  # from the kept values

    kept.write_text(_tampered(right), encoding="utf-8")  # values that differ from today's
    assert _published_output(grader) == first  # run again, on the right values
    assert kept.read_text(encoding="utf-8") == right  # and kept right again


def _tampered(text: str) -> str:
    values = json.loads(text)
    [features] = [key for key in values if key.split("|")[0].lstrip("?") == "features"]
    values[features]["frame"]["array"][0] += 1000.0
    return json.dumps(values)


def test_submit_never_starts_on_kept_values(cache: Path, grader: Grader) -> None:
    first = _published_output(grader)
    [kept] = cache.glob("gradient-published-given-*.json")
    wrong = _tampered(kept.read_text(encoding="utf-8"))
    kept.write_text(wrong, encoding="utf-8")
    assert _published_output(grader, hidden=True) == first
    assert kept.read_text(encoding="utf-8") == wrong  # neither read nor rewritten


def test_the_same_file_in_another_folder_is_that_folder_s_exercise(
    cache: Path, tmp_path: Path
) -> None:
    """An exercise's id, and its notebook's default name, are its folder's."""
    for name in ("first", "second"):
        shutil.copytree(exercises.solutions_root() / "gradient_basic", tmp_path / name)
        spec = tmp_path / name / "exercise.toml"
        lines = spec.read_text(encoding="utf-8").splitlines(keepends=True)
        spec.write_text("".join(x for x in lines if not x.startswith("notebook")), "utf-8")
    assert exercises.load(tmp_path / "first").notebook == "first.ipynb"
    second = exercises.load(tmp_path / "second")
    assert (second.id, second.notebook) == ("second", "second.ipynb")
