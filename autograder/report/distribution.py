"""What a copy of gdlab that only grades needs, read from the project's own metadata.

The Gradescope bundle installs gdlab in a container that has nothing else. What it declares
(version, the Python it runs on) and what it installs with it must be the project's truth, not a
second list kept by hand that drifts from it (one said ``>=3.10`` while the code needed 3.11).
So the bundle's ``pyproject.toml`` is made from the project's: the same name, version,
``requires-python`` and package layout, and of the project's dependencies (markers kept) exactly
those that the modules the runner can reach import. Adding an import to one of them adds the
dependency to the bundle; the instructor-only ones (nbgrader, SQLAlchemy, …) stay out.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
from pathlib import Path
from typing import Any

from autograder import toml as tomllib

PACKAGE = Path(__file__).resolve().parents[1]  # autograder/
#: Where the runner starts (modules it launches by name, ``-m autograder.x``, are followed too).
RUNNER_MODULES = ("autograder.report.gradescope",)


def project() -> dict[str, Any]:
    """The project's pyproject.toml (from the source tree, else the installed metadata)."""
    source = PACKAGE.parent / "pyproject.toml"
    if source.is_file():
        return tomllib.loads(source.read_text(encoding="utf-8"))
    meta = importlib.metadata.metadata("gdlab")
    return {
        "project": {
            "name": meta["Name"],
            "version": meta["Version"],
            "requires-python": meta["Requires-Python"] or "",
            "dependencies": [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r],
        }
    }


def reachable_modules(start: tuple[str, ...] = RUNNER_MODULES) -> set[str]:
    """The autograder modules that `start` can import, directly or not, at any depth."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [m for m in _imports(name) if m.startswith("autograder.")]
    return seen


def third_party_imports(modules: set[str]) -> set[str]:
    """Top-level names imported by `modules` that are neither ours nor the standard library's."""
    names = set()
    for module in modules:
        names |= {m.split(".")[0] for m in _imports(module)}
    return {
        n
        for n in names
        if n not in ("autograder", "solutions", "__future__") and n not in sys.stdlib_module_names
    }


def runner_dependencies(config: dict[str, Any] | None = None) -> list[str]:
    """The project's dependencies, markers kept, that the runner's modules import."""
    config = config or project()
    wanted = set()
    providers = importlib.metadata.packages_distributions()
    for name in third_party_imports(reachable_modules()):
        wanted |= {_normal(d) for d in providers.get(name, [name])}
    return [r for r in config["project"]["dependencies"] if _normal(_name_of(r)) in wanted]


def bundle_pyproject(config: dict[str, Any] | None = None) -> str:
    """The bundle's own pyproject.toml: the project's, with the runner's dependencies only."""
    config = config or project()
    meta = config["project"]
    lines = [
        "[build-system]",
        'requires = ["setuptools>=68"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
    ]
    for key in ("name", "version", "description", "requires-python"):
        if meta.get(key):
            lines.append(f"{key} = {json.dumps(meta[key])}")
    lines.append(f"dependencies = {json.dumps(runner_dependencies(config))}")
    setuptools = config.get("tool", {}).get("setuptools", {})
    find = setuptools.get("packages", {}).get("find", {"include": ["autograder*", "solutions*"]})
    lines += ["", "[tool.setuptools.packages.find]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in find.items()]
    lines += ["", "[tool.setuptools.package-data]"]
    data = setuptools.get("package-data", {"*": ["*.py", "*.toml"]})
    lines += [f"{json.dumps(key)} = {json.dumps(value)}" for key, value in data.items()]
    return "\n".join(lines) + "\n"


def _imports(module: str) -> set[str]:
    """Every module `module` imports, anywhere in its file (a function's imports count), and
    every module of ours it names in full (the sandbox starts its worker by name)."""
    path = PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")
    if not path.is_file():  # a package: its __init__, or a name imported from a module
        path = PACKAGE.joinpath(*module.split(".")[1:], "__init__.py")
    if not path.is_file():
        return set()
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            if node.module.split(".")[0] == "autograder":  # from autograder.judge import grading
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found |= set(re.findall(r"\bautograder(?:\.\w+)+", node.value))  # python -c / -m
    return found


def _name_of(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return match.group(1) if match else requirement


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
