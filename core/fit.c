/* leadlab one fit (see fit.h). */
#include "fit.h"

#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv.h"
#include "metrics.h"
#include "scaler.h"

double ll_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int ll_gather_rows(const double *x, const uint8_t *y, size_t n_cols, const size_t *rows,
                   size_t n_rows, double **x_out, uint8_t **y_out)
{
    if (n_cols && n_rows > SIZE_MAX / sizeof(double) / n_cols)
        return -1;
    size_t cells = n_rows * n_cols;
    double *xs = malloc((cells ? cells : 1) * sizeof *xs);
    uint8_t *ys = y_out ? malloc(n_rows ? n_rows : 1) : NULL;
    if (!xs || (y_out && !ys)) {
        free(xs);
        free(ys);
        return -1;
    }
    for (size_t i = 0; i < n_rows; i++) {
        memcpy(xs + i * n_cols, x + rows[i] * n_cols, n_cols * sizeof *xs);
        if (ys)
            ys[i] = y[rows[i]];
    }
    *x_out = xs;
    if (y_out)
        *y_out = ys;
    return 0;
}

static size_t count_positive(const uint8_t *y, size_t n)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += y[i] != 0;
    return pos;
}

/* ---- a sampler's output (see fit.h) ---- */

int ll_resampled_shape_ok(const ll_owned_data *out, size_t n_cols, int may_be_empty)
{
    if (may_be_empty && out->n_rows == 0 && out->n_cols == n_cols)
        return 1;
    return out->x && out->y && out->n_cols == n_cols && out->n_rows > 0;
}

int ll_resampled_allocated(const ll_owned_data *out)
{
    size_t n_rows = out->n_rows, n_cols = out->n_cols;
    if (n_rows == 0)
        return 1;
    return !(n_cols && n_rows > SIZE_MAX / sizeof(double) / n_cols) &&
           malloc_usable_size(out->x) >= n_rows * n_cols * sizeof(double) &&
           malloc_usable_size(out->y) >= n_rows;
}

size_t ll_resampled_bad_label(const ll_owned_data *out)
{
    size_t i = 0;
    while (i < out->n_rows && out->y[i] <= 1)
        i++;
    return i;
}

size_t ll_resampled_bad_value(const ll_owned_data *out)
{
    size_t cells = out->n_rows * out->n_cols, i = 0;
    while (i < cells && isfinite(out->x[i]))
        i++;
    return i;
}

ll_status ll_check_resampled(const char *label, const ll_owned_data *out, size_t n_cols,
                             ll_err *err)
{
    if (!ll_resampled_shape_ok(out, n_cols, 0))
        return ll_fail(err, LL_EFAIL, "sampler %s returned %zu rows x %zu columns (expected %zu)",
                       label, out->n_rows, out->n_cols, n_cols);
    if (!ll_resampled_allocated(out))
        return ll_fail(err, LL_EFAIL, "sampler %s reported %zu rows but allocated fewer", label,
                       out->n_rows);
    size_t i = ll_resampled_bad_label(out);
    if (i < out->n_rows)
        return ll_fail(err, LL_EFAIL, "sampler %s returned label %u", label, out->y[i]);
    if (ll_resampled_bad_value(out) < out->n_rows * n_cols)
        return ll_fail(err, LL_ENUMERIC, "sampler %s returned a non-finite value", label);
    return LL_OK;
}

void ll_fitted_free(ll_fitted *fitted)
{
    if (!fitted)
        return;
    if (fitted->model && fitted->state)
        fitted->model->plugin->model->destroy(fitted->state);
    ll_fold_fitted_free(&fitted->encoding);
    ll_scaler_free(&fitted->scaler);
    ll_calibrator_free(&fitted->calibrator);
    memset(fitted, 0, sizeof *fitted);
}

