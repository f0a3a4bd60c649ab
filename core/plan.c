/* leadlab plan (see runner.h): the folds and every cell's identity, key and seed, and the
 * out-of-fold matrix assembled from finished cells. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "cv.h"
#include "ensemble.h"
#include "params.h"
#include "runner.h"
#include "select.h"

/* Bumped when a change to the core (splits, scaling, tuning, metrics) changes cell outcomes,
 * so stored cells of an older leadlab are recomputed rather than reused. */
#define LL_RESULTS_EPOCH 1u

void ll_run_result_free(ll_run_result *r)
{
    if (r->cells)
        for (size_t c = 0; c < r->n_cells; c++)
            ll_cell_clear(&r->cells[c]);
    free(r->fold_of_row);
    free(r->inner_fold_of_row);
    ll_selection_free(r->selection);
    ll_ensembles_free(r->ensembles);
    ll_run_derived_free(r);
    free(r->y);
    free(r->cells);
    free(r->oof);
    memset(r, 0, sizeof *r);
}

/* The seed of one cell depends on what the cell is (its configurations, not their labels or
 * places in the lists), so adding a model to a spec, or writing a config's keys in another
 * order, leaves every other row of the leaderboard unchanged. */
static uint64_t cell_seed(const ll_spec *spec, size_t repeat, size_t fold,
                          const ll_config *sampler, const ll_config *model)
{
    uint64_t s = ll_seed_mix(spec->seed, repeat);
    s = ll_seed_mix(s, fold);
    s = ll_seed_mix(s, ll_params_hash(sampler->params));
    return ll_seed_mix(s, ll_params_hash(model->params));
}

/* Everything about the run that every cell's outcome depends on: the data file, the feature
 * matrix the spec's transforms made of it, preprocessing, the fold scheme and the cut. */
static void hash_run_context(ll_hash *h, const ll_spec *spec, const ll_dataset *data,
                             ll_digest data_hash)
{
    ll_hash_str(h, "leadlab cell");
    ll_hash_u64(h, LL_RESULTS_EPOCH);
    ll_hash_u64(h, data_hash.hi);
    ll_hash_u64(h, data_hash.lo);
    ll_hash_u64(h, data->n_rows);
    ll_hash_u64(h, data->n_cols);
    for (size_t j = 0; j < data->n_cols; j++) {
        ll_hash_str(h, data->col_names[j]);
        ll_hash_u64(h, data->col_binary ? data->col_binary[j] : 0);
    }
    for (size_t i = 0; i < data->n_rows * data->n_cols; i++)
        ll_hash_f64(h, data->x[i]);
    ll_hash_bytes(h, data->y, data->n_rows);
    ll_hash_u64(h, (uint64_t)spec->scale_zscore);
    ll_hash_u64(h, spec->folds);
    ll_hash_u64(h, spec->seed);
    ll_hash_f64(h, spec->threshold);
    ll_hash_u64(h, (uint64_t)spec->tune_threshold);
    ll_hash_u64(h, spec->tune_threshold ? spec->tune_folds : 0);
    /* The importances are part of a cell's stored outcome: asking for others reruns it. The
     * permutation's draws matter only where it may run. */
    ll_hash_u64(h, (uint64_t)spec->importances);
    if (spec->importances == LL_IMPORTANCE_AUTO || spec->importances == LL_IMPORTANCE_PERMUTATION) {
        ll_hash_u64(h, spec->importance_repeats);
        ll_hash_u64(h, spec->importance_max_rows);
    }
}

static void hash_config(ll_hash *h, const ll_config *c, size_t calibrate_folds)
{
    ll_hash_str(h, c->plugin->name);
    ll_hash_str(h, c->plugin->version);
    ll_params_hash_into(c->params, h);
    /* Only a calibrating config hashes its calibration, so other cells keep their keys. */
    if (c->calibration != LL_CALIBRATE_NONE) {
        ll_hash_u64(h, (uint64_t)c->calibration);
        ll_hash_u64(h, calibrate_folds);
    }
}

/* A rough cost per plugin, for the order of cells and the ETA before any has finished; the
 * scheduler rescales it by what it measures. Seconds per 10,000 training rows without a
 * sampler, and the factor a sampler adds, as measured on experiments/leaderboard.yaml (2 cores,
 * tuned cut). Unknown plugins get a middle value. */
double ll_plan_prior_cost(const char *model, const char *sampler, size_t n_train)
{
    static const struct {
        const char *name;
        double cost;
    } models[] = {{"ridge", 0.01}, {"logreg", 0.02}, {"knn", 0.12}, {"sgb", 0.14},
                  {"bagging", 0.2}, {"svm", 0.45},   {"dnn", 1.4}},
      samplers[] = {{"none", 1}, {"smote", 3}, {"undersample", 0.2}};
    double m = 0.2, s = 1;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (!strcmp(model, models[i].name))
            m = models[i].cost;
    for (size_t i = 0; i < sizeof samplers / sizeof samplers[0]; i++)
        if (!strcmp(sampler, samplers[i].name))
            s = samplers[i].cost;
    return m * s * (double)n_train * 1e-4;
}

