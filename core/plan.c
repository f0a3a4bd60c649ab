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
    free(r->rung_rows);
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
    /* Learned columns hold key codes, the same for count, frequency and target of the same
     * sources: what each fit makes of them is hashed apart. Only a matrix that has some hashes
     * this, so other specs keep their keys; the ones that had count features (which held
     * counts, not codes) get new ones. */
    if (data->encoding.n) {
        ll_hash_str(h, "fold-fitted encodings");
        ll_hash_u64(h, data->encoding.n);
        ll_hash_u64(h, LL_TARGET_CROSS_FIT_FOLDS);
        for (size_t c = 0; c < data->encoding.n; c++) {
            const ll_fold_column *col = &data->encoding.columns[c];
            ll_hash_u64(h, col->column);
            ll_hash_u64(h, (uint64_t)col->kind);
            ll_hash_u64(h, col->n_keys);
            ll_hash_f64(h, col->smoothing);
            ll_hash_u64(h, (uint64_t)col->has_fill);
            ll_hash_f64(h, col->has_fill ? col->fill : 0.0);
        }
    }
    ll_hash_u64(h, (uint64_t)spec->scale_zscore);
    ll_hash_u64(h, spec->folds);
    ll_hash_u64(h, spec->seed);
    /* Only time-ordered folds hash their method, so stratified cells keep their keys. */
    if (spec->cv_method == LL_CV_TIME) {
        ll_hash_str(h, "cv time");
        ll_hash_str(h, spec->features.order_column);
        ll_hash_f64(h, spec->cv_holdout);
    }
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

/* The key a refusal about the outer folds points at. */
static const char *folds_key(const ll_spec *spec)
{
    return spec->cv_holdout > 0 ? "cv.holdout" : "cv.folds";
}

/* Inner CV (the cut, calibrators) splits each training fold in its turn: refused before any
 * cell runs when a training fold has fewer rows of a class than there are inner folds. */
static int check_inner_folds(const ll_spec *spec, const ll_run_result *r, ll_error *err)
{
    int calibrates = 0;
    for (size_t m = 0; m < spec->n_models; m++)
        calibrates |= spec->models[m].calibration != LL_CALIBRATE_NONE;
    if (!calibrates && !spec->tune_threshold)
        return 0;
    size_t fewest = SIZE_MAX;
    for (size_t rep = 0; rep < r->repeats; rep++)
        for (size_t f = 0; f < r->folds; f++) {
            ll_split split = ll_plan_outer_split(r, rep, f);
            ll_split_span span;
            ll_split_describe(&split, r->y, NULL, r->n_rows, &span);
            size_t pos = span.train_positives, neg = span.n_train - pos;
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

/* Time-ordered folds are cut by date, not by class: refused when a fold's training rows lack a
 * class (nothing to learn) or its test rows hold no positive (F1 is undefined). Stratified
 * folds cannot fail this once the data has a row of each class per fold. Also sets the run's
 * t-test ratio: the mean over the folds of test rows / training rows, since forward-chaining
 * folds train on more rows each. */
static int check_time_folds(const ll_spec *spec, const ll_dataset *data, ll_run_result *r,
                            ll_error *err)
{
    double ratio = 0;
    for (size_t f = 0; f < r->folds; f++) {
        ll_split split = ll_plan_outer_split(r, 0, f);
        ll_split_span span;
        ll_split_describe(&split, r->y, data->order_days, r->n_rows, &span);
        char a[16], b[16], c[16], d[16];
        ll_format_date(span.train_first, a, sizeof a);
        ll_format_date(span.train_last, b, sizeof b);
        ll_format_date(span.test_first, c, sizeof c);
        ll_format_date(span.test_last, d, sizeof d);
        int holdout = spec->cv_holdout > 0;
        if (span.train_positives == 0 || span.train_positives == span.n_train)
            return ll_error_set(err, "%s: %s: fold %zu trains on %zu rows dated %s .. %s, which "
                                "hold no %s: use %s", ll_spec_where(spec, folds_key(spec)),
                                folds_key(spec), f, span.n_train, a, b,
                                span.train_positives ? "negative" : "positive",
                                holdout ? "a smaller holdout" : "fewer folds");
        if (span.test_positives == 0)
            return ll_error_set(err, "%s: %s: fold %zu tests on %zu rows dated %s .. %s, which "
                                "hold no positive (F1 is undefined): use %s",
                                ll_spec_where(spec, folds_key(spec)), folds_key(spec), f,
                                span.n_test, c, d, holdout ? "a larger holdout" : "fewer folds");
        ratio += (double)span.n_test / (double)span.n_train;
    }
    r->test_train_ratio = ratio / (double)r->folds;
    return 0;
}

/* The folds of every repeat: stratified and reshuffled per repeat, or time-ordered (the same
 * in every repeat: the spec allows only one). */
static int plan_folds(const ll_spec *spec, const ll_dataset *data, ll_run_result *r,
                      ll_error *err)
{
    if (spec->cv_method == LL_CV_TIME) {
        ll_error cv_err;
        if (!data->order_days)
            return ll_error_set(err, "%s: cv.column: the dataset was loaded without its dates",
                                ll_spec_where(spec, "cv.column"));
        if (ll_cv_time_folds(data->order_days, data->n_rows, spec->folds, spec->cv_holdout,
                             r->fold_of_row, &cv_err) != 0)
            return ll_error_set(err, "%s: %s: %s", ll_spec_where(spec, folds_key(spec)),
                                folds_key(spec), cv_err.msg);
        r->forward = 1;
        return check_time_folds(spec, data, r, err);
    }
    for (size_t rep = 0; rep < r->repeats; rep++)
        if (ll_cv_stratified_folds(data->y, data->n_rows, spec->folds,
                                   ll_cv_repeat_seed(spec->seed, rep),
                                   r->fold_of_row + rep * r->n_rows, err) != 0)
            return -1;
    return 0;
}

/* The inner folds of the nested selection and the ensembles, one split per (repeat, outer
 * fold) shared by every config, so that the configs are compared (and stacked) on the same
 * rows: stratified folds of that outer fold's training rows. */
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
            ll_split outer = ll_plan_outer_split(r, rep, f);
            if (ll_cv_inner_folds(data->y, &outer, n, r->inner_folds, seed,
                                  r->inner_fold_of_row + (rep * r->folds + f) * n, &cv_err) != 0)
                return ll_error_set(err, "%s: select.inner_folds%s: %s (outer fold %zu)",
                                    spec->path, spec->select ? "" : " (the ensembles' inner folds)",
                                    cv_err.msg, f);
        }
    return 0;
}

