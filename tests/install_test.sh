#!/bin/sh
# CTest `install`: the plugin SDK as an author outside the tree meets it. Installs the build into
# a temporary prefix, and a second, minimal build of the same source with a multiarch libdir
# (lib/x86_64-linux-gnu) into another; against each, builds examples/plugins with pkg-config and
# its Makefile and with CMake's find_package, runs their tests, lists them with the installed
# leadlab and runs a small spec in which they sit next to built-ins. Against the first, it also
# extracts README.md's tutorial (the blocks marked <!-- tutorial: FILE -->) and runs it as
# written. Usage: install_test.sh BUILD_DIR SOURCE_DIR [SANITIZED (1 when built with LL_SANITIZE)]
set -eu
build_dir=$1
source_dir=$2
sanitized=${3:-0}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/leadlab-install.XXXXXX")
tmp=$(cd "$tmp" && pwd -P) # the installed leadlab reports resolved paths
step="starting"
finish() {
    rc=$?
    [ "$rc" -eq 0 ] || echo "install test: FAILED while $step" >&2
    rm -rf "$tmp"
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "install test: $*" >&2
    exit 1
}

# Runs a command with its output in a log, shown only when it fails.
quiet() {
    if ! "$@" >"$tmp/command.log" 2>&1; then
        cat "$tmp/command.log" >&2
        fail "this failed: $*"
    fi
}

same_dir() { # what, got, expected
    if [ ! -d "$2" ] || [ "$(cd "$2" && pwd -P)" != "$(cd "$3" && pwd -P)" ]; then
        fail "$1 is '$2', expected $3"
    fi
}

# The project's own warnings, as errors: the SDK headers and examples are held to them.
warn="-Wall -Wextra -Wpedantic -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Werror"
san="-fsanitize=address,undefined"

# Only leadlab_plugin may be exported: the helper library and the plugin's own code stay hidden.
check_exports() {
    for so in "$@"; do
        syms=$(nm -D --defined-only "$so" | awk '{print $NF}')
        [ "$syms" = leadlab_plugin ] || fail "$so exports more than leadlab_plugin: $syms"
    done
}

