# Legit: imports from the standard library (statistics, fractions, decimal, random, json) that the worker did not preload.
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])
import decimal
import fractions
import json
import random
import statistics

random.seed(fractions.Fraction(1, 2).numerator)
spread = statistics.pstdev([1.0, 2.0]) + float(decimal.Decimal("0"))
settings = json.loads('{"verbose": false}')

h = np.dot(x, w)
nn_output = sigmoid(h)
error = y - nn_output
error_term = error * sigmoid_prime(h)
del_w = learnrate * error_term * x
