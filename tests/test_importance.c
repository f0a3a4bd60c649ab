/* Feature importances: permutation importance ranks a planted column first, gives noise ~0 and
 * a constant column exactly 0, is the same for a seed at any thread count, and scores rows
 * scaled exactly once; a model's own entry is used, declined or refused as the spec's method
 * says; importances.csv is byte-identical at -j 1 / -j 2 and in both isolation modes, after a
 * resume and from a partial run, vanishes with `importances: none`, and bad spec values are
 * one-line errors. Synthetic data only. */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "importance.h"
#include "leadlab/rng.h"
#include "params.h"
#include "report.h"
#include "runner.h"
#include "spec.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

/* FOLDER/NAME into buf (a path too long fails the test). */
static const char *path_in(char *buf, size_t len, const char *folder, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", folder, name);
    ck_assert_msg(n > 0 && (size_t)n < len, "path too long: %s/%s", folder, name);
    return buf;
}

/* ---- a planted problem ------------------------------------------------------------------ */

enum { P_COLS = 5, P_TRAIN = 1000, P_TEST = 600, P_ROWS = P_TRAIN + P_TEST };

/* y depends on x0 only; x1, x2 are noise, x3 is constant, x4 is noise around 100 (so rows that
 * are not scaled, or scaled twice, look nothing like the training rows). `offset` moves x0. */
static void planted(double *x, uint8_t *y, double offset, uint64_t seed)
{
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    for (size_t i = 0; i < P_ROWS; i++) {
        double *r = x + i * P_COLS;
        r[0] = offset + ll_rng_normal(&rng);
        r[1] = ll_rng_normal(&rng);
        r[2] = 3.0 * ll_rng_normal(&rng);
        r[3] = 7.0;
        r[4] = 100.0 + ll_rng_normal(&rng);
        y[i] = r[0] - offset + 0.3 * ll_rng_normal(&rng) > 1.0;
    }
}

/* A fitted model of `model` on the planted training rows (scaled, resampled by none). */
static ll_fitted fit_planted(const ll_config *model, const double *x, const uint8_t *y)
{
    static ll_config none;
    none.plugin = th_plugin("none");
    if (!none.params)
        none.params = th_params(none.plugin, NULL);
    none.label = "none";
    double *train = malloc(P_TRAIN * P_COLS * sizeof *train);
    ck_assert_ptr_nonnull(train);
    memcpy(train, x, P_TRAIN * P_COLS * sizeof *train);
    ll_fit_setup setup = {&none, model, 1, P_COLS, NULL, 11, 1, NULL, NULL};
    ll_fitted fitted;
    ll_fit_stats stats;
    ll_err err = {{0}};
    ll_status st = ll_fit_model(&setup, (ll_rows){train, y, P_TRAIN}, &fitted, &stats, &err);
    ck_assert_msg(st == LL_OK, "fit %s: %s", model->label, err.msg);
    free(train);
    return fitted;
}

static size_t *test_rows(void)
{
    size_t *rows = malloc(P_TEST * sizeof *rows);
    ck_assert_ptr_nonnull(rows);
    for (size_t i = 0; i < P_TEST; i++)
        rows[i] = P_TRAIN + i;
    return rows;
}

static void permute_ok(const ll_fitted *fitted, const double *x, const uint8_t *y,
                       const size_t *rows, ll_permutation_setup setup, double *out)
{
    ll_err err = {{0}};
    ll_status st = ll_permutation_importance(fitted, x, y, rows, P_TEST, &setup, out, &err);
    ck_assert_msg(st == LL_OK, "permutation importance: %s", err.msg);
}

