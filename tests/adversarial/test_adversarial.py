"""Submissions that crash, cheat or are merely unusual, each graded for real through the sandbox.

The cases are files in cases/; cases.toml says what each must get (score, feedback) and what it
proves (SECURITY.md's regression list). After every case: no process of the case is left, no file
it tried to leave behind exists, and the test's loopback listener was never reached. Cases whose
outcome depends on confinement this machine lacks are skipped, saying which.

    .venv/bin/pytest tests/adversarial -q
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import logging
import os
import shutil
import signal
import socket
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.judge.checks import FULL_MARKS, Grade
from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.load import submission
from autograder.report.terminal import submit_text
from autograder.run import confine, notes
from autograder.run.protocol import STRETCH
from autograder.run.sandbox import Job, Limits, Sandbox, default_hidden_paths
from tests.adversarial.processes import MARKER, leftovers

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASES = HERE / "cases"
TABLE: list[dict[str, Any]] = tomllib.loads((HERE / "cases.toml").read_text("utf-8"))["case"]
SEED = 20261123
LISTENER_PORT = 47811  # the port cheat_network.py and nb_network.ipynb try
WHY = {
    "network_isolated": "no network namespace here, so the case could really connect",
    "paths_hidden": "no mount namespace here, so the references are readable and the tree is "
    "writable by the case's uid",
    "pid_namespace": "no PID namespace here, so the case can signal processes outside",
    "unprivileged": "cases run as root here, for whom RLIMIT_NPROC is not enforced",
    "stdlib_readable": "the cases' uid cannot read this Python's standard library here",
}


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    with Sandbox() as shared:
        yield shared


@pytest.fixture(scope="module")
def shared_grader(shared_sandbox: Sandbox) -> Iterator[Grader]:
    """The Grader grading on `shared_sandbox`, so a test can look at that worker's processes."""
    with Grader(sandbox=lambda: shared_sandbox) as grader:
        yield grader


@pytest.fixture(scope="module")
def basic() -> exercises.Exercise:
    return exercises.get("gradient_basic")


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket | None]:
    """What the network cheats try to reach; None if the port is taken (their check is skipped)."""
    server = socket.socket()
    try:
        server.bind(("127.0.0.1", LISTENER_PORT))
    except OSError:
        server.close()
        yield None
        return
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture(scope="module")
def unix_listeners() -> Iterator[list[socket.socket]]:
    """What cheat_unix_socket.py tries: a socket file in /dev/shm and an abstract socket."""
    servers = []
    for address in (f"/dev/shm/{MARKER}.sock", f"\0{MARKER}"):
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(address)
        except OSError:
            server.close()
            continue
        server.listen()
        server.setblocking(False)
        servers.append(server)
    yield servers
    for server in servers:
        server.close()
    with contextlib.suppress(OSError):
        os.unlink(f"/dev/shm/{MARKER}.sock")


def case_uid(shared: Sandbox) -> int | None:
    uid = shared.confinement["uid"]
    return uid if uid != os.getuid() else None


def lacking(shared: Sandbox, requires: list[str]) -> list[str]:
    have = dict(shared.confinement)
    have["unprivileged"] = have["uid"] != 0
    return [need for need in requires if not have.get(need)]


def feedback(result: Grade) -> str:
    """Everything a student is told: the SUBMIT text, every check's message and every run."""
    lines = [submit_text(result)]
    lines += [f"{c.case} {c.quantity}: {c.message} (received {c.received})" for c in result.checks]
    lines += [f"{r.case}: {r.status}: {r.problem}" for r in result.runs]
    return "\n".join(lines)


def expected_score(case: dict[str, Any], exercise: exercises.Exercise) -> float:
    return exercise.max_score if case["score"] == "full" else float(case["score"])


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def test_the_table_and_the_case_files_match() -> None:
    listed = [case["file"] for case in TABLE]
    assert len(listed) == len(set(listed))
    assert set(listed) == {p.name for p in CASES.iterdir()}
    assert len(listed) >= 40
    assert {case["category"] for case in TABLE} == {"fault", "cheat", "legit"}
    for case in TABLE:
        assert case["proves"] and set(case.get("requires", [])) <= set(WHY), case["file"]


def test_security_md_lists_every_case() -> None:
    text = (REPO / "SECURITY.md").read_text("utf-8")
    missing = [case["file"] for case in TABLE if f"`{case['file']}`" not in text]
    assert not missing, f"add these to SECURITY.md's regression list: {missing}"


