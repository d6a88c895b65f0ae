# Legit: computed with Python lists and math, converted to numpy at the end.
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])

import math

xs, ws = [float(v) for v in x], [float(v) for v in w]
h = sum(a * b for a, b in zip(xs, ws))
nn_output = 1 / (1 + math.exp(-h))
error = float(y) - nn_output
error_term = error * nn_output * (1 - nn_output)
del_w = np.array([learnrate * error_term * v for v in xs])
