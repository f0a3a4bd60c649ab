"""Reference decision values for tests/test_svm.c: scikit-learn's SVC (RBF) and LinearSVC on a
small fixture that the test rebuilds bit for bit (an integer LCG; every feature is an exact
multiple of 2^-51, so both sides see identical doubles). The first 40 training rows appear twice,
which exercises leadlab's merging of identical rows against scikit-learn's plain copies.

Run: /usr/bin/python3 tests/reference/svm.py
"""
import warnings

import numpy as np
import sklearn
from sklearn.svm import SVC, LinearSVC

N_FRESH, N_DUP, N_TEST, P = 240, 40, 20, 4
MASK = 2**64 - 1


class Lcg:
    """state = state * 6364136223846793005 + 1442695040888963407 (mod 2^64); u = (state >> 11) / 2^53."""

    def __init__(self, seed):
        self.state = seed

    def uniform(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & MASK
        return (self.state >> 11) / 2.0**53


def draw_rows(lcg, n):
    """n rows of P features 4u - 2 in [-2, 2) and a label from a noisy non-linear rule."""
    x = np.empty((n, P))
    y = np.empty(n, dtype=int)
    for i in range(n):
        for j in range(P):
            x[i, j] = 4.0 * lcg.uniform() - 2.0
        noise = lcg.uniform() - 0.5
        y[i] = int(x[i, 0] * x[i, 0] + x[i, 1] - 0.5 * x[i, 2] + noise > 2.0)
    return x, y


def fixture():
    lcg = Lcg(20240601)
    x, y = draw_rows(lcg, N_FRESH)
    x_test, _ = draw_rows(lcg, N_TEST)
    x = np.vstack([x, x[:N_DUP]])
    y = np.concatenate([y, y[:N_DUP]])
    return x, y, x_test


def c_array(name, values):
    body = ",\n    ".join(", ".join(f"{v:.10f}" for v in values[k:k + 4])
                          for k in range(0, len(values), 4))
    return f"static const double {name}[N_TEST] = {{\n    {body}}};"


x, y, x_test = fixture()
print(f"/* scikit-learn {sklearn.__version__}; n={len(y)} positives={y.sum()} "
      f"gamma_scale={1.0 / (P * x.var()):.10f} */")
cases = [
    ("REF_RBF_DEFAULT", SVC(kernel="rbf", C=1.0, gamma="scale", tol=1e-5)),
    ("REF_RBF_C10_G05_BALANCED",
     SVC(kernel="rbf", C=10.0, gamma=0.5, class_weight="balanced", tol=1e-5)),
    ("REF_LINEAR_C1", LinearSVC(C=1.0, loss="squared_hinge", dual=True, tol=1e-5,
                                max_iter=1000000, intercept_scaling=1)),
    ("REF_LINEAR_C01_BALANCED",
     LinearSVC(C=0.1, loss="squared_hinge", dual=True, tol=1e-5, max_iter=1000000,
               intercept_scaling=1, class_weight="balanced")),
]
with warnings.catch_warnings():
    warnings.simplefilter("error")  # a ConvergenceWarning would make the reference useless
    for name, model in cases:
        print(f"/* {model!r} */")
        print(c_array(name, model.fit(x, y).decision_function(x_test)))
