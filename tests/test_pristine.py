"""A case's patches of builtins and numpy are undone before its values are read: only where the
program changed something (run/pristine.py), decided by the namespace's version tag."""

from __future__ import annotations

import builtins

import numpy
import pytest

from autograder.run import pristine


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pristine, "_SAVED", None)
    pristine.take()
    return pristine.snapshot()


def test_this_python_keeps_the_version_tag_where_it_is_read() -> None:
    assert pristine.TAGGED  # CPython 3.10/3.11, as gdlab runs: the cheap path is the one used


def test_a_patch_is_undone_and_the_next_case_starts_from_the_restored_namespace(taken) -> None:
    real_sum, real_abs = numpy.sum, builtins.abs
    try:
        numpy.sum = lambda *a, **k: 42  # what a program's cheat does
        builtins.abs = lambda x: 0
        pristine.restore(taken)
        assert numpy.sum is real_sum and builtins.abs is real_abs
        assert not pristine.stale()  # snapshotted again: the next case compares with this
    finally:
        numpy.sum, builtins.abs = real_sum, real_abs


def test_a_name_the_program_added_stays_as_a_copy_and_restore_always_left_it(taken) -> None:
    try:
        numpy.gdlab_added = 1
        assert pristine.stale()
        pristine.restore(taken)
        assert numpy.gdlab_added == 1  # dict.update puts back, it never deletes (as before)
    finally:
        del numpy.gdlab_added


def test_an_untouched_namespace_is_not_copied_again(taken) -> None:
    copies = [copy for _, copy, _ in taken]
    pristine.restore(taken)
    after = [copy for _, copy, _ in pristine.snapshot()]
    assert all(a is b for a, b in zip(copies, after, strict=True))


def test_without_the_worker_snapshot_each_case_copies_and_restores(monkeypatch) -> None:
    monkeypatch.setattr(pristine, "_SAVED", None)  # the plain fallback: no `take`
    saved = pristine.snapshot()
    real_sum = numpy.sum
    try:
        numpy.sum = len
        pristine.restore(saved)
        assert numpy.sum is real_sum
    finally:
        numpy.sum = real_sum
