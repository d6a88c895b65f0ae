"""How long TEST RUN and SUBMIT take, as a student feels it: whole processes, wall clock.

Prints the median of several runs of each command next to `python -c "import numpy"`, the floor
that any numpy program pays. Not a test: numbers depend on the machine.

    .venv/bin/python bench/run_and_submit.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GDLAB = [sys.executable, "-m", "autograder"]


def wall(command: list[str], repeat: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            command,
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    env = {**os.environ, "GDLAB_HOME": tempfile.mkdtemp(prefix="gdlab-bench-")}
    answer = "solutions/gradient_basic/gradient.py"
    rows = [
        ('python -c "import numpy" (the floor)', [sys.executable, "-c", "import numpy"]),
        ("gdlab run gradient_basic (TEST RUN, 1 case)", [*GDLAB, "run", "gradient_basic", answer]),
        (
            "gdlab submit gradient_basic (SUBMIT, 5 cases)",
            [*GDLAB, "submit", "gradient_basic", answer],
        ),
    ]
    print(
        f"median wall time of {args.repeat} runs, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}"
    )
    for label, command in rows:
        print(f"  {label:48} {wall(command, args.repeat, env) * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
