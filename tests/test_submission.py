"""Loading notebooks and scripts as students' tools save them (`submission.py`, `cells.py`).

Each kind of file a real editor or habit produces has a test here with the grade (or the one-line
refusal) it must get. A notebook is graded as IPython runs it, so the program the loader makes
is compared with what IPython's own transformer makes of the same cells.
"""

from __future__ import annotations

import ast
import codecs
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.load import cells, magics, submission
from autograder.load.program import LAB_NAME
from autograder.load.submission import SubmissionError
from tests.helpers import REPO, filled_release


def notebook(*sources: str, metadata: dict | None = None) -> str:
    cells = [
        {
            "cell_type": "code",
            "metadata": metadata or {},
            "source": s,
            "outputs": [],
            "execution_count": None,
        }
        for s in sources
    ]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def load(tmp_path: Path, content: str | bytes, suffix: str = ".ipynb") -> submission.Program:
    path = tmp_path / f"answer{suffix}"
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return submission.load(path)


def same_program(a: str, b: str) -> bool:
    """Equal as Python (comments, blank lines, `pass` placeholders and the stand-in that a
    lab's `import autograder…` binds aside)."""

    def stand_in(s: ast.stmt) -> bool:
        value = getattr(s, "value", None)
        return isinstance(value, ast.Name) and value.id == LAB_NAME

    def dump(text: str) -> str:
        tree = ast.parse(text)
        tree.body = [s for s in tree.body if not isinstance(s, ast.Pass) and not stand_in(s)]
        return ast.dump(tree)

    return dump(a) == dump(b)


