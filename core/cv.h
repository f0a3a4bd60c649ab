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

/* The fold-assignment seed of one repeat of a run with cv seed `seed`. */
uint64_t ll_cv_repeat_seed(uint64_t seed, size_t repeat);

#endif
