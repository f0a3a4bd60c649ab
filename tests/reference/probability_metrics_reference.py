"""Reference values of tests/test_metrics.c's probability metrics (brier, log_loss, ece).

Run with Debian's python3-sklearn (1.2.1) and numpy (1.24.2):
    python3 tests/reference/probability_metrics_reference.py
brier and log loss come from scikit-learn; scikit-learn has no ECE, so it is computed here with
numpy as leadlab defines it: rows sorted by p (stable), split into 10 bins with np.array_split,
sum over bins of |bin| / n * |mean(y) - mean(p)|.
"""
import numpy as np
import sklearn
from sklearn.metrics import brier_score_loss, log_loss

y = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0])
p = np.array([0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.0, 1.0, 0.33,
              0.12, 0.07, 0.07, 0.01, 0.45, 0.22, 0.18, 0.02])


def ece(y, p, bins=10):
    order = np.argsort(p, kind="stable")
    total = 0.0
    for b in np.array_split(order, bins):
        if len(b):
            total += len(b) / len(p) * abs(y[b].mean() - p[b].mean())
    return total


print("sklearn", sklearn.__version__, "numpy", np.__version__)
print("brier    %.17g" % brier_score_loss(y, p))
print("log_loss %.17g" % log_loss(y, p))  # clips to [1e-15, 1 - 1e-15] in 1.2
print("ece      %.17g" % ece(y, p))
