"""leadlab's leaderboard vs scikit-learn / imbalanced-learn, cell by cell, on the same folds.

One run does both halves. leadlab: `leadlab run SPEC --set threshold=0.5 -j N` into a scratch
folder, timed around the whole command; its cells.csv gives per-fold F1 and seconds (sampler +
fit + predict), folds.csv the exact fold of every row. scikit-learn: the same 15 raw features,
z-scored on each fold's training rows, the sampler on the training rows only, the model, P(buy)
>= 0.5 on the test fold, F1 of class 1; sampler + fit + predict timed per cell. Each leadlab
config maps to the closest estimator, with every parameter leadlab resolved (run.json), and any
difference the mapping cannot remove is printed as a note under the table.

    /usr/bin/python3 bench/leaderboard.py [--leadlab build/leadlab]
        [--spec experiments/leaderboard.yaml] [--data ../shared/data/train.csv]
        [--models logreg,knn] [--samplers none,smote] [-j 2] [--out FILE.md]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings

import numpy as np
import yaml
from imblearn.over_sampling import SMOTE
from imblearn.under_sampling import NearMiss, RandomUnderSampler
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import BaggingClassifier, GradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import f1_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

import common

THRESHOLD = 0.5
GAP = 0.01  # |ΔF1| above this is listed after the table
SEED = 0    # random_state of every scikit-learn / imbalanced-learn object


# ---- leadlab config -> scikit-learn ----------------------------------------------------------

class Mapped:
    """A fresh estimator (or sampler) for one leadlab config, how P(buy) is read from it, and the
    differences from leadlab that remain."""

    def __init__(self, make, notes=(), score="proba"):
        self.make = make      # () -> unfitted estimator / sampler
        self.score = score    # "proba": predict_proba[:, 1]; "logistic": logistic(decision)
        self.notes = list(notes)

    def p_buy(self, fitted, x):
        if self.score == "logistic":
            return expit(fitted.decision_function(x))
        return fitted.predict_proba(x)[:, 1]


class PrefitPlatt:
    """An SVM whose decision values go through a Platt sigmoid fitted on its own training rows:
    leadlab's svm with probability=platt, platt_folds=0."""

    def __init__(self, svm):
        self.svm = svm

    def fit(self, x, y):
        self.svm.fit(x, y)
        self.platt = CalibratedClassifierCV(self.svm, cv="prefit", method="sigmoid").fit(x, y)
        return self

    def predict_proba(self, x):
        return self.platt.predict_proba(x)


def class_weight(p):
    return None if p.get("class_weight", "none") == "none" else p["class_weight"]


def tree_max_features(value):
    """leadlab's per-split max_features (1.0 = all, a fraction, or sqrt) in sklearn's terms."""
    return None if value == 1.0 else value


def unmapped(p, defaults, why):
    """Notes for parameters scikit-learn has no equivalent of, when they differ from the value
    that makes leadlab behave like scikit-learn."""
    return [f"{k}={p[k]} not mapped ({why})" for k, v in defaults.items() if k in p and p[k] != v]


def sk_logreg(p, opt):
    return Mapped(lambda: LogisticRegression(C=p["C"], class_weight=class_weight(p),
                                             max_iter=1000))


def sk_ridge(p, opt):
    return Mapped(lambda: RidgeClassifier(alpha=p["alpha"], class_weight=class_weight(p)),
                  score="logistic")


def sk_knn(p, opt):
    return Mapped(lambda: KNeighborsClassifier(n_neighbors=p["k"], metric=p["metric"],
                                               weights=p["weights"], n_jobs=opt.jobs))


