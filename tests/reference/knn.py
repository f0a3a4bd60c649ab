"""Reference probabilities for tests/test_knn.c: scikit-learn's KNeighborsClassifier on a small
fixture that the test rebuilds with the same integer formulas (every value is an exactly rounded
integer ratio, identical in C and numpy).

Run: /usr/bin/python3 tests/reference/knn.py
Prints, per case, predict_proba(...)[:, 1] on the fixture's test rows, as C initialisers, after
checking that no query has a tie at its k-th distance (where neighbour choice would be arbitrary).
"""
import numpy as np
import sklearn
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import KNeighborsClassifier

N_TRAIN, N_TEST = 60, 20
MOD = np.array([101, 103, 107])


def train_fixture():
    """60 rows x 3 columns in [0, 1); ~2/7 positive. Rows 3 and 59 are the same outlier (2, 2, 2)
    with different labels: far from every other query, so they never straddle a k-th distance."""
    i = np.arange(N_TRAIN)[:, None]
    x = ((i * np.array([37, 53, 71]) + np.array([11, 29, 5])) % MOD) / MOD
    y = (((i[:, 0] * i[:, 0] + 3 * i[:, 0]) % 7) < 2).astype(int)
    x[3] = x[59] = 2.0
    y[59] = 1 - y[3]
    return x, y


def test_fixture(x_train):
    """20 rows between the training grid points; rows 18 and 19 repeat training rows 3 and 10."""
    t = np.arange(N_TEST)[:, None]
    x = (2 * ((t * np.array([13, 17, 19]) + np.array([7, 2, 40])) % MOD) + 1) / (2 * MOD)
    x[18] = x_train[3]
    x[19] = x_train[10]
    return x


def check_no_boundary_tie(x, xt, k, metric):
    d = np.sort(pairwise_distances(xt, x, metric=metric), axis=1)
    gap = d[:, k] - d[:, k - 1]
    assert np.all(gap > 1e-9), f"tie at the k-th distance for k={k} {metric}"


x, y = train_fixture()
xt = test_fixture(x)
print(f"/* scikit-learn {sklearn.__version__}: n={len(y)} positives={y.sum()} */")
cases = [(5, "euclidean", "uniform"), (5, "manhattan", "uniform"),
         (7, "euclidean", "distance"), (3, "manhattan", "distance")]
for k, metric, weights in cases:
    check_no_boundary_tie(x, xt, k, metric)
    model = KNeighborsClassifier(n_neighbors=k, metric=metric, weights=weights).fit(x, y)
    proba = model.predict_proba(xt)[:, 1]
    body = ", ".join(repr(float(p)) for p in proba)
    print(f"/* KNeighborsClassifier(n_neighbors={k}, metric={metric!r}, weights={weights!r}) */")
    print(f"static const double proba_k{k}_{metric}_{weights}[{N_TEST}] = {{{body}}};")
