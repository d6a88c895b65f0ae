"""Judge: compare what came back with the reference, then say what went wrong.

- `grader` — the one entry point: a `Grader` owns the sandbox and the caches; every command,
  the batch, Gradescope, nbgrader, the lab's cells and the server grade through it.
- `grading` — one submission from its runs: every case (`case_checks`: every quantity of one
  case; `typed_in`: values that never follow the given values; `problems`: how a run went wrong,
  in a sentence). `checks` — what it decides, as data: `Check` (with its `Reason`), `CaseRun`,
  `Grade`.
- `compare` — one value against one expected value, strictly, with the reason it refuses.
- `reference` — the reference program as an oracle; `published_cache` keeps its published
  values on disk; `diagnose` — error carried forward and named mistakes; `names` — the lesson's
  other names and optional intermediates; `steps` — a training loop's lines, where they run.
- `published_release` — the published values shipped with the release (published.json);
  `offline` — course mode's TEST RUN against them, without the reference.
"""
