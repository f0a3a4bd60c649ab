#!/bin/sh
# doc/leadlab.1 against the help the binary prints: every command `leadlab help` lists has a
# section, and every option `leadlab help COMMAND` prints is in that command's section, so the
# man page cannot drift from the command table (core/cli_options.c).
#
# Usage: cli_man_test.sh LEADLAB SOURCE_DIR
set -u
leadlab=$1
page=$2/doc/leadlab.1
[ -r "$page" ] || { echo "FAIL: no $page"; exit 1; }

# The page as text: groff's \- is a plain -, font changes dropped.
plain=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page") || exit 1
commands=$("$leadlab" help | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 { print $1 }')
[ -n "$commands" ] || { echo "FAIL: leadlab help listed no commands"; exit 1; }

status=0
n_options=0
for cmd in $commands; do
    # the command's section, and in it the option headings (the line after each .TP)
    section=$(printf '%s\n' "$plain" |
        awk -v c="$cmd" '/^\.S[SH] / { on = ($0 == ".SS \"" c "\"") } on')
    headings=$(printf '%s\n' "$section" | awk 'previous == ".TP" { print } { previous = $0 }')
    if [ -z "$section" ]; then
        echo "FAIL: the man page has no section '.SS \"$cmd\"'"
        status=1
        continue
    fi
    help=$("$leadlab" help "$cmd") || { echo "FAIL: leadlab help $cmd failed"; exit 1; }
    options=$(printf '%s\n' "$help" | sed -n '/^options:/,/^$/p' |
        grep -o -e '--[a-z][a-z-]*' -e '^  -[a-zA-Z]' | tr -d ' ' | sort -u)
    for opt in $options; do
        n_options=$((n_options + 1))
        # as a word: --out must not be satisfied by --outdir
        if ! printf '%s\n' "$headings" | grep -q -e "\(^\|[^a-z-]\)$opt\([^a-z-]\|$\)"; then
            echo "FAIL: leadlab help $cmd prints $opt, its man page section has no entry for it"
            status=1
        fi
    done
done
[ "$n_options" -gt 20 ] || { echo "FAIL: only $n_options options found in the help"; exit 1; }
[ $status -eq 0 ] && echo "ok: $(echo $commands | wc -w) commands, $n_options options"
exit $status
