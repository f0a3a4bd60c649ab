#!/bin/sh
# Regenerates the model-file seeds in tests/fuzz/corpus_model/ with a built leadlab: one small
# model per built-in model plugin (and two calibrated ones), on 150 synthetic rows through every
# kind of transform, learned encodings and their fitted tables included. Run it when the model
# file format changes; format2_*.llm are older files kept on purpose (the reader of formats 1
# and 2) and are left alone.
#
#   sh tests/fuzz/model_seeds.sh build/leadlab
set -eu
[ $# -eq 1 ] || { echo "usage: sh tests/fuzz/model_seeds.sh LEADLAB" >&2; exit 2; }
leadlab=$1
out=$(cd "$(dirname "$0")" && pwd)/corpus_model
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/spec.yaml" <<'EOF'
name: seeds
data: {synth: {rows: 150, seed: 11}, target: buy, positive: "1", id: id}
features:
  columns:
    products_purchased: {fill: 0, missing_flag: true}
    signup_date: {date: [year, month], fill: 0, missing_flag: true}
    created_at: {date: [month, dayofweek]}
    campaign_var_1: {onehot: true}
  derived:
    signup_to_lead_days: {days_between: [signup_date, created_at], fill: -1}
    same_campaign: {count: [campaign_var_1, campaign_var_2]}
    campaign_share: {frequency: campaign_var_2}
    campaign_rate: {target: [campaign_var_1, campaign_var_2], smoothing: 5}
    products_rate: {target: products_purchased, fill: -1, missing_flag: true}
preprocess: {scale: zscore}
cv: {folds: 3, seed: 5}
samplers: [none]
models:
  - logreg
  - ridge
  - knn: {k: 3}
  - svm: {kernel: [linear, rbf]}
  - bagging: {n_estimators: 3, max_depth: 3}
  - sgb: {n_estimators: [4, 5], max_depth: 2}
  - dnn: {hidden: [4], epochs: 3}
calibrate: {method: [none, isotonic, sigmoid], folds: 3}
output: {dir: out}
EOF
fit() {
    "$leadlab" fit "$tmp/spec.yaml" --config "$2" --sampler none --out "$out/$1.llm"
}
fit logreg "logreg"
fit logreg_isotonic "logreg [isotonic]"
fit ridge "ridge"
fit knn "knn(k=3)"
fit svm_linear "svm(kernel=linear)"
fit svm_rbf "svm(kernel=rbf)"
fit bagging "bagging(n_estimators=3,max_depth=3)"
fit sgb "sgb(n_estimators=4,max_depth=2)"
fit sgb_sigmoid "sgb(n_estimators=5,max_depth=2) [sigmoid]"
fit dnn "dnn(hidden=[4],epochs=3)"
