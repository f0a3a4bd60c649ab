/* leadlab cross-validation splits (see cv.h). */
#include "cv.h"

#include <math.h>
#include <stdlib.h>

int ll_cv_stratified_folds(const uint8_t *y, size_t n, size_t k, uint64_t seed,
                           uint32_t *fold_of_row, ll_error *err)
{
    if (k < 2)
        return ll_error_set(err, "cv.folds must be at least 2, got %zu", k);
    size_t n_pos = 0;
    for (size_t i = 0; i < n; i++)
        n_pos += y[i] != 0;
    size_t n_neg = n - n_pos;
    if (n_pos < k || n_neg < k)
        return ll_error_set(err, "%zu folds need at least %zu rows of each class, the data has "
                            "%zu positives and %zu negatives", k, k, n_pos, n_neg);
    size_t *rows = malloc(n * sizeof *rows);
    if (!rows)
        return ll_error_set(err, "out of memory");
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    /* Positives are dealt from fold 0, negatives continue where positives stopped, so the
     * remainders of the two classes land in different folds and sizes stay balanced. */
    size_t next_fold = 0;
    for (int cls = 1; cls >= 0; cls--) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if ((y[i] != 0) == cls)
                rows[m++] = i;
        ll_rng_shuffle_size(&rng, rows, m);
        for (size_t j = 0; j < m; j++) {
            fold_of_row[rows[j]] = (uint32_t)next_fold;
            next_fold = (next_fold + 1) % k;
        }
    }
    free(rows);
    return 0;
}

uint64_t ll_cv_repeat_seed(uint64_t seed, size_t repeat)
{
    return ll_seed_mix(seed, 0xF01D0000u + repeat); /* apart from every cell seed's stream */
}

int ll_cv_inner_folds(const uint8_t *y, const uint32_t *outer, size_t n, uint32_t skip_fold,
                      size_t k, uint64_t seed, uint32_t *fold_of_row, ll_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += outer[i] != skip_fold && outer[i] != LL_FOLD_NONE;
    size_t *rows = malloc((m ? m : 1) * sizeof *rows);
    uint8_t *y_in = calloc(m ? m : 1, 1);
    uint32_t *fold_in = malloc((m ? m : 1) * sizeof *fold_in);
    int rc = -1;
    if (!rows || !y_in || !fold_in) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (outer[i] != skip_fold && outer[i] != LL_FOLD_NONE) {
            rows[m] = i;
            y_in[m++] = y[i];
        }
    if (ll_cv_stratified_folds(y_in, m, k, seed, fold_in, err) != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        fold_of_row[i] = LL_FOLD_NONE;
    for (size_t j = 0; j < m; j++)
        fold_of_row[rows[j]] = fold_in[j];
    rc = 0;
out:
    free(rows);
    free(y_in);
    free(fold_in);
    return rc;
}

static int ascending_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

size_t ll_split_train_rows(const ll_split *s, const uint8_t *y, size_t n_rows, size_t *rows)
{
    size_t n = 0, n_pos = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (ll_split_is_train(s, i)) {
            rows[n++] = i;
            n_pos += y[i] != 0;
        }
    if (!s->max_train || s->max_train >= n)
        return n;
    size_t n_neg = n - n_pos;
    size_t keep_pos = (size_t)llround((double)s->max_train * (double)n_pos / (double)n);
    if (keep_pos == 0 && n_pos)
        keep_pos = 1;
    size_t keep_neg = s->max_train - keep_pos;
    if (keep_neg == 0 && n_neg) {
        keep_neg = 1;
        keep_pos--;
    }
    size_t *train = malloc(n * sizeof *train), *by_class = malloc(n * sizeof *by_class);
    if (!train || !by_class) {
        free(train);
        free(by_class);
        return SIZE_MAX;
    }
    for (size_t j = 0; j < n; j++)
        train[j] = rows[j];
    /* Each class in a fixed shuffled order; a budget takes a prefix of each, so the rows of
     * a smaller budget stay in every larger one. */
    ll_rng rng;
    ll_rng_seed(&rng, s->subsample_seed);
    size_t kept = 0;
    for (int cls = 1; cls >= 0; cls--) {
        size_t m = 0;
        for (size_t j = 0; j < n; j++)
            if ((y[train[j]] != 0) == cls)
                by_class[m++] = train[j];
        ll_rng_shuffle_size(&rng, by_class, m);
        size_t take = cls ? keep_pos : keep_neg;
        for (size_t j = 0; j < take && j < m; j++)
            rows[kept++] = by_class[j];
    }
    free(train);
    free(by_class);
    qsort(rows, kept, sizeof *rows, ascending_size);
    return kept;
}
