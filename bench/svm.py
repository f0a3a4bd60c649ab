"""leadlab `svm` vs scikit-learn's SVC / LinearSVC on the 5 folds of the lead data.

Protocol (both sides): the 15 raw features (products_purchased empty -> 0), z-scored with the
mean and std (ddof 0) of each fold's training rows, leadlab's own fold assignment (folds.csv),
no sampler, F1 of class 1 at threshold 0.5 (scikit-learn: predict, i.e. margin > 0), mean over
folds.

Times, one run each:
  leadlab s  wall time of `leadlab run bench/specs/svm.yaml -j 2 --set models=[MODEL]`, the
             whole command (CSV load included); the runner gives each of the 5 cells one thread.
  sklearn s  fit + predict summed over the 5 folds, one after the other (libsvm and liblinear
             are single-threaded), BLAS limited to one thread.
  per core   leadlab's fit_seconds + predict_seconds (leaderboard.csv) next to sklearn's.

scikit-learn calls: SVC(kernel="rbf", C=1.0, gamma="scale") (defaults: tol=1e-3,
cache_size=200, shrinking=True) and LinearSVC(C=1.0, loss="squared_hinge", dual=True,
tol=1e-3, max_iter=1000) (tol set to leadlab's default; scikit-learn's is 1e-4).

    /usr/bin/python3 bench/svm.py [--build build] [--plugins DIR] [--train CSV]
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy loads its BLAS
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.svm import SVC, LinearSVC  # noqa: E402

from common import (DEFAULT_TRAIN, ROOT, load_features, read_folds, run_leadlab,  # noqa: E402
                    text_table, zscore)

SPEC = os.path.join(ROOT, "bench", "specs", "svm.yaml")

# (label, leadlab model as a YAML flow list item, scikit-learn estimator factory)
MODELS = [
    ("svm rbf C=1 gamma=scale (platt)", "{svm: {kernel: rbf, C: 1.0, gamma: scale}}",
     lambda: SVC(kernel="rbf", C=1.0, gamma="scale")),
    ("svm rbf C=1 gamma=scale (sigmoid)",
     "{svm: {kernel: rbf, C: 1.0, gamma: scale, probability: sigmoid}}",
     lambda: SVC(kernel="rbf", C=1.0, gamma="scale")),
    ("svm linear C=1", "{svm: {kernel: linear, C: 1.0}}",
     lambda: LinearSVC(C=1.0, loss="squared_hinge", dual=True, tol=1e-3, max_iter=1000)),
]


def sklearn_cv(make, x, y, fold):
    """Mean F1 over the folds and the summed fit + predict seconds."""
    f1s, seconds = [], 0.0
    for f in range(fold.max() + 1):
        x_train, x_test = zscore(x[fold != f], x[fold == f])
        t0 = time.perf_counter()
        pred = make().fit(x_train, y[fold != f]).predict(x_test)
        seconds += time.perf_counter() - t0
        f1s.append(f1_score(y[fold == f], pred))
    return float(np.mean(f1s)), seconds


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
    rows, sklearn_cache = [], {}
    for label, model, make in MODELS:
        out_dir = tempfile.mkdtemp(prefix="leadlab-bench-svm-")
        run = run_leadlab(exe, SPEC, out_dir, sets=[f"models=[{model}]"], threads=2)
        if run.returncode != 0:
            raise RuntimeError(f"{label}: some cells failed: {run.stderr.strip()}")
        board = run.leaderboard().iloc[0]
        fold = read_folds(run.path("folds.csv"), y)
        key = repr(make())
        if key not in sklearn_cache:  # the platt and sigmoid rows share one SVC
            sklearn_cache[key] = sklearn_cv(make, x, y, fold)
        sk_f1, sk_seconds = sklearn_cache[key]
        per_core = board["fit_seconds"] + board["predict_seconds"]
        rows.append([label, f"{board['f1_mean']:.4f}", f"{sk_f1:.4f}",
                     f"{run.wall_seconds:.2f}", f"{sk_seconds:.2f}",
                     f"{sk_seconds / run.wall_seconds:.1f}x", f"{per_core:.2f}",
                     f"{sk_seconds / per_core:.1f}x"])
    print(f"leadlab: {exe} run {SPEC} -j 2 --set models=[MODEL]; data {args.train}")
    print(text_table(["model", "leadlab F1", "sklearn F1", "leadlab s", "sklearn s", "speed",
                      "leadlab per core s", "per-core speed"], rows))


if __name__ == "__main__":
    main()
