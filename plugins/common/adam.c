/* The Adam optimiser (see adam.h). */
#include "adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX__)
#include <immintrin.h>
#endif

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

/* out[i] = sqrt(v[i]). GCC keeps sqrt scalar in a loop, because it may set errno, unless the
 * build has -fno-math-errno; the AVX instruction gives the same correctly rounded values four
 * at a time. Scalar sqrt was a sixth of the dnn's training time. */
static void sqrt_all(size_t n, const double *restrict v, double *restrict out)
{
    size_t i = 0;
#if defined(__AVX__)
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(out + i, _mm256_sqrt_pd(_mm256_loadu_pd(v + i)));
#endif
    for (; i < n; i++)
        out[i] = sqrt(v[i]);
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
    sqrt_all(n, v, denom); /* apart, so that the loops before and after stay vectorised */
    for (size_t i = 0; i < n; i++)
        p[i] -= step_size * m[i] / (denom[i] * inv_sq_correction + LL_ADAM_EPS);
}
