"""Run a student's program once on one case, in the process it is in, and describe its values.

Used by the case's child (`child`, confined) and by the plain fallback
(`plain`, where Linux namespaces are missing): the program is compiled once per set
of injected given names, run in a fresh module namespace, and whatever it ends with (finished,
sys.exit, an exception) is reported with *descriptions* of the requested values
(`describe.describe`), never the values themselves. Portable: no Linux-only module here.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograder.load.frames import from_plain as given_from_plain
from autograder.load.frames import needs_pandas
from autograder.load.program import GIVEN_NAME, LAB_NAME, SOFT, GivenNotFound, compile_program
from autograder.run import early, pristine, trace
from autograder.run.describe import describe
from autograder.run.protocol import Report, Request

#: The child's compiled program per set of injected names (one child runs one job), and
#: whether it looks the values up by their names without the soft mark (`_program`).
_compiled: dict[tuple[str, ...] | None, tuple[Any, bool]] = {}
#: A given block not found, per set of names: said again without compiling again.
_not_found: dict[tuple[str, ...], GivenNotFound] = {}


class _LabStandIn:
    """What a notebook's ``import autograder…`` binds when graded (`check_calls.strip_checks`): the
    lab's check machinery is no part of the graded program, so any attribute is this object
    again, any call does nothing, and attributes may be set."""

    def __getattr__(self, name: str) -> _LabStandIn:
        return self

    def __call__(self, *args: object, **kwargs: object) -> None:
        return None


def _display(*objects: object, **options: object) -> None:
    """A notebook's `display`: the plain-text form of each object, as a kernel shows it."""
    for shown in objects:
        print(repr(shown))


def _builtins(filename: str) -> dict[str, Any]:
    """Python's builtins; a notebook's also have `display`, which IPython puts there for every
    cell (a cell calling ``display(h)`` without an import runs in Jupyter)."""
    names = dict(builtins.__dict__)
    if filename.endswith(".ipynb"):
        names["display"] = _display
    return names


def warm(request: Request) -> bool:
    """Import pandas in the worker, once, when a job hands out pandas data or the file names it:
    every child forked after that starts pandas-warm (an import in each case costs ~0.3 s).
    Likewise numpy.random when the file names ``random`` (a training exercise's weights): its
    import cost each submission's child ~20 ms of CPU (measured), more than the rest of a
    five-case job; a worker that never sees it (gradient_basic) stays as small as it was.
    True when this imported something now (the caller freezes it, `worker._freeze`)."""
    if "pandas" not in sys.modules and (
        needs_pandas(list(request.cases)) or "pandas" in request.source
    ):
        import pandas  # noqa: F401

        return True
    if "numpy.random" not in sys.modules and "random" in request.source:
        import numpy.random  # noqa: F401

        return True
    return False


def reseed() -> None:
    """In a child forked from a worker that holds numpy.random: draw numpy's global state anew
    from the system's entropy, as a fresh import would, so that two submissions never share
    one unseeded stream (Python's own `random` reseeds itself at fork)."""
    random = sys.modules.get("numpy.random")
    if random is not None:
        random.seed()


def run_program(
    request: Request, given: dict[str, Any] | None, send: Callable[[bytes], None] | None = None
) -> Report:
    """Compile with the given values injected, run, and describe the requested quantities;
    `send` writes a line on the result channel, for each trace point's records as soon as they
    are complete (`early.py`: a run stopped later for time keeps them)."""
    filename = request.filename
    try:
        names = None if given is None else tuple(given)
        points = [trace.Point.from_plain(p) for p in request.trace]
        code, unmarked = _program(request, names, points)
    except SyntaxError as error:
        return Report("syntax_error", _error_info(error, filename, error.lineno), {})
    except GivenNotFound as error:
        return Report(
            "given_missing", {"type": "GivenNotFound", "message": str(error), "line": None}, {}
        )
    except (ValueError, RecursionError, MemoryError) as error:
        return Report("syntax_error", _error_info(error, filename, None), {})
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__file__": filename,
        "__builtins__": _builtins(filename),
        LAB_NAME: _LabStandIn(),
    }
    if given is not None:
        namespace[GIVEN_NAME] = {
            (name.removeprefix(SOFT) if unmarked else name): given_from_plain(v)
            for name, v in given.items()
        }
    recorder = trace.Recorder(points, trace.budgeted(describe), complete=_sender(send))
    recorder.install(namespace)
    saved = pristine.snapshot()
    ending: BaseException | None = None
    try:
        exec(code, namespace)
    except BaseException as failure:
        ending = failure
    pristine.restore(saved)  # undo the program's patches before we read its values
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
    status, info = _ending(ending, filename)
    values = {
        name: _describe_quantity(namespace, expr) for name, expr in request.quantities.items()
    }
    return Report(status, info, values, recorder.plain())


