# Legit: a correct answer that prints 1 MB (over the output cap): full marks, output cut.
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
line = f"del_w = {del_w} " * 20
for step in range(1_000):
    print(f"step {step:4d}: {line}")
