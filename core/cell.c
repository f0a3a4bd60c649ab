/* leadlab cell (see cell.h): the split, the optional nested cut, the fit and the importances
 * of one cell. */
#include "cell.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "importance.h"

void ll_cell_clear(ll_cell *cell)
{
    free(cell->scores);
    free(cell->importances);
    size_t keep = offsetof(ll_cell, status);
    memset((char *)cell + keep, 0, sizeof *cell - keep);
}

ll_cell ll_cell_pending_copy(const ll_cell *plan)
{
    ll_cell cell;
    memset(&cell, 0, sizeof cell);
    memcpy(&cell, plan, offsetof(ll_cell, status));
    return cell;
}

/* Messages land in CSV and Markdown cells: one line each. */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

void ll_cell_fail(ll_cell *cell, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cell->error, sizeof cell->error, fmt, ap);
    va_end(ap);
    one_line(cell->error);
    cell->status = LL_CELL_FAILED;
}

/* The importances the spec asks for, of the fitted model on the cell's test rows (indexes into
 * data, whose rows are still unencoded and unscaled: a permutation shuffles key codes, which
 * the fitted tables then encode as they would the shuffled values). A failure here is not the
 * cell's: its scores stand, and the note says why it has no importances. */
static void measure_importances(const ll_spec *spec, const ll_dataset *data,
                                const ll_fitted *fitted, const size_t *test_rows, size_t n_test,
                                ll_cell *cell, int threads)
{
    double start = ll_now_seconds();
    size_t n_cols = data->n_cols;
    ll_err err = {{0}};
    const char *kind = NULL;
    ll_permutation_setup setup = {spec->importance_repeats, spec->importance_max_rows,
                                  cell->seed, threads};
    double *values = malloc((n_cols ? n_cols : 1) * sizeof *values);
    ll_status st = values ? ll_importances_compute(spec->importances, fitted, data->x, data->y,
                                                   test_rows, n_test, &setup, values, &kind,
                                                   &err)
                          : ll_fail(&err, LL_ENOMEM, "out of memory");
    if (st == LL_OK) {
        cell->importances = values;
        cell->n_importances = n_cols;
        snprintf(cell->importance_kind, sizeof cell->importance_kind, "%s", kind);
        one_line(cell->importance_kind);
    } else {
        free(values);
        err.msg[sizeof err.msg - 1] = '\0';
        /* The note is shorter than a message: cut it, on purpose. */
        snprintf(cell->importance_note, sizeof cell->importance_note, "%.*s",
                 (int)sizeof cell->importance_note - 1,
                 err.msg[0] ? err.msg : "importances failed");
        one_line(cell->importance_note);
    }
    cell->importance_seconds = ll_now_seconds() - start;
}

void ll_cell_run(const ll_spec *spec, const ll_dataset *data, const ll_split *split,
                 ll_cell *cell, int threads)
{
    ll_cell_clear(cell);
    char context[256]; /* the cell's name in its plugins' log lines, as cells.csv has it */
    int n = snprintf(context, sizeof context, "%s x %s, repeat %u, fold %u",
                     spec->models[cell->model].label, spec->samplers[cell->sampler].label,
                     cell->repeat, cell->fold);
    if (cell->inner && n > 0 && (size_t)n < sizeof context)
        snprintf(context + n, sizeof context - (size_t)n, ", inner fold %u, rung %u",
                 cell->inner - 1, cell->rung);
    ll_host_set_log_context(context);
    double start = ll_now_seconds();
    size_t n_rows = data->n_rows, n_cols = data->n_cols, n_train = 0, n_test = 0;
    size_t *rows = malloc((n_rows ? n_rows : 1) * sizeof *rows);
    double *x_train = NULL, *x_test = NULL;
    uint8_t *y_train = NULL, *y_test = NULL;
    ll_err err = {{0}};
    ll_status st = LL_OK;
    ll_fitted fitted;
    memset(&fitted, 0, sizeof fitted); /* freed on every path, fitted or not */
    if (!rows) {
        st = ll_fail(&err, LL_ENOMEM, "out of memory");
        goto out;
    }
    n_train = ll_split_train_rows(split, data->y, n_rows, rows);
    if (n_train == SIZE_MAX) {
        st = ll_fail(&err, LL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_rows; i++)
        if (ll_split_is_test(split, i))
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
                          (const char *const *)data->col_names, &data->encoding};
    ll_rows train = {x_train, y_train, n_train}, test = {x_test, NULL, n_test};
    /* An inner cell's cut comes from the scores of all its inner folds (select.c). */
    ll_nested_setup nested = {spec->tune_threshold && !cell->inner, spec->threshold,
                              spec->tune_folds};
    /* The fitted model is kept for the importances. */
    st = ll_fit_nested(&setup, &nested, train, &fitted, &cell->threshold, &cell->fit, &err);
    if (st == LL_OK) {
        double t1 = ll_now_seconds();
        st = ll_fitted_predict(&fitted, test, threads, cell->scores, &err);
        cell->fit.predict_seconds = ll_now_seconds() - t1;
    }
    if (st == LL_OK) {
        ll_metrics fixed;
        if (ll_metrics_compute(y_test, cell->scores, n_test, cell->threshold, &cell->metrics) != 0 ||
            ll_metrics_compute(y_test, cell->scores, n_test, spec->threshold, &fixed) != 0)
            st = ll_fail(&err, LL_ENOMEM, "out of memory");
        cell->f1_fixed = fixed.f1;
    }
    if (st == LL_OK && spec->importances != LL_IMPORTANCE_NONE && !cell->inner)
        measure_importances(spec, data, &fitted, rows + n_train, n_test, cell, threads);
out:
    ll_fitted_free(&fitted);
    if (st == LL_OK) {
        cell->status = LL_CELL_OK;
    } else {
        /* A plugin's message is bounded here: it may have left the buffer unterminated. */
        err.msg[sizeof err.msg - 1] = '\0';
        ll_cell_fail(cell, "%s", err.msg[0] ? err.msg : "failed");
        free(cell->scores);
        cell->scores = NULL;
    }
    cell->seconds = ll_now_seconds() - start;
    free(rows);
    free(x_train);
    free(y_train);
    free(x_test);
    free(y_test);
    ll_host_set_log_context(NULL);
}
