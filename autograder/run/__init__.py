"""Run isolated: a student's program runs in a confined process; only bounded descriptions of
its values come back.

- `sandbox` — the grader's side: starts the worker, sends a job, reads the answers;
  `outcome` — how a case ended (`Outcome`), the one spelling every later stage uses.
- `protocol` — the typed messages (request, report, answer) and their strict, bounded readers;
  `values` — a description read back as a value (and given values as plain data);
  `describe` — a live value described as plain data, in the case's process.
- `worker` (the worker process) → `watch` (one job seen from outside: deadlines, output) →
  `child` (the case's process: `confine` + `rootfs` + `allowlist` build its world) → `execute`
  (runs the program once per case); `trace` records values inside training loops.
- `plain` — the unconfined fallback where Linux namespaces are missing; `notes` — what the
  sandbox tells administrators and students about itself.
"""
