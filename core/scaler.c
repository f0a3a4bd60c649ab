/* leadlab z-score scaling (see scaler.h). Two passes (mean, then squared deviations) rather
 * than one, because sum-of-squares cancels badly on columns such as dates. */
#include "scaler.h"

#include <math.h>
#include <stdlib.h>

int ll_scaler_fit(ll_scaler *s, const double *x, size_t n_rows, size_t n_cols)
{
    s->n_cols = n_cols;
    s->mean = calloc(n_cols ? n_cols : 1, sizeof *s->mean);
    s->scale = calloc(n_cols ? n_cols : 1, sizeof *s->scale);
    if (!s->mean || !s->scale) {
        ll_scaler_free(s);
        return -1;
    }
    for (size_t i = 0; i < n_rows; i++)
        for (size_t j = 0; j < n_cols; j++)
            s->mean[j] += x[i * n_cols + j];
    for (size_t j = 0; j < n_cols; j++)
        s->mean[j] /= n_rows ? (double)n_rows : 1.0;
    for (size_t i = 0; i < n_rows; i++)
        for (size_t j = 0; j < n_cols; j++) {
            double d = x[i * n_cols + j] - s->mean[j];
            s->scale[j] += d * d;
        }
    for (size_t j = 0; j < n_cols; j++) {
        double sd = sqrt(s->scale[j] / (n_rows ? (double)n_rows : 1.0));
        /* scikit-learn treats near-zero variance as constant: dividing would blow up noise. */
        s->scale[j] = sd > 10.0 * 2.220446049250313e-16 * fabs(s->mean[j]) && sd > 0.0 ? sd : 1.0;
    }
    return 0;
}

void ll_scaler_apply(const ll_scaler *s, double *x, size_t n_rows)
{
    size_t m = s->n_cols;
    for (size_t i = 0; i < n_rows; i++)
        for (size_t j = 0; j < m; j++)
            x[i * m + j] = (x[i * m + j] - s->mean[j]) / s->scale[j];
}

void ll_scaler_free(ll_scaler *s)
{
    free(s->mean);
    free(s->scale);
    s->mean = s->scale = NULL;
}
