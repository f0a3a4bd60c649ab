/* libFuzzer harness: the CSV reader plus the dataset encoder (core/csv.c, core/dataset.c).
 *
 * The input is the bytes of a training file. The reader alone is checked first (trimmed,
 * non-empty header names that ll_csv_column finds where they are, records on increasing lines).
 * Then two fixed feature specs, parsed once through
 * ll_spec_load, cover every transform between them: fill + missing_flag, date parts (all six),
 * one-hot learned and listed, days_between / sum / count / frequency / target with and without
 * fill, id, drop and labels given as text or as numbers. Columns: id, buy (target), n, d, c, t,
 * u, k.
 *
 * For each spec the input is loaded as a training file; when that succeeds the learned encoder
 * is applied to the same bytes (which must give the training matrix back, bit for bit) and to a
 * fixed test file without the target column (unseen categories and keys, missing values).
 * Invariants checked: every feature value finite (README: never a silent NaN), labels 0/1,
 * n_positive consistent, col_binary right (never set on a learned column), every learned cell
 * one of its column's key codes, names, ids and the learned columns kept. Everything is freed,
 * so LeakSanitizer sees every leak. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "dataset.h"
#include "fuzz_common.h"
#include "registry.h"
#include "spec.h"

static const char *const spec_texts[] = {
    /* The README's shape: fill + flag, date parts, learned one-hot, the three derived kinds. */
    "name: fuzz_a\n"
    "data: {train: train.csv, target: buy, positive: \"1\", id: id}\n"
    "features:\n"
    "  drop: [t, k]\n"
    "  columns:\n"
    "    n: {fill: 0, missing_flag: true}\n"
    "    d: {date: [year, month, day, dayofweek], fill: 0, missing_flag: true}\n"
    "    c: {onehot: true}\n"
    "  derived:\n"
    "    dd: {days_between: [d, t], fill: -1, missing_flag: true}\n"
    "    s: {sum: [n, u], fill: 0}\n"
    "    cc: {count: [c, k]}\n"
    "    fr: {frequency: c}\n"
    "models: [logreg]\n",
    /* The other branches: listed one-hot with a fill, day of year / ISO week without fill,
     * explicit labels compared as numbers (and trimmed), no id, count with a flag over three
     * columns, a sum over a dropped column. (k is dropped in both: text there reaches the
     * derived features' own checks.) */
    "name: fuzz_b\n"
    "data: {train: train.csv, target: buy, positive: \" 1.0\\t\", negative: \"0\"}\n"
    "features:\n"
    "  drop: [k]\n"
    "  columns:\n"
    "    c: {onehot: [3.5, 1, 2, 1, -0.0], fill: 2, missing_flag: true}\n"
    "    t: {date: [dayofyear, weekofyear]}\n"
    "    d: {date: [year], fill: -1, missing_flag: true}\n"
    "    n: {fill: 0}\n"
    "  derived:\n"
    "    dd: {days_between: [t, d]}\n"
    "    cnt: {count: [d, n, k], missing_flag: true}\n"
    "    s2: {sum: [u, k, c], fill: 0, missing_flag: true}\n"
    "    tg: {target: [n, t], fill: -1, smoothing: 2.5}\n"
    "models: [logreg]\n",
};
#define N_SPECS (sizeof spec_texts / sizeof *spec_texts)

/* Another file of the same schema without the target: unseen and missing values, another
 * column order, surrounding spaces. */
static const char test_csv[] =
    "k,u,t,c,d,n,id\n"
    "1,2,2021-06-01,1,2021-01-01,1,101\n"
    "9,0,2020-12-31,7,2020-12-31,,102\n"
    " 1 ,1.5,2021-01-04,2,2020-02-29,NA,103\n"
    "2,3,2021-03-01,NaN,2021-02-28,2,104\n";

