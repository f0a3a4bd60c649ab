# bash completion for leadlab, installed as share/bash-completion/completions/leadlab.
# The option lists repeat `leadlab help COMMAND`; tests/cli_completion_test.sh fails when
# they drift apart.

# Files ending in .EXT (and folders, to walk into) for the word being completed.
_leadlab_files()
{
    local cur=$1 ext=$2 line
    COMPREPLY=()
    while IFS= read -r line; do COMPREPLY+=("$line"); done < <(
        compgen -d -- "$cur"
        compgen -f -X "!*.$ext" -- "$cur")
    # Quote and slash-terminate what bash inserts (outside a completion, compopt refuses).
    compopt -o filenames 2>/dev/null
}

_leadlab_words()
{
    local cur=$1 line
    shift
    COMPREPLY=()
    while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -W "$*" -- "$cur")
}

# The names of the plugins the leadlab being completed finds (leadlab plugins).
_leadlab_plugins()
{
    local cur=$1 exe=$2 line
    while IFS= read -r line; do COMPREPLY+=("$line"); done < <(
        "$exe" plugins 2>/dev/null |
            sed -n 's/^\([A-Za-z0-9_.-]*\) [^ ]* (\(model\|sampler\), .*/\1/p' |
            grep -- "^$cur")
}

_leadlab()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev="" i
    local commands="run status show compare validate fit predict check-plugin plugins schema
                    init synth help"
    (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
    # bash splits --opt=value at '=' (COMP_WORDBREAKS): the option is then two words back.
    if [[ $cur == "=" ]]; then
        cur=""
    elif [[ $prev == "=" ]] && (( COMP_CWORD > 1 )); then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    elif [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        cur=${cur#*=}
    fi

    if (( COMP_CWORD == 1 )); then
        _leadlab_words "$cur" $commands --help --version
        return
    fi
    local cmd=${COMP_WORDS[1]} opts=""
    case $cmd in
        run) opts="-j --threads --set --fresh --isolation --sort -v --verbose -q --quiet" ;;
        status) opts="" ;;
        show) opts="--sort --width" ;;
        compare) opts="--html" ;;
        validate) opts="--set -j --threads --isolation --sort" ;;
        fit) opts="--config --sampler --best --out --set -j --threads" ;;
        predict) opts="--model --test --out --proba --rank --top --config --sampler --best --set
                       --plugin-path -j --threads" ;;
        check-plugin) opts="-j --threads" ;;
        plugins | schema) opts="--plugin-path" ;;
        init) opts="--target --positive --out --force" ;;
        synth) opts="--out --rows --seed" ;;
        help)
            (( COMP_CWORD == 2 )) && _leadlab_words "$cur" $commands
            return ;;
        *) return ;;
    esac
    opts="$opts -h --help"

    local operands_only=0
    for (( i = 2; i < COMP_CWORD; i++ )); do
        [[ ${COMP_WORDS[i]} == "--" ]] && operands_only=1
    done

    if (( ! operands_only )); then
        case $prev in
            --sort)
                _leadlab_words "$cur" f1 precision recall roc_auc pr_auc mcc balanced_accuracy \
                    brier log_loss ece recall_at_0.1 precision_at_0.1 lift_at_0.1
                return ;;
            --isolation) _leadlab_words "$cur" process none; return ;;
            --model) _leadlab_files "$cur" llm; return ;;
            --test) _leadlab_files "$cur" csv; return ;;
            --html) _leadlab_files "$cur" html; return ;;
            --out)
                case $cmd in
                    fit) _leadlab_files "$cur" llm ;;
                    init) _leadlab_files "$cur" yaml ;;
                    *) _leadlab_files "$cur" csv ;;
                esac
                return ;;
            --plugin-path)
                COMPREPLY=()
                while IFS= read -r i; do COMPREPLY+=("$i"); done < <(compgen -d -- "$cur")
                compopt -o filenames 2>/dev/null
                return ;;
            -j | --threads | --set | --config | --sampler | --rows | --seed | --width | \
                --target | --positive | --top)
                COMPREPLY=() # a value only the user knows
                return ;;
        esac
        if [[ $cur == -* ]]; then
            _leadlab_words "$cur" $opts
            return
        fi
    fi
    case $cmd in
        run | validate | fit | predict) _leadlab_files "$cur" yaml ;;
        check-plugin)
            _leadlab_files "$cur" so
            _leadlab_plugins "$cur" "${COMP_WORDS[0]}" ;;
        init) _leadlab_files "$cur" csv ;;
        status | show | compare)
            COMPREPLY=()
            while IFS= read -r i; do COMPREPLY+=("$i"); done < <(compgen -d -- "$cur")
            compopt -o filenames 2>/dev/null ;;
        *) COMPREPLY=() ;;
    esac
}

complete -F _leadlab leadlab
