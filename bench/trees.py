"""leadlab `bagging` and `sgb` vs scikit-learn's BaggingClassifier and
GradientBoostingClassifier (and XGBoost's hist booster when python3-xgboost is installed) on the
5 folds of the lead data.

Protocol (all sides): the 15 raw features (products_purchased empty -> 0), z-scored with the
mean and std (ddof 0) of each fold's training rows, leadlab's own fold assignment (folds.csv),
no sampler, F1 of class 1 at threshold 0.5, mean over folds. The same parameters on each side:
  bagging {n_estimators: 100}            BaggingClassifier(DecisionTreeClassifier(), 100)
  sgb depth 3 (200 trees, lr 0.1, subsample 0.5)
                                         GradientBoostingClassifier(200, 0.1, depth 3, 0.5)
  sgb depth 6 (200 trees, lr 0.1, subsample 0.5, l2 1 = XGBoost's default lambda)
                                         XGBClassifier(hist, 200, 0.1, depth 6, 0.5, 1 thread)

Timing, one run each, everything on ONE thread:
  leadlab s  wall time of `leadlab run bench/specs/trees.yaml -j 1 --set models=[MODEL]`
             (whole command: CSV parsing, folds, scaling, the 5 cells one after another);
  cells s    leadlab's fit_seconds + predict_seconds summed over the 5 cells;
  other s    the 5-fold loop (z-scoring, fit, predict_proba) of the reference library;
  ratio      other s / leadlab s.

    /usr/bin/python3 bench/trees.py [--build build] [--plugins DIR] [--train CSV]
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy / xgboost load: one thread each
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sklearn.ensemble import BaggingClassifier, GradientBoostingClassifier  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from common import (ROOT, bench_parser, leadlab_command, load_features,  # noqa: E402
                    parse_bench_args, run_on_folds, sklearn_cv, text_table)

try:
    from xgboost import XGBClassifier
except ImportError:  # Debian's python3-xgboost; the brief quotes F1 0.679 in 1.8 s for it
    XGBClassifier = None

SPEC = os.path.join(ROOT, "bench", "specs", "trees.yaml")

# leadlab model (as written in the spec) -> (reference name, estimator with the same parameters)
MODELS = [
    ("{bagging: {n_estimators: 100}}", "sklearn Bagging(DecisionTree)",
     lambda: BaggingClassifier(DecisionTreeClassifier(), n_estimators=100, random_state=0)),
    ("{sgb: {n_estimators: 200, learning_rate: 0.1, max_depth: 3, subsample: 0.5}}",
     "sklearn GradientBoosting",
     lambda: GradientBoostingClassifier(n_estimators=200, learning_rate=0.1, max_depth=3,
                                        subsample=0.5, random_state=0)),
    ("{sgb: {n_estimators: 200, learning_rate: 0.1, max_depth: 6, subsample: 0.5, l2: 1}}",
     "XGBoost hist",
     None if XGBClassifier is None else
     lambda: XGBClassifier(tree_method="hist", n_estimators=200, learning_rate=0.1, max_depth=6,
                           subsample=0.5, n_jobs=1, random_state=0)),
]


def main():
    args = parse_bench_args(bench_parser(__doc__))
    exe = os.path.join(args.build, "leadlab")
    x, y = load_features(args.train)

    rows = []
    for model_yaml, ref_name, make_model in MODELS:
        board, fold, wall = run_on_folds(exe, SPEC, y, threads=1,
                                         sets=[f"models=[{model_yaml}]"])
        row = board.iloc[0]
        cell_seconds = row["fit_seconds"] + row["predict_seconds"]
        if make_model is None:
            ref_f1, ref_s, ratio = "n/a", "n/a", "n/a"
            ref_name += " (not installed: brief quotes F1 0.679, 1.8 s)"
        else:
            f1, seconds, _ = sklearn_cv(make_model, x, y, fold)
            ref_f1, ref_s = f"{f1:.4f}", f"{seconds:.3f}"
            ratio = f"{seconds / wall:.1f}x"
        rows.append([row["config"], f"{row['f1_mean']:.4f}", ref_name, ref_f1,
                     f"{wall:.3f}", f"{cell_seconds:.3f}", ref_s, ratio])

    print(leadlab_command(exe, SPEC, 1))
    print(text_table(["model", "leadlab F1", "reference", "ref F1", "leadlab s", "cells s",
                      "other s", "ratio"], rows, right={1, 3, 4, 5, 6, 7}))


if __name__ == "__main__":
    main()
