"""Take in a student's file itself: never a link's target, bounded, any failure a reason.

A submission named ``mallory.py`` that is a symbolic link to a reference (or to a classmate's
file) must not be graded as that target, so links are refused: the last component is opened
with ``O_NOFOLLOW`` and every folder between the class folder and the file is checked. Reading
stops at the size limit, whatever the file claims. And whatever the loader makes of the bytes
(malformed JSON, odd encodings, nesting deep enough to exhaust the stack), the answer is a
`SubmissionError` with a reason, never an exception that stops a class.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from autograder.load import submission
from autograder.load.submission import Program, SubmissionError
from autograder.report.sanitize import decoded_name


def link_between(root: Path, path: Path) -> Path | None:
    """The first symbolic link on the way from `root` (itself trusted) down to `path`."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = path.parts
        root = Path(path.anchor)
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            return current
    return None


def refuse_link(path: Path, root: Path | None = None) -> None:
    """Raise SubmissionError when `path` (or a folder under `root` on its way) is a link."""
    link = link_between(root, path) if root is not None else (path if path.is_symlink() else None)
    if link == path:
        raise SubmissionError(
            f"{_name(path)}: is a symbolic link; submit the file itself, not a link to it"
        )
    if link is not None:
        raise SubmissionError(
            f"{_name(path)}: reached through a symbolic link ({_name(link)}); "
            "submit the file itself, not a link to it"
        )


#: The most gdlab reads of any file, to bound memory; the loader (`submission.from_content`)
#: decides what size a submission may be (a notebook's saved figures may take it past that).
READ_LIMIT = 64 * 2**20


def read(path: Path, limit: int = READ_LIMIT) -> bytes:
    """The bytes of `path`, refusing links, non-regular files and more than `limit` bytes."""
    if path.suffix not in (".py", ".ipynb"):
        raise SubmissionError(f"{_name(path)}: expected a .py or .ipynb file")
    refuse_link(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SubmissionError(f"{_name(path)}: no such file") from None
    except OSError as error:
        if path.is_symlink():  # replaced by a link since the check above
            refuse_link(path)
        raise SubmissionError(f"{_name(path)}: cannot read it ({error.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise SubmissionError(f"{_name(path)}: is a directory, expected a .py or .ipynb file")
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"{_name(path)}: not a regular file")
        if info.st_size > limit:
            raise SubmissionError(
                f"{_name(path)}: {info.st_size} bytes, more than a submission may be ({limit})"
            )
        try:
            content = handle.read(limit + 1)
        except OSError as error:
            raise SubmissionError(f"{_name(path)}: cannot read it ({error.strerror})") from None
    if len(content) > limit:
        raise SubmissionError(
            f"{_name(path)}: more than {limit} bytes, more than a submission may be"
        )
    return content


def program(path: Path, content: bytes) -> Program:
    """`submission.from_content`, with any failure of the loader as a SubmissionError."""
    try:
        return submission.from_content(path, content)
    except SubmissionError:
        raise
    except Exception as error:  # RecursionError too: the file is the problem, not the class
        kind = "notebook" if path.suffix == ".ipynb" else "Python file"
        raise SubmissionError(
            f"{_name(path)}: cannot be read as a {kind} ({type(error).__name__})"
        ) from None


def load(path: Path, root: Path | None = None) -> Program:
    """Read and load `path` as a submission (links refused, also between `root` and it)."""
    if root is not None:
        refuse_link(path, root)
    return program(path, read(path))


def _name(path: Path) -> str:
    """The file's name as text (the reasons are stored and shown: no folders of ours)."""
    return decoded_name(path.name)
