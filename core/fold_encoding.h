/* leadlab fold encoding: features learned from data (count, frequency, smoothed target of a
 * key), fitted on the training rows of each fit only, as the scaler is, and applied to the rows
 * it scores. The dataset holds key codes; a fit turns them into numbers. */
#ifndef LL_CORE_FOLD_ENCODING_H
#define LL_CORE_FOLD_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/plugin.h"

typedef enum {
    LL_FOLD_COUNT = 1, /* training rows with the row's key (unseen: 0) */
    LL_FOLD_FREQUENCY, /* that count over the number of training rows (unseen: 0) */
    LL_FOLD_TARGET     /* (positives with the key + m * prior) / (rows with the key + m), prior
                        * the training rows' positive rate (unseen: the prior) */
} ll_fold_kind;

/* m of the target's m-estimate when the spec gives no smoothing. */
#define LL_TARGET_SMOOTHING_DEFAULT 10.0
/* Training rows are target-encoded by cross-fitting over this many folds (see ll_fold_fit). */
#define LL_TARGET_CROSS_FIT_FOLDS 5

/* One learned column of a feature matrix. Until a fit encodes it, the column holds a key code
 * per row: 0 .. n_keys - 1 the training file's distinct keys in ascending key order (so a code
 * says nothing of counts or labels), n_keys a key the training file never showed, and
 * n_keys + 1 a row with a missing source when the column has a fill (it gets `fill`). */
typedef struct {
    size_t column; /* in the feature matrix */
    ll_fold_kind kind;
    size_t n_keys;
    double smoothing; /* LL_FOLD_TARGET: m > 0; 0 for the other kinds */
    int has_fill;
    double fill;
} ll_fold_column;

/* The learned columns of a feature matrix, in column order. Owns columns. */
typedef struct {
    ll_fold_column *columns;
    size_t n;
} ll_fold_encoding;

/* One column's table, fitted on a fit's training rows: the value of every code (n_keys + 2
 * values: each key, the unseen code, the filled code). Owns values. */
typedef struct {
    ll_fold_column column;
    double *values;
} ll_fold_table;

/* Every learned column's table; n == 0 when the matrix has none. Owns tables. */
typedef struct {
    ll_fold_table *tables;
    size_t n;
} ll_fold_fitted;

/* The code of a key the training file never showed, and of a filled row. */
static inline size_t ll_fold_unseen_code(const ll_fold_column *c) { return c->n_keys; }
static inline size_t ll_fold_filled_code(const ll_fold_column *c) { return c->n_keys + 1; }

/* Learns each column's table from the n training rows of x (n_cols wide) and their labels y,
 * and rewrites those columns of x with numbers. Count and frequency rows take their table's
 * value. Target rows are cross-fitted, as scikit-learn's TargetEncoder.fit_transform does: the
 * rows are dealt into LL_TARGET_CROSS_FIT_FOLDS folds by a shuffle drawn from `seed` (labels
 * play no part in it), and each row is encoded with the table of the other folds' rows (their
 * own prior), so no training row sees its own label; the table kept for other rows is that of
 * all n rows. On LL_OK the caller frees *out (ll_fold_fitted_free); on failure nothing. */
ll_status ll_fold_fit(const ll_fold_encoding *enc, double *x, const uint8_t *y, size_t n,
                      size_t n_cols, uint64_t seed, ll_fold_fitted *out, ll_err *err);

/* Rewrites the learned columns of the n rows of x (n_cols wide) with the fitted tables.
 * LL_EINVAL when a cell holds no code of its column. */
ll_status ll_fold_apply(const ll_fold_fitted *fitted, double *x, size_t n, size_t n_cols,
                        ll_err *err);

/* Tables for every column of enc, values zero: what ll_fold_fit and loaders fill. 0, or -1
 * out of memory (nothing to free). */
int ll_fold_fitted_init(ll_fold_fitted *fitted, const ll_fold_encoding *enc);

void ll_fold_fitted_free(ll_fold_fitted *fitted);  /* NULL-safe; leaves it empty */
void ll_fold_encoding_free(ll_fold_encoding *enc); /* NULL-safe; leaves it empty */

/* Whether v is a value c's table can hold for `code`: what loaders check every value against. */
int ll_fold_value_ok(const ll_fold_column *c, size_t code, double v);

/* Whether two column descriptions are the same (a fitted table and the encoder it serves). */
int ll_fold_column_equal(const ll_fold_column *a, const ll_fold_column *b);

/* The tables in a model file (little-endian, see core/model_file.c). 0, or -1 when the writer
 * fails. */
int ll_fold_fitted_save(const ll_fold_fitted *fitted, ll_writer *w);
/* Reads tables written by ll_fold_fitted_save and refuses them unless they describe exactly
 * the columns of `expected` (the loaded encoder's) and every value is one its kind can take.
 * On LL_OK the caller frees *out. */
ll_status ll_fold_fitted_load(ll_reader *r, const ll_fold_encoding *expected,
                              ll_fold_fitted *out, ll_err *err);

#endif
