import numpy as np

# Given values. The training run starts from random weights drawn after np.random.seed(seed);
# it makes `epochs` passes over the data at learning rate 0.01, then `epochs` more at 0.001.
seed = 84
epochs = 1000

# Check values: the given check code runs your methods on them. When you submit, the grader
# puts other values here, with hidden units on both sides of 0 (h < 0: the unit is inactive).
check_h = np.array([-2.0, -0.5, 0.25, 1.5, 3.0])
check_weights = np.array([0.4, -0.3, -0.6, 0.2, 0.5, 0.7, 0.8, -0.5, 0.3])
check_biases = np.array([0.1, -0.2, 0.05, 0.3])
check_x1 = 1.5
check_x2 = -0.5
check_y = 2.0
check_lr = 0.1
check_X = np.array([[1.0, -2.0], [0.5, 1.5], [-1.0, 0.5], [2.0, 1.0]])
check_Y = np.array([1.0, -0.5, 2.0, 3.0])

# The training data: the network should learn to add two numbers.
x = [[2, 2], [5, 1], [0, 4], [2, 8], [3, 0]]
y = [4, 6, 4, 10, 3]


class NeuralNetwork:
    """A 2-3-1 network: two inputs, three ReLU hidden units, one linear output.

    weights[0:2] and biases[0] belong to hidden unit 1, weights[2:4] and biases[1] to unit 2,
    weights[4:6] and biases[2] to unit 3; the output is
    weights[6] relu(h1) + weights[7] relu(h2) + weights[8] relu(h3) + biases[3].
    """

    def __init__(self):
        self.weights = np.random.uniform(-1, 1, 9)
        self.biases = np.zeros(4)

    def relu(self, x):
        """max(0, x), element by element: works for a number and for an array."""
        result = np.where(x > 0, x, 0.0)
        return result

    def predict(self, x1, x2):
        """The network's output for the inputs x1, x2."""
        hidden = self.weights[:6].reshape(3, 2) @ np.array([x1, x2]) + self.biases[:3]
        output = np.dot(self.weights[6:], self.relu(hidden)) + self.biases[3]
        return output

    def update_weights_and_biases(self, x1, x2, y, lr):
        """One gradient-descent step on this example's loss ½ (y − ŷ)²; returns y − ŷ."""
        inputs = np.array([x1, x2], dtype=float)
        h = self.weights[:6].reshape(3, 2) @ inputs + self.biases[:3]
        a = self.relu(h)
        output = np.dot(self.weights[6:], a) + self.biases[3]
        dloss = output - y                        # dL/dŷ for L = ½ (y − ŷ)²
        grad_h = dloss * self.weights[6:] * (h > 0)
        grad_weights = np.concatenate([np.outer(grad_h, inputs).ravel(), dloss * a])
        grad_biases = np.append(grad_h, dloss)
        weights = self.weights - lr * grad_weights
        biases = self.biases - lr * grad_biases
        self.weights, self.biases = weights, biases
        return -dloss

    def show_weights_and_biases(self):
        """Print the parameters."""
        print('Weights:')
        print(self.weights)
        print('Biases:')
        print(self.biases)


class MiniBatchNetwork(NeuralNetwork):
    """The same network, trained on mini-batches with whole-array numpy operations.

    For a batch X of shape (B, 2): U = weights[:6].reshape(3, 2) (row j: unit j's two input
    weights), v = weights[6:] (output weights), c = biases[:3], d = biases[3]. Then
    H = X U^T + c (B, 3), A = relu(H), outputs = A v + d (B,). The loss of a batch is the mean of
    ½ (y − ŷ)² over its rows.
    """

    def batch_step(self, X, Y, lr):
        """One gradient-descent step on the batch's loss; returns that loss before the step."""
        n = X.shape[0]
        U, v = self.weights[:6].reshape(3, 2), self.weights[6:]
        H = np.dot(X, U.T) + self.biases[:3]
        A = self.relu(H)
        errors = Y - (np.dot(A, v) + self.biases[3])
        loss = 0.5 * np.dot(errors, errors) / n
        deltas = np.einsum("i,j,ij->ij", errors, v, (H > 0).astype(float))
        self.weights = self.weights + lr / n * np.concatenate(
            [np.einsum("ij,ik->jk", deltas, X).ravel(), np.dot(A.T, errors)])
        self.biases = self.biases + lr / n * np.append(deltas.sum(axis=0), errors.sum())
        return loss

    def train(self, X, Y, batch_size, epochs, lr):
        """Mini-batch gradient descent: each epoch walks through the rows in order, batch_size
        at a time (the last batch may be smaller). Returns the loss of every step, in order."""
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=float)
        losses = []
        for _ in range(epochs):
            for start in range(0, len(X), batch_size):
                end = start + batch_size
                losses.append(self.batch_step(X[start:end], Y[start:end], lr))
        return losses


# Training, one example at a time.
np.random.seed(seed)
nn = NeuralNetwork()
for lr in (0.01, 0.001):
    for epoch in range(epochs):
        for (x1, x2), target in zip(x, y):
            nn.update_weights_and_biases(x1, x2, target, lr)

nn.show_weights_and_biases()
prediction = nn.predict(4, 4)
print('Prediction for 4 + 4:')
print(prediction)


# Given check code: the grader reads the variables it defines.
def check_step(weights, biases, x1, x2, y, lr):
    """Run predict and one update from the given parameters; return what they give."""
    net = NeuralNetwork()
    net.weights, net.biases = np.array(weights, dtype=float), np.array(biases, dtype=float)
    output = net.predict(x1, x2)
    error = net.update_weights_and_biases(x1, x2, y, lr)
    return output, error, net.weights, net.biases


check_output, check_error, check_weights_after, check_biases_after = check_step(
    check_weights, check_biases, check_x1, check_x2, check_y, check_lr)
check_relu = NeuralNetwork().relu(check_h)


def check_batch(weights, biases, X, Y, lr):
    """One batch step from the given parameters, then one epoch of batch size 1 from them."""
    net = MiniBatchNetwork()
    net.weights, net.biases = np.array(weights, dtype=float), np.array(biases, dtype=float)
    loss = net.batch_step(X, Y, lr)
    weights_after, biases_after = net.weights, net.biases
    net.weights, net.biases = np.array(weights, dtype=float), np.array(biases, dtype=float)
    net.train(X, Y, batch_size=1, epochs=1, lr=lr)
    return loss, weights_after, biases_after, net.weights


batch_loss, batch_weights_after, batch_biases_after, batch1_weights_after = check_batch(
    check_weights, check_biases, check_X, check_Y, check_lr)
