"""The gradebook keeps everything, upgrades old files in place, and runs on PostgreSQL too."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from autograder.judge.checks import TYPED_IN, Check, Reason
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import submission
from autograder.record.gradebook import SCHEMA_VERSION, Gradebook, GradebookError
from autograder.record.schema import schema_version
from autograder.run.outcome import Outcome
from tests.helpers import REPO

# The schema gdlab 0.1 created (PRAGMA user_version = 1), as users' gradebooks have it.
SCHEMA_0_1 = """
CREATE TABLE submissions (id INTEGER PRIMARY KEY AUTOINCREMENT, exercise TEXT NOT NULL,
    student TEXT NOT NULL, filename TEXT NOT NULL, sha256 TEXT NOT NULL, content BLOB NOT NULL,
    submitted_at TEXT NOT NULL, seed INTEGER, status TEXT NOT NULL DEFAULT 'pending',
    graded_at TEXT, score REAL, max_score REAL, verdict TEXT, mistakes TEXT);
CREATE INDEX submissions_by_student ON submissions (student, exercise);
CREATE TABLE checks (submission_id INTEGER NOT NULL REFERENCES submissions (id),
    case_name TEXT NOT NULL, quantity TEXT NOT NULL, passed INTEGER NOT NULL, score REAL NOT NULL,
    max_score REAL NOT NULL, expected TEXT NOT NULL, received TEXT NOT NULL, message TEXT NOT NULL,
    mistake TEXT);
CREATE INDEX checks_by_submission ON checks (submission_id);
PRAGMA user_version = 1;
INSERT INTO submissions VALUES (1, 'gradient_basic', 'ada', 'gradient.py', 'abc', x'00',
    '2026-01-01', 7, 'graded', '2026-01-01', 80.0, 100.0, 'Not there yet',
    '["sign flipped (ŷ − y)"]');