def answered(basic, edit: dict[str, str] | None = None) -> dict:
    """The gradient_basic lab, every answer cell solved, with text replacements in cells."""
    lab = filled_release(basic)
    for cell in lab["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for old, new in (edit or {}).items():
            text = text.replace(old, new)
        cell["source"] = text
    return lab


# --- magics: each does what IPython does to the program's variables ---


def test_time_magic_on_an_answer_line_and_a_time_cell_keep_their_assignments(basic, grade_text):
    lab = answered(
        basic,
        {
            "h = np.dot(x, w)": "%time h = np.dot(x, w)",
            "nn_output = sigmoid(h)": "%%time\nnn_output = sigmoid(h)",
        },
    )
    assert "%time h = np.dot(x, w)" in json.dumps(lab)
    result = grade_text(basic, json.dumps(lab), suffix=".ipynb")
    assert result.score == basic.max_score, [c.message for c in result.checks if not c.passed]


def test_a_continuation_line_starting_with_an_operator_stays_python(tmp_path):
    script = (
        "import numpy as np\nx = np.array([1, 2])\nchanged = (x\n           != 0)\n"
        "left = (len(x)\n        % 2)\n"
    )
    program = load(tmp_path, notebook(script))
    assert same_program(program.source, script)
    assert "!= 0" in program.source and "% 2" in program.source


TRICKY_PYTHON = [
    "changed = (x\n           != 0)\n",
    "left = (len(x)\n        % 2)\n",
    "s = 'what?'\nt = s  # really?\n",
    "...\nd = {'%': 1,\n     '!': 2}\n",
    "\n\nfor i in range(2):\n    print(i)\n",
]


def test_a_cell_that_is_python_is_what_ipythons_transformer_makes_of_it():
    """The loader skips IPython's transformer for a cell that parses as Python (it costs half a
    second to import); checked against the transformer on every lab cell and tricky lines."""
    from IPython.core.inputtransformer2 import TransformerManager

    labs = [*REPO.glob("source/*/*.ipynb"), *REPO.glob("release/*/*.ipynb")]
    sources = [
        "".join(c["source"])
        for lab in labs
        for c in json.loads(lab.read_text())["cells"]
        if c["cell_type"] == "code"
    ]
    sources += TRICKY_PYTHON
    assert len(sources) > 100
    for source in sources:
        transformed = TransformerManager().transform_cell(source)
        assert same_program(cells.to_python(source).text, transformed), source


def _broken(source: str, rng: random.Random) -> str:
    """`source` with a slip a student makes: an unclosed bracket, a stray character, a cut."""
    at = rng.randrange(len(source) + 1)
    slip = rng.choice(["(", "[", ")", "=", ":", "'", ",", "->", "  ", "\n\n", "...", "\t"])
    return rng.choice([source[:at] + slip + source[at:], source[:at], source[at:]])


def test_a_syntax_error_skips_ipython_only_where_its_transformer_keeps_the_text():
    """`ipython_keeps` lets a plain syntax error skip IPython's import; checked against the
    transformer itself on thousands of broken lab cells: wherever it says kept, the transformer
    returns the same lines."""
    from IPython.core.inputtransformer2 import TransformerManager

    labs = [*REPO.glob("source/*/*.ipynb"), *REPO.glob("release/*/*.ipynb")]
    sources = [
        "".join(c["source"])
        for lab in labs
        for c in json.loads(lab.read_text())["cells"]
        if c["cell_type"] == "code" and c["source"]
    ]
    rng = random.Random(12)
    texts = [_broken(s, rng) for s in sources + TRICKY_PYTHON for _ in range(8)]
    texts += ["h = (\n", "x = [1, 2\ny = 3\n", "def f(:\n    pass\n", "a = 1 +\n"]
    kept = [t for t in texts if not cells.parses(t) and cells.ipython_keeps(t)]
    assert len(kept) > 200
    for text in kept:
        try:
            transformed = TransformerManager().transform_cell(text)
        except Exception:  # IPython cannot read it either: the loader keeps the text then too
            transformed = text
        assert cells.split_lines(transformed) == cells.split_lines(text), text
        assert cells.to_python(text).lines == cells.split_lines(text)
    for text in ["%time h = (\n", "  h = (\n", "\nh = (\n", ">>> h = (\n", "h = (x != \n"]:
        assert not cells.ipython_keeps(text), text


def test_the_notebook_and_its_exported_script_are_the_same_program(tmp_path):
    """nbconvert --to script writes each cell through IPython's transformer: get_ipython() calls
    for every magic. The grader reads both to the same program."""
    from IPython.core.inputtransformer2 import TransformerManager

    sources = [
        "%matplotlib inline\nimport numpy as np\nx = np.array([1.0, 2.0])",
        "%time h = x.sum()",
        "%%time\nout = h * 2\nsq = (out\n      % 3)",
        "!pip install numpy\nfinal = out + 1",
    ]
    exported = "\n".join(TransformerManager().transform_cell(s) for s in sources)
    assert "get_ipython().run_cell_magic('time'" in exported
    as_notebook = load(tmp_path, notebook(*sources))
    as_script = load(tmp_path, exported, suffix=".py")
    assert "get_ipython" not in as_script.source
    assert same_program(as_notebook.source, as_script.source)
    assert same_program(
        as_script.source,
        "import numpy as np\nx = np.array([1.0, 2.0])\n"
        "h = x.sum()\nout = h * 2\nsq = (out\n      % 3)\nfinal = out + 1\n",
    )


def test_an_exported_script_with_get_ipython_gets_full_marks(basic, grade_text):
    script = basic.reference.replace(
        "h = np.dot(x, w)", "get_ipython().run_line_magic('time', 'h = np.dot(x, w)')"
    )
    script = "get_ipython().run_line_magic('matplotlib', 'inline')\n" + script
    assert script.count("get_ipython()") == 2
    result = grade_text(basic, script)
    assert result.score == basic.max_score, [c.message for c in result.checks if not c.passed]


def test_a_magic_whose_value_is_used_runs_as_an_expression(tmp_path):
    program = load(tmp_path, notebook("t = %time 1 + 2"))
    assert same_program(program.source, "t = (1 + 2)")


@pytest.mark.parametrize(
    ("source", "note"),
    [
        ("%timeit x = 1", "`%timeit x = 1` was not run: IPython runs it in a scope of its own"),
        ("%%timeit\nx = 1", "`%%timeit` was not run"),
        ("!pip install numpy", "`!pip install numpy` was not run: a shell command"),
        ("%matplotlib inline", "`%matplotlib inline` was not run"),
        (
            "%%bash\necho hi",
            "`%%bash` was not run: runs something other than this program's Python",
        ),
        ("%frobnicate 3", "`%frobnicate 3` was not run: IPython itself does not know it"),
    ],
)
def test_a_skipped_magic_binds_nothing_and_says_so(tmp_path, source, note):
    program = load(tmp_path, notebook("a = 0", source))
    assert same_program(program.source, "a = 0")
    assert len(program.notes) == 1 and program.notes[0].startswith("cell 2, line 1: " + note)


def test_test_run_says_what_it_did_not_run(tmp_path, basic):
    lab = answered(basic, {"h = np.dot(x, w)": "%timeit np.dot(x, w)\nh = np.dot(x, w)"})
    path = tmp_path / "lab.ipynb"
    path.write_text(json.dumps(lab), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "run", "gradient_basic", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    number, cell = next((n, c) for n, c in enumerate(lab["cells"], 1) if "%timeit" in c["source"])
    line = cell["source"].splitlines().index("%timeit np.dot(x, w)") + 1
    assert done.stdout.rstrip().endswith(
        f"Note: cell {number}, line {line}: `%timeit np.dot(x, w)` was not run: IPython runs it "
        "in a scope of its own, so it assigns nothing"
    )


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("files = !ls", "cell 1, line 1: `!ls` uses a shell command's output"),
        ("x = 1\n%run data_prep.py", "cell 1, line 2: `%run data_prep.py` runs another file"),
        ("t = %timeit -o f()", "its value is used, and the grader does not run it"),
    ],
)
def test_a_magic_the_grader_cannot_honour_is_refused_in_one_line(tmp_path, source, says):
    with pytest.raises(SubmissionError, match=re.escape(says)) as refused:
        load(tmp_path, notebook(source))
    assert "\n" not in str(refused.value)


