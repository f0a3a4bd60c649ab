/* The command table and its parser; see cli_options.h. The man page (doc/leadlab.1) and the
 * bash completion (completion/leadlab.bash) repeat these names: tests/cli_man_test.sh and
 * cli_completion_test.sh fail when an option `leadlab help CMD` prints is missing from them. */
#include "cli_options.h"

#include <stdlib.h>
#include <string.h>

#include "params.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const ll_cli_option run_opts[] = {
    {"threads", 'j', "N", "cells in parallel, 1..1024 (default: spec's threads)"},
    {"set", 0, "KEY.PATH=VALUE", "override one spec value (repeatable, up to 64)"},
    {"fresh", 0, NULL, "start over: ignore the cells in OUTDIR/results.db"},
    {"isolation", 0, "MODE", "process (a crash fails one cell) or none (threads)"},
    {"sort", 0, "METRIC", "rank by f1, pr_auc, brier, recall_at_0.1, lift@10%, ..."},
    {"verbose", 'v', NULL, "progress and plugin info logs; -vv adds debug logs"},
    {"quiet", 'q', NULL, "only errors: no progress, no plugin warnings"},
};

static const ll_cli_option validate_opts[] = {
    {"set", 0, "KEY.PATH=VALUE", "override one spec value (repeatable, up to 64)"},
    {"threads", 'j', "N", "accepted like run's, it changes nothing here"},
    {"isolation", 0, "MODE", "check the spec as if run with process or none"},
    {"sort", 0, "METRIC", "check the spec as if run with this ranking metric"},
};

static const ll_cli_option fit_opts[] = {
    {"config", 0, "MODEL", "the model config's label, as in the leaderboard"},
    {"sampler", 0, "SAMPLER", "the sampler's label (when the spec has several)"},
    {"best", 0, NULL, "take the top row of the spec's last run instead"},
    {"out", 0, "MODEL.llm", "where to save the fitted model"},
    {"set", 0, "KEY.PATH=VALUE", "override one spec value (repeatable, up to 64)"},
    {"threads", 'j', "N", "threads for fitting, 1..1024"},
};

static const ll_cli_option predict_opts[] = {
    {"model", 0, "MODEL.llm", "predict with a saved model (then no spec)"},
    {"test", 0, "FILE.csv", "the rows to score, with the training file's columns"},
    {"out", 0, "FILE.csv", "where to write id,TARGET (id,p_TARGET with --proba)"},
    {"proba", 0, NULL, "write the probability instead of 0/1 at the cut"},
    {"rank", 0, NULL, "a call list: id,p_TARGET,rank,decile, best first"},
    {"top", 0, "X", "best X rows (500) or share (0.1); implies --rank"},
    {"config", 0, "MODEL", "with a spec: the model config to refit"},
    {"sampler", 0, "SAMPLER", "with a spec: the sampler, when it has several"},
    {"best", 0, NULL, "with a spec: refit the top row of its last run"},
    {"set", 0, "KEY.PATH=VALUE", "with a spec: override one spec value (repeatable)"},
    {"plugin-path", 0, "DIR", "with --model: one more folder to find the plugin in"},
    {"threads", 'j', "N", "threads for fitting and scoring, 1..1024"},
};

static const ll_cli_option show_opts[] = {
    {"sort", 0, "METRIC", "rank by another metric (f1, pr_auc, mcc, ...)"},
    {"width", 0, "N", "table width, 20..10000 (default: the terminal's)"},
};

static const ll_cli_option compare_opts[] = {
    {"html", 0, "OUT.html", "also write the comparison as an HTML page"},
};

static const ll_cli_option check_opts[] = {
    {"threads", 'j', "N", "threads for the thread checks, 1..1024 (default 4)"},
};

static const ll_cli_option path_opts[] = {
    {"plugin-path", 0, "DIR", "one more folder to search first (up to 16)"},
};

static const ll_cli_option init_opts[] = {
    {"target", 0, "COL", "the column to predict"},
    {"positive", 0, "V", "the positive class's value (else guessed)"},
    {"out", 0, "SPEC.yaml", "where to write the spec (default spec.yaml)"},
    {"force", 0, NULL, "overwrite SPEC.yaml when it exists"},
};

static const ll_cli_option synth_opts[] = {
    {"out", 0, "FILE.csv", "where to write the table"},
    {"rows", 0, "N", "how many rows, 100..10000000 (default 20000)"},
    {"seed", 0, "S", "random seed, 0..2^64-1 (default 7)"},
};

