"""What students control reaches terminals escaped, spreadsheets as text, exports inside --out."""

from __future__ import annotations

import csv
import io
import json

from autograder.report.sanitize import csv_cell, for_terminal, one_line, path_component
from tests.helpers import REPO, gdlab

ESC = "\x1b"
EXAMPLES = REPO / "examples" / "gradient_basic"


def test_control_characters_are_shown_escaped_and_text_stays():
    assert for_terminal("a\x1b[8mb\x07\x9b\u202e\n\tc") == "a\\x1b[8mb\\x07\\x9b\\u202e\n\tc"
    assert one_line("ann\nbob\r") == "ann\\nbob\\x0d"
    assert for_terminal("ŷ − y ✓ café") == "ŷ − y ✓ café"


def test_formula_cells_are_neutralised_and_numbers_stay_numbers():
    assert [csv_cell(v) for v in ('=HYPERLINK("x")', "+1", "-2", "@a", "\tx", "\rx", "ann")] == [
        '\'=HYPERLINK("x")',
        "'+1",
        "'-2",
        "'@a",
        "'\tx",
        "'\rx",
        "ann",
    ]
    assert csv_cell(-2.5) == "-2.5" and csv_cell(100.0) == "100"


def test_path_components_never_leave_their_folder_and_stay_distinct():
    names = ["..", ".", "", "a/b", "a_b", "../../etc", "ann", "x\x00y"]
    parts = [path_component(n) for n in names]
    assert parts[names.index("ann")] == "ann"
    assert len(set(parts)) == len(names)
    for part in parts:
        assert "/" not in part and part.strip(".") and "\x00" not in part


def test_test_run_shows_a_programs_escape_sequences_escaped(tmp_path):
    answer = tmp_path / "ansi.py"
    source = (EXAMPLES / "ada_correct.py").read_text()
    answer.write_text(source + '\nprint("\\x1b[8mhidden\\x1b]52;c;eA==\\x07")\n')
    done = gdlab("run", "gradient_basic", str(answer), home=tmp_path)
    assert ESC not in done.stdout and "\\x1b[8mhidden\\x1b]52;c;eA==\\x07" in done.stdout


def test_a_students_name_is_escaped_in_submit_and_neutralised_in_the_csv(tmp_path):
    home = tmp_path / "home"
    name = '=HYPERLINK("http://x")\x1b[2J'
    submitted = gdlab(
        "submit", "gradient_basic", str(EXAMPLES / "ada_correct.py"), "--student", name, home=home
    )
    assert submitted.returncode == 0, submitted.stderr
    assert ESC not in submitted.stdout and "\\x1b[2J" in submitted.stdout
    as_json = gdlab(
        "submit",
        "gradient_basic",
        str(EXAMPLES / "ada_correct.py"),
        "--student",
        name,
        "--json",
        home=home,
    )
    assert ESC not in as_json.stdout and json.loads(as_json.stdout)["student"] == name
    exported = gdlab("export", "--format", "csv", home=home)
    row = list(csv.reader(io.StringIO(exported.stdout)))[1]
    assert row[0] == "'" + name and row[2] == "100"


def test_gradescope_export_of_dot_dot_and_slashed_names_stays_inside_out(tmp_path):
    home = tmp_path / "home"
    for student in ("..", "a/b", "../../escaped"):
        gdlab(
            "submit",
            "gradient_basic",
            str(EXAMPLES / "ada_correct.py"),
            "--student",
            student,
            home=home,
        )
    out = tmp_path / "deep" / "out"
    done = gdlab("export", "--format", "gradescope", "--out", str(out), home=home)
    assert done.returncode == 0, done.stderr
    written = sorted(tmp_path.rglob("results.json"))
    assert len(written) == 3
    assert all(out.resolve() in path.resolve().parents for path in written)


def test_grade_shows_a_students_escape_sequence_name_escaped(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "\x1b[2Jeve.py").write_bytes("x = 1\n".encode("utf-16-le"))  # cannot be graded
    (folder / "ada.py").write_text((EXAMPLES / "ada_correct.py").read_text())
    done = gdlab("grade", str(folder), "--exercise", "gradient_basic", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert ESC not in done.stdout and ESC not in done.stderr
    assert "\\x1b[2Jeve (gradient_basic)" in done.stdout  # the summary's list of 0s
    assert "\\x1b[2Jeve gradient_basic: 0/100" in done.stderr  # the progress line
