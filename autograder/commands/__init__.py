"""Commands: the `gdlab` command line and the build that makes the release.

- `cli` — `gdlab list | run | submit | grade | export | feedback | gradescope | build | new |
  serve | roster`.
- `build` — `release/` and `solutions/` from `source/` (`build_checks`: what it checks first);
  `scaffold` — `gdlab new`; `exercise_doc` — docs/exercise-format.md from the schema.
"""
