"""leadlab's nested successive halving vs scikit-learn's HalvingRandomSearchCV, same folds.

scikit-learn's side is HalvingRandomSearchCV inside cross_val_score, on the lead data and
leadlab's outer folds.

leadlab: `leadlab run bench/specs/nested_search.yaml --fresh -j N` into a scratch folder, timed
around the whole command (CSV parsing, every rung of every outer fold, the winners' outer
cells, the reports). The spec draws `search.trials` sgb configs (60) and races them with
`search: {method: halving, factor: 3}` inside each of the 5 outer training folds, on 3 inner
folds (`select: {metric: f1, inner_folds: 3}`); only each outer fold's winner is fitted on the
outer training fold and scored on its test fold at the fixed cut 0.5. Read back: the
`selected (nested)` row of leaderboard.csv (mean F1 over the outer folds), the winner of each
outer fold (selection.csv), the configs that reached each rung (search.csv), the cells run
(stdout) and the fold of every row (folds.csv).

scikit-learn, on exactly those outer folds (leadlab's folds.csv, repeat 0, labels checked):
    cross_validate(Pipeline([StandardScaler(), HalvingRandomSearchCV(
        GradientBoostingClassifier(random_state=0), DISTRIBUTIONS, n_candidates=trials,
        factor=factor, resource="n_samples", min_resources="exhaust",
        cv=StratifiedKFold(inner_folds, shuffle=True, random_state=0), scoring=F1,
        refit=True, random_state=0, n_jobs=N)]), x, y, cv=[(train, test) per outer fold],
        scoring=F1)
i.e. cross_val_score(HalvingRandomSearchCV(...)) with the outer folds given explicitly and the
z-scoring fitted on each outer training fold. DISTRIBUTIONS come from the spec leadlab ran
(run.json): {int: [a, b]} -> randint(a, b + 1), {loguniform: [a, b]} -> loguniform(a, b),
{uniform: [a, b]} -> uniform(a, b - a), a list -> that list, a value -> [value]. F1 is
scoring="f1" with zero_division=0 written out (same numbers, no warning when a small rung
predicts no buyer): class 1 from predict(), i.e. P(buy) > 0.5.

What stays different (see bench/README.md): the 60 configs are drawn by each tool's own
generator, so they are not the same 60; leadlab subsamples only the inner training rows and
scores every rung on whole inner test folds, pooled, while scikit-learn subsamples the outer
training rows before its inner split (test folds shrink with the rung too) and averages the
per-fold F1s; leadlab's trees split on quantile bins.

Timing, one run each: wall seconds of the whole leadlab command and of the whole scikit-learn
half (reading train.csv, all outer folds). Both use N = -j cores (leadlab N cells at a time;
scikit-learn N joblib workers for the candidates of a rung, the outer folds one after another).
With --outer-folds K < 5 scikit-learn runs only the first K outer folds and the ratio compares
seconds per outer fold (leadlab wall / 5 against scikit-learn wall / K).

Fits: leadlab's cells run (every inner cell of every rung, plus one outer cell per outer fold);
scikit-learn's inner_folds x sum(n_candidates_) + 1 refit per outer fold.

Also checks the speed aim "over at least 50 sgb configs with nested selection finishes on the
lead data in under 5 minutes on 2 cores" against the leadlab wall time.

Uses the Python standard library, numpy, scipy and scikit-learn only (not common.py, which
needs pandas).

    /usr/bin/python3 bench/nested_search.py [--build build | --leadlab EXE] [--plugins DIR]
        [--train CSV] [-j 2] [--outer-folds 5] [--markdown FILE.md] [--leadlab-out DIR]
        [--set KEY=VALUE ...]
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

import numpy as np
from scipy.stats import loguniform, randint, uniform
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401 (enables the import below)
from sklearn.metrics import f1_score, make_scorer
from sklearn.model_selection import HalvingRandomSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "bench", "specs", "nested_search.yaml")
DEFAULT_TRAIN = os.path.join(ROOT, "..", "shared", "data", "train.csv")
TARGET = "buy"
# The protocol's 15 raw features, in train.csv's column order (as bench/common.py).
FEATURES = (["campaign_var_1", "campaign_var_2", "products_purchased"]
            + [f"user_activity_var_{i}" for i in range(1, 13)])
# sgb parameters with the same name and meaning in GradientBoostingClassifier.
SGB_TO_SKLEARN = {"n_estimators", "learning_rate", "max_depth", "subsample",
                  "min_samples_leaf", "max_features"}
F1 = make_scorer(f1_score, zero_division=0)  # = scoring="f1", without the 0/0 warning
AIM_CONFIGS, AIM_SECONDS = 50, 300.0  # the issue: >= 50 sgb configs, nested, < 5 min, 2 cores


def fail(message):
    sys.exit(f"nested_search.py: {message}")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="leadlab's build folder (default: build); its leadlab is run")
    ap.add_argument("--leadlab", "--exe", help="the leadlab executable (default: BUILD/leadlab)")
    ap.add_argument("--plugins", help="plugin folder searched first (LEADLAB_PLUGIN_PATH)")
    ap.add_argument("--train", "--data", default=DEFAULT_TRAIN, help="train.csv")
    ap.add_argument("-j", "--threads", type=int, default=2,
                    help="leadlab -j and the searches' n_jobs (default 2)")
    ap.add_argument("--outer-folds", type=int, default=None, metavar="K",
                    help="scikit-learn runs only the first K outer folds (default: all)")
    ap.add_argument("--markdown", metavar="FILE", help="also write the tables as Markdown")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="passed to leadlab run (e.g. search.trials=9 for a quick check); the "
                         "scikit-learn side follows the spec leadlab ran")
    ap.add_argument("--leadlab-out", metavar="DIR",
                    help="keep leadlab's output folder here (default: a scratch folder); "
                         "the run is --fresh either way")
    args = ap.parse_args()
    args.leadlab = args.leadlab or os.path.join(args.build, "leadlab")
    if not (os.path.isfile(args.leadlab) and os.access(args.leadlab, os.X_OK)):
        fail(f"no leadlab executable at {args.leadlab}: build it (cmake --build build) or pass "
             "--build DIR / --leadlab EXE")
    if not os.path.isfile(args.train):
        fail(f"no data at {args.train}: pass --train PATH/train.csv")
    if args.threads < 1:
        fail("-j must be at least 1")
    if args.outer_folds is not None and args.outer_folds < 1:
        fail("--outer-folds must be at least 1")
    if args.plugins:
        os.environ["LEADLAB_PLUGIN_PATH"] = os.path.abspath(args.plugins)
    return args


# ---------------------------------------------------------------- data and leadlab's outputs

def load_features(train_csv):
    """(x float64 rows x 15, y uint8) from train.csv: products_purchased empty read as 0."""
    with open(train_csv, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in FEATURES + [TARGET] if c not in (reader.fieldnames or [])]
        if missing:
            fail(f"{train_csv} has no column {', '.join(missing)}")
        rows = list(reader)
    x = np.empty((len(rows), len(FEATURES)))
    for i, row in enumerate(rows):
        for j, name in enumerate(FEATURES):
            text = row[name]
            if text == "" and name != "products_purchased":
                fail(f"{train_csv}: {name} is empty in data row {i}")
            x[i, j] = float(text or 0)
    return x, np.array([int(row[TARGET]) for row in rows], dtype=np.uint8)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_folds(folds_csv, y, repeat=0):
    """Test-fold index of every data row from leadlab's folds.csv (row,id,y,repeat,fold),
    checked to assign every row once and against the data's labels."""
    fold = np.full(len(y), -1)
    lines = [r for r in read_csv(folds_csv) if int(r["repeat"]) == repeat]
    for r in lines:
        row = int(r["row"])
        if int(r["y"]) != y[row]:
            fail(f"{folds_csv}: labels differ from the data's; not the same train.csv")
        fold[row] = int(r["fold"])
    if len(lines) != len(y) or (fold < 0).any():
        fail(f"{folds_csv}: repeat {repeat} does not assign each of {len(y)} rows once")
    return fold


