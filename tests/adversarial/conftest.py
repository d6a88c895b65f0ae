"""Run the adversarial suite against a deliberately weaker sandbox, to check graceful degradation.

    GDLAB_TEST_SANDBOX=no-pid-namespace|no-namespaces|as-grader .venv/bin/pytest tests/adversarial

simulates a machine without PID namespaces, without any namespace (uid switch only), or where
nothing is possible (cases run as the grader's uid with no namespaces). Only the test's own
workers are weakened (weaken.py, run in the worker before it probes); the sandbox has no switch
for this.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from autograder.run import sandbox
from tests.adversarial.weaken import MODES


@pytest.fixture(scope="module", autouse=True)
def weaker_sandbox() -> Iterator[None]:
    mode = os.environ.get("GDLAB_TEST_SANDBOX", "")
    if not mode:
        yield
        return
    if mode not in MODES:
        raise pytest.UsageError(f"GDLAB_TEST_SANDBOX must be one of {sorted(MODES)}")
    original = sandbox._BOOT
    sandbox._BOOT = (
        "import sys; sys.path.insert(0, {root!r}); "
        f"from tests.adversarial.weaken import MODES; MODES[{mode!r}](); "
        "from autograder.run.worker import main; main()"
    )
    yield
    sandbox._BOOT = original
