"""Load a student's file as a program: a quiz script as it is, or a notebook's code cells.

Reading a notebook is reading JSON; nothing in it is executed here. Cells that nbgrader marks as
tests (graded, not a solution) are left out: they hold checks against the published values, which
would fail on hidden cases. IPython magics and shell escapes become comments.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UserError

MAX_BYTES = 2 * 2**20


class SubmissionError(UserError):
    """The file cannot be graded at all (said to the user in one line)."""


@dataclass(frozen=True)
class Program:
    """A submission's program text, and enough to point back into the file it came from."""

    path: Path
    source: str
    content: bytes
    #: For notebooks: program line -> (cell number, line in cell), for messages.
    cell_lines: tuple[tuple[int, int], ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def kind(self) -> str:
        return self.path.suffix.lstrip(".")

    def where(self, line: int | None) -> str:
        """'line 12' for a script, 'cell 4, line 2' for a notebook."""
        if line is None:
            return "an unknown line"
        if self.cell_lines and 0 < line <= len(self.cell_lines):
            cell, in_cell = self.cell_lines[line - 1]
            return f"cell {cell}, line {in_cell}"
        return f"line {line}"


def load(path: Path) -> Program:
    """Read `path` as a .py or .ipynb submission; raise SubmissionError with a clear reason."""
    if path.suffix not in (".py", ".ipynb"):
        raise SubmissionError(f"{path}: expected a .py or .ipynb file")
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise SubmissionError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SubmissionError(f"{path}: is a directory, expected a .py or .ipynb file") from None
    except OSError as error:
        raise SubmissionError(f"{path}: cannot read it ({error.strerror})") from None
    return from_content(path, content)


def from_content(path: Path, content: bytes) -> Program:
    """A submission from its bytes (as stored in the gradebook); `path` names it."""
    if len(content) > MAX_BYTES:
        raise SubmissionError(f"{path}: {len(content)} bytes, more than a submission may be")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubmissionError(f"{path}: not UTF-8 text") from None
    if path.suffix == ".py":
        return Program(path, text, content)
    source, cell_lines = notebook_program(text, path)
    return Program(path, source, content, cell_lines)


def notebook_program(text: str, path: Path) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The code cells of a notebook as one program, in order, skipping nbgrader test cells."""
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
        assert isinstance(cells, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise SubmissionError(f"{path}: not a Jupyter notebook (no readable cells)") from None
    lines: list[str] = []
    where: list[tuple[int, int]] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or _is_test_cell(cell):
            continue
        source = cell.get("source", "")
        body = "".join(source) if isinstance(source, list) else str(source)
        for in_cell, line in enumerate(body.splitlines(), start=1):
            lines.append(_without_magic(line))
            where.append((number, in_cell))
        lines.append("")
        where.append((number, 0))
    return "\n".join(lines) + "\n", tuple(where)


def _is_test_cell(cell: dict) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return isinstance(meta, dict) and bool(meta.get("grade")) and not meta.get("solution")


def _without_magic(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith(("%", "!")):
        return line[: len(line) - len(stripped)] + "pass  # " + stripped
    return line
