"""The server's settings: given once on `gdlab serve`'s command line, the same for every process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder.server.course import default_release


@dataclass(frozen=True)
class ServerConfig:
    db: str | None = None
    release: Path = field(default_factory=default_release)
    #: One student on 127.0.0.1, no sign-in (self-study).
    practice: bool = False
    practice_student: str = "me"
    #: SUBMITs a student may make in any 60 seconds (0: no limit).
    submit_limit: int = 10
    #: Show the reference as a solution.py tab once the student has full marks.
    show_solution: bool = True
    #: Cookies only over HTTPS (set behind a TLS-terminating proxy).
    https: bool = False
    #: How long a SUBMIT or TEST RUN request with ``?wait=`` may wait for its result.
    max_wait: float = 60.0
