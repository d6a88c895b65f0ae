#!/usr/bin/env bash
# Every benchmark the README's Speed section quotes, one after another (about 8 minutes).
# Run it on a quiet machine: each script prints the load average it saw.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
scripts/setup  # also compiles gdlab's bytecode, as an installed gdlab has it
$py -u bench/run_and_submit.py --repeat 15
$py -u bench/validate_vs_testrun.py --repeat 5
$py -u bench/grade_vs_nbgrader.py --notebooks 60 --scripts 1000 --repeat 3
$py -u bench/server_load.py
$py -u bench/server_worker_cpu.py --jobs 300
$py -u bench/sandbox_cpu.py --jobs 100
$py -u bench/sandbox_overhead.py --repeat 150
$py -u bench/training_speed.py --repeat 3
