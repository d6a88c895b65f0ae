"""Record: nothing a student submits, and no grade, is ever lost.

- `gradebook` — every file stored before it is graded, the grade in one transaction after
  (SQLite or PostgreSQL); its reads return `Check` and `CaseRun`. `schema` — the tables and
  their versioned migrations; `rows` — rows to grading's data and back; `connection` — the URL
  and the engine; `first_use` — created private, migrated once.
- `batch` — a class graded in parallel, each grade committed as it is done, resumable;
  `discover` — a class's files.
"""
