"""How a run of one case ended, as data: the one spelling every stage after the sandbox uses.

The sandbox's wire protocol (`protocol.CHILD_STATUSES`, `protocol.WORKER_STATUSES`) carries the
same words as plain strings, since the child must not depend on more of the grader than it
needs; `RunResult.status` turns them into an `Outcome` as soon as they are read (a test keeps
the two lists equal). An `Outcome` is a `str`, so it compares equal to its wire word and is
stored as it in the gradebook. What a person reads about an outcome is worded in
`report/wording.py`, never here.
"""

from __future__ import annotations

from enum import Enum


class Outcome(str, Enum):
    """How a case ended (a `str` subclass rather than `StrEnum`: gdlab runs on Python 3.10)."""

    #: The program ran to its end.
    FINISHED = "finished"
    #: It called ``sys.exit`` / ``exit``.
    EXITED = "exited"
    #: It stopped with an exception.
    RAISED = "raised"
    #: It does not compile.
    SYNTAX_ERROR = "syntax_error"
    #: Its given block could not be found, so the case's values could not be put in.
    GIVEN_MISSING = "given_missing"
    #: It used up its time and was stopped.
    TIMEOUT = "timeout"
    #: It died or ended without a readable report (a signal, a memory kill, a broken report).
    NO_RESULT = "no_result"
    #: The sandbox failed (the worker stopped answering, or the case could not be confined):
    #: the grader's fault, not the program's.
    SANDBOX_FAILURE = "sandbox_failure"

    def __str__(self) -> str:
        return self.value

    @property
    def ran_through(self) -> bool:
        """The program reached its end, so every value it left is the one it meant."""
        return self is Outcome.FINISHED

    @property
    def stops_grading(self) -> bool:
        """The later cases would only repeat this ending: they are not run (or not graded)."""
        return self in _STOPS


_STOPS = frozenset(
    {
        Outcome.SYNTAX_ERROR,
        Outcome.GIVEN_MISSING,
        Outcome.TIMEOUT,
        Outcome.SANDBOX_FAILURE,
        Outcome.NO_RESULT,
    }
)
