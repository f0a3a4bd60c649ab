/* leadlab CV engine (see runner.h). */
#include "runner.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ll_run_result_free(ll_run_result *r)
{
    free(r->fold_of_row);
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

static void run_cell(const ll_spec *spec, const ll_dataset *data, ll_run_result *r, size_t m,
                     size_t s, size_t rep, size_t fold, int threads)
{
    ll_cell_result *cell = &r->cells[ll_cell_index(r, m, s, rep, fold)];
    const ll_config *model = &spec->models[m], *sampler = &spec->samplers[s];
    const uint32_t *fold_of = r->fold_of_row + rep * r->n_rows;
    size_t n = data->n_rows, n_cols = data->n_cols, n_test = 0;
    cell->seed = cell_seed(spec, rep, fold, sampler, model);
    size_t *rows = malloc(n * sizeof *rows);
    double *x_train = NULL, *x_test = NULL, *scores = NULL;
    uint8_t *y_train = NULL, *y_test = NULL;
    ll_err err = {{0}};
    ll_status st = LL_OK;
    if (!rows) {
        st = ll_fail(&err, LL_ENOMEM, "out of memory");
        goto out;
    }
    size_t n_train = 0;
    for (size_t i = 0; i < n; i++)
        if (fold_of[i] != fold)
            rows[n_train++] = i;
    for (size_t i = 0; i < n; i++)
        if (fold_of[i] == fold)
            rows[n_train + n_test++] = i;
    if (ll_gather_rows(data->x, data->y, n_cols, rows, n_train, &x_train, &y_train) != 0 ||
        ll_gather_rows(data->x, data->y, n_cols, rows + n_train, n_test, &x_test, &y_test) != 0 ||
        !(scores = malloc((n_test ? n_test : 1) * sizeof *scores))) {
        st = ll_fail(&err, LL_ENOMEM, "out of memory");
        goto out;
    }
    cell->n_test = n_test;
    for (size_t i = 0; i < n_test; i++)
        cell->positives_test += y_test[i];
    cell->threshold = spec->threshold;
    if (spec->tune_threshold)
        st = ll_tune_threshold(sampler, model, spec->scale_zscore, x_train, y_train, n_train,
                               n_cols, data->col_binary, spec->tune_folds, cell->seed, threads,
                               &cell->threshold, &err);
    if (st == LL_OK)
        st = ll_fit_predict(sampler, model, spec->scale_zscore, x_train, y_train, n_train, x_test,
                            n_test, n_cols, data->col_binary, cell->seed, threads, scores,
                            &cell->fit, &err);
    if (st == LL_OK) {
        ll_metrics fixed;
        if (ll_metrics_compute(y_test, scores, n_test, cell->threshold, &cell->metrics) != 0 ||
            ll_metrics_compute(y_test, scores, n_test, spec->threshold, &fixed) != 0)
            st = ll_fail(&err, LL_ENOMEM, "out of memory");
        cell->f1_fixed = fixed.f1;
        double *oof = ll_oof_scores(r, m, s, rep);
        for (size_t i = 0; i < n_test; i++)
            oof[rows[n_train + i]] = scores[i];
    }
out:
    if (st != LL_OK) {
        cell->failed = 1;
        snprintf(cell->error, sizeof cell->error, "%s", err.msg[0] ? err.msg : "failed");
    }
    free(rows);
    free(x_train);
    free(y_train);
    free(x_test);
    free(y_test);
    free(scores);
}

int ll_run_cv(const ll_spec *spec, const ll_dataset *data, const ll_run_options *opt,
              ll_run_result *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    ll_run_result *r = out;
    r->n_rows = data->n_rows;
    r->n_models = spec->n_models;
    r->n_samplers = spec->n_samplers;
    r->repeats = spec->repeats;
    r->folds = spec->folds;
    size_t n_series = r->n_models * r->n_samplers * r->repeats;
    size_t n_cells = n_series * r->folds;
    r->fold_of_row = malloc(r->repeats * r->n_rows * sizeof *r->fold_of_row);
    r->cells = calloc(n_cells, sizeof *r->cells);
    r->oof = malloc(n_series * r->n_rows * sizeof *r->oof);
    if (!r->fold_of_row || !r->cells || !r->oof) {
        ll_run_result_free(r);
        return ll_error_set(err, "out of memory for %zu cells", n_cells);
    }
    for (size_t i = 0; i < n_series * r->n_rows; i++)
        r->oof[i] = -1.0; /* stays negative only where a cell failed */
    for (size_t rep = 0; rep < r->repeats; rep++)
        if (ll_cv_stratified_folds(data->y, data->n_rows, spec->folds,
                                   ll_cv_repeat_seed(spec->seed, rep),
                                   r->fold_of_row + rep * r->n_rows, err) != 0) {
            ll_run_result_free(r);
            return -1;
        }
    int threads = opt->threads > 0 ? opt->threads : 1;
    r->threads = threads;
    /* Fewer cells than threads: hand each cell a share of the budget to use inside. */
    int per_cell = n_cells >= (size_t)threads ? 1 : threads / (int)n_cells;
    if (per_cell > 1)
        omp_set_max_active_levels(2);
    double start = now_seconds();
    size_t done = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (size_t c = 0; c < n_cells; c++) {
        size_t fold = c % r->folds, rest = c / r->folds;
        size_t rep = rest % r->repeats;
        rest /= r->repeats;
        size_t s = rest % r->n_samplers, m = rest / r->n_samplers;
        run_cell(spec, data, r, m, s, rep, fold, per_cell);
#pragma omp critical(ll_progress)
        {
            done++;
            if (opt->on_cell_done)
                opt->on_cell_done(done, n_cells, now_seconds() - start, opt->ctx);
        }
    }
    r->wall_seconds = now_seconds() - start;
    for (size_t c = 0; c < n_cells; c++)
        r->n_failed += r->cells[c].failed != 0;
    return 0;
}