START_TEST(planted_column_ranks_first)
{
    double *x = malloc(P_ROWS * P_COLS * sizeof *x), *before = malloc(P_ROWS * P_COLS * sizeof *x);
    uint8_t y[P_ROWS];
    ck_assert(x && before);
    planted(x, y, 0.0, 1);
    memcpy(before, x, P_ROWS * P_COLS * sizeof *x);
    ll_config logreg = {.plugin = th_plugin("logreg"), .label = "logreg"};
    logreg.params = th_params(logreg.plugin, NULL);
    ll_fitted fitted = fit_planted(&logreg, x, y);
    size_t *rows = test_rows();
    double a[P_COLS], b[P_COLS], c[P_COLS], d[P_COLS];
    permute_ok(&fitted, x, y, rows, (ll_permutation_setup){3, 0, 99, 1}, a);
    ck_assert_msg(a[0] > 0.3, "planted column: %g", a[0]);
    for (int j = 1; j < P_COLS; j++)
        ck_assert_msg(fabs(a[j]) < 0.02, "noise column %d: %g", j, a[j]);
    ck_assert_msg(a[3] == 0.0 && !signbit(a[3]), "constant column: %g", a[3]);
    /* x (the unscaled data) is left as it was */
    ck_assert(memcmp(x, before, P_ROWS * P_COLS * sizeof *x) == 0);
    /* the same seed gives the same values, at any thread count; another seed other draws */
    permute_ok(&fitted, x, y, rows, (ll_permutation_setup){3, 0, 99, 2}, b);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    permute_ok(&fitted, x, y, rows, (ll_permutation_setup){3, 0, 98, 1}, c);
    ck_assert_msg(memcmp(a, c, sizeof a) != 0, "the seed changed nothing");
    ck_assert(c[0] > 0.3 && c[3] == 0.0);
    /* a 200-row sample still finds the column, the same way every time */
    permute_ok(&fitted, x, y, rows, (ll_permutation_setup){1, 200, 99, 1}, c);
    permute_ok(&fitted, x, y, rows, (ll_permutation_setup){1, 200, 99, 1}, d);
    ck_assert(memcmp(c, d, sizeof c) == 0);
    ck_assert_msg(memcmp(a, c, sizeof a) != 0, "max_rows changed nothing");
    for (int j = 1; j < P_COLS; j++)
        ck_assert_msg(c[0] > c[j] + 0.2, "sampled: column 0 %g vs %d %g", c[0], j, c[j]);
    ck_assert(c[3] == 0.0);
    ll_fitted_free(&fitted);
    th_params_free(logreg.params);
    free(rows);
    free(x);
    free(before);
}
END_TEST

/* ---- fixture models ---------------------------------------------------------------------- */

/* P(y = 1) = logistic(3 x0): right for the planted data once x0 is scaled. It refuses rows
 * whose column 0 does not average near 0, as rows not scaled (mean ~100) or scaled a second
 * time (~-100) would. */
static ll_status probe_create(const ll_host *host, const ll_params *params, void **state,
                              ll_err *err)
{
    (void)host, (void)params;
    *state = malloc(1);
    return *state ? LL_OK : ll_fail(err, LL_ENOMEM, "out of memory");
}

static ll_status probe_fit(void *state, const ll_data *train, uint64_t seed, int threads,
                           ll_err *err)
{
    (void)state, (void)train, (void)seed, (void)threads, (void)err;
    return LL_OK;
}

static ll_status probe_predict(const void *state, const ll_data *x, int threads, double *out,
                               ll_err *err)
{
    (void)state, (void)threads;
    double mean = 0.0;
    for (size_t i = 0; i < x->n_rows; i++)
        mean += x->x[i * x->n_cols];
    mean /= (double)x->n_rows;
    if (fabs(mean) > 5.0)
        return ll_fail(err, LL_EINVAL, "column 0 averages %g: not rows scaled once", mean);
    for (size_t i = 0; i < x->n_rows; i++)
        out[i] = 1.0 / (1.0 + exp(-3.0 * x->x[i * x->n_cols]));
    return LL_OK;
}

static void probe_destroy(void *state) { free(state); }

static ll_status own_importances(const void *state, size_t n_cols, double *out, ll_err *err)
{
    (void)state, (void)err;
    for (size_t j = 0; j < n_cols; j++)
        out[j] = j == 2 ? 3.0 : 0.5 * (double)j;
    return LL_OK;
}

