"""`python -m autograder …` is the `gdlab` command (its worker started first: `start.py`)."""

from autograder.commands.start import entry

entry()