/* Successive halving's rungs (sklearn's HalvingRandomSearchCV with n_samples as the
 * resource): rung r trains the inner cells on min_rows x factor^r rows, the last on every row;
 * as many rungs as both the rows and the configs allow (each rung keeps 1/factor of them).
 * Without min_rows, the first rung's rows follow from the rung count ("exhaust"). */
static int plan_rungs(const ll_spec *spec, ll_run_result *r, ll_error *err)
{
    r->rungs = 1;
    r->halving_factor = spec->halving_factor;
    r->subsample_seed = ll_seed_mix(spec->seed, 0x4A17000u);
    if (spec->search != LL_SEARCH_HALVING || !r->inner_folds) {
        r->rung_rows = calloc(1, sizeof *r->rung_rows);
        return r->rung_rows ? 0 : ll_error_set(err, "out of memory");
    }
    /* The smallest inner training set bounds every budget. */
    size_t n_train = SIZE_MAX, splits = r->repeats * r->folds;
    for (size_t k = 0; k < splits; k++)
        for (size_t g = 0; g < r->inner_folds; g++) {
            size_t m = 0;
            const uint32_t *inner = r->inner_fold_of_row + k * r->n_rows;
            for (size_t i = 0; i < r->n_rows; i++)
                m += inner[i] != LL_FOLD_NONE && inner[i] != g;
            n_train = m < n_train ? m : n_train;
        }
    double factor = (double)spec->halving_factor;
    size_t configs = r->n_models * r->n_samplers, by_configs = 1, by_rows = 1;
    for (double c = (double)configs; c >= factor; c /= factor)
        by_configs++;
    size_t min_rows = spec->halving_min_rows;
    if (min_rows)
        for (double b = (double)min_rows; b < (double)n_train; b *= factor)
            by_rows++;
    r->rungs = min_rows && by_rows < by_configs ? by_rows : by_configs;
    if (!(r->rung_rows = calloc(r->rungs, sizeof *r->rung_rows)))
        return ll_error_set(err, "out of memory");
    for (size_t k = 0; k + 1 < r->rungs; k++) {
        double rows = min_rows ? (double)min_rows * pow(factor, (double)k)
                               : ceil((double)n_train / pow(factor, (double)(r->rungs - 1 - k)));
        r->rung_rows[k] = rows < (double)n_train ? (size_t)rows : 0;
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
    r->rungs = 1;
    if (r->n_outer == 0)
        return ll_error_set(err, "the spec plans no cells");
    r->fold_of_row = malloc(r->repeats * (r->n_rows ? r->n_rows : 1) * sizeof *r->fold_of_row);
    r->y = malloc(r->n_rows ? r->n_rows : 1);
    if (!r->fold_of_row || !r->y) {
        ll_run_result_free(r);
        return ll_error_set(err, "out of memory for the folds");
    }
    memcpy(r->y, data->y, r->n_rows);
    memcpy(r->at, spec->at, sizeof r->at);
    r->n_at = spec->n_at;
    if (plan_folds(spec, data, r, err) != 0 || check_inner_folds(spec, r, err) != 0 ||
        plan_selection_folds(spec, data, r, err) != 0 || plan_rungs(spec, r, err) != 0) {
        ll_run_result_free(r);
        return -1;
    }
    r->n_cells = r->n_outer * (1 + r->inner_folds * r->rungs);
    if (!(r->cells = calloc(r->n_cells, sizeof *r->cells))) {
        ll_run_result_free(r);
        return ll_error_set(err, "out of memory for %zu cells", r->n_cells);
    }
    /* Under halving, only the first rung runs at first; the selection wakes the rest. */
    int halving = r->rungs > 1 || spec->search == LL_SEARCH_HALVING;
    ll_hash context;
    ll_hash_init(&context);
    hash_run_context(&context, spec, data, data_hash);
    /* Forward-chaining folds train on more rows each: the prior follows each fold's size. */
    size_t *n_train = malloc(r->folds * sizeof *n_train);
    if (!n_train) {
        ll_run_result_free(r);
        return ll_error_set(err, "out of memory");
    }
    for (size_t f = 0; f < r->folds; f++) {
        ll_split split = ll_plan_outer_split(r, 0, f);
        ll_split_span span;
        ll_split_describe(&split, NULL, NULL, r->n_rows, &span);
        n_train[f] = span.n_train;
    }
    for (size_t m = 0; m < r->n_models; m++)
        for (size_t s = 0; s < r->n_samplers; s++) {
            ll_hash pair = context;
            hash_config(&pair, &spec->samplers[s], spec->calibrate_folds);
            hash_config(&pair, &spec->models[m], spec->calibrate_folds);
            for (size_t rep = 0; rep < r->repeats; rep++)
                for (size_t f = 0; f < r->folds; f++) {
                    double prior = prior_cost(&spec->models[m], &spec->samplers[s], n_train[f]);
                    /* An inner cell fits once on a share of the training rows; a tuned outer
                     * cell fits once per inner fold and once more. */
                    double inner_prior =
                        r->inner_folds ? prior * (double)(r->inner_folds - 1) /
                                             (double)r->inner_folds /
                                             (spec->tune_threshold ? (double)spec->tune_folds + 1
                                                                   : 1)
                                       : 0;
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
                    c->status = halving ? LL_CELL_DORMANT : LL_CELL_PENDING;
                    for (size_t rung = 0; rung < r->rungs; rung++)
                        for (size_t g = 0; g < r->inner_folds; g++) {
                            ll_cell *in = &r->cells[ll_inner_cell_index(r, m, s, rep, f, rung, g)];
                            *in = *c;
                            in->inner = (uint32_t)(g + 1);
                            in->rung = (uint32_t)rung;
                            in->status = rung ? LL_CELL_DORMANT : LL_CELL_PENDING;
                            in->seed = ll_seed_mix(c->seed, 0x1AAE0000u + g);
                            ll_hash hi = h;
                            ll_hash_str(&hi, "inner");
                            ll_hash_u64(&hi, r->inner_folds);
                            ll_hash_u64(&hi, g);
                            /* The last rung trains on every row: the key of a plain selection's
                             * inner cell, so either run reuses the other's. */
                            size_t rows = r->rung_rows[rung];
                            if (rows) {
                                ll_hash_str(&hi, "rows");
                                ll_hash_u64(&hi, rows);
                                ll_hash_u64(&hi, r->subsample_seed);
                            }
                            in->key = ll_hash_final(&hi);
                            size_t inner_train = n_train[f] - n_train[f] / r->inner_folds;
                            in->expected_seconds =
                                rows && rows < inner_train
                                    ? inner_prior * (double)rows / (double)inner_train
                                    : inner_prior;
                        }
                }
        }
    free(n_train);
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
        ll_split split = ll_plan_split(r, cell);
        size_t k = 0;
        for (size_t i = 0; i < r->n_rows && k < cell->n_test; i++)
            if (ll_split_is_test(&split, i)) {
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
