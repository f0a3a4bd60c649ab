/* leadlab one fit: encode the learned features and scale on the training rows, resample them,
 * fit the model, score the test rows; plus the nested threshold tuning built from it. The unit
 * every cell and `predict` run. */
#ifndef LL_CORE_FIT_H
#define LL_CORE_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "calibrate.h"
#include "fold_encoding.h"
#include "scaler.h"
#include "spec.h"

/* What one fit is: the pair of plugins, the preprocessing, the seed every draw derives from
 * and the thread budget handed to the plugins. Borrowed pointers. */
typedef struct {
    const ll_config *sampler, *model;
    int zscore;                /* scale with statistics of the training rows */
    size_t n_cols;
    const uint8_t *col_binary; /* may be NULL */
    uint64_t seed;
    int threads;
    const char *const *col_names; /* n_cols feature names handed to the plugins; may be NULL */
    const ll_fold_encoding *encoding; /* columns holding key codes, learned per fit; NULL: none */
} ll_fit_setup;

/* Rows of one side of a split: x is n * n_cols, row-major; y is NULL for rows to score. */
typedef struct {
    double *x;
    const uint8_t *y;
    size_t n;
} ll_rows;

typedef struct {
    size_t rows_before, positives_before; /* training rows handed to the sampler */
    size_t rows_after, positives_after;   /* what the model was trained on */
    double fit_seconds, predict_seconds;  /* sampler + model fit; model predict */
} ll_fit_stats;

/* A trained model with the preprocessing its rows need: what `fit` saves and `predict` and the
 * importances use. Owns the plugin state, the learned feature tables and the scaler; borrows
 * the rest from the setup. */
typedef struct {
    const ll_config *model;
    void *state;
    ll_fold_fitted encoding; /* the learned columns' tables, from the training rows (n 0: none) */
    ll_scaler scaler; /* mean == NULL: no scaling */
    ll_calibrator calibrator; /* applied to the model's scores; method NONE: as they are */
    size_t n_cols;
    const uint8_t *col_binary;
    const char *const *col_names;
} ll_fitted;

/* Encodes the learned columns of train in place from train's own rows (tables kept in
 * fitted->encoding; see ll_fold_fit), then scales it in place (statistics kept in
 * fitted->scaler), resamples and fits: the sampler and the scaler see encoded values. On LL_OK
 * the caller frees *fitted with ll_fitted_free; on failure there is nothing to free. */
ll_status ll_fit_model(const ll_fit_setup *setup, ll_rows train, ll_fitted *fitted,
                       ll_fit_stats *stats, ll_err *err);
/* Encodes the learned columns of rows.x with the fitted tables and scales it, in place, and
 * writes P(y = 1) for each row, checked to be a probability, then calibrated when the fitted
 * model carries a calibrator. */
ll_status ll_fitted_predict(const ll_fitted *fitted, ll_rows rows, int threads, double *scores,
                            ll_err *err);
void ll_fitted_free(ll_fitted *fitted); /* NULL-safe */

/* Trains on `train` and writes P(y = 1) for each test row into scores. Both matrices are
 * encoded (tables from the training rows only) and, when setup->zscore is set, scaled
 * (statistics from the training rows only) in place.
 * Returns LL_OK, or the failing status with err filled (including a model that returns
 * non-finite or out-of-range scores). */
ll_status ll_fit_predict(const ll_fit_setup *setup, ll_rows train, ll_rows test, double *scores,
                         ll_fit_stats *stats, ll_err *err);

/* What happens inside one training set before its final fit, and the fit itself. */
typedef struct {
    int tune;         /* choose the cut maximising F1 on inner out-of-fold scores */
    double fixed_cut; /* the cut when it is not tuned */
    size_t folds;     /* inner folds, when tuning or calibrating */
} ll_nested_setup;

/* Fits setup's pair on train as ll_fit_model does (train.x encoded and scaled in place). When
 * the model config calibrates (setup->model->calibration) or nested->tune is set, first runs
 * nested->folds-fold inner CV on train (each inner fit learning its own feature tables from
 * its inner training rows): the calibrator is fitted on the inner out-of-fold
 * scores against train's own labels (never the resampled ones) and kept in fitted; the cut
 * is the F1-best one on those scores, calibrated. *cut is the fixed cut otherwise. On LL_OK
 * the caller frees *fitted with ll_fitted_free. */
ll_status ll_fit_nested(const ll_fit_setup *setup, const ll_nested_setup *nested, ll_rows train,
                        ll_fitted *fitted, double *cut, ll_fit_stats *stats, ll_err *err);

/* ---- a sampler's output ----
 * A sampler is a plugin: what it returns is checked before anything reads it, here before a
 * model trains on it, and by check-plugin (conformance.c), which reports each property alone. */

/* Whether out has both buffers and n_cols columns of at least one row; with may_be_empty, zero
 * rows of n_cols columns pass too. */
int ll_resampled_shape_ok(const ll_owned_data *out, size_t n_cols, int may_be_empty);
/* For an output of a good shape: whether the blocks malloc really gave (malloc_usable_size)
 * hold the rows it reports. The ABI has the sampler malloc them, so this bounds every read: a
 * sampler that claims more rows than it allocated is refused instead of over-read. */
int ll_resampled_allocated(const ll_owned_data *out);
/* For a readable output (both checks above pass): the first row whose label is not 0 or 1, or
 * out->n_rows when there is none. */
size_t ll_resampled_bad_label(const ll_owned_data *out);
/* For a readable output: the first cell (row * n_cols + column) that is not finite, or
 * n_rows * n_cols when there is none. */
size_t ll_resampled_bad_value(const ll_owned_data *out);
/* The four checks above, in that order, for a fit: LL_OK, or LL_EFAIL (shape, allocation, a
 * label) or LL_ENUMERIC (a value) with err naming the sampler by its `label`. */
ll_status ll_check_resampled(const char *label, const ll_owned_data *out, size_t n_cols,
                             ll_err *err);

/* Seconds on the monotonic clock, for the durations fits and check-plugin measure. */
double ll_now_seconds(void);

/* Copies the listed rows of x (n_cols wide) and y into fresh buffers (y_out may be NULL). */
int ll_gather_rows(const double *x, const uint8_t *y, size_t n_cols, const size_t *rows,
                   size_t n_rows, double **x_out, uint8_t **y_out);

#endif
