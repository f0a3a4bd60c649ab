#!/usr/bin/env bash
# Builds leadlab's libFuzzer harnesses with clang (-DLL_FUZZ=ON) into BUILD_DIR and runs each
# for SECONDS on a fresh copy of its seed corpus (tests/fuzz/corpus_*; the committed seeds are
# never modified).
#
#   bash tests/fuzz/run.sh SECONDS BUILD_DIR        CI: bash tests/fuzz/run.sh 60 build-fuzz
#
# Exit status: 0 when no harness found anything; 1 when one found a crash, a leak, a timeout
# (-timeout=10) or ran out of memory (-rss_limit_mb=2048): its report, the reproducer's path and
# the commands to replay and minimise it are printed; 2 on a usage, toolchain or build error.
# Needs clang with libFuzzer and OpenMP (Debian: clang-14 libclang-rt-14-dev libomp-14-dev,
# and llvm-14 for symbolized stacks). CC may name the clang to use.
# LL_FUZZ_PARALLEL=1 runs the harnesses at the same time (one core each) instead of in turn.
set -uo pipefail

usage() {
    echo "usage: bash tests/fuzz/run.sh SECONDS BUILD_DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
seconds=$1
build=$2
case $seconds in '' | *[!0-9]*) usage ;; esac
[ "$seconds" -gt 0 ] || usage
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$build" && build=$(cd "$build" && pwd)

fail_tool() {
    echo "fuzz: $*" >&2
    echo "fuzz: Debian packages: clang-14 libclang-rt-14-dev libomp-14-dev llvm-14" >&2
    exit 2
}

# ---- clang with libFuzzer ----
cc=""
if [ -n "${CC:-}" ] && "$CC" --version 2>/dev/null | grep -qi clang; then
    cc=$CC
else
    [ -n "${CC:-}" ] && echo "fuzz: CC=$CC is not clang; looking for clang"
    for candidate in clang clang-14 clang-15 clang-16 clang-17 clang-18 clang-19; do
        if command -v "$candidate" >/dev/null 2>&1; then
            cc=$(command -v "$candidate")
            break
        fi
    done
fi
[ -n "$cc" ] || fail_tool "clang not found (libFuzzer needs clang)"
probe=$(mktemp -d)
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
    >"$probe/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" \
    >"$probe/log" 2>&1; then
    cat "$probe/log" >&2
    rm -rf "$probe"
    fail_tool "$cc cannot link a libFuzzer harness (libFuzzer's runtime is missing)"
fi
rm -rf "$probe"
echo "fuzz: $("$cc" --version | head -n 1)"

# Symbolized stacks: the sanitizers look for llvm-symbolizer, which sits beside clang.
clang_dir=$(dirname "$(readlink -f "$(command -v "$cc")")")
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x "$clang_dir/llvm-symbolizer" ]; then
    export ASAN_SYMBOLIZER_PATH=$clang_dir/llvm-symbolizer
fi
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

# ---- build ----
echo "fuzz: building the harnesses in $build"
if ! cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DLL_FUZZ=ON -DLL_MPI=OFF \
    -DLL_NATIVE=OFF -DLL_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/fuzz-configure.log" 2>&1; then
    cat "$build/fuzz-configure.log" >&2
    echo "fuzz: configuring failed" >&2
    exit 2
fi
if ! cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target fuzz_dataset fuzz_spec fuzz_model \
    >"$build/fuzz-build.log" 2>&1; then
    tail -n 60 "$build/fuzz-build.log" >&2
    echo "fuzz: building failed" >&2
    exit 2
fi

# ---- fuzz ----
# run_one NAME DICT MAX_LEN: fuzzes $build/fuzz/fuzz_NAME on a copy of corpus_NAME; writes its verdict
# to $work/verdict (ok or failed) and its summary to $work/summary.
run_one() {
    local name=$1 dict=$2 max_len=$3
    local exe=$build/fuzz/fuzz_$name work=$build/fuzz/run-$name
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$here/corpus_$name"/* "$work/corpus/"
    local status=0
    "$exe" -max_total_time="$seconds" -print_final_stats=1 -dict="$here/$dict" \
        -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" -artifact_prefix="$work/artifacts/" \
        "$work/corpus" >"$work/fuzz.log" 2>&1 || status=$?
    local runs cov
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$work/fuzz.log" | tail -n 1)
    local findings
    findings=$(find "$work/artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
        -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
    if [ "$status" -eq 0 ] && [ -z "$findings" ]; then
        echo ok >"$work/verdict"
        echo "fuzz_$name: ${seconds} s, ${runs:-?} runs, ${cov:-cov: ?}: no crash, leak, timeout or OOM" \
            >"$work/summary"
    else
        echo failed >"$work/verdict"
        {
            echo "fuzz_$name: FAILED (exit status $status) after ${runs:-?} runs, ${cov:-cov: ?}"
            echo "---- last lines of $work/fuzz.log ----"
            tail -n 80 "$work/fuzz.log"
            echo "----"
            if [ -n "$findings" ]; then
                for f in $findings; do
                    echo "fuzz_$name: reproducer: $f"
                    echo "  replay:   $exe $f"
                    echo "  minimise: $exe -minimize_crash=1 -runs=20000 -artifact_prefix=$work/artifacts/min- $f"
                done
            else
                echo "fuzz_$name: no reproducer was written; see $work/fuzz.log"
            fi
        } >"$work/summary"
    fi
}

names=(dataset spec model)
dicts=(csv.dict spec.dict model.dict)
max_lens=(8192 8192 65536) # a model seed (a few trees) is larger than a CSV or spec seed
echo "fuzz: running each harness for $seconds s"
if [ "${LL_FUZZ_PARALLEL:-0}" = 1 ]; then
    pids=()
    for i in "${!names[@]}"; do
        run_one "${names[$i]}" "${dicts[$i]}" "${max_lens[$i]}" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
else
    for i in "${!names[@]}"; do run_one "${names[$i]}" "${dicts[$i]}" "${max_lens[$i]}"; done
fi

passed=0
failed=0
for name in "${names[@]}"; do
    work=$build/fuzz/run-$name
    cat "$work/summary"
    if [ "$(cat "$work/verdict" 2>/dev/null)" = ok ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
