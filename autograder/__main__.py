"""`python -m autograder …` is the `gdlab` command."""

from autograder.commands.cli import entry

entry()
