"""Put other given values in place of a quiz script's given block.

A quiz script opens with its given values (``x = np.array([1, 2, 3, 4])`` …). To run a student's
file on a hidden case we rewrite the *first* module-level assignment of each given name into a
lookup of the value we chose, and leave every other line alone. That is what lets a file written
for the original quiz be graded as it is. Used by the worker for student code and by the grader
for the reference, so both sides see the same program.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

#: The name under which injected given values are visible to the rewritten program.
GIVEN_NAME = "__gdlab_given__"


class GivenNotFound(Exception):
    """The program has no module-level assignment for one of the given names."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        listed = ", ".join(f"`{n}`" for n in names)
        super().__init__(
            f"the given value {listed} is not assigned at the top level of your file; "
            "keep the given block as it was handed out")


def assigned_names(statement: ast.stmt) -> set[str]:
    """Names a module-level statement binds directly (`a = b = ...`, `a: T = ...`, `a += ...`)."""
    if isinstance(statement, ast.Assign):
        targets: Iterable[ast.expr] = statement.targets
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
        targets = [statement.target]
    else:
        return set()
    return {t.id for t in targets if isinstance(t, ast.Name)}


def inject_given(tree: ast.Module, names: Iterable[str]) -> ast.Module:
    """Rewrite the first binding of every name in `names` to read the injected value.

    A binding is a plain ``name = ...`` or a ``from module import name`` (as the original
    quiz imports its data: ``from data_prep import features, targets``); an import that binds
    given names is replaced by lookups, so the module need not exist where the program runs.
    """
    wanted = set(names)
    body: list[ast.stmt] = []
    for statement in tree.body:
        bound = _given_bindings(statement) & wanted
        if not bound:
            body.append(statement)
            continue
        wanted -= bound
        if isinstance(statement, ast.ImportFrom):
            kept = [a for a in statement.names if (a.asname or a.name) not in bound]
            if kept:
                body.append(ast.copy_location(
                    ast.ImportFrom(statement.module, kept, statement.level), statement))
        for name in sorted(bound):
            lookup = ast.parse(f"{name} = {GIVEN_NAME}[{name!r}]").body[0]
            body.append(ast.copy_location(lookup, statement))
    if wanted:
        raise GivenNotFound(sorted(wanted))
    tree.body = body
    ast.fix_missing_locations(tree)
    return tree


def _given_bindings(statement: ast.stmt) -> set[str]:
    """Names a statement binds in a way the given block may: one plain target, or an import."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        return {target.id} if isinstance(target, ast.Name) else set()
    if isinstance(statement, ast.ImportFrom):
        return {alias.asname or alias.name for alias in statement.names}
    return set()


def compile_program(source: str, filename: str, given_names: Iterable[str] | None,
                    rewrite: Callable[[ast.Module], ast.Module] | None = None):
    """Parse and compile `source`; with `given_names`, inject the given block first; then
    `rewrite` the tree (the trace points of a training exercise)."""
    tree = ast.parse(source, filename=filename)
    if given_names is not None:
        tree = inject_given(tree, given_names)
    if rewrite is not None:
        tree = rewrite(tree)
    return compile(tree, filename, "exec")
