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

from sklearn.svm import SVC, LinearSVC  # noqa: E402

from common import (ROOT, bench_parser, leadlab_command, load_features,  # noqa: E402
                    parse_bench_args, run_on_folds, sklearn_cv, text_table)

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


def predicted_positive(model, x):
    """scikit-learn's own cut: predict, i.e. margin > 0."""
    return model.predict(x) == 1


def main():
    args = parse_bench_args(bench_parser(__doc__))
    exe = os.path.join(args.build, "leadlab")
    x, y = load_features(args.train)
    rows, sklearn_cache = [], {}
    for label, model, make in MODELS:
        board, fold, wall = run_on_folds(exe, SPEC, y, threads=2, sets=[f"models=[{model}]"])
        row = board.iloc[0]
        key = repr(make())
        if key not in sklearn_cache:  # the platt and sigmoid rows share one SVC
            f1, _, seconds = sklearn_cv(make, x, y, fold, positive=predicted_positive)
            sklearn_cache[key] = f1, seconds
        sk_f1, sk_seconds = sklearn_cache[key]
        per_core = row["fit_seconds"] + row["predict_seconds"]
        rows.append([label, f"{row['f1_mean']:.4f}", f"{sk_f1:.4f}",
                     f"{wall:.2f}", f"{sk_seconds:.2f}",
                     f"{sk_seconds / wall:.1f}x", f"{per_core:.2f}",
                     f"{sk_seconds / per_core:.1f}x"])
    print(leadlab_command(exe, SPEC, 2) + f"; data {args.train}")
    print(text_table(["model", "leadlab F1", "sklearn F1", "leadlab s", "sklearn s", "speed",
                      "leadlab per core s", "per-core speed"], rows))


if __name__ == "__main__":
    main()
