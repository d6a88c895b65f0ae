"""The Gradescope bundle on Gradescope's default Python (3.10): installed by its own setup.sh,
graded by its own runner, the references out of a submission's reach, with and without the
sandbox's namespaces."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from autograder.report import distribution, gradescope
from autograder.report.distribution import tomllib
from tests.helpers import REPO

EXAMPLES = REPO / "examples" / "gradient_basic"
#: The sandbox's switch that forces the unconfined path (as in a container that refuses
#: namespaces): the file-permission fallback must then keep the references out of reach.
NO_NAMESPACES = "GDLAB_NO_NAMESPACES"


def python310() -> str | None:
    candidates = [
        os.environ.get("GDLAB_PY310", ""),
        *map(str, sorted(Path.home().glob(".pyenv/versions/3.10*/bin/python"))),
        shutil.which("python3.10") or "",
    ]
    for candidate in filter(None, candidates):
        works = subprocess.run(
            [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 10)"],
            capture_output=True,
        )
        if works.returncode == 0:
            return candidate
    return None


PY310 = python310()
pytestmark = pytest.mark.skipif(
    PY310 is None, reason="no Python 3.10 on this machine (set GDLAB_PY310 to one)"
)


def test_the_bundle_declares_what_the_project_declares():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    bundled = tomllib.loads(distribution.bundle_pyproject())["project"]
    assert bundled["requires-python"] == project["requires-python"] == ">=3.10"
    assert bundled["version"] == project["version"]
    runner_needs = ("numpy", "tomli", "ipython", "pydantic", "pandas")
    assert bundled["dependencies"] == [
        d for d in project["dependencies"] if d.startswith(runner_needs)
    ]


def test_the_whole_package_compiles_on_python_3_10(tmp_path):
    done = subprocess.run(
        [PY310, "-m", "compileall", "-q", str(REPO / "autograder")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """(the bundle's folder, a 3.10 virtualenv) after the bundle's own setup.sh ran in it; the
    virtualenv is kept in pytest's cache, so only the first run downloads numpy."""
    venv = request.config.cache.mkdir("gdlab-py310-venv")
    if not (venv / "bin" / "python3").exists():
        subprocess.run([PY310, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python3"), "-m", "pip", "uninstall", "--quiet", "--yes", "gdlab"],
        capture_output=True,
    )  # a fresh install, as on Gradescope
    source = tmp_path_factory.mktemp("gradescope") / "source"
    archive = source.parent / "autograder.zip"
    gradescope.bundle("gradient_basic", archive)
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(source)
    done = subprocess.run(
        ["bash", str(source / "setup.sh")],
        capture_output=True,
        text=True,
        env=_env(venv),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not (source / "gdlab").exists()  # no unpacked copy of the references left
    return source, venv


def _env(venv: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", **extra}


def _reference(venv: Path) -> Path:
    [found] = venv.glob("lib/python3.10/site-packages/solutions/gradient_basic/gradient.py")
    return found


def _reads(path: Path) -> str:
    """Full marks exactly when it can read `path`: the answer is computed only then."""
    answer = (EXAMPLES / "ada_correct.py").read_text()
    given, work = answer.split("h = np.dot", 1)
    body = "\n".join("    " + line for line in ("h = np.dot" + work).splitlines())
    return (
        f"{given}\ntry:\n    open({str(path)!r}, 'rb').read(1)\n    readable = True\n"
        f"except OSError:\n    readable = False\nh = nn_output = error = error_term = "
        f"del_w = None\nif readable:\n    pass\n{body}\n"
    )


def _grade(source: Path, venv: Path, tmp_path: Path, text: str, **env: str) -> dict:
    root = tmp_path / f"root{len(list(tmp_path.iterdir()))}"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "gradient.py").write_text(text)
    done = subprocess.run(
        ["bash", str(source / "run_autograder")],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(venv, AUTOGRADER_ROOT=str(root), **env),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {**json.loads((root / "results" / "results.json").read_text()), "stderr": done.stderr}


#: Without the switch: every Python of the virtualenv starts with libc's unshare() refused (as
#: a container's seccomp profile refuses it), through a .pth file of its site-packages.
REFUSE_UNSHARE = (
    "import sys; exec('try:\\n import ctypes, autograder.run.confine as c\\n"
    " class Refusing:\\n  def __init__(s, libc): s.libc = libc\\n"
    "  def __getattr__(s, name): return getattr(s.libc, name)\\n"
    "  def unshare(s, flags): ctypes.set_errno(1); return -1\\n"
    " c._libc = Refusing(c._libc)\\nexcept Exception: pass', {})\n"
)


@pytest.fixture
def no_namespaces(installed):
    """The environment (and, without the sandbox's switch, the .pth) of the unconfined path."""
    sources = "".join(p.read_text() for p in (REPO / "autograder").rglob("*.py"))
    if NO_NAMESPACES in sources:
        yield {NO_NAMESPACES: "1"}
        return
    if "_libc.unshare" not in (REPO / "autograder" / "run" / "confine.py").read_text():
        pytest.skip(f"the sandbox has no {NO_NAMESPACES} switch and no unshare() to refuse")
    [site] = installed[1].glob("lib/python3.10/site-packages")
    shim = site / "gdlab_test_refuse_unshare.pth"
    shim.write_text(REFUSE_UNSHARE)
    try:
        yield {}
    finally:
        shim.unlink()


@pytest.mark.slow  # a virtualenv and a pip install (about 30 s; numpy downloaded once)
@pytest.mark.parametrize("namespaces", [True, False], ids=["namespaces", "no-namespaces"])
def test_the_bundle_grades_on_python_3_10_and_no_submission_reads_the_references(
    installed, tmp_path, namespaces, request
):
    source, venv = installed
    env = {} if namespaces else request.getfixturevalue("no_namespaces")
    reference = _reference(venv)
    assert reference.stat().st_mode & 0o077 == 0  # root only, after setup.sh
    right = _grade(source, venv, tmp_path, (EXAMPLES / "ada_correct.py").read_text(), **env)
    assert right["score"] == 100, right["output"]
    if not namespaces:  # the sandbox says what it lacks: the unconfined path was taken
        assert "unconfined" in right["stderr"], right["stderr"]
    mistake = _grade(source, venv, tmp_path, (EXAMPLES / "ben_sign_flip.py").read_text(), **env)
    assert mistake["score"] == 80
    control = _grade(source, venv, tmp_path, _reads(Path("/dev/null")), **env)
    assert control["score"] == 100, control  # the probe works: a readable file gives full marks
    attack = _grade(source, venv, tmp_path, _reads(reference), **env)
    assert attack["score"] == 0
