"""This checkout against an earlier commit, command by command, run in turns: wall and CPU.

On a shared machine a figure measured alone says little; the same command from two versions of
gdlab run one after the other, many times, says which is faster. The earlier commit is
exported (`git archive`) into a scratch folder and both trees get their bytecode compiled; each
command runs from its tree's root (so ``python -m autograder`` is that tree's gdlab) with its
own gdlab home and cache, warmed by one run first. CPU is user + sys of the command and every
process it waited for (the sandbox worker and its cases). Not a test.

    .venv/bin/python bench/before_after.py REVISION [--repeat 9] [--only run grade relu gradient]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from grade_vs_nbgrader import EXERCISE, notebook_for, variants  # noqa: E402
from validate_vs_testrun import answered  # noqa: E402

from autograder.load import exercise as exercises  # noqa: E402


def course(scratch: Path, count: int = 60) -> Path:
    """An nbgrader-style tree of `count` varied notebook submissions (grade_vs_nbgrader's)."""
    exercise = exercises.get(EXERCISE)
    kinds = variants(exercise)
    root = scratch / "course"
    for number in range(count):
        edits = None if number % len(kinds) == len(kinds) - 1 else kinds[number % len(kinds)]
        folder = root / "submitted" / f"student{number:03d}" / EXERCISE
        folder.mkdir(parents=True)
        (folder / exercise.notebook).write_text(json.dumps(notebook_for(exercise, edits)))
    return root


def commands(scratch: Path) -> dict[str, list[str]]:
    lab = scratch / "gradient_basic.ipynb"
    lab.write_text(answered(exercises.get("gradient_basic")), encoding="utf-8")
    gdlab = [sys.executable, "-m", "autograder"]
    return {
        "run": [*gdlab, "run", "gradient_basic", str(lab)],
        "grade": [*gdlab, "grade", str(course(scratch)), "--exercise", EXERCISE],
        "relu": [*gdlab, "run", "relu_network", "--solution"],
        "gradient": [*gdlab, "run", "gradient", "--solution"],
    }


def timed(command: list[str], tree: Path, env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the earlier commit (e.g. main, HEAD~3)")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--only", nargs="*", default=["run", "grade", "relu", "gradient"])
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="gdlab-before-after-"))
    before = scratch / "before"
    before.mkdir()
    archive = subprocess.run(
        ["git", "archive", args.revision], cwd=REPO, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
    trees = {"before": before, "after": REPO}
    for tree in trees.values():
        compileall.compile_dir(tree / "autograder", quiet=1)
    every = commands(scratch)
    cores = os.cpu_count()
    print(f"{args.revision} against this checkout, {cores} cores, medians of {args.repeat}")
    for name in args.only:
        results: dict[str, list[tuple[float, float]]] = {side: [] for side in trees}
        for run in range(args.repeat + 1):  # the first, warming the caches, is not counted
            for side, tree in trees.items():
                home = scratch / f"home-{side}"
                shutil.rmtree(home, ignore_errors=True)  # `grade` grades anew each time
                env = {**os.environ, "GDLAB_HOME": str(home), "GDLAB_CACHE": str(scratch / side)}
                figures = timed(every[name], tree, env)
                if run:
                    results[side].append(figures)
        print(f"  {name} (load {os.getloadavg()[0]:.1f}):")
        for side, figures in results.items():
            wall = statistics.median(f[0] for f in figures)
            cpu = statistics.median(f[1] for f in figures)
            print(f"    {side:6} wall {wall * 1000:7.0f} ms   CPU {cpu * 1000:7.0f} ms")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
