"""Feedback pages: one per student and exercise, readable, escaped, with no reference code."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest
from markupsafe import escape

from autograder.judge.grader import Grader
from autograder.load import exercise as exercises
from autograder.record.gradebook import Gradebook
from autograder.report.feedback import page_path, parse_losses, write_pages
from tests.helpers import SEED, TINY_REFERENCE, TINY_TOML, submit

SCRIPT_TAG = '<script>alert("gotcha")</script>'


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> exercises.Exercise:
    folder = tmp_path_factory.mktemp("exercises") / "tiny_training"
    folder.mkdir()
    (folder / "exercise.toml").write_text(TINY_TOML, encoding="utf-8")
    (folder / "train.py").write_text(TINY_REFERENCE, encoding="utf-8")
    return exercises.load(folder)


@pytest.fixture(scope="module")
def book(
    tmp_path_factory: pytest.TempPathFactory, grader: Grader, tiny: exercises.Exercise
) -> Gradebook:
    """A class: ada (full marks, prints a script tag), ben (sign flipped, then a worse try),
    cal (a training run that diverges), dee (a training run that prints no loss)."""
    folder = tmp_path_factory.mktemp("feedback")
    gradebook = Gradebook(f"sqlite:///{folder / 'g.db'}")
    basic = exercises.get("gradient_basic")
    flipped = next(m for m in basic.mistakes if m.name.startswith("sign flipped"))
    for exercise, student, text in [
        (basic, "ada", basic.reference + f"print({SCRIPT_TAG!r})\n"),
        (basic, "ben", flipped.apply(basic.reference)),
        (basic, "ben", basic.reference.replace("h = np.dot(x, w)", "h = x.sum(")),
        (tiny, "cal", TINY_REFERENCE.replace("learnrate = 0.5", "learnrate = 2.5")),
        (tiny, "dee", TINY_REFERENCE.replace('print("Train loss: ", loss)', "pass")),
    ]:
        submit(gradebook, grader, folder, exercise, student, text)
    return gradebook


@pytest.fixture(scope="module")
def pages(
    book: Gradebook,
    tmp_path_factory: pytest.TempPathFactory,
    grader: Grader,
    tiny: exercises.Exercise,
) -> dict[tuple[str, str], str]:
    out = tmp_path_factory.mktemp("pages")
    written = write_pages(book, out, load_exercise=_loader(tiny))
    assert sorted(p.relative_to(out).as_posix() for p in written) == [
        "ada/gradient_basic.html",
        "ben/gradient_basic.html",
        "cal/tiny_training.html",
        "dee/tiny_training.html",
    ]
    return {(p.parent.name, p.stem): p.read_text(encoding="utf-8") for p in written}


def _loader(tiny: exercises.Exercise) -> Callable[[str], exercises.Exercise]:
    return lambda exercise_id: tiny if exercise_id == tiny.id else exercises.get(exercise_id)


def test_page_shows_score_verdict_and_every_check(book, pages):
    page = pages[("ben", "gradient_basic")]
    best = max((r for r in book.rows(student="ben")), key=lambda r: r.score)
    assert best.score == 80
    assert re.search(r'class="got">80</span>\s*<span class="of">/ 100', page)
    assert "Not there yet: 20 of 25 checks passed." in page
    assert "the best of your 2 graded submissions" in page
    for check in book.checks_of(best.id):
        assert escape(check.expected) in page
        assert escape(check.received) in page
    assert page.count("<details") == 5  # one block per quantity


def test_page_names_mistakes_with_their_hints(pages):
    page = pages[("ben", "gradient_basic")]
    mistake = next(
        m for m in exercises.get("gradient_basic").mistakes if m.name.startswith("sign flipped")
    )
    assert escape(mistake.name) in page
    assert escape(mistake.hint) in page
    assert "error carried forward" in page
    assert "Nothing to fix" in pages[("ada", "gradient_basic")]


def test_student_output_is_escaped(pages):
    page = pages[("ada", "gradient_basic")]
    assert escape(SCRIPT_TAG) in page
    assert "<script" not in page
    assert str(escape("Nice job! That's right!")) in page


def test_no_reference_code_seed_or_hidden_output(book, pages):
    basic = exercises.get("gradient_basic")
    hints = " ".join(m.hint for m in basic.mistakes)
    code = [
        line.strip()
        for line in basic.reference.splitlines()
        if " = " in line and line.strip() not in hints
    ]
    assert len(code) >= 8
    for page in pages.values():
        assert str(SEED) not in page
        for line in code:
            assert escape(line) not in page, line
    ada = next(r for r in book.rows(student="ada"))
    runs = book.runs_of(ada.id)
    published = next(r.output for r in runs if r.visible)
    hidden_lines = {line for r in runs if not r.visible for line in r.output.splitlines()}
    shown_values = {v for c in book.checks_of(ada.id) for v in (c.expected, c.received)}
    hidden_only = hidden_lines - set(published.splitlines()) - shown_values
    assert hidden_only
    for line in hidden_only:
        assert line not in pages[("ada", "gradient_basic")]


def test_training_page_plots_both_loss_curves(pages):
    page = pages[("cal", "tiny_training")]
    match = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert match
    assert base64.b64decode(match.group(1)).startswith(b"\x89PNG")
    assert "Your last printed loss" in page
    assert "(reference: " in page
    assert "Your loss went up" in page
    assert "http://" not in page and "https://" not in page


def test_training_page_without_loss_lines_says_so(pages):
    page = pages[("dee", "tiny_training")]
    assert "No loss curve for your program" in page
    assert "Your last printed loss" not in page
    assert "Training loss" not in pages[("ada", "gradient_basic")]


def test_one_student_only(book, tmp_path, grader):
    written = write_pages(book, tmp_path, student="ada")
    assert written == [tmp_path / "ada" / "gradient_basic.html"]


def test_student_names_stay_inside_out_and_are_escaped(tmp_path, grader):
    book = Gradebook(f"sqlite:///{tmp_path / 'g.db'}")
    evil = "../<b>eve</b>"
    submit(book, grader, tmp_path, exercises.get("gradient_basic"), evil, "x = 1\n")
    written = write_pages(book, tmp_path / "out")
    assert written == [page_path(tmp_path / "out", evil, "gradient_basic")]
    assert written[0].resolve().is_relative_to((tmp_path / "out").resolve())
    assert "&lt;b&gt;eve&lt;/b&gt;" in written[0].read_text(encoding="utf-8")


def test_exercise_no_longer_installed_still_gets_a_page(book, tmp_path):
    def gone(exercise_id: str) -> exercises.Exercise:
        raise exercises.ExerciseError(f"unknown exercise {exercise_id!r}")

    written = write_pages(book, tmp_path, student="ben", load_exercise=gone)
    assert "Not there yet" in written[0].read_text(encoding="utf-8")


def test_parse_losses_reads_the_labs_lines_and_falls_back():
    lab = (
        "Train loss:  0.2627609385\nTrain loss:  0.2096  WARNING - Loss Increasing\n"
        "Prediction accuracy: 0.725\n"
    )
    assert parse_losses(lab) == [0.2627609385, 0.2096]
    assert parse_losses("Epoch 1: train_loss=1.5e-1 val_loss=0.3\nvalidation loss: 0.2\n") == [0.15]
    assert parse_losses("epoch 0 loss = 0.5\nepoch 1 Loss: .25\n") == [0.5, 0.25]
    assert parse_losses("Train loss:  nan\n")[0] != parse_losses("Train loss:  nan\n")[0]
    assert parse_losses("Neural Network output:\n0.68\n") == []


def test_reporting_never_starts_a_sandbox(book, tmp_path, tiny, monkeypatch):
    import autograder.run.sandbox

    def refuse(*args, **kwargs):
        raise AssertionError("a feedback page started a sandbox")

    monkeypatch.setattr(autograder.run.sandbox.Sandbox, "__init__", refuse)
    written = write_pages(book, tmp_path, student="cal", load_exercise=_loader(tiny))
    page = written[0].read_text(encoding="utf-8")
    assert "(reference: " in page
    assert "The reference curve is not available" not in page


def test_pages_inline_the_stylesheet_the_server_links(pages):
    from autograder.server.templating import stylesheet

    assert stylesheet() in pages[("ada", "gradient_basic")]
    assert ".feedback .chip.pass" in stylesheet()


def test_relu_network_page_shows_the_students_curve_beside_the_references(tmp_path, grader):
    relu = exercises.get("relu_network")
    gradebook = Gradebook(f"sqlite:///{tmp_path / 'g.db'}")
    submit(gradebook, grader, tmp_path, relu, "eve", relu.reference)
    (page,) = write_pages(gradebook, tmp_path / "pages")
    text = page.read_text(encoding="utf-8")
    assert "Your last computed loss" in text and "(reference: " in text
    assert "No loss curve" not in text and "printed no line" not in text


def test_the_loss_section_is_left_out_when_there_is_no_curve_at_all(tmp_path, grader):
    folder = tmp_path / "silent_training"
    folder.mkdir()
    (folder / "exercise.toml").write_text(TINY_TOML, encoding="utf-8")
    silent = TINY_REFERENCE.replace('print("Train loss: ", loss)', "pass")
    (folder / "train.py").write_text(silent, encoding="utf-8")
    exercise = exercises.load(folder)
    gradebook = Gradebook(f"sqlite:///{tmp_path / 'g.db'}")
    submit(gradebook, grader, tmp_path, exercise, "fay", silent)
    (page,) = write_pages(gradebook, tmp_path / "pages", load_exercise=lambda _: exercise)
    assert "Training loss" not in page.read_text(encoding="utf-8")