ll_status ll_fit_model(const ll_fit_setup *setup, ll_rows train_rows, ll_fitted *fitted,
                       ll_fit_stats *stats, ll_err *err)
{
    const ll_config *sampler = setup->sampler, *model = setup->model;
    size_t n_cols = setup->n_cols, n_train = train_rows.n;
    double *x_train = train_rows.x;
    const uint8_t *y_train = train_rows.y;
    uint64_t seed = setup->seed;
    memset(fitted, 0, sizeof *fitted);
    memset(stats, 0, sizeof *stats);
    err->msg[0] = '\0';
    fitted->model = model;
    fitted->n_cols = n_cols;
    fitted->col_binary = setup->col_binary;
    fitted->col_names = setup->col_names;
    stats->rows_before = n_train;
    stats->positives_before = count_positive(y_train, n_train);
    /* Before anything else sees the rows: the scaler and the sampler work on encoded values. */
    ll_status st = ll_fold_fit(setup->encoding, x_train, y_train, n_train, n_cols, seed,
                               &fitted->encoding, err);
    if (st != LL_OK)
        return st;
    if (setup->zscore) {
        if (ll_scaler_fit(&fitted->scaler, x_train, n_train, n_cols) != 0) {
            ll_fitted_free(fitted);
            return ll_fail(err, LL_ENOMEM, "out of memory while scaling");
        }
        ll_scaler_apply(&fitted->scaler, x_train, n_train);
    }
    const ll_host *host = ll_host_default();
    double t0 = ll_now_seconds();
    ll_data train = {x_train, y_train, n_train, n_cols, setup->col_binary, setup->col_names};
    ll_owned_data resampled = {0};
    st = sampler->plugin->sampler->resample(host, sampler->params, &train,
                                                      ll_seed_mix(seed, 1), setup->threads,
                                                      &resampled, err);
    if (st == LL_OK)
        st = ll_check_resampled(sampler->label, &resampled, n_cols, err);
    if (st == LL_OK) {
        train.x = resampled.x;
        train.y = resampled.y;
        train.n_rows = resampled.n_rows;
        stats->rows_after = resampled.n_rows;
        stats->positives_after = count_positive(resampled.y, resampled.n_rows);
        if (stats->positives_after == 0 || stats->positives_after == resampled.n_rows)
            st = ll_fail(err, LL_EINVAL, "the training rows hold only one class");
    }
    const ll_model_vt *vt = model->plugin->model;
    if (st == LL_OK)
        st = vt->create(host, model->params, &fitted->state, err);
    if (st == LL_OK)
        st = vt->fit(fitted->state, &train, ll_seed_mix(seed, 2), setup->threads, err);
    free(resampled.x);
    free(resampled.y);
    stats->fit_seconds = ll_now_seconds() - t0;
    /* Plugins write the message: bound it, whether or not they terminated it. */
    err->msg[sizeof err->msg - 1] = '\0';
    if (st != LL_OK) {
        if (!err->msg[0])
            ll_fail(err, st, "%s failed without a message", model->label);
        ll_fitted_free(fitted);
    }
    return st;
}

ll_status ll_fitted_predict(const ll_fitted *fitted, ll_rows rows, int threads, double *scores,
                            ll_err *err)
{
    err->msg[0] = '\0';
    ll_status st = ll_fold_apply(&fitted->encoding, rows.x, rows.n, fitted->n_cols, err);
    if (st != LL_OK)
        return st;
    if (fitted->scaler.mean)
        ll_scaler_apply(&fitted->scaler, rows.x, rows.n);
    ll_data test = {rows.x, NULL, rows.n, fitted->n_cols, fitted->col_binary, fitted->col_names};
    st = fitted->model->plugin->model->predict_proba(fitted->state, &test,
                                                               threads > 0 ? threads : 1,
                                                               scores, err);
    err->msg[sizeof err->msg - 1] = '\0';
    if (st != LL_OK) {
        if (!err->msg[0])
            ll_fail(err, st, "%s failed without a message", fitted->model->label);
        return st;
    }
    for (size_t i = 0; i < rows.n; i++)
        if (!(scores[i] >= 0.0 && scores[i] <= 1.0))
            return ll_fail(err, LL_ENUMERIC, "%s returned score %g for test row %zu (expected a "
                           "probability in [0, 1])", fitted->model->label, scores[i], i);
    ll_calibrator_apply(&fitted->calibrator, scores, scores, rows.n);
    return LL_OK;
}

ll_status ll_fit_predict(const ll_fit_setup *setup, ll_rows train_rows, ll_rows test_rows,
                         double *scores, ll_fit_stats *stats, ll_err *err)
{
    ll_fitted fitted;
    ll_status st = ll_fit_model(setup, train_rows, &fitted, stats, err);
    if (st != LL_OK)
        return st;
    double t1 = ll_now_seconds();
    st = ll_fitted_predict(&fitted, test_rows, setup->threads, scores, err);
    stats->predict_seconds = ll_now_seconds() - t1;
    ll_fitted_free(&fitted);
    return st;
}

