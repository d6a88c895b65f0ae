"""Inside a test's sandbox worker, before it probes: take away what a weaker machine lacks.

Imported only by the boot line that tests/adversarial/conftest.py gives its workers. Each mode
makes the real probe see the refusal such a machine would give, so the fallback the sandbox then
picks, and what it reports, are the real ones.
"""

from __future__ import annotations

import os

from autograder.run import confine


def _refused(*args: object) -> None:
    raise PermissionError(1, "Operation not permitted (refused by the test, as on a weaker host)")


def no_pid_namespace() -> None:
    """A kernel or container that allows mount and network namespaces but not PID ones."""
    confine.PidNamespaces.open = classmethod(lambda cls: None)  # type: ignore[method-assign]


def no_namespaces() -> None:
    """A container without CAP_SYS_ADMIN and without user namespaces: unshare is refused."""
    confine.unshare = _refused  # type: ignore[assignment]


def as_grader() -> None:
    """Nothing at all: no namespaces and no uid switch (no CAP_SETUID either)."""
    no_namespaces()
    os.setgroups = _refused  # type: ignore[assignment]


def user_namespace() -> None:
    """What a non-root grader gets: a user namespace that owns the network and mount ones (the
    probe is told we are not root; the uid stays the grader's, here root without capabilities)."""
    no_pid_namespace()
    confine.os.geteuid = lambda: 1000  # type: ignore[attr-defined]


MODES = {
    "no-pid-namespace": no_pid_namespace,
    "no-namespaces": no_namespaces,
    "as-grader": as_grader,
    "user-namespace": user_namespace,
}
