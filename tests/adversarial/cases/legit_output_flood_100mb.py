# Legit (noisy): prints about 100 MB of output (a million short lines and 5,000 long ones through print, 50 MB straight to fd 1), then answers; the flood is cut and discarded without eating the time limit.
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])

import os

for epoch in range(1_000_000):
    print("loss 0.25")
line = "loss " * 2000
for _ in range(5_000):
    print(line)
block = b"x" * 2**20
for _ in range(50):
    os.write(1, block)
h = np.dot(x, w)
nn_output = sigmoid(h)
error = y - nn_output
error_term = error * sigmoid_prime(h)
del_w = learnrate * error_term * x

