"""What the sandbox costs per case: the reference solution run through the sandbox, wall clock.

Two paths: a one-case job (TEST RUN: fork, namespaces, mounts, uid switch, run, describe,
clean-up, all for one case) and a five-case job (SUBMIT and batch grading: one confined child runs
the published case and four hidden ones). Prints the median per case of each, the median of
running the same program in this process (the floor), and the overhead. Also prints what
confinement the machine allowed, as the figures mean little without it. Not a test: numbers
depend on the machine and its load.

    .venv/bin/python bench/sandbox_overhead.py [--exercise gradient_basic] [--repeat 200]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
from dataclasses import replace

from autograder.judge import reference
from autograder.load import exercise as exercises
from autograder.run.sandbox import Job, Sandbox


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
    """Wall time per case of `job` (which may hold several cases), `repeat` times."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        results = sandbox.run_cases(job)
        times.append((time.perf_counter() - started) / len(results))
        if any(result.status != "finished" for result in results):
            raise SystemExit(f"the reference did not finish in the sandbox: {results}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="gradient_basic")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    exercise = exercises.get(args.exercise)
    cases = exercise.cases(seed=1)
    case = cases[1]  # a hidden case: the given values are injected
    one = Job(
        exercise.reference,
        exercise.script,
        case.given_plain(),
        exercise.quantity_exprs,
        exercise.limits,
    )
    five = replace(one, cases=tuple(c.given_plain() for c in cases))
    with Sandbox() as sandbox:
        print(f"confinement: {sandbox.confinement}")
        sandboxed(sandbox, one, 10)  # warm up: first cases pay for page faults in the worker
        single = statistics.median(sandboxed(sandbox, one, args.repeat))
        shared = statistics.median(sandboxed(sandbox, five, max(1, args.repeat // 5)))
    floor = statistics.median(in_process(exercise.reference, case.given, args.repeat))
    print(f"{args.exercise}, reference solution, median per case:")
    print(f"  one-case job (TEST RUN)         {single * 1000:7.2f} ms per case")
    print(f"  five-case job (SUBMIT, batch)   {shared * 1000:7.2f} ms per case")
    print(f"  in this process (the floor)     {floor * 1000:7.2f} ms per case")


if __name__ == "__main__":
    main()
