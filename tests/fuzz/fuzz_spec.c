/* libFuzzer harness: the experiment spec loader plus --set (core/spec.c, core/yaml_tree.c,
 * core/params.c, core/registry.c).
 *
 * Input format (text, so seeds stay readable): the YAML spec, optionally followed by override
 * lines. The first line that starts with "--set " ends the spec; from there on every line that
 * starts with "--set " is one assignment (the rest of the line, as `leadlab run --set` takes
 * it), at most 8; other lines are ignored. Example:
 *
 *     data: {train: train.csv, target: buy}
 *     models: [knn]
 *     --set models.knn.k=[5,15]
 *     --set cv.folds=3
 *
 * The spec is written to a private temporary folder beside a small valid train.csv with the
 * lead table's schema, so `data.train: train.csv` resolves; plugins come from the build's
 * plugins folder through $LEADLAB_PLUGIN_PATH. When the spec loads, the harness checks a few
 * invariants, writes the tree and every config as JSON and hashes the configs (as `run` does
 * for run.json and the store), and, when the spec's data is that train.csv, encodes it with
 * the spec's feature transforms (train and apply). Everything is freed: LeakSanitizer runs. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "fuzz_common.h"
#include "params.h"
#include "registry.h"
#include "spec.h"

#define MAX_SETS 8
#define SET_PREFIX "--set "

/* train.csv's schema (see ll_synth_write), with missing values of every spelling. */
static const char train_csv[] =
    "id,created_at,campaign_var_1,campaign_var_2,products_purchased,signup_date,"
    "user_activity_var_1,user_activity_var_2,user_activity_var_3,user_activity_var_4,"
    "user_activity_var_5,user_activity_var_6,user_activity_var_7,user_activity_var_8,"
    "user_activity_var_9,user_activity_var_10,user_activity_var_11,user_activity_var_12,buy\n"
    "1,2021-01-01,1,2,2,2020-09-24,0,0,0,0,0,0,1,1,0,0,0,0,0\n"
    "2,2021-01-01,2,1,2,2020-09-19,1,0,1,0,0,0,1,0,0,0,0,0,0\n"
    "3,2021-01-01,9,3,3,2021-08-11,1,0,0,0,0,0,0,0,0,0,0,0,1\n"
    "4,2021-01-01,6,7,2,2017-10-04,0,0,0,0,0,0,0,0,0,0,0,0,0\n"
    "5,2021-01-02,4,6,,2020-06-08,0,0,0,0,0,1,0,1,0,0,0,0,0\n"
    "6,2021-01-02,1,1,NA,,1,0,0,1,0,1,0,0,0,0,1,0,1\n"
    "7,2021-01-03,3,4,1,NaN,0,1,0,0,1,0,0,0,1,0,0,0,0\n"
    "8,2021-02-28,3,4,4,2019-12-30,2,0,0,0,0,2,0,0,0,1,0,1,0\n"
    "9,2021-03-01,11,9,1,2016-02-29,0,0,1,0,0,0,0,0,0,0,0,0,0\n"
    "10,2021-12-31,15,14,2,2021-12-31,0,0,0,0,0,0,0,0,0,0,0,0,1\n";

static const char *spec_path, *train_path;
static FILE *sink; /* /dev/null: JSON writers run, output goes nowhere */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void close_sink(void)
{
    if (sink)
        fclose(sink);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("fuzz-spec");
    spec_path = strdup(fz_path("spec.yaml"));
    train_path = strdup(fz_path("train.csv"));
    if (!spec_path || !train_path)
        fz_die("out of memory");
    fz_write(train_path, train_csv, sizeof train_csv - 1);
    if (!(sink = fopen("/dev/null", "w")))
        fz_die("cannot open /dev/null");
    atexit(close_sink);
    return 0;
}

/* Where the first line starting with "--set " begins, or size. */
static size_t spec_length(const char *text, size_t size)
{
    const size_t n = sizeof SET_PREFIX - 1;
    for (size_t i = 0; i + n <= size; i++)
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, SET_PREFIX, n) == 0)
            return i;
    return size;
}

/* Splits the override part (NUL-terminated, modified in place) into at most MAX_SETS lines. */
static size_t split_sets(char *text, const char **sets)
{
    const size_t n = sizeof SET_PREFIX - 1;
    size_t count = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && count < MAX_SETS;
         line = strtok_r(NULL, "\n", &save))
        if (strncmp(line, SET_PREFIX, n) == 0)
            sets[count++] = line + n;
    return count;
}

