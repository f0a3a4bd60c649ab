/* Linear SVM by dual coordinate descent (Hsieh et al. 2008, liblinear's solver 1) with the
 * squared hinge loss and a penalised bias feature, i.e. scikit-learn's
 * LinearSVC(loss='squared_hinge', dual=True, intercept_scaling=1):
 *   min_w 1/2 |w|^2 + sum_i cost_i max(0, 1 - y_i (w'x_i + w_b))^2,   bias feature = 1. */
#ifndef LL_PLUGIN_SVM_LINEAR_DCD_H
#define LL_PLUGIN_SVM_LINEAR_DCD_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/plugin.h"

typedef struct {
    long epochs;       /* passes over the (active) rows */
    int hit_max_iter;  /* stopped by max_epochs before reaching eps */
} ll_dcd_result;

/* x is n x d row-major, y[i] != 0 for positives, cost[i] > 0. Writes w[d + 1] (the last entry is the
 * bias). Rows are visited in a random order per epoch drawn from `seed`; the stopping rule is
 * liblinear's: max - min projected gradient <= eps. LL_ENOMEM or LL_ENUMERIC on failure. */
ll_status ll_dcd_l2loss(const double *x, const uint8_t *y, const double *cost, size_t n, size_t d,
                        double eps, long max_epochs, uint64_t seed, double *w,
                        ll_dcd_result *out);

#endif
