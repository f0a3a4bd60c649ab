/* The Adam optimiser (Kingma & Ba 2015) in PyTorch's formulation, over one flat vector of
 * parameters: used by the dnn plugin, reusable by any gradient-trained plugin. */
#ifndef LL_PLUGIN_ADAM_H
#define LL_PLUGIN_ADAM_H

#include <stddef.h>

#define LL_ADAM_EPS 1e-8 /* as torch.optim.Adam */

typedef struct {
    size_t n;
    double *mean, *sq_mean; /* first and second moment estimates, one per parameter */
    double *denom;          /* scratch for the step */
    long steps;
} ll_adam;

/* Zero moments for n parameters. Returns 0, or -1 when out of memory. */
int ll_adam_init(ll_adam *opt, size_t n);
void ll_adam_free(ll_adam *opt); /* NULL-safe; leaves *opt zeroed */

/* params -= lr * m_hat / (sqrt(v_hat) + eps) with bias-corrected moment estimates
 * m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t), as torch.optim.Adam computes it. */
void ll_adam_step(ll_adam *opt, double *params, const double *grad, double lr, double beta1,
                  double beta2);

#endif
