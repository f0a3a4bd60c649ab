"""Reference values for tests/test_dnn.c, printed as C initialisers.

1. scikit-learn's own backpropagation, MLPClassifier(hidden_layer_sizes=(3,), activation="relu",
   alpha=0.0)._backprop, on a fixed 2-3-1 network and 4 rows: the mean binary cross-entropy and
   the gradient of every weight and bias (no batch norm, no dropout, positive weight 1).
2. The same network with batch norm after the ReLU, in PyTorch's training-mode semantics
   (torch.nn.BatchNorm1d: batch mean and biased variance, eps 1e-5; running statistics moved
   with momentum 0.1 towards the batch mean and the *unbiased* batch variance) and
   BCEWithLogitsLoss(pos_weight=2.5) (mean over rows of w_i * BCE_i): the loss, the running
   statistics after one update and the evaluation-mode logits with them, written out in numpy.
3. Three steps of torch.optim.Adam(lr=0.1, betas=(0.9, 0.999), eps=1e-8), its documented
   update, on fixed parameters and gradients, written out in numpy.

    /usr/bin/python3 tests/reference/dnn.py
"""
import warnings

import numpy as np
from sklearn.neural_network import MLPClassifier

X = np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 0.8], [0.1, -0.3]])
Y = np.array([0, 1, 1, 0])
W1 = np.array([[0.3, -0.2, 0.6], [-0.5, 0.4, 0.1]])  # fan_in x fan_out, as leadlab stores it
B1 = np.array([0.05, 0.1, -0.02])
W2 = np.array([[0.7], [-0.4], [0.5]])
B2 = np.array([-0.1])
GAMMA = np.array([1.2, 0.8, 1.0])
BETA = np.array([0.1, -0.05, 0.2])


def c_array(name, values):
    flat = ", ".join(f"{v:.17g}" for v in np.ravel(values))
    print(f"static const double {name}[] = {{{flat}}};")


def sklearn_plain():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one iteration does not converge, on purpose
        clf = MLPClassifier(hidden_layer_sizes=(3,), activation="relu", alpha=0.0,
                            max_iter=1, random_state=0).fit(X, Y)
    clf.coefs_ = [W1.copy(), W2.copy()]
    clf.intercepts_ = [B1.copy(), B2.copy()]
    activations = [X, None, None]
    deltas = [None, None]
    coef_grads = [np.empty_like(W1), np.empty_like(W2)]
    intercept_grads = [np.empty_like(B1), np.empty_like(B2)]
    loss, coef_grads, intercept_grads = clf._backprop(
        X, Y.reshape(-1, 1).astype(float), activations, deltas, coef_grads, intercept_grads)
    print(f"static const double REF_PLAIN_LOSS = {loss:.17g};")
    # leadlab's parameter order: W1, b1, W2, b2
    c_array("REF_PLAIN_GRAD", np.concatenate([coef_grads[0].ravel(), intercept_grads[0],
                                              coef_grads[1].ravel(), intercept_grads[1]]))


def batchnorm_loss():
    h = np.maximum(X @ W1 + B1, 0.0)
    mean, var = h.mean(axis=0), h.var(axis=0)  # biased, for normalising
    out = GAMMA * (h - mean) / np.sqrt(var + 1e-5) + BETA
    z = (out @ W2 + B2).ravel()
    bce = np.where(Y == 1, np.logaddexp(0.0, -z), np.logaddexp(0.0, z))
    weight = np.where(Y == 1, 2.5, 1.0)
    print(f"static const double REF_BN_LOSS = {np.mean(weight * bce):.17g};")
    n = len(X)
    running_mean = 0.9 * 0.0 + 0.1 * mean
    running_var = 0.9 * 1.0 + 0.1 * var * n / (n - 1)
    c_array("REF_BN_RUNNING_MEAN", running_mean)
    c_array("REF_BN_RUNNING_VAR", running_var)
    # evaluation mode (model.eval()): the running statistics replace the batch's
    out = GAMMA * (h - running_mean) / np.sqrt(running_var + 1e-5) + BETA
    c_array("REF_BN_EVAL_LOGITS", (out @ W2 + B2).ravel())


def adam_steps():
    params = np.array([0.5, -1.0, 2.0])
    grads = [np.array([0.1, -0.2, 0.0]), np.array([0.3, 0.1, -0.05]),
             np.array([-0.2, 0.4, 0.01])]
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    m = np.zeros(3)
    v = np.zeros(3)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        params = params - lr * m_hat / (np.sqrt(v_hat) + eps)
    c_array("REF_ADAM_GRADS", np.concatenate(grads))
    c_array("REF_ADAM_PARAMS", params)


if __name__ == "__main__":
    sklearn_plain()
    batchnorm_loss()
    adam_steps()
