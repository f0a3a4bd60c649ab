#!/usr/bin/env python3
"""`leadlab schema` checked by an independent validator (python3-jsonschema): the document is a
valid draft-07 schema; it names every installed plugin with exactly its parameters, ranges and
exclusive bounds as `leadlab plugins` lists them; every committed spec (experiments/*.yaml,
bench/specs/*.yaml), a spec using every section and a random-search spec validate against it; and mistakes the
schema rejects are rejected by `leadlab validate` as well (exit 2), so the editor and the
tool agree.

Usage: schema_check.py LEADLAB SOURCE_DIR WORK_DIR
"""
import glob
import json
import math
import os
import re
import subprocess
import sys

import jsonschema
import yaml

leadlab, src, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


out = subprocess.run([leadlab, "schema"], capture_output=True, text=True, check=False)
if out.returncode != 0:
    sys.exit(f"leadlab schema exited {out.returncode}: {out.stderr.strip()}")
schema = json.loads(out.stdout)
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
defs = schema["definitions"]

# ---- every plugin of `leadlab plugins`, with its parameters and ranges ----
listing = subprocess.run([leadlab, "plugins"], capture_output=True, text=True, check=True).stdout
plugins = {}  # name -> (kind, {param: (lo, hi, lo_excl, hi_excl) or None})
current = None
head = re.compile(r"^(\S+) \S+ \((model|sampler), ")
line_re = re.compile(r"^  (\S+)\s+(int list|real list|word list|int|real|string|bool)\s+"
                     r"default \S+(?:\s+([\[(])(\S+), (\S+?)([\])]))?")
for line in listing.splitlines():
    m = head.match(line)
    if m:
        current = m.group(1)
        plugins[current] = (m.group(2), {})
        continue
    m = line_re.match(line)
    if m and current:
        rng = None
        if m.group(3):
            rng = (float(m.group(4)), float(m.group(5)), m.group(3) == "(", m.group(6) == ")")
        plugins[current][1][m.group(1)] = rng
if len(plugins) < 3:
    sys.exit("leadlab plugins listed fewer than 3 plugins:\n" + listing)


def close_to(a, b):
    return math.isclose(a, b, rel_tol=1e-5)


def number_branch(param_schema):
    """The numeric schema inside a parameter's single-value alternative."""
    single = param_schema["anyOf"][0]
    if single.get("type") == "array":  # list types: the item schema
        single = single["items"]
    if single.get("type") in ("integer", "number"):
        return single
    for alt in single["anyOf"]:
        if alt.get("type") in ("integer", "number"):
            return alt
    raise AssertionError("no numeric branch")


for name, (kind, params) in plugins.items():
    item = defs[kind]["anyOf"][-1]["properties"]
    if name not in item:
        fail(f"plugin {name} ({kind}) is missing from the schema")
        continue
    props = item[name]["anyOf"][0]["properties"]
    if set(props) != set(params):
        fail(f"{name}: schema params {sorted(props)} != plugins' {sorted(params)}")
    for pname, rng in params.items():
        if pname not in props or rng is None:
            continue
        lo, hi, lo_excl, hi_excl = rng
        num = number_branch(props[pname])
        for bound, excl, word in ((lo, lo_excl, "inimum"), (hi, hi_excl, "aximum")):
            key = ("exclusiveM" if excl else "m") + word
            other = ("m" if excl else "exclusiveM") + word
            if math.isinf(bound):
                if key in num or other in num:
                    fail(f"{name}.{pname}: an infinite bound should not be in the schema")
            elif key not in num or not close_to(num[key], bound) or other in num:
                fail(f"{name}.{pname}: expected {key} {bound}, schema has {num}")
        if "description" not in props[pname] or "default" not in props[pname]:
            fail(f"{name}.{pname}: no description or default in the schema")

# ---- committed specs must validate ----
specs = sorted(glob.glob(os.path.join(src, "experiments", "*.yaml")) +
               glob.glob(os.path.join(src, "bench", "specs", "*.yaml")))
if len(specs) < 3:
    sys.exit(f"found only {len(specs)} specs under {src}")
for path in specs:
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        fail(f"{os.path.relpath(path, src)}: {'.'.join(map(str, e.absolute_path))}: {e.message}")
    if not errors:
        print(f"ok: {os.path.relpath(path, src)} validates")

# ---- specs written here: the schema and `leadlab validate` must agree ----
BASE = """name: case
data: {synth: {rows: 200, seed: 1}, target: buy, positive: "1", id: id}
output: {dir: out}
"""


def run_case(label, body):
    folder = os.path.join(work, label)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "spec.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(body)
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    schema_ok = validator.is_valid(doc)
    res = subprocess.run([leadlab, "validate", path], capture_output=True, text=True,
                         check=False)
    return schema_ok, res


