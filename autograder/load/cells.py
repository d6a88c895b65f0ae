"""A notebook cell (or a script) as IPython would run it, turned into plain Python.

Three steps, each keeping a map from every line it produces back to a line of the input
(`code_edits.Code`), so an error still points at the student's own cell and line; the first two
are here:

1. ``to_python``: text that is not Python already goes through IPython's own input transformer
   (``TransformerManager``, what Jupyter runs on every cell). Text that parses as Python is left
   alone: the transformer would not change it, and IPython costs half a second to import.
2. ``rewrite_magics``: each ``get_ipython().run_line_magic(...)`` and the like — made by step 1,
   or left in a script by ``jupyter nbconvert --to script`` — becomes what `magics.py` says:
   the statement it runs, ``pass`` with a note, or a refusal.
3. ``check_calls.strip_checks``: the lab's check calls (``gdlab.check(...)``, the import of
   ``autograder``) become ``pass``; they check the published values in Jupyter, and are no part of
   the student's program. Found by the call, so a cell whose nbgrader metadata an editor dropped
   is still recognised.

Nothing here executes the text; it is parsed only.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from autograder.load import magics
from autograder.load.code_edits import Code, Edit, apply, split_lines

_MAX_DEPTH = 4  # %%time around %time around … : deeper is not a real notebook
_LABEL = 60


class Refused(Exception):
    """The text needs something the grader cannot do; `line` is a line of the input."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@dataclass
class Budget:
    """Lines of IPython syntax (and magic calls) one file may still have rewritten. IPython's
    transformer takes about 0.1 ms a line, so 2 MB of it would hold the grader for half a
    minute; a real notebook has a few hundred lines."""

    lines: int = 10_000

    def spend(self, lines: int) -> None:
        self.lines -= lines
        if self.lines < 0:
            raise Refused(
                1,
                f"more than {Budget.lines:,} lines of IPython syntax (magics, "
                "shell escapes) in all; the grader reads no more than that",
            )


#: What IPython's transformer acts on: a magic, a shell escape or help (``%``, ``!``, ``?``
#: anywhere, ``!=`` too), an autocall escape (``,`` ``;`` ``/``) or a prompt (``>>>``, ``...``,
#: ``In [1]:``) starting a line; a line of blanks (it empties those); and any line break but
#: ``\n`` (it splits lines on more).
_IPYTHON_SYNTAX = re.compile(
    r"[%!?\r\v\f\x1c-\x1e\x85\u2028\u2029]|^[ \t]*(?:[,;/]|>>>|\.\.\.|In \[)|^[ \t]+$",
    re.MULTILINE,
)


def ipython_keeps(text: str) -> bool:
    """True when IPython's transformer would return `text` as it is: none of its syntax, no
    leading blank line, no indented first line (those it removes). Conservative: text this says
    False for may still come back unchanged. A syntax error in plain Python (a student's
    unclosed bracket) then costs no IPython import (half a second); a test checks this against
    the transformer itself."""
    first = text.split("\n", 1)[0]
    if not first.strip() or first[0].isspace():
        return False
    return _IPYTHON_SYNTAX.search(text) is None


def to_python(text: str, depth: int = 0, budget: Budget | None = None) -> Code:
    """`text` as IPython runs it: transformed when it is not Python, magics rewritten."""
    budget = budget or Budget()
    if ipython_keeps(text) and "get_ipython" not in text:
        # what both ways below give such text (parsing or not, nothing to rewrite), without
        # parsing it: most cells, and each costs a parse per grade
        return Code.of(text)
    if parses(text):
        return rewrite_magics(Code.of(text), transformed=False, depth=depth, budget=budget)
    if ipython_keeps(text):  # a plain syntax error: compiling it will say where it is wrong
        return Code.of(text)
    budget.spend(text.count("\n") + 1)
    try:  # imported only here: it costs about half a second
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        raise Refused(
            1,
            "this code uses IPython syntax (a magic or shell escape), and IPython "
            "is not installed where the grader runs",
        ) from None

    try:
        out = TransformerManager().transform_cell(text)
    except Exception:  # IPython cannot read it either: compiling it will say where it is wrong
        return Code.of(text)
    before, after = split_lines(text), split_lines(out)
    code = Code(after, _line_map(before, after))
    return rewrite_magics(code, transformed=True, depth=depth, budget=budget)


def _line_map(before: list[str], after: list[str]) -> list[int]:
    """For each line of `after`, the line of `before` it came from.

    IPython's transformer drops a cell's leading blank lines, rewrites a line in place (a magic,
    a prompt, the cell's common indent) and joins a magic continued with backslashes (or a whole
    ``%%`` cell) into one line; a linear walk follows all of these."""
    origin: list[int] = []
    i = 0
    if after and after[0].strip():
        while i < len(before) - 1 and not before[i].strip():
            i += 1
    for line in after:
        origin.append(min(i, len(before) - 1) + 1)
        if i < len(before) and before[i] != line:  # rewritten: it stands for its continued lines
            while i < len(before) - 1 and before[i].endswith("\\"):
                i += 1
        i += 1
    return origin


