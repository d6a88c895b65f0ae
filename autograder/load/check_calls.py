"""The lab's check machinery taken out of the graded program (check cells found by their call).

In Jupyter a lab's check cells (``from autograder import notebook as gdlab``,
``gdlab.check(...)``) check the published values; graded, they are no part of the student's
program (they would fail on hidden cases). They are found by the call, not by nbgrader's
metadata, so a cell whose metadata an editor dropped is still recognised.
"""

from __future__ import annotations

import ast

from autograder.load.code_edits import Code, Edit, apply
from autograder.load.program import LAB_NAME


def strip_checks(code: Code, bound: set[str]) -> Code:
    """Take the lab's check machinery out of the graded program: a check call becomes ``pass``,
    an ``import`` of autograder binds its names to a stand-in that takes any attribute and any
    call and does nothing (so a cell that sets ``autograder.notebook.check`` still runs, as it
    does in Jupyter); `bound` collects those names (a later cell may call ``gdlab.check``)."""
    text = code.text
    if "autograder" not in text and not any(name in text for name in bound):
        return code
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code
    edits: list[Edit] = []
    for node in ast.walk(tree):
        names = _autograder_import(node)
        if names:
            bound |= names
            stand_in = "; ".join(f"{name} = {LAB_NAME}" for name in sorted(names))
            edits.append(Edit.statement(code, node, Code([stand_in], [0])))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and _root_name(node.value.func) in bound
        ):
            edits.append(Edit.statement(code, node, Code(["pass"], [0])))
    return apply(code, edits)


def _autograder_import(node: ast.AST) -> set[str]:
    def ours(module: str | None) -> bool:
        return module is not None and (module == "autograder" or module.startswith("autograder."))

    if isinstance(node, ast.Import) and all(ours(a.name) for a in node.names):
        return {a.asname or a.name.split(".")[0] for a in node.names}
    if isinstance(node, ast.ImportFrom) and node.level == 0 and ours(node.module):
        return {a.asname or a.name for a in node.names}
    return set()


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
