"""Grade a class: many submissions, in parallel, committed a few at a time as they are graded.

Resumable by construction: every file is stored (``pending``) before any grading starts, the
grades are written as they arrive, a few per transaction (`_WRITE_EVERY`), and a re-run skips
files already graded (same student, exercise and content) and completes the pending ones.
Killing the run at any moment, even with ``kill -9``, loses nothing and duplicates nothing (the
few files graded since the last commit are pending, and graded again).

Parallelism is threads sharing one `Grader` with `workers` sandboxes (``Grader(workers=N)``),
two threads per sandbox, each borrowing one only while its program runs: the student code runs
in the sandboxes' processes, our share is parsing and comparing (done by one thread while the
other's program runs), so threads keep the memory of a whole batch to one grader process plus
one small worker per sandbox.
One Grader rather than one per thread: the exercises, the references' results and the
replacement of a sandbox that failed live in one place, and the whole batch boots at most
`workers` sandboxes (each the first time a thread needs one, so booting does not compete for
the cores with the queueing).

Finding the files is `discover.py`; the class's summary and the progress bar are
`report/class_summary.py`.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from autograder.judge.checks import Grade
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import intake, submission
from autograder.record.discover import SUFFIXES, Item, discover
from autograder.record.gradebook import GRADED, Gradebook, Row
from autograder.report.class_summary import ItemResult, Summary, progress_printer
from autograder.report.sanitize import one_line
from autograder.report.wording import RUN_WORDS
from autograder.run.outcome import Outcome

#: Where `gdlab grade` finds its parts (discover.py, class_summary.py) by their old names too.
__all__ = [
    "SUFFIXES",
    "Item",
    "ItemResult",
    "Summary",
    "discover",
    "grade_class",
    "progress_printer",
]
log = logging.getLogger("gdlab")
#: Grades stored per transaction: one commit for several files; a run killed before a commit
#: leaves at most these few files pending.
_WRITE_EVERY = 8


def grade_class(
    items: list[Item],
    book: Gradebook,
    *,
    workers: int,
    regrade: bool = False,
    progress: Callable[[int, int, ItemResult], None] | None = None,
    data: Path | None = None,
    grader: Grader | None = None,
) -> Summary:
    """Grade `items` into `book`, `workers` at a time; see the module docstring. `grader` is
    one the command started early (its sandboxes boot while the gradebook loads and the files
    are queued); it stays open. Without one, the batch makes its own."""
    workers = max(1, workers)
    summary = Summary()
    with contextlib.nullcontext(grader) if grader else Grader(data=data, workers=workers) as grader:
        importing = _import_judge_meanwhile()
        todo = _queue(items, book, regrade, summary)
        seeds = {e: book.class_seed(e) for e in {item.exercise for item, _ in todo}}
        loaded = {e: grader.exercise(e) for e in seeds}

        def work(item: Item, submission_id: int) -> tuple[ItemResult, Grade | None]:
            """Grade one stored file; hand back the outcome and the grade to store (the main
            thread stores a few at a time, `_WRITE_EVERY`, so a class of any size holds only
            those few grades in memory).

            A file that cannot be loaded gets its 0 with the reason; a failure of ours (an
            internal error, a sandbox that fails) is recorded as needing a regrade."""
            exercise = loaded[item.exercise]
            try:
                program = intake.program(item.path, book.content_of(submission_id))
            except submission.SubmissionError as error:
                return _refuse(book, item, submission_id, str(error), exercise.max_score), None
            try:
                result = grader.submit(
                    exercise, program, student=item.student, seed=seeds[item.exercise]
                )
                failed = next((r for r in result.runs if r.status is Outcome.SANDBOX_FAILURE), None)
                if failed is not None:  # the Grader lends a fresh sandbox next time
                    raise _SandboxFailed(failed.problem or "the sandbox failed")
            except Exception as error:  # ours, never the student's: no final 0
                reason = f"{type(error).__name__}: {error}"
                log.warning(
                    "needs regrade: %s (%s): %s",
                    one_line(item.student),
                    item.exercise,
                    one_line(reason),
                )
                book.add_needs_regrade(submission_id, reason)
                outcome = ItemResult(
                    item, submission_id, 0.0, exercise.max_score, [], regrade=reason
                )
                return outcome, None
            outcome = ItemResult(
                item,
                submission_id,
                result.score,
                result.max_score,
                result.mistakes,
                problem=_first_problem(result),
            )
            return outcome, result

        done = 0
        for outcome in summary.outcomes:
            done += 1
            if progress:
                progress(done, len(items), outcome)
        waiting = iter(todo)
        unwritten: list[tuple[int, Grade]] = []
        # Twice as many threads as sandboxes: a thread holds its sandbox only while the program
        # runs (`Grader.grade`), so while one thread loads a file and judges its runs, another
        # has the sandbox busy with the next file.
        with ThreadPoolExecutor(max_workers=2 * workers) as pool:
            running: set[Future[tuple[ItemResult, Grade | None]]] = set()
            while True:
                for item, submission_id in itertools.islice(waiting, 4 * workers - len(running)):
                    running.add(pool.submit(work, item, submission_id))
                if not running:
                    break
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    outcome, grade = future.result()
                    if grade is not None:
                        unwritten.append((outcome.submission_id, grade))
                    if len(unwritten) >= _WRITE_EVERY or not running:
                        book.add_grades(unwritten)
                        unwritten = []
                    summary.outcomes.append(outcome)
                    done += 1
                    if progress:
                        progress(done, len(items), outcome)
        book.add_grades(unwritten)
        importing.join()  # long done, unless there was nothing to grade
    return summary


def _import_judge_meanwhile() -> threading.Thread:
    """Import the judge (numpy: about 0.15 s) in the background while the files are queued
    (reading them and committing them wait on the disk), rather than in the first file's
    thread, where it held up the first run while the sandboxes waited, booted. Not a daemon:
    an import cut short by the interpreter's exit would say so on stderr."""
    thread = threading.Thread(
        target=importlib.import_module, args=("autograder.judge.grading",), name="gdlab-import"
    )
    thread.start()
    return thread


