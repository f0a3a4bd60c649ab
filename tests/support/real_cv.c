/* Real-data checks (see real_cv.h): folds, scaling, row copies and F1 all come from core, so
 * the suites measure what the runner would. */
#include "real_cv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cv.h"
#include "fit.h"
#include "harness.h"
#include "leadlab/rng.h"
#include "metrics.h"
#include "scaler.h"

/* Folds are seeded as the runner seeds repeat 0 (ll_cv_repeat_seed), so they are the folds of
 * its folds.csv, on which the bench/ scripts measure the scikit-learn references that the
 * suites' F1 floors quote. */

void rcv_load(const char *path, ll_dataset *ds)
{
    char *drop[] = {"created_at", "signup_date"};
    ll_column_transform fill = {.column = "products_purchased", .has_fill = 1, .fill = 0.0};
    ll_feature_spec spec = {.target = "buy", .positive = "1", .id = "id", .drop = drop,
                            .n_drop = 2, .transforms = &fill, .n_transforms = 1};
    ll_encoder *enc = NULL;
    ll_error err;
    ck_assert_msg(ll_dataset_load_train(path, &spec, &enc, ds, &err) == 0, "%s", err.msg);
    ll_encoder_free(enc);
    ck_assert_uint_eq(ds->n_cols, 15);
}

int rcv_load_real(ll_dataset *ds)
{
    const char *path = th_require_real_data("train.csv");
    if (!path)
        return -1;
    rcv_load(path, ds);
    return 0;
}

/* Scales x_fit and then x_other (may be empty) with x_fit's column statistics. */
static void zscore_with(double *x_fit, size_t n_fit, double *x_other, size_t n_other,
                        size_t n_cols)
{
    ll_scaler scaler;
    ck_assert_int_eq(ll_scaler_fit(&scaler, x_fit, n_fit, n_cols), 0);
    ll_scaler_apply(&scaler, x_fit, n_fit);
    ll_scaler_apply(&scaler, x_other, n_other);
    ll_scaler_free(&scaler);
}

void rcv_zscore_all(ll_dataset *ds) { zscore_with(ds->x, ds->n_rows, NULL, 0, ds->n_cols); }

/* Copies the rows in fold f (test = 1) or out of it (test = 0); rows is n_rows of scratch. */
static size_t gather_part(const ll_dataset *ds, const uint32_t *fold, uint32_t f, int test,
                          size_t *rows, double **x, uint8_t **y)
{
    size_t m = 0;
    for (size_t i = 0; i < ds->n_rows; i++)
        if ((fold[i] == f) == test)
            rows[m++] = i;
    ck_assert_int_eq(ll_gather_rows(ds->x, ds->y, ds->n_cols, rows, m, x, y), 0);
    return m;
}

/* Core counts score >= threshold as positive; the next double above 0.5 makes that P > 0.5. */
static double f1_above_half(const uint8_t *y, const double *proba, size_t n)
{
    ll_metrics m;
    ck_assert_int_eq(ll_metrics_compute(y, proba, n, nextafter(0.5, 1.0), &m), 0);
    return m.f1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

rcv_result rcv_run(const char *path, const ll_plugin *model, const char *yaml, size_t k,
                   uint64_t seed, int threads)
{
    ll_dataset ds;
    rcv_load(path, &ds);
    size_t n = ds.n_rows, p = ds.n_cols;
    uint32_t *fold = malloc(n * sizeof *fold);
    size_t *rows = malloc(n * sizeof *rows);
    double *proba = malloc(n * sizeof *proba);
    ck_assert(fold && rows && proba);
    ll_error fold_err;
    ck_assert_msg(ll_cv_stratified_folds(ds.y, n, k, ll_cv_repeat_seed(seed, 0),
                                         fold, &fold_err) == 0,
                  "%s", fold_err.msg);
    rcv_result res = {0.0, 0.0};
    for (uint32_t f = 0; f < k; f++) {
        double *x_train, *x_test;
        uint8_t *y_train, *y_test;
        size_t n_train = gather_part(&ds, fold, f, 0, rows, &x_train, &y_train);
        size_t n_test = gather_part(&ds, fold, f, 1, rows, &x_test, &y_test);
        zscore_with(x_train, n_train, x_test, n_test, p);
        ll_data train = {.x = x_train, .y = y_train, .n_rows = n_train, .n_cols = p};
        ll_data test = {.x = x_test, .n_rows = n_test, .n_cols = p};
        ll_err err = {{0}};
        double t0 = now_seconds();
        ll_status st = th_fit_predict(model, yaml, &train, &test, ll_seed_mix(seed, f), threads,
                                      proba, &err);
        res.seconds += now_seconds() - t0;
        ck_assert_msg(st == LL_OK, "fold %u: %s", (unsigned)f, err.msg);
        res.f1_mean += f1_above_half(y_test, proba, n_test) / (double)k;
        free(x_train);
        free(y_train);
        free(x_test);
        free(y_test);
    }
    free(fold);
    free(rows);
    free(proba);
    ll_dataset_free(&ds);
    return res;
}

void rcv_assert_f1_floor(const char *model, const char *yaml, int threads, double floor)
{
    const char *path = th_require_real_data("train.csv");
    if (!path)
        return; /* skipped: no copy of the data here */
    rcv_result r = rcv_run(path, th_plugin(model), yaml, 5, 42, threads);
    fprintf(stderr, "%s %s real data: F1 %.4f over 5 folds, %.3f s fit + predict (%d threads)\n",
            model, yaml, r.f1_mean, r.seconds, threads);
    ck_assert_msg(r.f1_mean >= floor, "%s %s: F1 %.4f < %.3f", model, yaml, r.f1_mean, floor);
}