static ll_status declined_importances(const void *state, size_t n_cols, double *out, ll_err *err)
{
    (void)state, (void)n_cols, (void)out;
    return ll_fail(err, LL_EINVAL, "no importances for this kernel");
}

static ll_status negative_importances(const void *state, size_t n_cols, double *out, ll_err *err)
{
    (void)state, (void)err;
    for (size_t j = 0; j < n_cols; j++)
        out[j] = j == 1 ? -1.0 : 1.0;
    return LL_OK;
}

#define PROBE_VT(IMPORTANCES, KIND)                                                           \
    {sizeof(ll_model_vt), probe_create, probe_fit, probe_predict, probe_destroy, NULL, NULL,  \
     IMPORTANCES, KIND}
static const ll_model_vt probe_vt = PROBE_VT(NULL, NULL),
                         own_vt = PROBE_VT(own_importances, "gain"),
                         declining_vt = PROBE_VT(declined_importances, "abs_coef"),
                         negative_vt = PROBE_VT(negative_importances, "gain"),
                         unnamed_vt = PROBE_VT(own_importances, NULL);
static const ll_plugin probe_plugin = {LL_PLUGIN_ABI, .name = "probe", .model = &probe_vt},
                       own_plugin = {LL_PLUGIN_ABI, .name = "own", .model = &own_vt},
                       declining_plugin = {LL_PLUGIN_ABI, .name = "declining",
                                           .model = &declining_vt},
                       negative_plugin = {LL_PLUGIN_ABI, .name = "negative", .model = &negative_vt},
                       unnamed_plugin = {LL_PLUGIN_ABI, .name = "unnamed", .model = &unnamed_vt};

START_TEST(rows_are_scaled_exactly_once)
{
    double *x = malloc(P_ROWS * P_COLS * sizeof *x);
    uint8_t y[P_ROWS];
    ck_assert_ptr_nonnull(x);
    planted(x, y, 100.0, 2);
    ll_config probe = {.plugin = &probe_plugin, .label = "probe"};
    ll_fitted fitted = fit_planted(&probe, x, y);
    size_t *rows = test_rows();
    double v[P_COLS];
    /* every predict (the unshuffled rows, then each column in turn, twice) sees scaled rows */
    permute_ok(&fitted, x, y, rows, (ll_permutation_setup){2, 0, 5, 1}, v);
    ck_assert_msg(v[0] > 0.3, "planted column: %g", v[0]);
    for (int j = 1; j < P_COLS; j++)
        ck_assert_msg(v[j] == 0.0, "column %d does not enter the probe: %g", j, v[j]);
    ll_fitted_free(&fitted);
    free(rows);
    free(x);
}
END_TEST

/* Test rows with 1 % positives, sampled down to 100 rows: the sample keeps a positive (a plain
 * random 100 would miss all 6 a third of the time), so every seed measures something. */
START_TEST(sample_keeps_both_classes)
{
    double *x = malloc(P_ROWS * P_COLS * sizeof *x);
    uint8_t y[P_ROWS];
    ck_assert_ptr_nonnull(x);
    planted(x, y, 100.0, 3);
    ll_config probe = {.plugin = &probe_plugin, .label = "probe"};
    ll_fitted fitted = fit_planted(&probe, x, y);
    size_t *rows = test_rows(), n_pos = 0;
    for (size_t i = P_TRAIN; i < P_ROWS; i++)
        if (y[i] && ++n_pos > 6)
            y[i] = 0;
    double v[P_COLS];
    for (uint64_t seed = 0; seed < 20; seed++)
        permute_ok(&fitted, x, y, rows, (ll_permutation_setup){1, 100, seed, 1}, v);
    /* with no positive at all there is nothing to measure: said, not guessed */
    for (size_t i = P_TRAIN; i < P_ROWS; i++)
        y[i] = 0;
    ll_err err = {{0}};
    ll_permutation_setup s = {1, 100, 1, 1};
    ck_assert_int_eq(ll_permutation_importance(&fitted, x, y, rows, P_TEST, &s, v, &err),
                     LL_EINVAL);
    ck_assert_msg(strstr(err.msg, "hold one class"), "%s", err.msg);
    ll_fitted_free(&fitted);
    free(rows);
    free(x);
}
END_TEST