const ll_cli_command ll_cli_commands[] = {
    {"run", "SPEC.yaml [options]",
     "cross-validate every model x sampler of a spec, write the leaderboard",
     "Cross-validates every model x sampler of the spec and writes the leaderboard\n"
     "(leaderboard.md, .csv), cells.csv and report.html to its output folder. Cells\n"
     "already in the folder's results.db are not run again. Ctrl-C stops handing out\n"
     "cells, waits for the running ones and writes what is done; a second Ctrl-C\n"
     "abandons them. Under mpirun/srun the cells spread over the ranks.",
     run_opts, N_OF(run_opts),
     "leadlab run experiments/quickstart.yaml -j 2\n"
     "leadlab run spec.yaml --set cv.folds=10 --set 'models=[logreg]' --fresh\n"
     "leadlab run spec.yaml --sort=pr_auc -q"},
    {"status", "OUTDIR", "done / failed / pending cells of the newest run in OUTDIR",
     "Prints the done, failed and pending cells per row of the newest run in OUTDIR,\n"
     "also while it is running.",
     NULL, 0, "leadlab status results/quickstart"},
    {"show", "OUTDIR [options]", "print the leaderboard of OUTDIR's newest run",
     "Prints the leaderboard of OUTDIR's newest run, fitted to the terminal's width.",
     show_opts, N_OF(show_opts),
     "leadlab show results/quickstart\n"
     "leadlab show results/quickstart --sort mcc --width 100"},
    {"compare", "DIR_A DIR_B [options]", "compare two runs row by row (B - A)",
     "Matches the rows of two runs by label and prints F1 and the other metrics,\n"
     "B - A, with a paired test when both used the same folds, as Markdown on stdout.",
     compare_opts, N_OF(compare_opts),
     "leadlab compare results/before results/after\n"
     "leadlab compare results/before results/after --html diff.html"},
    {"validate", "SPEC.yaml [options]", "check a spec and its data, print the cell grid",
     "Checks the spec and its data and prints the expanded cell grid, without running.",
     validate_opts, N_OF(validate_opts),
     "leadlab validate experiments/quickstart.yaml\n"
     "leadlab validate spec.yaml --set cv.folds=10"},
    {"fit", "SPEC.yaml (--config MODEL | --best) --out MODEL.llm [options]",
     "fit one config on all training rows and save it",
     "Fits one config on all training rows (with the cut tuned when the spec tunes it)\n"
     "and saves it with its whole feature pipeline; --best takes the top row of the\n"
     "spec's last run.",
     fit_opts, N_OF(fit_opts),
     "leadlab fit spec.yaml --best --out best.llm\n"
     "leadlab fit spec.yaml --config 'logreg(C=0.1)' --sampler none --out lr.llm"},
    {"predict",
     "--model MODEL.llm --test IN.csv --out OUT.csv [options]\n"
     "SPEC.yaml --config MODEL|--best --test IN.csv --out OUT.csv",
     "score a CSV with a saved model, or with one config of a spec refitted",
     "Writes id,TARGET (0/1 at the cut) for each test row, or id,p_TARGET with\n"
     "--proba: from a saved model with nothing else, or refitting one config of a\n"
     "spec. --rank writes a call list instead: id,p_TARGET,rank,decile sorted by\n"
     "descending probability (ties in input order), rank 1..n, decile\n"
     "1 + floor((rank-1)*10/n) so decile 1 is the best tenth (with n < 10 some\n"
     "deciles are empty). --top X keeps the best rows only: X with a '.' or below 1\n"
     "is a share of the rows in (0, 1], round(X*n) half away from zero, at least 1;\n"
     "otherwise a count from 1 to n. Deciles stay those of all n rows.",
     predict_opts, N_OF(predict_opts),
     "leadlab predict --model best.llm --test test.csv --out predictions.csv\n"
     "leadlab predict spec.yaml --best --test test.csv --out p.csv --proba\n"
     "leadlab predict --model best.llm --test leads.csv --out calls.csv --top 0.1"},
    {"check-plugin", "PLUGIN.so|NAME [options]", "test a plugin's properties on generated data",
     "Runs a plugin (a .so file, or a plugin's name found on the search path) on\n"
     "generated data and prints pass/fail per property (range, determinism, threads,\n"
     "save/load, edge cases, schema); exit 1 on a failure.",
     check_opts, N_OF(check_opts),
     "leadlab check-plugin knn\n"
     "leadlab check-plugin build/plugins/knn.so\n"
     "leadlab check-plugin ./myplugin.so -j 8"},
    {"plugins", "[options]", "list every plugin found, its version and parameters",
     "Lists every plugin found on the search path, its version and its parameters.",
     path_opts, N_OF(path_opts),
     "leadlab plugins\n"
     "leadlab plugins --plugin-path ./myplugins"},
    {"schema", "[options]", "print the spec's JSON Schema, for editors",
     "Prints the JSON Schema (draft-07) of a spec with every plugin's parameters, for\n"
     "editors: # yaml-language-server: $schema=leadlab.schema.json",
     path_opts, N_OF(path_opts),
     "leadlab schema > leadlab.schema.json\n"
     "leadlab schema --plugin-path ./myplugins > leadlab.schema.json"},
    {"init", "DATA.csv --target COL [options]", "write a commented starter spec for a CSV",
     "Writes a commented starter spec for a CSV (column roles guessed from the data,\n"
     "the seven models x three samplers) and validates it.",
     init_opts, N_OF(init_opts),
     "leadlab init leads.csv --target converted\n"
     "leadlab init leads.csv --target status --positive won --out leads.yaml --force"},
    {"synth", "--out FILE.csv [options]", "write a synthetic lead-scoring table",
     "Writes a synthetic lead-scoring table with train.csv's schema.",
     synth_opts, N_OF(synth_opts),
     "leadlab synth --out synth.csv\n"
     "leadlab synth --out big.csv --rows 1000000 --seed 3"},
    {"help", "[COMMAND]", "print this summary, or one command's options and examples",
     "Prints the summary of all commands, or one command's usage, options and examples\n"
     "(the same as leadlab COMMAND --help).",
     NULL, 0, "leadlab help\nleadlab help run"},
};
const size_t ll_cli_n_commands = N_OF(ll_cli_commands);

