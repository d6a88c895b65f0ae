"""Judge: compare what came back with the reference, then say what went wrong.

- `grading` — one submission: every case, every quantity (the pipeline's middle).
- `compare` — one value against one expected value, strictly, with the reason it refuses.
- `reference` — the reference program as an oracle; `published_cache` keeps its published
  values on disk; `diagnose` — error carried forward and named mistakes; `names` — the lesson's
  other names and optional intermediates; `steps` — a training loop's lines, where they run.
- `published_release` — the published values shipped with the release (published.json);
  `offline` — course mode's TEST RUN against them, without the reference.
"""