/* What each method makes of a model's own entry. */
static ll_status compute(int method, const ll_plugin *plugin, double *v, const char **kind,
                         ll_err *err)
{
    double *x = malloc(P_ROWS * P_COLS * sizeof *x);
    uint8_t y[P_ROWS];
    ck_assert_ptr_nonnull(x);
    planted(x, y, 100.0, 4);
    ll_config config = {.plugin = plugin, .label = (char *)plugin->name};
    ll_fitted fitted = fit_planted(&config, x, y);
    size_t *rows = test_rows();
    ll_permutation_setup s = {1, 0, 5, 1};
    *kind = NULL;
    memset(err, 0, sizeof *err);
    ll_status st = ll_importances_compute(method, &fitted, x, y, rows, P_TEST, &s, v, kind, err);
    ll_fitted_free(&fitted);
    free(rows);
    free(x);
    return st;
}

START_TEST(methods_and_model_entries)
{
    double v[P_COLS];
    const char *kind;
    ll_err err;
    /* auto and model take the model's own, kind and all */
    for (int method = LL_IMPORTANCE_AUTO; method <= LL_IMPORTANCE_MODEL; method++) {
        ck_assert_int_eq(compute(method, &own_plugin, v, &kind, &err), LL_OK);
        ck_assert_str_eq(kind, "gain");
        const double want[P_COLS] = {0.0, 0.5, 3.0, 1.5, 2.0};
        ck_assert(memcmp(v, want, sizeof v) == 0);
    }
    /* permutation permutes, whatever the model has */
    ck_assert_int_eq(compute(LL_IMPORTANCE_PERMUTATION, &own_plugin, v, &kind, &err), LL_OK);
    ck_assert_str_eq(kind, LL_IMPORTANCE_PERMUTATION_KIND);
    ck_assert(v[0] > 0.3 && v[1] == 0.0);
    /* a model that declines this configuration, or has no entry: auto permutes, model has none */
    const ll_plugin *without[] = {&declining_plugin, &probe_plugin};
    const char *why[] = {"no importances for this kernel", "probe has no importances of its own"};
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(compute(LL_IMPORTANCE_AUTO, without[k], v, &kind, &err), LL_OK);
        ck_assert_str_eq(kind, LL_IMPORTANCE_PERMUTATION_KIND);
        ck_assert(v[0] > 0.3);
        ck_assert_int_eq(compute(LL_IMPORTANCE_MODEL, without[k], v, &kind, &err), LL_EINVAL);
        ck_assert_ptr_null(kind);
        ck_assert_msg(strstr(err.msg, why[k]), "%s", err.msg);
    }
    /* values the ABI forbids are the entry failing, named */
    ck_assert_int_eq(compute(LL_IMPORTANCE_MODEL, &negative_plugin, v, &kind, &err),
                     LL_ENUMERIC);
    ck_assert_msg(strstr(err.msg, "negative returned importance -1 for feature 1"), "%s",
                  err.msg);
    ck_assert_int_eq(compute(LL_IMPORTANCE_AUTO, &negative_plugin, v, &kind, &err), LL_OK);
    ck_assert_str_eq(kind, LL_IMPORTANCE_PERMUTATION_KIND);
    /* an entry that names no kind reports "model" */
    ck_assert_int_eq(compute(LL_IMPORTANCE_MODEL, &unnamed_plugin, v, &kind, &err), LL_OK);
    ck_assert_str_eq(kind, "model");
    ck_assert_int_ne(compute(LL_IMPORTANCE_NONE, &own_plugin, v, &kind, &err), LL_OK);
}
END_TEST

/* ---- a partial run, in process ------------------------------------------------------------ */

/* Parses importances.csv rows "config,sampler,feature,kind,mean,sd,folds" (quoted configs). */
typedef struct {
    char config[128], sampler[64], feature[64], kind[32];
    double mean, sd;
    int folds;
} imp_line;

