/* leadlab preprocessing: z-score scaling fitted on a fold's training rows only. */
#ifndef LL_CORE_SCALER_H
#define LL_CORE_SCALER_H

#include <stddef.h>

typedef struct {
    double *mean, *scale; /* n_cols each; scale 1 for constant columns, as scikit-learn */
    size_t n_cols;
} ll_scaler;

/* Learns mean and population standard deviation of each column of x (n_rows x n_cols). */
int ll_scaler_fit(ll_scaler *s, const double *x, size_t n_rows, size_t n_cols);
/* x <- (x - mean) / scale, in place. */
void ll_scaler_apply(const ll_scaler *s, double *x, size_t n_rows);
void ll_scaler_free(ll_scaler *s);

#endif