def _program(
    request: Request, names: tuple[str, ...] | None, points: list[trace.Point]
) -> tuple[Any, bool]:
    """The program compiled for cases whose given values have these names (None: as written),
    and whether it looks them up without their soft mark (``?x`` as ``x``).

    The published case's names are the hidden cases' marked soft (`program.SOFT`): where the
    file binds every given value, one program serves them all, since compiling is a good share
    of a freshly forked child's work (~2.5 ms of ~10, measured); raises what compiling raises."""
    if names in _compiled:
        return _compiled[names]
    if names is None and not points:
        # nothing to inject or observe: `compile` itself, without Python's AST objects
        _compiled[names] = compile(request.source, request.filename, "exec"), False
        return _compiled[names]
    hard = None if names is None else tuple(name.removeprefix(SOFT) for name in names)
    if hard not in _compiled and hard not in _not_found:
        try:
            _compiled[hard] = (
                _compile_injected(request, hard, points) or _compile(request, hard, points),
                False,
            )
        except GivenNotFound as error:
            assert hard is not None  # nothing is looked for without names
            _not_found[hard] = error
    if hard in _compiled:
        _compiled[names] = _compiled[hard][0], hard != names
    elif hard == names:
        assert hard is not None  # as written (None) has nothing to look for
        raise _not_found[hard]
    else:  # a value the file may lack is missing: the published case runs without it
        _compiled[names] = _compile(request, names, points), False
    return _compiled[names]


def _compile_injected(
    request: Request, names: tuple[str, ...] | None, points: list[trace.Point]
) -> Any | None:
    """The program as the grader put these names' given block in place (`given_text`),
    compiled from its text: a third of what rewriting the parsed program costs a freshly forked
    child (measured); None when the request has none for these names, or it does not compile
    (the parsed program then says why)."""
    injected = request.injected
    if points or injected is None or tuple(injected.get("names", ())) != names:
        return None
    try:
        return compile(injected["source"], request.filename, "exec")
    except (SyntaxError, ValueError, TypeError, KeyError, RecursionError, MemoryError):
        return None


def _compile(request: Request, names: tuple[str, ...] | None, points: list[trace.Point]) -> Any:
    return compile_program(
        request.source,
        request.filename,
        names,
        request.quantities.values(),
        rewrite=lambda tree: trace.instrument(tree, points),
        modules=[Path(f).stem for f in request.files if f.endswith(".py")],
    )


def _sender(
    send: Callable[[bytes], None] | None,
) -> Callable[[str, list[dict[str, Any]]], None] | None:
    """What the recorder calls when a point is complete: its early line, sent; never an
    exception into the student's loop, which it is called from."""
    if send is None:
        return None

    def complete(point: str, passes: list[dict[str, Any]]) -> None:
        with contextlib.suppress(Exception):
            send(early.encode(point, passes))

    return complete


def _ending(failure: BaseException | None, filename: str) -> tuple[str, dict[str, Any] | None]:
    """How the program ended: finished, exited (sys.exit) or raised, with where and why."""
    if failure is None:
        return "finished", None
    if isinstance(failure, SystemExit):
        code = _text(lambda: repr(failure.code))
        return "exited", {
            "type": "SystemExit",
            "message": f"sys.exit({code})"[:300],
            "line": _line_in(failure, filename),
        }
    return "raised", _error_info(failure, filename, _line_in(failure, filename))


def _describe_quantity(namespace: dict[str, Any], expr: str) -> dict[str, Any]:
    try:
        if expr.isidentifier():
            if expr not in namespace:
                return {"kind": "missing", "type": "-"}
            return describe(namespace[expr])
        return describe(eval(expr, namespace))
    except BaseException as failure:
        return {"kind": "object", "type": f"error: {type(failure).__name__}"}


def _line_in(failure: BaseException, filename: str) -> int | None:
    line = None
    for frame in traceback.extract_tb(failure.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def _text(make: Any) -> str:
    """The program's own __str__ or __repr__ may raise or lie about its type; never let it stop
    the report."""
    try:
        text = make()
    except BaseException:
        return "?"
    return text if type(text) is str else "?"


def _error_info(failure: BaseException, filename: str, line: int | None) -> dict[str, Any]:
    message = _text(lambda: str(failure))
    if isinstance(failure, MemoryError):
        message = "memory limit exceeded"
    if isinstance(failure, SyntaxError):
        message = failure.msg
    line = line if type(line) is int and line > 0 else None
    return {"type": type(failure).__name__, "message": message[:300], "line": line}
