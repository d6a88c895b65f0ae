"""The one entry point for grading a file: a `Grader` owns the sandbox and the caches.

Every way of grading goes through it: `gdlab run` and `gdlab submit`, `gdlab grade` (the batch),
the Gradescope runner, nbgrader's autograde preprocessor, the lab's check cells and the course
server's workers. Use it as a context manager, one per command (or per worker process)::

    with Grader() as grader:
        grade = grader.test_run("gradient_basic", program)          # the published case
        grade = grader.submit("gradient_basic", program, student="ada")  # + hidden cases

What it owns:

* **the sandbox** — a numpy-warm worker process, started at the first run (a lab's check cell
  never starts one) and kept for every later run: booted once per command. With ``workers=N``
  it keeps up to N, so N threads grade at once (the batch), each run borrowing one; a sandbox
  whose run failed on the grader's side is closed and the next run gets a fresh one.
* **the exercises** — each loaded once (`exercise`), by id.
* **the reference's results** — the published case's expected values (kept on disk,
  `published_cache`), and each case's oracle and training steps (`diagnose.oracle_for`,
  `steps.step_oracle`): process-wide memo tables, bounded, that the Grader fills while the sandbox
  starts (`grading.prepare`). They stay process-wide so that a batch's threads, and a course
  server worker's successive jobs, share them.

The grading itself is `grading.judge_runs`, pure data in and out.

A TEST RUN sends its job before this process imports numpy: the published case's given values
as last sent are kept in plain form (`published_plain`), so the job is built from the exercise,
the program and that file alone, and the judge (`grading`: numpy and the references) is
imported while the program runs. The values are then worked out anew and compared with the ones
sent; should they differ, the program runs again on the right ones, so the kept file can cost
time, never a grade. This module imports nothing heavy itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autograder.judge import names
from autograder.judge.checks import Check, Grade, new_seed
from autograder.load import exercise as exercises
from autograder.load import published_plain
from autograder.load.exercise import Exercise
from autograder.load.submission import Program
from autograder.run.outcome import Outcome
from autograder.run.sandbox import Job, RunResult, Sandbox
from autograder.run.values import Value


class Grader:
    """Grades programs for one command (see the module's docstring); thread-safe."""

    def __init__(
        self,
        *,
        data: Path | None = None,
        workers: int = 1,
        sandbox: Callable[[], Sandbox] | None = None,
    ) -> None:
        #: The published case's data file (`--data`), unless a call gives its own.
        self.data = data
        #: How a sandbox is made (tests give their own; a spy can count the boots).
        self._make = sandbox or Sandbox
        self._workers = max(1, workers)
        self._slots = threading.Semaphore(self._workers)
        self._idle: list[Sandbox] = []  # open, not lent: the last one back is lent first
        self._open: list[Sandbox] = []
        self._lock = threading.Lock()
        self._exercises: dict[str, Exercise] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    # --- what it grades -------------------------------------------------------------------

    def exercise(self, exercise: str | Exercise) -> Exercise:
        """The exercise by id, loaded once (an `Exercise` is taken as it is)."""
        if isinstance(exercise, Exercise):
            return exercise
        with self._lock:
            if exercise not in self._exercises:
                self._exercises[exercise] = exercises.get(exercise)
            return self._exercises[exercise]

    def test_run(
        self, exercise: str | Exercise, program: Program, *, data: Path | None = None
    ) -> Grade:
        """TEST RUN: the published case only, as the student's own values show it."""
        return self.grade(exercise, program, hidden=False, data=data)

    def submit(
        self,
        exercise: str | Exercise,
        program: Program,
        *,
        student: str = "",
        seed: int | None = None,
        data: Path | None = None,
    ) -> Grade:
        """SUBMIT: the published case and the hidden ones drawn from `seed` (a fresh one when
        None; the grade records it, so the grade can be reproduced)."""
        seed = new_seed() if seed is None else seed
        return self.grade(exercise, program, student=student, seed=seed, data=data)

    def grade(
        self,
        exercise: str | Exercise,
        program: Program,
        *,
        student: str = "",
        seed: int | None = None,
        hidden: bool = True,
        data: Path | None = None,
    ) -> Grade:
        """Grade `program`: the published case (on `data`, else the grader's), then (with
        `hidden`) the hidden ones drawn from `seed`."""
        exercise = self.exercise(exercise)
        data = data or self.data
        kept = None if hidden else published_plain.load(exercise, data)
        with self._sandbox() as sandbox:
            pool = self._runner()
            # The program runs in the sandbox while the references run here: a training
            # exercise's TEST RUN then costs the longer of the two, not their sum. With its
            # published values as sent last time, it starts before this process imports numpy
            # and prepares the data (pandas); should they differ from today's, it runs again.
            if kept is not None:
                running = pool.submit(sandbox.run_cases, job(exercise, program, [kept]))
            from autograder.judge import grading  # numpy: while the program runs

            cases = exercise.cases(seed, hidden=hidden, data=data)
            if not hidden:
                plain = cases[0].given_plain(exercise.given_keys)
                if kept is None or not published_plain.same(kept, plain):
                    if kept is not None:  # one job at a time on a sandbox: let it end
                        running.result()
                    kept = None
                    published_plain.store(exercise, data, plain)
            if kept is None:
                given = [case.given_plain(exercise.given_keys) for case in cases]
                running = pool.submit(sandbox.run_cases, job(exercise, program, given))
            oracles = grading.prepare(exercise, cases)
            runs = running.result()
            if any(r.status is Outcome.SANDBOX_FAILURE for r in runs):
                self._discard(sandbox)
        return grading.judge_runs(
            exercise, program, cases, oracles, runs, student=student, seed=seed, hidden=hidden
        )

    def run(self, job: Job) -> list[RunResult]:
        """Run a job the caller built (course mode's offline TEST RUN checks its runs against
        shipped values, with no reference) in one of this grader's sandboxes."""
        with self._sandbox() as sandbox:
            runs = sandbox.run_cases(job)
            if any(r.status is Outcome.SANDBOX_FAILURE for r in runs):
                self._discard(sandbox)
        return runs

    def check_values(
        self,
        exercise: str | Exercise,
        quantity: str,
        values: dict[str, Value],
        *,
        data: Path | None = None,
    ) -> Check:
        """One quantity's check on the published case from values already computed (a lab's
        check cell, in the student's own kernel): no sandbox, the same comparison, carried-
        forward credit and named mistakes as a TEST RUN."""
        from autograder.judge import grading
        from autograder.judge.diagnose import oracle_for

        exercise = self.exercise(exercise)
        oracle = oracle_for(exercise, exercise.published_case(data or self.data))
        run = RunResult(status=Outcome.FINISHED, values=values)
        return next(c for c in grading.check_case(oracle, run, None, 1) if c.quantity == quantity)

    # --- the sandboxes ----------------------------------------------------------------------

    def _runner(self) -> ThreadPoolExecutor:
        """The threads that wait on the sandboxes (one per sandbox that may be lent), kept for
        the Grader's life: a course server's worker grades thousands of SUBMITs, and starting
        a thread for each cost more than the wait it does."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="gdlab-run")
            return self._pool

    def start(self, count: int = 1) -> None:
        """Start `count` sandboxes now (at most `workers`), so that their workers boot (numpy:
        a few hundred ms of CPU each) on the other core while the command loads the rest."""
        with self._lock:
            while len(self._open) < min(count, self._workers):
                sandbox = self._make()
                self._open.append(sandbox)
                self._idle.append(sandbox)

    @contextmanager
    def _sandbox(self) -> Iterator[Sandbox]:
        """Borrow a sandbox: an idle one, else a new one (at most `workers` are lent at once;
        a thread beyond that waits). A sandbox that raised is closed, never lent again."""
        self._slots.acquire()
        try:
            with self._lock:
                if self._closed:
                    raise RuntimeError("this Grader is closed")
                if self._idle:
                    sandbox = self._idle.pop()
                else:
                    sandbox = self._make()
                    self._open.append(sandbox)
            try:
                yield sandbox
            except BaseException:
                self._discard(sandbox)
                raise
            with self._lock:
                if sandbox in self._open:
                    self._idle.append(sandbox)
        finally:
            self._slots.release()

    def _discard(self, sandbox: Sandbox) -> None:
        with self._lock:
            if sandbox in self._open:
                self._open.remove(sandbox)
        sandbox.close()

    @property
    def sandboxes(self) -> int:
        """How many sandboxes are open now (for monitoring and tests)."""
        return len(self._open)

    def close(self) -> None:
        """Close every sandbox; the Grader cannot be used afterwards."""
        with self._lock:
            self._closed = True
            open_now, self._open, self._idle = self._open, [], []
            pool, self._pool = self._pool, None
        for sandbox in open_now:
            sandbox.close()
        if pool is not None:
            pool.shutdown()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def job(exercise: Exercise, program: Program, cases: Iterable[dict[str, Any] | None]) -> Job:
    """What the sandbox runs: the program once per case (its given values in plain form,
    `Case.given_plain`), reading back the quantities."""
    return Job(
        program.source,
        program.path.name,
        None,
        names.job_quantities(exercise),
        exercise.limits,
        cases=tuple(cases),
        files=tuple(str(exercise.folder / f) for f in exercise.files),
        trace=exercise.points,
    )
