"""A worker that saw a program using numpy's random numbers keeps numpy.random imported.

Importing numpy.random in every submission's child cost ~20 ms of CPU per submission, more
than the rest of a five-case job; so the worker imports it once, the first time a program
names ``random`` (`execute.warm`), and every later child starts with it. Each child then draws
numpy's global state anew (`execute.reseed`): two submissions never share an unseeded stream,
as they did not when each imported it itself, and a program's own seed still rules.
"""

from __future__ import annotations

import pytest

from autograder.run.sandbox import Job, Sandbox, plain_mode

pytestmark = pytest.mark.skipif(plain_mode(), reason="the sandbox worker forks (Linux)")

# Says whether numpy.random was there before the program touched it, without the word itself.
PROBE = 'import sys\nwarm = "numpy.rand" + "om" in sys.modules\n'
UNSEEDED = "import numpy as np\ndraws = np.random.random(4)\n"
SEEDED = "import numpy as np\nnp.random.seed(7)\ndraws = np.random.random(4)\n"


def value(sandbox: Sandbox, source: str, name: str):
    result = sandbox.run(Job(source, "x.py", None, {name: name}))
    assert result.status == "finished", result
    return result.values[name]


def test_numpy_random_is_imported_once_the_worker_saw_a_program_name_it():
    with Sandbox() as sandbox:
        assert value(sandbox, PROBE, "warm").array.tolist() == 0.0  # a plain worker stays plain
        value(sandbox, UNSEEDED, "draws")
        assert value(sandbox, PROBE, "warm").array.tolist() == 1.0


def test_each_submission_draws_its_own_unseeded_numbers_and_a_seed_still_rules():
    with Sandbox() as sandbox:
        first = value(sandbox, UNSEEDED, "draws").array.tolist()
        second = value(sandbox, UNSEEDED, "draws").array.tolist()
        assert first != second
        seeded = [value(sandbox, SEEDED, "draws").array.tolist() for _ in range(2)]
        assert seeded[0] == seeded[1]
