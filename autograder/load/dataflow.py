"""Which names a program computes each name from, read off its text (never run).

Why: a value typed in stays the same whatever the given values are, and so does every value
computed from it. ``h = 0.8`` (worked out by hand) then `nn_output` as the sigmoid of it is one
slip at `h`: `nn_output` is right given the student's `h`, and error carried forward says it
keeps its points. ``nn_output = 0.68997448`` is the same numbers typed in twice and earns nothing.
The values alone cannot tell the two apart; the program's text can: only the first reads `h`.

The analysis is deliberately coarse and flow-insensitive: a name depends on every name read
where it is bound anywhere in the file (assignments, augmented assignments, loop and `with`
targets, comprehensions, `:=`, a function's body for the function's name, and a method call
or item assignment on it such as ``del_w.append(…)`` or ``del_w[i] = …``). It over-approximates,
which errs towards credit: a student who wrote ``nn_output = 0.69 + 0 * h`` gets it, and loses
`h`'s points all the same.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Collection, Iterable

__all__ = ["reads"]


def reads(source: str, names: Collection[str]) -> dict[str, frozenset[str]]:
    """For each of `names` bound in `source`: every name its value is computed from, directly
    or through other names (itself excluded). A file that does not parse (or is nested too deep
    to walk) reads nothing: the caller falls back to treating its values as typed in."""
    try:
        tree = ast.parse(source)
        edges = _edges(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    return {name: _closure(edges, name) for name in names if name in edges}


def _edges(tree: ast.AST) -> dict[str, set[str]]:
    """name -> the names read wherever it is bound or changed."""
    edges: dict[str, set[str]] = defaultdict(set)
    for node in ast.walk(tree):
        for targets, value in _bindings(node):
            read = _names_in(value)
            for target in targets:
                for name in _bound(target):
                    edges[name] |= read | _index_names(target)
    return edges


def _bindings(node: ast.AST) -> Iterable[tuple[list[ast.AST], list[ast.AST]]]:
    """(targets, what they are computed from) for each binding `node` makes."""
    match node:
        case ast.Assign(targets=targets, value=value):
            yield list(targets), [value]
        case ast.AugAssign(target=target, value=value):
            yield [target], [value, target]
        case ast.AnnAssign(target=target, value=value) if value is not None:
            yield [target], [value]
        case ast.NamedExpr(target=target, value=value):
            yield [target], [value]
        case _:
            yield from _other_bindings(node)


def _other_bindings(node: ast.AST) -> Iterable[tuple[list[ast.AST], list[ast.AST]]]:
    """Bindings that are not assignments: loop and `with` targets, functions, method calls."""
    match node:
        case ast.For(target=target, iter=source) | ast.AsyncFor(target=target, iter=source):
            yield [target], [source]
        case ast.comprehension(target=target, iter=source):
            yield [target], [source]
        case ast.With(items=items) | ast.AsyncWith(items=items):
            for item in items:
                if item.optional_vars is not None:
                    yield [item.optional_vars], [item.context_expr]
        case ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name):
            yield [ast.Name(name)], [*node.body, *node.args.defaults]
        case ast.Expr(value=ast.Call(func=ast.Attribute(value=ast.Name() as owner)) as call):
            yield [owner], [*call.args, *(k.value for k in call.keywords)]


def _bound(target: ast.AST) -> Iterable[str]:
    """The names a target binds or changes: `a`, `a, b`, `*a`, `a[i]`, `a.b`."""
    match target:
        case ast.Name(id=name):
            yield name
        case ast.Tuple(elts=elts) | ast.List(elts=elts):
            for elt in elts:
                yield from _bound(elt)
        case ast.Starred(value=value) | ast.Subscript(value=value) | ast.Attribute(value=value):
            yield from _bound(value)


def _index_names(target: ast.AST) -> set[str]:
    """Names read by an item assignment's index (``del_w[i] = …`` depends on `i`)."""
    if isinstance(target, ast.Subscript):
        return _names_in([target.slice]) | _index_names(target.value)
    return set()


def _names_in(nodes: Iterable[ast.AST]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def _closure(edges: dict[str, set[str]], start: str) -> frozenset[str]:
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(edges.get(name, ()))
    seen.discard(start)
    return frozenset(seen)