INSERT INTO checks VALUES (1, 'published', 'error', 0, 0.0, 4.0, '-0.19', '0.19', 'wrong', 'x');
"""


def graded_once(book: Gradebook, grader: Grader, text: str, student: str = "ada") -> int:
    from autograder.load import exercise as exercises

    exercise = exercises.get("gradient_basic")
    path = REPO / "solutions" / "gradient_basic" / "gradient.py"
    program = submission.Program(path, text, text.encode())
    submission_id = book.add_submission(exercise.id, student, program, 5)
    book.add_grade(submission_id, grader.grade(exercise, program, seed=5))
    return submission_id


def test_a_0_1_gradebook_is_upgraded_in_place_without_losing_anything(tmp_path):
    path = tmp_path / "gradebook.db"
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_0_1)
    book = Gradebook(f"sqlite:///{path}")
    with book.engine.connect() as conn:
        assert schema_version(conn) == SCHEMA_VERSION
    [row] = book.rows()
    assert (row.student, row.score, row.mistakes) == ("ada", 80.0, ["sign flipped (ŷ − y)"])
    assert book.checks_of(1)[0].message == "wrong"
    assert book.content_of(1) == b"\x00"


def test_upgraded_and_new_gradebooks_have_the_same_schema(tmp_path):
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as db:
        db.executescript(SCHEMA_0_1)

    def shape(url: str) -> dict[str, list[str]]:
        engine = Gradebook(url).engine
        inspector = sa.inspect(engine)
        return {
            t: sorted(c["name"] for c in inspector.get_columns(t))
            for t in inspector.get_table_names()
        }

    assert shape(f"sqlite:///{old}") == shape(f"sqlite:///{tmp_path / 'new.db'}")


def test_a_newer_gradebook_is_refused_not_damaged(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    book = Gradebook(url)
    with book.engine.begin() as conn:
        conn.execute(sa.text("UPDATE gdlab_meta SET value = '99' WHERE key = 'schema_version'"))
    with pytest.raises(RuntimeError, match="newer than this gdlab"):
        Gradebook(url)


def test_a_bad_url_is_one_clear_error():
    with pytest.raises(GradebookError, match="cannot use gradebook"):
        Gradebook("nosuchdb://x")


def test_the_class_seed_is_stable_per_exercise_and_secret(tmp_path):
    one = Gradebook(f"sqlite:///{tmp_path / 'a.db'}")
    other = Gradebook(f"sqlite:///{tmp_path / 'b.db'}")
    assert one.class_seed("gradient_basic") == one.class_seed("gradient_basic")
    assert one.class_seed("gradient_basic") != one.class_seed("multilayer")
    assert one.class_seed("gradient_basic") != other.class_seed("gradient_basic")


# --- PostgreSQL (the server: conftest's `postgres_url`) ---------------------------------


def test_the_gradebook_works_on_postgresql(postgres_url, grader):
    book = Gradebook(postgres_url)
    reference = (REPO / "solutions" / "gradient_basic" / "gradient.py").read_text()
    first = graded_once(book, grader, reference)
    second = graded_once(
        book, grader, reference.replace("error = y - nn_output", "error = nn_output - y"), "ben"
    )
    scores = {r.student: r.score for r in book.rows()}
    assert scores == {"ada": 100.0, "ben": 80.0}
    assert len(book.checks_of(first)) == 25 and len(book.runs_of(second)) == 5
    sha = submission.Program(Path("x.py"), reference, reference.encode()).sha256
    assert book.latest_by_content({"gradient_basic"})[("gradient_basic", "ada", sha)].id == first
    assert Gradebook(postgres_url).class_seed("gradient_basic") == book.class_seed("gradient_basic")


#: Checks as gdlab wrote them before reasons were stored (schema 4), and the reason each gets.
V4_CHECKS = [
    # (passed, carried_forward, message, mistake, reason)
    (1, 0, "correct", None, Reason.CORRECT),
    (1, 1, "right given your error (error carried forward)", None, Reason.CARRIED_FORWARD),
    (0, 0, "not run: on the published case your file does not compile", None, Reason.NOT_RUN),
    (0, 0, "not computed: your program stopped at line 9", None, Reason.NOT_COMPUTED),
    (0, 0, "wrong value", "sign flipped (ŷ − y)", Reason.WRONG_VALUE),
    (0, 0, "right here, but it stays the same", TYPED_IN[0], Reason.TYPED_IN),
    (0, 0, "still None: not done yet", None, Reason.NOT_DONE),
    (0, 0, "shape (3,), expected a scalar, shape ()", None, Reason.SHAPE),
    (0, 0, "record 1 of epoch 1: wrong value; worst at [0]", None, Reason.WRONG_VALUE),
]


def test_a_v4_gradebook_is_upgraded_and_its_checks_read_back_with_a_reason(tmp_path):
    import sqlalchemy as sa

    from autograder.record import schema

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'v4.db'}")
    for version in range(1, 5):
        with engine.begin() as conn:
            schema.MIGRATIONS[version](conn)
    with engine.begin() as conn:
        conn.execute(schema.gdlab_meta.insert(), [{"key": "schema_version", "value": "4"}])
        conn.execute(
            sa.text(
                "INSERT INTO submissions (id, exercise, student, filename, sha256, content, "
                "submitted_at, status) VALUES (1, 'gradient_basic', 'ada', 'g.py', 'x', x'00', "
                "'2026-01-01', 'graded')"
            )
        )
        for passed, carried, message, mistake, _ in V4_CHECKS:
            conn.execute(
                sa.text(
                    "INSERT INTO checks (submission_id, case_name, quantity, passed, score, "
                    "max_score, expected, received, message, mistake, carried_forward, visible) "
                    "VALUES (1, 'published', 'error', :p, 0, 4, '-', '-', :m, :k, :c, 1)"
                ),
                {"p": passed, "m": message, "k": mistake, "c": carried},
            )
    engine.dispose()
    with Gradebook(f"sqlite:///{tmp_path / 'v4.db'}") as book:
        with book.engine.connect() as conn:
            assert schema_version(conn) == SCHEMA_VERSION
        checks = book.checks_of(1)
    assert [type(c) for c in checks] == [Check] * len(V4_CHECKS)
    assert [c.reason for c in checks] == [reason for *_, reason in V4_CHECKS]
    assert [c.message for c in checks] == [message for _, _, message, _, _ in V4_CHECKS]


def test_a_grade_reads_back_as_it_was_graded(tmp_path, grader):
    with Gradebook(f"sqlite:///{tmp_path / 'book.db'}") as book:
        reference = (REPO / "solutions" / "gradient_basic" / "gradient.py").read_text()
        flipped = reference.replace("error = y - nn_output", "error = nn_output - y")
        exercise = exercises.get("gradient_basic")
        program = submission.Program(REPO / "gradient.py", flipped, flipped.encode())
        result = grader.submit(exercise, program, student="ben", seed=5)
        submission_id = book.add_submission(exercise.id, "ben", program, 5)
        book.add_grade(submission_id, result)
        stored = book.checks_of(submission_id)
        runs = book.runs_of(submission_id)
    assert [(c.quantity, c.case, c.passed, c.reason, c.mistake) for c in stored] == [
        (c.quantity, c.case, c.passed, c.reason, c.mistake) for c in result.checks
    ]
    assert {c.reason for c in stored} == {
        Reason.CORRECT,
        Reason.WRONG_VALUE,
        Reason.CARRIED_FORWARD,
    }
    assert [r.status for r in runs] == [Outcome.FINISHED] * 5


def test_grades_stored_together_read_back_each_as_it_was_graded(tmp_path, grader):
    """A class's batch stores a few grades per transaction (`add_grades`): each file's checks
    and runs are its own, and a grade stored again replaces the earlier try."""
    exercise = exercises.get("gradient_basic")
    reference = (REPO / "solutions" / "gradient_basic" / "gradient.py").read_text()
    texts = {
        "ada": reference,
        "ben": reference.replace("error = y - nn_output", "error = nn_output - y"),
    }
    with Gradebook(f"sqlite:///{tmp_path / 'book.db'}") as book:
        graded = {}
        for student, text in texts.items():
            program = submission.Program(REPO / "gradient.py", text, text.encode())
            submission_id = book.add_submission(exercise.id, student, program, 5)
            graded[submission_id] = grader.submit(exercise, program, student=student, seed=5)
        book.add_grades(list(graded.items()))
        book.add_grades(list(graded.items()))  # again: replaced, not doubled
        for submission_id, result in graded.items():
            assert [
                (c.quantity, c.case, c.passed, c.mistake) for c in book.checks_of(submission_id)
            ] == [(c.quantity, c.case, c.passed, c.mistake) for c in result.checks]
            assert len(book.runs_of(submission_id)) == len(result.runs)
        scores = {r.student: r.score for r in book.rows()}
    assert scores == {"ada": 100.0, "ben": graded[max(graded)].score} and scores["ben"] < 100


def test_sqlite_and_sqlalchemy_read_and_write_a_gradebook_alike(tmp_path, grader):
    """A SQLite file is reached through `sqlite3` (`database.py`), any other URL through
    SQLAlchemy; the same file opened both ways holds and returns the same grades."""
    path = tmp_path / "book.db"
    exercise = exercises.get("gradient_basic")
    reference = (REPO / "solutions" / "gradient_basic" / "gradient.py").read_text()
    flipped = reference.replace("error = y - nn_output", "error = nn_output - y")
    ids = {}
    for url, student, text in (
        (f"sqlite:///{path}", "ada", reference),
        (f"sqlite+pysqlite:///{path}", "ben", flipped),  # a driver named: SQLAlchemy's way
    ):
        with Gradebook(url) as book:
            program = submission.Program(REPO / "gradient.py", text, text.encode())
            ids[student] = book.add_submission(exercise.id, student, program, 5)
            book.add_grade(ids[student], grader.submit(exercise, program, seed=5))
    seen = []
    for url in (f"sqlite:///{path}", f"sqlite+pysqlite:///{path}"):
        with Gradebook(url) as book:
            seen.append(
                (
                    [(r.student, r.score, r.mistakes, r.status) for r in book.rows()],
                    [book.checks_of(i) for i in ids.values()],
                    [book.runs_of(i) for i in ids.values()],
                    book.content_of(ids["ben"]),
                    book.class_seed("gradient_basic"),
                    sorted(book.latest_by_content({"gradient_basic"})),
                )
            )
    assert seen[0] == seen[1]
    rows, checks, runs, content, _, _ = seen[0]
    assert [(student, score) for student, score, *_ in rows] == [("ada", 100.0), ("ben", 80.0)]
    assert content == flipped.encode() and [len(r) for r in runs] == [5, 5]
    assert all(isinstance(c.passed, bool) and isinstance(c.visible, bool) for c in checks[1])


def test_a_current_sqlite_gradebook_is_used_without_importing_sqlalchemy(tmp_path):
    """Importing SQLAlchemy cost ~0.3 s of CPU of every `gdlab grade`, `export` and
    `feedback`; a gradebook already at the current schema needs none of it."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    Gradebook(url).close()  # made (and migrated) once, as a first use does
    code = (
        "import sys; from autograder.record.gradebook import Gradebook; "
        "from autograder.record import batch; from autograder.report import export; "
        f"book = Gradebook({url!r}); book.rows(); book.class_seed('x'); "
        "print('sqlalchemy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "False"


def test_a_file_that_is_not_a_gradebook_is_one_clear_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(GradebookError, match=r"cannot open gradebook .*not a database"):
        Gradebook(f"sqlite:///{path}")
    assert path.read_text().startswith("these are my notes")


def test_the_schema_version_is_the_last_migration():
    """`states.SCHEMA_VERSION` (read without SQLAlchemy, to know a gradebook needs no
    migration) names the last migration in `schema.MIGRATIONS`."""
    from autograder.record import schema

    assert sorted(schema.MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))


def test_a_gradebook_that_cannot_be_created_is_one_clear_error(tmp_path):
    (tmp_path / "grades").write_text("a file where the folder should be")
    with pytest.raises(GradebookError, match="cannot create gradebook"):
        Gradebook(f"sqlite:///{tmp_path / 'grades' / 'book.db'}")
