/* Dual coordinate descent for the squared-hinge linear SVM (see svm_linear_dcd.h). The dual is
 *   min 1/2 a'(Q + D)a - e'a,  a >= 0,  Q_ij = y_i y_j z_i'z_j,  D_ii = 1 / (2 cost_i),
 * with z_i = (x_i, 1); w = sum_i a_i y_i z_i is kept up to date so each step is O(d). */
#include "svm_linear_dcd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double dot_row(const double *restrict w, const double *restrict xi, size_t d)
{
    double s = w[d]; /* the bias feature is 1 */
    for (size_t f = 0; f < d; f++)
        s += w[f] * xi[f];
    return s;
}

ll_status ll_dcd_l2loss(const double *x, const uint8_t *y, const double *cost, size_t n, size_t d,
                        double eps, long max_epochs, uint64_t seed, double *w,
                        ll_dcd_result *out)
{
    size_t m = n ? n : 1;
    double *alpha = calloc(m, sizeof *alpha);
    double *curvature = malloc(m * sizeof *curvature);
    size_t *order = malloc(m * sizeof *order);
    if (!alpha || !curvature || !order) {
        free(alpha);
        free(curvature);
        free(order);
        return LL_ENOMEM;
    }
    memset(w, 0, (d + 1) * sizeof *w);
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * d;
        double sq = 1.0;
        for (size_t f = 0; f < d; f++)
            sq += xi[f] * xi[f];
        curvature[i] = sq + 0.5 / cost[i];
        order[i] = i;
    }
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    /* Shrinking (liblinear): a variable at 0 whose gradient exceeds last epoch's largest
     * projected gradient is dropped until the active set converges; then all come back once. */
    double pg_max_old = INFINITY;
    size_t active = n;
    long epoch = 0;
    int converged = 0;
    while (!converged && epoch < max_epochs) {
        double pg_max = -INFINITY, pg_min = INFINITY;
        ll_rng_shuffle_size(&rng, order, active);
        size_t s = 0;
        while (s < active) {
            size_t i = order[s];
            const double *xi = x + i * d;
            const double yi = y[i] ? 1.0 : -1.0;
            double g = yi * dot_row(w, xi, d) - 1.0 + alpha[i] * (0.5 / cost[i]);
            double pg = g;
            if (alpha[i] == 0.0) {
                if (g > pg_max_old) {
                    active--;
                    order[s] = order[active];
                    order[active] = i;
                    continue; /* order[s] is now an unvisited row */
                }
                if (g > 0.0)
                    pg = 0.0;
            }
            pg_max = pg > pg_max ? pg : pg_max;
            pg_min = pg < pg_min ? pg : pg_min;
            if (fabs(pg) > 1e-12) {
                double old = alpha[i];
                alpha[i] = fmax(old - g / curvature[i], 0.0);
                double step = (alpha[i] - old) * yi;
                for (size_t f = 0; f < d; f++)
                    w[f] += step * xi[f];
                w[d] += step;
            }
            s++;
        }
        epoch++;
        if (pg_max - pg_min <= eps) {
            converged = active == n;
            active = n;
            pg_max_old = INFINITY;
            continue;
        }
        pg_max_old = pg_max > 0.0 ? pg_max : INFINITY;
    }
    out->epochs = epoch;
    out->hit_max_iter = !converged;
    free(alpha);
    free(curvature);
    free(order);
    for (size_t f = 0; f <= d; f++)
        if (!isfinite(w[f]))
            return LL_ENUMERIC;
    return LL_OK;
}