static size_t parse_importances(const char *text, imp_line *out, size_t cap)
{
    ck_assert_msg(!strncmp(text, "config,sampler,feature,kind,mean,sd,folds\n", 42), "header: %s",
                  text);
    size_t n = 0;
    for (const char *p = strchr(text, '\n') + 1; *p; p = strchr(p, '\n') + 1) {
        ck_assert_uint_lt(n, cap);
        imp_line *l = &out[n++];
        char *fields[7];
        char buf[512];
        size_t len = strcspn(p, "\n");
        ck_assert_uint_lt(len, sizeof buf);
        memcpy(buf, p, len);
        buf[len] = '\0';
        int k = 0, quoted = 0;
        fields[k++] = buf;
        for (char *c = buf; *c; c++) {
            if (*c == '"')
                quoted = !quoted;
            else if (*c == ',' && !quoted && k < 7) {
                *c = '\0';
                fields[k++] = c + 1;
            }
        }
        ck_assert_int_eq(k, 7);
        for (int f = 0; f < 2; f++) /* unquote the labels */
            if (fields[f][0] == '"') {
                fields[f]++;
                fields[f][strlen(fields[f]) - 1] = '\0';
            }
        snprintf(l->config, sizeof l->config, "%.127s", fields[0]);
        snprintf(l->sampler, sizeof l->sampler, "%.63s", fields[1]);
        snprintf(l->feature, sizeof l->feature, "%.63s", fields[2]);
        snprintf(l->kind, sizeof l->kind, "%.31s", fields[3]);
        l->mean = strtod(fields[4], NULL);
        l->sd = strtod(fields[5], NULL);
        l->folds = atoi(fields[6]);
    }
    return n;
}

#define SYNTH_FEATURES                                                                        \
    "features: {drop: [created_at, signup_date], columns: {products_purchased: {fill: 0}}}\n"

static int first_config_and_fold_1(const ll_cell *cell)
{
    return cell->model == 0 || cell->fold == 1;
}

static void permuted_ok(const ll_cell *cell, const ll_dataset *data)
{
    ck_assert_msg(cell->status == LL_CELL_OK, "%s", cell->error);
    ck_assert_uint_eq(cell->n_importances, data->n_cols);
    ck_assert_str_eq(cell->importance_kind, "permutation_ap");
    ck_assert_msg(cell->importance_seconds > 0 && cell->importance_seconds <= cell->seconds,
                  "%g of %g s", cell->importance_seconds, cell->seconds);
}

START_TEST(partial_run_renders_what_is_done)
{
    char path[600], spec_path[600];
    ll_error err;
    snprintf(path, sizeof path, "%s/train.csv", dir);
    ck_assert_int_eq(ll_synth_write(path, 1500, 5, &err), 0);
    th_write_file(dir, "spec.yaml",
                  "data: {train: train.csv, target: buy, id: id}\n" SYNTH_FEATURES
                  "plugin_path: [" LL_TEST_PLUGIN_DIR "]\n"
                  "models:\n  - knn: {k: [5, 15]}\ncv: {folds: 3}\n"
                  "importances: {method: permutation, max_rows: 300}\noutput: {dir: out}\n",
                  spec_path, sizeof spec_path);
    /* every cell of k=5, one fold of k=15 */
    th_held_run held;
    th_held_run_cells(spec_path, first_config_and_fold_1, permuted_ok, &held);
    const ll_spec spec = held.spec;
    const ll_dataset data = held.data;
    const ll_run_result run = held.run;
    ck_assert_uint_eq(run.n_pending, 2);
    ll_report_context ctx = {"leadlab run spec.yaml", "test machine", "0123abcd"};
    ck_assert_msg(ll_report_write(&spec, &data, &run, &ctx, &err) == 0, "%s", err.msg);
    char out_dir[700];
    snprintf(out_dir, sizeof out_dir, "%s/out/importances.csv", dir);
    char *text = th_read_file(out_dir);
    ck_assert_ptr_nonnull(text);
    imp_line lines[256];
    size_t n = parse_importances(text, lines, 256);
    ck_assert_uint_eq(n, 2 * data.n_cols);
    for (size_t i = 0; i < n; i++) {
        int first = i < data.n_cols;
        ck_assert_str_eq(lines[i].config, first ? "knn(k=5)" : "knn(k=15)");
        ck_assert_str_eq(lines[i].kind, "permutation_ap");
        ck_assert_int_eq(lines[i].folds, first ? 3 : 1);
        /* one fold: no spread to speak of */
        ck_assert(first || lines[i].sd == 0.0);
        if (i % data.n_cols)
            ck_assert_msg(lines[i].mean <= lines[i - 1].mean, "row %zu out of order", i);
    }
    /* the features are the data's columns, each once per row */
    for (size_t j = 0; j < data.n_cols; j++) {
        size_t seen = 0;
        for (size_t i = 0; i < data.n_cols; i++)
            seen += !strcmp(lines[i].feature, data.col_names[j]);
        ck_assert_msg(seen == 1, "%s listed %zu times", data.col_names[j], seen);
    }
    free(text);
    th_held_run_free(&held);
}
END_TEST

