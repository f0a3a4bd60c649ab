/* Gaussian (RBF) kernel for the SVM plugin: exp written so GCC vectorises it, kernel rows for the
 * SMO solver (single precision, like libsvm's cache) and decision values for prediction (double). */
#ifndef LL_PLUGIN_SVM_RBF_H
#define LL_PLUGIN_SVM_RBF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* exp(x) for x <= 0 in plain arithmetic (no libm call), so loops over it vectorise: Cody-Waite
 * reduction x = n ln2 + r, a Taylor polynomial in r (|r| <= ln2/2), 2^n built in the exponent
 * bits. Relative error below 2e-7; exp underflows to 0 below -87. */
static inline float ll_exp_negf(float x)
{
    float xc = x < -87.0f ? -87.0f : x;
    float shifted = xc * 1.44269504088896341f + 12582912.0f; /* 1.5 * 2^23 rounds to integer */
    float n = shifted - 12582912.0f;
    float r = xc - n * 0.693145751953125f;
    r = r - n * 1.428606765330187045e-06f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    bits = (bits - 0x4B400000 + 127) * (1 << 23); /* the integer n sits in the low mantissa bits */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return x < -87.0f ? 0.0f : p * scale;
}

/* Same in double: relative error below 1e-14; 0 below -708. */
static inline double ll_exp_neg(double x)
{
    double xc = x < -708.0 ? -708.0 : x;
    double shifted = xc * 1.4426950408889634074 + 6755399441055744.0; /* 1.5 * 2^52 */
    double n = shifted - 6755399441055744.0;
    double r = xc - n * 6.93147180369123816490e-01;
    r = r - n * 1.90821492927058770002e-10;
    double p = 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    int64_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    bits = (bits - 0x4338000000000000LL + 1023) * ((int64_t)1 << 52);
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return x < -708.0 ? 0.0 : p * scale;
}

/* The solver's view of the training points: stored feature-major (d arrays of n floats) so a
 * kernel row is d contiguous passes, and permuted in step with the solver's variables (swap). */
typedef struct {
    size_t n, d;
    float *xt; /* xt[k * n + j]: feature k of point j */
    float gamma;
    int threads;
} ll_rbf_rows;

/* Copies x (n x d, row-major); returns 0 or -1 when out of memory. */
int ll_rbf_rows_init(ll_rbf_rows *k, const double *x, size_t n, size_t d, double gamma,
                     int threads);
void ll_rbf_rows_free(ll_rbf_rows *k);
void ll_rbf_rows_swap(ll_rbf_rows *k, size_t i, size_t j);
/* out[j] = exp(-gamma |x_i - x_j|^2) for j in [from, to); OpenMP over blocks of the row for
 * very long rows only (see svm_rbf.c); same bits for any thread count. */
void ll_rbf_rows_fill(const ll_rbf_rows *k, size_t i, size_t from, size_t to, float *out);

/* Decision values of m query rows (row-major m x d): out[q] = sum_s coef[s] K(sv_s, x_q) - rho,
 * with the n_sv support vectors stored feature-major (sv_t[k * n_sv + s]). OpenMP over query
 * rows when threads > 1; every row is summed in the same order whatever the thread count.
 * Returns 0 or -1 when out of memory. */
int ll_rbf_decision(const double *sv_t, const double *coef, size_t n_sv, size_t d, double gamma,
                    double rho, const double *x, size_t m, int threads, double *out);

#endif
