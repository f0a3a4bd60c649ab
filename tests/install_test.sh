#!/bin/sh
# Installs the build into a temporary prefix, builds a plugin outside the tree with
# pkg-config's leadlab.pc, and checks that the installed leadlab finds both kinds of plugin.
set -eu
build_dir=$1
source_dir=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
mkdir "$prefix/my_plugins"
# shellcheck disable=SC2046
cc -std=c11 -O2 -shared $(pkg-config --cflags leadlab) "$source_dir/tests/fixtures/flaky.c" \
   $(pkg-config --libs leadlab) -o "$prefix/my_plugins/flaky.so"
out=$(LEADLAB_PLUGIN_PATH="$prefix/my_plugins" "$prefix/bin/leadlab" plugins)
echo "$out" | grep -q "^flaky 0.0.1 (model" || { echo "out-of-tree plugin not listed:"; echo "$out"; exit 1; }
echo "$out" | grep -q "^logreg .*$prefix/lib/leadlab/plugins/logreg.so" || { echo "installed plugins not found:"; echo "$out"; exit 1; }
test -f "$prefix/include/leadlab/plugin.h"
echo "install test: ok"
