"""Commands: the `gdlab` command line and the build that makes the release.

- `cli` — `gdlab list | run | submit | grade | export | feedback | gradescope | build | new |
  serve | roster`.
- `build` — `release/` and `solutions/` from `source/` (`build_checks`: what it checks first);
  `scaffold` — `gdlab new`; `exercise_doc` — docs/exercise-format.md from the schema.
- `student_package` — `gdlab build --student-package`: gdlab and the release, no references.
- `offline` — `run`, `submit`, `list` and the lab's check cells in course mode (`autograder.mode`).
"""