def _queue(
    items: list[Item], book: Gradebook, regrade: bool, summary: Summary, chunk: int = 500
) -> list[tuple[Item, int]]:
    """Store every file not stored yet (a transaction per `chunk` files, so memory stays flat),
    then say which still need grading: new ones, pending ones a killed run left, and (with
    `regrade`) graded ones. Unreadable files are stored too, and reported, never graded: those
    that cannot be read or are too large here, those that cannot be loaded by `work`."""
    known = book.latest_by_content({item.exercise for item in items})
    todo: list[tuple[Item, int]] = []
    for start in range(0, len(items), chunk):
        todo += _queue_chunk(items[start : start + chunk], book, regrade, summary, known)
    return todo


def _queue_chunk(
    items: list[Item],
    book: Gradebook,
    regrade: bool,
    summary: Summary,
    known: dict[tuple[str, str, str], Row],
) -> list[tuple[Item, int]]:
    loaded: list[tuple[Item, submission.Program, str | None]] = []
    for item in items:
        content, refused = b"", item.refused
        if refused is None:
            try:  # read, not loaded: `work` loads each file once, a file it cannot load
                content = intake.read(item.path)  # gets its 0 there, with the same reason
                submission.check_size(item.path, content)
            except submission.SubmissionError as error:
                refused = str(error)
                if len(content) > submission.MAX_BYTES:  # the reason says it: keep no bulk
                    content = b""
        loaded.append((item, submission.Program(item.path, "", content), refused))
    new = [
        (item.exercise, item.student, program)
        for item, program, _ in loaded
        if (item.exercise, item.student, program.sha256) not in known
    ]
    new_ids = iter(book.add_submissions(new))
    todo = []
    for item, program, refused in loaded:
        row = known.get((item.exercise, item.student, program.sha256))
        submission_id = row.id if row else next(new_ids)
        if row and row.status == GRADED and not regrade:
            summary.outcomes.append(
                ItemResult(
                    item,
                    submission_id,
                    row.score or 0.0,
                    row.max_score or 0.0,
                    row.mistakes,
                    skipped=True,
                    refused=row.problem,
                )
            )
        elif refused:
            max_score = exercises.get(item.exercise).max_score
            summary.outcomes.append(_refuse(book, item, submission_id, refused, max_score))
        else:
            todo.append((item, submission_id))
    return todo


def _refuse(
    book: Gradebook, item: Item, submission_id: int, reason: str, max_score: float
) -> ItemResult:
    book.add_refusal(submission_id, reason, max_score)
    return ItemResult(item, submission_id, 0.0, max_score, [], refused=reason)


class _SandboxFailed(RuntimeError):
    """The sandbox could not run a case: the grader's fault, graded again next time."""


def _first_problem(result: Grade) -> str | None:
    """How the first run that did not finish ended, in the summary's few words."""
    for run in result.runs:
        if not run.status.ran_through:
            return RUN_WORDS[run.status]
    return None
