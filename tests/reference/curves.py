"""Reference values for tests/test_report.c: scikit-learn's precision_recall_curve and
roc_curve (drop_intermediate=False) on the tied-score fixture of tests/reference/metrics.py,
and scipy's Welch t-test (ttest_ind, equal_var=False).

Run: /usr/bin/python3 tests/reference/curves.py
"""
import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.metrics import (average_precision_score, precision_recall_curve, roc_auc_score,
                             roc_curve)

print(f"# scikit-learn {sklearn.__version__}, scipy {scipy.__version__}")

ties_y = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0]
ties_s = [0.8, 0.8, 0.6, 0.6, 0.6, 0.4, 0.4, 0.4, 0.4, 0.2, 0.2, 0.9, 0.1, 0.1, 0.1, 0.6]

# precision_recall_curve lists cuts from the lowest up and appends (recall 0, precision 1);
# leadlab lists them from the highest down without that end point.
p, r, t = precision_recall_curve(ties_y, ties_s)
print("pr thresholds (high to low):", list(t[::-1]))
print("precision:", [float(f"{v:.17g}") for v in p[:-1][::-1]])
print("recall:", [float(f"{v:.17g}") for v in r[:-1][::-1]])
fpr, tpr, rt = roc_curve(ties_y, ties_s, drop_intermediate=False)
print("roc thresholds (after the inf start):", list(rt[1:]))
print("fpr:", [float(f"{v:.17g}") for v in fpr[1:]])
print("tpr:", [float(f"{v:.17g}") for v in tpr[1:]])
print(f"average_precision={average_precision_score(ties_y, ties_s):.17g} "
      f"roc_auc={roc_auc_score(ties_y, ties_s):.17g}")

a = [0.61, 0.64, 0.58, 0.66, 0.60]
b = [0.55, 0.57, 0.62, 0.50, 0.54, 0.53, 0.59]
res = stats.ttest_ind(a, b, equal_var=False)
print(f"welch a={a} b={b}: t={res.statistic:.17g} p={res.pvalue:.17g}")