# Every section and kind of value the reader takes: the schema must not refuse what leadlab
# accepts (grids, list-typed params, words in place of numbers, 1e-3, yes/no, a bare scalar
# where a list is allowed).
GOOD = BASE + """features:
  drop: created_at
  columns:
    products_purchased: {fill: 0, missing_flag: yes}
    signup_date: {date: [year, dayofweek, weekofyear], fill: 0, missing_flag: true}
    campaign_var_1: {onehot: [1, 2, 3]}
    campaign_var_2: {onehot: false, fill: 1.5e0}
  derived:
    span: {days_between: [signup_date, created_at], fill: -1}
    act: {sum: [user_activity_var_1, user_activity_var_2], missing_flag: false}
    pair: {count: campaign_var_1}
    share: {frequency: [campaign_var_1, campaign_var_2]}
    rate: {target: campaign_var_2, smoothing: 2.5, fill: 0, missing_flag: true}
    rate_default: {target: [campaign_var_1, campaign_var_2]}
preprocess: {scale: none}
cv: {folds: 3, repeats: 2, seed: 0, stratified: true}
samplers:
  - none
  - smote: {k: [3, 5], ratio: 0.5, binary_columns: round}
  - undersample:
models:
  - logreg: {C: [0.1, 1e3], class_weight: balanced, tol: 1e-6}
  - dnn: {hidden: [[8], [4, 4], []], lr: 1e-3, batchnorm: false, epochs: 1}
  - bagging: {max_depth: [none, 3], max_features: sqrt, n_estimators: 2}
  - svm: {gamma: [scale, 0.5], kernel: linear}
  - knn
metrics: f1
threshold: {tune: f1, folds: 2, fixed: 0.4}
threads: 2
report: {sort: pr_auc}
isolation: process
limits: {cell_seconds: 60, cell_memory_mb: 512.5}
importances: {method: permutation, repeats: 2, max_rows: 100}
"""
schema_ok, res = run_case("good", GOOD)
if res.returncode != 0:
    fail(f"the all-sections spec: leadlab validate exited {res.returncode}: "
         f"{res.stderr.strip()}")
elif not schema_ok:
    doc = yaml.safe_load(GOOD)
    for e in validator.iter_errors(doc):
        fail(f"the all-sections spec: schema: {list(e.absolute_path)}: {e.message}")
else:
    print("ok: the all-sections spec is valid for both")

# Random search: every distribution form, and grid lists beside them (drawn as choices).
SEARCH = BASE + """features:
  drop: [created_at, signup_date]
  columns: {products_purchased: {fill: 0}}
samplers:
  - smote: {k: {int: [3, 7]}}
models:
  - logreg: {C: {loguniform: [1e-3, 10]}, class_weight: {choice: [none, balanced]}}
  - sgb: {learning_rate: {uniform: [0.01, 0.3]}, max_depth: [2, 3], max_features: {choice: [sqrt, 0.5]}}
  - dnn: {hidden: {choice: [[8], [4, 4]]}, batchnorm: {choice: [true, false]}, epochs: 1}
  - knn
search: {method: random, trials: 3, seed: 5}
"""
schema_ok, res = run_case("search", SEARCH)
if res.returncode != 0:
    fail(f"the random-search spec: leadlab validate exited {res.returncode}: "
         f"{res.stderr.strip()}")
elif not schema_ok:
    for e in validator.iter_errors(yaml.safe_load(SEARCH)):
        fail(f"the random-search spec: schema: {list(e.absolute_path)}: {e.message}")
else:
    print("ok: the random-search spec is valid for both")

# Time-ordered folds, both forms.
for label, cv in (("forward-chaining", "{method: time, column: created_at, folds: 2}"),
                  ("holdout", "{method: time, column: created_at, holdout: 0.25, seed: 1}")):
    body = (BASE + "features: {drop: [created_at, signup_date], columns: "
            "{products_purchased: {fill: 0}}}\nmodels: [logreg]\ncv: " + cv + "\n")
    schema_ok, res = run_case("time_" + label, body)
    if res.returncode != 0:
        fail(f"the {label} spec: leadlab validate exited {res.returncode}: "
             f"{res.stderr.strip()}")
    elif not schema_ok:
        for e in validator.iter_errors(yaml.safe_load(body)):
            fail(f"the {label} spec: schema: {list(e.absolute_path)}: {e.message}")
    else:
        print(f"ok: the {label} spec is valid for both")