static int compare_labels(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void check_configs(const ll_config *configs, size_t n, int models, const char *section)
{
    if (n == 0)
        fz_die("spec loaded with no %s", section);
    const char **labels = malloc(n * sizeof *labels);
    if (!labels)
        return;
    for (size_t i = 0; i < n; i++) {
        const ll_config *c = &configs[i];
        if (!c->plugin || !c->params || !c->label || !c->label[0])
            fz_die("%s[%zu] is incomplete", section, i);
        if (!!c->plugin->model != models)
            fz_die("%s[%zu] '%s' is a %s plugin", section, i, c->label,
                   c->plugin->model ? "model" : "sampler");
        labels[i] = c->label;
        (void)ll_params_hash(c->params);
        ll_hash h;
        ll_hash_init(&h);
        ll_params_hash_into(c->params, &h);
        (void)ll_params_label(c->params);
        ll_params_write_json(c->params, sink);
    }
    /* Labels name rows of the leaderboard and keys of the store: never two alike. */
    qsort(labels, n, sizeof *labels, compare_labels);
    for (size_t i = 1; i < n; i++)
        if (strcmp(labels[i - 1], labels[i]) == 0)
            fz_die("%s: label '%s' twice", section, labels[i]);
    free(labels);
}

static void check_spec(const ll_spec *spec)
{
    if (!spec->name || !spec->train_path || !spec->out_dir || !spec->tree)
        fz_die("spec loaded with a NULL name, train path, output folder or tree");
    if (!spec->features.target || !spec->features.positive)
        fz_die("spec loaded without a target or positive label");
    if (spec->folds < 2 || spec->repeats < 1 || (spec->tune_threshold && spec->tune_folds < 2))
        fz_die("spec loaded with folds %zu, repeats %zu, tune folds %zu", spec->folds,
               spec->repeats, spec->tune_folds);
    if (!(spec->threshold > 0.0 && spec->threshold < 1.0))
        fz_die("spec loaded with threshold %g", spec->threshold);
    if (!(spec->metrics & LL_METRIC_F1) || spec->metrics > LL_METRIC_ALL)
        fz_die("spec loaded with metrics mask %#x", spec->metrics);
    if (spec->sort_metric < 0 || spec->sort_metric > 6)
        fz_die("spec loaded with sort metric %d", spec->sort_metric);
    if (spec->threads < 0 || spec->cell_seconds < 0 || spec->cell_memory_mb < 0 ||
        !isfinite(spec->cell_seconds) || !isfinite(spec->cell_memory_mb))
        fz_die("spec loaded with threads %d, limits %g s, %g MB", spec->threads,
               spec->cell_seconds, spec->cell_memory_mb);
    check_configs(spec->samplers, spec->n_samplers, 0, "samplers");
    check_configs(spec->models, spec->n_models, 1, "models");
    ll_ynode_write_json(spec->tree, sink);
}

/* The spec's transforms on the small train.csv: only when the spec reads that file (a fuzzed
 * path could name /dev/zero or a FIFO). Failures are fine, crashes and leaks are not. */
static void encode_train(const ll_spec *spec)
{
    if (spec->synth || strcmp(spec->train_path, train_path) != 0)
        return;
    ll_encoder *enc = NULL;
    ll_dataset train, again;
    ll_error err;
    if (ll_dataset_load_train(train_path, &spec->features, &enc, &train, &err) != 0) {
        fz_note("train.csv with the spec's features", err.msg);
        return;
    }
    fz_note("train.csv with the spec's features", "ok");
    if (ll_dataset_load_apply(train_path, enc, &again, &err) != 0)
        fz_die("the encoder refuses its own training file: %s", err.msg);
    if (again.n_rows != train.n_rows || again.n_cols != train.n_cols ||
        memcmp(again.x, train.x, train.n_rows * train.n_cols * sizeof *train.x) != 0)
        fz_die("applying the encoder to its own training file changes the feature matrix");
    for (size_t k = 0; k < train.n_rows * train.n_cols; k++)
        if (!isfinite(train.x[k]))
            fz_die("feature '%s': a silent non-finite value", train.col_names[k % train.n_cols]);
    ll_dataset_free(&again);
    ll_dataset_free(&train);
    ll_encoder_free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t spec_size = spec_length(text, size);
    fz_write(spec_path, data, spec_size);

    char *rest = malloc(size - spec_size + 1);
    if (!rest)
        return 0;
    memcpy(rest, text + spec_size, size - spec_size);
    rest[size - spec_size] = '\0';
    const char *sets[MAX_SETS];
    size_t n_sets = split_sets(rest, sets);

    ll_registry reg;
    ll_spec spec;
    ll_error err;
    memset(&err, 0, sizeof err);
    if (ll_spec_load(spec_path, sets, n_sets, &reg, &spec, &err) == 0) {
        fz_note("spec", "ok");
        check_spec(&spec);
        encode_train(&spec);
        ll_spec_free(&spec);
        ll_registry_free(&reg);
    } else if (!err.msg[0]) {
        fz_die("ll_spec_load failed without a message");
    } else {
        fz_note("spec", err.msg);
    }
    free(rest);
    return 0;
}
