import numpy as np


def sigmoid(x):
    """The logistic function: squashes any real number into (0, 1)."""
    return 1 / (1 + np.exp(-x))


# Network size: 4 inputs, 3 hidden units, 2 output units
np.random.seed(42)
# Make some fake data
X = np.random.randn(4)

# Weights: one row per unit that sends, one column per unit that receives
weights_input_to_hidden = np.random.normal(0, scale=0.1, size=(4, 3))
weights_hidden_to_output = np.random.normal(0, scale=0.1, size=(3, 2))

### A forward pass through a network with one hidden layer.
### Each TODO is one line of numpy; the names match the lesson's formulas.

# TODO: Calculate the hidden layer's input
#       (hidden_layer_in: each hidden unit's weighted sum of the inputs X)
### BEGIN SOLUTION
hidden_layer_in = np.dot(X, weights_input_to_hidden)
### END SOLUTION

# TODO: Calculate the hidden layer's output
#       (hidden_layer_out: the sigmoid of hidden_layer_in)
### BEGIN SOLUTION
hidden_layer_out = sigmoid(hidden_layer_in)
### END SOLUTION

print('Hidden-layer Output:')
print(hidden_layer_out)

# TODO: Calculate the output layer's input
#       (output_layer_in: each output unit's weighted sum of the hidden outputs)
### BEGIN SOLUTION
output_layer_in = np.dot(hidden_layer_out, weights_hidden_to_output)
### END SOLUTION

# TODO: Calculate the network's output
#       (output_layer_out: the sigmoid of output_layer_in)
### BEGIN SOLUTION
output_layer_out = sigmoid(output_layer_in)
### END SOLUTION

print('Output-layer Output:')
print(output_layer_out)