def test_any_other_use_of_get_ipython_stays_and_stops_the_program_there(basic, grade_text):
    lab = answered(
        basic,
        {"error = y - nn_output": "get_ipython().showtraceback = print\nerror = y - nn_output"},
    )
    result = grade_text(basic, json.dumps(lab), suffix=".ipynb")
    problem = result.runs[0].problem or ""
    assert "NameError: name 'get_ipython' is not defined" in problem
    assert {c.quantity for c in result.checks if c.passed} == {"h", "nn_output"}


def test_display_without_an_import_runs_in_a_notebook_as_in_jupyter(basic, grade_text):
    lab = answered(basic, {"h = np.dot(x, w)": "h = np.dot(x, w)\ndisplay(h, w)"})
    result = grade_text(basic, json.dumps(lab), suffix=".ipynb", hidden=False)
    assert result.score == result.max_score
    assert "np.float64(0.8)\narray([ 0.5, -0.5,  0.3,  0.1])" in result.runs[0].output


def test_what_notebooks_import_out_of_habit_is_there_in_the_sandbox(basic, grade_text):
    habits = (
        "from IPython.display import display, Markdown\nimport ipywidgets as widgets\n"
        "from tqdm import tqdm\n"
    )
    lab = answered(
        basic,
        {
            "h = np.dot(x, w)": habits + "h = np.dot(x, w)\ndisplay(Markdown(f'h = {h}'))\n"
            "slider = widgets.FloatSlider()\nfor _ in tqdm(range(2)):\n    pass"
        },
    )
    result = grade_text(basic, json.dumps(lab), suffix=".ipynb", hidden=False)
    assert result.runs[0].problem is None
    assert result.score == result.max_score


def test_display_without_an_import_stops_a_script_as_python_does(basic, grade_text):
    text = basic.reference.replace("h = np.dot(x, w)", "h = np.dot(x, w)\ndisplay(h)")
    result = grade_text(basic, text, hidden=False)
    assert "NameError: name 'display' is not defined" in (result.runs[0].problem or "")
    assert {c.quantity for c in result.checks if c.passed} == {"h"}


def test_an_error_after_a_cell_magic_points_at_the_students_own_line(tmp_path):
    program = load(tmp_path, notebook("a = 1", "%%time\nb = 2\nc = undefined_name"))
    line = program.source.splitlines().index("c = undefined_name") + 1
    assert program.where(line) == "cell 2, line 3"


def test_lines_joined_or_dropped_by_ipython_still_point_at_the_students_line(tmp_path):
    cell = "\n\n%time h = \\\n    1\nk = h\nm = undefined_name\n"
    program = load(tmp_path, notebook(cell))
    lines = program.source.splitlines()
    assert program.where(lines.index("k = h") + 1) == "cell 1, line 5"
    assert program.where(lines.index("m = undefined_name") + 1) == "cell 1, line 6"


