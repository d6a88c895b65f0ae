"""The published case's expected values are kept between runs; hidden cases never are."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.judge import published_cache
from autograder.judge.diagnose import Oracle
from autograder.load import exercise as exercises


def test_published_values_are_kept_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("GDLAB_CACHE", str(tmp_path))
    exercise = exercises.get("gradient_basic")
    published, hidden = exercise.cases(seed=3)[:2]
    first = Oracle(exercise, published).expected
    assert Oracle(exercise, hidden).expected  # computed, but not stored
    [stored] = tmp_path.glob("*-published-*")  # (the checked exercise is kept there too)
    assert stored.name.startswith("gradient_basic-published-")
    assert all(
        np.array_equal(first[q], v) for q, v in published_cache.load(exercise, published).items()
    )
    assert published_cache.load(exercise, hidden) is None


def test_a_damaged_or_stale_file_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("GDLAB_CACHE", str(tmp_path))
    exercise = exercises.get("gradient_basic")
    published = exercise.cases(seed=3)[0]
    Oracle(exercise, published).expected  # noqa: B018
    [stored] = tmp_path.glob("*-published-*")  # (the checked exercise is kept there too)
    stored.write_bytes(b"not an npz file")
    assert published_cache.load(exercise, published) is None
    assert float(Oracle(exercise, published).expected["h"]) == pytest.approx(0.8)
    changed = exercises.load(exercise.folder, reference=exercise.reference + "\n# edited\n")
    assert published_cache.load(changed, published) is None  # another reference, another file
