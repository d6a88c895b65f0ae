"""gdlab installed under /tmp (``git clone`` into /tmp, then the README's first command).

The case's working directory is a private tmpfs on /tmp; it used to cover every package bound
from under /tmp, so a right answer whose program imports a numpy module the worker had not
loaded yet (``np.random.seed``) stopped with ``No module named 'numpy.random'`` and got 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers import REPO


def venv_under(folder: Path) -> Path:
    """A virtualenv in `folder` whose site-packages is this one's (linked, not copied)."""
    site = Path(sysconfig.get_paths()["purelib"])
    if not (Path(sys.prefix) / "pyvenv.cfg").is_file():
        pytest.skip("the tests do not run in a virtualenv")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (folder / "lib" / version).mkdir(parents=True)
    (folder / "lib" / version / "site-packages").symlink_to(site)
    (folder / "bin").mkdir()
    (folder / "bin" / "python").symlink_to(os.path.realpath(sys.executable))
    config = (Path(sys.prefix) / "pyvenv.cfg").read_text()
    (folder / "pyvenv.cfg").write_text(config.replace(sys.prefix, str(folder)))
    return folder / "bin" / "python"


def test_a_right_answer_importing_numpy_random_passes_when_gdlab_lives_under_tmp(tmp_path):
    if not str(tmp_path).startswith("/tmp/"):
        pytest.skip("the temporary folder is not under /tmp")
    python = venv_under(tmp_path / "venv")
    answer = REPO / "examples" / "multilayer" / "ada_correct.py"
    assert "np.random.seed(42)" in answer.read_text()
    done = subprocess.run(
        [str(python), "-m", "autograder", "run", "multilayer", str(answer)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "GDLAB_HOME": str(tmp_path / "home")},
        timeout=300,
    )
    assert "numpy.random" not in done.stdout, done.stdout
    assert "4 of 4 visible checks pass" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 0
