import numpy as np


def sigmoid(x):
    """The logistic function: squashes any real number into (0, 1)."""
    return 1 / (1 + np.exp(-x))


x = np.array([0.5, 0.1, -0.2])
target = 0.6
learnrate = 0.5

weights_input_hidden = np.array([[0.5, -0.6],
                                 [0.1, -0.2],
                                 [0.1, 0.7]])

weights_hidden_output = np.array([0.1, -0.3])

## Forward pass
hidden_layer_input = np.dot(x, weights_input_hidden)
hidden_layer_output = sigmoid(hidden_layer_input)

output_layer_in = np.dot(hidden_layer_output, weights_hidden_output)
output = sigmoid(output_layer_in)

## Backwards pass
## Each TODO is one line of numpy; the names match the lesson's formulas.

# TODO: Calculate output error
#       (error: the target minus the network's output)
error = None

# TODO: Calculate error term for output layer
#       (output_error_term: the error times the sigmoid's slope at the output unit)
output_error_term = None

# TODO: Propagate the error back to the hidden layer
#       (hidden_error: each hidden unit's share, the output error term times its weight;
#        a step of its own for clarity, checked but worth no points by itself)
hidden_error = None

# TODO: Calculate error term for hidden layer
#       (hidden_error_term: the hidden error times the sigmoid's slope at each hidden unit)
hidden_error_term = None

# TODO: Calculate change in weights for hidden layer to output layer
#       (delta_w_h_o: learning rate times output error term times the hidden outputs)
delta_w_h_o = None

# TODO: Calculate change in weights for input layer to hidden layer
#       (delta_w_i_h: learning rate times each hidden error term times each input,
#        shaped like weights_input_hidden; make x a column with x[:, None])
delta_w_i_h = None

print('Change in weights for hidden layer to output layer:')
print(delta_w_h_o)
print('Change in weights for input layer to hidden layer:')
print(delta_w_i_h)