def test_a_file_of_thousands_of_magics_is_refused_not_ground_through(tmp_path):
    with pytest.raises(SubmissionError, match="more than 10,000 lines of IPython syntax"):
        load(tmp_path, "get_ipython().system('ls')\n" * 10_001, suffix=".py")


@pytest.mark.parametrize("forged", ["12", 1.5, None, True, [3]])
def test_a_line_number_that_is_not_one_is_an_unknown_line(tmp_path, forged):
    """The line comes back from the student's process: anything odd names no line."""
    program = load(tmp_path, notebook("h = 1"))
    assert program.where(forged) == "an unknown line"
    assert program.where(1) == "cell 1, line 1" and program.where(10**9) == "line 1000000000"


def test_an_exported_script_keeps_its_own_line_numbers(tmp_path):
    script = "import numpy as np\nget_ipython().run_line_magic('time', 'a = 1')\nb = c\n"
    program = load(tmp_path, script, suffix=".py")
    assert program.where(3) == "line 3" and program.source.splitlines()[1] == "a = 1"


def test_without_ipython_a_notebook_with_magics_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython.core.inputtransformer2", None)  # import fails
    with pytest.raises(SubmissionError, match="cell 1, line 1: this code uses IPython syntax"):
        load(tmp_path, notebook("%time h = 1"))
    assert same_program(load(tmp_path, notebook("h = 1")).source, "h = 1")  # plain cells load


def test_every_magic_in_the_table_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in magics.LINE:
        assert f"`%{name}`" in readme, name
    for name in magics.CELL:
        assert f"`%%{name}`" in readme, name
    assert "`!command`" in readme and "`x = !command`" in readme and "get_ipython()" in readme


def test_loading_a_plain_script_or_the_release_notebook_does_not_import_ipython(tmp_path):
    """Nor a notebook whose cell has a plain syntax error (an unclosed bracket)."""
    broken = tmp_path / "broken.ipynb"
    broken.write_text(notebook("h = (\n", "x = 1\n"), encoding="utf-8")
    probe = (
        "import sys\nfrom pathlib import Path\nfrom autograder.load import submission\n"
        "submission.load(Path('solutions/gradient_basic/gradient.py'))\n"
        "submission.load(Path('release/gradient_basic/gradient_basic.ipynb'))\n"
        f"submission.load(Path({str(broken)!r}))\n"
        "print('IPython' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr


# --- check cells found by their call, not by metadata ---


def test_check_cells_saved_without_nbgrader_metadata_are_left_out(basic, grade_text):
    lab = answered(basic)
    for cell in lab["cells"]:
        cell["metadata"] = {}
    checks = [c for c in lab["cells"] if "gdlab.check(" in c["source"]]
    assert len(checks) == len(basic.quantities)
    result = grade_text(basic, json.dumps(lab), suffix=".ipynb")
    assert result.score == basic.max_score, [c.message for c in result.checks if not c.passed]


def test_a_check_call_in_a_students_own_cell_is_left_out_and_the_rest_kept(tmp_path):
    program = load(
        tmp_path,
        notebook(
            "from autograder import notebook as gdlab",
            "h = 1\ngdlab.check('gradient_basic', 'h')\nk = h",
        ),
    )
    assert same_program(program.source, "h = 1\nk = h")


# --- size: code counts, saved outputs do not ---


def test_a_notebook_large_only_because_of_a_saved_figure_is_read(tmp_path):
    lab = json.loads(notebook("h = 1"))
    figure = "iVBORw0KGgo" + "A" * (3 * 2**20)
    lab["cells"][0]["outputs"] = [
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": figure}}
    ]
    program = load(tmp_path, json.dumps(lab))
    assert (tmp_path / "answer.ipynb").stat().st_size > 3 * 2**20
    assert same_program(program.source, "h = 1")


def test_a_notebook_with_too_much_code_is_refused(tmp_path):
    with pytest.raises(SubmissionError, match="more than 2 MB of code"):
        load(tmp_path, notebook("x = 1\n" * 200_000, "y = 2\n" * 200_000))


# --- malformed notebooks and odd encodings: one line, exit 2 ---

MALFORMED = [
    (
        notebook("h = 1").replace('"metadata": {}, "source"', '"metadata": null, "source"'),
        "the metadata of cell 1 is not an object",
    ),
    (notebook(["h = 1\n", 7]), "the source of cell 1 is not text"),
    ('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}", "JSON nested too deeply"),
    ("{ not json", "not a Jupyter notebook: not valid JSON"),
    ("[1, 2, 3]", "not a Jupyter notebook (no list of cells)"),
    ('{"cells": {"a": 1}}', "not a Jupyter notebook (no list of cells)"),
    ('{"cells": [3]}', "cell 1 is not an object"),
    ('{"cells": [' + "{}," * 1_000_000 + "{}]}", "more than 1,000,000 JSON values"),
    (b'{"cells": []}\xff\xfe', "not UTF-8 text (byte 13); save it as UTF-8"),
    ('{"cells": []}'.encode("utf-16-le"), "contains NUL characters"),
    (codecs.BOM_UTF16_LE + b"\x00\xd8", "starts as UTF-16 text but is not valid UTF-16"),
]


@pytest.mark.parametrize(("content", "says"), MALFORMED)
def test_a_malformed_notebook_is_one_line(tmp_path, content, says):
    with pytest.raises(SubmissionError, match=re.escape(says)) as refused:
        load(tmp_path, content)
    assert "\n" not in str(refused.value) and str(tmp_path) in str(refused.value)


def test_gdlab_submit_says_one_line_and_exits_2_for_a_malformed_notebook(tmp_path):
    bad = tmp_path / "deep.ipynb"
    bad.write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "submit", "gradient_basic", str(bad)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith("not a Jupyter notebook: JSON nested too deeply to read")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),  # with its byte-order mark
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        lambda text: text.encode("utf-32"),
    ],
)
@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_a_byte_order_mark_is_read_as_the_editor_meant(tmp_path, encode, suffix):
    code = "w = 'é→'\nh = 1\n"
    text = code if suffix == ".py" else notebook(code)
    assert same_program(load(tmp_path, encode(text), suffix).source, code)


