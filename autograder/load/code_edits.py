"""Python text as lines that remember where they came from, and span edits made in one pass.

Every step that turns a student's cell into the graded program (IPython's transformer, the magic
rewrites in `cells`, the check calls taken out in `check_calls`) keeps, for each line it makes,
the input line it comes from, so an error still points at the student's own cell and line.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass
class Code:
    """Python lines, each with the (1-based) input line it comes from, and notes on what was
    skipped, each at an input line."""

    lines: list[str]
    origin: list[int]
    notes: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> Code:
        lines = split_lines(text)
        return cls(lines, list(range(1, len(lines) + 1)))

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def split_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer sees them (not str.splitlines, which also splits on \\f …)."""
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


@dataclass(frozen=True)
class Edit:
    """Replace input span (line, col) .. (end_line, end_col) — 0-based lines, character
    columns — by `code`, whose origins are already lines of the input."""

    line: int
    col: int
    end_line: int
    end_col: int
    code: Code

    @classmethod
    def statement(cls, code: Code, node: ast.AST, replacement: Code) -> Edit:
        line, end_line = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
        col = char_col(code.lines[line], node.col_offset)  # type: ignore[attr-defined]
        end_col = char_col(code.lines[end_line], node.end_col_offset)  # type: ignore[attr-defined]
        origins = [o or code.origin[line] for o in replacement.origin]
        notes = [(n or code.origin[line], text) for n, text in replacement.notes]
        return cls(line, col, end_line, end_col, Code(replacement.lines, origins, notes))


def char_col(line: str, byte_col: int) -> int:
    """ast counts columns in UTF-8 bytes."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def apply(code: Code, edits: list[Edit]) -> Code:
    """The input with every edit made, in one pass (linear in the input, however many edits)."""
    lines: list[str] = []
    origin: list[int] = []
    notes = list(code.notes)
    head, head_origin = "", 0  # the output line being built, and where it comes from
    line, col = 0, 0  # how far the input is copied
    for edit in sorted(edits, key=lambda e: (e.line, e.col)):
        while line < edit.line:  # copy the input up to the edit
            lines.append(head + code.lines[line][col:])
            origin.append(head_origin or code.origin[line])
            head, head_origin, line, col = "", 0, line + 1, 0
        head += code.lines[line][col : edit.col]
        indent = head if not head.strip() else ""
        for k, (text, at) in enumerate(zip(edit.code.lines, edit.code.origin, strict=True)):
            if k:
                lines.append(head)
                origin.append(head_origin)
                head, head_origin = indent, 0
            head += text
            head_origin = head_origin or at
        notes.extend(edit.code.notes)
        line, col = edit.end_line, edit.end_col
    while line < len(code.lines):
        lines.append(head + code.lines[line][col:])
        origin.append(head_origin or code.origin[line])
        head, head_origin, line, col = "", 0, line + 1, 0
    return Code(lines, origin, sorted(notes))