static const ll_cli_option help_option = {"help", 'h', NULL, "print this help and exit"};

const ll_cli_command *ll_cli_find(const char *name)
{
    for (size_t i = 0; i < ll_cli_n_commands; i++)
        if (!strcmp(ll_cli_commands[i].name, name))
            return &ll_cli_commands[i];
    return NULL;
}

int ll_cli_is(const ll_cli_item *item, const char *name)
{
    return !strcmp(item->opt->name, name);
}

void ll_cli_parsed_free(ll_cli_parsed *p)
{
    free(p->items);
    free(p->args);
    memset(p, 0, sizeof *p);
}

/* "did you mean": the closest of the command's long options, as "--name". */
static void unknown_option(const ll_cli_command *cmd, const char *given, size_t len)
{
    char word[64], list[1024] = "", buf[64];
    snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), given);
    size_t used = 0;
    for (size_t i = 0; i <= cmd->n_options && used < sizeof list; i++) {
        const ll_cli_option *o = i < cmd->n_options ? &cmd->options[i] : &help_option;
        used += (size_t)snprintf(list + used, sizeof list - used, "%s--%s", used ? "|" : "",
                                 o->name);
    }
    const char *s = word[1] == '-' ? ll_suggest(word, list, buf, sizeof buf) : NULL;
    fprintf(stderr, "leadlab: %s: unknown option '%s'%s%s%s; see leadlab help %s\n", cmd->name,
            word, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "", cmd->name);
}

static const ll_cli_option *find_long(const ll_cli_command *cmd, const char *name, size_t len)
{
    for (size_t i = 0; i < cmd->n_options; i++)
        if (strlen(cmd->options[i].name) == len && !strncmp(cmd->options[i].name, name, len))
            return &cmd->options[i];
    return NULL;
}

static const ll_cli_option *find_short(const ll_cli_command *cmd, char c)
{
    for (size_t i = 0; i < cmd->n_options; i++)
        if (cmd->options[i].short_name == c)
            return &cmd->options[i];
    return NULL;
}

