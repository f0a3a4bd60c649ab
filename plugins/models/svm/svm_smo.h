/* SMO solver for the C-SVC dual with the Gaussian kernel, after libsvm (Fan, Chen, Lin 2005):
 *   min 1/2 a'Qa - e'a   s.t.  y'a = 0,  0 <= a_i <= upper_i,   Q_ij = y_i y_j K(x_i, x_j),
 * with second-order working-set selection, shrinking and an LRU kernel-row cache. */
#ifndef LL_PLUGIN_SVM_SMO_H
#define LL_PLUGIN_SVM_SMO_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/plugin.h"

typedef struct {
    double eps;         /* stop when the maximal KKT violation m(a) - M(a) < eps */
    long max_iter;      /* pair updates; <= 0: max(10^7, 100 n) as libsvm */
    size_t cache_bytes; /* kernel-row cache budget */
    int threads;        /* OpenMP budget for kernel rows */
} ll_smo_options;

typedef struct {
    double rho;       /* decision(x) = sum_i alpha_i y_i K(x_i, x) - rho */
    long iterations;
    int hit_max_iter; /* stopped by max_iter before reaching eps */
} ll_smo_result;

/* x is n x d row-major, y[i] != 0 for positives, upper[i] > 0 the box of each variable (C times class
 * and duplicate weights). Writes alpha[n] and, unless NULL, decision[n]: the decision values of
 * the training points, free from the solver's gradient (kernel in single precision). Both are
 * caller-owned. LL_ENOMEM or LL_ENUMERIC on failure. */
ll_status ll_smo_rbf(const double *x, const uint8_t *y, const double *upper, size_t n, size_t d,
                     double gamma, const ll_smo_options *opt, double *alpha, double *decision,
                     ll_smo_result *out);

#endif
