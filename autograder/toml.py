"""TOML reading on every Python gdlab runs on: `tomllib` (3.11+), its backport `tomli` on 3.10
(Gradescope's default image). The one place that knows the difference."""

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

loads = tomllib.loads
TOMLDecodeError = tomllib.TOMLDecodeError
