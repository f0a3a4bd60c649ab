"""leadlab `logreg` vs scikit-learn's LogisticRegression on the 5 folds of the lead data.

Protocol (both sides): the 15 raw features (products_purchased empty -> 0), z-scored with the
mean and std (ddof 0) of each fold's training rows, leadlab's own fold assignment (folds.csv of
`leadlab run bench/specs/logreg.yaml`), no sampler, F1 of class 1 at threshold 0.5, mean over
folds. Time = fit + predict summed over the 5 folds: leadlab's fit_seconds + predict_seconds
from leaderboard.csv (run with -j 1, one thread per fit), scikit-learn's timed around the calls
with BLAS limited to one thread. scikit-learn: LogisticRegression(C, class_weight,
solver="lbfgs", max_iter=1000), its default solver and tolerance.

    /usr/bin/python3 bench/logreg.py [--build build] [--plugins DIR]
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy loads its BLAS
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sklearn.linear_model import LogisticRegression  # noqa: E402

from common import (ROOT, bench_parser, leadlab_command, load_features,  # noqa: E402
                    parse_bench_args, run_on_folds, sklearn_cv, text_table)

SPEC = os.path.join(ROOT, "bench", "specs", "logreg.yaml")


def parse_config(label):
    """'logreg(C=1.0,class_weight=none)' -> {'C': 1.0, 'class_weight': None}"""
    params = dict(kv.split("=") for kv in label[label.index("(") + 1:-1].split(","))
    weight = params.get("class_weight", "none")
    return {"C": float(params.get("C", 1.0)), "class_weight": None if weight == "none" else weight}


def positive_at_half(model, x):
    """leadlab's cut as its runner applies it: P(class 1) >= 0.5."""
    return model.predict_proba(x)[:, 1] >= 0.5


def main():
    args = parse_bench_args(bench_parser(__doc__))
    exe = os.path.join(args.build, "leadlab")
    x, y = load_features(args.train)
    board, fold, _ = run_on_folds(exe, SPEC, y, threads=1)

    rows = []
    for _, row in board.sort_values("config").iterrows():
        ll_seconds = row["fit_seconds"] + row["predict_seconds"]
        params = parse_config(row["config"])
        sk_f1, _, sk_seconds = sklearn_cv(
            lambda: LogisticRegression(solver="lbfgs", max_iter=1000, **params), x, y, fold,
            positive=positive_at_half)
        rows.append([row["config"], f"{row['f1_mean']:.4f}", f"{sk_f1:.4f}",
                     f"{ll_seconds:.3f}", f"{sk_seconds:.3f}", f"{sk_seconds / ll_seconds:.1f}x"])
    print(leadlab_command(exe, SPEC, 1, sets=""))
    print(text_table(["model", "leadlab F1", "sklearn F1", "leadlab s", "sklearn s",
                      "speed-up"], rows))


if __name__ == "__main__":
    main()
