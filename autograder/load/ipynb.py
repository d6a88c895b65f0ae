"""Read a notebook file's code cells, whatever a student's editor did to it.

Reading is parsing JSON; nothing is executed. Every way the file can be malformed — not JSON,
JSON nested deeper than the parser goes, not a notebook, a cell that is not an object, a source
that is not text — is one `NotebookError` with one line saying what is wrong, never an exception
from deep inside. What nbformat allows but editors vary on is accepted: a cell without
metadata, a source as one string or a list of lines, the old v3 layout (``worksheets``, ``input``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: JSON values (counted by their separators) a notebook may hold. A real one has a few thousand,
#: saved figures included (a figure is one string); the bound keeps a hostile file of millions of
#: tiny values from costing the grader seconds and hundreds of MB to parse.
MAX_VALUES = 1_000_000


class NotebookError(Exception):
    """The file is not a notebook the grader can read (the message is one line)."""


@dataclass(frozen=True)
class CodeCell:
    number: int  # 1-based position among all cells, as the student sees it in Jupyter
    source: str
    nbgrader_test: bool  # marked by nbgrader as a graded test cell (not the student's answer)


def code_cells(text: str) -> Iterator[CodeCell]:
    """The notebook's code cells in order."""
    if text.count(",") + text.count("{") + text.count("[") > MAX_VALUES:
        raise NotebookError(
            f"not a notebook the grader reads: more than {MAX_VALUES:,} JSON "
            "values (a notebook has a few thousand)"
        )
    try:
        notebook = json.loads(text)
    except RecursionError:
        raise NotebookError("not a Jupyter notebook: JSON nested too deeply to read") from None
    except ValueError as error:  # json.JSONDecodeError
        raise NotebookError(f"not a Jupyter notebook: not valid JSON ({error})") from None
    cells = _cells(notebook)
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"not a valid notebook: cell {number} is not an object")
        if cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata", {})
        if not isinstance(metadata, dict):
            raise NotebookError(
                f"not a valid notebook: the metadata of cell {number} is not an object"
            )
        source = cell.get("source", cell.get("input", ""))
        yield CodeCell(number, _text(source, number), _is_test(metadata))


def _cells(notebook: Any) -> list[Any]:
    if isinstance(notebook, dict):
        cells = notebook.get("cells")
        if cells is None and isinstance(notebook.get("worksheets"), list):  # nbformat 3
            sheets = notebook["worksheets"]
            cells = [
                c
                for s in sheets
                if isinstance(s, dict) and isinstance(s.get("cells"), list)
                for c in s["cells"]
            ]
        if isinstance(cells, list):
            return cells
    raise NotebookError("not a Jupyter notebook (no list of cells)")


def _text(source: Any, number: int) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    raise NotebookError(f"not a valid notebook: the source of cell {number} is not text")


def _is_test(metadata: dict[str, Any]) -> bool:
    """nbgrader's graded test cells hold checks against the published values (left out)."""
    meta = metadata.get("nbgrader")
    return isinstance(meta, dict) and bool(meta.get("grade")) and not meta.get("solution")
