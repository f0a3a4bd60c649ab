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

import argparse  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "bench", "specs", "logreg.yaml")
TRAIN = os.path.join(ROOT, "..", "shared", "data", "train.csv")
DROP = ["id", "created_at", "signup_date", "buy"]


def load_features(train_csv):
    df = pd.read_csv(train_csv)
    y = df["buy"].to_numpy().astype(int)
    x = df.drop(columns=DROP).fillna({"products_purchased": 0}).to_numpy(dtype=float)
    return x, y


def run_leadlab(build, plugins, out_dir):
    cmd = [os.path.join(build, "leadlab"), "run", SPEC, "-j", "1", "--set",
           f"output.dir={out_dir}"]
    env = dict(os.environ)
    if plugins:
        env["LEADLAB_PLUGIN_PATH"] = plugins
    subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return " ".join(cmd)


def read_folds(path, n_rows):
    df = pd.read_csv(path)
    df = df[df["repeat"] == 0]
    fold = np.full(n_rows, -1)
    fold[df["row"].to_numpy()] = df["fold"].to_numpy()
    assert (fold >= 0).all(), "folds.csv does not cover every row"
    return fold


def zscore(train, test):
    mean = train.mean(axis=0)
    sd = train.std(axis=0)  # ddof 0
    sd[sd == 0] = 1.0
    return (train - mean) / sd, (test - mean) / sd


def parse_config(label):
    """'logreg(C=1.0,class_weight=none)' -> {'C': 1.0, 'class_weight': None}"""
    params = dict(kv.split("=") for kv in label[label.index("(") + 1:-1].split(","))
    weight = params.get("class_weight", "none")
    return {"C": float(params.get("C", 1.0)), "class_weight": None if weight == "none" else weight}


def sklearn_cv(x, y, fold, params):
    f1s, seconds = [], 0.0
    for f in range(fold.max() + 1):
        x_train, x_test = zscore(x[fold != f], x[fold == f])
        t0 = time.perf_counter()
        model = LogisticRegression(solver="lbfgs", max_iter=1000, **params).fit(
            x_train, y[fold != f])
        proba = model.predict_proba(x_test)[:, 1]
        seconds += time.perf_counter() - t0
        f1s.append(f1_score(y[fold == f], (proba >= 0.5).astype(int)))
    return np.mean(f1s), seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--plugins", help="plugin folder searched first (LEADLAB_PLUGIN_PATH)")
    ap.add_argument("--train", default=TRAIN)
    args = ap.parse_args()

    out_dir = tempfile.mkdtemp(prefix="leadlab-bench-logreg-")
    command = run_leadlab(args.build, args.plugins, out_dir)
    board = pd.read_csv(os.path.join(out_dir, "leaderboard.csv"))
    x, y = load_features(args.train)
    fold = read_folds(os.path.join(out_dir, "folds.csv"), len(y))

    print(f"leadlab: {command}")
    print(f"{'model':<38} {'leadlab F1':>10} {'sklearn F1':>10} {'leadlab s':>9} "
          f"{'sklearn s':>9} {'speed-up':>8}")
    for _, row in board.sort_values("config").iterrows():
        ll_seconds = row["fit_seconds"] + row["predict_seconds"]
        sk_f1, sk_seconds = sklearn_cv(x, y, fold, parse_config(row["config"]))
        print(f"{row['config']:<38} {row['f1_mean']:>10.4f} {sk_f1:>10.4f} {ll_seconds:>9.3f} "
              f"{sk_seconds:>9.3f} {sk_seconds / ll_seconds:>7.1f}x")


if __name__ == "__main__":
    main()
