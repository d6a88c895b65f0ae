"""Write docs/exercise-format.md from the schema: the field descriptions are the documentation.

    python -m autograder.commands.exercise_doc            # rewrite docs/exercise-format.md
    python -m autograder.commands.exercise_doc --check    # exit 1 when the page is out of date

A test runs the check, so a key added to `exercise_schema` without regenerating the page fails.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from autograder.load.schema import ExerciseSpec, Pair, SizeRange
from autograder.load.spec_errors import unwrap as _unwrap

PAGE = Path(__file__).resolve().parents[2] / "docs" / "exercise-format.md"

INTRO = """\
# exercise.toml: the reference

<!-- Generated from autograder/load/schema.py by `python -m autograder.commands.exercise_doc`;
     edit the schema's descriptions, not this page. -->

An exercise is one folder, `source/<exercise>/`, and `exercise.toml` is everything the grader
knows about it. gdlab checks the file whenever it loads it: an unknown key, a misspelt
distribution or a bad value stops with one line naming the file and the key (and the key you
probably meant). `gdlab build` also checks that every mistake's edit applies to the solved script
and that the lab's check cells match the quantities and their points. `gdlab new NAME` writes a
small exercise that builds and passes, to start from; `source/gradient_basic/exercise.toml` is a
commented, complete example.
"""


def render() -> str:
    """The whole page."""
    sections: list[str] = [INTRO]
    _section(ExerciseSpec, "top level", sections)
    return "\n".join(sections)


def _section(model: type[BaseModel], title: str, out: list[str]) -> None:
    doc = (model.__doc__ or "").strip().replace("``", "`")
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    nested: list[tuple[type[BaseModel], str]] = []
    for name, field in model.model_fields.items():
        inner, header = _table_of(field.annotation, name, title)
        rows.append(
            f"| `{name}` | {_type(field.annotation)} | {_default(field)} | {_meaning(field)} |"
        )
        if inner is not None:
            nested.append((inner, header))
    out += [f"## {title}", "", doc, "", *rows, ""]
    for inner, header in nested:
        _section(inner, header, out)


def _table_of(annotation: Any, name: str, parent: str) -> tuple[type[BaseModel] | None, str]:
    """The model a field holds (directly, per name, or per list entry) and its TOML header."""
    prefix = "" if parent == "top level" else parent.strip("[]") + "."
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if _is_model(annotation):
        return annotation, f"[{prefix}{name}]"
    if origin is dict and _is_model(_unwrap(typing.get_args(annotation)[1])):
        return _unwrap(typing.get_args(annotation)[1]), f"[{prefix}{name}.<name>]"
    if origin is list and _is_model(_unwrap(typing.get_args(annotation)[0])):
        return _unwrap(typing.get_args(annotation)[0]), f"[[{prefix}{name}]]"
    return None, ""


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _type(annotation: Any) -> str:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            annotation = members[0]
    special = {SizeRange: "[low, high]", Pair: "[a, b]"}
    if annotation in special:
        return special[annotation]
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if _is_model(annotation):
        return "table"
    if origin is dict:
        value = typing.get_args(annotation)[1]
        return "table of name = " + (_type(value) if not _is_model(_unwrap(value)) else "table")
    if origin is list:
        return "list of " + _type(typing.get_args(annotation)[0])
    if origin is tuple:
        return "[old, new] or a list of them"
    names = {str: "string", int: "integer", float: "number", bool: "true / false"}
    if origin in (typing.Union, types.UnionType):
        return " or ".join(names.get(a, str(a)) for a in typing.get_args(annotation))
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return "see below" if isinstance(value, BaseModel) else f"`{value!r}`"
    if field.default is PydanticUndefined:
        return "required"
    if field.default is None:
        return "absent"
    value = field.default
    return f"`{str(value).lower()}`" if isinstance(value, bool) else f"`{value!r}`"


def _meaning(field: FieldInfo) -> str:
    bounds = {
        annotated_types.Gt: "> ",
        annotated_types.Ge: "≥ ",
        annotated_types.Lt: "< ",
        annotated_types.Le: "≤ ",
        annotated_types.MinLen: "at least ",
    }
    limits = []
    for item in field.metadata:
        for kind, word in bounds.items():
            if isinstance(item, kind):
                value = getattr(item, dataclasses.fields(typing.cast(Any, item))[0].name)
                limits.append("not empty" if kind is annotated_types.MinLen else f"{word}{value}")
    text = (field.description or "").replace("|", "\\|")
    return text + (f" ({', '.join(limits)})" if limits else "")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    page = render()
    if "--check" in args:
        if not PAGE.is_file() or PAGE.read_text(encoding="utf-8") != page:
            print(
                f"{PAGE} is out of date: run python -m autograder.commands.exercise_doc",
                file=sys.stderr,
            )
            return 1
        print(f"{PAGE} is up to date")
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
