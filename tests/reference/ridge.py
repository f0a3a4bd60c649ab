"""Reference margins for tests/test_ridge.c: scikit-learn's RidgeClassifier on a small fixture
that the test rebuilds with the same integer formulas (every value is exact in double).

Run: /usr/bin/python3 tests/reference/ridge.py
Prints, per case, decision_function on the fixture's test rows, as C initialisers.
"""
import numpy as np
import sklearn
from sklearn.linear_model import RidgeClassifier


def train_fixture():
    """40 rows x 4 features of different scales, x1 correlated with x0; ~1/3 positive."""
    i = np.arange(40)
    x0 = ((i * 7 + 3) % 17 - 8) / 4.0
    x1 = ((i * 11 + 5) % 13 - 6) / 2.0 + x0
    x2 = ((i * 5 + 1) % 11) * 10.0
    x3 = ((i * 3 + 2) % 7 - 3) / 8.0
    y = (((i * 7 + 3) % 17 + (i * 3) % 5) > 14).astype(int)
    return np.stack([x0, x1, x2, x3], axis=1), y


def test_fixture():
    """10 rows from other formulas over the same ranges."""
    t = np.arange(10)
    x0 = ((t * 5 + 2) % 17 - 8) / 4.0
    x1 = ((t * 3 + 1) % 13 - 6) / 2.0 - x0
    x2 = ((t * 7 + 4) % 11) * 10.0
    x3 = ((t * 2 + 5) % 7 - 3) / 8.0
    return np.stack([x0, x1, x2, x3], axis=1)


x, y = train_fixture()
xt = test_fixture()
print(f"/* scikit-learn {sklearn.__version__}: n={len(y)} positives={y.sum()} */")
cases = [("alpha1", dict(alpha=1.0)),
         ("alpha1_balanced", dict(alpha=1.0, class_weight="balanced")),
         ("alpha0", dict(alpha=0.0)),
         ("alpha25", dict(alpha=25.0))]
for name, kwargs in cases:
    margins = RidgeClassifier(**kwargs).fit(x, y).decision_function(xt)
    body = ", ".join(repr(float(m)) for m in margins)
    print(f"/* RidgeClassifier({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) */")
    print(f"static const double margins_{name}[10] = {{{body}}};")