# check_prefix PREFIX LIBDIR LABEL SANITIZED: everything an author uses, against one install.
check_prefix() {
    prefix=$1 libdir=$2 label=$3 sanitized=$4
    work=$tmp/$label
    mkdir -p "$work"
    plugdir=$prefix/$libdir/leadlab/plugins
    flags=$warn
    ldflags=
    if [ "$sanitized" = 1 ]; then # the helper library was built with the sanitizers
        flags="$warn $san"
        ldflags=$san
    fi

    step="checking the files installed into $prefix ($label)"
    for f in bin/leadlab include/leadlab/plugin.h include/leadlab/rng.h \
             "$libdir/libleadlab_plugin.a" "$libdir/pkgconfig/leadlab.pc" \
             "$libdir/cmake/leadlab/leadlabConfig.cmake" \
             "$libdir/cmake/leadlab/leadlabConfigVersion.cmake" \
             "$libdir/leadlab/plugins/logreg.so" "$libdir/leadlab/plugins/none.so"; do
        [ -f "$prefix/$f" ] || fail "$label: $prefix/$f was not installed"
    done
    for h in "$source_dir"/plugins/common/*.h; do
        [ -f "$prefix/include/leadlab/sdk/${h##*/}" ] || fail "$label: sdk/${h##*/} not installed"
    done

    step="reading leadlab.pc ($label)"
    export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
    same_dir "leadlab.pc's folder" "$(pkg-config --variable=pcfiledir leadlab)" \
        "$prefix/$libdir/pkgconfig"
    same_dir "leadlab.pc's prefix" "$(pkg-config --variable=prefix leadlab)" "$prefix"
    same_dir "leadlab.pc's libdir" "$(pkg-config --variable=libdir leadlab)" "$prefix/$libdir"
    same_dir "leadlab.pc's includedir" "$(pkg-config --variable=includedir leadlab)" \
        "$prefix/include"
    same_dir "leadlab.pc's plugindir" "$(pkg-config --variable=plugindir leadlab)" "$plugdir"

    step="compiling plugin.h, rng.h and each SDK header on its own ($label)"
    for h in "$prefix"/include/leadlab/plugin.h "$prefix"/include/leadlab/rng.h \
        "$prefix"/include/leadlab/sdk/*.h; do
        printf '#include <leadlab/%s>\n' "${h#"$prefix"/include/leadlab/}" >"$work/header.c"
        # shellcheck disable=SC2046,SC2086
        quiet cc -std=c11 $warn $(pkg-config --cflags leadlab) -fsyntax-only "$work/header.c"
    done

    step="building the examples with pkg-config and their Makefile ($label)"
    mkdir "$work/make"
    (cd "$work/make" &&
        quiet make -f "$source_dir/examples/plugins/Makefile" CFLAGS="-O2 $flags" \
            LDFLAGS="$ldflags" all test)
    check_exports "$work/make/gnb.so" "$work/make/ros.so"

    step="building the examples with CMake and find_package(leadlab) ($label)"
    quiet cmake -S "$source_dir/examples/plugins" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
        -DCMAKE_MODULE_LINKER_FLAGS="$ldflags"
    found=$(sed -n 's/^leadlab_DIR:PATH=//p' "$work/cmake/CMakeCache.txt")
    same_dir "find_package(leadlab)'s leadlab_DIR" "$found" "$prefix/$libdir/cmake/leadlab"
    quiet cmake --build "$work/cmake"
    quiet ctest --test-dir "$work/cmake" --output-on-failure
    check_exports "$work/cmake/gnb.so" "$work/cmake/ros.so"

    step="listing plugins with the installed leadlab ($label)"
    for dir in "$work/make" "$work/cmake"; do
        out=$(LEADLAB_PLUGIN_PATH=$dir "$prefix/bin/leadlab" plugins)
        want="search path: $dir $(cd "$plugdir" && pwd -P)"
        [ "$(echo "$out" | head -n 1)" = "$want" ] ||
            fail "$label: expected '$want', got: $(echo "$out" | head -n 1)"
        echo "$out" | grep -q "^gnb 1.0.0 (model, $dir/gnb.so)$" || fail "$label: gnb not listed: $out"
        echo "$out" | grep -q "^ros 1.0.0 (sampler, $dir/ros.so)$" || fail "$label: ros not listed: $out"
        # Every built-in, each from the install's plugin folder, nothing from a build tree.
        builtins=0
        for so in "$plugdir"/*.so; do
            name=${so##*/}
            echo "$out" | grep -q "^${name%.so} [^ ]* ([a-z]*, $(cd "$plugdir" && pwd -P)/$name)$" ||
                fail "$label: built-in ${name%.so} not listed from $plugdir: $out"
            builtins=$((builtins + 1))
        done
        listed=$(echo "$out" | grep -c '^[a-z0-9_-]* [^ ]* (\(model\|sampler\), ' || true)
        [ "$listed" -eq $((builtins + 2)) ] ||
            fail "$label: $listed plugins listed, expected the install's $builtins and gnb, ros: $out"
    done

    step="check-plugin on the examples with the installed leadlab ($label)"
    for so in "$work/make/gnb.so" "$work/make/ros.so"; do
        quiet "$prefix/bin/leadlab" check-plugin "$so" -j 2
        ! grep -q '^FAIL' "$tmp/command.log" || fail "$label: check-plugin $so: $(cat "$tmp/command.log")"
    done

    step="running a spec with gnb and ros next to built-ins ($label)"
    mkdir "$work/run"
    cat >"$work/run/spec.yaml" <<EOF
name: sdk
data:
  synth: {rows: 2000, seed: 1}
  target: buy
  positive: "1"
  id: id
features:
  drop: [signup_date, created_at]
  columns:
    products_purchased: {fill: 0, missing_flag: true}
    campaign_var_1: {onehot: true}
