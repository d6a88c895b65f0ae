"""The course server at the HTTP level: sign-in, roles, CSRF, rate limits, the queue, restarts,
and what a student may never see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from autograder.judge.grader import Grader
from autograder.record.schema import submissions
from autograder.server.worker import drain
from tests.server_helpers import REFERENCE, SIGN_FLIPPED, STUB, Course


@pytest.fixture
def course(tmp_path: Path) -> Course:
    made = Course(tmp_path)
    made.person("alice")
    made.person("bob")
    made.person("prof", "instructor")
    return made


def _submit(course: Course, client, code: str, csrf: str):
    return client.post(
        "/api/exercises/gradient_basic/submit", json={"code": code}, headers={"X-CSRF-Token": csrf}
    )


def test_a_sign_in_link_sets_a_signed_httponly_cookie(course: Course) -> None:
    client = course.client()
    assert client.get("/api/me").status_code == 401
    assert client.get("/signin/not-a-token").status_code == 403
    answer = client.get(f"/signin/{course.tokens['alice']}", follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert answer.status_code == 303 and "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert client.get("/api/me").json() == {"name": "alice", "role": "student"}
    assert "gradient_basic" in client.get("/").text
    # a forged cookie (not signed with the gradebook's key) signs nobody in
    forged = course.client()
    forged.cookies.set("gdlab_session", cookie.split(";")[0].split("=", 1)[1][:-4] + "AAAA")
    assert forged.get("/api/me").status_code == 401


def test_roles_keep_students_out_of_instructor_pages(course: Course) -> None:
    assert course.client("alice").get("/instructor").status_code == 403
    assert course.client("alice").get("/api/class").status_code == 403
    assert course.client("prof").get("/instructor").status_code == 200
    assert course.client("prof").get("/", follow_redirects=False).headers["location"] == (
        "/instructor"
    )


def test_csrf_token_is_required_for_cookie_writes_but_not_for_bearer_tokens(course: Course) -> None:
    client = course.client("alice")
    url = "/api/exercises/gradient_basic/draft"
    assert client.post(url, json={"code": "x = 1"}).status_code == 403
    assert (
        client.post(url, json={"code": "x = 1"}, headers={"X-CSRF-Token": "wrong"}).status_code
        == 403
    )
    assert (
        client.post(
            url, json={"code": "x = 1"}, headers={"X-CSRF-Token": course.csrf(client)}
        ).status_code
        == 200
    )
    bare = course.client()
    bearer = {"Authorization": f"Bearer {course.tokens['alice']}"}
    assert bare.post(url, json={"code": "x = 2"}, headers=bearer).status_code == 200
    assert course.store.draft("alice", "gradient_basic")[0] == "x = 2"


def test_queue_positions_then_one_worker_grades_each_submit_once(
    course: Course, grader: Grader
) -> None:
    client = course.client("alice")
    csrf = course.csrf(client)
    answers = [
        _submit(course, client, code, csrf).json() for code in (REFERENCE, SIGN_FLIPPED, STUB)
    ]
    assert [a["state"] for a in answers] == ["queued"] * 3
    assert [a["position"] for a in answers] == [1, 2, 3]
    # recorded before any grading
    with course.book.engine.connect() as conn:
        statuses = conn.execute(sa.select(submissions.c.status)).scalars().all()
    assert statuses == ["pending"] * 3
    assert drain(course.store, grader, "w1") == 3
    assert drain(course.store, grader, "w2") == 0
    results = [client.get(f"/api/jobs/{a['job']}").json()["result"] for a in answers]
    assert [r["score"] for r in results] == [100.0, 80.0, 0.0]
    assert results[0]["verdict"] == "Nice job! That's right!"
    assert "sign flipped (ŷ − y)" in results[1]["mistakes"]
    assert [r.status for r in course.book.rows()] == ["graded"] * 3


def test_a_submit_left_by_a_dead_worker_is_graded_after_a_restart(
    course: Course, grader: Grader
) -> None:
    client = course.client("alice")
    job = _submit(course, client, REFERENCE, course.csrf(client)).json()["job"]
    # a worker of this host claims it, then dies (its pid is gone)
    claimed = course.store.claim("testhost:999999999:0", lease=3600)
    assert claimed is not None and claimed.id == job
    assert course.store.claim("other", lease=3600) is None  # the lease holds
    assert course.store.requeue_dead("testhost") == 1  # what `gdlab serve` does on start
    assert drain(course.store, grader, "testhost:1:0") == 1
    assert client.get(f"/api/jobs/{job}").json()["result"]["score"] == 100.0
    # and a lease that simply ran out (another machine's worker) is taken over too
    job = _submit(course, client, STUB, course.csrf(client)).json()["job"]
    assert course.store.claim("elsewhere:1:0", lease=-1) is not None
    assert drain(course.store, grader, "w") == 1
    assert client.get(f"/api/jobs/{job}").json()["state"] == "done"


def test_submit_rate_limit_is_per_student_and_said_on_the_page(tmp_path: Path) -> None:
    course = Course(tmp_path, submit_limit=2)
    course.person("alice")
    course.person("bob")
    alice, bob = course.client("alice"), course.client("bob")
    csrf = course.csrf(alice)
    assert [_submit(course, alice, STUB, csrf).status_code for _ in range(2)] == [202, 202]
    limited = _submit(course, alice, STUB, csrf)
    assert limited.status_code == 429
    assert "You can SUBMIT 2 times a minute: try again in" in limited.json()["error"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert _submit(course, bob, STUB, course.csrf(bob)).status_code == 202
    assert "You can SUBMIT 2 times a minute" in alice.get("/exercise/gradient_basic").text
    assert len(course.book.rows(student="alice")) == 2  # the refused one is not recorded


def test_a_student_gets_403_on_another_students_work(course: Course) -> None:
    alice, bob = course.client("alice"), course.client("bob")
    answer = _submit(course, alice, REFERENCE, course.csrf(alice)).json()
    assert bob.get(f"/api/jobs/{answer['job']}").status_code == 403
    assert bob.get(f"/api/submissions/{answer['submission']}").status_code == 403
    page = bob.get(f"/submission/{answer['submission']}", headers={"Accept": "text/html"})
    assert page.status_code == 403 and "another student" in page.text
    assert alice.get(f"/api/submissions/{answer['submission']}").status_code == 200
    assert course.client("prof").get(f"/api/jobs/{answer['job']}").status_code == 200


def test_no_answer_carries_hidden_values_seed_or_reference(course: Course, grader: Grader) -> None:
    client = course.client("alice")
    csrf = course.csrf(client)
    wrong = _submit(course, client, SIGN_FLIPPED, csrf).json()
    drain(course.store, grader, "w")
    seen = json.dumps(client.get(f"/api/jobs/{wrong['job']}").json())
    page = client.get("/exercise/gradient_basic").text + json.dumps(
        client.get("/api/exercises/gradient_basic").json()
    )
    row = course.book.rows()[0]
    hidden = [c for c in course.book.checks_of(row.id) if not c.visible]
    assert row.seed is not None and str(row.seed) not in seen + page
    for check in hidden:  # the instructor's gradebook has them; the student's answers do not
        assert check.expected not in seen + page
        assert check.received not in seen + page
    result = json.loads(seen)["result"]
    assert all("expected" not in c for c in result["checks"] if not c["visible"])
    named = [c for c in result["checks"] if not c["visible"] and c["mistake"]]
    assert named and named[0]["mistake"] == "sign flipped (ŷ − y)"
    assert "error = y - nn_output" not in page  # no reference before full marks
    _submit(course, client, REFERENCE, csrf)
    drain(course.store, grader, "w")
    assert client.get("/api/exercises/gradient_basic").json()["solution"] == REFERENCE


def test_each_submit_draws_its_own_hidden_cases(course: Course) -> None:
    client = course.client("alice")
    csrf = course.csrf(client)
    for _ in range(3):
        _submit(course, client, STUB, csrf)
    assert len({r.seed for r in course.book.rows()}) == 3


def test_reset_restores_the_stub_and_keeps_the_history(course: Course) -> None:
    client = course.client("alice")
    csrf = course.csrf(client)
    client.post(
        "/api/exercises/gradient_basic/draft",
        json={"code": "h = 1"},
        headers={"X-CSRF-Token": csrf},
    )
    _submit(course, client, STUB, csrf)
    answer = client.post("/api/exercises/gradient_basic/reset", headers={"X-CSRF-Token": csrf})
    assert answer.json()["code"] == STUB
    data = client.get("/api/exercises/gradient_basic").json()
    assert data["draft"]["code"] == STUB and len(data["attempts"]) == 1


def test_instructor_sees_grades_overrides_and_exports_before_the_due_date(
    course: Course, grader: Grader
) -> None:
    alice = course.client("alice")
    _submit(course, alice, SIGN_FLIPPED, course.csrf(alice))
    drain(course.store, grader, "w")
    prof = course.client("prof")
    table = prof.get("/instructor").text
    assert "alice" in table and "<strong>80</strong>/100" in table
    assert "sign flipped (ŷ − y)" in prof.get("/instructor/exercise/gradient_basic").text
    submission_id = course.book.rows()[0].id
    page = prof.get(f"/instructor/submission/{submission_id}").text
    hidden = [c for c in course.book.checks_of(submission_id) if not c.visible]
    assert "sign flipped (ŷ − y)" in page and hidden[0].expected in page  # instructors see all
    assert "error = nn_output - y" in page  # and the file
    csrf = course.csrf(prof)
    prof.post(
        "/instructor/exercise/gradient_basic/due",
        data={"due_at": "2000-01-01T00:00", "csrf_token": csrf},
    )
    assert "alice,gradient_basic,,100" in prof.get("/instructor/export.csv?before_due=1").text
    assert "alice,gradient_basic,80,100" in prof.get("/instructor/export.csv").text
    prof.post(
        "/instructor/override",
        data={
            "student": "alice",
            "exercise": "gradient_basic",
            "score": "90",
            "comment": "typo in the sheet",
            "csrf_token": csrf,
        },
    )
    assert "alice,gradient_basic,90,100,1," in prof.get("/instructor/export.csv").text
    regrade = prof.post("/instructor/exercise/gradient_basic/regrade", data={"csrf_token": csrf})
    assert "1 submissions of gradient_basic queued" in regrade.text
    assert drain(course.store, grader, "w") == 1
    versions = course.store.versions([course.book.rows()[0].id])
    assert next(iter(versions.values()))[0] == "0.1.0"


def test_practice_mode_is_one_student_on_localhost_without_sign_in(tmp_path: Path) -> None:
    course = Course(tmp_path, practice=True, practice_student="me")
    client = course.client()
    assert client.get("/api/me").json() == {"name": "me", "role": "student"}
    assert client.post("/api/exercises/gradient_basic/draft", json={"code": "x"}).status_code == (
        403  # CSRF still holds: another site cannot write through the student's browser
    )
    assert (
        client.post(
            "/api/exercises/gradient_basic/draft",
            json={"code": "x"},
            headers={"X-CSRF-Token": course.csrf(client)},
        ).status_code
        == 200
    )
    assert client.get("/instructor").status_code == 403


def test_practice_mode_refuses_to_listen_beyond_localhost() -> None:
    from autograder.commands.cli import main

    assert main(["serve", "--practice", "--host", "0.0.0.0"]) == 2


def test_a_lab_notebook_downloads_and_uploads_to_submit(course: Course) -> None:
    client = course.client("alice")
    lab = client.get("/exercise/gradient_basic/lab")
    assert lab.status_code == 200 and b'"cells"' in lab.content
    answer = client.post(
        "/api/exercises/gradient_basic/submit",
        files={"file": ("gradient_basic.ipynb", lab.content)},
        headers={"X-CSRF-Token": course.csrf(client)},
    )
    assert answer.status_code == 202
    assert course.book.rows()[0].filename == "gradient_basic.ipynb"


def test_roster_add_prints_a_link_that_signs_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from autograder.commands.cli import main

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert main(["roster", "add", "ada", "--url", "https://gdlab.example", "--db", url]) == 0
    name, role, link, token = capsys.readouterr().out.strip().split("\t")
    assert (name, role) == ("ada", "student")
    assert link.startswith("https://gdlab.example/signin/")
    assert token == "GDLAB_TOKEN=" + link.rsplit("/", 1)[1]
    course = Course(tmp_path)
    client = course.client()
    client.get("/signin/" + link.rsplit("/", 1)[1])
    assert client.get("/api/me").json() == {"name": "ada", "role": "student"}
    assert main(["roster", "add", "prof", "--instructor", "--db", url]) == 0
    assert "\tinstructor\t" in capsys.readouterr().out


def test_the_quiz_page_keeps_formulas_and_reference_on_the_server(course: Course) -> None:
    page = course.client("alice").get("/exercise/gradient_basic").text
    for quantity in course_exercise().quantities:
        assert quantity.about not in page
    assert "sigmoid_prime(h)" not in page  # no line of the reference's answers


def course_exercise():
    from autograder.server import course

    return course.get("gradient_basic")


def test_a_file_larger_than_a_submission_is_refused_unread(course: Course) -> None:
    client = course.client("alice")
    answer = client.post(
        "/api/exercises/gradient_basic/submit",
        content=b'{"code": "' + b"x" * (7 * 2**20) + b'"}',
        headers={"X-CSRF-Token": course.csrf(client), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert course.book.rows() == []


def test_one_waiting_test_run_per_student(course: Course, grader: Grader) -> None:
    alice, bob = course.client("alice"), course.client("bob")
    url = "/api/exercises/gradient_basic/run"
    headers = {"X-CSRF-Token": course.csrf(alice)}
    assert alice.post(url, json={"code": STUB}, headers=headers).status_code == 202
    busy = alice.post(url, json={"code": STUB}, headers=headers)
    assert busy.status_code == 429 and "still waiting" in busy.json()["error"]
    assert (
        bob.post(url, json={"code": STUB}, headers={"X-CSRF-Token": course.csrf(bob)}).status_code
        == 202
    )
    drain(course.store, grader, "w")
    assert alice.post(url, json={"code": STUB}, headers=headers).status_code == 202


def test_reissuing_a_link_signs_the_old_one_out(course: Course) -> None:
    client = course.client("alice")
    old = course.tokens["alice"]
    assert client.get("/api/me").status_code == 200
    course.person("alice")  # `gdlab roster add alice` again: a leaked link is revoked
    assert client.get("/api/me").status_code == 401
    assert course.client().get(f"/signin/{old}").status_code == 403
    assert course.client("alice").get("/api/me").json()["name"] == "alice"


def test_given_files_are_read_only_tabs_and_the_stub_is_the_release(course: Course) -> None:
    data = course.client("alice").get("/api/exercises/gradient").json()
    release = course.config.release / "gradient"
    assert data["script"] == "gradient.py"
    assert data["stub"] == (release / "gradient.py").read_text(encoding="utf-8")
    assert data["files"] == [
        {"name": "data_prep.py", "text": (release / "data_prep.py").read_text(encoding="utf-8")}
    ]
    assert data["next"] == "multilayer" and data["solution"] is None