def run_leadlab(exe, train_csv, out_dir, threads, sets):
    """`leadlab run SPEC --fresh` into out_dir, timed around the whole command; returns
    (wall seconds, stdout). Any failed cell stops the bench."""
    cmd = [exe, "run", SPEC, "--fresh", "--set", f"output.dir={out_dir}",
           "--set", f"data.train={os.path.abspath(train_csv)}"]
    for s in sets:
        cmd += ["--set", s]
    cmd += ["-j", str(threads)]
    print("leadlab: " + " ".join(cmd), file=sys.stderr)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        fail(f"leadlab exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return wall, proc.stdout


def leadlab_side(args, out_dir, y):
    """Runs leadlab; returns its figures and what the scikit-learn side needs from it."""
    wall, stdout = run_leadlab(args.leadlab, args.train, out_dir, args.threads, args.set)
    with open(os.path.join(out_dir, "run.json")) as f:
        run = json.load(f)
    if run["data"]["features"] != FEATURES:
        fail(f"the spec's features {run['data']['features']} are not the 15 raw features the "
             "scikit-learn side builds")
    selected = [r for r in read_csv(os.path.join(out_dir, "leaderboard.csv"))
                if r["config"] == "selected (nested)"]
    if not selected:
        fail("leaderboard.csv has no 'selected (nested)' row")
    winners = read_csv(os.path.join(out_dir, "selection.csv"))
    search = read_csv(os.path.join(out_dir, "search.csv"))
    cells = re.search(r"(\d+) cells run", stdout)
    folds = read_folds(os.path.join(out_dir, "folds.csv"), y)
    # configs reaching each rung, per outer fold, and the inner training rows of each rung
    reached, rung_rows = {}, {}
    for r in search:
        f, rung = int(r["fold"]), int(r["rung"])
        for k in range(rung + 1):
            reached.setdefault(f, {}).setdefault(k, 0)
            reached[f][k] += 1
        if r["rows"]:
            rung_rows.setdefault(rung, set()).add(int(r["rows"]))
    per_fold_rungs = {f: [n for _, n in sorted(ks.items())] for f, ks in reached.items()}
    fold_f1 = [float(w["f1"]) for w in winners]
    return {
        "run": run, "wall": wall, "folds": folds,
        "configs": sum(c["kind"] == "model" for c in run["configs"]),
        "rungs": per_fold_rungs,
        "rung_rows": [sorted(v) for _, v in sorted(rung_rows.items())],
        "cells": int(cells.group(1)) if cells else None,
        "f1_mean": float(selected[0]["f1_mean"]), "f1_sd": float(selected[0]["f1_sd"]),
        "fold_f1": fold_f1,
        "winners": [(w["config"], float(w["inner_f1"]), float(w["f1"])) for w in winners],
    }


# ---------------------------------------------------------------- the scikit-learn side

def distribution(param, value):
    """One leadlab parameter value (as the resolved spec gives it) -> a scipy distribution or
    a list, as HalvingRandomSearchCV's param_distributions take them."""
    if isinstance(value, dict):
        (kind, bounds), = value.items()
        if kind == "int":
            return randint(bounds[0], bounds[1] + 1)  # leadlab includes both ends
        if kind == "loguniform":
            return loguniform(bounds[0], bounds[1])
        if kind == "uniform":
            return uniform(bounds[0], bounds[1] - bounds[0])  # scipy: uniform(loc, scale)
        if kind == "choice":
            return list(bounds)
        fail(f"sgb {param}: no scipy equivalent for {{{kind}: ...}}")
    return list(value) if isinstance(value, list) else [value]


def sklearn_search_space(spec):
    """The spec's single sgb entry as param_distributions, and the search settings, checked to
    be what this comparison maps (halving in exhaust mode, F1 at the fixed cut 0.5, no
    sampler)."""
    models, search, select = spec["models"], spec.get("search", {}), spec.get("select", {})
    if len(models) != 1 or list(models[0]) != ["sgb"]:
        fail(f"the spec must have one sgb entry, not {models}")
    if search.get("method") != "halving" or "min_rows" in search or "trials" not in search:
        fail(f"the spec's search {search} is not halving over drawn trials in exhaust mode")
    if select.get("metric", "f1") != "f1" or spec.get("threshold") != 0.5:
        fail("the comparison needs select.metric f1 and threshold 0.5")
    if spec.get("samplers") != ["none"]:
        fail(f"the comparison runs without a sampler, not {spec.get('samplers')}")
    params = models[0]["sgb"]
    unmapped = set(params) - SGB_TO_SKLEARN
    if unmapped:
        fail(f"sgb parameters without a GradientBoostingClassifier equivalent: {unmapped}")
    return ({p: distribution(p, v) for p, v in params.items()},
            int(search["trials"]), int(search.get("factor", 3)),
            int(select.get("inner_folds", 3)))


def sklearn_side(args, x, y, folds, spec, n_outer):
    """cross_validate(Pipeline(StandardScaler, HalvingRandomSearchCV)) on the first n_outer of
    leadlab's outer folds; returns its figures."""
    space, trials, factor, inner = sklearn_search_space(spec)
    search = HalvingRandomSearchCV(
        GradientBoostingClassifier(random_state=0), space, n_candidates=trials, factor=factor,
        resource="n_samples", min_resources="exhaust",
        cv=StratifiedKFold(inner, shuffle=True, random_state=0), scoring=F1, refit=True,
        random_state=0, n_jobs=args.threads)
    pipeline = Pipeline([("scale", StandardScaler()), ("search", search)])
    outer = [(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in range(n_outer)]
    t0 = time.perf_counter()
    result = cross_validate(pipeline, x, y, cv=outer, scoring=F1, return_estimator=True)
    seconds = time.perf_counter() - t0
    searches = [p.named_steps["search"] for p in result["estimator"]]
    fold_f1 = [float(s) for s in result["test_score"]]
    return {
        "seconds": seconds, "trials": trials, "inner": inner, "fold_f1": fold_f1,
        "fold_seconds": [float(a + b) for a, b in zip(result["fit_time"], result["score_time"])],
        "rungs": [list(s.n_candidates_) for s in searches],
        "resources": [list(s.n_resources_) for s in searches],
        "fits": sum(inner * sum(s.n_candidates_) + 1 for s in searches),
        "winners": [(s.best_params_, float(s.best_score_)) for s in searches],
    }


# ---------------------------------------------------------------- report

def mean_sd(values):
    """'mean ± sd' (sd with ddof 1, as leadlab's leaderboard)."""
    if len(values) == 1:
        return f"{values[0]:.4f} (1 fold)"
    return f"{statistics.fmean(values):.4f} ± {statistics.stdev(values):.4f}"


def short_sgb(params):
    """A config's four searched parameters, short: 'n=202 lr=0.0483 d=2 ss=0.956'."""
    return (f"n={int(params['n_estimators'])} lr={float(params['learning_rate']):.3g} "
            f"d={int(params['max_depth'])} ss={float(params['subsample']):.3g}")


def label_params(label):
    """'sgb(n_estimators=202,learning_rate=0.048,...)' -> {'n_estimators': '202', ...}"""
    return dict(kv.split("=") for kv in label[label.index("(") + 1:label.rindex(")")].split(","))


def rung_text(counts):
    """Configs per rung over the outer folds: '60/20/7/3', or each fold's when they differ."""
    return "; ".join(sorted({"/".join(map(str, c)) for c in counts}))


def text_table(headers, rows):
    cells = [list(map(str, headers))] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)]
                     + [line(r) for r in cells[1:]])


