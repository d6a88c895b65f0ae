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
        # TODO: the rectified linear unit of x (result: 0 where x < 0, x elsewhere)
        ### BEGIN SOLUTION
        result = np.maximum(0, x)
        ### END SOLUTION
        return result

    def predict(self, x1, x2):
        """The network's output for the inputs x1, x2."""
        w, b = self.weights, self.biases
        # TODO: the three hidden pre-activations h1, h2, h3 (weighted sum plus bias),
        #       then the output: the output weights times relu(h), plus the output bias
        ### BEGIN SOLUTION
        h1 = w[0] * x1 + w[1] * x2 + b[0]
        h2 = w[2] * x1 + w[3] * x2 + b[1]
        h3 = w[4] * x1 + w[5] * x2 + b[2]
        output = w[6] * self.relu(h1) + w[7] * self.relu(h2) + w[8] * self.relu(h3) + b[3]
        ### END SOLUTION
        return output

    def update_weights_and_biases(self, x1, x2, y, lr):
        """One gradient-descent step on this example's loss ½ (y − ŷ)²; returns y − ŷ.

        Every gradient is taken at the weights as they were before the step.
        """
        w, b = self.weights, self.biases
        # TODO: forward pass: h1, h2, h3, the activations a1, a2, a3 (relu of each h),
        #       the output, and the error (the target y minus the output)
        ### BEGIN SOLUTION
        h1 = w[0] * x1 + w[1] * x2 + b[0]
        h2 = w[2] * x1 + w[3] * x2 + b[1]
        h3 = w[4] * x1 + w[5] * x2 + b[2]
        a1 = self.relu(h1)
        a2 = self.relu(h2)
        a3 = self.relu(h3)
        output = w[6] * a1 + w[7] * a2 + w[8] * a3 + b[3]
        error = y - output
        ### END SOLUTION
        # TODO: backward pass: the ReLU's slope at each h (slope1..3: 1.0 if active, else 0.0)
        #       and each hidden unit's error term delta_j = error * (its output weight) * slope_j
        ### BEGIN SOLUTION
        slope1 = float(h1 > 0)
        slope2 = float(h2 > 0)
        slope3 = float(h3 > 0)
        delta1 = error * w[6] * slope1
        delta2 = error * w[7] * slope2
        delta3 = error * w[8] * slope3
        ### END SOLUTION
        # TODO: the step: the new arrays weights (9) and biases (4) in the class's layout:
        #       w and b plus lr times error * a_j (output weights), delta_j * x1, delta_j * x2
        #       (unit j's input weights), delta_j (hidden biases) and error (output bias)
        ### BEGIN SOLUTION
        weights = w + lr * np.array([delta1 * x1, delta1 * x2, delta2 * x1, delta2 * x2,
                                     delta3 * x1, delta3 * x2, error * a1, error * a2, error * a3])
        biases = b + lr * np.array([delta1, delta2, delta3, error])
        ### END SOLUTION
        self.weights, self.biases = weights, biases
        return error

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
        # TODO: forward pass for the whole batch at once: U, v, c, d as in the class docstring,
        #       H, A, outputs, errors (targets minus outputs) and loss (the mean of ½ error²)
        ### BEGIN SOLUTION
        U = self.weights[:6].reshape(3, 2)
        v = self.weights[6:]
        c = self.biases[:3]
        d = self.biases[3]
        H = X @ U.T + c
        A = self.relu(H)
        outputs = A @ v + d
        errors = Y - outputs
        loss = np.mean(errors ** 2) / 2
        ### END SOLUTION
        # TODO: backward pass, averaged over the batch: deltas (B, 3), the hidden error terms;
        #       the steps step_U (3, 2), step_v, step_c, step_d (gradient steps without lr);
        #       then the new weights and biases (lr times the steps added; NeuralNetwork's layout)
        ### BEGIN SOLUTION
        deltas = errors[:, None] * v * (H > 0)
        step_U = deltas.T @ X / len(X)
        step_v = A.T @ errors / len(X)
        step_c = deltas.mean(axis=0)
        step_d = errors.mean()
        weights = self.weights + lr * np.concatenate([step_U.ravel(), step_v])
        biases = self.biases + lr * np.append(step_c, step_d)
        ### END SOLUTION
        self.weights, self.biases = weights, biases
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


# Training, one example at a time. Ten times per learning rate it prints the epoch's mean loss
# ½ (y − ŷ)² (once update_weights_and_biases returns the error, not None).
np.random.seed(seed)
nn = NeuralNetwork()
for lr in (0.01, 0.001):
    for epoch in range(epochs):
        errors = []
        for (x1, x2), target in zip(x, y):
            errors.append(nn.update_weights_and_biases(x1, x2, target, lr))
        if epoch % max(1, epochs // 10) == 0 and None not in errors:
            loss = np.mean(np.square(errors)) / 2
            print("Train loss: ", loss)

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
