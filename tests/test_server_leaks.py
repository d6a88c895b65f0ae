"""References never leave the server: what a student's pages and API answers may not carry.

Each test looks at every page and JSON answer a student can reach about their work (the job,
the submission, its page, the quiz page and its data) and checks that none holds the hidden
cases' given values — whether the program printed them, raised them in an error or they were
drawn — nor the seed, nor the reference before the rules allow; and that hidden cases are drawn
per attempt, so a table of answers looked up by case scores nothing.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder.judge import reference
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import intake
from autograder.server.worker import drain
from tests.server_helpers import REFERENCE, Course


@pytest.fixture
def course(tmp_path) -> Course:
    made = Course(tmp_path)
    made.person("alice")
    return made


def _send(course: Course, client, kind: str, code: str) -> dict:
    answer = client.post(
        f"/api/exercises/gradient_basic/{kind}",
        json={"code": code},
        headers={"X-CSRF-Token": course.csrf(client)},
    )
    assert answer.status_code in (200, 202), answer.text
    return answer.json()


def _everything_seen(client, job: int, submission: int | None) -> str:
    """Every answer the student can get about this work, as one text."""
    seen = [
        json.dumps(client.get(f"/api/jobs/{job}").json()),
        client.get("/exercise/gradient_basic").text,
        json.dumps(client.get("/api/exercises/gradient_basic").json()),
        json.dumps(client.get("/api/exercises").json()),
        client.get("/").text,
    ]
    if submission is not None:
        seen.append(json.dumps(client.get(f"/api/submissions/{submission}").json()))
        seen.append(client.get(f"/submission/{submission}", headers={"Accept": "text/html"}).text)
    return "\n".join(seen)


def _shown(value) -> str:
    return repr(np.round(np.ravel(np.asarray(value, dtype=float)), 6).tolist())


#: The reference, printing every given value and then raising an error that carries them.
TELLS = (
    REFERENCE
    + "\nimport numpy as _np\n"
    + "_seen = repr([_np.round(_np.ravel(_np.asarray(v, dtype=float)), 6).tolist() "
    + "for v in (learnrate, x, y, w)])\n"
    + "print('GIVEN', _seen)\n"
    + "raise ValueError('GIVEN-IN-ERROR ' + _seen)\n"
)


def test_hidden_given_values_never_reach_the_student_through_output_or_errors(
    course: Course, grader: Grader
) -> None:
    client = course.client("alice")
    answer = _send(course, client, "submit", TELLS)
    drain(course.store, grader, "w")
    seen = _everything_seen(client, answer["job"], answer["submission"])
    row = course.book.rows()[0]
    exercise = exercises.get("gradient_basic")
    published, *hidden = exercise.cases(row.seed)
    told = repr([eval(_shown(published.given[n])) for n in ("learnrate", "x", "y", "w")])
    assert f"GIVEN {told}" in seen  # the published case's output and error are the student's
    assert "GIVEN-IN-ERROR" in seen
    assert len(hidden) == 4
    for case in hidden:
        values = [eval(_shown(case.given[n])) for n in ("learnrate", "x", "y", "w")]
        assert repr(values) not in seen
        assert _shown(case.given["x"])[1:-1] not in seen  # not even one given value alone
    assert str(row.seed) not in seen
    result = client.get(f"/api/jobs/{answer['job']}").json()
    for run in result["result"]["runs"]:
        if not run["visible"]:
            assert "output" not in run
            assert run["problem"] == "on this hidden case your program stopped with an error"


def test_a_test_run_answers_with_the_published_case_only(course: Course, grader: Grader) -> None:
    client = course.client("alice")
    answer = _send(course, client, "run", TELLS)
    drain(course.store, grader, "w")
    job = client.get(f"/api/jobs/{answer['job']}").json()
    assert {r["case"] for r in job["result"]["runs"]} == {"published"}
    assert all(c["visible"] for c in job["result"]["checks"])
    assert job["submission"] is None and job["result"]["score"] is None
    assert "seed" not in json.dumps(job)


def test_the_reference_is_never_shown_when_the_course_keeps_it(tmp_path, grader: Grader) -> None:
    course = Course(tmp_path, show_solution=False)
    course.person("alice")
    client = course.client("alice")
    answer = _send(course, client, "submit", REFERENCE)
    drain(course.store, grader, "w")
    job = client.get(f"/api/jobs/{answer['job']}").json()
    assert job["result"]["full_marks"]
    seen = _everything_seen(client, answer["job"], answer["submission"])
    assert "error_term = error * sigmoid_prime(h)" not in seen  # even after full marks
    data = client.get("/api/exercises/gradient_basic").json()
    assert data["solution"] is None
    assert "solution.py" not in client.get("/exercise/gradient_basic").text


def _lookup_program(exercise: exercises.Exercise, cases: list) -> str:
    """A file that answers from a table of cases (given values -> the reference's answers)
    and, for a case it does not know, with the published answers."""
    table = {}
    for case in cases:
        namespace = reference.run(exercise.reference, case.given)
        key = repr([eval(_shown(case.given[n])) for n in ("learnrate", "x", "y", "w")])
        table[key] = {q: np.asarray(namespace[q]).tolist() for q in exercise.quantity_exprs}
    published = repr([eval(_shown(cases[0].given[n])) for n in ("learnrate", "x", "y", "w")])
    given_block = REFERENCE.split("### One step")[0]
    return (
        given_block
        + f"TABLE = {table!r}\n"
        + "_key = repr([np.round(np.ravel(np.asarray(v, dtype=float)), 6).tolist() "
        + "for v in (learnrate, x, y, w)])\n"
        + f"_found = TABLE.get(_key, TABLE[{published!r}])\n"
        + "".join(f"{q} = np.array(_found[{q!r}])\n" for q in exercise.quantity_exprs)
    )


def test_hidden_cases_are_drawn_per_attempt_so_a_table_of_answers_scores_nothing(
    course: Course, grader: Grader, tmp_path
) -> None:
    exercise = exercises.get("gradient_basic")
    known_seed = 12345  # as if an earlier attempt's hidden cases had been learnt
    lookup = _lookup_program(exercise, exercise.cases(known_seed))
    path = tmp_path / "gradient.py"
    path.write_text(lookup, encoding="utf-8")
    on_known = grader.submit(exercise, intake.load(path), seed=known_seed)
    assert on_known.full_marks  # the table is right on the cases it was made from
    client = course.client("alice")
    for _ in range(2):
        answer = _send(course, client, "submit", lookup)
        drain(course.store, grader, "w")
        result = client.get(f"/api/jobs/{answer['job']}").json()["result"]
        assert result["score"] == 0  # other cases: the table's answers never follow them
        assert "value does not follow the given values" in result["mistakes"]
    seeds = {r.seed for r in course.book.rows()}
    assert len(seeds) == 2 and known_seed not in seeds
