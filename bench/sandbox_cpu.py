"""Where a SUBMIT's sandbox CPU goes: the reference of an exercise run as five-case jobs.

Runs `--jobs` five-case jobs (what a SUBMIT runs: the published case and four hidden ones)
through one `Sandbox` and prints the CPU per job of: the grader's side (encoding the job,
reading the answers), the sandbox worker (forking, watching, reading every report strictly),
the case processes (confinement and the program; counted when the worker reaps them) and the
kernel's own threads (namespace teardown happens there), with the whole machine's for scale.
CPU time, not wall time: on a shared machine wall time measures the neighbours. Not a test.

    .venv/bin/python bench/sandbox_cpu.py [--exercise gradient_basic] [--jobs 100]
"""

from __future__ import annotations

import argparse
import os
import time

from autograder.load import exercise as exercises
from autograder.run.sandbox import Job, Sandbox

_TICKS = os.sysconf("SC_CLK_TCK")
_KERNEL_THREADS = ("kworker", "ksoftirq", "rcu", "migration", "kcompact", "netns")


def process_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of `pid` itself, and of the children it has reaped."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    own, reaped = fields[11:13], fields[13:15]
    return sum(int(f) for f in own) / _TICKS, sum(int(f) for f in reaped) / _TICKS


def kernel_threads_cpu() -> float:
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        if text[text.index("(") + 1 : text.rindex(")")].startswith(_KERNEL_THREADS):
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


def machine_cpu() -> float:
    with open("/proc/stat") as stat:
        numbers = [int(x) for x in stat.readline().split()[1:]]
    return (sum(numbers) - numbers[3] - numbers[4]) / _TICKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="gradient_basic")
    parser.add_argument("--jobs", type=int, default=100)
    args = parser.parse_args()
    exercise = exercises.get(args.exercise)
    cases = exercise.cases(seed=1)
    job = Job(
        exercise.reference,
        exercise.script,
        None,
        exercise.quantity_exprs,
        exercise.limits,
        cases=tuple(case.given_plain(exercise.given_keys) for case in cases),
        files=tuple(str(exercise.folder / f) for f in exercise.files),
        trace=exercise.points,
    )
    with Sandbox() as sandbox:
        print(f"confinement: {sandbox.confinement}; load average {os.getloadavg()[0]:.1f}")
        assert sandbox.pid is not None
        for _ in range(10):  # warm up (not measured)
            sandbox.run_cases(job)
        worker, grader = process_cpu(sandbox.pid), os.times()
        kernel, machine, started = kernel_threads_cpu(), machine_cpu(), time.perf_counter()
        for _ in range(args.jobs):
            results = sandbox.run_cases(job)
            if any(result.status != "finished" for result in results):
                raise SystemExit(f"the reference did not finish in the sandbox: {results}")
        worker_after, grader_after = process_cpu(sandbox.pid), os.times()
        figures = {
            "grader": grader_after.user + grader_after.system - grader.user - grader.system,
            "sandbox worker": worker_after[0] - worker[0],
            "case processes": worker_after[1] - worker[1],
            "kernel threads": kernel_threads_cpu() - kernel,
        }
        machine = machine_cpu() - machine
        wall = time.perf_counter() - started
    per_job = {name: seconds / args.jobs * 1000 for name, seconds in figures.items()}
    print(
        f"{args.exercise}, five-case jobs, CPU ms per job: "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in per_job.items())
        + f"; total {sum(per_job.values()):.1f} (whole machine {machine / args.jobs * 1000:.1f}, "
        f"wall {wall / args.jobs * 1000:.1f})"
    )


if __name__ == "__main__":
    main()
