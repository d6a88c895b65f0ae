"""One base class for every error a user can cause and fix: the CLI prints it in one line.

Anything else that escapes is a bug in gdlab, reported as such (never as a student's fault).
"""


class UserError(Exception):
    """Bad input, said in one line (exit status 2)."""
