"""Report: the words. Nothing here decides a score.

- `terminal` — TEST RUN and SUBMIT as text or JSON; `console`, `sanitize` — what a terminal, a
  CSV cell or a path can take; `wording` — a phrase per run outcome; `class_summary` — a
  batch's summary and progress.
- `feedback`, `feedback_cards`, `curves` — self-contained HTML pages (templates in
  `autograder/server/templates/feedback/`); `curves` — the loss curves, traced or printed.
- `lab_steps` — a training lab's failing check cell: the steps inside the loop, from the saved
  notebook's TEST RUN.
- `export` — CSV, Gradescope and nbgrader; `gradescope`, `distribution` — the Gradescope bundle
  and its runner; `nbgrader_autograde` — gdlab's scores in `nbgrader autograde`.
"""
