"""Grade a class: many submissions, in parallel, each committed the moment it is graded.

Resumable by construction: every file is stored (``pending``) before any grading starts, each
grade is written in its own transaction as it arrives, and a re-run skips files already graded
(same student, exercise and content) and completes the pending ones. Killing the run at any
moment, even with ``kill -9``, loses nothing and duplicates nothing.

Parallelism is threads, each owning one sandbox worker: the student code runs in the workers'
processes, our share is parsing and comparing, so threads keep the memory of a whole batch to
one grader process plus one small worker per thread.
"""

from __future__ import annotations

import itertools
import logging
import statistics
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from autograder.errors import UserError
from autograder.judge.grading import Grade, grade
from autograder.load import exercise as exercises
from autograder.load import intake, submission
from autograder.record.gradebook import GRADED, Gradebook, Row
from autograder.report.sanitize import decoded_name, for_terminal, one_line
from autograder.run.sandbox import Sandbox

SUFFIXES = (".py", ".ipynb")
log = logging.getLogger("gdlab")


@dataclass(frozen=True)
class Item:
    """One student's file for one exercise."""

    student: str
    exercise: str
    path: Path
    #: Why the file is refused before reading it (a symbolic link on its way).
    refused: str | None = None


def discover(root: Path, exercise: str | None) -> list[Item]:
    """The submissions under `root`: a folder of ``<student>.py|.ipynb`` files, or an nbgrader
    course's ``submitted/<student>/<assignment>/<notebook>.ipynb`` tree (the exercise is then
    the assignment's name unless `exercise` says otherwise).

    Student names are the file or folder names as text (bytes that are not UTF-8 shown as
    ``\\xNN``); a file reached through a symbolic link is listed, to be refused with a 0."""
    if not root.is_dir():
        raise UserError(f"{root}: not a folder of submissions")
    tree = root / "submitted" if (root / "submitted").is_dir() else root
    nested = sorted(tree.glob("*/*/*.ipynb"))
    if nested and not any(p.suffix in SUFFIXES for p in tree.iterdir() if p.is_file()):
        items = [
            Item(
                decoded_name(p.parent.parent.name), exercise or p.parent.name, p, _refused(tree, p)
            )
            for p in nested
            if not p.parent.name.startswith(".") and ".ipynb_checkpoints" not in p.parts
        ]
    else:
        if exercise is None:
            raise UserError(f"{root}: a folder of files needs --exercise")
        items = [
            Item(decoded_name(p.stem), exercise, p, _refused(tree, p))
            for p in sorted(tree.iterdir())
            if (p.is_file() or p.is_symlink()) and p.suffix in SUFFIXES
        ]
    if not items:
        raise UserError(f"{root}: no .py or .ipynb submissions found")
    known = set(exercises.available())
    unknown = sorted({i.exercise for i in items} - known)
    if unknown:
        raise UserError(
            f"unknown exercise {', '.join(unknown)} (use --exercise); "
            f"known: {', '.join(sorted(known))}"
        )
    return items


def _refused(tree: Path, path: Path) -> str | None:
    try:
        intake.refuse_link(path, tree)
    except submission.SubmissionError as error:
        return str(error)
    return None


@dataclass
class Outcome:
    """What happened to one item in this run."""

    item: Item
    submission_id: int
    score: float
    max_score: float
    mistakes: list[str]
    skipped: bool = False
    #: How the program ran, when it did not run through (for the summary's counts).
    problem: str | None = None
    #: Why the file itself got a 0 without being graded (unreadable, malformed, a link, ...).
    refused: str | None = None
    #: Why grading failed on our side: no score, graded again by the next run.
    regrade: str | None = None