static ll_spec specs[N_SPECS];
static ll_registry registries[N_SPECS];
static const char *train_path, *test_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void free_specs(void)
{
    for (size_t s = 0; s < N_SPECS; s++) {
        ll_spec_free(&specs[s]);
        ll_registry_free(&registries[s]);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("fuzz-dataset");
    train_path = strdup(fz_path("train.csv"));
    test_path = strdup(fz_path("test.csv"));
    if (!train_path || !test_path)
        fz_die("out of memory");
    fz_write(test_path, test_csv, sizeof test_csv - 1);
    for (size_t s = 0; s < N_SPECS; s++) {
        char name[32];
        snprintf(name, sizeof name, "spec_%zu.yaml", s);
        const char *path = fz_path(name);
        fz_write(path, spec_texts[s], strlen(spec_texts[s]));
        ll_error err;
        if (ll_spec_load(path, NULL, 0, &registries[s], &specs[s], &err) != 0)
            fz_die("the fixed spec %zu does not load: %s", s, err.msg);
    }
    atexit(free_specs);
    return 0;
}

/* What any successfully encoded file must satisfy. */
static void check_dataset(const ll_dataset *ds, int with_labels, int with_ids)
{
    if (ds->n_rows == 0 || ds->n_cols == 0 || !ds->x || !ds->col_names || !ds->col_binary)
        fz_die("empty dataset returned as success (%zu x %zu)", ds->n_rows, ds->n_cols);
    if (with_labels != (ds->y != NULL))
        fz_die("labels %s", ds->y ? "present without a target column" : "missing");
    if (with_ids != (ds->ids != NULL))
        fz_die("ids %s", ds->ids ? "present without an id column" : "missing");
    size_t positives = 0;
    uint8_t *learned = calloc(ds->n_cols, 1);
    if (!learned)
        fz_die("out of memory");
    for (size_t c = 0; c < ds->encoding.n; c++) {
        const ll_fold_column *col = &ds->encoding.columns[c];
        size_t after = c ? ds->encoding.columns[c - 1].column + 1 : 0; /* in column order */
        if (col->column >= ds->n_cols || col->column < after)
            fz_die("learned column %zu sits at %zu of %zu", c, col->column, ds->n_cols);
        learned[col->column] = 1;
        size_t last = col->has_fill ? ll_fold_filled_code(col) : ll_fold_unseen_code(col);
        for (size_t i = 0; i < ds->n_rows; i++) {
            double v = ds->x[i * ds->n_cols + col->column];
            if (!(v >= 0 && v <= (double)last && v == floor(v)))
                fz_die("row %zu, feature '%s': %g is no key code (%zu keys)", i,
                       ds->col_names[col->column], v, col->n_keys);
        }
    }
    for (size_t i = 0; i < ds->n_rows; i++) {
        if (ds->y) {
            if (ds->y[i] > 1)
                fz_die("row %zu: label %u", i, ds->y[i]);
            positives += ds->y[i];
        }
        if (ds->ids && !ds->ids[i])
            fz_die("row %zu: NULL id", i);
    }
    if (positives != ds->n_positive)
        fz_die("n_positive %zu, counted %zu", ds->n_positive, positives);
    for (size_t j = 0; j < ds->n_cols; j++) {
        if (!ds->col_names[j] || !ds->col_names[j][0])
            fz_die("feature %zu has no name", j);
        int binary = 1;
        for (size_t i = 0; i < ds->n_rows; i++) {
            double v = ds->x[i * ds->n_cols + j];
            if (!isfinite(v))
                fz_die("row %zu, feature '%s': %g (a silent non-finite value)", i,
                       ds->col_names[j], v);
            binary &= v == 0.0 || v == 1.0;
        }
        if (ds->col_binary[j] != (binary && !learned[j]))
            fz_die("feature '%s': col_binary %u, values say %d%s", ds->col_names[j],
                   ds->col_binary[j], binary, learned[j] ? " (a learned column)" : "");
    }
    free(learned);
}

static void check_same(const ll_dataset *a, const ll_dataset *b)
{
    if (a->n_rows != b->n_rows || a->n_cols != b->n_cols)
        fz_die("applying the encoder to its own training file gives %zu x %zu, not %zu x %zu",
               b->n_rows, b->n_cols, a->n_rows, a->n_cols);
    if (memcmp(a->x, b->x, a->n_rows * a->n_cols * sizeof *a->x) != 0)
        fz_die("applying the encoder to its own training file changes the feature matrix");
    if (memcmp(a->y, b->y, a->n_rows) != 0 || a->n_positive != b->n_positive)
        fz_die("applying the encoder to its own training file changes the labels");
    for (size_t j = 0; j < a->n_cols; j++)
        if (strcmp(a->col_names[j], b->col_names[j]) != 0 || a->col_binary[j] != b->col_binary[j])
            fz_die("feature %zu differs between train and apply", j);
    for (size_t i = 0; a->ids && i < a->n_rows; i++)
        if (strcmp(a->ids[i], b->ids[i]) != 0)
            fz_die("row %zu: id '%s' became '%s'", i, a->ids[i], b->ids[i]);
    if (a->encoding.n != b->encoding.n)
        fz_die("%zu learned columns in training, %zu applied", a->encoding.n, b->encoding.n);
    for (size_t c = 0; c < a->encoding.n; c++)
        if (!ll_fold_column_equal(&a->encoding.columns[c], &b->encoding.columns[c]))
            fz_die("learned column %zu differs between train and apply", c);
}

static void check_finite(const double *x, size_t cells, const char *what)
{
    for (size_t i = 0; i < cells; i++)
        if (!isfinite(x[i]))
            fz_die("%s: cell %zu is %g", what, i, x[i]);
}

/* The learned columns are what a fit takes: fitted on every training row they encode to
 * finite values, and their tables encode the test file (when it loaded) too. */
static void check_fold_fit(const ll_dataset *train, ll_dataset *test)
{
    size_t n = train->n_rows, cells = n * train->n_cols;
    if (train->encoding.n == 0 || n < 2)
        return;
    double *x = malloc(cells * sizeof *x);
    if (!x)
        fz_die("out of memory");
    memcpy(x, train->x, cells * sizeof *x);
    ll_fold_fitted fitted;
    ll_err err = {{0}};
    if (ll_fold_fit(&train->encoding, x, train->y, n, train->n_cols, 7, &fitted, &err) != LL_OK)
        fz_die("fitting the learned columns on the training file: %s", err.msg);
    check_finite(x, cells, "the fitted training matrix");
    if (test) {
        if (ll_fold_apply(&fitted, test->x, test->n_rows, test->n_cols, &err) != LL_OK)
            fz_die("the fitted tables refuse the test file: %s", err.msg);
        check_finite(test->x, test->n_rows * test->n_cols, "the encoded test matrix");
    }
    ll_fold_fitted_free(&fitted);
    free(x);
}

static void run_spec(const ll_feature_spec *features)
{
    ll_encoder *enc = NULL;
    ll_dataset train, again, test;
    ll_error err;
    if (ll_dataset_load_train(train_path, features, &enc, &train, &err) != 0) {
        fz_note("train", err.msg);
        if (enc)
            fz_die("failed load_train left an encoder: %s", err.msg);
        return;
    }
    if (!enc)
        fz_die("load_train succeeded without an encoder");
    check_dataset(&train, 1, features->id != NULL);
    fz_note("train", "ok");
    if (ll_dataset_load_apply(train_path, enc, &again, &err) != 0)
        fz_die("the encoder refuses its own training file: %s", err.msg);
    check_dataset(&again, 1, features->id != NULL);
    check_same(&train, &again);
    ll_dataset_free(&again);
    if (ll_dataset_load_apply(test_path, enc, &test, &err) == 0) {
        check_dataset(&test, 0, features->id != NULL);
        if (test.n_cols != train.n_cols)
            fz_die("test file encoded to %zu features, train to %zu", test.n_cols, train.n_cols);
        check_fold_fit(&train, &test);
        ll_dataset_free(&test);
    } else {
        fz_note("apply to test.csv", err.msg);
        check_fold_fit(&train, NULL);
    }
    ll_dataset_free(&train);
    ll_encoder_free(enc);
}

/* The reader alone: what any successfully read file must satisfy. */
static void check_csv(void)
{
    ll_csv csv;
    ll_error err;
    if (ll_csv_read(train_path, &csv, &err) != 0) {
        if (csv.text || csv.header || csv.fields || csv.n_rows || csv.n_cols)
            fz_die("ll_csv_read failed but left a table behind: %s", err.msg);
        return;
    }
    if (csv.n_cols == 0 || csv.n_rows == 0)
        fz_die("ll_csv_read returned %zu rows of %zu columns", csv.n_rows, csv.n_cols);
    for (size_t j = 0; j < csv.n_cols; j++) {
        const char *name = csv.header[j];
        size_t len = strlen(name);
        if (!len || name[0] == ' ' || name[0] == '\t' || name[len - 1] == ' ' ||
            name[len - 1] == '\t')
            fz_die("header name %zu '%s' is empty or untrimmed", j, name);
        if (ll_csv_column(&csv, name) != (long)j)
            fz_die("ll_csv_column('%s') = %ld, the header has it at %zu", name,
                   ll_csv_column(&csv, name), j);
    }
    if (ll_csv_column(&csv, "") != -1)
        fz_die("ll_csv_column finds a column with an empty name");
    for (size_t i = 0; i < csv.n_rows; i++) {
        if (csv.lines[i] <= (i ? csv.lines[i - 1] : csv.header_line))
            fz_die("row %zu starts on line %zu, after line %zu", i, csv.lines[i],
                   i ? csv.lines[i - 1] : csv.header_line);
        for (size_t j = 0; j < csv.n_cols; j++)
            if (!ll_csv_field(&csv, i, j))
                fz_die("row %zu, column %zu: NULL field", i, j);
    }
    ll_csv_free(&csv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_write(train_path, data, size);
    check_csv();
    for (size_t s = 0; s < N_SPECS; s++)
        run_spec(&specs[s].features);
    return 0;
}