@pytest.mark.parametrize("case", TABLE, ids=[case["file"] for case in TABLE])
def test_case_gets_its_outcome_and_leaves_nothing_behind(
    case, shared_sandbox, shared_grader, basic, listener, unix_listeners
):
    missing = lacking(shared_sandbox, case.get("requires", []))
    if missing:
        pytest.skip("; ".join(WHY[need] for need in missing))
    absent = [Path(p.format(repo=REPO)) for p in case.get("absent", [])]
    started = time.monotonic()
    try:
        result = shared_grader.grade(basic, submission.load(CASES / case["file"]), seed=SEED)
        elapsed = time.monotonic() - started
        time.sleep(case.get("settle", 0))
        stray = [path for path in absent if path.exists()]
    finally:
        for path in absent:
            remove(path)
    text = feedback(result)
    assert result.score == pytest.approx(expected_score(case, basic)), text
    if case["score"] == "full":
        assert result.verdict == FULL_MARKS
    expect = case["expect"] if isinstance(case["expect"], list) else [case["expect"]]
    assert any(e in text for e in expect), f"expected one of {expect} in:\n{text}"
    for text_ in case.get("output_lacks", []):
        assert all(text_ not in run.output for run in result.runs), text_
    assert not stray, f"the case left files outside its directory: {stray}"
    assert elapsed < STRETCH * basic.limits.time + 5
    assert leftovers(shared_sandbox.pid, case_uid(shared_sandbox)) == []
    for server in [listener, *unix_listeners]:
        if server is not None:
            with pytest.raises(BlockingIOError):
                server.accept()


def grader_state() -> tuple[Any, ...]:
    return (
        np.geterr(),
        builtins.abs,
        builtins.round,
        np.allclose,
        np.isclose,
        signal.getsignal(signal.SIGTERM),
        signal.getsignal(signal.SIGALRM),
        os.environ.get("GDLAB_HOME"),
        atexit._ncallbacks(),
    )


PRISTINE_CHECK = """
import builtins
import numpy as np
pristine = float(np.geterr()["divide"] == "warn" and builtins.abs(-2) == 2
                 and not np.allclose(1.0, 2.0) and builtins.round(2.6) == 3)
"""


def test_a_programs_state_reaches_neither_the_grader_nor_the_next_case(
    shared_sandbox, shared_grader, basic
):
    """Each case is forked from the worker's own clean state, and only data comes back."""
    before = grader_state()
    for name in ("cheat_state_leak.py", "cheat_patch_allclose.py", "cheat_patch_builtins.py"):
        shared_grader.grade(basic, submission.load(CASES / name), seed=SEED)
    assert grader_state() == before
    after = shared_sandbox.run(Job(PRISTINE_CHECK, "check.py", None, {"pristine": "pristine"}))
    assert after.status == "finished"
    assert after.values["pristine"].array is not None
    assert float(after.values["pristine"].array) == 1.0


def test_confinement_is_complete_when_the_grader_runs_as_root(shared_sandbox):
    if os.environ.get("GDLAB_TEST_SANDBOX"):
        pytest.skip("the sandbox is weakened on purpose (GDLAB_TEST_SANDBOX)")
    if os.geteuid() != 0:
        pytest.skip(
            "not root: cases keep the grader's uid and namespaces depend on user "
            "namespaces (see SECURITY.md)"
        )
    confinement = dict(shared_sandbox.confinement)
    assert confinement.pop("uid") in confine.CASE_UIDS  # a uid of its own, not the grader's
    assert confinement == {
        "network_isolated": True,
        "paths_hidden": True,
        "pid_namespace": True,
        "stdlib_readable": True,
    }


SHOW_IDENTITY = """
import os
identity = f"pid {os.getpid()} uid {os.getuid()} gid {os.getgid()} groups {os.getgroups()}"
"""


def test_the_case_runs_unprivileged_as_pid_1_of_its_own_namespace(shared_sandbox):
    confinement = shared_sandbox.confinement
    if not confinement["pid_namespace"] or confinement["uid"] == os.getuid():
        pytest.skip("needs a PID namespace and a uid of the cases' own (root)")
    run = shared_sandbox.run(Job(SHOW_IDENTITY, "who.py", None, {"identity": "identity"}))
    uid = confinement["uid"]
    assert run.values["identity"].text == f"pid 1 uid {uid} gid {uid} groups []"


READ_SECRET = """
try:
    with open({path!r}) as secret:
        seen = secret.read()
except OSError as error:
    seen = type(error).__name__
"""


