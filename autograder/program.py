"""Put other given values in place of a quiz script's given block.

A quiz script opens with its given values (``x = np.array([1, 2, 3, 4])`` …). To run a student's
file on a hidden case we rewrite the *first* module-level assignment of each given name into a
lookup of the value we chose, and leave every other line alone. That is what lets a file written
for the original quiz be graded as it is. Used by the worker for student code and by the grader
for the reference, so both sides see the same program.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

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
    """Rewrite the first plain assignment of every name in `names` to read the injected value."""
    wanted = set(names)
    for index, statement in enumerate(tree.body):
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            continue
        target = statement.targets[0]
        if isinstance(target, ast.Name) and target.id in wanted:
            wanted.discard(target.id)
            lookup = ast.parse(f"{target.id} = {GIVEN_NAME}[{target.id!r}]").body[0]
            tree.body[index] = ast.copy_location(lookup, statement)
    if wanted:
        raise GivenNotFound(sorted(wanted))
    ast.fix_missing_locations(tree)
    return tree


def compile_program(source: str, filename: str, given_names: Iterable[str] | None):
    """Parse and compile `source`; with `given_names`, inject the given block first."""
    tree = ast.parse(source, filename=filename)
    if given_names is not None:
        tree = inject_given(tree, given_names)
    return compile(tree, filename, "exec")
