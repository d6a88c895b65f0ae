"""The `gdlab` command: the table of commands, and the student's own (list, run, submit).

Its arguments are `parser.py`'s; the instructor's commands (grade, export, feedback, gradescope,
build, new) are `instructor.py`'s; the course server's, `server/serve.py`'s.

Every user error ends in one line on stderr and exit status 2; nothing a student or instructor
types should ever produce a traceback (set GDLAB_DEBUG=1 to see one for a real bug).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.load.exercise import Exercise

from autograder.commands.parser import USAGE_ERROR, UsageError, parser
from autograder.errors import UserError
from autograder.report import console
from autograder.report.sanitize import one_line
from autograder.run import boot

INTERNAL_ERROR = 3


def _server_command(args: argparse.Namespace) -> int:
    from autograder import mode

    if not mode.references_installed():
        raise UserError(_not_a_server(args.command))
    if args.command == "roster":
        from autograder.server.serve import roster_add

        role = "instructor" if args.instructor else "student"
        print("\n".join(roster_add(args.db, args.names, role, args.url)))
        return 0
    from autograder.server.config import ServerConfig
    from autograder.server.serve import serve

    config = ServerConfig(
        db=args.db,
        practice=args.practice,
        practice_student=_user(),
        submit_limit=args.submit_limit,
        show_solution=not args.no_solution,
        https=args.https,
        **({"release": args.release} if args.release else {}),
    )
    return serve(config, args.host, args.port, args.workers)


def _not_a_server(command: str) -> str:
    """Why `gdlab serve` or `roster` cannot run in a student's course install, and where the
    course's server is (when this install knows it)."""
    from autograder.commands.offline import SERVER_SETUP
    from autograder.server import client

    try:
        server = client.configured()
    except UserError:
        server = None
    where = f"your course's server is {server[0]}" if server else SERVER_SETUP
    return (
        f"gdlab {command} is the course server's, which keeps the references: this is a "
        f"student's course install without them; {where}"
    )


def _on_server(args: argparse.Namespace) -> int | None:
    """TEST RUN or SUBMIT on a course server when one is configured (None: grade here)."""
    from autograder.server import client

    server = client.configured(args.server)
    if server is None:
        return None
    if args.file is None:
        raise UsageError(f"give the file to run (gdlab run {args.exercise} FILE)")
    kind = "submit" if args.command == "submit" else "run"
    return client.command(server, args.exercise, args.file, kind, getattr(args, "json", False))


def main(argv: list[str] | None = None) -> int:
    console.readable_streams()
    try:
        args = parser().parse_args(argv)
        _log_to_stderr()
        status = _dispatch(args)
        sys.stdout.flush()  # inside the try: a reader that left early is not an error
        return status
    except BrokenPipeError:
        return console.pipe_closed()
    except UserError as error:
        print(f"gdlab: error: {one_line(str(error))}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("gdlab: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if os.environ.get("GDLAB_DEBUG"):
            raise
        print(
            f"gdlab: internal error: {type(error).__name__}: {one_line(str(error))} "
            "(set GDLAB_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return INTERNAL_ERROR
    finally:
        boot.discard()  # a worker started early that the command never used


#: One BLAS thread unless the user chose otherwise: the grader's arithmetic is on small arrays,
#: and OpenBLAS's pool of a thread per core spins at numpy's import (measured: ~60 ms of CPU,
#: taken from the sandbox worker booting on the other core). The worker sets the same.
_ONE_BLAS_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def entry() -> None:
    """The `gdlab` process: `main`, then exit without the interpreter's teardown.

    Everything the command opened is closed by then (its sandbox, gradebook, files: each in a
    `with`), and stdout and stderr are flushed here; what remains is freeing numpy's and the
    other modules' objects one by one, tens of ms that every TEST RUN would wait for."""
    for name in _ONE_BLAS_THREAD:  # before anything imports numpy
        os.environ.setdefault(name, "1")
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    logging.shutdown()
    os._exit(status)


def _log_to_stderr() -> None:
    """gdlab's own warnings (e.g. the sandbox saying once what this machine cannot confine) as
    one plain line each; other libraries' logging is left as they set it."""
    ours = logging.getLogger("gdlab")
    if not ours.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("gdlab: %(message)s"))
        ours.addHandler(handler)
        ours.setLevel(logging.WARNING)
        ours.propagate = False


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command `args` names: a table, one small function per command."""
    return _COMMANDS[args.command](args)


def _run_or_submit(args: argparse.Namespace) -> int:
    """TEST RUN or SUBMIT: on the configured course server if there is one, else here."""
    from autograder import mode

    if mode.course():  # a student's install: the references stay on the server
        from autograder.commands import offline

        return offline.command(args)
    if args.command == "submit" or not args.solution:
        on_server = _on_server(args)
        if on_server is not None:
            return on_server
    if args.command == "run":
        return _run(args.exercise, args.file, args.solution, args.data)
    return _submit(args.exercise, args.file, args.student, args.json, args.seed, args.data, args.db)


def _instructor(name: str) -> Callable[[argparse.Namespace], int]:
    """An instructor's command, imported when called (it loads what a TEST RUN never needs)."""

    def call(args: argparse.Namespace) -> int:
        if name == "grade":  # first: the workers boot on the other core while this loads
            boot.early(args.workers)
        from autograder.commands import instructor

        if name == "build":
            return instructor.build(args.repo, args.check, args.exercises, args.student_package)
        if name == "new":
            return instructor.new(args.repo, args.name)
        command: Callable[[argparse.Namespace], int] = getattr(instructor, name)
        return command(args)

    return call


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": lambda args: _list(),
    "build": _instructor("build"),
    "grade": _instructor("grade"),
    "new": _instructor("new"),
    "export": _instructor("export"),
    "feedback": _instructor("feedback"),
    "gradescope": _instructor("gradescope"),
    "serve": lambda args: _server_command(args),
    "roster": lambda args: _server_command(args),
    "run": _run_or_submit,
    "submit": _run_or_submit,
}


