/* leadlab cross-validation splits: stratified k-fold assignment, reshuffled per repeat. */
#ifndef LL_CORE_CV_H
#define LL_CORE_CV_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Writes fold_of_row[i] in [0, k) for each of the n rows. Each class is shuffled with a stream
 * seeded from `seed` and dealt round-robin, so every fold gets floor or ceil of each class's
 * share and fold sizes differ by at most one. Fails when a class has fewer rows than folds. */
int ll_cv_stratified_folds(const uint8_t *y, size_t n, size_t k, uint64_t seed,
                           uint32_t *fold_of_row, ll_error *err);

/* A fold value for rows that are no cell's test rows: LL_FOLD_NONE rows take no part in the
 * split (an inner split's view of its outer test fold). */
#define LL_FOLD_NONE UINT32_MAX

/* The rows of one cell: those of fold test_fold are its test rows, every other row of a fold
 * is a training row. With max_train > 0, the cell trains on a stratified subsample of at most
 * max_train of its training rows (a successive-halving rung), drawn from subsample_seed so
 * that a larger budget keeps every row a smaller one took. */
typedef struct {
    const uint32_t *fold_of_row;
    uint32_t test_fold;
    size_t max_train;        /* 0: every training row */
    uint64_t subsample_seed;
} ll_split;

static inline int ll_split_is_test(const ll_split *s, size_t row)
{
    return s->fold_of_row[row] == s->test_fold;
}

static inline int ll_split_is_train(const ll_split *s, size_t row)
{
    uint32_t f = s->fold_of_row[row];
    return f != s->test_fold && f != LL_FOLD_NONE;
}

/* The training rows of a split into rows (ascending; n_rows entries of room), subsampled as
 * max_train says; returns their count, or SIZE_MAX when memory runs out. Each class keeps its
 * share of the budget, rounded, and at least one row while it has one. */
size_t ll_split_train_rows(const ll_split *s, const uint8_t *y, size_t n_rows, size_t *rows);

/* Like ll_cv_stratified_folds over the rows whose `outer` fold is not `skip_fold` (a nested
 * split of one outer training fold): those rows get an inner fold in [0, k), the others
 * LL_FOLD_NONE. Fails when a class of those rows has fewer rows than folds. */
int ll_cv_inner_folds(const uint8_t *y, const uint32_t *outer, size_t n, uint32_t skip_fold,
                      size_t k, uint64_t seed, uint32_t *fold_of_row, ll_error *err);

/* The fold-assignment seed of one repeat of a run with cv seed `seed`. */
uint64_t ll_cv_repeat_seed(uint64_t seed, size_t repeat);

#endif
