/* leadlab one fit: scale on the training rows, resample them, fit the model, score the test
 * rows; plus the nested threshold tuning built from it. The unit every cell and `predict` run. */
#ifndef LL_CORE_FIT_H
#define LL_CORE_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

typedef struct {
    size_t rows_before, positives_before; /* training rows handed to the sampler */
    size_t rows_after, positives_after;   /* what the model was trained on */
    double fit_seconds, predict_seconds;  /* sampler + model fit; model predict */
} ll_fit_stats;

/* Trains on (x_train, y_train) and writes P(y = 1) for each test row into scores. Both
 * matrices are scaled in place when zscore is set (statistics from x_train only). Every
 * random draw derives from seed. Returns LL_OK, or the failing status with err filled
 * (including a model that returns non-finite or out-of-range scores). */
ll_status ll_fit_predict(const ll_config *sampler, const ll_config *model, int zscore,
                         double *x_train, const uint8_t *y_train, size_t n_train, double *x_test,
                         size_t n_test, size_t n_cols, const uint8_t *col_binary, uint64_t seed,
                         int threads, double *scores, ll_fit_stats *stats, ll_err *err);

/* The cut maximising F1 on inner out-of-fold scores: `folds`-fold stratified CV inside the
 * given training rows only (x_train is not modified). */
ll_status ll_tune_threshold(const ll_config *sampler, const ll_config *model, int zscore,
                            const double *x_train, const uint8_t *y_train, size_t n_train,
                            size_t n_cols, const uint8_t *col_binary, size_t folds, uint64_t seed,
                            int threads, double *threshold, ll_err *err);

/* Copies the listed rows of x (n_cols wide) and y into fresh buffers (y_out may be NULL). */
int ll_gather_rows(const double *x, const uint8_t *y, size_t n_cols, const size_t *rows,
                   size_t n_rows, double **x_out, uint8_t **y_out);

#endif