def sk_svm(p, opt):
    max_iter = int(p.get("max_iter", 0))
    if p["kernel"] == "rbf":
        def make_svm(probability=False):
            return SVC(kernel="rbf", C=p["C"], gamma=p["gamma"], tol=p["tol"],
                       class_weight=class_weight(p), cache_size=p["cache_mb"],
                       max_iter=max_iter or -1, probability=probability, random_state=SEED)
    else:
        def make_svm():
            return LinearSVC(C=p["C"], loss="squared_hinge", dual=True, tol=p["tol"],
                             class_weight=class_weight(p), max_iter=max_iter or 1000)
    if p["probability"] == "sigmoid":
        return Mapped(make_svm, score="logistic")
    if opt.svm_proba and p["kernel"] == "rbf":
        return Mapped(lambda: make_svm(probability=True),
                      [f"SVC(probability=True): Platt on libsvm's internal 5-fold CV (leadlab: "
                       f"platt_folds={p['platt_folds']})"])
    folds = int(p["platt_folds"])
    if folds == 0:
        return Mapped(lambda: PrefitPlatt(make_svm()),
                      ["Platt fitted on the training decision values, as leadlab's platt_folds=0 "
                       "(not SVC(probability=True)'s internal 5-fold CV; --svm-proba for that)"])
    return Mapped(lambda: CalibratedClassifierCV(make_svm(), cv=folds, method="sigmoid",
                                                 ensemble=False))


def sk_bagging(p, opt):
    def make():
        tree = DecisionTreeClassifier(max_features=tree_max_features(p["max_features"]),
                                      max_depth=p["max_depth"] if p["max_depth"] != "none" else None,
                                      min_samples_leaf=p["min_samples_leaf"])
        return BaggingClassifier(tree, n_estimators=p["n_estimators"], max_samples=p["bootstrap"],
                                 bootstrap=True, n_jobs=opt.jobs, random_state=SEED)
    return Mapped(make, ["leadlab splits on <= max_bins quantile bins, sklearn on exact values"])


def sk_sgb(p, opt):
    stop = int(p["early_stopping_rounds"])

    def make():
        return GradientBoostingClassifier(
            n_estimators=p["n_estimators"], learning_rate=p["learning_rate"],
            max_depth=p["max_depth"], subsample=p["subsample"],
            min_samples_leaf=p["min_samples_leaf"], max_features=tree_max_features(p["max_features"]),
            n_iter_no_change=stop or None, validation_fraction=p["validation_fraction"],
            random_state=SEED)
    notes = ["leadlab splits on <= max_bins quantile bins, sklearn on exact values"]
    notes += unmapped(p, {"l2": 0, "min_gain": 0, "scale_pos_weight": 1},
                      "GradientBoostingClassifier has no equivalent")
    return Mapped(make, notes)


def sk_dnn(p, opt):
    patience = int(p["early_stopping"])

    def make():
        # Without early stopping leadlab trains every epoch; n_iter_no_change=epochs keeps
        # sklearn from stopping on a flat training loss, so both do the same work.
        return MLPClassifier(
            hidden_layer_sizes=tuple(p["hidden"]), activation=p["activation"], solver="adam",
            learning_rate_init=p["lr"], beta_1=p["beta1"], beta_2=p["beta2"],
            alpha=p["weight_decay"], batch_size=p["batch_size"], max_iter=p["epochs"],
            early_stopping=patience > 0, validation_fraction=p["validation_fraction"],
            n_iter_no_change=patience or p["epochs"], random_state=SEED)
    notes = []
    if p["batchnorm"]:
        notes.append("batchnorm=true not mapped (MLPClassifier has no batch norm)")
    if p["dropout"] > 0:
        notes.append(f"dropout={p['dropout']} not mapped (MLPClassifier has no dropout)")
    if p["weight_decay"] > 0:
        notes.append("weight_decay is decoupled (AdamW) in leadlab, an L2 loss term (alpha) here")
    notes += unmapped(p, {"pos_weight": 1}, "MLPClassifier has no class weights")
    return Mapped(make, notes)


def sk_none(p, opt):
    return Mapped(lambda: None)


def sk_smote(p, opt):
    return Mapped(lambda: SMOTE(k_neighbors=p["k"], sampling_strategy=p["ratio"],
                                random_state=SEED),
                  unmapped(p, {"binary_columns": "keep"}, "SMOTE does not round 0/1 columns"))