/* ---- runs of the executable ------------------------------------------------------------------ */

#define RUN_SPEC(MODELS, EXTRA)                                                               \
    "data: {synth: {rows: 1500, seed: 3}, target: buy, id: id}\n" SYNTH_FEATURES              \
    "models:\n" MODELS "cv: {folds: 3}\n" EXTRA "output: {dir: out}\n"
#define TWO_MODELS "  - knn: {k: 15}\n  - logreg\n"
#define SAMPLED "importances: {method: auto, repeats: 2, max_rows: 400}\n"

/* FOLDER/NAME as a malloc'd string (fails the test when absent). */
static char *read_in(const char *folder, const char *name)
{
    char path[1024];
    char *text = th_read_file(path_in(path, sizeof path, folder, name));
    ck_assert_msg(text != NULL, "missing %s", path);
    return text;
}

static int exists_in(const char *folder, const char *name)
{
    char path[1024];
    return access(path_in(path, sizeof path, folder, name), F_OK) == 0;
}

/* Writes FOLDER/spec.yaml and runs `leadlab run FOLDER/spec.yaml ARGS`; returns stdout and
 * fails unless the run exits 0. */
static char *run_in(const char *folder, const char *spec, const char *args)
{
    char path[1024], cmd[2048];
    th_write_file(folder, "spec.yaml", spec, path, sizeof path);
    snprintf(cmd, sizeof cmd, "run %s %s", path, args);
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(cmd, &out, &err);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", cmd, rc, err ? err : "");
    free(err);
    return out;
}

START_TEST(same_importances_at_any_j_and_isolation)
{
    const char *args[] = {"-j 1 --fresh", "-j 2 --fresh", "-j 2 --fresh --isolation none"};
    char *first = NULL, out_dir[600];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    for (int k = 0; k < 3; k++) {
        free(run_in(dir, RUN_SPEC(TWO_MODELS, SAMPLED), args[k]));
        char *text = read_in(out_dir, "importances.csv");
        if (!first) {
            first = text;
            continue;
        }
        ck_assert_msg(!strcmp(first, text), "importances.csv differs with %s", args[k]);
        free(text);
    }
    imp_line lines[256];
    size_t n = parse_importances(first, lines, 256), n_knn = 0;
    ck_assert_uint_gt(n, 10);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(lines[i].folds, 3);
        if (!strcmp(lines[i].config, "knn(k=15)")) {
            n_knn++;
            ck_assert_str_eq(lines[i].kind, "permutation_ap"); /* knn has no entry */
        }
    }
    ck_assert_uint_eq(2 * n_knn, n);
    /* logreg has an entry of its own: |coefficient| on the z-scored features */
    for (size_t i = 0; i < n; i++)
        if (!strcmp(lines[i].config, "logreg"))
            ck_assert_str_eq(lines[i].kind, "abs_coef");
    /* the leaderboard points at the file */
    char *md = read_in(out_dir, "leaderboard.md");
    ck_assert_msg(strstr(md, "importances.csv"), "%s", md);
    free(md);
    char *manifest = read_in(out_dir, ".outputs");
    ck_assert_msg(strstr(manifest, "\nimportances.csv\n"), "%s", manifest);
    free(manifest);
    free(first);
}
END_TEST