int ll_cli_parse(const ll_cli_command *cmd, int argc, char **argv, int first,
                 ll_cli_parsed *out)
{
    memset(out, 0, sizeof *out);
    out->cmd = cmd;
    /* Help wins over any mistake before it, so "run --bogus --help" still helps. */
    for (int i = first; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            out->help = 1;
            return 0;
        }
    /* A cluster like -vvq yields one item per letter: bound the items by the characters. */
    size_t cap = 1;
    for (int i = first; i < argc; i++)
        cap += strlen(argv[i]) + 1;
    out->items = malloc(cap * sizeof *out->items);
    out->args = malloc(cap * sizeof *out->args);
    if (!out->items || !out->args) {
        ll_cli_parsed_free(out);
        fprintf(stderr, "leadlab: out of memory\n");
        return -1;
    }
    int only_operands = 0;
    for (int i = first; i < argc; i++) {
        char *a = argv[i];
        if (only_operands || a[0] != '-' || a[1] == '\0') { /* "-" names stdin or stdout */
            out->args[out->n_args++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_operands = 1;
            continue;
        }
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const ll_cli_option *o = find_long(cmd, name, len);
            if (!o) {
                unknown_option(cmd, a, len + 2);
                goto fail;
            }
            const char *value = NULL;
            if (o->arg) {
                value = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
                if (!value) {
                    fprintf(stderr, "leadlab: %s: option '--%s' needs a value (%s)\n",
                            cmd->name, o->name, o->arg);
                    goto fail;
                }
            } else if (eq) {
                fprintf(stderr, "leadlab: %s: option '--%s' takes no value\n", cmd->name,
                        o->name);
                goto fail;
            }
            out->items[out->n_items++] = (ll_cli_item){o, value};
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            const ll_cli_option *o = find_short(cmd, *c);
            if (!o) {
                char word[3] = {'-', *c, '\0'};
                unknown_option(cmd, word, 2);
                goto fail;
            }
            if (!o->arg) {
                out->items[out->n_items++] = (ll_cli_item){o, NULL};
                continue;
            }
            /* -jN: the rest of the word is the value; -j N: the next word is. */
            const char *value = c[1] ? c + 1 : i + 1 < argc ? argv[++i] : NULL;
            if (!value) {
                fprintf(stderr, "leadlab: %s: option '-%c' needs a value (%s)\n", cmd->name, *c,
                        o->arg);
                goto fail;
            }
            out->items[out->n_items++] = (ll_cli_item){o, value};
            break;
        }
    }
    return 0;
fail:
    ll_cli_parsed_free(out);
    return -1;
}

void ll_cli_print_global_help(FILE *out)
{
    fputs("usage: leadlab COMMAND [options] [--] [operands]\n\ncommands:\n", out);
    for (size_t i = 0; i < ll_cli_n_commands; i++)
        fprintf(out, "  %-13s %s\n", ll_cli_commands[i].name, ll_cli_commands[i].summary);
    fputs("\n"
          "leadlab help COMMAND (or leadlab COMMAND --help) prints a command's options and\n"
          "examples; man leadlab has them all. leadlab --version prints the version.\n"
          "Options take their value as --opt VALUE or --opt=VALUE; -- ends the options.\n"
          "Plugins are searched in the spec's plugin_path, $LEADLAB_PLUGIN_PATH, then the\n"
          "built-in folder. Exit codes: 0 ok, 1 some cells failed, 2 bad input, 3 a read\n"
          "or write failed (disk full, I/O error), 130 / 143 interrupted by SIGINT /\n"
          "SIGTERM (outputs hold what finished).\n",
          out);
}

static void print_option(FILE *out, const ll_cli_option *o)
{
    char left[80];
    /* Without a short form the long one still lines up with those that have one. */
    if (o->short_name)
        snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    else
        snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    fprintf(out, "  %-24s  %s\n", left, o->help);
}

void ll_cli_print_command_help(FILE *out, const ll_cli_command *cmd)
{
    for (const char *s = cmd->synopsis; *s;) {
        size_t len = strcspn(s, "\n");
        fprintf(out, "%s leadlab %s %.*s\n", s == cmd->synopsis ? "usage:" : "      ",
                cmd->name, (int)len, s);
        s += len + (s[len] == '\n');
    }
    fprintf(out, "\n%s\n\noptions:\n", cmd->description);
    for (size_t i = 0; i < cmd->n_options; i++)
        print_option(out, &cmd->options[i]);
    print_option(out, &help_option);
    fputs("\nexamples:\n", out);
    for (const char *s = cmd->examples; *s;) {
        size_t len = strcspn(s, "\n");
        fprintf(out, "  %.*s\n", (int)len, s);
        s += len + (s[len] == '\n');
    }
}

void ll_cli_unknown_command(const char *name)
{
    char list[512] = "", buf[64];
    size_t used = 0;
    for (size_t i = 0; i < ll_cli_n_commands && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? "|" : "",
                                 ll_cli_commands[i].name);
    const char *s = ll_suggest(name, list, buf, sizeof buf);
    fprintf(stderr, "leadlab: unknown command '%s'%s%s%s; leadlab help lists them\n", name,
            s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
}