@pytest.fixture
def secret_outside_tmp() -> Iterator[Path]:
    """A world-readable 'gradebook' outside /tmp (the case's /tmp is its own), in /dev/shm."""
    if not Path("/dev/shm").is_dir():
        pytest.skip("no /dev/shm to hold a world-readable secret outside /tmp")
    folder = Path(f"/dev/shm/gdlab-test-gradebook-{os.getpid()}")
    folder.mkdir(mode=0o755)
    (folder / "gradebook.db").write_text("the grades")
    (folder / "gradebook.db").chmod(0o644)
    yield folder
    shutil.rmtree(folder)


def test_nothing_outside_the_allow_list_exists_and_hidden_paths_inside_it_are_covered(
    shared_sandbox, secret_outside_tmp
):
    if not shared_sandbox.confinement["paths_hidden"]:
        pytest.skip(WHY["paths_hidden"])
    program = READ_SECRET.format(path=str(secret_outside_tmp / "gradebook.db"))
    job = Job(program, "peek.py", None, {"seen": "seen"})
    assert shared_sandbox.run(job).values["seen"].text == "FileNotFoundError"
    zones = "/usr/share/zoneinfo/UTC"
    if not Path(zones).is_file():
        pytest.skip("no time zone data to hide")
    program = READ_SECRET.format(path=zones).replace("secret.read()", "secret.read(4)")
    job = Job(program, "peek.py", None, {"seen": "seen"})
    assert shared_sandbox.run(job).values["seen"].text == "TZif"  # in the allow-list...
    hidden = shared_sandbox.run(replace(job, hide_paths=("/usr/share/zoneinfo",)))
    assert hidden.values["seen"].text == "PermissionError"  # ...until the sandbox hides it


def test_the_gradebook_does_not_exist_for_a_case_even_if_created_after_the_sandbox(
    shared_sandbox, monkeypatch, secret_outside_tmp
):
    """A first SUBMIT creates GDLAB_HOME after starting the sandbox: it is not there all the
    same (it is not in the allow-list)."""
    if not shared_sandbox.confinement["paths_hidden"]:
        pytest.skip(WHY["paths_hidden"])
    monkeypatch.setenv("GDLAB_HOME", str(secret_outside_tmp))
    program = READ_SECRET.format(path=str(secret_outside_tmp / "gradebook.db"))
    run = shared_sandbox.run(Job(program, "peek.py", None, {"seen": "seen"}))
    assert run.values["seen"].text == "FileNotFoundError"


def test_the_default_hidden_paths_are_the_references_and_the_gradebook(monkeypatch, tmp_path):
    monkeypatch.setenv("GDLAB_HOME", str(tmp_path))
    hidden = default_hidden_paths()
    assert os.path.realpath(tmp_path) in hidden
    assert os.path.realpath(exercises.solutions_root()) in hidden
    assert os.path.realpath(REPO / "source") in hidden


def test_a_case_that_cannot_be_confined_is_not_run(shared_sandbox):
    """Fail closed: here the workdir's tmpfs is refused (a negative size), so nothing runs."""
    if not shared_sandbox.confinement["paths_hidden"]:
        pytest.skip("without a mount namespace there is no tmpfs step to fail")
    run = shared_sandbox.run(Job("print('ran')\n", "never.py", None, {}, Limits(files_mb=-1)))
    assert run.status == "sandbox_failure"
    assert "confinement failed" in run.error["message"]
    assert run.output == ""


def test_what_the_sandbox_lacks_is_logged_once(caplog, monkeypatch):
    monkeypatch.setattr(notes, "_warned", set())
    weak = {
        "network_isolated": False,
        "paths_hidden": False,
        "pid_namespace": False,
        "uid": os.getuid(),
        "stdlib_readable": False,
    }
    with caplog.at_level(logging.INFO, logger="gdlab.sandbox"):
        notes.warn_missing(weak)
        notes.warn_missing(weak)
    messages = [r.getMessage() for r in caplog.records if r.name == "gdlab.sandbox"]
    assert len(messages) == 5 == len(set(messages))
    assert any("network" in m for m in messages)


def test_a_killed_worker_is_replaced(shared_sandbox, shared_grader, basic):
    """Whatever kills the worker costs at most one sandbox_failure; then a fresh worker runs."""
    old = shared_sandbox.pid
    assert old is not None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(old, signal.SIGKILL)
    statuses = [
        shared_sandbox.run(Job("x = 1\n", "a.py", None, {"x": "x"})).status for _ in range(2)
    ]
    assert statuses[-1] == "finished"
    assert set(statuses) <= {"finished", "sandbox_failure"}
    assert shared_sandbox.pid not in (None, old)
    again = shared_grader.grade(basic, submission.load(CASES / "legit_reference.py"), seed=SEED)
    assert again.verdict == FULL_MARKS


