"""Helpers shared by the bench/*.py scripts: their common options, the lead data as leadlab
reads it, leadlab's fold assignment, per-fold z-scoring, running `leadlab run` and reading what
it writes, scikit-learn's side of a comparison on the same folds, and tables.

Import from a script in bench/ with `from common import ...` (Python puts the script's own
folder first on sys.path). Run everything with /usr/bin/python3 (scikit-learn, imbalanced-learn).
"""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TRAIN = os.path.join(ROOT, "..", "shared", "data", "train.csv")
TARGET = "buy"
# The protocol's 15 raw features, in train.csv's column order (leadlab keeps that order, which
# matters for tie-breaks in trees and neighbour searches).
FEATURES = (["campaign_var_1", "campaign_var_2", "products_purchased"]
            + [f"user_activity_var_{i}" for i in range(1, 13)])


def bench_parser(doc, plugins=True):
    """The options every comparison script takes: --build (leadlab's build folder), --train and,
    with `plugins`, --plugins. The description is the first line of `doc`; a script adds its own
    options to the returned parser, then calls parse_bench_args."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    if plugins:
        ap.add_argument("--plugins", help="plugin folder searched first (LEADLAB_PLUGIN_PATH)")
    ap.add_argument("--train", default=DEFAULT_TRAIN)
    return ap


def parse_bench_args(ap):
    """Parses the command line; --plugins is exported as LEADLAB_PLUGIN_PATH, so every leadlab
    run of the script searches it first."""
    args = ap.parse_args()
    if getattr(args, "plugins", None):
        os.environ["LEADLAB_PLUGIN_PATH"] = os.path.abspath(args.plugins)
    return args


def load_features(train_csv):
    """(x float64 rows x 15, y uint8) from train.csv: products_purchased empty read as 0."""
    df = pd.read_csv(train_csv)
    x = df[FEATURES].fillna({"products_purchased": 0}).to_numpy(dtype=np.float64)
    if np.isnan(x).any():
        raise ValueError(f"{train_csv}: a feature other than products_purchased is empty")
    return x, df[TARGET].to_numpy().astype(np.uint8)


def read_folds(folds_csv, y, repeat=0):
    """Test-fold index of every data row in one repeat, from leadlab's folds.csv
    (row,id,y,repeat,fold; row = 0-based data row). Same folds = the same rows in each test
    fold; the labels are checked against `y` so a different train.csv cannot slip through."""
    df = pd.read_csv(folds_csv)
    df = df[df["repeat"] == repeat]
    fold = np.full(len(y), -1)
    fold[df["row"].to_numpy()] = df["fold"].to_numpy()
    if (fold < 0).any() or len(df) != len(y):
        raise ValueError(f"{folds_csv}: repeat {repeat} does not assign each of {len(y)} rows once")
    if (df["y"].to_numpy() != y[df["row"].to_numpy()]).any():
        raise ValueError(f"{folds_csv}: labels differ from the data's; not the same train.csv")
    return fold


def zscore(x_train, x_test):
    """Scale both with the training rows' mean and std (ddof 0; constant columns left at scale
    1), as leadlab's `preprocess: {scale: zscore}` does inside each fold."""
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test)


def read_report_csv(path, text_columns):
    """A leadlab CSV report; numbers leadlab left empty (failed cells, undefined metrics) are
    NaN, text columns stay strings (a sampler called `none` is not a missing value)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in df.columns.difference(list(text_columns)):
        df[col] = pd.to_numeric(df[col].replace("", np.nan))
    return df


class LeadlabRun:
    """One finished `leadlab run`: its output folder, exit code and whole-command wall time."""

    def __init__(self, out_dir, returncode, wall_seconds, stdout, stderr):
        self.out_dir = out_dir
        self.returncode = returncode
        self.wall_seconds = wall_seconds
        self.stdout = stdout
        self.stderr = stderr

    def path(self, name):
        return os.path.join(self.out_dir, name)

    def cells(self):
        """cells.csv: one row per (config, sampler, repeat, fold)."""
        return read_report_csv(self.path("cells.csv"), {"config", "sampler", "status", "error"})

    def leaderboard(self):
        """leaderboard.csv: one row per (config, sampler), every metric's mean and sd."""
        return read_report_csv(self.path("leaderboard.csv"), {"config", "sampler", "error"})

    def run_json(self):
        with open(self.path("run.json")) as f:
            return json.load(f)

    def configs(self):
        """Config label -> (plugin name, every parameter resolved, defaults included)."""
        return {c["label"]: (c["plugin"], c["params"]) for c in self.run_json()["configs"]}