static double prior_cost(const ll_config *model, const ll_config *sampler, size_t n_train)
{
    return ll_plan_prior_cost(model->plugin->name, sampler->plugin->name, n_train);
}

/* Inner CV (the cut, calibrators) splits each training fold in its turn: refused before any
 * cell runs when a training fold has fewer rows of a class than there are inner folds. */
static int check_inner_folds(const ll_spec *spec, const ll_dataset *data,
                             const ll_run_result *r, ll_error *err)
{
    int calibrates = 0;
    for (size_t m = 0; m < spec->n_models; m++)
        calibrates |= spec->models[m].calibration != LL_CALIBRATE_NONE;
    if (!calibrates && !spec->tune_threshold)
        return 0;
    size_t fewest = SIZE_MAX;
    for (size_t rep = 0; rep < r->repeats; rep++)
        for (size_t f = 0; f < r->folds; f++) {
            size_t pos = 0, neg = 0;
            const uint32_t *fold_of = r->fold_of_row + rep * r->n_rows;
            for (size_t i = 0; i < r->n_rows; i++)
                if (fold_of[i] != f)
                    data->y[i] ? pos++ : neg++;
            fewest = pos < fewest ? pos : fewest;
            fewest = neg < fewest ? neg : fewest;
        }
    if (fewest >= spec->tune_folds)
        return 0;
    return ll_error_set(err, "%s: %s: %zu inner folds need %zu rows of each class in every "
                        "training fold; the smallest training fold has %zu of one class",
                        spec->path, calibrates ? "calibrate.folds" : "threshold.folds",
                        spec->tune_folds, spec->tune_folds, fewest);
}

/* The inner folds of the nested selection and the ensembles, one split per (repeat, outer
 * fold) shared by every config, so that the configs are compared (and stacked) on the same
 * rows. */
static int plan_selection_folds(const ll_spec *spec, const ll_dataset *data, ll_run_result *r,
                                ll_error *err)
{
    if (!r->inner_folds)
        return 0;
    size_t n = r->n_rows, splits = r->repeats * r->folds;
    size_t cells = splits * n;
    r->inner_fold_of_row = malloc((cells ? cells : 1) * sizeof *r->inner_fold_of_row);
    if (!r->inner_fold_of_row)
        return ll_error_set(err, "out of memory for the inner folds");
    for (size_t rep = 0; rep < r->repeats; rep++)
        for (size_t f = 0; f < r->folds; f++) {
            ll_error cv_err;
            uint64_t seed = ll_seed_mix(ll_cv_repeat_seed(spec->seed, rep), 0x1AAE0000u + f);
            if (ll_cv_inner_folds(data->y, r->fold_of_row + rep * n, n, (uint32_t)f,
                                  r->inner_folds, seed,
                                  r->inner_fold_of_row + (rep * r->folds + f) * n, &cv_err) != 0)
                return ll_error_set(err, "%s: select.inner_folds%s: %s (outer fold %zu)",
                                    spec->path, spec->select ? "" : " (the ensembles' inner folds)",
                                    cv_err.msg, f);
        }
    return 0;
}

