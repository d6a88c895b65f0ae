"""Training exercises: a wrong answer as fast as a right one, and TEST RUN near the bare program.

Whole processes, wall clock, median of several runs (the published-values cache warm, as on any
machine after the first run):

* SUBMIT of `backprop` with one catalogued mistake against the right answer (goal: ≤ 1.5×);
* TEST RUN of `gradient`, `backprop` and `relu_network` against running the same answer alone
  with ``python`` beside its given files (goal: ≤ 1.3×); the run traces the steps of the first
  epoch and the loss curve over the whole training;
* the cost of the trace rewrite itself: the published training, in this process, as written
  and instrumented (line tracing with ``sys.settrace`` for comparison, once).

    .venv/bin/python bench/training_speed.py [--repeat 5] [--trace-only]
"""

from __future__ import annotations

import argparse
import ast
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
GDLAB = [sys.executable, "-m", "autograder"]


def interleaved(
    commands: dict[str, list[str]], repeat: int, env: dict[str, str], cwd: Path = REPO
) -> dict[str, float]:
    """Median wall time of each command, run in turns so that a shared machine's changing load
    weighs on all of them alike (the ratios are the point)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(
                command,
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def answers(folder: Path) -> dict[str, Path]:
    """The right backprop answer and one with the hidden layer's derivative missing."""
    from autograder.load import exercise as exercises

    backprop = exercises.get("backprop")
    mistake = next(m for m in backprop.mistakes if m.name == "hidden derivative missing")
    right, wrong = folder / "right.py", folder / "wrong.py"
    right.write_text(backprop.reference, encoding="utf-8")
    wrong.write_text(mistake.apply(backprop.reference), encoding="utf-8")
    return {"right": right, "wrong": wrong}


def in_process(exercise_id: str) -> dict[str, float]:
    """The published training in this process, in CPU seconds (a shared machine's load weighs
    less on them than on wall time): as written, instrumented with the step points only, with
    the loss curve's point too, and line-traced."""
    from autograder.judge.reference import quiet_namespace
    from autograder.load import exercise as exercises
    from autograder.load.program import GIVEN_NAME, inject_given
    from autograder.run import trace

    exercise = exercises.get(exercise_id)
    given = exercise.published_case().given
    assert given is not None
    steps = [p for p in exercise.points if p.curve is None]
    timings = {}
    for how, points in (
        ("as written", []),
        ("steps traced", steps),
        ("steps and curve traced", list(exercise.points)),
        ("line tracing", []),
    ):
        tree = inject_given(ast.parse(exercise.reference), list(given))
        tree = trace.instrument(tree, points)
        namespace = quiet_namespace()
        namespace[GIVEN_NAME] = given
        trace.Recorder(points, trace.live_copy).install(namespace)
        code = compile(tree, "<bench>", "exec")
        started = time.process_time()
        if how == "line tracing":
            sys.settrace(_every_line)
        try:
            exec(code, namespace)
        finally:
            sys.settrace(None)
        timings[how] = time.process_time() - started
    return timings


def _every_line(frame: object, event: str, arg: object) -> object:
    """The cheapest line tracer: it looks at nothing, but sees every line of every frame."""
    return _every_line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--trace-only", action="store_true", help="only the trace's own cost, in-process"
    )
    args = parser.parse_args()
    env = {
        **os.environ,
        "GDLAB_HOME": tempfile.mkdtemp(prefix="gdlab-bench-"),
        "GDLAB_CACHE": tempfile.mkdtemp(prefix="gdlab-bench-cache-"),
    }
    folder = Path(tempfile.mkdtemp(prefix="gdlab-bench-answers-"))
    files = answers(folder)
    if args.trace_only:
        for exercise_id in ("gradient", "backprop", "relu_network"):
            runs = [in_process(exercise_id) for _ in range(args.repeat)]
            print(
                f"  {exercise_id:12} training in-process, CPU median of {args.repeat}: "
                + ", ".join(
                    f"{how} {statistics.median(r[how] for r in runs):.2f} s" for how in runs[0]
                )
            )
        return
    print(
        f"median wall time of {args.repeat} runs, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}"
    )
    submit = {kind: [*GDLAB, "submit", "backprop", str(path)] for kind, path in files.items()}
    interleaved({"warm": submit["right"]}, 1, env)  # the published values' cache
    took = interleaved(submit, args.repeat, env)
    print(f"  SUBMIT backprop, right answer        {took['right']:6.2f} s")
    print(
        f"  SUBMIT backprop, hidden derivative   {took['wrong']:6.2f} s   "
        f"({took['wrong'] / took['right']:.2f}× the right answer)"
    )
    from autograder.load import exercise as exercises

    for exercise_id in ("gradient", "backprop", "relu_network"):
        exercise = exercises.get(exercise_id)
        script = exercise.script
        solved = REPO / "solutions" / exercise_id
        folder = Path(tempfile.mkdtemp(prefix="gdlab-bench-alone-"))
        for name in (script, *exercise.files):
            shutil.copy(solved / name, folder / name)
        took = interleaved(
            {"alone": [sys.executable, script], "run": [*GDLAB, "run", exercise_id, script]},
            args.repeat,
            env,
            cwd=folder,
        )
        print(
            f"  {exercise_id:8} program alone {took['alone']:6.2f} s, TEST RUN {took['run']:6.2f} s"
            f"   ({took['run'] / took['alone']:.2f}×)"
        )
    for exercise_id in ("gradient", "backprop", "relu_network"):
        timings = in_process(exercise_id)
        print(
            f"  {exercise_id:8} training in-process, CPU: "
            + ", ".join(f"{how} {seconds:.2f} s" for how, seconds in timings.items())
        )


if __name__ == "__main__":
    main()