@dataclass
class Summary:
    """The class-wide view: scores, their spread, and who made which mistake."""

    outcomes: list[Outcome] = field(default_factory=list)

    def text(self) -> str:
        graded = [o for o in self.outcomes if o.regrade is None]
        lines = []
        if graded:
            lines += self._scores(graded)
        else:
            lines.append("No submissions graded.")
        problems = Counter(o.problem for o in self.outcomes if o.problem)
        if problems:
            lines += ["", "programs that did not run through:"]
            lines += [f"  {count:4d}  {name}" for name, count in problems.most_common()]
        lines += _listed(
            "files graded 0 without running (the file itself cannot be graded)",
            [o for o in self.outcomes if o.refused],
            "refused",
        )
        lines += _listed(
            "needs regrade (a fault on the grader's side, not a grade: run gdlab grade again)",
            [o for o in self.outcomes if o.regrade],
            "regrade",
        )
        return for_terminal("\n".join(lines))

    @staticmethod
    def _scores(graded: list[Outcome]) -> list[str]:
        percents = [100 * o.score / o.max_score if o.max_score else 0.0 for o in graded]
        fresh = sum(not o.skipped for o in graded)
        lines = [
            f"{len(graded)} submissions ({fresh} graded now, {len(graded) - fresh} already "
            f"in the gradebook)",
            f"mean {statistics.fmean(percents):.1f}%, median "
            f"{statistics.median(percents):.1f}%, full marks "
            f"{sum(p >= 100 - 1e-9 for p in percents)}",
            "",
            "distribution:",
        ]
        buckets = Counter(min(int(p // 10), 9) for p in percents)
        for bucket in range(10):
            low = bucket * 10
            label = f"{low:3d}-{low + 9 if bucket < 9 else 100:<3d}%"
            count = buckets.get(bucket, 0)
            lines.append(f"  {label} {'#' * count if count <= 60 else '#' * 60 + '…'} {count}")
        mistakes = Counter(m for o in graded for m in set(o.mistakes))
        if mistakes:
            lines += ["", "mistakes (students who made each):"]
            lines += [f"  {count:4d}  {name}" for name, count in mistakes.most_common()]
        return lines


def _listed(title: str, outcomes: list[Outcome], why: str, shown: int = 20) -> list[str]:
    """A titled list of students and reasons, the first `shown` of them."""
    if not outcomes:
        return []
    lines = ["", f"{title}: {len(outcomes)}"]
    for o in outcomes[:shown]:
        lines.append(
            f"  {one_line(o.item.student)} ({o.item.exercise}): {one_line(getattr(o, why) or '')}"
        )
    if len(outcomes) > shown:
        lines.append(f"  … and {len(outcomes) - shown} more")
    return lines


def grade_class(
    items: list[Item],
    book: Gradebook,
    *,
    workers: int,
    regrade: bool = False,
    progress: Callable[[int, int, Outcome], None] | None = None,
    data: Path | None = None,
    booted: list[Sandbox] | None = None,
) -> Summary:
    """Grade `items` into `book`, `workers` at a time; see the module docstring. `booted` are
    sandboxes the command started early (their workers boot while the gradebook loads and the
    files are queued): the threads take those first; any left over are closed at the end."""
    workers = max(1, workers)
    spare = list(booted or [])
    sandboxes: list[Sandbox] = list(spare)  # every one started, closed at the end
    local = threading.local()
    summary = Summary()
    try:
        todo = _queue(items, book, regrade, summary)
        seeds = {e: book.class_seed(e) for e in {item.exercise for item, _ in todo}}
        loaded = {e: exercises.get(e) for e in seeds}

        def work(item: Item, submission_id: int) -> Outcome:
            """Grade one stored file and commit its grade at once, from this worker's own
            thread (one writer thread would queue every commit behind the GIL); hand back only
            the outcome, so a class of any size holds no grades in memory.

            A file that cannot be loaded gets its 0 with the reason; a failure of ours (an
            internal error, a sandbox that fails) is recorded as needing a regrade."""
            exercise = loaded[item.exercise]
            try:
                program = intake.program(item.path, book.content_of(submission_id))
            except submission.SubmissionError as error:
                return _refuse(book, item, submission_id, str(error), exercise.max_score)
            try:
                if not hasattr(local, "sandbox"):
                    taken = _take(spare)
                    if taken is None:
                        taken = Sandbox()
                        sandboxes.append(taken)
                    local.sandbox = taken
                result = grade(
                    exercise,
                    program,
                    student=item.student,
                    seed=seeds[item.exercise],
                    sandbox=local.sandbox,
                    data=data,
                )
                failed = next((r for r in result.runs if r.status == "sandbox_failure"), None)
                if failed is not None:
                    raise _SandboxFailed(failed.problem or "the sandbox failed")
            except Exception as error:  # ours, never the student's: no final 0
                if hasattr(local, "sandbox"):  # the next file gets a fresh sandbox
                    sandboxes.remove(local.sandbox)
                    local.sandbox.close()
                    del local.sandbox
                reason = f"{type(error).__name__}: {error}"
                log.warning(
                    "needs regrade: %s (%s): %s",
                    one_line(item.student),
                    item.exercise,
                    one_line(reason),
                )
                book.add_needs_regrade(submission_id, reason)
                return Outcome(item, submission_id, 0.0, exercise.max_score, [], regrade=reason)
            book.add_grade(submission_id, result)
            return Outcome(
                item,
                submission_id,
                result.score,
                result.max_score,
                result.mistakes,
                problem=_first_problem(result),
            )

        done = 0
        for outcome in summary.outcomes:
            done += 1
            if progress:
                progress(done, len(items), outcome)
        waiting = iter(todo)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            running: set[Future[Outcome]] = set()
            while True:
                for item, submission_id in itertools.islice(waiting, 4 * workers - len(running)):
                    running.add(pool.submit(work, item, submission_id))
                if not running:
                    break
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    outcome = future.result()
                    summary.outcomes.append(outcome)
                    done += 1
                    if progress:
                        progress(done, len(items), outcome)
    finally:
        for sandbox in sandboxes:
            sandbox.close()
    return summary


def _take(spare: list[Sandbox]) -> Sandbox | None:
    """One of the sandboxes started early, if any is left (threads take them at once)."""
    try:
        return spare.pop()
    except IndexError:
        return None


def _queue(
    items: list[Item], book: Gradebook, regrade: bool, summary: Summary, chunk: int = 500
) -> list[tuple[Item, int]]:
    """Store every file not stored yet (a transaction per `chunk` files, so memory stays flat),
    then say which still need grading: new ones, pending ones a killed run left, and (with
    `regrade`) graded ones. Unreadable files are stored too, and reported, never graded."""
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
            try:
                content = intake.read(item.path)
                intake.program(item.path, content)
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
                Outcome(
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
) -> Outcome:
    book.add_refusal(submission_id, reason, max_score)
    return Outcome(item, submission_id, 0.0, max_score, [], refused=reason)


class _SandboxFailed(RuntimeError):
    """The sandbox could not run a case: the grader's fault, graded again next time."""


def _first_problem(result: Grade) -> str | None:
    for run in result.runs:
        if run.status not in ("finished",):
            return {
                "timeout": "timed out",
                "syntax_error": "does not compile",
                "raised": "raised an exception",
                "exited": "called sys.exit",
                "given_missing": "given block missing",
                "no_result": "ended early",
                "sandbox_failure": "sandbox failure",
            }.get(run.status, run.status)
    return None


def progress_printer(
    total_hint: int,
) -> tuple[Callable[[int, int, Outcome], None], Callable[[], None]]:
    """A progress bar on a terminal (tqdm), plain lines otherwise. Returns (update, close)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total_hint, unit="sub", file=sys.stderr, dynamic_ncols=True)

        def update(done: int, total: int, outcome: Outcome) -> None:
            bar.total = total
            bar.update(done - bar.n)
            bar.set_postfix_str(
                f"{one_line(outcome.item.student)} {outcome.score:g}", refresh=False
            )

        return update, bar.close

    step = max(1, total_hint // 100)

    def plain(done: int, total: int, outcome: Outcome) -> None:
        if done % step == 0 or done == total:
            note = " (already graded)" if outcome.skipped else ""
            if outcome.regrade:
                note = " (not graded: needs regrade)"
            elif outcome.refused:
                note += " (the file cannot be graded)"
            print(
                f"[{done}/{total}] {one_line(outcome.item.student)} {outcome.item.exercise}: "
                f"{outcome.score:g}/{outcome.max_score:g}{note}",
                file=sys.stderr,
                flush=True,
            )

    return plain, lambda: None
