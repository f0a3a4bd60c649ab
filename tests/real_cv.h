/* Real-data quality check shared by the model suites until `leadlab run` can do it: the lead
 * data's 15 raw features, stratified k folds from ll_rng, z-scoring fitted on each fold's
 * training rows, one plugin config, mean F1 of class 1 over the folds at threshold 0.5. */
#ifndef LL_TEST_REAL_CV_H
#define LL_TEST_REAL_CV_H

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "harness.h"
#include "leadlab/rng.h"

typedef struct {
    double f1_mean;
    double seconds; /* wall time of every fit + predict */
} rcv_result;

/* The benchmark protocol's features: everything but id, the dates and the target, with
 * products_purchased's empty cells read as 0. */
static inline void rcv_load(const char *path, ll_dataset *ds)
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

/* fold[i] in [0, k): each class's rows shuffled by its own stream, then dealt round-robin. */
static inline void rcv_stratified_folds(const uint8_t *y, size_t n, size_t k, uint64_t seed,
                                        size_t *fold)
{
    size_t *rows = malloc(n * sizeof *rows);
    ck_assert_ptr_nonnull(rows);
    for (uint8_t label = 0; label <= 1; label++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (y[i] == label)
                rows[m++] = i;
        ll_rng rng;
        ll_rng_seed(&rng, ll_seed_mix(seed, label));
        ll_rng_shuffle_size(&rng, rows, m);
        for (size_t r = 0; r < m; r++)
            fold[rows[r]] = r % k;
    }
    free(rows);
}

/* Copies the rows in (or out of) fold f, z-scored with the mean and population sd of the
 * training rows (a constant column is only centred, as scikit-learn's StandardScaler). */
static inline void rcv_split(const ll_dataset *ds, const size_t *fold, size_t f, double *x_train,
                             uint8_t *y_train, size_t *n_train, double *x_test, uint8_t *y_test,
                             size_t *n_test)
{
    size_t p = ds->n_cols, ntr = 0, nte = 0;
    for (size_t i = 0; i < ds->n_rows; i++) {
        int test = fold[i] == f;
        memcpy((test ? x_test + nte * p : x_train + ntr * p), ds->x + i * p, p * sizeof(double));
        if (test)
            y_test[nte++] = ds->y[i];
        else
            y_train[ntr++] = ds->y[i];
    }
    for (size_t j = 0; j < p; j++) {
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < ntr; i++)
            mean += x_train[i * p + j];
        mean /= (double)ntr;
        for (size_t i = 0; i < ntr; i++)
            var += (x_train[i * p + j] - mean) * (x_train[i * p + j] - mean);
        double sd = sqrt(var / (double)ntr);
        if (sd == 0.0)
            sd = 1.0;
        for (size_t i = 0; i < ntr; i++)
            x_train[i * p + j] = (x_train[i * p + j] - mean) / sd;
        for (size_t i = 0; i < nte; i++)
            x_test[i * p + j] = (x_test[i * p + j] - mean) / sd;
    }
    *n_train = ntr;
    *n_test = nte;
}

/* F1 of class 1, predicting 1 when P > 0.5 (scikit-learn's predict: margin > 0, or a strict
 * majority of the votes). */
static inline double rcv_f1(const uint8_t *y, const double *proba, size_t n)
{
    size_t tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < n; i++) {
        int pred = proba[i] > 0.5;
        tp += pred && y[i];
        fp += pred && !y[i];
        fn += !pred && y[i];
    }
    return tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0.0;
}

static inline double rcv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs `yaml` of `model` over k stratified folds of the real training file at `path`. */
static inline rcv_result rcv_run(const char *path, const ll_plugin *model, const char *yaml,
                                 size_t k, uint64_t seed, int threads)
{
    ll_dataset ds;
    rcv_load(path, &ds);
    size_t n = ds.n_rows, p = ds.n_cols;
    size_t *fold = malloc(n * sizeof *fold);
    double *x_train = malloc(n * p * sizeof *x_train), *x_test = malloc(n * p * sizeof *x_test);
    double *proba = malloc(n * sizeof *proba);
    uint8_t *y_train = malloc(n), *y_test = malloc(n);
    ck_assert(fold && x_train && x_test && proba && y_train && y_test);
    rcv_stratified_folds(ds.y, n, k, seed, fold);
    rcv_result res = {0.0, 0.0};
    for (size_t f = 0; f < k; f++) {
        size_t ntr, nte;
        rcv_split(&ds, fold, f, x_train, y_train, &ntr, x_test, y_test, &nte);
        ll_data train = {.x = x_train, .y = y_train, .n_rows = ntr, .n_cols = p};
        ll_data test = {.x = x_test, .n_rows = nte, .n_cols = p};
        ll_err err = {{0}};
        double t0 = rcv_now();
        ll_status st = th_fit_predict(model, yaml, &train, &test, ll_seed_mix(seed, f), threads,
                                      proba, &err);
        res.seconds += rcv_now() - t0;
        ck_assert_msg(st == LL_OK, "fold %zu: %s", f, err.msg);
        res.f1_mean += rcv_f1(y_test, proba, nte) / (double)k;
    }
    free(fold);
    free(x_train);
    free(x_test);
    free(proba);
    free(y_train);
    free(y_test);
    ll_dataset_free(&ds);
    return res;
}

#endif
