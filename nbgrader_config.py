"""nbgrader's configuration for this course (the repository's root is an nbgrader course).

`nbgrader autograde` takes each gdlab check cell's points from gdlab, graded outside the
student's kernel (see autograder/report/nbgrader_autograde.py). Copy this file into any course that
uses gdlab's labs.
"""

from autograder.report.nbgrader_autograde import configure

configure(get_config())  # noqa: F821  (nbgrader provides get_config)
