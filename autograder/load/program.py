"""Put other given values in place of a quiz script's given block.

A quiz script opens with its given values (``x = np.array([1, 2, 3, 4])`` …). To run a student's
file on a case we rewrite each *binding* of a given name into a lookup of the value we chose, and
leave every other line alone. That is what lets a file written for the original quiz be graded as
it is. Used by the worker for student code and by the grader for the reference, so both sides see
the same program.

A binding is any module-level statement before the first graded line (the first statement that
binds a graded quantity) that binds a given name — ``x = …``, ``x, y = …``, ``a, *b = …``,
``x: T = …`` or ``from data_prep import x`` — and whose right-hand side reads no given name. So
a demo value bound above the given block, a given block pasted twice and a tuple assignment are
all put in place, while a student's own reshaping (``x = x[:, None]``, ``w = np.array(w)``) is
kept and works on every case. A file with no such binding before its first graded line falls
back to its first binding anywhere.

The exercise's given files are modules too (`data_prep`), and students reach them in every way
Python allows: ``from data_prep import *`` binds, after the import, each given name the module
defines (what the star import gave); ``import data_prep`` (or ``… as dp``) with
``data_prep.features`` read in the file sets that attribute of the module to the case's value, so
every later ``data_prep.features`` reads it. Only modules named in `modules` count: ``from numpy
import *`` binds nothing of ours.

A given value may be known under other names (the lesson's other editions: ``weights`` for
``w``): its key is then ``"w|weights"``, and whichever of those names the file binds gets it.
A key starting with ``?`` may be missing from the file (the published case's values).

Somewhat over ~300 lines, one job: finding a given block's bindings and rewriting them share
the same reading of the file's statements (what binds, what reads, where grading starts).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable
from typing import Any

#: The name under which injected given values are visible to the rewritten program.
GIVEN_NAME = "__gdlab_given__"
#: What a notebook's ``import autograder…`` binds when graded (see `check_calls.strip_checks`).
LAB_NAME = "__gdlab_lab__"
#: Separates a given value's name from its aliases in a given key (``"w|weights"``).
ALIAS_SEPARATOR = "|"
#: Starts a given key the program may lack (the published case: a file without that binding
#: runs as written; the hidden cases say what is missing).
SOFT = "?"


class GivenNotFound(Exception):
    """The program binds none of the names a given value is known by."""

    def __init__(self, keys: list[str], first_graded: int | None = None) -> None:
        self.names = [key.split(ALIAS_SEPARATOR)[0] for key in keys]
        parts = []
        for key in keys:
            name, *aliases = key.split(ALIAS_SEPARATOR)
            also = f" (or {', '.join(f'`{a}`' for a in aliases)})" if aliases else ""
            parts.append(f"`{name}`{also}")
        where = (
            f"before your first answer line (line {first_graded})"
            if first_graded
            else "at the top level of your file"
        )
        super().__init__(
            f"the given value {' and '.join(parts)} is not assigned {where}: looked for "
            f"`{self.names[0]} = …` or `from data_prep import {self.names[0]}` outside any "
            "function, loop or block; keep the given block as it was handed out"
        )


@functools.lru_cache(maxsize=16)
def parsed_bindings(
    source: str,
    keys: tuple[str, ...],
    graded: frozenset[str],
    modules: frozenset[str] = frozenset(),
) -> tuple[ast.Module, dict[int, dict[str, str]], list[str], int | None]:
    """`given_bindings` of `source`, with the tree they index, worked out once for the few files
    being graded at once: the grader reads a file's given block twice (the text its case's
    child compiles, `given_text`, and the notes on changed values, `published_given`). Read
    only: the result is shared. Each set of arguments parses the file anew, since
    `given_bindings` opens a main guard in the tree it reads (a second reading would open a
    guard nested in it)."""
    tree = ast.parse(source)
    return (tree, *given_bindings(tree, keys, graded, modules))


def assigned_names(statement: ast.stmt) -> set[str]:
    """Names a module-level statement binds directly (`a = b = ...`, `a: T = ...`, `a += ...`)."""
    if isinstance(statement, ast.Assign):
        targets: Iterable[ast.expr] = statement.targets
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
        targets = [statement.target]
    else:
        return set()
    return {t.id for t in targets if isinstance(t, ast.Name)}


def stored_names(statement: ast.stmt) -> set[str]:
    """Every name a module-level statement stores, nested blocks included (not in functions)."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return set()
    return _names(statement, ast.Store)