MODELS = "models: [logreg]\n"
RANDOM = "search: {method: random, trials: 3}\n"
BAD = {
    "unknown top-level key": BASE + MODELS + "treshold: 0.5\n",
    "misspelled model parameter": BASE + "models:\n  - knn: {kk: 5}\n",
    "parameter below its minimum": BASE + "models:\n  - knn: {k: 0}\n",
    "parameter at an exclusive bound": BASE + "models:\n  - dnn: {dropout: 1.0}\n",
    "grid item out of range": BASE + "models:\n  - sgb: {learning_rate: [0.1, 0]}\n",
    "wrong type for an integer": BASE + "models:\n  - sgb: {max_depth: deep}\n",
    "word not allowed": BASE + "models:\n  - knn: {weights: distanc}\n",
    "unknown sampler": BASE + MODELS + "samplers: [smoot]\n",
    "sampler used as a model": BASE + "models: [smote]\n",
    "cv folds 1": BASE + MODELS + "cv: {folds: 1}\n",
    "cv folds not a number": BASE + MODELS + "cv: {folds: five}\n",
    "unknown cv key": BASE + MODELS + "cv: {fold: 5}\n",
    "unknown cv method": BASE + MODELS + "cv: {method: random}\n",
    "time without a column": BASE + MODELS + "cv: {method: time}\n",
    "cv column without time": BASE + MODELS + "cv: {column: created_at}\n",
    "holdout without time": BASE + MODELS + "cv: {holdout: 0.2}\n",
    "holdout and folds": BASE + MODELS +
        "cv: {method: time, column: created_at, holdout: 0.2, folds: 3}\n",
    "holdout out of (0, 1)": BASE + MODELS + "cv: {method: time, column: created_at, holdout: 1}\n",
    "time with repeats": BASE + MODELS + "cv: {method: time, column: created_at, repeats: 2}\n",
    "time and stratified": BASE + MODELS +
        "cv: {method: time, column: created_at, stratified: true}\n",
    "threshold out of (0, 1)": BASE + MODELS + "threshold: 1.5\n",
    "unknown metric": BASE + MODELS + "metrics: [f1, auc]\n",
    "limits without process isolation": BASE + MODELS +
        "isolation: none\nlimits: {cell_seconds: 5}\n",
    "onehot and date together": BASE + MODELS +
        "features: {columns: {signup_date: {onehot: true, date: [year]}}}\n",
    "two derived kinds": BASE + MODELS +
        "features: {derived: {x: {sum: [a, b], count: [a]}}}\n",
    "smoothing without target": BASE + MODELS +
        "features: {derived: {x: {count: [a], smoothing: 5}}}\n",
    "target smoothing 0": BASE + MODELS +
        "features: {derived: {x: {target: [a], smoothing: 0}}}\n",
    "empty grid": BASE + "models:\n  - knn: {k: []}\n",
    "train and synth": "name: case\ndata: {train: a.csv, synth: {rows: 200}, target: buy}\n"
        + MODELS,
    "synth rows below 100": BASE.replace("rows: 200", "rows: 50") + MODELS,
    "list param given a scalar": BASE + "models:\n  - dnn: {hidden: 64}\n",
    "bad importances method": BASE + MODELS + "importances: shap\n",
    "uniform bound out of range": BASE + RANDOM +
        "models:\n  - sgb: {learning_rate: {uniform: [0.1, 2]}}\n",
    "unknown distribution": BASE + RANDOM + "models:\n  - logreg: {C: {unifrom: [1, 2]}}\n",
    "uniform on a word parameter": BASE + RANDOM +
        "models:\n  - logreg: {class_weight: {uniform: [0, 1]}}\n",
    "int on a real parameter": BASE + RANDOM + "models:\n  - logreg: {C: {int: [1, 5]}}\n",
    "search trials 0": BASE + MODELS + "search: {method: random, trials: 0}\n",
    "random search without trials": BASE + MODELS + "search: {method: random}\n",
    "trials for a grid": BASE + MODELS + "search: {method: grid, trials: 5}\n",
    "halving without select": BASE + MODELS + "search: {method: halving}\n",
    "factor for random search": BASE + MODELS + "search: {method: random, trials: 3, factor: 3}\n",
    "select inner folds 1": BASE + MODELS + "select: {inner_folds: 1}\n",
}
for label, body in BAD.items():
    schema_ok, res = run_case(re.sub(r"\W+", "_", label), body)
    line = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else ""
    if schema_ok:
        fail(f"{label}: the schema accepts it")
    if res.returncode != 2:
        fail(f"{label}: leadlab validate exited {res.returncode}, not 2 ({line})")
    if not schema_ok and res.returncode == 2:
        print(f"ok: {label}: rejected by both ({line})")

if failures:
    sys.exit(f"{len(failures)} failure(s)")
print("schema check passed")
