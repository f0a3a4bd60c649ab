"""leadlab `dnn` vs scikit-learn's MLPClassifier on the 5 folds of the lead data.

Protocol (both sides): the 15 raw features (products_purchased empty -> 0), z-scored with the
mean and std (ddof 0) of each fold's training rows, leadlab's own fold assignment (folds.csv),
no sampler, F1 of class 1 at threshold 0.5, mean over folds. The same network and schedule:
two hidden ReLU layers of 64, Adam (lr 1e-3, betas 0.9/0.999), mini-batches of 64, 30 epochs,
binary cross-entropy:
  dnn plain   {batchnorm: false, dropout: 0}
  dnn bn+drop {batchnorm: true, dropout: 0.1}   (batch norm after each ReLU, dropout before
                                                 the output layer; scikit-learn has neither)
  MLPClassifier(hidden_layer_sizes=(64, 64), solver="adam", learning_rate_init=1e-3,
                batch_size=64, max_iter=30, random_state=0), otherwise its defaults (among
                them alpha=1e-4, an L2 penalty leadlab's runs do not have, and tol-based
                stopping, which did not trigger within 30 epochs here).

Timing, one run each, everything on ONE thread:
  leadlab s  wall time of `leadlab run bench/specs/dnn.yaml -j 1 --set models=[MODEL]`
             (whole command: CSV parsing, folds, scaling, the 5 cells one after another);
  cells s    leadlab's fit_seconds + predict_seconds summed over the 5 cells;
  sklearn s  the 5-fold loop (z-scoring, fit, predict_proba), BLAS limited to one thread;
  ratio      sklearn s / leadlab s.

    /usr/bin/python3 bench/dnn.py [--build build] [--plugins DIR] [--train CSV]
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy loads its BLAS
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from common import (DEFAULT_TRAIN, ROOT, load_features, read_folds, run_leadlab,  # noqa: E402
                    text_table, zscore)

SPEC = os.path.join(ROOT, "bench", "specs", "dnn.yaml")
SCHEDULE = "hidden: [64, 64], lr: 0.001, batch_size: 64, epochs: 30"
MODELS = [  # leadlab model as written in the spec
    f"{{dnn: {{{SCHEDULE}, batchnorm: false, dropout: 0}}}}",
    f"{{dnn: {{{SCHEDULE}, batchnorm: true, dropout: 0.1}}}}",
]


def sklearn_cv(x, y, fold):
    """Mean F1 over the folds and the wall time of the whole loop."""
    f1s = []
    t0 = time.perf_counter()
    for f in range(fold.max() + 1):
        train, test = fold != f, fold == f
        x_train, x_test = zscore(x[train], x[test])
        model = MLPClassifier(hidden_layer_sizes=(64, 64), solver="adam",
                              learning_rate_init=1e-3, batch_size=64, max_iter=30,
                              random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # 30 epochs is the budget
            model.fit(x_train, y[train])
        positive = model.predict_proba(x_test)[:, 1] > 0.5
        f1s.append(f1_score(y[test], positive.astype(int)))
    return float(np.mean(f1s)), time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--plugins", help="plugin folder searched first (LEADLAB_PLUGIN_PATH)")
    ap.add_argument("--train", default=DEFAULT_TRAIN)
    args = ap.parse_args()
    if args.plugins:
        os.environ["LEADLAB_PLUGIN_PATH"] = os.path.abspath(args.plugins)
    exe = os.path.join(args.build, "leadlab")
    x, y = load_features(args.train)

    runs, fold = [], None
    for model_yaml in MODELS:
        with tempfile.TemporaryDirectory(prefix="leadlab-bench-dnn-") as out_dir:
            run = run_leadlab(exe, SPEC, out_dir, sets=[f"models=[{model_yaml}]"], threads=1)
            board = run.leaderboard()
            if run.returncode != 0 or board["failed"].sum():
                raise RuntimeError(f"leadlab cells failed: {board['error'].tolist()}")
            this_fold = read_folds(run.path("folds.csv"), y)
        if fold is not None and (fold != this_fold).any():
            raise RuntimeError("the two leadlab runs assigned different folds")
        fold = this_fold
        runs.append((board.iloc[0], run.wall_seconds))
    ref_f1, ref_seconds = sklearn_cv(x, y, fold)

    rows = []
    for row, wall in runs:
        cell_seconds = row["fit_seconds"] + row["predict_seconds"]
        rows.append([row["config"], f"{row['f1_mean']:.4f}", f"{ref_f1:.4f}", f"{wall:.3f}",
                     f"{cell_seconds:.3f}", f"{ref_seconds:.3f}", f"{ref_seconds / wall:.1f}x"])
    print(f"leadlab: {exe} run {os.path.relpath(SPEC, ROOT)} -j 1 --set models=[MODEL]"
          + (f"  (LEADLAB_PLUGIN_PATH={os.environ['LEADLAB_PLUGIN_PATH']})"
             if "LEADLAB_PLUGIN_PATH" in os.environ else ""))
    print("sklearn: MLPClassifier(hidden_layer_sizes=(64, 64), learning_rate_init=1e-3, "
          "batch_size=64, max_iter=30, random_state=0)")
    print(text_table(["model", "leadlab F1", "sklearn F1", "leadlab s", "cells s", "sklearn s",
                      "ratio"], rows))


if __name__ == "__main__":
    main()