def sk_undersample(p, opt):
    if p["method"] == "random":
        return Mapped(lambda: RandomUnderSampler(sampling_strategy=p["ratio"], random_state=SEED))
    version = int(p["method"][-1])
    return Mapped(lambda: NearMiss(version=version, sampling_strategy=p["ratio"],
                                   n_neighbors=p["k"], n_neighbors_ver3=p["k_ver3"]))


SKLEARN = {"logreg": sk_logreg, "ridge": sk_ridge, "knn": sk_knn, "svm": sk_svm,
           "bagging": sk_bagging, "sgb": sk_sgb, "dnn": sk_dnn,
           "none": sk_none, "smote": sk_smote, "undersample": sk_undersample}


# ---- the spec's cells ------------------------------------------------------------------------

def item_name(item):
    """Plugin name of a spec list item: `name` or `{name: {params}}`."""
    return item if isinstance(item, str) else next(iter(item))


def select(items, wanted, available, kind, notes):
    """The spec items whose plugin was asked for (all when `wanted` is None) and is built."""
    names = [item_name(i) for i in items]
    if wanted is not None:
        missing = sorted(set(wanted) - set(names))
        if missing:
            sys.exit(f"leaderboard.py: no {kind} {', '.join(missing)} in the spec "
                     f"(it has {', '.join(names)})")
    kept = []
    for item, name in zip(items, names):
        if wanted is not None and name not in wanted:
            continue
        if available.get(name) != kind:
            notes.append(f"{name}: skipped, `leadlab plugins` has no {kind} plugin of that name")
            continue
        kept.append(item)
    if not kept:
        sys.exit(f"leaderboard.py: no {kind} left to run")
    return kept


def flow_yaml(items):
    """A spec list as one-line YAML for `--set models=...`, parameters in the spec's order:
    leadlab labels a config by its parameters in the order written and seeds its cells from the
    label, so sorting them would change the random draws from those of the spec's own run."""
    return yaml.safe_dump(items, default_flow_style=True, sort_keys=False, width=1 << 30).strip()


# ---- the two halves --------------------------------------------------------------------------

def leadlab_cells(run):
    """(config, sampler) -> (mean F1 of the ok folds, seconds summed over folds, failed folds),
    in leadlab's order (models outer, samplers inner)."""
    cells = run.cells()
    out = {}
    for (config, sampler), g in cells.groupby(["config", "sampler"], sort=False):
        ok = g[g["status"] == "ok"]
        seconds = float((g["fit_seconds"] + g["predict_seconds"]).sum())
        out[(config, sampler)] = (ok["f1"].mean() if len(ok) else float("nan"), seconds,
                                  len(g) - len(ok))
    return out


def sklearn_cell(model, sampler, x, y, fold):
    """Mean F1 over the folds and seconds of sampler + fit + predict summed over them."""
    f1s, seconds = [], 0.0
    for f in range(fold.max() + 1):
        x_train, x_test = common.zscore(x[fold != f], x[fold == f])
        y_train, y_test = y[fold != f], y[fold == f]
        t0 = time.perf_counter()
        resampler = sampler.make()
        if resampler is not None:
            x_train, y_train = resampler.fit_resample(x_train, y_train)
        fitted = model.make().fit(x_train, y_train)
        p_buy = model.p_buy(fitted, x_test)
        seconds += time.perf_counter() - t0
        f1s.append(f1_score(y_test, p_buy >= THRESHOLD, zero_division=0))
    return float(np.mean(f1s)), seconds


# ---- report ----------------------------------------------------------------------------------

def fmt(v, digits=4, sign=""):
    if v is None or np.isnan(v):
        return "n/a"
    return f"{round(v, digits) + 0.0:{sign}.{digits}f}"  # + 0.0: no "-0.0000"


def ratio(sk, ll):
    return "n/a" if sk is None or not ll else f"{sk / ll:.1f}x"


