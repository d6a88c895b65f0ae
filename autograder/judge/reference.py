"""The reference program as an oracle, run in the grader's own process (it is our code).

`run` executes the reference (or a mistaken edit of it) on a case's given values and returns its
final namespace. `Steps` keeps, for each quantity, the reference's own top-level statements that
compute it, so the grader can recompute one step from the *student's* upstream values: that is
what error carried forward means here, with no formula written twice.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import functools
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograder.load.program import GIVEN_NAME, assigned_names, compile_program


def quiet_namespace(**names: Any) -> dict[str, Any]:
    """A fresh module namespace whose `print` goes nowhere.

    Our own programs print as they run; redirecting `sys.stdout` instead would be process-wide
    and would swallow another thread's output while a batch grades in parallel.
    """
    scope_builtins = dict(builtins.__dict__)
    scope_builtins["print"] = _silent_print
    return {"__name__": "__main__", "__builtins__": scope_builtins, **names}


def _silent_print(*args: Any, file: Any = None, **kwargs: Any) -> None:
    if file is not None and file is not sys.stdout:
        print(*args, file=file, **kwargs)


def run(source: str, given: dict[str, Any] | None, filename: str = "<reference>") -> dict[str, Any]:
    """Run `source` quietly with `given` injected (None: as published); return its namespace."""
    code = compiled(source, filename, None if given is None else tuple(given))
    namespace = quiet_namespace()
    if given is not None:
        namespace[GIVEN_NAME] = fresh_copy(given)
    with quiet_numpy():  # a mistaken reference may overflow on purpose: that is no news to us
        exec(code, namespace)
    return namespace


def fresh_copy(given: dict[str, Any]) -> dict[str, Any]:
    """`copy.deepcopy(given)`, with its common values copied directly: a case's numbers (a
    numeric array: `ndarray.copy` in the same memory order, as deepcopy makes it; a float, an
    int, a string: immutable, so themselves). A SUBMIT runs the reference and its mistakes some
    thirty times, and deepcopy's generic walk was a third of each run."""
    return {name: _fresh(value) for name, value in given.items()}


def _fresh(value: Any) -> Any:
    kind = type(value)
    if kind is np.ndarray and value.dtype != object:
        return value.copy(order="K")
    if kind in (float, int, str, bool, np.float64) or value is None:
        return value
    return copy.deepcopy(value)


@functools.lru_cache(maxsize=256)
def compiled(source: str, filename: str, given_names: tuple[str, ...] | None) -> Any:
    """A code object depends only on these: the reference and each mistake's edit are compiled
    once per process, not once per case (a server draws new cases for every SUBMIT)."""
    return compile_program(source, filename, given_names)


@contextlib.contextmanager
def quiet_numpy() -> Iterator[None]:
    """Run our own program: no floating-point warnings on our stderr (numpy's error state is per
    thread), and one program at a time in this process. Our programs seed and draw from numpy's
    global random state (``np.random.seed(42)`` then ``np.random.normal``): two threads of a
    batch running them at once interleaved their draws, and a right answer lost a case."""
    with _ONE_AT_A_TIME, np.errstate(all="ignore"):
        yield


_ONE_AT_A_TIME = threading.RLock()


class Steps:
    """Per quantity: the code that computes it from upstream names, and which quantities it reads.

    Only a quantity computed by plain module-level assignments has a step; one that is (also)
    changed inside a loop or a block depends on the whole history and has none.
    """

    def __init__(self, source: str, quantities: list[str]) -> None:
        tree = ast.parse(source)
        self.code: dict[str, Any] = {}
        self.reads: dict[str, list[str]] = {}
        nested = _names_bound_in_blocks(tree)
        for name in quantities:
            statements = [s for s in tree.body if name in assigned_names(s)]
            if not statements or name in nested:
                continue
            module = ast.Module(body=statements, type_ignores=[])
            self.code[name] = compile(module, f"<step {name}>", "exec")
            loaded = {
                n.id
                for s in statements
                for n in ast.walk(s)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            }
            self.reads[name] = [q for q in quantities if q in loaded and q != name]

    def evaluate(self, name: str, namespace: dict[str, Any]) -> Any | None:
        """The step's result in a copy of `namespace`, or None when it has no step or fails."""
        if name not in self.code:
            return None
        scope = dict(namespace)
        try:
            with quiet_numpy():
                exec(self.code[name], scope)
        except Exception:
            return None
        return scope.get(name)


def _names_bound_in_blocks(tree: ast.Module) -> set[str]:
    """Names bound anywhere other than a plain module-level assignment (loops, ifs, withs)."""
    names: set[str] = set()
    for statement in tree.body:
        if assigned_names(statement) or isinstance(statement, ast.FunctionDef | ast.ClassDef):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names