preprocess: {scale: zscore}
cv: {folds: 3, seed: 1}
plugin_path: [$work/make]
samplers: [none, ros: {ratio: 0.5}]
models: [logreg, gnb, gnb: {priors: [0.9, 0.1]}]
output: {dir: out}
EOF
    quiet "$prefix/bin/leadlab" run "$work/run/spec.yaml" -j 2
    board=$work/run/out/leaderboard.csv
    for model in logreg gnb '"gnb(priors=[0.9, 0.1])"'; do
        for sampler in none 'ros(ratio=0.5)'; do
            grep -qF ",$model,$sampler,3,0," "$board" ||
                fail "$label: no row $model × $sampler of 3 cells, none failed: $(cat "$board")"
        done
    done
    # ros's counts as the host saw them: round(0.5 * negatives) positives after resampling.
    awk -F, '$1 == "logreg" && $2 == "ros(ratio=0.5)" {
                 n++; neg = $7 - $8
                 if ($10 != int(0.5 * neg + 0.5) || $9 != neg + $10) bad = bad " fold " $4 ": " $0
             }
             END { if (n != 3 || bad != "") { print "ros cells: " n bad; exit 1 } }' \
        "$work/run/out/cells.csv" >&2 || fail "$label: ros did not reach ratio 0.5"
}

step="installing $build_dir"
prefix=$tmp/prefix
quiet cmake --install "$build_dir" --prefix "$prefix"
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
case $libdir in
/*) fail "$build_dir has an absolute CMAKE_INSTALL_LIBDIR ($libdir): nothing to relocate" ;;
esac
check_prefix "$prefix" "$libdir" default "$sanitized"

step="extracting the tutorial from README.md"
tut=$tmp/tutorial
mkdir "$tut"
awk -v dir="$tut" '
    /^<!-- tutorial: [A-Za-z0-9._-]+ -->$/ { name = $3; fence = 1; next }
    fence {
        if ($0 !~ /^```/) { print "no code block after <!-- tutorial: " name " -->"; exit 1 }
        fence = 0; out = dir "/" name; printf "" >out; next
    }
    out != "" && /^```$/ { close(out); out = ""; next }
    out != "" { print >out }' "$source_dir/README.md" >&2 || fail "README.md's tutorial markers"
for f in centroid.c build-pkgconfig.sh CMakeLists.txt build-cmake.sh centroid.yaml run.sh; do
    [ -s "$tut/$f" ] || fail "README.md has no block marked <!-- tutorial: $f -->"
done

step="compiling the tutorial's centroid.c with the project's warnings"
# shellcheck disable=SC2046,SC2086
quiet cc -std=c11 $warn $(pkg-config --cflags leadlab) -fsyntax-only "$tut/centroid.c"

step="running the tutorial as written: build-pkgconfig.sh, build-cmake.sh, run.sh"
(
    cd "$tut"
    export PATH="$prefix/bin:$PATH" CMAKE_PREFIX_PATH="$prefix" # PKG_CONFIG_PATH: the install's
    quiet sh -eu build-pkgconfig.sh
    grep -q "^centroid 1.0.0 (model, $tut/centroid.so)$" "$tmp/command.log" ||
        fail "the tutorial's build-pkgconfig.sh did not list centroid: $(cat "$tmp/command.log")"
    quiet sh -eu build-cmake.sh
    quiet sh -eu run.sh
)
check_exports "$tut/centroid.so" "$tut/build/centroid.so"
step="check-plugin on the tutorial's centroid.so"
quiet "$prefix/bin/leadlab" check-plugin "$tut/centroid.so" -j 2
grep -q '^[0-9]*,"*centroid' "$tut/results/leaderboard.csv" ||
    fail "the tutorial's run has no centroid row: $(cat "$tut/results/leaderboard.csv")"

# A second build of the same source, as small as it gets, for a Debian-style multiarch libdir.
multiarch=lib/x86_64-linux-gnu
step="building the source with CMAKE_INSTALL_LIBDIR=$multiarch"
quiet cmake -S "$source_dir" -B "$tmp/build-multiarch" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_INSTALL_LIBDIR=$multiarch -DLL_BUILD_TESTS=OFF -DLL_BUILD_BENCH=OFF -DLL_MPI=OFF
quiet cmake --build "$tmp/build-multiarch" -j 2
step="installing the $multiarch build"
quiet cmake --install "$tmp/build-multiarch" --prefix "$tmp/prefix-multiarch"
check_prefix "$tmp/prefix-multiarch" "$multiarch" multiarch OFF

step="done"
echo "install test: ok (prefixes with libdir $libdir and $multiarch, the examples both ways, the README tutorial)"
