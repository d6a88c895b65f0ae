"""Build the student release and the hidden references from ``source/`` (one source of truth).

For every ``source/<exercise>/``:

* ``release/<exercise>/<script>``   the quiz script with each solution region replaced by
  ``name = None`` for every name the region assigns (the classic TODO stub);
* ``release/<exercise>/<notebook>`` the lab, through nbgrader's generate_assignment;
* ``release/<exercise>/published.json`` the published case's expected values and what a visible
  check needs without the reference (`published_release`): course mode's offline TEST RUN;
* ``solutions/<exercise>/<script>`` the solved script without markers (the reference);
* ``solutions/<exercise>/exercise.toml`` the exercise's data.

Before writing, each exercise is checked: exercise.toml against its schema, every mistake's edit
against the solved script, the lab's check cells against the quantities (`build_checks`).
``gdlab build --check`` builds into a temporary folder and lists every file that differs, so a
test fails as soon as anything generated drifts from its source.
"""

from __future__ import annotations

import ast
import filecmp
import shutil
import tempfile
import textwrap
from pathlib import Path

from autograder.commands.build_checks import check_mistakes, check_notebook
from autograder.errors import UserError
from autograder.judge import published_release
from autograder.load.exercise import ExerciseError, load
from autograder.load.program import assigned_names

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


class BuildError(UserError):
    """A source cannot be built (said in one line)."""


def solved(script: str) -> str:
    """The script with its solution markers removed: the reference a student could submit."""
    return "".join(
        line for line in script.splitlines(keepends=True) if line.strip() not in (BEGIN, END)
    )


def stubbed(script: str) -> str:
    """The script with each solution region replaced by ``name = None`` lines."""
    out: list[str] = []
    region: list[str] | None = None
    indent = ""
    for number, line in enumerate(script.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if region is not None:
                raise BuildError(f"line {number}: {BEGIN} inside another solution region")
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif marker == END:
            if region is None:
                raise BuildError(f"line {number}: {END} without {BEGIN}")
            out.extend(f"{indent}{name} = None\n" for name in _region_targets(region, number))
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise BuildError(f"{BEGIN} is never closed")
    return "".join(out)


def _region_targets(region: list[str], line: int) -> list[str]:
    try:
        tree = ast.parse(textwrap.dedent("".join(region)))
    except SyntaxError as error:
        raise BuildError(f"solution region ending at line {line}: {error.msg}") from None
    names = [n for statement in tree.body for n in sorted(assigned_names(statement))]
    if not names:
        raise BuildError(f"solution region ending at line {line} assigns no variable to stub")
    return list(dict.fromkeys(names))


def build_exercise(source_dir: Path, release_root: Path, solutions_root: Path) -> list[Path]:
    """Build one exercise; return the files written."""
    try:
        exercise = load(source_dir, reference="")
    except ExerciseError as error:
        raise BuildError(str(error)) from None
    script = _read(source_dir / exercise.script)
    check_mistakes(exercise, solved(script), source_dir / "exercise.toml")
    check_notebook(exercise, source_dir / exercise.notebook)
    targets = {
        release_root / exercise.id / published_release.FILE: published_release.document(
            load(source_dir, reference=solved(script))
        ),
        release_root / exercise.id / exercise.script: stubbed(script),
        solutions_root / exercise.id / exercise.script: solved(script),
        solutions_root / exercise.id / "exercise.toml": (source_dir / "exercise.toml").read_text(
            encoding="utf-8"
        ),
    }
    for name in exercise.files:  # given files: the same for students and for the grader
        given = _read(source_dir / name)
        targets[release_root / exercise.id / name] = given
        targets[solutions_root / exercise.id / name] = given
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    notebook = release_root / exercise.id / exercise.notebook
    _generate_notebook(source_dir / exercise.notebook, exercise.id, notebook)
    return [*targets, notebook]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildError(f"{path} does not exist") from None


def _generate_notebook(source: Path, assignment: str, target: Path) -> None:
    """Run nbgrader's generate_assignment on one notebook, in a throwaway course directory."""
    if not source.is_file():
        raise BuildError(f"{source} does not exist")
    from nbgrader.apps import NbGraderAPI  # costs seconds: only when building
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="gdlab-build-") as course:
        (Path(course) / "source" / assignment).mkdir(parents=True)
        shutil.copy(source, Path(course) / "source" / assignment / source.name)
        config = Config()
        config.CourseDirectory.root = course
        config.GenerateAssignment.no_database = True
        config.SaveCells.enabled = False
        result = NbGraderAPI(config=config).generate_assignment(assignment, force=True)
        built = Path(course) / "release" / assignment / source.name
        if not result.get("success") or not built.is_file():
            log = (result.get("error") or result.get("log") or "").strip().splitlines()
            raise BuildError(
                f"nbgrader could not generate {source}: {log[-1] if log else 'no output'}"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(built, target)


def build(repo: Path, out: Path | None = None, only: list[str] | None = None) -> list[Path]:
    """Build the exercises under ``repo/source`` (all, or `only` these) into ``release/`` and
    ``solutions/`` of `out` (default: `repo` itself)."""
    out = out or repo
    sources = sorted(p for p in (repo / "source").iterdir() if (p / "exercise.toml").is_file())
    if only:
        unknown = set(only) - {p.name for p in sources}
        if unknown:
            raise BuildError(f"no source for {', '.join(sorted(unknown))} under {repo / 'source'}")
        sources = [p for p in sources if p.name in only]
    if not sources:
        raise BuildError(f"no exercises under {repo / 'source'}")
    written = []
    for source_dir in sources:
        written += build_exercise(source_dir, out / "release", out / "solutions")
    return written


def stale(repo: Path, only: list[str] | None = None) -> list[str]:
    """Files under release/ and solutions/ that differ from a fresh build (empty: in sync)."""
    with tempfile.TemporaryDirectory(prefix="gdlab-check-") as scratch:
        fresh = Path(scratch)
        written = build(repo, out=fresh, only=only)
        problems = []
        for path in written:
            relative = path.relative_to(fresh)
            existing = repo / relative
            if not existing.is_file():
                problems.append(f"{relative} is missing")
            elif path.name == published_release.FILE:
                if not published_release.same(
                    path.read_text(encoding="utf-8"), existing.read_text(encoding="utf-8")
                ):
                    problems.append(f"{relative} is out of date")
            elif not filecmp.cmp(path, existing, shallow=False):
                problems.append(f"{relative} is out of date")
        return problems