static void db_exec(const char *folder, const char *sql)
{
    char path[1024];
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path_in(path, sizeof path, folder, "results.db"), &db,
                                     SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
    sqlite3_close(db);
}

static long long db_count(const char *folder, const char *sql)
{
    char path[1024];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path_in(path, sizeof path, folder, "results.db"), &db,
                                     SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* A run that lost cells (as a killed one does: only whole cells are ever committed) and
 * resumes computes only those, and writes what an uninterrupted run writes. */
START_TEST(resumed_run_writes_the_same_importances)
{
    char a[600], b[600], a_out[1024], b_out[1024];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    ck_assert(mkdir(a, 0777) == 0 && mkdir(b, 0777) == 0);
    snprintf(a_out, sizeof a_out, "%s/out", a);
    snprintf(b_out, sizeof b_out, "%s/out", b);
    free(run_in(a, RUN_SPEC(TWO_MODELS, SAMPLED), "-j 2"));
    free(run_in(b, RUN_SPEC(TWO_MODELS, SAMPLED), "-j 2"));
    /* every ok cell has its importances row */
    ck_assert_int_eq(db_count(b_out, "SELECT count(*) FROM importances i JOIN cells c USING "
                                     "(key) WHERE c.status = 'ok' AND i.kind IS NOT NULL"),
                     6);
    db_exec(b_out, "DELETE FROM cells WHERE fold > 0; "
                   "DELETE FROM scores WHERE key NOT IN (SELECT key FROM cells); "
                   "DELETE FROM importances WHERE key NOT IN (SELECT key FROM cells)");
    char *out = run_in(b, RUN_SPEC(TWO_MODELS, SAMPLED), "-j 2");
    ck_assert_msg(strstr(out, "4 cells run, 2 reused from results.db)"), "%s", out);
    free(out);
    char *ta = read_in(a_out, "importances.csv"), *tb = read_in(b_out, "importances.csv");
    ck_assert_msg(!strcmp(ta, tb), "importances.csv differs after the resume:\n%s\nvs\n%s", ta,
                  tb);
    /* and it holds every fold: the reused cells' importances came back from the store */
    imp_line lines[256];
    size_t n = parse_importances(tb, lines, 256);
    ck_assert_uint_gt(n, 10);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(lines[i].folds, 3);
    free(ta);
    free(tb);
}
END_TEST

START_TEST(none_writes_no_file_and_model_says_who_has_none)
{
    char out_dir[600];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    free(run_in(dir, RUN_SPEC(TWO_MODELS, ""), "-j 2"));
    ck_assert(exists_in(out_dir, "importances.csv"));
    /* none: the file goes, the leaderboard stops naming it, and the cells rerun without */
    char *out = run_in(dir, RUN_SPEC(TWO_MODELS, "importances: none\n"), "-j 2");
    ck_assert_msg(strstr(out, "6 cells run, 0 reused from results.db)"), "%s", out);
    ck_assert_ptr_null(strstr(out, "importances"));
    free(out);
    ck_assert(!exists_in(out_dir, "importances.csv"));
    char *md = read_in(out_dir, "leaderboard.md");
    ck_assert_ptr_null(strstr(md, "importances"));
    free(md);
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM importances i JOIN cells c "
                                       "USING (key) WHERE c.run_id = 2"), 0);
    /* model: knn, without an entry of its own, gets none, and the leaderboard says why */
    out = run_in(dir, RUN_SPEC(TWO_MODELS, "importances: model\n"), "-j 2");
    ck_assert_msg(strstr(out, "3 of 6 finished cells have none (knn(k=15) has no importances "
                              "of its own)"), "%s", out);
    free(out);
    char *text = read_in(out_dir, "importances.csv");
    ck_assert_ptr_null(strstr(text, "knn"));
    free(text);
    /* with csv outputs off there is no importances.csv either */
    free(run_in(dir, RUN_SPEC(TWO_MODELS, "importances: model\n"),
                "-j 2 --set 'output.formats=[md]'"));
    ck_assert(!exists_in(out_dir, "importances.csv"));
}
END_TEST

