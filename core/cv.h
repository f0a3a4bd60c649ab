/* leadlab cross-validation splits: stratified k-fold assignment, reshuffled per repeat, or
 * time-ordered folds (forward chaining, or a final-period holdout) over a date per row. */
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

/* Fold values for rows that are no cell's test rows: LL_FOLD_NONE rows take no part in the
 * split (an inner split's view of its outer test fold); LL_FOLD_EARLIEST rows are the earliest
 * block of time-ordered folds, on which every cell trains and none tests. */
#define LL_FOLD_NONE UINT32_MAX
#define LL_FOLD_EARLIEST (UINT32_MAX - 1)

/* The rows of one cell: those of fold test_fold are its test rows. The training rows are every
 * other row of a fold, or, with `forward` (time-ordered folds), only the rows of the folds
 * before test_fold and the LL_FOLD_EARLIEST block, so no cell trains on a later row than it
 * tests. These two functions are the only place that rule is written. */
typedef struct {
    const uint32_t *fold_of_row;
    uint32_t test_fold;
    int forward;
    /* With max_train > 0, the cell trains on a stratified subsample of at most max_train of
     * its training rows (a successive-halving rung), drawn from subsample_seed so that a
     * larger budget keeps every row a smaller one took. */
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
    if (s->forward)
        return f == LL_FOLD_EARLIEST || f < s->test_fold;
    return f != s->test_fold && f != LL_FOLD_NONE;
}

/* The training rows of a split into rows (ascending; n_rows entries of room), subsampled as
 * max_train says; returns their count, or SIZE_MAX when memory runs out. Each class keeps its
 * share of the budget, rounded, and at least one row while it has one. */
size_t ll_split_train_rows(const ll_split *s, const uint8_t *y, size_t n_rows, size_t *rows);

/* What a split trains and tests on: row and positive counts and, when the rows have dates
 * (days since 1970-01-01), the earliest and latest day of each part (LONG_MAX and LONG_MIN
 * when the part is empty or there are no dates). */
typedef struct {
    size_t n_train, n_test, train_positives, test_positives;
    long train_first, train_last, test_first, test_last;
} ll_split_span;

/* y (labels) and days may be NULL: the positives, or the days, are then left unset. */
void ll_split_describe(const ll_split *s, const uint8_t *y, const long *days, size_t n,
                       ll_split_span *out);

/* Time-ordered folds of the n rows dated days[i] (days since 1970-01-01): the rows are sorted
 * by date, ties in row order, and cut into contiguous blocks of whole days.
 * - Forward chaining (holdout 0, folds = k >= 2): k + 1 blocks, the last k of floor(n / (k+1))
 *   rows each and the first the rest, as scikit-learn's TimeSeriesSplit(n_splits=k) cuts them;
 *   block 0 gets LL_FOLD_EARLIEST and block b fold b - 1, so fold f tests block f + 1 and
 *   (with ll_split.forward) trains on blocks 0 .. f.
 * - Final-period holdout (0 < holdout < 1, folds ignored): the latest ceil(holdout * n) rows
 *   (scikit-learn's train_test_split(shuffle=False) count) are fold 0, the rest
 *   LL_FOLD_EARLIEST.
 * A boundary that falls inside a day moves to the nearer end of that day (to its start when
 * both are as near), so the rows of one day are never split between blocks: no training row is
 * ever from the same day as a test row. Fails when a block would be empty. */
int ll_cv_time_folds(const long *days, size_t n, size_t folds, double holdout,
                     uint32_t *fold_of_row, ll_error *err);

/* Like ll_cv_stratified_folds over the training rows of the `outer` split (a nested split of
 * one outer training set): those rows get an inner fold in [0, k), every other row
 * LL_FOLD_NONE. The inner folds are stratified even when the outer split is time-ordered.
 * Fails when a class of those rows has fewer rows than folds. */
int ll_cv_inner_folds(const uint8_t *y, const ll_split *outer, size_t n, size_t k,
                      uint64_t seed, uint32_t *fold_of_row, ll_error *err);

/* The fold-assignment seed of one repeat of a run with cv seed `seed`. */
uint64_t ll_cv_repeat_seed(uint64_t seed, size_t repeat);

#endif