def markdown_table(headers, rows):
    rule = ["---"] + ["---:"] * (len(headers) - 1)
    out = ["| " + " | ".join(map(str, headers)) + " |", "|" + "|".join(rule) + "|"]
    return "\n".join(out + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def report(args, ll, sk, n_outer, loads):
    """(heading lines, summary table, per-fold table, closing lines) as plain text and
    Markdown."""
    ll_per_fold = ll["wall"] / len(ll["fold_f1"])
    sk_per_fold = sk["seconds"] / n_outer
    rows_text = "/".join([f"{r[0]}" if r[0] == r[-1] else f"{r[0]}-{r[-1]}"
                          for r in ll["rung_rows"]] + ["all"])
    summary = [
        ["leadlab (halving, nested)", ll["configs"],
         f"{rung_text(ll['rungs'].values())} on {rows_text} inner training rows",
         len(ll["fold_f1"]), f"{ll['wall']:.1f}", f"{ll_per_fold:.1f}",
         ll["cells"] if ll["cells"] is not None else "n/a",
         mean_sd(ll["fold_f1"])],
        ["sklearn HalvingRandomSearchCV", sk["trials"],
         f"{rung_text(sk['rungs'])} on {'/'.join(map(str, sk['resources'][0]))} rows "
         f"(before the {sk['inner']}-fold split)",
         n_outer, f"{sk['seconds']:.1f}", f"{sk_per_fold:.1f}", sk["fits"],
         mean_sd(sk["fold_f1"])],
    ]
    headers = ["side", "configs", "configs per rung", "outer folds", "wall s", "s / outer fold",
               "fits", "outer F1 mean ± sd"]
    per_fold = []
    for f in range(len(ll["winners"])):
        config, ll_inner, ll_f1 = ll["winners"][f]
        row = [f, short_sgb(label_params(config)), f"{ll_inner:.4f}", f"{ll_f1:.4f}"]
        if f < n_outer:
            params, sk_inner = sk["winners"][f]
            row += [short_sgb(params), f"{sk_inner:.4f}", f"{sk['fold_f1'][f]:.4f}",
                    f"{sk['fold_seconds'][f]:.1f}"]
        else:
            row += ["not run"] + [""] * 3
        per_fold.append(row)
    fold_headers = ["fold", "leadlab winner", "inner F1", "outer F1", "sklearn winner",
                    "inner F1", "outer F1", "sklearn s"]
    ratio = sk_per_fold / ll_per_fold
    same = n_outer == len(ll["fold_f1"])
    ratio_line = (f"ratio sklearn wall / leadlab wall: {ratio:.1f}x"
                  + ("" if same else f" (per outer fold: {sk['seconds']:.1f} s / {n_outer} "
                                     f"against {ll['wall']:.1f} s / {len(ll['fold_f1'])})"))
    if not same:
        ratio_line += (f"; leadlab's outer F1 on the same {n_outer} fold(s): "
                       f"{mean_sd(ll['fold_f1'][:n_outer])}")
    aim_met = (ll["configs"] >= AIM_CONFIGS and ll["wall"] < AIM_SECONDS and args.threads <= 2)
    aim_line = (f"speed aim (>= {AIM_CONFIGS} sgb configs, nested selection, < "
                f"{AIM_SECONDS / 60:.0f} min on 2 cores): {'met' if aim_met else 'NOT met'} - "
                f"{ll['configs']} configs in {ll['wall']:.1f} s at -j {args.threads}")
    heading = [
        f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {ll['run'].get('machine', '?')}; load average (1, 5, 15 min) before "
        f"leadlab {loads[0]}, after leadlab {loads[1]}, after sklearn {loads[2]}",
        f"leadlab: {ll['run'].get('leadlab_version', '?')}: {args.leadlab} run "
        f"{os.path.relpath(SPEC, ROOT)} --fresh -j {args.threads}"
        + "".join(f" --set {s}" for s in args.set),
        f"sklearn: cross_validate(Pipeline(StandardScaler, HalvingRandomSearchCV("
        f"GradientBoostingClassifier, n_candidates={sk['trials']}, n_jobs={args.threads})))"
        f" on leadlab's outer fold{f's 0-{n_outer - 1}' if n_outer > 1 else ' 0'}",
    ]
    return heading, (headers, summary), (fold_headers, per_fold), [ratio_line, aim_line]


def load_average():
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main():
    args = parse_args()
    t0 = time.perf_counter()
    x, y = load_features(args.train)
    load_seconds = time.perf_counter() - t0
    loads = [load_average()]
    with tempfile.TemporaryDirectory(prefix="leadlab-nested-") as scratch:
        out_dir = os.path.abspath(args.leadlab_out) if args.leadlab_out else scratch
        ll = leadlab_side(args, out_dir, y)
    loads.append(load_average())
    print(f"leadlab: {ll['wall']:.1f} s wall, selected (nested) F1 {ll['f1_mean']:.4f}",
          file=sys.stderr)

    n_outer = len(ll["fold_f1"]) if args.outer_folds is None else args.outer_folds
    if not 1 <= n_outer <= len(ll["fold_f1"]):
        fail(f"--outer-folds must be 1-{len(ll['fold_f1'])}")
    sk = sklearn_side(args, x, y, ll["folds"], ll["run"]["spec"], n_outer)
    sk["seconds"] += load_seconds  # the scikit-learn half's wall includes reading train.csv
    loads.append(load_average())

    heading, (headers, summary), (fold_headers, per_fold), closing = report(
        args, ll, sk, n_outer, loads)
    print("\n".join(heading))
    print()
    print(text_table(headers, summary))
    print()
    print(text_table(fold_headers, per_fold))
    print()
    print("\n".join(closing))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(f"- {h}" for h in heading) + "\n\n")
            f.write(markdown_table(headers, summary) + "\n\n")
            f.write(markdown_table(fold_headers, per_fold) + "\n\n")
            f.write("\n".join(f"- {c}" for c in closing) + "\n")


if __name__ == "__main__":
    main()
