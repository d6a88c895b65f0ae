"""The terminal as it is: any encoding, a pipe that closes early.

gdlab's reports use a few symbols (✓ ✗ …) and the lesson's notation (ŷ, δ, Δw, −). On a console
that cannot show them (``LANG=C``, ``PYTHONIOENCODING=ascii``, an old Windows code page) each
becomes a readable ASCII spelling instead of an encoding error. When the reader of a pipe stops
early (``gdlab list | head -2``), gdlab stops quietly, as other command-line tools do.
"""

from __future__ import annotations

import codecs
import os
import sys
import unicodedata

#: How the symbols gdlab prints read in ASCII.
ASCII = {
    "✓": "ok",
    "✗": "X",
    "…": "...",
    "−": "-",
    "–": "-",
    "—": "-",
    "·": "*",
    "×": "x",
    "≤": "<=",
    "≥": ">=",
    "≈": "~",
    "→": "->",
    "′": "'",
    "²": "^2",
    "½": "1/2",
    "Σ": "sum ",
    "δ": "delta",
    "Δ": "Delta",
    "η": "eta",
    "ŷ": "y_hat",
    "ᵒ": "o",
    "ʰ": "h",
    "θ": "theta",
    "∂": "d",
    "•": "*",
}
ERRORS = "gdlab-ascii"


def _spell(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start : error.end]
    spelled = "".join(ASCII.get(ch) or _plain(ch) for ch in bad)
    return spelled, error.end


def _plain(ch: str) -> str:
    """A letter without its accent (é → e), else ``?``."""
    ascii_form = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    return ascii_form or "?"


codecs.register_error(ERRORS, _spell)


def readable_streams() -> None:
    """Let stdout and stderr spell out what their encoding cannot show."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=ERRORS)


def pipe_closed() -> int:
    """The reader went away: send what is left to /dev/null (no error at exit); status 0."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0
