"""Hidden references, instructor side only: one folder per exercise, built from ``source/``.

Each folder holds the exercise's data (``exercise.toml``) and its solved quiz script, a file a
student could submit. Never ship this package to students; ``gdlab build`` writes it.
"""
