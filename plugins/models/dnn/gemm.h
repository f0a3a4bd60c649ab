/* Small dense matrix products for plugins (the dnn's mini-batch layers): row-major,
 * register-blocked so GCC vectorises them, no BLAS dependency. */
#ifndef LL_PLUGIN_GEMM_H
#define LL_PLUGIN_GEMM_H

#include <stddef.h>

/* C = A B, or C += A B when `accumulate` is nonzero. C is m x n with row stride ldc; B is
 * k x n with row stride ldb; A is m x k read through strides, A(i, p) = a[i * a_row + p * a_col],
 * so a row-major A is (lda, 1) and the transpose of a row-major k x m matrix is (1, lda).
 * The order in which an element's k products are summed depends only on n and k, so a row's
 * result never depends on m or on how rows are split between threads. */
void ll_gemm(size_t m, size_t n, size_t k, const double *a, size_t a_row, size_t a_col,
             const double *b, size_t ldb, double *c, size_t ldc, int accumulate);

/* dst (cols x rows, row-major) = transpose of src (rows x cols, row-major). */
void ll_transpose(size_t rows, size_t cols, const double *restrict src, double *restrict dst);

#endif
