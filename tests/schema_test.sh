#!/bin/sh
# `leadlab schema` against the independent validator python3-jsonschema (tests/schema_check.py):
# committed specs validate, and mistakes the schema flags are refused by `leadlab validate` too.
#
# Usage: schema_test.sh LEADLAB SOURCE_DIR WORK_DIR
# Exits 77 (CTest: skipped, never passed) without python3, jsonschema or yaml (Debian:
# python3-jsonschema python3-yaml).
set -u
leadlab=$1
src=$2
work=$3

python=$(command -v python3 || true)
if [ -z "$python" ]; then
    echo "SKIP: no python3"
    exit 77
fi
if ! "$python" -c 'import jsonschema, yaml' 2>/dev/null; then
    echo "SKIP: python3 lacks jsonschema or yaml (Debian: apt-get install python3-jsonschema python3-yaml)"
    exit 77
fi
rm -rf "$work"
mkdir -p "$work" || exit 1
exec "$python" "$src/tests/schema_check.py" "$leadlab" "$src" "$work"
