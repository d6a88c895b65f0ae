# Cheat: write files outside the case's own directory (repository, /var/tmp, /dev/shm, the parent of its home); then answer correctly.
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])

h = np.dot(x, w)
nn_output = sigmoid(h)
error = y - nn_output
error_term = error * sigmoid_prime(h)
del_w = learnrate * error_term * x
import os
import sys

root = next(p for p in sys.path if os.path.isdir(os.path.join(p, "autograder")))
targets = [os.path.join(root, "gdlab-adversarial-outside"), "/var/tmp/gdlab-adversarial-outside",
           "/dev/shm/gdlab-adversarial-outside",
           os.path.join(os.path.expanduser("~"), "..", "gdlab-adversarial-outside")]
refused = 0
for target in targets:
    try:
        with open(target, "w") as stray:
            stray.write("escaped")
    except OSError:
        refused += 1
print(f"refused {refused} of {len(targets)}")
