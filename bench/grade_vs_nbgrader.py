"""Grade one class with `gdlab grade` and with `nbgrader autograde`, and compare.

Builds N varied notebook submissions of gradient_basic (right, every catalogued mistake, crashes,
untouched, partly done), grades them both ways in one run, checks that both give the same
scores, and prints the wall time per submission of each, the ratio, and the peak memory of each
command's whole process tree (in runs of their own, not the timed ones): the sum of its
processes' PSS (proportional set size), sampled, so that pages a forked child shares with its
parent count once, not once per process as summed RSS would. Then times `gdlab grade` on 1,000
and 10,000 `.py` submissions. Not a test: the numbers depend on the machine.

    .venv/bin/python bench/grade_vs_nbgrader.py [--notebooks 100] [--scripts 1000 10000]
        [--repeat 3]

The issue's measure: ``--notebooks 60 --scripts`` (no script runs). gdlab's figure is the median
of `--repeat` runs, half before nbgrader's run and half after; the load average is printed at
the start and the end (on a shared machine, report it with the figures).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.commands.build import solved  # noqa: E402
from autograder.load import exercise as exercises  # noqa: E402

EXERCISE = "gradient_basic"


def variants(exercise: exercises.Exercise) -> list[dict[str, str]]:
    """Edits of the solved cells that make different kinds of answers."""
    first, third = exercise.quantities[0].name, exercise.quantities[2].name
    kinds: list[dict[str, str]] = [{}]
    kinds += [dict(m.edits) for m in exercise.mistakes]
    kinds += [
        {f"{third} =": f"{third} = undefined_name +"},
        {f"{first} =": f"{first} = ("},
        {"np.dot(x, w)": "(x * w).sum()"},
        {"sigmoid(h)": "1 / (1 + np.exp(-h))"},
    ]
    return kinds


def notebook_for(exercise: exercises.Exercise, edits: dict[str, str] | None) -> dict:
    release = json.loads((REPO / "release" / EXERCISE / exercise.notebook).read_text())
    if edits is None:
        return release
    source = {
        c["id"]: c
        for c in json.loads((REPO / "source" / EXERCISE / exercise.notebook).read_text())["cells"]
    }
    for cell in release["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            text = solved("".join(source[cell["id"]]["source"]))
            for old, new in edits.items():
                text = text.replace(old, new)
            cell["source"] = text
    return release


class PeakMemory:
    """Sum of PSS over a process and all its descendants, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _tree_rss(root: int) -> int:
    """PSS of `root` and its descendants, in bytes."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError):
            continue
    total = 0
    for pid in parents:
        walker = pid
        while walker and walker != root:
            walker = parents.get(walker, 0)
        if walker == root:
            total += _pss(pid)
    return total


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


#: CPU seconds (user + sys) of the last `timed` command's process tree (its waited processes).
LAST_CPU = [0.0]


def timed(
    command: list[str], cwd: Path, env: dict[str, str], sample: bool = False
) -> tuple[float, int, str]:
    """Wall time, peak memory (with `sample` only: 0 otherwise) and output of `command`.

    The memory sampler reads /proc every 20 ms; on two cores that a CPU-bound command keeps
    busy it costs the command time (measured: +10% on gdlab's 1.5 s batch, little on
    nbgrader's, which leaves a core idle most of the time), so the timed runs go unsampled
    and the peaks come from runs of their own."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    memory = PeakMemory(process.pid) if sample else None
    output, _ = process.communicate()
    peak = memory.stop() if memory else 0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-2000:]}")
    return time.perf_counter() - started, peak, output


