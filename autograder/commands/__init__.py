"""Commands: the `gdlab` command line and the build that makes the release.

- `cli` — the `gdlab` command's table, and `list | run | submit`; `parser` — its arguments;
  `instructor` — `grade | export | feedback | gradescope | build | new` (`serve | roster`:
  `server/serve.py`); `start` — the entry point: a TEST RUN's or SUBMIT's worker started
  before any of that loads.
- `build` — `release/` and `solutions/` from `source/` (`build_checks`: what it checks first);
  `scaffold` — `gdlab new`; `exercise_doc` — docs/exercise-format.md from the schema.
- `student_package` — `gdlab build --student-package`: gdlab and the release, no references.
- `offline` — `run`, `submit`, `list` and the lab's check cells in course mode (`autograder.mode`).
"""
