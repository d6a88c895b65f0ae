"""Load: an exercise and a student's file, as data the rest of the pipeline can trust.

- `exercise` — an exercise folder as data (`schema`, `training_schema` check exercise.toml;
  `spec_errors` words what is wrong in one line); `published_given`, `frames` the given values.
- `intake` — a student's file itself (never a link's target), bounded; `submission` makes it a
  program: a quiz script as written, or a notebook's cells (`ipynb` reads the JSON, `cells` turns
  each cell into Python as IPython would, `magics` says what each magic does, `check_calls`
  takes the lab's check calls out; `code_edits` keeps each line's origin through all of it).
- `program` — puts a case's given values in place of the file's given block; `given_text` writes
  the same as text, which the case's process compiles without building the tree.
"""
