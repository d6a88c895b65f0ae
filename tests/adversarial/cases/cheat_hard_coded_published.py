# Cheat: the published numbers typed in; right on the published case only.
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])

h = 0.8
nn_output = 0.6899744811276125
error = -0.1899744811276125
error_term = -0.04063738360460799
del_w = np.array([-0.02031869, -0.04063738, -0.06095608, -0.08127477])
