"""Reference coefficients for tests/test_logreg.c: scikit-learn's LogisticRegression on the two
small fixtures that the test rebuilds with the same integer formulas (every value is exact),
and, when ../shared/data/train.csv is present, on the lead data as the test loads it.

Run: /usr/bin/python3 tests/reference/logreg.py
"""
import os
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression


def overlapping_fixture():
    """40 rows x 3 features in quarters; y from a noisy linear rule (~30 % positive)."""
    i = np.arange(40)
    x = np.stack([((i * 7 + 3) % 17 - 8) / 4.0,
                  ((i * 11 + 5) % 13 - 6) / 4.0,
                  ((i * 5 + 1) % 11 - 5) / 4.0], axis=1)
    noise = ((i * 3) % 5 - 2) / 2.0
    y = (2.0 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] + noise > 1.5).astype(int)
    return x, y


def separable_fixture():
    """24 rows x 2 features; y = (x0 > 0) and x0 is never 0: perfectly separable."""
    i = np.arange(24)
    x = np.stack([((i * 5 + 1) % 8 - 3.5) / 2.0,
                  ((i * 7 + 2) % 9 - 4) / 2.0], axis=1)
    y = (x[:, 0] > 0).astype(int)
    return x, y


def fit(x, y, C, class_weight):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ConvergenceWarning would make the reference useless
        model = LogisticRegression(penalty="l2", C=C, class_weight=class_weight, tol=1e-10,
                                   max_iter=10000, solver="lbfgs").fit(x, y)
    return model


print(f"# scikit-learn {sklearn.__version__}")
cases = [("overlapping", overlapping_fixture, 1.0, None),
         ("overlapping", overlapping_fixture, 0.05, None),
         ("overlapping", overlapping_fixture, 1.0, "balanced"),
         ("separable", separable_fixture, 1.0, None),
         ("separable", separable_fixture, 100.0, None)]
for name, make, C, class_weight in cases:
    x, y = make()
    model = fit(x, y, C, class_weight)
    coef = ", ".join(f"{v:.10f}" for v in model.coef_[0])
    print(f"{name} n={len(y)} positives={y.sum()} C={C} class_weight={class_weight}: "
          f"w = [{coef}], b = {model.intercept_[0]:.10f}")

# The lead data: the 15 raw features (products_purchased empty -> 0), z-scored over all rows
# (std with ddof 0). lbfgs stops short on these near-separating features (tol=1e-10 still leaves
# 2e-3 errors), so the reference is the Newton solver run to a tight tolerance.
train = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "train.csv")
if os.path.exists(train):
    df = pd.read_csv(train)
    y = df["buy"].to_numpy()
    x = df.drop(columns=["id", "created_at", "signup_date", "buy"])
    x = x.fillna({"products_purchased": 0}).to_numpy(dtype=float)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    for class_weight in [None, "balanced"]:
        model = LogisticRegression(penalty="l2", C=1.0, class_weight=class_weight, tol=1e-12,
                                   max_iter=1000, solver="newton-cholesky").fit(x, y)
        coef = ", ".join(f"{v:.10f}" for v in model.coef_[0])
        print(f"train.csv C=1.0 class_weight={class_weight} (newton-cholesky): "
              f"w = [{coef}], b = {model.intercept_[0]:.10f}")