SLEEP_IN_NEW_SESSIONS = f"""
import os, sys, time
for _ in range(3):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)",
                                      "{MARKER}"])
        os._exit(0)
time.sleep(60)
"""


def test_when_the_worker_dies_mid_job_every_process_of_the_case_dies_too(basic):
    """The grader kills the job's child (PID 1 of its namespace, in a session of its own)
    through a pidfd when the worker stops answering, so nothing of the case outlives it."""
    with Sandbox() as own:
        if not own.confinement["pid_namespace"]:
            pytest.skip(WHY["pid_namespace"])
        worker = own.pid
        assert worker is not None

        def kill_worker_soon() -> None:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(
                MARKER in p.cmdline for p in leftovers(None, None, grace=0)
            ):
                time.sleep(0.05)
            os.kill(worker, signal.SIGKILL)  # the worker only, not its session

        killer = threading.Thread(target=kill_worker_soon)
        killer.start()
        run = own.run(Job(SLEEP_IN_NEW_SESSIONS, "sleeper.py", None, {}, Limits(time=30.0)))
        killer.join()
        assert run.status == "sandbox_failure"
        assert leftovers(None, None) == []


def test_the_time_limit_is_cpu_time_with_room_for_a_busy_machine(shared_sandbox):
    """A case is stopped once it has used its limit in CPU time; while it has not (it waits, or
    the machine is busy) it may run up to STRETCH times the limit in wall-clock time."""
    limits = Limits(time=0.5)
    waits = shared_sandbox.run(
        Job("import time\ntime.sleep(1.0)\nx = 1\n", "w.py", None, {"x": "x"}, limits)
    )
    spins = shared_sandbox.run(Job("while True:\n    pass\n", "s.py", None, {}, limits))
    sleeps = shared_sandbox.run(Job("import time\ntime.sleep(30)\n", "z.py", None, {}, limits))
    assert waits.status == "finished"
    assert spins.status == "timeout" and spins.seconds < STRETCH * 0.5 + 0.5
    assert sleeps.status == "timeout" and STRETCH * 0.5 - 0.1 < sleeps.seconds < 5


ALLOWED_IMPORTS = """
import importlib.util, os, sys
import numpy.testing, numpy.linalg
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.plot([1, 2], [3, 4])
plt.savefig("curve.png")
plotted = os.path.getsize("curve.png") > 0
pandas = importlib.util.find_spec("pandas") is None or bool(__import__("pandas").DataFrame)
import autograder
checkout = os.path.dirname(os.path.dirname(autograder.__file__))
seen = sorted(os.listdir(checkout)) if os.path.isdir(checkout) else "absent"
try:
    import solutions
    references = "importable"
except ImportError:
    references = "absent"
"""


def test_a_case_imports_the_allowed_packages_and_sees_nothing_of_gdlab(shared_sandbox):
    """Package by package: numpy (and numpy.testing), matplotlib with a writable config
    folder, pandas when installed; neither the references nor gdlab's source are there (the
    loaded worker code is in the case's memory only)."""
    if not shared_sandbox.confinement["paths_hidden"]:
        pytest.skip(WHY["paths_hidden"])
    names = {
        "plotted": "plotted",
        "pandas": "pandas",
        "seen": "str(seen)",
        "references": "references",
    }
    run = shared_sandbox.run(Job(ALLOWED_IMPORTS, "imports.py", None, names, Limits(time=20)))
    assert run.status == "finished", run.error
    assert float(run.values["plotted"].array) == 1.0
    assert float(run.values["pandas"].array) == 1.0
    assert run.values["references"].text == "absent"
    assert "source" not in run.values["seen"].text and "autograder" not in run.values["seen"].text


GIVEN_FILE = """
import data_prep
given = open("data_prep.py").read(10)
try:
    open("data_prep.py", "a").write("x")
    changed = "changed"
except OSError as error:
    changed = type(error).__name__
"""


def test_the_exercises_given_files_lie_read_only_beside_the_program(shared_sandbox):
    if not shared_sandbox.confinement["paths_hidden"]:
        pytest.skip(WHY["paths_hidden"])
    data_prep = exercises.get("gradient").folder / "data_prep.py"
    names = {"given": "given", "changed": "changed"}
    run = shared_sandbox.run(
        Job(GIVEN_FILE, "g.py", None, names, Limits(time=20), files=(str(data_prep),))
    )
    assert run.status == "finished", run.error
    assert run.values["given"].text == data_prep.read_text()[:10]
    assert run.values["changed"].text in ("OSError", "PermissionError")  # read-only
