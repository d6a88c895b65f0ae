# Fault: 32 MB of output, one correct step, then a crash. Output is cut, h still counts.
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])
chunk = "spam " * 200_000
for _ in range(32):
    print(chunk)

h = np.dot(x, w)
nn_output = undefined_name
