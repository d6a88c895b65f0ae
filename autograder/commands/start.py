"""The `gdlab` process's first lines: start the sandbox worker, then load the command.

A TEST RUN waits for its worker's boot (numpy, the confinement probe: ~0.15 s), so the worker
should start as early as the process can: before the command module's own imports (argparse,
logging, the parser and the console: ~30 ms) and before the arguments are parsed. Here only
`sys` and `run/boot.py` (standard library, a few ms) are loaded first; when the command line's
first word names a command that grades here (`run`, `submit`; `grade`, with as many workers as
its `--workers` asks), the worker starts, and the command proper (`cli.entry`) then parses,
checks the mode and takes that worker when it opens its sandbox. A command that turns out
not to need it (a usage error, an unknown exercise) ends with the worker killed unused
(`boot.discard`, in `cli.main`), as before. Where a course server may grade instead
(`--server`, GDLAB_SERVER, or the client's `server.toml`, looked up as `mode.config_file`
does), nothing is started here: the command starts its worker itself if it grades here after
all, as it did before. Sniffing only: a wrong guess costs a killed process or the old start,
never a grade.
"""

from __future__ import annotations

import os
import sys

#: Commands whose worker is started before their arguments are parsed (`grade`'s workers
#: too, as many as its `--workers` asks: `workers_wanted`).
EARLY = frozenset({"run", "submit"})
_HELP = frozenset({"-h", "--help"})


def wants_worker(argv: list[str]) -> bool:
    """Does this command line (without the program name) look like a TEST RUN or SUBMIT?"""
    return bool(argv) and argv[0] in EARLY and _HELP.isdisjoint(argv) and not _server(argv)


def workers_wanted(argv: list[str]) -> int:
    """How many sandbox workers this command line will want, started before its arguments are
    parsed: one for a TEST RUN or SUBMIT graded here; for `grade`, as many as ``--workers``
    says (one per core unless it says), since a batch's first job waits for its workers' boot
    (measured: ~70 ms after the command was ready, when they started once it had read its
    arguments and found the files); none for anything else."""
    if wants_worker(argv):
        return 1
    if not argv or argv[0] != "grade" or not _HELP.isdisjoint(argv):
        return 0
    for index, arg in enumerate(argv):
        if arg.startswith("--workers="):
            value = arg.partition("=")[2]
        elif arg == "--workers" and index + 1 < len(argv):
            value = argv[index + 1]
        else:
            continue
        return int(value) if value.isdigit() and int(value) > 0 else 0  # else the parser says
    return os.cpu_count() or 1


def _server(argv: list[str]) -> bool:
    """Might a course server take this TEST RUN or SUBMIT? (Standard library only, no pathlib.)"""
    if os.environ.get("GDLAB_SERVER") or any(a.split("=")[0] == "--server" for a in argv):
        return True
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.isfile(os.path.join(base, "gdlab", "server.toml"))


def entry() -> None:
    """The `gdlab` command (`python -m autograder`): the worker first, then `cli.entry`."""
    count = workers_wanted(sys.argv[1:])
    if count:
        from autograder.run import boot

        boot.early(count)
        try:
            from autograder.commands.cli import entry as command
        except BaseException:  # e.g. Ctrl-C while loading: `cli.main` would have killed it
            boot.discard()
            raise
    else:
        from autograder.commands.cli import entry as command
    command()
