import numpy as np


def sigmoid(x):
    """The logistic function: squashes any real number into (0, 1)."""
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    """The slope of the sigmoid at x, written with the sigmoid itself."""
    return sigmoid(x) * (1 - sigmoid(x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)

# Initial weights
w = np.array([0.5, -0.5, 0.3, 0.1])

### One step of gradient descent for a single sigmoid unit.
### Each TODO is one line of numpy; the names match the lesson's formulas.

# TODO: Calculate the node's linear combination of inputs and weights
#       (h: the weighted sum of x with w)
h = x * w

# TODO: Calculate output of neural network
#       (nn_output: the sigmoid of h)
nn_output = sigmoid(h)

# TODO: Calculate error of neural network
#       (error: the target y minus the output)
error = y - nn_output

# TODO: Calculate the error term
#       (error_term: the error times the sigmoid's slope at h)
error_term = error * sigmoid_prime(h)

# TODO: Calculate change in weights
#       (del_w: the learning rate times the error term times the input)
del_w = learnrate * error_term * x

print('Neural Network output:')
print(nn_output)
print('Amount of Error:')
print(error)
print('Change in Weights:')
print(del_w)