int ll_plan_build(const ll_spec *spec, const ll_dataset *data, ll_digest data_hash,
                  ll_run_result *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    ll_run_result *r = out;
    r->n_rows = data->n_rows;
    r->n_models = spec->n_models;
    r->n_samplers = spec->n_samplers;
    r->repeats = spec->repeats;
    r->folds = spec->folds;
    r->n_outer = r->n_models * r->n_samplers * r->repeats * r->folds;
    /* The nested selection and the ensembles share one set of inner cells. */
    r->inner_folds = spec->select || spec->n_ensembles ? spec->select_inner_folds : 0;
    r->n_cells = r->n_outer * (1 + r->inner_folds);
    if (r->n_cells == 0)
        return ll_error_set(err, "the spec plans no cells");
    r->fold_of_row = malloc(r->repeats * (r->n_rows ? r->n_rows : 1) * sizeof *r->fold_of_row);
    r->cells = calloc(r->n_cells, sizeof *r->cells);
    r->y = malloc(r->n_rows ? r->n_rows : 1);
    if (!r->fold_of_row || !r->cells || !r->y) {
        ll_run_result_free(r);
        return ll_error_set(err, "out of memory for %zu cells", r->n_cells);
    }
    memcpy(r->y, data->y, r->n_rows);
    memcpy(r->at, spec->at, sizeof r->at);
    r->n_at = spec->n_at;
    for (size_t rep = 0; rep < r->repeats; rep++)
        if (ll_cv_stratified_folds(data->y, data->n_rows, spec->folds,
                                   ll_cv_repeat_seed(spec->seed, rep),
                                   r->fold_of_row + rep * r->n_rows, err) != 0) {
            ll_run_result_free(r);
            return -1;
        }
    if (check_inner_folds(spec, data, r, err) != 0 || plan_selection_folds(spec, data, r, err) != 0) {
        ll_run_result_free(r);
        return -1;
    }
    ll_hash context;
    ll_hash_init(&context);
    hash_run_context(&context, spec, data, data_hash);
    size_t n_train = data->n_rows - data->n_rows / spec->folds;
    for (size_t m = 0; m < r->n_models; m++)
        for (size_t s = 0; s < r->n_samplers; s++) {
            ll_hash pair = context;
            hash_config(&pair, &spec->samplers[s], spec->calibrate_folds);
            hash_config(&pair, &spec->models[m], spec->calibrate_folds);
            double prior = prior_cost(&spec->models[m], &spec->samplers[s], n_train);
            /* An inner cell fits once on a share of the training rows; a tuned outer cell
             * fits once per inner fold and once more. */
            double inner_prior = r->inner_folds
                                     ? prior * (double)(r->inner_folds - 1) /
                                           (double)r->inner_folds /
                                           (spec->tune_threshold ? (double)spec->tune_folds + 1 : 1)
                                     : 0;
            for (size_t rep = 0; rep < r->repeats; rep++)
                for (size_t f = 0; f < r->folds; f++) {
                    ll_cell *c = &r->cells[ll_cell_index(r, m, s, rep, f)];
                    c->model = (uint32_t)m;
                    c->sampler = (uint32_t)s;
                    c->repeat = (uint32_t)rep;
                    c->fold = (uint32_t)f;
                    c->seed = cell_seed(spec, rep, f, &spec->samplers[s], &spec->models[m]);
                    ll_hash h = pair;
                    ll_hash_u64(&h, rep);
                    ll_hash_u64(&h, f);
                    c->key = ll_hash_final(&h);
                    c->expected_seconds = prior;
                    for (size_t g = 0; g < r->inner_folds; g++) {
                        ll_cell *in = &r->cells[ll_inner_cell_index(r, m, s, rep, f, g)];
                        *in = *c;
                        in->inner = (uint32_t)(g + 1);
                        in->seed = ll_seed_mix(c->seed, 0x1AAE0000u + g);
                        ll_hash hi = h;
                        ll_hash_str(&hi, "inner");
                        ll_hash_u64(&hi, r->inner_folds);
                        ll_hash_u64(&hi, g);
                        in->key = ll_hash_final(&hi);
                        in->expected_seconds = inner_prior;
                    }
                }
        }
    return 0;
}

uint32_t *ll_plan_test_rows(const ll_run_result *run, const ll_cell *cell, size_t *n_out)
{
    ll_split split = ll_plan_split(run, cell);
    size_t n = 0;
    for (size_t i = 0; i < run->n_rows; i++)
        n += ll_split_is_test(&split, i);
    uint32_t *rows = malloc((n ? n : 1) * sizeof *rows);
    if (!rows)
        return NULL;
    n = 0;
    for (size_t i = 0; i < run->n_rows; i++)
        if (ll_split_is_test(&split, i))
            rows[n++] = (uint32_t)i;
    *n_out = n;
    return rows;
}

int ll_run_collect(ll_run_result *r, ll_error *err)
{
    size_t n_series = r->n_models * r->n_samplers * r->repeats;
    free(r->oof);
    r->oof = malloc(n_series * (r->n_rows ? r->n_rows : 1) * sizeof *r->oof);
    if (!r->oof)
        return ll_error_set(err, "out of memory");
    for (size_t i = 0; i < n_series * r->n_rows; i++)
        r->oof[i] = -1.0; /* stays negative only where a cell failed or is pending */
    r->n_ok = r->n_failed = r->n_pending = 0;
    uint8_t *y_test = malloc(r->n_rows ? r->n_rows : 1);
    if (!y_test)
        return ll_error_set(err, "out of memory");
    for (size_t c = 0; c < r->n_cells; c++) {
        const ll_cell *cell = &r->cells[c];
        for (size_t j = 0; j < sizeof cell->score_metrics / sizeof cell->score_metrics[0]; j++)
            r->cells[c].score_metrics[j] = NAN;
        if (cell->status == LL_CELL_FAILED)
            r->n_failed++;
        if (cell->status != LL_CELL_OK) {
            r->n_pending += cell->status == LL_CELL_PENDING;
            continue;
        }
        r->n_ok++;
        if (cell->inner) /* inner scores serve the selection only (select.c) */
            continue;
        double *oof = ll_oof_scores(r, cell->model, cell->sampler, cell->repeat);
        const uint32_t *fold_of = r->fold_of_row + (size_t)cell->repeat * r->n_rows;
        size_t k = 0;
        for (size_t i = 0; i < r->n_rows && k < cell->n_test; i++)
            if (fold_of[i] == cell->fold) {
                y_test[k] = r->y[i];
                oof[i] = cell->scores[k++];
            }
        if (ll_score_metrics(r->at, r->n_at, y_test, cell->scores, k,
                             r->cells[c].score_metrics) != 0) {
            free(y_test);
            return ll_error_set(err, "out of memory");
        }
    }
    free(y_test);
    return 0;
}
