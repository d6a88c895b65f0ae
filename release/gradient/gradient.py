import numpy as np
from data_prep import features, targets, features_test, targets_test


def sigmoid(x):
    """The logistic function: squashes any real number into (0, 1)."""
    return 1 / (1 + np.exp(-x))


# The slope of the sigmoid is sigmoid(h) * (1 - sigmoid(h)). No helper this time: you already
# have sigmoid(h) as the output, so the slope is output * (1 - output).

# A fixed seed: every run starts from the same weights, which makes bugs easy to reproduce.
np.random.seed(42)

n_records, n_features = features.shape
last_loss = None

# Initial weights: small random numbers, spread 1 / sqrt(n_features)
weights = np.random.normal(scale=1 / n_features**.5, size=n_features)

# Hyperparameters
epochs = 1000
learnrate = 0.5

for e in range(epochs):
    del_w = np.zeros(weights.shape)
    for x, y in zip(features.values, targets):
        # One record: x holds its features, y its target (1 = admitted)

        # TODO: Calculate the output
        #       (output: the sigmoid of the weighted sum of x with weights)
        output = None

        # TODO: Calculate the error
        #       (error: the target minus the output)
        error = None

        # TODO: Calculate the error term
        #       (error_term: the error times the sigmoid's slope, output * (1 - output))
        error_term = None

        # TODO: Calculate the change in weights for this record
        #       and add it to the total weight change del_w (a running total: +=)
        del_w = None

    # TODO: Update weights using the learning rate and the average change in weights
    #       (average: the total del_w divided by the number of records; the weights
    #        move by that step, +=, they are not replaced by it)
    weights = None

    # The mean squared error on the training set, ten times during training
    if e % (epochs / 10) == 0:
        out = sigmoid(np.dot(features, weights))
        loss = np.mean((out - targets) ** 2)
        if last_loss and last_loss < loss:
            print("Train loss: ", loss, "  WARNING - Loss Increasing")
        else:
            print("Train loss: ", loss)
        last_loss = loss


# How often the trained unit is right on the 40 applicants it never saw
tes_out = sigmoid(np.dot(features_test, weights))
predictions = tes_out > 0.5
accuracy = np.mean(predictions == targets_test)
print("Prediction accuracy: {:.3f}".format(accuracy))
