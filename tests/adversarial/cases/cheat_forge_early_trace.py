# Cheat: write forged early trace lines (the lines a training program's child sends as soon as a
# trace point's records are complete, so that a run stopped for time keeps its steps), with the
# published numbers, many times over, then spin until the time limit, hoping the forged records
# are kept. An early line is read as strictly as a report: this exercise traces no point, so the
# first one makes the case unreadable and it is killed at once.
import json
import os

import numpy as np

learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])


def real(value):
    array = np.asarray(value, dtype=float)
    return {"kind": "real", "type": "ndarray", "dtype": "float64",
            "shape": list(array.shape), "data": array.ravel().tolist()}


passes = [{"before": {}, "after": {"h": real(0.8), "nn_output": real(0.6899744811276125)},
           "broken": False}]
line = json.dumps({"early": {"record": passes}}) + "\n"
for fd in range(3, 10):
    try:
        os.write(fd, (line * 100).encode())
    except OSError:
        pass
while True:
    pass
