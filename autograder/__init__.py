"""gdlab's grading engine.

A submission travels one pipeline, one module per stage:

    load         exercise.py (an exercise as data), submission.py (a student's file as a program)
    run isolated sandbox.py (parent side); sandbox_protocol.py (typed messages, strict readers);
                 inside the worker: _sandbox_worker.py (serves jobs), _sandbox_watch.py (watches
                 a case from outside), _sandbox_child.py (confines itself, then runs the cases),
                 _sandbox_run.py (runs the program once), confine.py (namespaces, uid),
                 allowlist.py (what a case sees), rootfs.py (its root); _sandbox_plain.py
                 (the unconfined fallback where Linux namespaces are missing)
    compare      compare.py (strict, typed comparison of one value against one expectation)
    diagnose     diagnose.py (error carried forward, named mistakes), reference.py (the oracle)
    record       gradebook.py
    report       report.py

judge/grader.py (a `Grader`) strings the stages together; commands/cli.py is the `gdlab` command.
Only plain data crosses the boundary between the student's process and ours (values.py,
program.py are shared by both sides).
This module imports nothing heavy on purpose: the sandbox worker imports it too.
"""

__version__ = "0.1.0"
