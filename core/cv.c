/* leadlab cross-validation splits (see cv.h). */
#include "cv.h"

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
