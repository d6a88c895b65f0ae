"""The `gdlab` process's first lines: start the sandbox worker, then load the command.

A TEST RUN waits for its worker's boot (numpy, the confinement probe: ~0.15 s), so the worker
should start as early as the process can: before the command module's own imports (argparse,
logging, the parser and the console: ~30 ms) and before the arguments are parsed. Here only
`sys` and `run/boot.py` (standard library, a few ms) are loaded first; when the command line's
first word names a command that grades here (`run`, `submit`), the worker starts, and the
command proper (`cli.entry`) then parses, checks the mode and takes that worker when it opens
its sandbox. A command that turns out not to need it (a usage error, an unknown exercise)
ends with the worker killed unused (`boot.discard`, in `cli.main`), as before. Where a course
server may grade instead (`--server`, GDLAB_SERVER, or the client's `server.toml`, looked up
as `mode.config_file` does), nothing is started here: the command starts its worker itself
if it grades here after all, as it did before. Sniffing only: a wrong guess costs a killed
process or the old start, never a grade.
"""

from __future__ import annotations

import os
import sys

#: Commands whose worker is started before their arguments are parsed. (`grade` starts its
#: workers itself once `--workers` is read: its own startup is long enough to cover theirs.)
EARLY = frozenset({"run", "submit"})
_HELP = frozenset({"-h", "--help"})


def wants_worker(argv: list[str]) -> bool:
    """Does this command line (without the program name) look like a TEST RUN or SUBMIT?"""
    return bool(argv) and argv[0] in EARLY and _HELP.isdisjoint(argv) and not _server(argv)


def _server(argv: list[str]) -> bool:
    """Might a course server take this TEST RUN or SUBMIT? (Standard library only, no pathlib.)"""
    if os.environ.get("GDLAB_SERVER") or any(a.split("=")[0] == "--server" for a in argv):
        return True
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.isfile(os.path.join(base, "gdlab", "server.toml"))


def entry() -> None:
    """The `gdlab` command (`python -m autograder`): the worker first, then `cli.entry`."""
    if wants_worker(sys.argv[1:]):
        from autograder.run import boot

        boot.early()
        try:
            from autograder.commands.cli import entry as command
        except BaseException:  # e.g. Ctrl-C while loading: `cli.main` would have killed it
            boot.discard()
            raise
    else:
        from autograder.commands.cli import entry as command
    command()