def _names(tree: ast.AST, context: type[ast.expr_context]) -> set[str]:
    """The names used in `context` (stored, loaded) anywhere in `tree`: the nodes `ast.walk`
    visits, without its generators (every file's opening statements are walked for each
    grade, and the generic walk was most of what noting a file's changes cost)."""
    names: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if type(node) is ast.Name:
            if type(node.ctx) is context:
                names.add(node.id)
            continue
        for field in node._fields:
            value: Any = getattr(node, field, None)
            if type(value) is list:
                stack.extend(item for item in value if type(item) not in _LEAVES)
            elif type(value) not in _LEAVES:
                stack.append(value)
    return names


#: What `_names` need not visit: no names below them (a literal's numbers, every name's
#: context, operators), and the plain values of fields (strings, numbers, None).
_LEAVES = frozenset(
    {ast.Constant, ast.Load, ast.Store, ast.Del}
    | {str, int, bool, float, complex, bytes, type(None), type(...)}
    | {
        kind
        for kind in vars(ast).values()
        if isinstance(kind, type)
        and issubclass(kind, ast.operator | ast.unaryop | ast.cmpop | ast.boolop)
    }
)


def _target_names(target: ast.expr) -> list[str]:
    """Plain names bound by an assignment target: `x`, `x, y`, `(a, *b)`, `[a, b]`."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return [n for element in target.elts for n in _target_names(element)]
    return []


def module_aliases(statement: ast.stmt, modules: Iterable[str]) -> list[str]:
    """The names under which `import M` / `import M as a` binds a given module `M`."""
    if not isinstance(statement, ast.Import):
        return []
    return [a.asname or a.name for a in statement.names if a.name in set(modules)]


def is_star_import(statement: ast.stmt, modules: Iterable[str]) -> bool:
    """Is `statement` ``from M import *`` of a given module `M`?"""
    return (
        isinstance(statement, ast.ImportFrom)
        and statement.level == 0
        and statement.module in set(modules)
        and any(a.name == "*" for a in statement.names)
    )


def _attributes_read(tree: ast.Module, aliases: list[str]) -> set[str]:
    """Attributes the file reads off these names anywhere (`data_prep.features` -> features)."""
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in aliases
    }


def binding(statement: ast.stmt) -> tuple[set[str], ast.expr | None] | None:
    """The names a statement may bind as a given value, and its right-hand side (None for an
    import); None when it is not a binding of that kind."""
    if isinstance(statement, ast.Assign):
        return {n for t in statement.targets for n in _target_names(t)}, statement.value
    if isinstance(statement, ast.AnnAssign) and statement.value is not None:
        return set(_target_names(statement.target)), statement.value
    if isinstance(statement, ast.ImportFrom):
        return {alias.asname or alias.name for alias in statement.names}, None
    return None


def reads(node: ast.AST | None) -> set[str]:
    if node is None:
        return set()
    return _names(node, ast.Load)


def first_graded(tree: ast.Module, graded: Iterable[str], given: set[str]) -> int:
    """Index of the first module-level statement that binds a graded, not given, quantity."""
    wanted = set(graded) - given
    for index, statement in enumerate(tree.body):
        if stored_names(statement) & wanted:
            return index
    return len(tree.body)


def _is_main_guard(statement: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either way round), with no ``else``."""
    if not isinstance(statement, ast.If) or statement.orelse:
        return False
    test = statement.test
    if not (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and len(test.comparators) == 1
    ):
        return False
    sides = {ast.dump(test.left), ast.dump(test.comparators[0])}
    return sides == {ast.dump(ast.Name("__name__", ast.Load())), ast.dump(ast.Constant("__main__"))}


