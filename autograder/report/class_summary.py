"""A class graded in a batch, as the instructor reads it: the summary (scores, their spread, who
made which mistake, which programs did not run through, which files were refused or need a
regrade) and the progress while it runs (a bar on a terminal, plain lines otherwise).
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from autograder.record.discover import Item
from autograder.report.sanitize import for_terminal, one_line


@dataclass
class ItemResult:
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

    outcomes: list[ItemResult] = field(default_factory=list)

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
    def _scores(graded: list[ItemResult]) -> list[str]:
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


def _listed(title: str, outcomes: list[ItemResult], why: str, shown: int = 20) -> list[str]:
    """A titled list of students and reasons, the first `shown` of them in the order of their
    files (not the order in which the batch's threads happened to finish them)."""
    if not outcomes:
        return []
    lines = ["", f"{title}: {len(outcomes)}"]
    for o in sorted(outcomes, key=lambda o: o.item.path)[:shown]:
        lines.append(
            f"  {one_line(o.item.student)} ({o.item.exercise}): {one_line(getattr(o, why) or '')}"
        )
    if len(outcomes) > shown:
        lines.append(f"  … and {len(outcomes) - shown} more")
    return lines


def progress_printer(
    total_hint: int,
) -> tuple[Callable[[int, int, ItemResult], None], Callable[[], None]]:
    """A progress bar on a terminal (tqdm), plain lines otherwise. Returns (update, close)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total_hint, unit="sub", file=sys.stderr, dynamic_ncols=True)

        def update(done: int, total: int, outcome: ItemResult) -> None:
            bar.total = total
            bar.update(done - bar.n)
            bar.set_postfix_str(
                f"{one_line(outcome.item.student)} {outcome.score:g}", refresh=False
            )

        return update, bar.close

    step = max(1, total_hint // 100)

    def plain(done: int, total: int, outcome: ItemResult) -> None:
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
