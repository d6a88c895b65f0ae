"""Saying what is wrong with exercise.toml in one line: the key's path and what was meant.

Pydantic reports where a value failed as a location tuple, ``('quantities', 'h', 'pointz')``;
this module turns the first error into a line such as ``unknown key `quantities.h.pointz`; did
you mean `points`?``, looking up the keys a table allows in the schema's models themselves.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Union

from pydantic import BaseModel


class SpecError(ValueError):
    """exercise.toml breaks the schema; the message is one line naming file, key and fix."""


class Misnamed(ValueError):
    """A name that must refer to another part of the file and does not."""

    def __init__(
        self, loc: tuple[str | int, ...], got: str, known: list[str], what: str, named: str = ""
    ):
        super().__init__(f"`{key_path(loc)}`{named}: {what} {got!r}{suggest(got, known)}")


def explain(error: Any, data: dict[str, Any], root: type[BaseModel]) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        table = _model_at(root, loc[:-1])
        known = list(table.model_fields) if table is not None else []
        return f"unknown key `{key_path(loc)}`{suggest(str(loc[-1]), known)}"
    if error["type"] == "missing":
        return f"missing key `{key_path(loc)}`"
    message = str(error["msg"]).removeprefix("Value error, ")
    if loc:
        where = f"`{key_path(loc)}`{_mistake_named(loc, data)}"
        shown = error.get("input")
        if isinstance(shown, dict) or "got " in message:
            return f"{where}: {message}"
        return f"{where}: {message} (got {shown!r})"
    return message


def _mistake_named(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    """The mistake's own name, to find a [[mistakes]] entry without counting tables."""
    if len(loc) >= 2 and loc[0] == "mistakes" and isinstance(loc[1], int):
        try:
            return f" (mistake {data['mistakes'][loc[1]]['name']!r})"
        except (KeyError, IndexError, TypeError):
            return ""
    return ""


def key_path(loc: tuple[Any, ...]) -> str:
    """A TOML-ish key path: ``quantities.h.points``, ``mistakes[2].replace``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _is_union_tag(part):
            out += f".{part}" if out else str(part)
    return out


def _is_union_tag(part: Any) -> bool:
    """Pydantic names union members in a location (``function-before[...]``, ``list[...]``)."""
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "float"))


def suggest(got: str, known: list[str]) -> str:
    import difflib  # only when a key is wrong

    close = difflib.get_close_matches(got, known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean `{close[0]}`?"
    return f"; known: {', '.join(known)}" if known else ""


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that describes the table at `loc` (to list the keys it allows)."""
    current: Any = root
    for part in loc:
        if _is_union_tag(part):
            continue
        current = unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        elif typing.get_origin(current) is list:
            current = typing.get_args(current)[0]
        else:
            return None
    current = unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``; annotated types → their base."""
    while True:
        origin = typing.get_origin(annotation)
        if origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0]
        elif origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation
