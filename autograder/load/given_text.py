"""The given block put in place by editing the file's text, for the case's child to compile.

`program.inject_given` rewrites a file's parsed tree: the case's child parsed the student's file
into Python's AST objects, rewrote the given bindings and compiled the tree, ~4 ms of the ~12 ms
of CPU a freshly forked child spends on a notebook (measured: building and walking the objects
is most of it, and each first touch copies a page the worker shares). The grader parses the
file anyway; here it writes the same rewrite as text, which the child compiles straight from
the string (`compile`, no AST objects), ~1 ms.

The text says what `program._rewrite` builds, statement by statement, and keeps every line where
it was: a binding that spanned several lines becomes one line continued by backslashes over the
others, so a traceback or a line in a message points where it did. What the text
cannot say as simply (an import of a given module, whose values are set only if the module
defines them; a part of a tuple assignment spanning lines) is left to the tree: `injected`
returns None and the child rewrites the tree itself, as before.

Checked against the tree by a differential fuzz of ~25,000 generated files (line endings of
every kind, non-ASCII text, bindings over several lines, on one line, in tuples, in main
guards, imports, walruses, no final newline): the same names, values, output, error and line.
Where they differ, the text does what the file as written does and the tree does not: the tree
opens a main guard into the module, so a string opening the guard becomes the module's
docstring, a ``from __future__`` import in it compiles (the text does not compile: the tree is
used), and the guard's body runs even after the file rebinds ``__name__``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from autograder.load import program

_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)?")


def injected(
    source: str, keys: Iterable[str], graded: Iterable[str] = (), modules: Iterable[str] = ()
) -> str | None:
    """`source` with its given bindings taking the case's values (`program.inject_given` as
    text), or None where the tree must do it (see the module docstring) or the file does not
    parse or lacks a given value (the child then says why)."""
    try:
        tree, found, missing, _ = program.parsed_bindings(
            source, tuple(keys), frozenset(graded), frozenset(modules)
        )
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if missing:
        return None
    lines = [line for line in _LINE.findall(source.encode("utf-8")) if line]
    edits = []
    for index, bound in found.items():
        statement = tree.body[index]
        text = _rewritten(statement, bound, set(modules), lines)
        if text is None:
            return None
        edits.append((statement, text))
    # from the last to the first: an edit never moves the text of the ones still to make
    for statement, text in sorted(
        edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True
    ):
        _replace(lines, statement, text)
    return b"".join(lines).decode("utf-8")


def _rewritten(
    statement: ast.stmt, bound: dict[str, str], modules: set[str], lines: list[bytes]
) -> bytes | None:
    """What `program._rewrite` makes of `statement`, as one line of text (None: not as text)."""
    if program.is_star_import(statement, modules) or program.module_aliases(statement, modules):
        return None
    lookups = [_lookup(name, key) for name, key in sorted(bound.items())]
    if isinstance(statement, ast.ImportFrom):
        kept = [a for a in statement.names if (a.asname or a.name) not in bound]
        if not kept:
            return b"; ".join(lookups)
        names = ", ".join(f"{a.name} as {a.asname}" if a.asname else a.name for a in kept)
        importing = f"from {'.' * statement.level}{statement.module or ''} import {names}"
        return b"; ".join([importing.encode(), *lookups])
    if not isinstance(statement, ast.Assign | ast.AnnAssign):  # what `program.binding` takes
        return None
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        return b"; ".join(lookups)
    if program.splits(statement):  # `x, y = a, b`: one assignment per name
        return _split(targets[0], statement.value, bound, lines)
    original = _segment(lines, statement, whole=True)
    if original is None:
        return None
    return b"; ".join([original, *lookups])


def _split(
    target: ast.expr, value: ast.expr | None, bound: dict[str, str], lines: list[bytes]
) -> bytes | None:
    """``x, y = a, b`` as `program._rewrite` splits it: the given names looked up, each other
    part assigned as written, in brackets (None when a part spans lines)."""
    if not isinstance(target, ast.Tuple | ast.List) or not isinstance(value, ast.Tuple | ast.List):
        return None
    parts = []
    for element, part in zip(target.elts, value.elts, strict=True):
        if isinstance(element, ast.Name) and element.id in bound:
            parts.append(_lookup(element.id, bound[element.id]))
            continue
        left, right = _segment(lines, element), _segment(lines, part)
        if left is None or right is None:
            return None
        parts.append(left + b" = (" + right + b")")  # a walrus part wrote no brackets
    return b"; ".join(parts)


def _lookup(name: str, key: str) -> bytes:
    return f"{name} = {program.GIVEN_NAME}[{key!r}]".encode()


def _segment(lines: list[bytes], node: ast.AST, whole: bool = False) -> bytes | None:
    """The text of `node` when it lies on one line (None otherwise, unless `whole`: a
    statement kept as written may span lines, its own line breaks kept)."""
    assert isinstance(node, ast.expr | ast.stmt)  # what has a place in the text
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    start, end = node.col_offset, node.end_col_offset
    if end is None or (first != last and not whole):
        return None
    if first == last:
        return lines[first][start:end]
    middle = b"".join(lines[first + 1 : last])
    return lines[first][start:] + middle + lines[last][:end]


def _replace(lines: list[bytes], statement: ast.stmt, text: bytes) -> None:
    """Put `text` (one line) in the place of `statement`, every line kept: the lines the
    statement spanned become backslash continuations of the first. They end in a plain line
    feed, whatever they ended in: a carriage return of the file's (a lone one, inside the
    statement) would make one line break with the next one's line feed."""
    first, last = statement.lineno - 1, (statement.end_lineno or statement.lineno) - 1
    start, end = statement.col_offset, statement.end_col_offset
    assert end is not None
    head, tail = lines[first][:start], lines[last][end:]
    if b"\n" in text or b"\r" in text:  # a statement kept as written: its own lines
        lines[first : last + 1] = [head + text + tail]
        return
    if first == last:
        lines[first] = head + text + tail
        return
    lines[first] = head + text + b" \\\n"
    for number in range(first + 1, last):
        lines[number] = b"\\\n"
    # the continued line must end: a file whose last line this was gets its final line feed
    lines[last] = tail if tail.endswith((b"\n", b"\r")) else tail + b"\n"