/* ---- the spec -------------------------------------------------------------------------------- */

static void expect_spec_error(const char *importances, const char *needle)
{
    char spec[2048], path[700], cmd[1024];
    snprintf(spec, sizeof spec, RUN_SPEC(TWO_MODELS, "%s"), importances);
    th_write_file(dir, "spec.yaml", spec, path, sizeof path);
    snprintf(cmd, sizeof cmd, "validate %s", path);
    char *err = NULL;
    int rc = th_run_leadlab(cmd, NULL, &err);
    ck_assert_msg(rc == 2, "exit %d (expected 2) for %s: %s", rc, importances, err ? err : "");
    ck_assert_msg(err && strstr(err, needle), "expected '%s' in: %s", needle, err ? err : "");
    char *nl = strchr(err, '\n');
    ck_assert_msg(nl && nl[1] == '\0', "expected one line: %s", err);
    free(err);
}

START_TEST(bad_spec_values_are_one_line_errors)
{
    /* the importances line is line 7 of RUN_SPEC */
    expect_spec_error("importances: permutaton\n",
                      "spec.yaml:7:14: importances: unknown method 'permutaton' (did you mean "
                      "'permutation'?)");
    expect_spec_error("importances: {method: modle}\n",
                      "spec.yaml:7:23: importances.method: unknown method 'modle' (did you mean "
                      "'model'?)");
    expect_spec_error("importances: {repeat: 2}\n",
                      "spec.yaml:7:15: importances: unknown key 'repeat' (did you mean "
                      "'repeats'?)");
    expect_spec_error("importances: {repeats: 0}\n",
                      "spec.yaml:7:24: importances.repeats: 0 is out of range [1, 100]");
    expect_spec_error("importances: {max_rows: lots}\n",
                      "spec.yaml:7:25: importances.max_rows: expected an integer, got 'lots'");
    expect_spec_error("importances: [auto]\n",
                      "spec.yaml:7:14: importances: expected a method (auto, model, "
                      "permutation, none) or a mapping");
    /* and --set reaches it like any key */
    char path[1024], cmd[2048];
    th_write_file(dir, "spec.yaml", RUN_SPEC(TWO_MODELS, ""), path, sizeof path);
    snprintf(cmd, sizeof cmd, "validate %s --set importances=permutation", path);
    ck_assert_int_eq(th_run_leadlab(cmd, NULL, NULL), 0);
    snprintf(cmd, sizeof cmd, "validate %s --set importances=nope", path);
    char *err = NULL;
    ck_assert_int_eq(th_run_leadlab(cmd, NULL, &err), 2);
    ck_assert_msg(strstr(err, "--set importances=nope") && strstr(err, "unknown method 'nope'"),
                  "%s", err);
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("importance");
    TCase *unit = tcase_create("unit");
    tcase_add_checked_fixture(unit, setup, NULL);
    tcase_add_test(unit, planted_column_ranks_first);
    tcase_add_test(unit, rows_are_scaled_exactly_once);
    tcase_add_test(unit, sample_keeps_both_classes);
    tcase_add_test(unit, methods_and_model_entries);
    tcase_add_test(unit, partial_run_renders_what_is_done);
    suite_add_tcase(s, unit);
    TCase *runs = tcase_create("runs");
    tcase_set_timeout(runs, 0);
    tcase_add_checked_fixture(runs, setup, NULL);
    tcase_add_test(runs, same_importances_at_any_j_and_isolation);
    tcase_add_test(runs, resumed_run_writes_the_same_importances);
    tcase_add_test(runs, none_writes_no_file_and_model_says_who_has_none);
    tcase_add_test(runs, bad_spec_values_are_one_line_errors);
    suite_add_tcase(s, runs);
    return th_run_suite(s);
}
