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
