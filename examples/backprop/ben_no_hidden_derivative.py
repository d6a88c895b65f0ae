import numpy as np
from data_prep import features, targets, features_test, targets_test

# A fixed seed: every run starts from the same weights, which makes bugs easy to reproduce.
np.random.seed(21)


def sigmoid(x):
    """The logistic function: squashes any real number into (0, 1)."""
    return 1 / (1 + np.exp(-x))


# Hyperparameters
n_hidden = 2  # number of hidden units
epochs = 900
learnrate = 0.005

n_records, n_features = features.shape
last_loss = None

# Initial weights: small random numbers, spread 1 / sqrt(n_features)
weights_input_hidden = np.random.normal(scale=1 / n_features ** .5,
                                        size=(n_features, n_hidden))
weights_hidden_output = np.random.normal(scale=1 / n_features ** .5,
                                         size=n_hidden)

for e in range(epochs):
    del_w_input_hidden = np.zeros(weights_input_hidden.shape)
    del_w_hidden_output = np.zeros(weights_hidden_output.shape)
    for x, y in zip(features.values, targets):
        ## Forward pass ##
        # TODO: Calculate the output
        #       (hidden_input: x through weights_input_hidden; hidden_output: its sigmoid;
        #        output: the sigmoid of hidden_output through weights_hidden_output)
        hidden_input = np.dot(x, weights_input_hidden)
        hidden_output = sigmoid(hidden_input)
        output = sigmoid(np.dot(hidden_output, weights_hidden_output))

        ## Backward pass ##
        # TODO: Calculate the network's prediction error
        error = y - output

        # TODO: Calculate error term for the output unit
        #       (the error times the sigmoid's slope at the output)
        output_error_term = error * output * (1 - output)

        ## Propagate the error back to the hidden layer ##

        # TODO: Calculate the hidden layer's contribution to the error
        #       (the output error term, shared out through weights_hidden_output)
        hidden_error = np.dot(output_error_term, weights_hidden_output)

        # TODO: Calculate the error term for the hidden layer
        #       (the hidden error times each hidden unit's sigmoid slope)
        hidden_error_term = hidden_error

        # TODO: Update the change in weights
        #       (add this record's steps to the running totals del_w_hidden_output and
        #        del_w_input_hidden, +=; each step has the shape of its weight array)
        del_w_hidden_output += output_error_term * hidden_output
        del_w_input_hidden += hidden_error_term * x[:, None]

    # TODO: Update weights
    #       (each weight array moves, +=, by the learning rate times its average change:
    #        the total divided by n_records)
    weights_input_hidden += learnrate * del_w_input_hidden / n_records
    weights_hidden_output += learnrate * del_w_hidden_output / n_records

    # The mean squared error on the whole training set, ten times during training.
    # (The original quiz used x, the loop's last record, instead of features here: its
    # "train loss" was the error of one record's prediction. The lab shows both numbers.)
    if e % (epochs / 10) == 0:
        train_hidden = sigmoid(np.dot(features, weights_input_hidden))
        out = sigmoid(np.dot(train_hidden, weights_hidden_output))
        loss = np.mean((out - targets) ** 2)

        if last_loss and last_loss < loss:
            print("Train loss: ", loss, "  WARNING - Loss Increasing")
        else:
            print("Train loss: ", loss)
        last_loss = loss

# How often the trained network is right on the 40 applicants it never saw
hidden = sigmoid(np.dot(features_test, weights_input_hidden))
out = sigmoid(np.dot(hidden, weights_hidden_output))
predictions = out > 0.5
accuracy = np.mean(predictions == targets_test)
print("Prediction accuracy: {:.3f}".format(accuracy))