def run_leadlab(exe, spec, out_dir, sets=(), threads=2):
    """`exe run spec --set output.dir=out_dir --set ... -j threads`, timed around the whole
    command. Exit code 1 (some cells failed) still returns; 2 (bad input) raises."""
    cmd = [exe, "run", spec, "--set", f"output.dir={out_dir}"]
    for s in sets:
        cmd += ["--set", s]
    cmd += ["-j", str(threads)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1) or not os.path.exists(os.path.join(out_dir, "cells.csv")):
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    return LeadlabRun(out_dir, proc.returncode, wall, proc.stdout, proc.stderr)


def run_on_folds(exe, spec, y, threads, sets=()):
    """`leadlab run` of `spec` into a temporary folder, which must succeed in every cell:
    (leaderboard.csv, the test fold of every data row from its folds.csv, the command's wall
    seconds). `y` is the data's labels, to check folds.csv belongs to the same train.csv."""
    with tempfile.TemporaryDirectory(prefix="leadlab-bench-") as out_dir:
        run = run_leadlab(exe, spec, out_dir, sets=sets, threads=threads)
        board = run.leaderboard()
        if run.returncode != 0 or board["failed"].sum():
            raise RuntimeError(f"leadlab cells failed: {board['error'].tolist()}")
        return board, read_folds(run.path("folds.csv"), y), run.wall_seconds


def leadlab_command(exe, spec, threads, sets="--set models=[MODEL]"):
    """The heading line naming the `leadlab run` command a table was measured with."""
    line = f"leadlab: {exe} run {os.path.relpath(spec, ROOT)} -j {threads}"
    if sets:
        line += f" {sets}"
    path = os.environ.get("LEADLAB_PLUGIN_PATH")
    return line + (f"  (LEADLAB_PLUGIN_PATH={path})" if path else "")


def positive_above_half(model, x):
    """scikit-learn's reading of leadlab's 0.5 cut: P(class 1) > 0.5, or margin > 0 for a model
    without probabilities (RidgeClassifier, LinearSVC)."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(x)[:, 1] > 0.5
    return model.decision_function(x) > 0


def sklearn_cv(make_model, x, y, fold, positive=positive_above_half):
    """The reference side on leadlab's folds: in each fold, z-score with the training rows'
    statistics, fit make_model() on them and mark the test rows positive(model, x_test).
    Returns (mean F1 of class 1 over the folds, seconds of the whole loop, seconds of the fit
    and predict calls alone)."""
    f1s, model_seconds = [], 0.0
    t0 = time.perf_counter()
    for f in range(fold.max() + 1):
        train, test = fold != f, fold == f
        x_train, x_test = zscore(x[train], x[test])
        t1 = time.perf_counter()
        model = make_model().fit(x_train, y[train])
        pred = positive(model, x_test)
        model_seconds += time.perf_counter() - t1
        f1s.append(f1_score(y[test], np.asarray(pred).astype(int)))
    return float(np.mean(f1s)), time.perf_counter() - t0, model_seconds


_PLUGIN_LINE = re.compile(r"^(\w+) \S+ \((model|sampler), ")


def leadlab_plugins(exe):
    """Plugin name -> 'model' or 'sampler', for every plugin `exe plugins` finds."""
    out = subprocess.run([exe, "plugins"], capture_output=True, text=True, check=True).stdout
    return {m.group(1): m.group(2) for m in map(_PLUGIN_LINE.match, out.splitlines()) if m}


def text_table(headers, rows, right=None):
    """Aligned plain-text table. `right`: column indexes to right-align (default: all but 0)."""
    right = set(range(1, len(headers))) if right is None else set(right)
    cells = [list(map(str, headers))] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)]
                     + [line(r) for r in cells[1:]])


def markdown_table(headers, rows, right=None):
    """GitHub Markdown table; `right` as in text_table."""
    right = set(range(1, len(headers))) if right is None else set(right)
    rule = ["---:" if i in right else "---" for i in range(len(headers))]
    out = ["| " + " | ".join(map(str, headers)) + " |", "|" + "|".join(rule) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)