def split(words):
    """`a,b` -> ['a', 'b']; None stays None (= no restriction)."""
    return None if words is None else [w for w in words.split(",") if w]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--leadlab", default=os.path.join(common.ROOT, "build", "leadlab"))
    ap.add_argument("--spec", default=os.path.join(common.ROOT, "experiments", "leaderboard.yaml"))
    ap.add_argument("--data", default=common.DEFAULT_TRAIN, help="train.csv")
    ap.add_argument("--models", help="comma-separated model plugins of the spec to run")
    ap.add_argument("--samplers", help="comma-separated sampler plugins of the spec to run")
    ap.add_argument("-j", "--jobs", type=int, default=2,
                    help="leadlab -j, and n_jobs of sklearn's knn and bagging")
    ap.add_argument("--out", help="also write the table as Markdown to this file")
    ap.add_argument("--leadlab-out", help="keep leadlab's output folder here (default: a "
                    "scratch folder, removed at the end)")
    ap.add_argument("--svm-proba", action="store_true",
                    help="rbf svm as SVC(probability=True) (internal 5-fold Platt, ~4x slower)")
    ap.add_argument("--skip-sklearn", metavar="PLUGINS", default="",
                    help="comma-separated plugins whose cells run in leadlab only")
    return ap.parse_args()


def run_leadlab_half(opt, notes):
    """Runs the spec's selected cells in leadlab; returns the run and its per-cell results."""
    available = common.leadlab_plugins(opt.leadlab)
    with open(opt.spec) as f:
        spec = yaml.safe_load(f)
    models = select(spec["models"], split(opt.models), available, "model", notes)
    samplers = select(spec["samplers"], split(opt.samplers), available, "sampler", notes)
    sets = [f"threshold={THRESHOLD}", f"data.train={os.path.abspath(opt.data)}",
            f"models={flow_yaml(models)}", f"samplers={flow_yaml(samplers)}"]
    print(f"leadlab: {opt.leadlab} run {opt.spec} "
          + " ".join(f"--set '{s}'" for s in sets) + f" -j {opt.jobs}", file=sys.stderr)
    run = common.run_leadlab(opt.leadlab, opt.spec, opt.leadlab_dir, sets, opt.jobs)
    print(f"leadlab: {run.wall_seconds:.1f} s wall, exit {run.returncode}", file=sys.stderr)
    features = run.run_json()["data"]["features"]
    if features != common.FEATURES:
        sys.exit(f"leaderboard.py: the spec's features {features} are not the 15 raw features "
                 "the scikit-learn side builds")
    return run, leadlab_cells(run)


def map_configs(run, opt, notes):
    """Config label -> Mapped, for every config with a scikit-learn mapping not skipped."""
    skip = set(split(opt.skip_sklearn))
    mapped = {}
    for label, (plugin, params) in run.configs().items():
        if plugin in skip or plugin not in SKLEARN:
            why = "--skip-sklearn" if plugin in skip else "no scikit-learn mapping"
            notes.append(f"{label}: leadlab only ({why})")
            continue
        mapped[label] = SKLEARN[plugin](params, opt)
        notes += [f"{label}: {n}" for n in mapped[label].notes]
    return mapped


def compare(run, ll, opt, notes):
    """Runs the scikit-learn half over leadlab's cells; returns the table rows, the F1 gaps and
    whether every cell was compared."""
    t_sklearn = time.perf_counter()
    x, y = common.load_features(opt.data)
    fold = common.read_folds(run.path("folds.csv"), y)
    mapped = map_configs(run, opt, notes)
    rows, gaps = [], []
    ll_total = sk_total = 0.0
    for (config, sampler), (ll_f1, ll_s, failed) in ll.items():
        if failed:
            notes.append(f"{config} x {sampler}: {failed} leadlab fold(s) failed; F1 over the rest")
        sk_f1 = sk_s = delta = None
        if config in mapped and sampler in mapped:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                sk_f1, sk_s = sklearn_cell(mapped[config], mapped[sampler], x, y, fold)
            print(f"sklearn: {config} x {sampler}: F1 {sk_f1:.4f}, {sk_s:.2f} s",
                  file=sys.stderr)
            sk_total += sk_s
            ll_total += ll_s
            delta = ll_f1 - sk_f1
            if abs(delta) > GAP:
                gaps.append(f"{config} x {sampler}: ΔF1 {delta:+.4f}")
        rows.append([config, sampler, fmt(ll_f1), fmt(sk_f1), fmt(delta, sign="+"), fmt(ll_s, 3),
                     fmt(sk_s, 3), ratio(sk_s, ll_s)])
    sk_wall = time.perf_counter() - t_sklearn
    rows.append(["total over the compared cells", "", "", "", "", fmt(ll_total, 3),
                 fmt(sk_total, 3), ratio(sk_total, ll_total)])
    rows.append(["whole command, wall", "", "", "", "", fmt(run.wall_seconds, 3),
                 fmt(sk_wall, 3), ratio(sk_wall, run.wall_seconds)])
    return rows, gaps, all(c in mapped and s in mapped for c, s in ll)


