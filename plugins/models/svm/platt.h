/* Platt scaling: P(y = 1 | f) = 1 / (1 + exp(A f + B)) fitted to decision values f by the
 * Newton method with backtracking of Lin, Lin and Weng (2007), as libsvm's sigmoid_train. */
#ifndef LL_PLUGIN_PLATT_H
#define LL_PLUGIN_PLATT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double a, b;
} ll_platt;

/* dec[n] decision values, y[i] != 0 positive, weight[n] row multiplicities (NULL = all 1).
 * Uses Platt's regularised targets (n+ + 1)/(n+ + 2) and 1/(n- + 2). Always returns a usable
 * fit: when the line search stalls it keeps the last improvement, as libsvm does. */
ll_platt ll_platt_fit(const double *dec, const uint8_t *y, const double *weight, size_t n);

/* The fitted probability, computed without overflow for any finite f; in [0, 1]. */
double ll_platt_prob(ll_platt fit, double dec);

#endif
