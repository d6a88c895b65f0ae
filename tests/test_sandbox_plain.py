"""Where Linux namespaces are missing (a Mac, Windows, a container refusing them), TEST RUN and
a self-study SUBMIT still work, in a plain subprocess, and say once that the program is not
confined. GDLAB_SANDBOX=plain forces that path here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from autograder.run.sandbox import Job, Limits, Sandbox
from tests.helpers import REPO

ADA = REPO / "examples" / "gradient_basic" / "ada_correct.py"
NOTE = "programs run unconfined on this machine"


FORGE = """
import os
for fd in range(3, 10):  # whichever is the report channel gets a report off the schema
    try:
        os.write(fd, b'{"status": "finished", "values": {"h": {"kind": "real"}}}\\n')
    except OSError:
        pass
h = 1.0
"""


def gdlab(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GDLAB_SANDBOX": "plain", "GDLAB_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_test_run_and_submit_work_unconfined_and_say_so_once(tmp_path):
    run = gdlab("run", "gradient_basic", str(ADA), home=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "5 of 5 visible checks pass" in run.stdout
    assert run.stderr.count(NOTE) == 1
    submit = gdlab("submit", "gradient_basic", str(ADA), "--json", home=tmp_path)
    assert submit.returncode == 0, submit.stderr
    grade = json.loads(submit.stdout)
    assert grade["score"] == grade["max_score"] == 100
    assert submit.stderr.count(NOTE) == 1
    assert "sandbox:" not in submit.stderr  # administrators' notes are not a student's business


def test_the_plain_path_keeps_its_limits_and_reads_reports_strictly(monkeypatch):
    monkeypatch.setenv("GDLAB_SANDBOX", "plain")
    with Sandbox() as plain:
        assert plain.confinement["confined"] is False
        slow = plain.run(
            Job("import time\ntime.sleep(30)\n", "slow.py", None, {}, Limits(time=0.5))
        )
        forged = plain.run(Job(FORGE, "forge.py", None, {"h": "h"}))
        fine = plain.run(Job("h = 0.5\nprint('hi')\n", "fine.py", None, {"h": "h"}))
    assert slow.status == "timeout"
    assert fine.status == "finished" and fine.output == "hi\n"
    assert fine.values["h"].array is not None and float(fine.values["h"].array) == 0.5
    assert (forged.status, forged.exit) == ("no_result", "unreadable")
    assert forged.values["h"].kind == "missing"
