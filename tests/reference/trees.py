"""Cross-checks of the hand computations in tests/test_tree.c and tests/test_sgb.c with
scikit-learn, which grows the same CART splits and the same Friedman/Newton leaves.

Run: /usr/bin/python3 tests/reference/trees.py
Prints each value next to the one the C tests assert (they compute theirs by hand in comments
or in code, independently of both scikit-learn and the builder).
"""
import math

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.tree import DecisionTreeClassifier

# test_tree.c's hand table: x0 = 1..8, x1 alternates 2, 1; y = 0 0 1 0 0 1 1 1
X = np.array([[1, 2], [2, 1], [3, 2], [4, 1], [5, 2], [6, 1], [7, 2], [8, 1]], dtype=float)
Y = np.array([0, 0, 1, 0, 0, 1, 1, 1])


def root_split(**kwargs):
    """Root feature, threshold and impurity decrease in weight units (N * sklearn's
    weighted decrease), the unit of tree.gain for the Gini criterion."""
    t = DecisionTreeClassifier(criterion="gini", random_state=0, **kwargs).fit(X, Y).tree_
    left, right = t.children_left[0], t.children_right[0]
    n = t.weighted_n_node_samples
    gain = n[0] * t.impurity[0] - n[left] * t.impurity[left] - n[right] * t.impurity[right]
    return t.feature[0], t.threshold[0], gain


def stump(x, y, **kwargs):
    """P(y=1) of a one-stump GradientBoostingClassifier at x = 0 and x = 1."""
    m = GradientBoostingClassifier(n_estimators=1, max_depth=1, **kwargs).fit(x, y)
    return m.predict_proba(np.array([[0.0], [1.0]]))[:, 1]


def main():
    print("gini_split_by_hand            (feature 0, 5.5, 2.4):", root_split())
    print("gini_min_samples_leaf_by_hand (feature 0, 4.5, 1.0):", root_split(min_samples_leaf=4))

    # test_sgb.c one_stump_is_the_newton_step, case 1 (l2 = 0, spw = 1: scikit-learn's step)
    x = np.array([[0.0]] * 10 + [[1.0]] * 10)
    y = np.array([1, 1] + [0] * 8 + [1] * 7 + [0] * 3)
    f0 = math.log(9 / 11)
    p0 = 9 / 20
    left = -(10 * p0 - 2) / (10 * p0 * (1 - p0))
    right = -(10 * p0 - 7) / (10 * p0 * (1 - p0))
    by_hand = [1 / (1 + math.exp(-(f0 + 0.5 * v))) for v in (left, right)]
    print("one_stump_is_the_newton_step lr 0.5, by hand:", by_hand)
    print("  GradientBoostingClassifier(n_estimators=1, max_depth=1, learning_rate=0.5):",
          list(stump(x, y, learning_rate=0.5)))


if __name__ == "__main__":
    main()