def compare_with_nbgrader(count: int, workdir: Path, env: dict[str, str], repeat: int) -> None:
    exercise = exercises.get(EXERCISE)
    course = workdir / "course"
    shutil.copytree(
        REPO / "source" / EXERCISE,
        course / "source" / EXERCISE,
        ignore=shutil.ignore_patterns("*.py", "*.toml"),
    )
    shutil.copy(REPO / "nbgrader_config.py", course)  # gdlab's scores, outside the kernel
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run(
        [*nbgrader, "generate_assignment", EXERCISE, "--force"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )
    kinds = variants(exercise)
    for number in range(count):
        edits = None if number % len(kinds) == len(kinds) - 1 else kinds[number % len(kinds)]
        folder = course / "submitted" / f"student{number:03d}" / EXERCISE
        folder.mkdir(parents=True)
        (folder / exercise.notebook).write_text(json.dumps(notebook_for(exercise, edits)))

    from autograder.record.gradebook import Gradebook as GdlabBook

    home = Path(env["GDLAB_HOME"])
    with GdlabBook(f"sqlite:///{home / 'gradebook.db'}") as book:
        book.class_seed(EXERCISE)  # the class's secret: nbgrader's run and gdlab's share it

    def gdlab(run: int | str, sample: bool = False) -> tuple[float, int]:
        """One `gdlab grade` of the class into a copy of the empty gradebook (same seed)."""
        own = workdir / f"gdlab-home-{run}"
        shutil.copytree(home, own)
        seconds, peak, _ = timed(
            [sys.executable, "-m", "autograder", "grade", str(course), "--out", str(csv)],
            course,
            {**env, "GDLAB_HOME": str(own)},
            sample,
        )
        if sample:
            return seconds, peak
        load = os.getloadavg()[0]
        print(
            f"  (gdlab grade run {run + 1}: {seconds:.2f} s, CPU {LAST_CPU[0]:.2f} s, "
            f"load {load:.1f})",
            flush=True,
        )
        return seconds, peak

    csv = workdir / "gdlab.csv"
    # gdlab's runs on both sides of nbgrader's, so a machine whose load changes slows both alike
    gd_runs = [gdlab(run) for run in range(repeat // 2)]
    nb_seconds, _, _ = timed([*nbgrader, "autograde", EXERCISE, "--force"], course, env)
    print(
        f"  (nbgrader autograde: {nb_seconds:.1f} s, CPU {LAST_CPU[0]:.1f} s, "
        f"load {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    gd_runs += [gdlab(run) for run in range(repeat // 2, repeat)]
    gd_seconds = statistics.median(seconds for seconds, _ in gd_runs)
    # the peaks, from sampled runs of their own: gdlab's whole class again, nbgrader's first
    # student (one kernel at a time: its peak does not grow with the class)
    _, gd_peak = gdlab("memory", sample=True)
    _, nb_peak, _ = timed(
        [*nbgrader, "autograde", EXERCISE, "--force", "--student", "student000"],
        course,
        env,
        sample=True,
    )

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        nb_scores = {s.id: book.find_submission(EXERCISE, s.id).score for s in book.students}
    rows = (workdir / "gdlab.csv").read_text().splitlines()[1:]
    gd_scores = {r.split(",")[0]: float(r.split(",")[2]) for r in rows}
    same = (
        all(abs(nb_scores[s] - gd_scores[s]) < 1e-6 for s in nb_scores)
        and nb_scores.keys() == gd_scores.keys()
    )
    print(
        f"{count} notebook submissions of {EXERCISE} ({len(set(gd_scores.values()))} "
        f"different scores); same scores from both: {'yes' if same else 'NO'}"
    )
    for label, seconds, peak in (
        ("nbgrader autograde", nb_seconds, nb_peak),
        (f"gdlab grade (median of {repeat})", gd_seconds, gd_peak),
    ):
        print(
            f"  {label:18}  {seconds:7.1f} s  {seconds / count * 1000:8.1f} ms/submission"
            f"  peak {peak / 2**20:5.0f} MB"
        )
    print(f"  gdlab runs: {', '.join(f'{seconds:.2f} s' for seconds, _ in gd_runs)}")
    print(f"  gdlab is {nb_seconds / gd_seconds:.0f}x faster per submission")
    if not same:
        raise SystemExit("scores differ")


def scripts(count: int, workdir: Path, env: dict[str, str]) -> None:
    exercise = exercises.get(EXERCISE)
    folder = workdir / f"scripts{count}"
    folder.mkdir()
    kinds = variants(exercise)[:-2]  # the quiz script has no cells to break the same way
    rng = random.Random(count)
    for number in range(count):
        text = exercise.reference
        for old, new in rng.choice(kinds).items():
            text = text.replace(old, new)
        (folder / f"s{number:05d}.py").write_text(text)
    seconds, peak, _ = timed(
        [sys.executable, "-m", "autograder", "grade", str(folder), "--exercise", EXERCISE],
        workdir,
        {**env, "GDLAB_HOME": str(workdir / f"home{count}")},
        sample=True,  # one run: its time is reported alone, sampler included
    )
    print(
        f"{count:6d} .py submissions: {seconds:7.1f} s, {seconds / count * 1000:6.1f} "
        f"ms/submission, peak {peak / 2**20:.0f} MB"
    )


def main() -> None:
    # gdlab's bytecode, as an installed gdlab has it (PYTHONDONTWRITEBYTECODE would leave each
    # run compiling every module from source)
    compileall.compile_dir(REPO / "autograder", quiet=1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=100)
    parser.add_argument("--scripts", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument(
        "--repeat", type=int, default=3, help="gdlab grade runs around nbgrader's (median)"
    )
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
        f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min) at the start"
    )
    with tempfile.TemporaryDirectory(prefix="gdlab-bench-") as scratch:
        workdir = Path(scratch)
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        env = {**os.environ, "GDLAB_HOME": str(workdir / "home"), "PATH": path}
        if args.notebooks:
            compare_with_nbgrader(args.notebooks, workdir, env, max(1, args.repeat))
        for count in args.scripts:
            scripts(count, workdir, env)
    print(f"load average at the end: {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
