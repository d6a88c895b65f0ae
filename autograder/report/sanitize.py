"""Make text from students safe for where it goes: a terminal, a CSV cell, a path component.

A student controls what their program prints, their exception messages, their file names and
(with ``--student``) their name. Printed raw, an escape sequence repaints the terminal (a fake
all-green table, then "conceal" over the real one); a CSV cell starting with ``=`` is a formula
to a spreadsheet (``=HYPERLINK(…)``); a name like ``..`` or ``a/b`` walks out of an export
folder. Each function here closes one of those doors and keeps the text readable.
"""

from __future__ import annotations

import hashlib
import re

#: C0 controls but newline and tab, DEL, C1 controls (0x9b is a one-byte CSI), and the Unicode
#: format characters that reorder or hide text on screen (bidi overrides, zero-width marks).
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """`text` with every control or invisible character shown as an escape (``\\x1b``).

    Newlines and tabs stay; a lone surrogate (an undecodable file name) is shown too."""
    return _CONTROL.sub(_escaped, text)


def one_line(text: str) -> str:
    """`for_terminal`, with newlines and tabs escaped as well: for names in progress lines."""
    return for_terminal(text).replace("\n", "\\n").replace("\t", "\\t")


def in_json(text: str) -> str:
    """Serialised JSON with the characters `for_terminal` escapes written as ``\\uXXXX``
    (they only occur inside strings, so the JSON stays valid and means the same)."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading ``'``.

    Numbers we format ourselves are written as numbers (a negative number stays a number)."""
    if isinstance(value, int | float):
        return f"{value:g}"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def decoded_name(name: str) -> str:
    """A file name as valid text: bytes that are not UTF-8 (kept by Python as lone
    surrogates, which no database accepts) become ``\\xNN``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def path_component(name: str) -> str:
    """`name` as one file name that stays inside its folder and is unique per name.

    Anything but letters, digits and ``._@+-`` becomes ``_``; a name that had to change, or
    that is empty or dots only, gets a short hash of the original, so ``a/b`` and ``a_b``
    never share a folder and ``..`` is never a parent."""
    safe = re.sub(r"[^\w.@+-]", "_", name, flags=re.ASCII)
    if safe == name and safe.strip("."):
        return safe
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{safe.strip('.') or '_'}-{digest}"
