"""Course mode: a student's install holds no reference, and TEST RUN works offline from the
published values the release ships (release/<exercise>/published.json)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import mode, notebook
from autograder.commands.cli import main
from autograder.commands.student_package import references_in, write
from autograder.judge import published_release
from autograder.judge.diagnose import oracle_for
from autograder.judge.grader import Grader
from autograder.judge.offline import OFFLINE_NOTE, grade_published
from autograder.load import exercise as exercises
from autograder.load import intake
from autograder.server import client
from tests.helpers import REPO

SOLVED = REPO / "solutions" / "gradient_basic" / "gradient.py"
STUB = REPO / "release" / "gradient_basic" / "gradient.py"


@pytest.fixture
def course(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Course mode, no course server configured."""
    monkeypatch.setenv("GDLAB_MODE", "course")
    monkeypatch.delenv("GDLAB_SERVER", raising=False)
    monkeypatch.delenv("GDLAB_TOKEN", raising=False)
    monkeypatch.delenv("GDLAB_RELEASE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


@pytest.mark.parametrize("exercise_id", exercises.available())
def test_published_json_is_the_references_published_values_and_nothing_of_it(
    exercise_id: str,
) -> None:
    exercise = exercises.get(exercise_id)
    folder = REPO / "release" / exercise_id
    text = (folder / published_release.FILE).read_text(encoding="utf-8")
    shipped = published_release.read(folder)
    expected = oracle_for(exercise, exercise.published_case()).expected
    for quantity in exercise.quantities:
        np.testing.assert_allclose(shipped.expected[quantity.name], expected[quantity.name], 1e-10)
    assert shipped.exercise.max_score == exercise.max_score
    for mistake in exercise.mistakes:  # neither the catalogue's edits nor its hints
        assert mistake.hint not in text
        assert all(new not in text for _, new in mistake.edits if len(new) > 8)
    for quantity in exercise.quantities:  # the formulas stay on the server, as on its pages
        assert quantity.about not in text
    assert references_in(folder, REPO) == []  # no answer line anywhere in the release


@pytest.mark.parametrize("exercise_id", ["gradient_basic", "backprop_basic"])
def test_offline_checks_are_the_self_study_checks_without_the_diagnosis(
    exercise_id: str, grader: Grader, tmp_path: Path
) -> None:
    exercise = exercises.get(exercise_id)
    solved = (exercise.folder / exercise.script).read_text(encoding="utf-8")
    shipped = published_release.read(REPO / "release" / exercise_id)
    for mistake in exercise.mistakes[:4]:
        path = tmp_path / exercise.script
        path.write_text(mistake.apply(solved), encoding="utf-8")
        program = intake.load(path)
        local = grader.test_run(exercise, program)
        offline = grade_published(shipped, program, grader)
        assert [(c.quantity, c.expected, c.received) for c in offline.checks] == [
            (c.quantity, c.expected, c.received) for c in local.checks
        ]
        for mine, theirs in zip(offline.checks, local.checks, strict=True):
            assert mine.passed == (theirs.passed and not theirs.carried_forward)
            assert mine.mistake is None  # naming it runs the reference: the server's job
        assert offline.max_score == local.max_score


def test_offline_test_run_says_what_only_the_server_adds(
    course: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = course / "gradient.py"
    wrong.write_text(
        SOLVED.read_text(encoding="utf-8").replace(
            "error = y - nn_output", "error = nn_output - y"
        ),
        encoding="utf-8",
    )
    assert main(["run", "gradient_basic", str(wrong)]) == 1
    offline = capsys.readouterr().out
    monkeypatch.setenv("GDLAB_MODE", "self-study")
    assert main(["run", "gradient_basic", str(wrong)]) == 1
    local = capsys.readouterr().out
    assert "✗  error       -0.18997448" in offline
    assert "no course server configured" in offline and OFFLINE_NOTE in offline
    assert "sign flipped" in local and "sign flipped" not in offline  # named by the server only


def test_offline_test_run_of_the_reference_passes_and_of_the_stub_fails(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "gradient_basic", str(SOLVED), "--offline"]) == 0
    assert "5 of 5 visible checks pass" in capsys.readouterr().out
    assert main(["run", "gradient_basic", str(STUB)]) == 1
    assert "0 of 5 visible checks pass" in capsys.readouterr().out


def test_offline_training_exercise_checks_each_step_inside_the_loop(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    solved = (REPO / "solutions" / "gradient" / "gradient.py").read_text(encoding="utf-8")
    wrong = course / "gradient.py"
    wrong.write_text(solved.replace("error = y - output", "error = output - y"), encoding="utf-8")
    shutil.copy(REPO / "release" / "gradient" / "data_prep.py", course)
    assert main(["run", "gradient", str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "✓  output " in out and "✗  error " in out
    assert "error: record 1 of the first epoch: wrong value" in out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["run", "gradient_basic", "--solution"], "the reference (--solution)"),
        (["submit", "gradient_basic", str(STUB)], "SUBMIT is graded on the course server"),
        (["submit", "gradient_basic", str(STUB), "--seed", "7"], "hidden cases (--seed)"),
    ],
)
def test_what_needs_the_references_is_one_line_pointing_to_the_server(
    course: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and says in captured.err
    assert "GDLAB_SERVER" in captured.err and "Traceback" not in captured.err


def test_an_unreachable_server_gives_an_offline_test_run_and_refuses_submit(
    course: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GDLAB_SERVER", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("GDLAB_TOKEN", "t")
    assert main(["run", "gradient_basic", str(SOLVED)]) == 0
    out = capsys.readouterr().out
    assert "offline TEST RUN: cannot reach http://127.0.0.1:9" in out and OFFLINE_NOTE in out
    assert main(["submit", "gradient_basic", str(SOLVED)]) == 2
    assert "SUBMIT is graded on the course server: cannot reach" in capsys.readouterr().err


def test_a_server_that_takes_the_file_but_never_answers_gives_an_offline_test_run(
    course: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hung server (it accepts connections, never answers) is unreachable after the answer's
    time limit, not after the system's: TEST RUN goes offline, SUBMIT says so in one line."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel completes the connections; nobody ever reads them
    port = listener.getsockname()[1]
    monkeypatch.setattr(client, "ANSWER_SECONDS", 0.5)
    monkeypatch.setenv("GDLAB_SERVER", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("GDLAB_TOKEN", "t")
    try:
        started = time.monotonic()
        assert main(["run", "gradient_basic", str(SOLVED)]) == 0
        assert time.monotonic() - started < 20
        out = capsys.readouterr().out
        assert f"offline TEST RUN: no answer from http://127.0.0.1:{port} within 0.5 s" in out
        assert main(["submit", "gradient_basic", str(SOLVED)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "no answer from" in err
    finally:
        listener.close()


def test_serve_in_a_course_install_points_to_the_course_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(mode, "references_installed", lambda: False)
    monkeypatch.setenv("GDLAB_SERVER", "https://gdlab.example.edu")
    monkeypatch.setenv("GDLAB_TOKEN", "t")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "your course's server is https://gdlab.example.edu" in err


def test_the_mode_comes_from_the_environment_the_config_file_or_the_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("GDLAB_MODE", raising=False)
    assert mode.current() == "self-study"  # the references are installed here
    (tmp_path / "gdlab").mkdir()
    (tmp_path / "gdlab" / "server.toml").write_text('mode = "course"\n', encoding="utf-8")
    assert mode.current() == "course"
    monkeypatch.setenv("GDLAB_MODE", "self-study")
    assert mode.current() == "self-study"
    monkeypatch.setenv("GDLAB_MODE", "corse")
    with pytest.raises(Exception, match="unknown gdlab mode 'corse'"):
        mode.current()


def test_a_lab_check_cell_offline_runs_the_saved_notebook(
    course: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    solved = REPO / "source" / "gradient_basic" / "gradient_basic.ipynb"
    shutil.copy(solved, course / "gradient_basic.ipynb")
    monkeypatch.chdir(course)
    assert notebook.check("gradient_basic", "del_w") is None
    assert "✓ del_w = " in capsys.readouterr().out
    shutil.copy(REPO / "release" / "gradient_basic" / "gradient_basic.ipynb", course)
    monkeypatch.setenv("GDLAB_SERVER", "http://127.0.0.1:9")  # configured, but down
    monkeypatch.setenv("GDLAB_TOKEN", "t")
    with pytest.raises(AssertionError, match="published values shipped with the release"):
        notebook.check("gradient_basic", "h")
    monkeypatch.setenv("GDLAB_MODE", "self-study")  # self-study says the server is down
    with pytest.raises(client.ServerError, match=r"cannot reach http://127\.0\.0\.1:9"):
        notebook.check("gradient_basic", "h")


def _student_python(tree: Path) -> tuple[list[str], dict[str, str]]:
    """Python as a student's install has it: the package tree and the libraries, and neither
    this checkout nor its `solutions` (no site processing: the editable install is not seen)."""
    site = sysconfig.get_paths()["purelib"]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GDLAB_") or k in ("GDLAB_HOME", "GDLAB_CACHE", "GDLAB_SANDBOX")
    }
    env.update(PYTHONPATH=f"{tree}{os.pathsep}{site}", XDG_CONFIG_HOME=str(tree / "config"))
    return [sys.executable, "-S", "-m", "autograder"], env


def test_the_student_package_holds_no_reference_and_test_runs_offline(tmp_path: Path) -> None:
    tree = tmp_path / "student"
    files = write(REPO, tree)
    names = {p.relative_to(tree).as_posix() for p in files}
    assert not any(n.startswith("solutions") for n in names)
    assert "gdlab_release/gradient_basic/published.json" in names
    references = {p.read_bytes() for p in (REPO / "solutions").glob("*/*.py")} - {
        p.read_bytes() for p in (REPO / "release").glob("*/*.py")
    }
    assert not [p for p in files if p.read_bytes() in references]
    assert references_in(tree, REPO) == []
    command, env = _student_python(tree)
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(SOLVED, work / "answer.py")

    def gdlab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args], cwd=work, env=env, capture_output=True, text=True, timeout=120
        )

    found = gdlab("run", "-h")
    assert found.returncode == 0
    ran = gdlab("run", "gradient_basic", "answer.py")
    assert ran.returncode == 0, ran.stderr
    assert "5 of 5 visible checks pass" in ran.stdout and OFFLINE_NOTE in ran.stdout
    for args in (
        ["run", "gradient_basic", "--solution"],
        ["submit", "gradient_basic", "answer.py"],
        ["submit", "gradient_basic", "answer.py", "--seed", "1"],
        ["grade", ".", "--exercise", "gradient_basic"],
        ["serve", "--practice"],
        ["roster", "add", "ann"],
    ):
        refused = gdlab(*args)
        assert refused.returncode == 2, args
        assert refused.stderr.count("\n") == 1 and "server" in refused.stderr, refused.stderr
    listed = gdlab("list")
    assert listed.stdout.split()[0] == "gradient_basic"


def test_the_student_sdist_holds_the_release_and_no_solutions_and_runs(tmp_path: Path) -> None:
    tree = tmp_path / "student"
    write(REPO, tree)
    built = subprocess.run(
        [sys.executable, "-c", "from setuptools import build_meta as b; b.build_sdist('dist')"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (sdist,) = (tree / "dist").glob("gdlab-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = [n.split("/", 1)[1] for n in archive.getnames() if "/" in n]
        archive.extractall(tmp_path / "unpacked", filter="data")
    assert not [n for n in names if n.startswith("solutions")]
    assert "gdlab_release/gradient_basic/published.json" in names
    assert "autograder/commands/cli.py" in names
    unpacked = next((tmp_path / "unpacked").iterdir())
    assert references_in(unpacked, REPO) == []
    command, env = _student_python(unpacked)
    ran = subprocess.run(
        [*command, "run", "gradient_basic", str(SOLVED)],
        cwd=tmp_path,  # not this checkout: `-m` imports from the working folder first
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert "5 of 5 visible checks pass" in ran.stdout and OFFLINE_NOTE in ran.stdout


def test_build_check_sees_a_changed_value_but_not_another_machines_last_digit() -> None:
    text = (REPO / "release" / "gradient_basic" / published_release.FILE).read_text("utf-8")
    assert published_release.same(text, text.replace("0.689974481128", "0.689974481128001"))
    assert not published_release.same(text, text.replace("0.689974481128", "0.689974481"))
    assert not published_release.same(text, text.replace('"h"', '"hh"'))


def test_a_malformed_or_oversized_published_json_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "gradient_basic"
    shutil.copytree(REPO / "release" / "gradient_basic", folder)
    path = folder / published_release.FILE
    plain = path.read_text(encoding="utf-8")
    path.write_text(plain.replace('"values": [\n     0.8\n    ]', '"values": [1, 2]'), "utf-8")
    with pytest.raises(exercises.ExerciseError, match="unreadable"):
        published_release.read(folder)
    path.write_text(" " * (published_release.MAX_BYTES + 1), encoding="utf-8")
    with pytest.raises(exercises.ExerciseError, match="over 1000000 bytes"):
        published_release.read(folder)
