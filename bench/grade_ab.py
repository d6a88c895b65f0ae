"""`gdlab grade` of one class by two versions of gdlab, run after run, alternating.

The before/after measure of a speed change: a machine whose speed drifts over minutes (a shared
host) slows both versions alike when their runs alternate, where two back-to-back series would
each catch a different minute. Builds the 60 notebook submissions `grade_vs_nbgrader.py` builds,
then grades them `--pairs` times with each source tree (`PYTHONPATH`, so both use this
checkout's environment), each run into a fresh copy of one gradebook (same class seed), and
prints each run and the means of wall time and CPU. Not a test: the numbers depend on the machine.

    git worktree add /tmp/before <commit>    # the version to compare with
    .venv/bin/python bench/grade_ab.py /tmp/before . [--pairs 8] [--notebooks 60]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from grade_vs_nbgrader import EXERCISE, exercises, notebook_for, variants


def grade(tree: Path, course: Path, home: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `gdlab grade` of `course` by the gdlab in `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree), "GDLAB_HOME": str(home)}
    command = [sys.executable, "-m", "autograder", "grade", str(course), "--out", "out.csv"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=home, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="a source tree of gdlab (a worktree)")
    parser.add_argument("after", type=Path, help="another one")
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--notebooks", type=int, default=60)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    for tree in trees.values():  # as an installed gdlab has it
        compileall.compile_dir(tree / "autograder", quiet=1)
    exercise = exercises.get(EXERCISE)
    kinds = variants(exercise)
    with tempfile.TemporaryDirectory(prefix="gdlab-ab-") as scratch:
        course, seeded = Path(scratch) / "course", Path(scratch) / "home"
        for number in range(args.notebooks):
            edits = None if number % len(kinds) == len(kinds) - 1 else kinds[number % len(kinds)]
            folder = course / "submitted" / f"student{number:03d}" / EXERCISE
            folder.mkdir(parents=True)
            (folder / exercise.notebook).write_text(json.dumps(notebook_for(exercise, edits)))
        seeded.mkdir()  # the gradebook made (and its seed drawn) once, by the "before" tree
        subprocess.run(
            [sys.executable, "-c", "from autograder.record.gradebook import Gradebook; "
             f"Gradebook({f'sqlite:///{seeded}/gradebook.db'!r}).class_seed({EXERCISE!r})"],
            env={**os.environ, "PYTHONPATH": str(trees["before"])},
            check=True,
        )  # fmt: skip
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for pair in range(args.pairs):
            for name, tree in trees.items():
                home = Path(scratch) / f"{name}{pair}"
                shutil.copytree(seeded, home)
                runs[name].append(grade(tree, course, home))
                wall, cpu = runs[name][-1]
                print(f"  {name:6} {wall:.2f} s, CPU {cpu:.2f} s", flush=True)
    for name, measured in runs.items():
        print(
            f"{name}: mean wall {statistics.mean(w for w, _ in measured):.3f} s, "
            f"CPU {statistics.mean(c for _, c in measured):.3f} s ({args.pairs} runs, "
            f"{args.notebooks} notebooks)"
        )


if __name__ == "__main__":
    main()
