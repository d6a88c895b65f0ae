"""How a run went wrong, in one sentence for the student (`CaseRun.problem`), and the hint that a
crash on a hidden case comes from a size typed in.

The sentence is decided from the run's `Outcome` and the error the sandbox read back; nothing
later decides anything from it (they read `CaseRun.status` and `Check.reason`).
"""

from __future__ import annotations

from autograder.load.submission import Program
from autograder.run.outcome import Outcome
from autograder.run.protocol import STRETCH, UNREADABLE
from autograder.run.sandbox import RunResult

#: Words of numpy's errors about sizes: a hidden case with other sizes hits them first.
_SIZE_WORDS = ("shape", "size", "aligned", "broadcast", "out of bounds", "dimension")
SIZE_HINT = (
    "the published case ran, and this case has other sizes: is a size typed in (4 "
    "instead of len(x) or x.shape) rather than read from the given values?"
)


def problem(run: RunResult, program: Program, time_limit: float) -> str | None:
    """One sentence on how the run went wrong, or None when it finished normally."""
    error = run.error or {}
    where = program.where(error.get("line"))
    kind, message = error.get("type", ""), error.get("message", "")
    match run.status:
        case Outcome.FINISHED:
            return None
        case Outcome.SYNTAX_ERROR:
            return f"your file does not compile ({kind} at {where}: {message})"
        case Outcome.GIVEN_MISSING:
            return str(message)
        case Outcome.TIMEOUT if any(run.trace.values()):  # its loop was seen: slow, not stuck
            return (
                f"your program was too slow: it did not finish within {time_limit:g} s of "
                f"computing (or {time_limit * STRETCH:g} s in all, on a busy machine) and was "
                "stopped; the steps of its loop seen before that are graded, the end of "
                f"training was not reached{_slow_hint(program.source)}"
            )
        case Outcome.TIMEOUT:
            return (
                f"your program did not finish within {time_limit:g} s of computing (or "
                f"{time_limit * STRETCH:g} s in all, on a busy machine) and was stopped "
                "(an endless loop? too many iterations?)"
            )
        case Outcome.RAISED if kind == "NotImplementedError":  # a lab's untouched answer cell
            return (
                f"not done yet: {where} still raises NotImplementedError (write your answer there)"
            )
        case Outcome.RAISED:
            return f"your program stopped at {where} with {kind}{': ' if message else ''}{message}"
        case Outcome.EXITED:
            return f"your program called {message} at {where}"
        case Outcome.NO_RESULT:
            return _ended_early(run.exit)
        case _:
            return "the sandbox failed while running your program; please submit again"


#: pandas' ways of taking one record at a time: each call builds a new Series (~100 µs),
#: which a loop over every record of every epoch pays hundreds of thousands of times.
_SLOW_PANDAS = (".iterrows(", ".iloc[", ".itertuples(", ".loc[")


def _slow_hint(source: str) -> str:
    """Why, where the file says it: a record taken from pandas inside the training loop."""
    found = [way.strip(".([") for way in _SLOW_PANDAS if way in source]
    if not found:
        return ""
    return (
        f" (taking each record from pandas with {' and '.join(found)} is slow: loop over "
        "the numbers instead, zip(features.values, targets))"
    )


def _ended_early(exit_text: str | None) -> str:
    if exit_text == UNREADABLE:
        return "your program's result could not be read (it broke the report's format or size)"
    signals = {
        "SIGSEGV": "crashed (a segmentation fault or an abort)",
        "SIGXCPU": "used up its CPU time",
        "SIGABRT": "aborted",
        "SIGKILL": "was killed (memory or process limit)",
    }
    if exit_text in signals:
        return f"your program {signals[exit_text]}"
    return (
        f"your program ended before it could report its values ({exit_text}): did it call "
        "os._exit() or close its own files?"
    )


def size_crash(run: RunResult, published: RunResult) -> bool:
    """A crash about sizes on a case the published one survived: a size typed in?

    The error's own words are numpy's, not ours: reading them is diagnosis of the program."""
    error = run.error or {}
    return (
        run.status is Outcome.RAISED
        and published.status is Outcome.FINISHED
        and error.get("type") in ("ValueError", "IndexError")
        and any(w in str(error.get("message", "")) for w in _SIZE_WORDS)
    )


def published_shaped(expected: dict, run: RunResult, published_expected: dict) -> set[str]:
    """Quantities that arrived with the published case's shape where this case's differs."""
    return {
        name
        for name, value in run.values.items()
        if name in expected
        and value.kind == "real"
        and value.shape is not None
        and value.shape == published_expected[name].shape != expected[name].shape
    }
