/* The Adam optimiser (see adam.h). */
#include "adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ll_adam_init(ll_adam *opt, size_t n)
{
    memset(opt, 0, sizeof *opt);
    size_t count = n ? n : 1;
    opt->n = n;
    opt->mean = calloc(count, sizeof *opt->mean);
    opt->sq_mean = calloc(count, sizeof *opt->sq_mean);
    opt->denom = malloc(count * sizeof *opt->denom);
    if (!opt->mean || !opt->sq_mean || !opt->denom) {
        ll_adam_free(opt);
        return -1;
    }
    return 0;
}

void ll_adam_free(ll_adam *opt)
{
    if (!opt)
        return;
    free(opt->mean);
    free(opt->sq_mean);
    free(opt->denom);
    memset(opt, 0, sizeof *opt);
}

void ll_adam_step(ll_adam *opt, double *params, const double *grad, double lr, double beta1,
                  double beta2)
{
    opt->steps++;
    /* PyTorch's arrangement: step_size = lr / (1 - beta1^t) and
     * denominator = sqrt(v) / sqrt(1 - beta2^t) + eps */
    double step_size = lr / (1.0 - pow(beta1, (double)opt->steps));
    double inv_sq_correction = 1.0 / sqrt(1.0 - pow(beta2, (double)opt->steps));
    double *restrict p = params, *restrict m = opt->mean, *restrict v = opt->sq_mean;
    double *restrict denom = opt->denom;
    const double *restrict g = grad;
    size_t n = opt->n;
    for (size_t i = 0; i < n; i++) {
        m[i] = beta1 * m[i] + (1.0 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1.0 - beta2) * g[i] * g[i];
    }
    /* A loop of its own so it vectorises (the build has -fno-math-errno); scalar sqrt was a
     * sixth of the dnn's training time. */
    for (size_t i = 0; i < n; i++)
        denom[i] = sqrt(v[i]);
    for (size_t i = 0; i < n; i++)
        p[i] -= step_size * m[i] / (denom[i] * inv_sq_correction + LL_ADAM_EPS);
}
