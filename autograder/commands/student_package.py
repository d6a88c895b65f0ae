"""The student distribution: gdlab and the release, without the references (course mode).

``gdlab build --student-package DIR`` writes a source tree that is also an install tree:

* ``DIR/autograder/`` — the package, less `gdlab new`'s template (a solved exercise);
* ``DIR/gdlab_release/<exercise>/`` — the release: the quiz stub, the lab, the given files and
  ``published.json``, the published case's expected values (`published_release`);
* ``DIR/pyproject.toml`` — the project's, packaging ``autograder`` and ``gdlab_release`` and
  not ``solutions``.

``pip install DIR`` (or ``pip wheel DIR``) gives the student's install; without ``solutions``
importable, gdlab is in course mode (`autograder.mode`). Before it returns, the tree is checked:
no file of ``solutions/`` and no line of any reference's answers is in it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from autograder.commands.build import BEGIN, END, BuildError
from autograder.judge import published_release
from autograder.report.distribution import bundle_pyproject, project

PACKAGE = "gdlab_release"
#: Modules for course authors only: `gdlab new`'s template is a solved exercise of its own.
AUTHORS_ONLY = ("scaffold.py",)
#: Lines of an answer shorter than this (``h = None``, ``pass``) may well appear elsewhere.
_SHORTEST_ANSWER = 12


def write(repo: Path, out: Path) -> list[Path]:
    """Write the student package of `repo` (built: release/ up to date) into `out`."""
    if out.exists() and any(out.iterdir()):
        raise BuildError(f"{out} is not empty: give a new folder for the student package")
    release = repo / "release"
    exercises = sorted(p for p in release.iterdir() if (p / published_release.FILE).is_file())
    if not exercises:
        raise BuildError(f"no built exercise under {release} (run `gdlab build` first)")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        repo / "autograder",
        out / "autograder",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *AUTHORS_ONLY),
    )
    (out / PACKAGE).mkdir()
    (out / PACKAGE / "__init__.py").write_text(
        '"""The student release of gdlab\'s exercises (stubs, labs, given files, published '
        'values)."""\n',
        encoding="utf-8",
    )
    for folder in exercises:
        shutil.copytree(folder, out / PACKAGE / folder.name)
    (out / "pyproject.toml").write_text(_pyproject(), encoding="utf-8")
    leaks = references_in(out, repo)
    if leaks:
        raise BuildError(f"the student package would hold references: {'; '.join(leaks[:3])}")
    return sorted(p for p in out.rglob("*") if p.is_file())


def _pyproject() -> str:
    """The project's pyproject.toml, packaging the release instead of the references."""
    config = project()
    setuptools = config.setdefault("tool", {}).setdefault("setuptools", {})
    setuptools["packages"] = {"find": {"include": ["autograder*", f"{PACKAGE}*"]}}
    setuptools["package-data"] = {
        **{k: v for k, v in setuptools.get("package-data", {}).items() if k != "*"},
        "*": ["*.py", "*.toml"],
        PACKAGE: ["*/*.py", "*/*.ipynb", f"*/{published_release.FILE}"],
    }
    text = bundle_pyproject(config)
    # every dependency of the project: a student's install runs the labs (Jupyter) too
    runner = text.split("dependencies = ", 1)[1].split("\n", 1)[0]
    everything = json.dumps(config["project"]["dependencies"])
    scripts = "\n[project.scripts]\n" + 'gdlab = "autograder.commands.start:entry"\n'
    return text.replace(runner, everything, 1) + scripts


def references_in(tree: Path, repo: Path) -> list[str]:
    """Files of `tree` that hold a reference: a copy of a solutions/ file, or any answer line of
    a source's solution region (the code between the markers)."""
    answers = set()
    for script in (repo / "source").glob("*/*.py"):
        inside = False
        for line in script.read_text(encoding="utf-8").splitlines():
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
            elif inside and len(line.strip()) >= _SHORTEST_ANSWER:
                answers.add(line.strip())
    references = set()
    for path in (repo / "solutions").glob("*/*.py"):
        given = repo / "release" / path.parent.name / path.name  # a given file: both sides
        if not (given.is_file() and given.read_bytes() == path.read_bytes()):
            references.add(path.read_bytes())
    found = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        content = path.read_bytes()
        if content in references:
            found.append(f"{path.relative_to(tree)} is a reference file")
            continue
        text = content.decode("utf-8", errors="replace")
        hit = next((a for a in answers if a in text), None)
        if hit is not None:
            found.append(f"{path.relative_to(tree)} holds an answer line ({hit!r})")
    return found
