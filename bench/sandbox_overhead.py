"""What the sandbox costs per case: the reference solution run through `Sandbox.run`, wall clock.

Prints the median per-case time through the sandbox (fork, namespaces, mounts, uid switch, run,
describe, clean-up), the median of running the same program in this process (the floor), and the
difference, which is the sandbox's overhead. Also prints what confinement the machine allowed, as
the figures mean little without it. Not a test: numbers depend on the machine and its load.

    .venv/bin/python bench/sandbox_overhead.py [--exercise gradient_basic] [--repeat 200]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time

from autograder import exercise as exercises
from autograder import reference
from autograder.sandbox import Job, Sandbox


def in_process(source: str, given: dict | None, repeat: int) -> list[float]:
    """The floor: the same program, compiled and run here, as the grader runs its reference."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            reference.run(source, given)
        times.append(time.perf_counter() - started)
    return times


def sandboxed(sandbox: Sandbox, job: Job, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = sandbox.run(job)
        times.append(time.perf_counter() - started)
        if result.status != "finished":
            raise SystemExit(f"the reference did not finish in the sandbox: {result}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="gradient_basic")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    exercise = exercises.get(args.exercise)
    case = exercise.cases(seed=1)[1]  # a hidden case: the given values are injected
    job = Job(exercise.reference, exercise.script, case.given_plain(), exercise.quantity_exprs,
              exercise.limits)
    with Sandbox() as sandbox:
        print(f"confinement: {sandbox.confinement}")
        sandboxed(sandbox, job, 10)  # warm up: first cases pay for page faults in the worker
        through = statistics.median(sandboxed(sandbox, job, args.repeat))
    floor = statistics.median(in_process(exercise.reference, case.given, args.repeat))
    print(f"{args.exercise}, reference solution, median of {args.repeat} cases:")
    print(f"  through the sandbox  {through * 1000:7.2f} ms per case")
    print(f"  in this process      {floor * 1000:7.2f} ms per case")
    print(f"  sandbox overhead     {(through - floor) * 1000:7.2f} ms per case")


if __name__ == "__main__":
    main()
