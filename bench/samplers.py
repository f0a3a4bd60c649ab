"""leadlab samplers vs imbalanced-learn on the 5 training folds of the lead data.

    /usr/bin/python3 bench/samplers.py [--build build] [--train ../shared/data/train.csv]
                                       [--repeat N]

Both sides get the same rows: leadlab's own folds (folds.csv of `leadlab run
bench/specs/samplers.yaml`), the 15 raw features (products_purchased empty -> 0) z-scored with
the mean and std (ddof 0) of each fold's training rows. leadlab's sampler runs in-process in
BUILD/bench/sampler_bench (one resample call per fold, wall clock around the call);
imbalanced-learn's fit_resample is timed the same way. Seconds are summed over the 5 folds.

F1 columns (class 1, threshold 0.5, on the untouched test fold):
  run F1       leadlab end to end: its logreg plugin (C=1) after the sampler, from the spec run;
  leadlab F1   scikit-learn LogisticRegression(max_iter=1000) fitted on leadlab's resampled rows;
  imblearn F1  the same model fitted on imbalanced-learn's resampled rows.
The last two hold the model fixed, so they compare the samplers alone.

--repeat N times every resample N times on both sides and keeps the fastest (default 1: one
run each; an imbalanced-learn run over 2 s is not repeated): on a shared machine the fastest
run is the least disturbed one.
"""
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.under_sampling import NearMiss, RandomUnderSampler
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from common import (ROOT, bench_parser, load_features, parse_bench_args, read_folds,
                    run_leadlab, text_table, zscore)

SPEC = os.path.join(ROOT, "bench", "specs", "samplers.yaml")

# (leadlab sampler, its params, its name in leaderboard.csv, imbalanced-learn equivalent)
CONFIGS = [
    ("smote", "{k: 5}", "smote(k=5)", lambda: SMOTE(k_neighbors=5, random_state=0)),
    ("undersample", "{method: random}", "undersample(method=random)",
     lambda: RandomUnderSampler(random_state=0)),
    ("undersample", "{method: nearmiss1}", "undersample(method=nearmiss1)",
     lambda: NearMiss(version=1)),
    ("undersample", "{method: nearmiss2}", "undersample(method=nearmiss2)",
     lambda: NearMiss(version=2)),
    ("undersample", "{method: nearmiss3}", "undersample(method=nearmiss3)",
     lambda: NearMiss(version=3)),
]


def f1_after(x, y, x_test, y_test):
    model = LogisticRegression(max_iter=1000).fit(x, y)
    return f1_score(y_test, (model.predict_proba(x_test)[:, 1] >= 0.5).astype(int))


def leadlab_resample(build, train_csv, folds_csv, sampler, params, repeat, dump_dir):
    """Seconds per fold from sampler_bench; each fold's output lands in dump_dir."""
    exe = os.path.join(build, "bench", "sampler_bench")
    cmd = [exe, "--train", train_csv, "--folds", folds_csv, "--sampler", sampler,
           "--params", params, "--repeat", str(repeat), "--dump", dump_dir]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return {int(r[0]): float(r[4]) for r in (line.split(",") for line in out.split()[1:])}


def imblearn_resample(make, x, y, repeat):
    """(x, y, fastest seconds) of `repeat` fit_resample calls."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        x_res, y_res = make().fit_resample(x, y)
        best = min(best, time.perf_counter() - t0)
        if best > 2.0:
            break
    return x_res, y_res, best


def main():
    ap = bench_parser(__doc__, plugins=False)  # sampler_bench loads its build's plugins
    ap.add_argument("--repeat", type=int, default=1)
    args = parse_bench_args(ap)
    train_csv = os.path.abspath(args.train)
    x, y = load_features(train_csv)
    work = tempfile.mkdtemp(prefix="leadlab-bench-samplers-")

    run = run_leadlab(os.path.join(args.build, "leadlab"), SPEC, os.path.join(work, "run"),
                      sets=[f"data.train={train_csv}"])
    board = run.leaderboard()
    run_f1 = dict(zip(board["sampler"], board["f1_mean"]))
    folds_csv = run.path("folds.csv")
    fold = read_folds(folds_csv, y)

    rows = []
    for sampler, params, label, make_imblearn in CONFIGS:
        dump = os.path.join(work, label)
        os.makedirs(dump)
        ll_seconds = leadlab_resample(args.build, train_csv, folds_csv, sampler, params,
                                      args.repeat, dump)
        ll_f1, ib_f1, ib_seconds = [], [], 0.0
        for f in range(fold.max() + 1):
            x_train, x_test = zscore(x[fold != f], x[fold == f])
            y_train, y_test = y[fold != f], y[fold == f]
            ll_x = np.fromfile(os.path.join(dump, f"fold{f}.x.f64")).reshape(-1, x.shape[1])
            ll_y = np.fromfile(os.path.join(dump, f"fold{f}.y.u8"), dtype=np.uint8)
            if sampler == "smote":  # original rows come first: proof both sides got the same
                assert np.allclose(ll_x[: len(y_train)], x_train, atol=1e-9)
            ll_f1.append(f1_after(ll_x, ll_y, x_test, y_test))
            ib_x, ib_y, seconds = imblearn_resample(make_imblearn, x_train, y_train,
                                                    args.repeat)
            ib_seconds += seconds
            ib_f1.append(f1_after(ib_x, ib_y, x_test, y_test))
        ll_total = sum(ll_seconds.values())
        rows.append([label, f"{run_f1.get(label, float('nan')):.4f}", f"{np.mean(ll_f1):.4f}",
                     f"{np.mean(ib_f1):.4f}", f"{ll_total:.4f}", f"{ib_seconds:.4f}",
                     f"{ib_seconds / ll_total:.1f}x"])
    shutil.rmtree(work)

    print(f"folds: leadlab's ({SPEC}); seconds: sum over the folds, best of {args.repeat}")
    print(text_table(["sampler", "run F1", "leadlab F1", "imblearn F1", "leadlab s",
                      "imblearn s", "speed-up"], rows))


if __name__ == "__main__":
    main()
