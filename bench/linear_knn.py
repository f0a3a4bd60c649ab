"""leadlab `ridge` and `knn` vs scikit-learn's RidgeClassifier and KNeighborsClassifier on the 5
folds of the lead data.

Protocol (both sides): the 15 raw features (products_purchased empty -> 0), z-scored with the
mean and std (ddof 0) of each fold's training rows, leadlab's own fold assignment (folds.csv),
no sampler, F1 of class 1 at threshold 0.5, mean over folds.

Timing, one run each, per model (speed ratio = sklearn s / leadlab s):
  leadlab s      wall time of `leadlab run bench/specs/linear_knn.yaml -j 2 --set models=[MODEL]`:
                 the whole command, from parsing train.csv to writing the reports, 5 cells two
                 at a time on the 2 cores;
  sklearn s      the same pipeline in scikit-learn: reading train.csv (pandas), then the 5-fold
                 loop (z-scoring, fit, predict) with its defaults (n_jobs=None for the
                 neighbours), BLAS limited to 2 threads;
  fit+predict s  the model alone, summed over the 5 folds, one thread: leadlab's fit_seconds +
                 predict_seconds from leaderboard.csv, scikit-learn's fit + predict calls.

    /usr/bin/python3 bench/linear_knn.py [--build build] [--plugins DIR] [--train CSV]
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "2")  # before numpy loads its BLAS: the 2 cores
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.linear_model import RidgeClassifier  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402

from common import (DEFAULT_TRAIN, ROOT, load_features, read_folds, run_leadlab,  # noqa: E402
                    text_table, zscore)

SPEC = os.path.join(ROOT, "bench", "specs", "linear_knn.yaml")

# leadlab model (as written in the spec) -> the scikit-learn estimator with the same parameters.
MODELS = [
    ("{ridge: {alpha: 1.0}}", lambda: RidgeClassifier(alpha=1.0)),
    ("{knn: {k: 5}}", lambda: KNeighborsClassifier(n_neighbors=5)),
]


def sklearn_cv(make_model, train_csv, fold):
    """Mean F1 over the folds, the wall time from reading the CSV to the last prediction, and
    the fit + predict time alone. RidgeClassifier has no predict_proba: its decision_function
    > 0 is the same cut as leadlab's logistic(margin) > 0.5."""
    t0 = time.perf_counter()
    x, y = load_features(train_csv)
    f1s, model_seconds = [], 0.0
    for f in range(fold.max() + 1):
        train, test = fold != f, fold == f
        x_train, x_test = zscore(x[train], x[test])
        t1 = time.perf_counter()
        model = make_model().fit(x_train, y[train])
        if hasattr(model, "predict_proba"):
            positive = model.predict_proba(x_test)[:, 1] > 0.5
        else:
            positive = model.decision_function(x_test) > 0
        model_seconds += time.perf_counter() - t1
        f1s.append(f1_score(y[test], positive.astype(int)))
    return float(np.mean(f1s)), time.perf_counter() - t0, model_seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--plugins", help="plugin folder searched first (LEADLAB_PLUGIN_PATH)")
    ap.add_argument("--train", default=DEFAULT_TRAIN)
    args = ap.parse_args()
    if args.plugins:
        os.environ["LEADLAB_PLUGIN_PATH"] = os.path.abspath(args.plugins)
    exe = os.path.join(args.build, "leadlab")
    _, y = load_features(args.train)

    rows = []
    for model_yaml, make_model in MODELS:
        with tempfile.TemporaryDirectory(prefix="leadlab-bench-linear-knn-") as out_dir:
            run = run_leadlab(exe, SPEC, out_dir, sets=[f"models=[{model_yaml}]"], threads=2)
            board = run.leaderboard()
            if run.returncode != 0 or board["failed"].sum():
                raise RuntimeError(f"leadlab cells failed: {board['error'].tolist()}")
            row = board.iloc[0]
            fold = read_folds(run.path("folds.csv"), y)
        sk_f1, sk_seconds, sk_model_seconds = sklearn_cv(make_model, args.train, fold)
        ll_model_seconds = row["fit_seconds"] + row["predict_seconds"]
        rows.append([row["config"], f"{row['f1_mean']:.4f}", f"{sk_f1:.4f}",
                     f"{run.wall_seconds:.3f}", f"{sk_seconds:.3f}",
                     f"{sk_seconds / run.wall_seconds:.1f}x",
                     f"{ll_model_seconds:.3f}", f"{sk_model_seconds:.3f}",
                     f"{sk_model_seconds / ll_model_seconds:.1f}x"])

    print(f"leadlab: {exe} run {os.path.relpath(SPEC, ROOT)} -j 2 --set models=[MODEL]"
          + (f"  (LEADLAB_PLUGIN_PATH={os.environ['LEADLAB_PLUGIN_PATH']})"
             if "LEADLAB_PLUGIN_PATH" in os.environ else ""))
    print(text_table(["model", "leadlab F1", "sklearn F1", "leadlab s", "sklearn s",
                      "speed ratio", "fit+predict: leadlab s", "sklearn s", "ratio"], rows))


if __name__ == "__main__":
    main()
