/* Platt scaling by Lin, Lin and Weng's robust Newton iteration (see platt.h). */
#include "platt.h"

#include <math.h>

enum { PLATT_MAX_ITER = 100 };
#define PLATT_MIN_STEP 1e-10
#define PLATT_HESSIAN_RIDGE 1e-12 /* keeps the 2x2 Newton system invertible */
#define PLATT_GRAD_TOL 1e-5

typedef struct {
    const double *dec, *weight;
    const uint8_t *y;
    size_t n;
    double target_pos, target_neg;
} platt_data;

/* Weighted cross-entropy of the targets under p = 1/(1+exp(z)), z = A f + B, stable in z. */
static double objective(const platt_data *pd, ll_platt fit)
{
    double sum = 0.0;
    for (size_t i = 0; i < pd->n; i++) {
        double z = pd->dec[i] * fit.a + fit.b;
        double t = pd->y[i] ? pd->target_pos : pd->target_neg;
        double loss = z >= 0.0 ? t * z + log1p(exp(-z)) : (t - 1.0) * z + log1p(exp(z));
        sum += (pd->weight ? pd->weight[i] : 1.0) * loss;
    }
    return sum;
}

double ll_platt_prob(ll_platt fit, double dec)
{
    double z = dec * fit.a + fit.b;
    double p = z >= 0.0 ? exp(-z) / (1.0 + exp(-z)) : 1.0 / (1.0 + exp(z));
    return isfinite(p) ? p : (z > 0.0 ? 0.0 : 1.0);
}

ll_platt ll_platt_fit(const double *dec, const uint8_t *y, const double *weight, size_t n)
{
    double n_pos = 0.0, n_neg = 0.0;
    for (size_t i = 0; i < n; i++) {
        double w = weight ? weight[i] : 1.0;
        n_pos += y[i] ? w : 0.0;
        n_neg += y[i] ? 0.0 : w;
    }
    platt_data pd = {dec, weight, y, n, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0)};
    ll_platt fit = {0.0, log((n_neg + 1.0) / (n_pos + 1.0))};
    double fval = objective(&pd, fit);
    for (int iter = 0; iter < PLATT_MAX_ITER; iter++) {
        double h11 = PLATT_HESSIAN_RIDGE, h22 = PLATT_HESSIAN_RIDGE, h21 = 0.0;
        double g1 = 0.0, g2 = 0.0;
        for (size_t i = 0; i < n; i++) {
            double f = dec[i], w = weight ? weight[i] : 1.0;
            double p = ll_platt_prob(fit, f);
            double curv = w * p * (1.0 - p), resid = w * ((y[i] ? pd.target_pos : pd.target_neg) - p);
            h11 += f * f * curv;
            h22 += curv;
            h21 += f * curv;
            g1 += f * resid;
            g2 += resid;
        }
        if (fabs(g1) < PLATT_GRAD_TOL && fabs(g2) < PLATT_GRAD_TOL)
            break;
        double det = h11 * h22 - h21 * h21;
        double da = -(h22 * g1 - h21 * g2) / det, db = -(-h21 * g1 + h11 * g2) / det;
        double slope = g1 * da + g2 * db;
        double step = 1.0;
        for (; step >= PLATT_MIN_STEP; step /= 2.0) {
            ll_platt trial = {fit.a + step * da, fit.b + step * db};
            double ftrial = objective(&pd, trial);
            if (ftrial < fval + 1e-4 * step * slope) { /* Armijo condition */
                fit = trial;
                fval = ftrial;
                break;
            }
        }
        if (step < PLATT_MIN_STEP)
            break; /* line search failed: keep the last improvement, as libsvm */
    }
    return fit;
}
