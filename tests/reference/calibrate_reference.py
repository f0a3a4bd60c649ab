"""Reference values for tests/test_calibrate.c: scikit-learn's isotonic and sigmoid (Platt)
calibration on five fixtures that the test rebuilds bit for bit (literal lists, or a 64-bit
integer LCG and only + - * / and floor, so no libm rounding can differ between the two sides).

Isotonic: IsotonicRegression(out_of_bounds="clip") fitted on (score, y), exactly the calibrator
CalibratedClassifierCV(method="isotonic") builds, then predict() at QUERIES.
Sigmoid: sklearn.calibration._sigmoid_calibration(score, y), the function
CalibratedClassifierCV(method="sigmoid") calls; its (a, b) are cross-checked here against
CalibratedClassifierCV(cv="prefit") around a wrapper whose predict_proba returns the scores.
Platt's optimum is also printed to ~1e-12 (Newton on the same objective with scipy), to show how
far fmin_bfgs's own tolerance leaves sklearn from it.

Run: /usr/bin/python3 tests/reference/calibrate_reference.py
"""
import math

import numpy as np
import scipy
import sklearn
from scipy.optimize import minimize
from scipy.special import expit, xlogy
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV, _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression

MASK = (1 << 64) - 1


class Lcg:
    """Knuth's MMIX LCG; a draw is the top 53 bits of the state as a double in [0, 1)."""

    def __init__(self, seed):
        self.state = seed & MASK

    def uniform(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & MASK
        return (self.state >> 11) * (1.0 / 9007199254740992.0)


def hand_fixture():
    """14 rows, unsorted, tied scores with mixed labels and several PAV violations."""
    s = [0.4, 0.1, 0.7, 0.2, 0.9, 0.35, 0.4, 0.2, 0.6, 0.3, 0.8, 0.7, 0.5, 0.4]
    y = [1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1]
    return s, y


def rare_fixture():
    """400 rows, ~5 % positives, scores rounded to 3 decimals (many ties), positives shifted up."""
    g = Lcg(20240611)
    s, y = [], []
    for _ in range(400):
        yi = 1 if g.uniform() < 0.05 else 0
        v, w = g.uniform(), g.uniform()
        raw = 0.15 * v + 0.15 * w + (0.1 if yi else 0.0)
        s.append(math.floor(raw * 1000.0 + 0.5) / 1000.0)
        y.append(yi)
    return s, y


def constant_fixture():
    """40 rows, every score 0.37, positives at i % 13 == 0."""
    return [0.37] * 40, [1 if i % 13 == 0 else 0 for i in range(40)]


def separable_fixture():
    """30 rows; every positive (i % 3 == 0) scores above every negative."""
    s, y = [], []
    for i in range(30):
        yi = 1 if i % 3 == 0 else 0
        s.append(0.6 + 0.01 * (i % 7) if yi else 0.05 + 0.02 * (i % 11))
        y.append(yi)
    return s, y


def near_ties_fixture():
    """Scores closer than 1e-15 to the first of their group are one point to sklearn's
    _make_unique (it compares x - first >= np.finfo(float64).resolution, absolute): here
    {0, 4e-16} and {1, 1 + 2 ulp}, while 2e-15 stays apart. Pooled, the fit is 1/4 up to 0.5
    and 1/2 from 1; treating near ties as distinct would give 1/2 already from 4e-16."""
    s = [0.0, 4e-16, 0.5, 1.0, 1.0 + 4.440892098500626e-16, 2e-15]
    y = [0, 1, 0, 1, 0, 0]
    return s, y


FIXTURES = [("hand", hand_fixture), ("rare", rare_fixture), ("constant", constant_fixture),
            ("separable", separable_fixture), ("near_ties", near_ties_fixture)]

# Outside the fitted range on both sides, on and between knots (the last ones on rare's sloped
# segments); the test builds them the same way.
QUERIES = ([-1.0] + [k / 40.0 for k in range(41)] +
           [0.37, 0.2875, 0.134, 0.1665, 0.2075, 0.2435, 0.2545, 0.276, 0.278, 0.293, 2.0])


class PrefitScores(ClassifierMixin, BaseEstimator):
    """A fitted 'classifier' whose P(y = 1) is its one feature: the given scores."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        s = np.asarray(X, dtype=np.float64)[:, 0]
        return np.column_stack([1.0 - s, s])


def platt_optimum(s, y):
    """The minimiser of _sigmoid_calibration's objective to ~1e-12 (trust-region Newton with the
    exact Hessian), for comparison only. When every score is the same c, the minimisers are the
    line a c + b = L (L the logit of the mean target) and the one given is the start's
    orthogonal projection onto it, where any gradient or Newton path from the start stays."""
    s, y = np.asarray(s, dtype=np.float64), np.asarray(y)
    n1 = float(np.sum(y > 0))
    n0 = len(y) - n1
    t = np.where(y > 0, (n1 + 1.0) / (n1 + 2.0), 1.0 / (n0 + 2.0))
    b0 = math.log((n0 + 1.0) / (n1 + 1.0))
    if np.all(s == s[0]):
        c, tbar = s[0], t.mean()
        step = (math.log((1.0 - tbar) / tbar) - b0) / (1.0 + c * c)
        return np.array([c * step, b0 + step])

    def f(ab):
        p = expit(-(ab[0] * s + ab[1]))
        return -(xlogy(t, p) + xlogy(1.0 - t, 1.0 - p)).sum()

    def g(ab):
        d = t - expit(-(ab[0] * s + ab[1]))
        return np.array([np.dot(d, s), d.sum()])

    def h(ab):
        p = expit(-(ab[0] * s + ab[1]))
        w = p * (1.0 - p)
        return np.array([[np.dot(w, s * s), np.dot(w, s)], [np.dot(w, s), w.sum()]])

    ab0 = np.array([0.0, b0])
    r = minimize(f, ab0, jac=g, hess=h, method="trust-exact", options={"gtol": 1e-12})
    return r.x


def main():
    print(f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}, scipy {scipy.__version__}")
    print("# queries = [" + ", ".join(repr(q) for q in QUERIES) + "]")
    for name, make in FIXTURES:
        s, y = make()
        s_arr, y_arr = np.array(s, dtype=np.float64), np.array(y)
        print(f"\n{name}: n={len(y)} positives={int(y_arr.sum())}")
        if name == "rare":  # for eyeballing: the C test rebuilds these, never reads them
            print("  first scores: " + ", ".join(repr(v) for v in s[:8]))
            print("  positive rows: " + ", ".join(str(i) for i in range(len(y)) if y[i]))

        iso = IsotonicRegression(out_of_bounds="clip").fit(s_arr, y_arr)
        pred = iso.predict(np.array(QUERIES))
        cal = CalibratedClassifierCV(PrefitScores().fit(None, None), method="isotonic",
                                     cv="prefit").fit(s_arr.reshape(-1, 1), y_arr)
        via_cv = cal.predict_proba(np.array(QUERIES).reshape(-1, 1))[:, 1]
        assert np.array_equal(pred, via_cv), (pred, via_cv)
        print(f"  isotonic knots: {len(iso.X_thresholds_)}")
        print("  isotonic x: " + ", ".join("%.17g" % v for v in iso.X_thresholds_))
        print("  isotonic y: " + ", ".join("%.17g" % v for v in iso.y_thresholds_))
        print("  isotonic at queries: {" + ", ".join("%.17g" % v for v in pred) + "}")

        a, b = _sigmoid_calibration(s_arr, y_arr)
        cal = CalibratedClassifierCV(PrefitScores().fit(None, None), method="sigmoid",
                                     cv="prefit").fit(s_arr.reshape(-1, 1), y_arr)
        c = cal.calibrated_classifiers_[0].calibrators[0]
        assert (c.a_, c.b_) == (a, b), ((c.a_, c.b_), (a, b))
        print("  sigmoid (sklearn): a = %.17g, b = %.17g" % (a, b))
        opt = platt_optimum(s, y)
        print("  sigmoid (optimum): a = %.17g, b = %.17g" % (opt[0], opt[1]))


if __name__ == "__main__":
    main()
