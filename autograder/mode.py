"""Self-study or course: the two ways of working, and which one this install is in.

*Self-study* is the all-local install: the references (the `solutions` package) are installed,
TEST RUN and SUBMIT grade on this machine, ``--solution`` and ``--seed`` work. *Course* is a
student's install beside a course server: the references stay on the server, SUBMIT goes to it,
and TEST RUN without the server checks against the published values shipped with the release
(``release/<exercise>/published.json``), never against reference code.

The mode is, first found:

1. ``GDLAB_MODE`` (``course`` or ``self-study``);
2. ``mode = "course"`` (or ``"self-study"``) in the client's ``server.toml``
   (``$XDG_CONFIG_HOME/gdlab/server.toml``, beside ``url`` and ``token``);
3. course when the references are not installed (the student package, ``gdlab build
   --student-package``), self-study when they are.

Deciding costs no import beyond the standard library: every TEST RUN asks.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from autograder.errors import UserError

COURSE, SELF_STUDY = "course", "self-study"
MODES = (COURSE, SELF_STUDY)


def current() -> str:
    """``course`` or ``self-study`` (see the module's docstring for how it is decided)."""
    chosen = os.environ.get("GDLAB_MODE", "").strip() or _configured()
    if chosen:
        if chosen not in MODES:
            raise UserError(f"unknown gdlab mode {chosen!r}: use {' or '.join(MODES)}")
        return chosen
    return SELF_STUDY if references_installed() else COURSE


def course() -> bool:
    return current() == COURSE


def references_installed() -> bool:
    """Is the `solutions` package (the hidden references) importable here?"""
    return importlib.util.find_spec("solutions") is not None


def config_file() -> Path:
    """The client's settings: the course server's ``url`` and ``token``, and ``mode``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "gdlab" / "server.toml"


def _configured() -> str:
    path = config_file()
    if not path.is_file():
        return ""
    from autograder import toml as tomllib  # a TOML parser only when there is a file to read

    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UserError(f"{path}: {error}") from None
    return str(settings.get("mode", "")).strip()


def release_root() -> Path:
    """Where a course-mode install finds the release: ``$GDLAB_RELEASE``, else the packaged
    release of the student package (`gdlab_release`), else ``release/`` of a checkout."""
    if os.environ.get("GDLAB_RELEASE"):
        return Path(os.environ["GDLAB_RELEASE"])
    spec = importlib.util.find_spec("gdlab_release")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / "release"
