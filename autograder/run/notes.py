"""What the sandbox tells people about itself: administrators what this machine lacks, students
that their program runs unconfined. Each once per process.

Administrators' notes go to the ``gdlab.sandbox`` logger at INFO level: `gdlab grade` shows them
to the instructor grading a class, a student's TEST RUN does not. The one thing a student needs to
know, that a program runs unconfined (no Linux namespaces: a Mac, Windows, a container refusing
them), is said once on stderr.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

log = logging.getLogger("gdlab.sandbox")
_warned: set[str] = set()
_said_unconfined = False


def warn_missing(confinement: dict[str, Any]) -> None:
    """Note once per process, for administrators, what this machine's sandbox lacks. Logged at
    INFO on ``gdlab.sandbox``: the instructor commands show it, a student's TEST RUN does not
    (what matters to a student is said by `say_unconfined`)."""
    missing = []
    if not confinement.get("network_isolated"):
        missing.append("no network namespace: submissions can open network connections")
    if not confinement.get("paths_hidden"):
        missing.append(
            "no mount namespace: submissions can read whatever their uid can read "
            "(the references included, unless their file permissions forbid it)"
        )
    if not confinement.get("pid_namespace"):
        missing.append("no PID namespace: a submission's processes are found by a /proc sweep")
    if not confinement.get("stdlib_readable", True):
        missing.append(
            "the cases' uid cannot read Python's standard library here: submissions "
            "can import only what the worker preloaded (install Python where other "
            "users can read it, or allow mount namespaces)"
        )
    if confinement.get("uid") == _own_uid():
        missing.append(
            "submissions run as the grader's own user (run the grader as root in a "
            "container to give them an unprivileged one)"
        )
    for message in missing:
        if message not in _warned:
            _warned.add(message)
            log.info("sandbox: %s", message)


def say_unconfined(confinement: dict[str, Any]) -> None:
    """Once per process, on stderr: the program runs unconfined (no namespaces here)."""
    global _said_unconfined
    if _said_unconfined or confinement.get("paths_hidden") or confinement.get("network_isolated"):
        return
    _said_unconfined = True
    print(
        "gdlab: note: programs run unconfined on this machine (no Linux namespaces): a "
        "program can read and change your files like any program you start",
        file=sys.stderr,
    )


def _own_uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else -1
