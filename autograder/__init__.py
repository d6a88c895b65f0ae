"""gdlab's grading engine: one pipeline, one package per stage.

    load/     an exercise folder as data, checked at load; a student's file as a program
    run/      the program in a separate, confined process; what comes back read with hard bounds
    judge/    each quantity compared with the reference's, mistakes named, error carried forward
    record/   every file stored before it is graded, every grade in one gradebook
    report/   TEST RUN and SUBMIT text, feedback pages, exports (CSV, nbgrader, Gradescope)
    commands/ the `gdlab` command; server/ the course server; notebook.py the labs' check cells

`judge.grader.Grader` is the one entry point for grading a file: every command, the batch, the
Gradescope runner, nbgrader's preprocessor, the lab's check cells and the server's workers call
it. Each package's own docstring names its modules. Only plain data crosses the boundary
between the student's process and ours. This module imports nothing heavy on purpose: the
sandbox worker imports it too.
"""

__version__ = "0.1.0"
