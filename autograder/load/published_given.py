"""The published given values, as the lesson hands them out, and what a file changed in them.

The published case runs a student's file on the lesson's own given values, put in place like a
hidden case's (`program`): a file that changed ``epochs = 1000`` into ``epochs = 5000`` is graded
on 1000, and told so. The values are read off the reference: its statements before the first
graded line, run once (with the prepared data, for an exercise that has some).
"""

from __future__ import annotations

import ast
import copy
import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from autograder.judge import reference
from autograder.load import program

if TYPE_CHECKING:
    from autograder.load.exercise import Exercise


def graded_names(exercise: Exercise) -> list[str]:
    return [n for q in exercise.quantities for n in (q.name, *q.aliases)]


def values(exercise: Exercise, data: dict[str, Any]) -> dict[str, Any]:
    """Every given value as the reference hands it out; `data` holds the prepared ones."""
    tree = ast.parse(exercise.reference)
    names = exercise.given_names
    found, _, _ = program.given_bindings(tree, names, graded_names(exercise))
    stop = max(found, default=-1) + 1  # up to the last given binding, no further
    prefix = ast.Module(body=tree.body[:stop], type_ignores=[])
    if data:
        prefix = program.inject_given(prefix, list(data))
    scope = reference.quiet_namespace(**{program.GIVEN_NAME: copy.deepcopy(data)})
    with reference.quiet_numpy():
        exec(compile(prefix, "<published given values>", "exec"), scope)
    bound = {name: scope[name] for name in names if name in scope}
    return {**bound, **data}


def changes(exercise: Exercise, source: str) -> list[str]:
    """One sentence per given value the file binds to something other than the lesson's.

    The student's file is only parsed here, never run; a file too odd to parse (or nested too
    deep to walk) gets no note."""
    try:
        return _changes(exercise, source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []


def _changes(exercise: Exercise, source: str) -> list[str]:
    keys = tuple(exercise.given_keys.values())
    graded = tuple(graded_names(exercise))
    tree, found, _, _ = program.parsed_bindings(source, keys, frozenset(graded))
    theirs = _last_given(tree, found)
    mine = _reference_values(exercise.reference, keys, graded)
    notes = []
    for key, (name, value) in theirs.items():
        if key not in mine or _same(value, mine[key][1]):
            continue
        lesson = key.split(program.ALIAS_SEPARATOR)[0]
        notes.append(
            f"your file sets `{name} = {_text(source, value)}`; the lesson hands out "
            f"`{lesson} = {_text(exercise.reference, mine[key][1])}`: the published "
            "case is graded on the handed-out value"
        )
    return notes


@functools.lru_cache(maxsize=16)
def _reference_values(
    reference: str, keys: tuple[str, ...], graded: tuple[str, ...]
) -> dict[str, tuple[str, ast.expr]]:
    """`_last_values` of the reference: the same for every file of a class, so worked out once
    (half of what noting a class's changes cost). Read only: the nodes are shared."""
    return _last_values(ast.parse(reference), keys, graded)


def _last_values(
    tree: ast.Module, keys: tuple[str, ...], graded: tuple[str, ...]
) -> dict[str, tuple[str, ast.expr]]:
    """Per given key: the name and right-hand side of its last plain binding."""
    found, _, _ = program.given_bindings(tree, keys, graded)
    return _last_given(tree, found)


def _last_given(
    tree: ast.Module, found: dict[int, dict[str, str]]
) -> dict[str, tuple[str, ast.expr]]:
    """`_last_values` of bindings found already."""
    last: dict[str, tuple[str, ast.expr]] = {}
    for index in sorted(found):
        statement = tree.body[index]
        for name, key in found[index].items():
            value = _value_of(statement, name)
            if value is not None:
                last[key] = (name, value)
            else:
                last.pop(key, None)
    return last


def _value_of(statement: ast.stmt, name: str) -> ast.expr | None:
    if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value is not None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id == name:
                return statement.value
            if (
                isinstance(target, ast.Tuple | ast.List)
                and isinstance(statement.value, ast.Tuple | ast.List)
                and len(target.elts) == len(statement.value.elts)
            ):
                for element, part in zip(target.elts, statement.value.elts, strict=True):
                    if isinstance(element, ast.Name) and element.id == name:
                        return part
    return None


def _same(a: ast.expr, b: ast.expr) -> bool:
    if _same_tree(a, b):  # the file kept the lesson's text: no numbers to work out
        return True
    left, right = _number(a), _number(b)
    if left is not None and right is not None:
        return left.shape == right.shape and bool(np.allclose(left, right, rtol=0, atol=0))
    return False


def _same_tree(a: Any, b: Any) -> bool:
    """``ast.dump(a) == ast.dump(b)`` (the same expression, wherever it is written), without
    writing either out: it stops at the first difference. Leaves compare as their reprs, as
    the dump does (``1`` is not ``1.0``)."""
    if isinstance(a, ast.AST):
        return type(a) is type(b) and all(
            _same_tree(getattr(a, field, None), getattr(b, field, None)) for field in a._fields
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(_same_tree(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and repr(a) == repr(b)


def _number(node: ast.expr) -> np.ndarray | None:
    """The value of a plain numeric expression (numbers, lists, np.array(...), + - * /)."""
    try:
        with np.errstate(all="ignore"):
            return np.asarray(_evaluate(node, 0), dtype=np.float64)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None


def _evaluate(node: ast.expr, depth: int) -> Any:
    if depth > 20:
        raise ValueError("too deep")
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand, depth + 1)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        left = np.asarray(_evaluate(node.left, depth + 1), dtype=np.float64)
        right = np.asarray(_evaluate(node.right, depth + 1), dtype=np.float64)
        operations = {
            ast.Add: np.add,
            ast.Sub: np.subtract,
            ast.Mult: np.multiply,
            ast.Div: np.divide,
        }
        return operations[type(node.op)](left, right)
    if isinstance(node, ast.List | ast.Tuple) and len(node.elts) <= 10_000:
        return [_evaluate(e, depth + 1) for e in node.elts]
    if (
        isinstance(node, ast.Call)
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "array"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("np", "numpy")
    ):
        return _evaluate(node.args[0], depth + 1)
    raise ValueError("not a plain number")


def _text(source: str, node: ast.expr) -> str:
    text = " ".join((ast.get_source_segment(source, node) or "…").split())
    return text if len(text) <= 60 else text[:59] + "…"
