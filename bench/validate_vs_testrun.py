"""A notebook's TEST RUN against `nbgrader validate` on the same notebook, side by side.

Both are whole commands as a student runs them, wall clock, interleaved run by run so that a
busy machine slows both alike: ``nbgrader validate LAB.ipynb`` (runs the notebook in a kernel,
every check cell included) and ``gdlab run EXERCISE LAB.ipynb`` (runs the notebook's code in
the sandbox, then checks every quantity). The notebook is the release lab answered with the
solution, and once more with the exercise's first catalogued mistake. Not a test: the numbers
depend on the machine.

    .venv/bin/python bench/validate_vs_testrun.py [--exercise gradient_basic] [--repeat 7]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.commands.build import solved  # noqa: E402
from autograder.load import exercise as exercises  # noqa: E402


def answered(exercise: exercises.Exercise, edits: tuple[tuple[str, str], ...] = ()) -> str:
    """The release lab with each solution cell filled in from the source (and `edits` made)."""
    release = json.loads((REPO / "release" / exercise.id / exercise.notebook).read_text("utf-8"))
    source = json.loads((REPO / "source" / exercise.id / exercise.notebook).read_text("utf-8"))
    answers = {cell["id"]: "".join(cell["source"]) for cell in source["cells"]}
    for cell in release["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            text = solved(answers[cell["id"]])
            for old, new in edits:
                text = text.replace(old, new)
            cell["source"] = text
    return json.dumps(release)


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + sys of the process and every process it waited for:
    gdlab's sandbox worker and its cases, nbgrader's kernel) and the exit status."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, process.returncode


def main() -> None:
    # gdlab's bytecode, as an installed gdlab has it (PYTHONDONTWRITEBYTECODE would leave each
    # run compiling every module from source)
    compileall.compile_dir(REPO / "autograder", quiet=1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="gradient_basic")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    exercise = exercises.get(args.exercise)
    scratch = Path(tempfile.mkdtemp(prefix="gdlab-bench-"))
    env = {**os.environ, "GDLAB_HOME": str(scratch / "home")}
    labs = {
        "solved": answered(exercise),
        f"mistake ({exercise.mistakes[0].name})": answered(exercise, exercise.mistakes[0].edits),
    }
    load = os.getloadavg()[0]
    print(
        f"{args.exercise}: median wall time of {args.repeat} interleaved runs each, "
        f"{os.cpu_count()} cores, load {load:.1f}, Python {sys.version.split()[0]}"
    )
    for label, text in labs.items():
        folder = scratch / label.split()[0]
        folder.mkdir()
        lab = folder / exercise.notebook
        lab.write_text(text, encoding="utf-8")
        commands = {
            "nbgrader validate": [sys.executable, "-m", "nbgrader", "validate", str(lab)],
            "gdlab run (TEST RUN)": [
                sys.executable,
                "-m",
                "autograder",
                "run",
                exercise.id,
                str(lab),
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        codes: dict[str, set[int]] = {name: set() for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                seconds, cpu, code = timed(command, folder, env)
                times[name].append(seconds)
                cpus[name].append(cpu)
                codes[name].add(code)
        medians = {name: statistics.median(values) for name, values in times.items()}
        nbgrader, gdlab = medians.values()
        print(f"  {label}:")
        for name, seconds in medians.items():
            cpu = statistics.median(cpus[name])
            print(
                f"    {name:22} {seconds * 1000:7.0f} ms, CPU {cpu * 1000:6.0f} ms  "
                f"(exit {sorted(codes[name])})"
            )
        print(f"    gdlab is {nbgrader / gdlab:.1f}x faster")


if __name__ == "__main__":
    main()
