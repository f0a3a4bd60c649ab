#!/bin/sh
# report.html in a real browser: a small synthetic run (3 samplers x 4 model configs, tuned
# cut), its page rendered by headless Chromium. The page must load without console messages,
# every section and chart must be in the rendered DOM with drawn content, the page must
# reference nothing outside itself, and the 1366x900 screenshot must not be blank
# (tests/html_check.py). The screenshots stay in OUT_DIR for people to look at.
#
# Usage: html_test.sh LEADLAB SOURCE_DIR OUT_DIR
# Exits 77 (CTest: skipped, never passed) without Chromium (Debian: chromium-headless-shell or
# chromium) or python3.
set -u
leadlab=$1
src=$2
out=$3

browser=""
for candidate in chromium-headless-shell chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser=$(command -v "$candidate")
        break
    fi
done
if [ -z "$browser" ]; then
    echo "SKIP: no Chromium found (Debian: apt-get install chromium-headless-shell)"
    exit 77
fi
python=$(command -v python3 || true)
if [ -z "$python" ]; then
    echo "SKIP: no python3 to read the rendered page and the screenshot"
    exit 77
fi
fail() {
    echo "FAIL: $*"
    exit 1
}
# A browser that hangs must fail the test, not stall CTest until its timeout.
run_browser() {
    if command -v timeout >/dev/null 2>&1; then
        timeout 120 "$browser" "$@"
    else
        "$browser" "$@"
    fi
}

rm -rf "$out"
mkdir -p "$out" || fail "cannot create $out"
cat >"$out/spec.yaml" <<'EOF'
name: browser
data: {synth: {rows: 4000, seed: 11}, target: buy, id: id}
features: {drop: [created_at, signup_date], columns: {products_purchased: {fill: 0}}}
preprocess: {scale: zscore}
cv: {folds: 4, seed: 5}
samplers:
  - none
  - undersample: {ratio: 1.0}
  - smote: {k: 5, ratio: 0.5}
models:
  - logreg: {C: [0.1, 1.0]}
  - knn: {k: 15}
  - ridge
threshold: {tune: f1, folds: 2, fixed: 0.5}
output: {dir: run}
EOF
"$leadlab" run "$out/spec.yaml" -j 2 >"$out/run.out" 2>"$out/run.err" ||
    fail "leadlab run: $(cat "$out/run.err")"
report="$out/run/report.html"
[ -s "$report" ] || fail "no $report"
grep -q "^Report: .*/report.html$" "$out/run.out" || fail "leadlab run does not name report.html"

url="file://$report"
flags="--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
       --disable-extensions --user-data-dir=$out/profile"
# shellcheck disable=SC2086 # flags are words
run_browser $flags --enable-logging=stderr --v=0 --dump-dom "$url" \
    >"$out/dom.html" 2>"$out/browser.log" || fail "chromium --dump-dom failed: $(tail -5 "$out/browser.log")"
# The page has no script: any console line (an error, a blocked load) is a defect.
if grep -E "CONSOLE|Uncaught|Not allowed to load" "$out/browser.log"; then
    fail "console messages while rendering $report"
fi
# shellcheck disable=SC2086
run_browser $flags --window-size=1366,900 --screenshot="$out/report.png" "$url" \
    >>"$out/browser.log" 2>&1 || fail "chromium --screenshot failed"
# shellcheck disable=SC2086
run_browser $flags --window-size=1366,5800 --screenshot="$out/report-full.png" "$url" \
    >>"$out/browser.log" 2>&1 || fail "chromium --screenshot (full page) failed"
[ -s "$out/report.png" ] || fail "no screenshot"

"$python" "$src/html_check.py" page "$report" "$out/dom.html" || fail "the rendered page"
"$python" "$src/html_check.py" png "$out/report.png" || fail "the screenshot"
echo "ok: $report rendered by $browser"
echo "screenshots: $out/report.png (1366x900), $out/report-full.png (the whole page)"
