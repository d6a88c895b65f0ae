"""Load a student's file as a program: a quiz script as it is, or a notebook's code cells.

Reading a notebook is reading JSON (`ipynb.py`); nothing in it is executed here. Cells that
nbgrader marks as tests (graded, not a solution) are left out, and so are the lab's check calls
in any cell (`check_calls.py`): they check the published values, which would fail on hidden
cases. Cells become Python as IPython runs them, magics included (`cells.py`, `magics.py`), and so
does a script that ``jupyter nbconvert --to script`` wrote.

Files come as editors save them: a UTF-8 byte-order mark, UTF-16 or UTF-32 with one, or a
script's own ``# -*- coding: … -*-`` line are read as such; anything else unreadable, malformed
or too large is a `SubmissionError` saying so in one line.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UserError
from autograder.load import cells, check_calls, ipynb

#: At most this much code (a script, or a notebook's code cells).
MAX_BYTES = 2 * 2**20
#: A notebook file may be larger: saved outputs (figures) are not code. The bound keeps parsing
#: its JSON cheap (a hostile file of tiny JSON objects costs about 25x its size in memory).
MAX_NOTEBOOK_BYTES = 16 * 2**20

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC_LINE = re.compile(r"^[ \t]*[%!]", re.MULTILINE)


class SubmissionError(UserError):
    """The file cannot be graded at all (said to the user in one line)."""


@dataclass(frozen=True)
class Program:
    """A submission's program text, and enough to point back into the file it came from."""

    path: Path
    source: str
    content: bytes
    #: Program line -> (cell number, line in cell) for notebooks; (0, line in file) for a script
    #: whose text the loader changed (empty when the program is the file as it is).
    cell_lines: tuple[tuple[int, int], ...] = ()
    #: What the loader did not run, and why (a magic or shell escape), one line each.
    notes: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def kind(self) -> str:
        return self.path.suffix.lstrip(".")

    def where(self, line: object) -> str:
        """'line 12' for a script, 'cell 4, line 2' for a notebook."""
        if not isinstance(line, int) or isinstance(line, bool):  # None, or a forged result
            return "an unknown line"
        if self.cell_lines and 0 < line <= len(self.cell_lines):
            cell, in_cell = self.cell_lines[line - 1]
            return f"cell {cell}, line {in_cell}" if cell else f"line {in_cell}"
        return f"line {line}"


def load(path: Path) -> Program:
    """Read `path` as a .py or .ipynb submission; raise SubmissionError with a clear reason."""
    if path.suffix not in (".py", ".ipynb"):
        raise SubmissionError(f"{path}: expected a .py or .ipynb file")
    try:
        with path.open("rb") as file:
            content = file.read(_max_file_bytes(path) + 1)
    except FileNotFoundError:
        raise SubmissionError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SubmissionError(f"{path}: is a directory, expected a .py or .ipynb file") from None
    except OSError as error:
        raise SubmissionError(f"{path}: cannot read it ({error.strerror})") from None
    return from_content(path, content)


def from_content(path: Path, content: bytes) -> Program:
    """A submission from its bytes (as stored in the gradebook); `path` names it."""
    check_size(path, content)
    text = _decode(path, content)
    try:
        if path.suffix == ".py":
            return _script(path, text, content)
        return _notebook(path, text, content)
    except ipynb.NotebookError as error:
        raise SubmissionError(f"{path}: {error}") from None


def check_size(path: Path, content: bytes) -> None:
    """Refuse a file larger than a submission may be, before reading anything in it (a batch
    stores a class's files before it grades them: the bulk of an oversized one is not kept)."""
    if len(content) > _max_file_bytes(path):
        what = "a notebook (outputs included)" if path.suffix == ".ipynb" else "a submission"
        raise SubmissionError(
            f"{path}: more than {_max_file_bytes(path) // 2**20} MB, more than {what} may be"
        )


def _max_file_bytes(path: Path) -> int:
    return MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_BYTES


def _decode(path: Path, content: bytes) -> str:
    """Text as the student's editor saved it, or one line saying why it cannot be read."""
    for bom, codec in _BOMS:
        if content.startswith(bom):
            try:
                return content.decode(codec)
            except UnicodeDecodeError:
                raise SubmissionError(
                    f"{path}: starts as {codec.upper()} text but is not valid "
                    f"{codec.upper()}; save it as UTF-8"
                ) from None
    codec = "utf-8-sig"
    if path.suffix == ".py":
        try:
            codec = tokenize.detect_encoding(io.BytesIO(content).readline)[0]
        except SyntaxError as error:  # an unknown coding, or one that contradicts the BOM
            raise SubmissionError(f"{path}: {error.msg}; save it as UTF-8") from None
    try:
        text = content.decode(codec)
    except UnicodeDecodeError as error:
        raise SubmissionError(
            f"{path}: not {codec.removesuffix('-sig').upper()} text (byte "
            f"{error.start}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise SubmissionError(
            f"{path}: contains NUL characters (saved as UTF-16 without a "
            "byte-order mark?); save it as UTF-8"
        )
    return text


def _script(path: Path, text: str, content: bytes) -> Program:
    """A script as it is, unless it holds magics (an IPython script) or the lab's checks."""
    if "get_ipython" not in text and "autograder" not in text and not _MAGIC_LINE.search(text):
        return Program(path, text, content)
    try:
        code = check_calls.strip_checks(cells.to_python(text), set())
    except cells.Refused as refused:
        raise SubmissionError(f"{path}: line {refused.line}: {refused.message}") from None
    if code.lines == cells.split_lines(text):
        return Program(path, text, content)
    return Program(
        path,
        code.text,
        content,
        tuple((0, o) for o in code.origin),
        tuple(f"line {line}: {note}" for line, note in code.notes),
    )


def _notebook(path: Path, text: str, content: bytes) -> Program:
    """The code cells of a notebook as one program, in order, without the lab's checks."""
    lines: list[str] = []
    where: list[tuple[int, int]] = []
    notes: list[str] = []
    bound: set[str] = set()
    budget = cells.Budget()
    size = 0
    for cell in ipynb.code_cells(text):
        if cell.nbgrader_test:
            continue
        size += len(cell.source.encode("utf-8", errors="replace"))
        if size > MAX_BYTES:
            raise SubmissionError(
                f"{path}: more than {MAX_BYTES // 2**20} MB of code, more than a submission may be"
            )
        try:
            code = check_calls.strip_checks(cells.to_python(cell.source, budget=budget), bound)
        except cells.Refused as refused:
            raise SubmissionError(
                f"{path}: cell {cell.number}, line {refused.line}: {refused.message}"
            ) from None
        lines += [*code.lines, ""]
        where += [(cell.number, line) for line in code.origin] + [(cell.number, 0)]
        notes += [f"cell {cell.number}, line {line}: {note}" for line, note in code.notes]
    return Program(path, "\n".join(lines) + "\n", content, tuple(where), tuple(notes))
