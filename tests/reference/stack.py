"""Reference weights for tests/test_ensemble.c: scikit-learn's LogisticRegression(C=1) on the
logits of a small fixture of members' probabilities that the test rebuilds with the same
integer formulas (every probability is exact in binary, two are 0 and 1 to exercise the
clipping), as the stacker of an ensemble is fitted.

Run: /usr/bin/python3 tests/reference/stack.py   (scikit-learn 1.2.1, numpy 1.24.2)
"""
import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

EPS = 1e-6  # LL_STACK_EPS


def fixture():
    """40 rows x 3 members; y from a noisy rule that members 0 and 1 each see part of."""
    i = np.arange(40)
    p = np.stack([((i * 7 + 3) % 16 + 0.5) / 16.0,
                  ((i * 11 + 5) % 16 + 0.5) / 16.0,
                  ((i * 5 + 1) % 8 + 0.5) / 8.0], axis=1)
    p[0, 0] = 0.0   # clipped to 1e-6
    p[1, 1] = 1.0   # clipped to 1 - 1e-6
    y = ((i * 7 + 3) % 16 + (i * 11 + 5) % 16 + (i * 3) % 7 > 19).astype(int)
    return p, y


def logit(p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def main():
    p, y = fixture()
    z = logit(p)
    # newton-cg and lbfgs leave the intercept unpenalised, as the stacker does.
    m = LogisticRegression(C=1.0, solver="newton-cg", tol=1e-10, max_iter=10000).fit(z, y)
    print(f"scikit-learn {sklearn.__version__}, {y.sum()} positives of {len(y)}")
    print("intercept, weights: " + ", ".join(f"{w:.10g}" for w in [m.intercept_[0], *m.coef_[0]]))


if __name__ == "__main__":
    main()
