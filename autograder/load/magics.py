"""What the grader does with IPython's magics and shell escapes: the table, as data.

A notebook runs in IPython; the grader runs the same code as plain Python in a sandbox that has
no IPython. IPython's own input transformer (see `cells.py`) turns ``%time h = …`` into
``get_ipython().run_line_magic('time', 'h = …')``, exactly as a kernel does and as
``jupyter nbconvert --to script`` leaves it. Each such call is then replaced by what the magic
would have done to the program's variables: the statement it runs (``%time``, ``%%time``,
``%prun``, ``%%capture``), nothing (``%matplotlib``, ``!pip install``: they change the
environment, not the answer), or a refusal when the program needs something the grader cannot
give it (the output of a shell command, another file to ``%run``). README.md shows this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["run", "skip", "refuse"]


@dataclass(frozen=True)
class Handling:
    """What happens to one magic: run its statement or cell once, skip it, or refuse the file."""

    kind: Kind
    why: str


_RUN_ONCE = Handling("run", "runs its statement once, keeping what it assigns, as IPython does")
_DISPLAY = Handling("skip", "changes how plots show, not the values graded")
_SESSION = Handling("skip", "sets up the interactive session; the program runs fresh")
_HELP = Handling("skip", "shows help or the session's state; nothing to run")
_INSTALL = Handling("skip", "installs packages; the grader provides numpy, pandas and matplotlib")
_OTHER_LANGUAGE = Handling("skip", "runs something other than this program's Python")

#: Line magics (``%name …``) by name.
LINE: dict[str, Handling] = {
    "time": _RUN_ONCE,
    "prun": _RUN_ONCE,
    "timeit": Handling("skip", "IPython runs it in a scope of its own, so it assigns nothing"),
    "matplotlib": _DISPLAY,
    "config": _SESSION,
    "load_ext": _SESSION,
    "reload_ext": _SESSION,
    "unload_ext": _SESSION,
    "autoreload": _SESSION,
    "aimport": _SESSION,
    "precision": _SESSION,
    "xmode": _SESSION,
    "pdb": _SESSION,
    "debug": _SESSION,
    "colors": _SESSION,
    "autocall": _SESSION,
    "automagic": _SESSION,
    "autoawait": _SESSION,
    "doctest_mode": _SESSION,
    "reset": _SESSION,
    "reset_selective": _SESSION,
    "env": _SESSION,
    "cd": _SESSION,
    "pwd": _HELP,
    "ls": _HELP,
    "who": _HELP,
    "whos": _HELP,
    "who_ls": _HELP,
    "history": _HELP,
    "lsmagic": _HELP,
    "magic": _HELP,
    "pinfo": _HELP,
    "pinfo2": _HELP,
    "psearch": _HELP,
    "pdoc": _HELP,
    "pdef": _HELP,
    "psource": _HELP,
    "pfile": _HELP,
    "load": Handling("skip", "puts a file's text into a new cell; the cell that holds it runs"),
    "store": _SESSION,
    "pip": _INSTALL,
    "conda": _INSTALL,
    "mamba": _INSTALL,
    "uv": _INSTALL,
    "pylab": Handling(
        "run", "imports numpy and matplotlib under their usual names, as IPython does"
    ),
    "run": Handling(
        "refuse", "runs another file; the grader grades this one file — copy what you need into it"
    ),
}

#: Cell magics (``%%name`` on a cell's first line) by name.
CELL: dict[str, Handling] = {
    "time": _RUN_ONCE,
    "prun": _RUN_ONCE,
    "capture": Handling("run", "runs the cell once; its output is not graded"),
    "debug": _RUN_ONCE,
    "timeit": Handling("skip", "IPython runs it in a scope of its own, so it assigns nothing"),
    "writefile": Handling("skip", "writes a file instead of running the cell"),
    "file": Handling("skip", "writes a file instead of running the cell"),
    "bash": _OTHER_LANGUAGE,
    "sh": _OTHER_LANGUAGE,
    "script": _OTHER_LANGUAGE,
    "system": _OTHER_LANGUAGE,
    "python": _OTHER_LANGUAGE,
    "python3": _OTHER_LANGUAGE,
    "html": _OTHER_LANGUAGE,
    "HTML": _OTHER_LANGUAGE,
    "javascript": _OTHER_LANGUAGE,
    "js": _OTHER_LANGUAGE,
    "latex": _OTHER_LANGUAGE,
    "markdown": _OTHER_LANGUAGE,
    "svg": _OTHER_LANGUAGE,
}

#: ``!command`` as a statement, and ``x = !command`` whose output the program uses.
SHELL_STATEMENT = Handling(
    "skip", "a shell command; the grader runs no shell (packages come with it)"
)
SHELL_VALUE = Handling("refuse", "uses a shell command's output; the grader runs no shell")
#: A magic IPython does not know (a typo, or one an extension adds).
UNKNOWN = Handling("skip", "IPython itself does not know it without an extension")
#: ``%%time`` below a cell's first line: IPython stops there with an error.
MISPLACED_CELL_MAGIC = Handling(
    "skip", "works only on a cell's first line (IPython stops with an error here)"
)
#: ``%time`` etc. whose value is used (``t = %time f(x)``) runs as an expression.
VALUE_OF_SKIPPED = Handling("refuse", "its value is used, and the grader does not run it")

#: What ``%pylab`` puts in the namespace (IPython's own list, less its display helpers).
PYLAB = (
    "import numpy; import matplotlib; from matplotlib import pylab, mlab, pyplot; "
    "np = numpy; plt = pyplot; from matplotlib.pylab import *; from numpy import *"
)