def rewrite_magics(
    code: Code, transformed: bool, depth: int = 0, budget: Budget | None = None
) -> Code:
    """Replace every ``get_ipython()`` call that IPython's transformer or nbconvert writes."""
    calls = code.text.count("get_ipython")
    if not calls:
        return code
    budget = budget or Budget()
    budget.spend(calls)
    try:
        tree = ast.parse(code.text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code
    statements: dict[int, ast.Expr] = {}
    edits: list[Edit] = []
    for node in ast.walk(tree):  # breadth first: a statement before the call it holds
        if isinstance(node, ast.Expr):
            statements[id(node.value)] = node
        elif isinstance(node, ast.Call) and _is_shell_method(node.func):
            statement = statements.get(id(node))
            what = _what(node, statement is not None)
            if what:
                edits.append(_magic_edit(code, node, statement, what, transformed, depth, budget))
    # Any other use of get_ipython() stays as written: without IPython it stops the program
    # there with a NameError, as plain Python would (the answers before it still count).
    return apply(code, edits)


def _is_shell_method(func: ast.expr) -> bool:
    """``get_ipython().something``: the shape every magic and shell escape is turned into."""
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "get_ipython"
        and not func.value.args
        and not func.value.keywords
    )


def _magic_edit(
    code: Code,
    call: ast.Call,
    statement: ast.Expr | None,
    what: _What,
    transformed: bool,
    depth: int,
    budget: Budget | None,
) -> Edit:
    """The edit for one ``get_ipython().method(...)`` call, as `magics.py` says."""
    at = code.origin[call.lineno - 1]
    handling, label, text, is_cell = what
    if handling.kind == "refuse":
        raise Refused(at, f"`{label}` {handling.why}")
    if statement is None:  # its value is used: only a magic that runs an expression gives one
        if handling.kind == "run" and not is_cell and _is_expression(text):
            return Edit.statement(code, call, Code([f"({text.strip()})"], [0]))
        raise Refused(at, f"`{label}` {magics.VALUE_OF_SKIPPED.why}")
    if handling.kind == "skip":
        return Edit.statement(
            code, statement, Code(["pass"], [0], [(0, f"`{label}` was not run: {handling.why}")])
        )
    if depth >= _MAX_DEPTH:
        raise Refused(at, f"`{label}`: magics nested more than {_MAX_DEPTH} deep")
    try:
        inner = to_python(text, depth + 1, budget)
    except Refused as refused:
        raise Refused(
            _shifted(at, refused.line, is_cell and transformed), refused.message
        ) from None
    if not inner.lines:  # an empty %%time cell
        inner = Code(["pass"], [0])
    shift = is_cell and transformed  # the cell's body sat on the lines below its %%magic line
    inner.origin = [_shifted(at, o, shift) for o in inner.origin]
    inner.notes = [(_shifted(at, n, shift), note) for n, note in inner.notes]
    return Edit.statement(code, statement, inner)


def _shifted(at: int, inner_line: int, shift: bool) -> int:
    return at + inner_line if shift else at


def _is_expression(text: str) -> bool:
    try:
        ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


#: (handling, how the student wrote it, the code it runs, whether it is a cell magic)
_What = tuple[magics.Handling, str, str, bool]


def _what(call: ast.Call, is_statement: bool) -> _What | None:
    """What a magic or shell escape call is, or None for any other call into IPython."""
    method = call.func.attr  # type: ignore[attr-defined]
    args = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if call.keywords or len(args) != len(call.args):
        return None
    match method, args:
        case "run_line_magic", [name, line]:
            handling = magics.LINE.get(name, magics.UNKNOWN)
            if name.startswith("%"):  # a %%magic below a cell's first line
                handling = magics.MISPLACED_CELL_MAGIC
            text = magics.PYLAB if name == "pylab" else line
            return handling, _label(f"%{name} {line}"), text, False
        case "magic", [line]:
            name, _, rest = line.lstrip("%").partition(" ")
            handling = magics.LINE.get(name, magics.UNKNOWN)
            text = magics.PYLAB if name == "pylab" else rest
            return handling, _label(f"%{name} {rest}"), text, False
        case "run_cell_magic", [name, line, body]:
            return magics.CELL.get(name, magics.UNKNOWN), _label(f"%%{name} {line}"), body, True
        case "system", [command]:
            return magics.SHELL_STATEMENT, _label(f"!{command}"), "", False
        case "getoutput", [command]:
            handling = magics.SHELL_STATEMENT if is_statement else magics.SHELL_VALUE
            return handling, _label(f"!{command}"), "", False
    return None


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LABEL else text[: _LABEL - 1] + "…"
