"""What keeps a command's start short: the worker started first, the checked exercise kept."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import spec_cache, submission
from autograder.run import boot
from autograder.run.sandbox import Job, RunResult, Sandbox
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


def _lab(tmp_path: Path) -> Path:
    """gradient_basic's reference as a one-cell notebook (a solved lab, as a student runs it)."""
    source = (exercises.solutions_root() / "gradient_basic" / "gradient.py").read_text("utf-8")
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": source}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    lab = tmp_path / "gradient_basic.ipynb"
    lab.write_text(json.dumps(notebook), encoding="utf-8")
    return lab


def test_a_test_run_sends_its_job_before_the_grader_imports_numpy(
    cache: Path, tmp_path: Path
) -> None:
    """The job (the program and the published case's given values as sent last time) is built
    and handed to the sandbox with no numpy in the grader: the worker's boot, not the
    grader's imports, is what the program waits for. The first run keeps the values."""
    probe = (
        "import sys, contextlib, io\n"
        "from autograder.judge import grader\n"
        "built, numpy_then = grader.job, []\n"
        "def job(*args):\n"
        "    numpy_then.append('numpy' in sys.modules)\n"
        "    return built(*args)\n"
        "grader.job = job\n"
        "from autograder.commands import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    status = cli.main(['run', 'gradient_basic', {str(_lab(tmp_path))!r}])\n"
        "print(status, numpy_then, 'IPython' in sys.modules)\n"
    )
    assert _probe(probe) == "0 [True] False"  # nothing kept yet: the values are worked out
    assert _probe(probe) == "0 [False] False"  # kept: sent first, one job, full marks


class _Counting(Sandbox):
    """A sandbox that notes the given values of every job it runs, as the worker reads them."""

    sent: ClassVar[list[list[dict[str, Any] | None]]] = []

    def run_cases(self, job: Job) -> list[RunResult]:
        self.sent.append(json.loads(json.dumps(job.cases)))
        return super().run_cases(job)


@pytest.fixture
def counting() -> Iterator[Grader]:
    _Counting.sent = []
    with Grader(sandbox=_Counting) as grader:
        yield grader


def _seen(grade: Any) -> tuple[Any, list[str]]:
    """What a TEST RUN shows: its checks and the program's output (not its timing)."""
    return grade.checks, [run.output for run in grade.runs]


def _reference() -> submission.Program:
    path = exercises.solutions_root() / "gradient_basic" / "gradient.py"
    return submission.load(path)


def test_kept_given_values_are_sent_once_and_a_stale_file_costs_a_run_never_a_grade(
    cache: Path, counting: Grader
) -> None:
    """gradient_basic's published values are the reference's given block: kept after the first
    TEST RUN, sent alone on the next; a kept file that differs from them is run, then the
    program runs again on the right values, which alone are graded, and the file is put right."""
    first = _seen(counting.test_run("gradient_basic", _reference()))
    [kept] = cache.glob("gradient_basic-published-given-*.json")
    right = json.loads(kept.read_text(encoding="utf-8"))
    assert all(check.passed for check in first[0]) and _Counting.sent == [[right]]

    _Counting.sent = []
    assert _seen(counting.test_run("gradient_basic", _reference())) == first
    assert _Counting.sent == [[right]]  # one job, on the kept values

    wrong = dict(right)
    [x] = [key for key in wrong if key.lstrip("?").split("|")[0] == "x"]
    wrong[x] = {**wrong[x], "array": [v + 1 for v in wrong[x]["array"]]}
    kept.write_text(json.dumps(wrong), encoding="utf-8")
    _Counting.sent = []
    assert _seen(counting.test_run("gradient_basic", _reference())) == first
    assert _Counting.sent == [[wrong], [right]]
    assert json.loads(kept.read_text(encoding="utf-8")) == right


def test_data_for_an_exercise_without_any_sends_nothing_first(
    cache: Path, counting: Grader, tmp_path: Path
) -> None:
    data = tmp_path / "binary.csv"
    data.write_text("admit,gre\n1,380\n", encoding="utf-8")
    counting.test_run("gradient_basic", _reference())  # keeps the values
    with pytest.raises(exercises.ExerciseError, match="reads no data file"):
        counting.test_run("gradient_basic", _reference(), data=data)
    assert len(_Counting.sent) == 1  # the first run's only
