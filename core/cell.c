/* leadlab cell (see cell.h): the split, the optional nested cut and the fit of one cell. */
#include "cell.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ll_cell_clear(ll_cell *cell)
{
    free(cell->scores);
    size_t keep = offsetof(ll_cell, status);
    memset((char *)cell + keep, 0, sizeof *cell - keep);
}

void ll_cell_fail(ll_cell *cell, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cell->error, sizeof cell->error, fmt, ap);
    va_end(ap);
    for (char *c = cell->error; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    cell->status = LL_CELL_FAILED;
}

void ll_cell_run(const ll_spec *spec, const ll_dataset *data, const uint32_t *fold_of_row,
                 ll_cell *cell, int threads)
{
    ll_cell_clear(cell);
    double start = now_seconds();
    size_t n = data->n_rows, n_cols = data->n_cols, n_train = 0, n_test = 0;
    size_t *rows = malloc((n ? n : 1) * sizeof *rows);
    double *x_train = NULL, *x_test = NULL;
    uint8_t *y_train = NULL, *y_test = NULL;
    ll_err err = {{0}};
    ll_status st = LL_OK;
    if (!rows) {
        st = ll_fail(&err, LL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (fold_of_row[i] != cell->fold)
            rows[n_train++] = i;
    for (size_t i = 0; i < n; i++)
        if (fold_of_row[i] == cell->fold)
            rows[n_train + n_test++] = i;
    if (ll_gather_rows(data->x, data->y, n_cols, rows, n_train, &x_train, &y_train) != 0 ||
        ll_gather_rows(data->x, data->y, n_cols, rows + n_train, n_test, &x_test, &y_test) != 0 ||
        !(cell->scores = malloc((n_test ? n_test : 1) * sizeof *cell->scores))) {
        st = ll_fail(&err, LL_ENOMEM, "out of memory");
        goto out;
    }
    cell->n_test = n_test;
    for (size_t i = 0; i < n_test; i++)
        cell->positives_test += y_test[i];
    ll_fit_setup setup = {&spec->samplers[cell->sampler], &spec->models[cell->model],
                          spec->scale_zscore, n_cols, data->col_binary, cell->seed, threads,
                          (const char *const *)data->col_names};
    ll_rows train = {x_train, y_train, n_train}, test = {x_test, NULL, n_test};
    cell->threshold = spec->threshold;
    if (spec->tune_threshold)
        st = ll_tune_threshold(&setup, spec->tune_folds, train, &cell->threshold, &err);
    if (st == LL_OK)
        st = ll_fit_predict(&setup, train, test, cell->scores, &cell->fit, &err);
    if (st == LL_OK) {
        ll_metrics fixed;
        if (ll_metrics_compute(y_test, cell->scores, n_test, cell->threshold, &cell->metrics) != 0 ||
            ll_metrics_compute(y_test, cell->scores, n_test, spec->threshold, &fixed) != 0)
            st = ll_fail(&err, LL_ENOMEM, "out of memory");
        cell->f1_fixed = fixed.f1;
    }
out:
    if (st == LL_OK) {
        cell->status = LL_CELL_OK;
    } else {
        /* A plugin's message is bounded here: it may have left the buffer unterminated. */
        err.msg[sizeof err.msg - 1] = '\0';
        ll_cell_fail(cell, "%s", err.msg[0] ? err.msg : "failed");
        free(cell->scores);
        cell->scores = NULL;
    }
    cell->seconds = now_seconds() - start;
    free(rows);
    free(x_train);
    free(y_train);
    free(x_test);
    free(y_test);
}
