# Legit: np.einsum, np.reciprocal, np.multiply.
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])

h = np.einsum("i,i->", x, w)
nn_output = np.reciprocal(1 + np.exp(-h))
error = np.subtract(y, nn_output)
error_term = np.multiply(error, nn_output * (1 - nn_output))
del_w = np.multiply(learnrate * error_term, x)
