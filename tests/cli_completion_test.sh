#!/bin/sh
# completion/leadlab.bash driven as bash drives it (COMP_WORDS, COMP_CWORD, then _leadlab):
# every option `leadlab help COMMAND` prints is offered after a dash, and operands and option
# values complete to the right kind of file or word.
#
# Usage: cli_completion_test.sh LEADLAB SOURCE_DIR WORK_DIR
# Exits 77 (CTest: skipped, never passed) without bash.
command -v bash >/dev/null 2>&1 || { echo "SKIP: no bash"; exit 77; }
exec bash -s -- "$@" <<'BASH'
set -u
leadlab=$1
src=$2
work=$3
rm -rf "$work" && mkdir -p "$work/sub" && cd "$work" || exit 1
touch a.yaml b.csv m.llm p.so notes.txt
source "$src/completion/leadlab.bash" || { echo "FAIL: cannot source the completion"; exit 1; }
status=0

# complete WORD... : the completions of the last word, sorted, one line
complete_words()
{
    COMP_WORDS=("$@")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    _leadlab
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect()
{
    local want=$1
    shift
    local got
    got=$(complete_words "$@")
    if [[ $got != "$want" ]]; then
        echo "FAIL: '$*': got '$got', expected '$want'"
        status=1
    fi
}

expect "run" leadlab ru
expect "check-plugin" leadlab che
expect "a.yaml sub" leadlab run ""
expect "a.yaml sub" leadlab validate ""
expect "a.yaml sub" leadlab fit --best ""
expect "m.llm sub" leadlab predict --model ""
expect "b.csv sub" leadlab predict --model m.llm --test ""
expect "b.csv sub" leadlab init ""
expect "a.yaml sub" leadlab init b.csv --out ""
expect "m.llm sub" leadlab fit a.yaml --out ""
expect "p.so sub" no-such-leadlab check-plugin ""
# plugin names from the leadlab being completed, beside .so files
expect "knn" "$leadlab" check-plugin kn
expect "bagging dnn knn logreg none p.so ridge sgb smote sub svm undersample" \
    "$leadlab" check-plugin ""
expect "pr_auc precision precision_at_0.1" leadlab run a.yaml --sort p
expect "pr_auc precision precision_at_0.1" leadlab run a.yaml --sort = p
expect "balanced_accuracy brier" leadlab run a.yaml --sort b
expect "none process" leadlab run a.yaml --isolation ""
expect "--fresh" leadlab run a.yaml --fr
expect "a.yaml sub" leadlab run -- ""
expect "" leadlab run -- -
expect "" leadlab run -j ""
expect "--rank" leadlab predict --model m.llm --ra
expect "" leadlab predict --model m.llm --top ""
expect "sub" leadlab status ""
expect "synth" leadlab help sy

# Every option of every command, as its help prints them.
commands=$("$leadlab" help | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 { print $1 }')
n=0
for cmd in $commands; do
    [[ $cmd == help ]] && continue
    offered=" $(complete_words leadlab "$cmd" -) "
    for opt in $("$leadlab" help "$cmd" | sed -n '/^options:/,/^$/p' |
                 grep -o -e '--[a-z][a-z-]*' -e '^  -[a-zA-Z]' | tr -d ' ' | sort -u); do
        n=$((n + 1))
        if [[ $offered != *" $opt "* ]]; then
            echo "FAIL: leadlab help $cmd prints $opt, the completion does not offer it"
            status=1
        fi
    done
done
(( n > 20 )) || { echo "FAIL: only $n options found in the help"; exit 1; }
(( status == 0 )) && echo "ok: $n options of $(echo $commands | wc -w) commands offered"
exit $status
BASH
