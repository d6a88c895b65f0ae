"""A submission's states, and the schema version this gdlab writes: names every stage uses,
kept apart from the tables (`schema.py`, SQLAlchemy) so that reading them imports nothing."""

from __future__ import annotations

#: The last migration in `schema.MIGRATIONS` (a test holds the two together).
SCHEMA_VERSION = 7
#: A submission's status: stored, not graded yet; graded (a score, maybe a 0 for a file that
#: could not be graded, with its reason in `problem`); or not graded because of a fault on the
#: grader's side (`problem` says which), to be graded again by the next `gdlab grade`.
PENDING, GRADED, NEEDS_REGRADE = "pending", "graded", "needs_regrade"
