"""Where gdlab keeps a user's files: kept apart from the gradebook so that finding the folder
costs nothing (the sandbox hides it on every run; the gradebook's database library takes a
third of a second to import, which TEST RUN must not pay)."""

from __future__ import annotations

import os
from pathlib import Path


def default_home() -> Path:
    """``$GDLAB_HOME``, else the per-user data directory (``$XDG_DATA_HOME/gdlab``)."""
    if os.environ.get("GDLAB_HOME"):
        return Path(os.environ["GDLAB_HOME"])
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "gdlab"
