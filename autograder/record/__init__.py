"""Record: nothing a student submits, and no grade, is ever lost.

- `gradebook` — every file stored before it is graded, the grade in one transaction after
  (SQLite or PostgreSQL, versioned migrations); `first_use` — created private, migrated once.
- `batch` — a class graded in parallel, each grade committed as it is done, resumable.
"""
