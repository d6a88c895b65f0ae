"""The one entry point (judge/grader.py), and stages that talk in data: run outcomes, check
reasons, and the words the report stage gives them."""

from __future__ import annotations

import dataclasses
import re
import shutil
import threading
from pathlib import Path

import pytest

from autograder.judge.checks import Reason
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import submission
from autograder.record import batch
from autograder.record.gradebook import Gradebook
from autograder.report.feedback_cards import work_on
from autograder.report.terminal import submit_text
from autograder.report.wording import RUN_WORDS
from autograder.run import protocol
from autograder.run.outcome import Outcome
from autograder.run.sandbox import Sandbox
from autograder.server.public import public
from tests.helpers import REPO

EXAMPLES = REPO / "examples" / "gradient_basic"


@pytest.fixture
def boots(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every sandbox worker started from now on (a spy on the boot itself)."""
    started: list[int] = []
    real = Sandbox._start

    def spy(self: Sandbox) -> None:
        real(self)
        started.append(1)

    monkeypatch.setattr(Sandbox, "_start", spy)
    return started


@pytest.mark.parametrize("workers", [1, 2])
def test_a_batch_boots_a_sandbox_per_worker_for_the_whole_class(
    tmp_path: Path, boots: list[int], workers: int
) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    names = ["ada_correct", "ben_sign_flip", "cara_no_derivative", "ivy_crash_midway"]
    for name in names:
        shutil.copy(EXAMPLES / f"{name}.py", folder / f"{name}.py")
    with Gradebook(f"sqlite:///{tmp_path / 'book.db'}") as book:
        items = batch.discover(folder, "gradient_basic")
        summary = batch.grade_class(items, book, workers=workers)
    assert len([o for o in summary.outcomes if o.regrade is None]) == 4
    assert 1 <= len(boots) <= workers  # one Grader lends at most a sandbox per thread


def test_one_grader_runs_and_submits_several_files_on_one_sandbox(boots: list[int]) -> None:
    with Grader() as grader:
        for name in ("ada_correct", "ben_sign_flip"):
            program = submission.load(EXAMPLES / f"{name}.py")
            assert grader.test_run("gradient_basic", program).checks
            assert grader.submit("gradient_basic", program, student=name).seed is not None
        assert grader.sandboxes == 1
    assert len(boots) == 1
    assert grader.sandboxes == 0  # closed with the context


def test_one_grader_waits_on_its_sandbox_from_one_thread_for_every_file() -> None:
    """A course server's worker grades thousands of SUBMITs with one Grader: the thread that
    waits on the sandbox while the references run is started once, not once per file, and
    goes with the Grader."""
    before = {t.ident for t in threading.enumerate()}
    with Grader() as grader:
        for name in ("ada_correct", "ben_sign_flip", "cara_no_derivative"):
            program = submission.load(EXAMPLES / f"{name}.py")
            assert grader.submit("gradient_basic", program, seed=3).checks
        started = [t for t in threading.enumerate() if t.ident not in before]
        assert [t.name.startswith("gdlab-run") for t in started] == [True]
    assert not started[0].is_alive()


def test_a_lab_check_starts_no_sandbox(boots: list[int]) -> None:
    from autograder.run.values import Value

    with Grader() as grader:
        check = grader.check_values("gradient_basic", "h", {"h": Value.from_plain(_real(0.8))})
        assert check.passed and check.reason is Reason.CORRECT
        wrong = grader.check_values("gradient_basic", "h", {"h": Value.from_plain(_real(0.1))})
        assert not wrong.passed and wrong.reason is Reason.WRONG_VALUE
    assert boots == []


def _real(number: float) -> dict:
    from autograder.run.describe import describe

    return describe(number)


def test_a_crash_is_reported_by_its_outcome_in_every_report(grader: Grader) -> None:
    program = submission.load(EXAMPLES / "ivy_crash_midway.py")
    grade = grader.submit("gradient_basic", program, student="ivy", seed=3)
    assert {run.status for run in grade.runs} == {Outcome.RAISED}
    stopped = [c for c in grade.checks if not c.passed]
    assert stopped and {c.reason for c in stopped} == {Reason.NOT_COMPUTED}
    # The server's view of a hidden case words the outcome from the table, nothing else.
    hidden = [r for r in public(grade, "submit")["runs"] if not r["visible"]]
    assert hidden and all(
        r["problem"] == f"on this hidden case your program {RUN_WORDS[Outcome.RAISED]}"
        for r in hidden
    )
    # A feedback page gives the quantities that were never computed one shared card.
    cases = list(dict.fromkeys(c.case for c in grade.checks))
    quantities = list(dict.fromkeys(c.quantity for c in stopped))
    [card] = work_on(grade.checks, cases, quantities)
    assert card.kind == "shared" and card.names == quantities and card.see_run


def test_a_timeout_is_reported_by_its_outcome(grader: Grader, tmp_path: Path) -> None:
    path = tmp_path / "loop.py"
    path.write_text("h = 0.8\nwhile True:\n    pass\n", encoding="utf-8")
    basic = exercises.get("gradient_basic")  # with a one-second limit: the outcome is the same
    quick = dataclasses.replace(basic, limits=dataclasses.replace(basic.limits, time=1.0))
    grade = grader.submit(quick, submission.load(path), seed=3)
    assert [run.status for run in grade.runs] == [Outcome.TIMEOUT]  # the rest would repeat it
    later = [c for c in grade.checks if not c.visible]
    assert later and {c.reason for c in later} == {Reason.NOT_RUN}
    assert "no value to check (see how your program ran)" in submit_text(grade)


def test_every_outcome_has_words_and_the_wire_speaks_the_same_words() -> None:
    assert set(RUN_WORDS) == set(Outcome)
    assert {o.value for o in Outcome} == protocol.CHILD_STATUSES | protocol.WORKER_STATUSES


#: A condition on the words of a check's message or a run's problem: a prefix, a suffix, a
#: phrase in it, equality with a literal. (A phrase in a library's own error text, such as
#: pydantic's in load/spec_errors.py, is not ours to turn into data.)
WORDS_AS_DECISIONS = re.compile(
    r"""(message|problem)["'\]]*\s*\.(startswith|endswith)\("""
    r"""|\bin\s+[\w.\[\]"']*(\.|\[["'])(message|problem)\b"""
    r"""|(message|problem)["'\]]*\s*[!=]=\s*["']"""
)


def test_no_stage_decides_from_a_messages_words() -> None:
    """Done when: no English parsed back into decisions. Such a decision belongs in
    `Check.reason` or `CaseRun.status` (the gradebook's migration 5 reads old rows' words once)."""
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "autograder").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WORDS_AS_DECISIONS.search(line)
    ]
    assert found == []


def test_the_guard_catches_the_decisions_it_replaced() -> None:
    replaced = [
        'if failed and all(c.message.startswith("not run:") for c in failed):',
        'unknown=not first["mistake"] and first["message"].startswith("wrong value"),',
        "if c.quantity in sized and not c.passed and SIZE_HINT not in c.message",
        'if named is None and first.message == "wrong value":',
        "if message.endswith(NOT_DONE):",
    ]
    assert [line for line in replaced if not WORDS_AS_DECISIONS.search(line)] == []


def test_an_exercise_is_loaded_once_per_grader() -> None:
    with Grader() as grader:
        first = grader.exercise("gradient_basic")
        assert grader.exercise("gradient_basic") is first
        assert grader.exercise(first) is first
    assert first.id == exercises.get("gradient_basic").id