def _list() -> int:
    from autograder import mode

    if mode.course():
        from autograder.commands import offline

        return offline.list_exercises()
    from autograder.load import exercise as exercises

    for exercise_id in exercises.available():
        exercise = exercises.get(exercise_id)
        print(f"{exercise_id:16} {exercise.title}")
    return 0


def _load(exercise_id: str, file: Path | None, solution: bool = False):
    from autograder.load import exercise as exercises
    from autograder.load import intake

    exercise = exercises.get(exercise_id)
    if solution:
        file = exercise.folder / exercise.script
    if file is None:
        raise UsageError(f"give the file to run (gdlab run {exercise_id} FILE)")
    return exercise, intake.load(file)  # the file itself: a symbolic link is refused


def _run(exercise_id: str, file: Path | None, solution: bool, data: Path | None) -> int:
    if file is not None and solution:
        raise UsageError("give either a FILE or --solution, not both")
    boot.early()  # first: the worker boots (numpy, confinement) on the other core meanwhile
    from autograder.judge.grader import Grader
    from autograder.report.terminal import test_run_text

    # an unknown exercise or a bad file: its one line before any sandbox opens (`main` kills
    # the worker started early, unwaited)
    exercise, program = _load(exercise_id, file, solution)
    with Grader(data=data) as grader:
        grader.start()  # takes the worker started above
        result = grader.test_run(exercise, program)  # sends the job before importing numpy
    print(test_run_text(result, exercise.hidden_cases, _data_label(exercise, data)))
    _print_notes(program.notes)
    return 0 if result.full_marks else 1


def _print_notes(notes: tuple[str, ...], to_stderr: bool = False) -> None:
    """What the loader left out of a notebook (a magic, a shell escape), one line each."""
    for note in notes:
        print(f"Note: {note}", file=sys.stderr if to_stderr else sys.stdout)


def _data_label(exercise: Exercise, data: Path | None) -> str | None:
    if exercise.published is None:
        return None
    return f"data: {data}" if data else f"data: {exercise.published.label or 'the default'}"


def _submit(
    exercise_id: str,
    file: Path,
    student: str,
    as_json: bool,
    seed: int | None,
    data: Path | None,
    db: str | None,
) -> int:
    boot.early()  # first: the worker boots (numpy, confinement) on the other core meanwhile
    from autograder.judge.checks import new_seed
    from autograder.judge.grader import Grader
    from autograder.record.gradebook import Gradebook
    from autograder.report.terminal import submit_text, to_json

    exercise, program = _load(exercise_id, file)
    student = student or _user()
    seed = new_seed() if seed is None else seed
    with Grader(data=data) as grader, Gradebook(db) as book:
        grader.start()  # takes the worker started above
        submission_id = book.add_submission(exercise.id, student, program, seed)
        result = grader.submit(exercise, program, student=student, seed=seed)
        book.add_grade(submission_id, result)
    print(to_json(result, submission_id) if as_json else submit_text(result, submission_id))
    _print_notes(program.notes, to_stderr=as_json)  # --json keeps stdout one JSON document
    return 0


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "student"


if __name__ == "__main__":
    entry()
