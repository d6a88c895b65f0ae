"""How the report stage words what grading decided in data: one phrase per run `Outcome`.

Every place that tells a person how a program ran (the batch's summary, a feedback page's table
of runs, the course server's view of a hidden case) takes its words from here, so the words
change in one place and no stage decides anything from them. Each phrase reads after "your
program" ("on hidden 2 your program timed out").
"""

from __future__ import annotations

from autograder.run.outcome import Outcome

RUN_WORDS: dict[Outcome, str] = {
    Outcome.FINISHED: "ran to the end",
    Outcome.EXITED: "called exit",
    Outcome.RAISED: "stopped with an error",
    Outcome.SYNTAX_ERROR: "does not compile",
    Outcome.GIVEN_MISSING: "left out the given values",
    Outcome.TIMEOUT: "timed out",
    Outcome.NO_RESULT: "ended before reporting its values",
    Outcome.SANDBOX_FAILURE: "could not be run (a fault of the grader's)",
}


def run_words(status: Outcome | str) -> str:
    """The phrase for a run's outcome (a stored word from an older gdlab: the word itself)."""
    try:
        return RUN_WORDS[Outcome(status)]
    except ValueError:
        return str(status)