def inline_main_guard(tree: ast.Module) -> ast.Module:
    """Put the body of a module-level ``if __name__ == "__main__":`` in the guard's place.

    A graded program always runs as ``__main__``, so the guard is always true and this changes
    nothing it does; but its given block is then at the top level, where a case's values are put
    in place (a file written with a main guard lost every hidden case)."""
    body: list[ast.stmt] = []
    for statement in tree.body:
        if isinstance(statement, ast.If) and _is_main_guard(statement):
            body.extend(statement.body)
        else:
            body.append(statement)
    tree.body = body
    return tree


def given_bindings(
    tree: ast.Module, keys: Iterable[str], graded: Iterable[str] = (), modules: Iterable[str] = ()
) -> tuple[dict[int, dict[str, str]], list[str], int | None]:
    """Where each given value is put in place: statement index -> {bound name: given key}
    (for an import of a given module, the module's attribute or star-imported name).

    Also the keys found nowhere, and the line of the first graded statement (for messages).
    A main guard's body is made part of the module first (`inline_main_guard`, in place)."""
    inline_main_guard(tree)
    modules = set(modules)
    names_of = {key: key.removeprefix(SOFT).split(ALIAS_SEPARATOR) for key in keys}
    key_of = {name: key for key, names in names_of.items() for name in names}
    stop = first_graded(tree, graded, set(key_of))
    found: dict[int, dict[str, str]] = {}

    def scan(statements: Iterable[tuple[int, ast.stmt]], only: set[str], first: bool) -> None:
        done: set[str] = set()
        for index, statement in statements:
            bound = _module_binding(tree, statement, modules, key_of) or binding(statement)
            if bound is None:
                continue
            names, value = bound
            hits = {n for n in names if n in key_of and key_of[n] in only}
            if first:
                hits = {n for n in hits if key_of[n] not in done}
            if not hits or reads(value) & set(key_of):
                continue
            found.setdefault(index, {}).update({n: key_of[n] for n in hits})
            done |= {key_of[n] for n in hits}

    scan(enumerate(tree.body[:stop]), set(names_of), first=False)
    located = {key for names in found.values() for key in names.values()}
    missing = set(names_of) - located
    if missing:  # nothing before the first graded line: the first binding anywhere
        scan(enumerate(tree.body), missing, first=True)
        located = {key for names in found.values() for key in names.values()}
    line = tree.body[stop].lineno if stop < len(tree.body) else None
    return found, sorted(set(names_of) - located), line


def _module_binding(
    tree: ast.Module, statement: ast.stmt, modules: set[str], key_of: dict[str, str]
) -> tuple[set[str], None] | None:
    """The given names an import of a given module puts in place: every one for a star import
    (each only if the module defines it, see `_rewrite`), the attributes read for a module."""
    if not modules:
        return None
    if is_star_import(statement, modules):
        return set(key_of), None
    aliases = module_aliases(statement, modules)
    if aliases:
        return _attributes_read(tree, aliases) & set(key_of), None
    return None


def _guarded(module: ast.expr, name: str, target: ast.expr, key: str) -> ast.stmt:
    """`if hasattr(module, name): target = <the case's value>`: only what the module defines."""
    assign = ast.Assign([target], ast.parse(f"{GIVEN_NAME}[{key!r}]", mode="eval").body)
    test = ast.Call(ast.Name("hasattr", ast.Load()), [module, ast.Constant(name)], [])
    return ast.If(test, [assign], [])


def _rewrite_module(
    statement: ast.stmt, bound: dict[str, str], modules: set[str]
) -> list[ast.stmt]:
    """An import of a given module, then each given value it provides set to the case's."""
    parts: list[ast.stmt] = [statement]
    if is_star_import(statement, modules):
        assert isinstance(statement, ast.ImportFrom)
        module = ast.parse(f"__import__({statement.module!r})", mode="eval").body
        for name, key in sorted(bound.items()):
            parts.append(_guarded(module, name, ast.Name(name, ast.Store()), key))
    else:
        for alias in module_aliases(statement, modules):
            for name, key in sorted(bound.items()):
                target = ast.Attribute(ast.Name(alias, ast.Load()), name, ast.Store())
                parts.append(_guarded(ast.Name(alias, ast.Load()), name, target, key))
    return [ast.copy_location(part, statement) for part in parts]


