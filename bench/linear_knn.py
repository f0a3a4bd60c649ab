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

import time  # noqa: E402

from sklearn.linear_model import RidgeClassifier  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402

from common import (ROOT, bench_parser, leadlab_command, load_features,  # noqa: E402
                    parse_bench_args, run_on_folds, sklearn_cv, text_table)

SPEC = os.path.join(ROOT, "bench", "specs", "linear_knn.yaml")

# leadlab model (as written in the spec) -> the scikit-learn estimator with the same parameters.
MODELS = [
    ("{ridge: {alpha: 1.0}}", lambda: RidgeClassifier(alpha=1.0)),
    ("{knn: {k: 5}}", lambda: KNeighborsClassifier(n_neighbors=5)),
]


def main():
    args = parse_bench_args(bench_parser(__doc__))
    exe = os.path.join(args.build, "leadlab")
    # scikit-learn's pipeline starts at reading the CSV: its time counts in every model's row.
    t0 = time.perf_counter()
    x, y = load_features(args.train)
    load_seconds = time.perf_counter() - t0

    rows = []
    for model_yaml, make_model in MODELS:
        board, fold, wall = run_on_folds(exe, SPEC, y, threads=2,
                                         sets=[f"models=[{model_yaml}]"])
        row = board.iloc[0]
        # RidgeClassifier has no predict_proba: decision_function > 0 is the same cut as
        # leadlab's logistic(margin) > 0.5.
        sk_f1, sk_loop, sk_model_seconds = sklearn_cv(make_model, x, y, fold)
        sk_seconds = load_seconds + sk_loop
        ll_model_seconds = row["fit_seconds"] + row["predict_seconds"]
        rows.append([row["config"], f"{row['f1_mean']:.4f}", f"{sk_f1:.4f}",
                     f"{wall:.3f}", f"{sk_seconds:.3f}", f"{sk_seconds / wall:.1f}x",
                     f"{ll_model_seconds:.3f}", f"{sk_model_seconds:.3f}",
                     f"{sk_model_seconds / ll_model_seconds:.1f}x"])

    print(leadlab_command(exe, SPEC, 2))
    print(text_table(["model", "leadlab F1", "sklearn F1", "leadlab s", "sklearn s",
                      "speed ratio", "fit+predict: leadlab s", "sklearn s", "ratio"], rows))


if __name__ == "__main__":
    main()
