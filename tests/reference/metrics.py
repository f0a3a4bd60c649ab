"""Reference values for tests/test_metrics.c: scikit-learn's ranking metrics on fixtures with
tied scores, and scipy's Student t tail for the corrected resampled t-test.

Run: /usr/bin/python3 tests/reference/metrics.py
"""
import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

print(f"# scikit-learn {sklearn.__version__}, scipy {scipy.__version__}")

# --- ranking metrics: roc_auc_score(y, s) and average_precision_score(y, s) ---
hand_y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
hand_s = [0.9, 0.8, 0.5, 0.3, 0.7, 0.6, 0.4, 0.2, 0.1, 0.3, 0.05, 0.45]

ties_y = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0]
ties_s = [0.8, 0.8, 0.6, 0.6, 0.6, 0.4, 0.4, 0.4, 0.4, 0.2, 0.2, 0.9, 0.1, 0.1, 0.1, 0.6]

i = np.arange(1000)  # the test rebuilds this one with the same integer formulas
formula_s = ((i * 37) % 23) / 22.0
formula_y = (((i * 37) % 23 + (i * 7) % 11) > 20).astype(int)

for name, y, s in [("hand", hand_y, hand_s), ("ties", ties_y, ties_s),
                   ("formula", formula_y, formula_s)]:
    print(f"{name}: n={len(y)} positives={int(np.sum(y))} roc_auc={roc_auc_score(y, s):.17g} "
          f"average_precision={average_precision_score(y, s):.17g}")

# --- Student t: stats.t.sf(t, df) ---
for t, df in [(0.5, 3), (2.0, 9), (-1.3, 4), (5.0, 1), (10.0, 29), (0.01, 100), (3.0, 2.5),
              (40.0, 3), (2.5, 1000)]:
    print(f"t.sf({t}, {df}) = {stats.t.sf(t, df):.17g}")

# --- corrected resampled t-test (Nadeau & Bengio) on 5-fold x 2 repeats: n2/n1 = 1/4 ---
a = np.array([0.71, 0.68, 0.74, 0.70, 0.69, 0.72, 0.70, 0.73, 0.67, 0.71])
b = np.array([0.69, 0.67, 0.70, 0.71, 0.66, 0.70, 0.68, 0.70, 0.68, 0.69])
d = a - b
n = len(d)
t = d.mean() / np.sqrt((1.0 / n + 0.25) * d.var(ddof=1))
p = 2 * stats.t.sf(abs(t), n - 1)
print(f"corrected t-test: t={t:.17g} df={n - 1} p=2*t.sf(|t|, df)={p:.17g}")