def _lookup(name: str, key: str, where: ast.stmt) -> ast.stmt:
    """``name = __gdlab_given__[key]``, built as nodes: parsing that line for each binding was
    a good share of a freshly forked case's compile."""
    value = ast.Subscript(ast.Name(GIVEN_NAME, ast.Load()), ast.Constant(key), ast.Load())
    return ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], value), where)


def _rewrite(statement: ast.stmt, bound: dict[str, str], modules: set[str]) -> list[ast.stmt]:
    """`statement` with the given names in `bound` taking their given values."""
    if is_star_import(statement, modules) or module_aliases(statement, modules):
        return _rewrite_module(statement, bound, modules)
    lookups = [_lookup(name, key, statement) for name, key in sorted(bound.items())]
    if isinstance(statement, ast.ImportFrom):
        kept = [a for a in statement.names if (a.asname or a.name) not in bound]
        if not kept:
            return lookups
        return [
            ast.copy_location(ast.ImportFrom(statement.module, kept, statement.level), statement),
            *lookups,
        ]
    assert isinstance(statement, ast.Assign | ast.AnnAssign)  # what `binding` takes
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        return lookups  # `x = ...`: the given value instead
    target, value = targets[0], statement.value
    if splits(statement):
        assert isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List)
        # `x, y = a, b`: one assignment per name, the given ones replaced
        parts: list[ast.stmt] = []
        for element, part in zip(target.elts, value.elts, strict=True):
            if isinstance(element, ast.Name) and element.id in bound:
                parts.append(_lookup(element.id, bound[element.id], statement))
            else:
                parts.append(ast.copy_location(ast.Assign([element], part), statement))
        return parts
    return [statement, *lookups]  # anything else runs, then the given values win


def splits(statement: ast.Assign | ast.AnnAssign) -> bool:
    """Is `statement` ``x, y = a, b`` (as many plain parts on both sides, none read by the
    others), which a given value takes part by part (`_rewrite`)?"""
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    target, value = targets[0], statement.value
    return (
        len(targets) == 1
        and isinstance(target, ast.Tuple | ast.List)
        and isinstance(value, ast.Tuple | ast.List)
        and len(value.elts) == len(target.elts)
        and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
        and not reads(value) & set(_target_names(target))
    )


def inject_given(
    tree: ast.Module, keys: Iterable[str], graded: Iterable[str] = (), modules: Iterable[str] = ()
) -> ast.Module:
    """Rewrite every binding of a given value (see the module's docstring) into a lookup;
    `modules` names the exercise's given modules (`data_prep`)."""
    keys, modules = list(keys), set(modules)
    found, missing, line = given_bindings(tree, keys, graded, modules)
    missing = [key for key in missing if not key.startswith(SOFT)]
    if missing:
        raise GivenNotFound(missing, line)
    body: list[ast.stmt] = []
    for index, statement in enumerate(tree.body):
        if index in found:  # only what we built lacks locations: the rest came from the parser
            body.extend(map(ast.fix_missing_locations, _rewrite(statement, found[index], modules)))
        else:
            body.append(statement)
    tree.body = body
    return tree


def compile_program(
    source: str,
    filename: str,
    given_names: Iterable[str] | None,
    graded: Iterable[str] = (),
    rewrite: Callable[[ast.Module], ast.Module] | None = None,
    modules: Iterable[str] = (),
):
    """Parse and compile `source`; with `given_names`, inject the given block first; then
    `rewrite` the tree (the trace points of a training exercise).

    `graded` names the quantities (and their aliases): given values are looked for before the
    first statement that binds one of them. `modules` names the given files' modules."""
    tree = ast.parse(source, filename=filename)
    if given_names is not None:
        tree = inject_given(tree, given_names, graded, modules)
    if rewrite is not None:
        tree = rewrite(tree)
    return compile(tree, filename, "exec")