def legend(run, opt, all_compared):
    info = run.run_json()
    folds = int(info["spec"].get("cv", {}).get("folds", 5))
    lines = [
        f"{info['data']['rows']} rows, {folds}-fold stratified (leadlab's folds.csv for both), "
        f"15 raw features z-scored per fold, threshold {THRESHOLD}; one run on "
        f"{info.get('machine', 'this machine')}.",
        f"F1: mean over the folds of F1 of class 1. ΔF1 = leadlab - sklearn. s: sampler + fit + "
        f"predict summed over the {folds} folds. ratio = sklearn s / leadlab s (> 1: leadlab "
        f"faster).",
        f"leadlab ran -j {opt.jobs}: {opt.jobs} cells at a time, each single-threaded, so its "
        f"cell seconds add up CPU time across cores. scikit-learn ran one cell at a time "
        f"(knn, bagging with n_jobs={opt.jobs}). The wall row is fairer: leadlab = the whole "
        f"`leadlab run` (CSV, all cells, reports); sklearn = CSV, scaling and all cells.",
        "Samplers and randomised models draw different random numbers in each tool, so those "
        "cells differ by sampling noise as well.",
    ]
    if not all_compared:
        lines.append("Some cells ran in leadlab only: the wall row compares unequal work.")
    return lines


def report(headers, rows, lines, gaps, notes, opt):
    """The table, legend, gaps and notes on stdout, and as Markdown to --out."""
    right = range(2, len(headers))
    notes = list(dict.fromkeys(notes))
    print(common.text_table(headers, rows, right))
    print()
    print("\n".join(lines))
    print(f"F1 gaps > {GAP}:" + ("".join(f"\n  {g}" for g in gaps) if gaps else " none"))
    print("Notes:" + ("".join(f"\n  {n}" for n in notes) if notes else " none"))
    if opt.out:
        with open(opt.out, "w") as f:
            f.write(f"# leadlab vs scikit-learn: {os.path.relpath(opt.spec, common.ROOT)}\n\n")
            f.write(f"`/usr/bin/python3 {' '.join(sys.argv)}`\n\n")
            f.write(common.markdown_table(headers, rows, right) + "\n\n")
            f.write("".join(f"- {line}\n" for line in lines) + "\n")
            f.write(f"F1 gaps > {GAP}:" + ("".join(f"\n- {g}" for g in gaps) if gaps else " none"))
            f.write("\n\nNotes:" + ("".join(f"\n- {n}" for n in notes) if notes else " none"))
            f.write("\n")


def main():
    opt = parse_args()
    opt.data = os.path.abspath(opt.data)
    opt.leadlab_dir = opt.leadlab_out or tempfile.mkdtemp(prefix="leadlab-bench-leaderboard-")
    os.makedirs(opt.leadlab_dir, exist_ok=True)
    notes = []
    try:
        run, ll = run_leadlab_half(opt, notes)
        rows, gaps, all_compared = compare(run, ll, opt, notes)
        headers = ["model", "sampler", "leadlab F1", "sklearn F1", "ΔF1", "leadlab s",
                   "sklearn s", "ratio"]
        report(headers, rows, legend(run, opt, all_compared), gaps, notes, opt)
    finally:
        if not opt.leadlab_out:
            shutil.rmtree(opt.leadlab_dir)


if __name__ == "__main__":
    main()
