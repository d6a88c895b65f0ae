"""Where a course-server SUBMIT's CPU goes, without the web or the load generator.

Queues `--jobs` SUBMITs of varied `gradient_basic` files (the same variants as
`server_load.py`: right answers and every catalogued mistake, no two alike) in a fresh SQLite
gradebook, then grades them in this process exactly as a server worker does (`worker.drain`)
and prints the CPU per SUBMIT of: this process (the judge: references, comparisons, diagnosis,
and the gradebook writes), the sandbox worker, and the case processes. CPU time, not wall time:
on a shared machine wall time measures the neighbours. ``--profile FILE`` writes a cProfile of
this process's part. Not a test.

    .venv/bin/python bench/server_worker_cpu.py [--jobs 300] [--profile judge.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from sandbox_cpu import process_cpu  # noqa: E402
from server_load import variants  # noqa: E402

from autograder.judge.checks import new_seed  # noqa: E402
from autograder.judge.grader import Grader  # noqa: E402
from autograder.load import submission  # noqa: E402
from autograder.record.gradebook import Gradebook  # noqa: E402
from autograder.server.store import Store  # noqa: E402
from autograder.server.worker import drain  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--profile", help="write a cProfile of the judge's side here")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="gdlab-worker-cpu-")
    os.environ["GDLAB_HOME"] = home
    url = f"sqlite:///{home}/gradebook.db"
    codes = variants(args.jobs + 20)
    with Gradebook(url) as book, Grader() as grader:
        store = Store(book)

        def queue(batch: list[str]) -> None:
            for i, code in enumerate(batch):
                program = submission.from_content(Path("gradient.py"), code.encode())
                store.enqueue_submit(f"s{i % 50}", "gradient_basic", program, new_seed(), 0)

        queue(codes[:20])
        drain(store, grader, "bench")  # warm up: the sandbox boots, the exercise loads
        queue(codes[20:])
        sandbox = grader._idle[0].pid
        assert sandbox is not None
        worker_before, mine_before = process_cpu(sandbox), os.times()
        started = time.perf_counter()
        profile = cProfile.Profile() if args.profile else None
        if profile:
            profile.enable()
        graded = drain(store, grader, "bench")
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
        wall = time.perf_counter() - started
        worker_after, mine_after = process_cpu(sandbox), os.times()
    judge = (mine_after.user + mine_after.system - mine_before.user - mine_before.system) / graded
    own = (worker_after[0] - worker_before[0]) / graded
    cases = (worker_after[1] - worker_before[1]) / graded
    print(
        f"{graded} SUBMITs in {wall:.1f} s wall; CPU ms per SUBMIT: judge {judge * 1000:.1f}, "
        f"sandbox worker {own * 1000:.1f}, case processes {cases * 1000:.1f}, "
        f"total {(judge + own + cases) * 1000:.1f}; load average {os.getloadavg()[0]:.1f}"
        + (" (profiled: the judge's figure includes cProfile's overhead)" if profile else "")
    )


if __name__ == "__main__":
    main()