def test_a_script_with_a_coding_line_is_read_in_its_encoding(tmp_path):
    code = "# -*- coding: latin-1 -*-\nw = 'é'\n"
    assert load(tmp_path, code.encode("latin-1"), ".py").source == code


def test_a_notebook_in_the_old_v3_layout_is_read(tmp_path):
    old = {
        "nbformat": 3,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "input": ["h = 1\n", "k = 2\n"], "language": "python"}
                ]
            }
        ],
    }
    assert same_program(load(tmp_path, json.dumps(old)).source, "h = 1\nk = 2")


# --- the given cell pasted twice (every binding of a given name counts: program.py) ---


def test_the_given_cell_pasted_twice_grades_full(basic, grade_text):
    lab = answered(basic)
    given = next(i for i, c in enumerate(lab["cells"]) if "learnrate = 0.5" in c["source"])
    lab["cells"].insert(given + 1, dict(lab["cells"][given]))
    result = grade_text(basic, json.dumps(lab), suffix=".ipynb")
    assert result.score == basic.max_score, [c.message for c in result.checks if not c.passed]


def test_a_notebook_of_plain_python_is_loaded_without_parsing_its_cells(tmp_path, monkeypatch):
    """A batch loads every file once per grade: a cell with none of IPython's syntax is taken
    as it is, unparsed (a syntax error included: compiling it will say where), and only a cell
    with a magic is read further."""
    parsed: list[str] = []
    real = ast.parse
    monkeypatch.setattr(
        cells.ast, "parse", lambda text, *a, **k: parsed.append(text) or real(text, *a, **k)
    )
    program = load(tmp_path, notebook("import numpy as np\n", "h = np.dot(x,\n", "%time y = 2\n"))
    assert program.source == "import numpy as np\n\nh = np.dot(x,\n\ny = 2\n\n"
    # the magic's cell, then what IPython's transformer made of it: nothing else
    assert parsed == ["%time y = 2\n", "get_ipython().run_line_magic('time', 'y = 2')\n"]
