"""The one Jinja2 environment for every page gdlab renders: the server's and the feedback pages.

Autoescaping is on for all of them: any text from the gradebook may come from a student's
program. The stylesheet is one file, linked by the server's pages and inlined by the feedback
pages (which must open offline, anywhere).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

HERE = Path(__file__).parent


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


@cache
def stylesheet() -> str:
    return (HERE / "static" / "gdlab.css").read_text(encoding="utf-8")
