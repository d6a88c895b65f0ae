"""Gradescope: an autograder bundle, and the runner inside it that always writes results.json.

``gdlab gradescope EXERCISE -o autograder.zip`` packs ``setup.sh`` (installs gdlab),
``run_autograder`` (grades ``/autograder/submission/*``) and gdlab itself with only that
exercise's hidden material. In Gradescope's container the runner writes
``/autograder/results/results.json`` (root overridable with ``AUTOGRADER_ROOT``): one test per
quantity and case, the published case visible at once, hidden cases' details after the due date.
Whatever goes wrong — no file, a broken file, a bug of ours — a results.json is written.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.judge.checks import CaseRun, Check

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (as root).
set -euo pipefail
cd "$(dirname "$0")"
# gdlab and what its runner imports, as the project's metadata says (gdlab/pyproject.toml)
python3 -m pip install --quiet ./gdlab
# The references: readable by root only, so that a submission (run unprivileged) cannot read
# them even where the sandbox gets no namespaces; and no unpacked copy left behind.
where='import os, solutions; print(os.path.dirname(solutions.__file__))'
chmod -R go-rwx "$(cd / && python3 -c "$where")"
rm -rf ./gdlab
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT lets a test run it elsewhere.
cd /
python3 -m autograder.report.gradescope run {exercise} --root "${{AUTOGRADER_ROOT:-/autograder}}"
"""


def results_from_checks(
    checks: Iterable[Check],
    runs: Iterable[CaseRun],
    score: float,
    extra_output: str = "",
) -> dict[str, Any]:
    """Gradescope's results.json from checks and runs (as the gradebook or a Grade has them)."""
    tests = []
    for check in checks:
        lines = [f"expected {check.expected}, received {check.received}", check.message]
        if check.mistake:
            lines.append(f"{check.mistake}: {check.hint or ''}")
        tests.append(
            {
                "name": f"{check.quantity} ({check.case})",
                "score": round(float(check.score), 4),
                "max_score": round(float(check.max_score), 4),
                "status": "passed" if check.passed else "failed",
                "output": "\n".join(lines),
                "visibility": "visible" if check.visible else "after_due_date",
            }
        )
    problems = [f"{r.case}: {r.problem}" for r in runs if r.problem]
    output = "\n".join(filter(None, [extra_output, *problems]))
    return {
        "score": round(score, 4),
        "tests": tests,
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
    }


def _failure(message: str) -> dict[str, Any]:
    return {
        "score": 0.0,
        "tests": [],
        "output": message,
        "visibility": "visible",
        "stdout_visibility": "hidden",
    }


def _write_atomically(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8"
    ) as handle:
        json.dump(data, handle, indent=2)
    os.replace(handle.name, path)


def _pick_submission(folder: Path, names: tuple[str, ...]) -> Path | None:
    """The exercise's own file names first, else the only .py/.ipynb file there."""
    for name in names:
        if (folder / name).is_file():
            return folder / name
    found = sorted(
        p
        for p in folder.rglob("*")
        if p.suffix in (".py", ".ipynb") and p.is_file() and ".ipynb_checkpoints" not in p.parts
    )
    return found[0] if found else None


def run(exercise_id: str, root: Path) -> dict[str, Any]:
    """Grade the submission under `root` and write results.json; also return it."""
    target = root / "results" / "results.json"
    try:
        data = _grade_submission(exercise_id, root)
    except Exception as error:  # a results.json must exist whatever happens
        data = _failure(f"The autograder could not grade this submission: {error}")
    _write_atomically(target, data)
    return data


def _grade_submission(exercise_id: str, root: Path) -> dict[str, Any]:
    from autograder.judge.grader import Grader
    from autograder.load import exercise as exercises
    from autograder.load import intake, submission

    exercise = exercises.get(exercise_id)
    folder = root / "submission"
    path = _pick_submission(folder, (exercise.script, exercise.notebook))
    if path is None:
        return _failure(f"No submission found: upload {exercise.script} or {exercise.notebook}.")
    try:
        program = intake.load(path, folder)  # a symbolic link is refused, never followed
    except submission.SubmissionError as error:
        return _failure(f"Cannot grade {path.name}: {error}")
    with Grader() as grader:
        result = grader.submit(exercise, program)
    summary = f"{result.verdict} (hidden cases seed {result.seed})"
    return results_from_checks(result.checks, result.runs, result.score, summary)


def bundle(exercise_id: str, out: Path) -> Path:
    """Write the autograder zip for `exercise_id`: setup.sh, run_autograder, gdlab (its
    pyproject.toml made from the project's, see `distribution`) and that exercise's references."""
    from autograder.load import exercise as exercises
    from autograder.report import distribution

    exercise = exercises.get(exercise_id)
    solutions = exercises.solutions_root()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_text(archive, "setup.sh", SETUP_SH, executable=True)
        _add_text(
            archive, "run_autograder", RUN_AUTOGRADER.format(exercise=exercise.id), executable=True
        )
        _add_text(archive, "gdlab/pyproject.toml", distribution.bundle_pyproject())
        for path in sorted(distribution.PACKAGE.rglob("*.py")):  # the pipeline's packages
            inside = path.relative_to(distribution.PACKAGE)
            if inside.parts[0] != "server":  # the course server is no part of a runner
                archive.write(path, f"gdlab/autograder/{inside.as_posix()}")
        archive.write(solutions / "__init__.py", "gdlab/solutions/__init__.py")
        for path in sorted((solutions / exercise.id).iterdir()):
            if path.is_file() and path.suffix in (".py", ".toml", ".csv"):
                archive.write(path, f"gdlab/solutions/{exercise.id}/{path.name}")
    return out


def _add_text(archive: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder.report.gradescope run EXERCISE --root DIR`` (run_autograder)."""
    parser = argparse.ArgumentParser(prog="python -m autograder.report.gradescope")
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser("run")
    runner.add_argument("exercise")
    runner.add_argument("--root", type=Path, default=Path("/autograder"))
    args = parser.parse_args(argv)
    data = run(args.exercise, args.root)
    print(f"score {data['score']}: results written to {args.root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
