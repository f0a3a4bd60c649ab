/* Small dense linear algebra shared by plugins (logreg's Newton steps, ridge's normal
 * equations): symmetric positive definite solves by Cholesky. */
#ifndef LL_PLUGIN_LINALG_H
#define LL_PLUGIN_LINALG_H

#include <stddef.h>

/* In-place Cholesky factorisation of the n x n SPD matrix a (row-major; the lower triangle is
 * read and overwritten with L). Returns 0, or -1 when a is not numerically positive definite. */
int ll_cholesky_factor(double *a, size_t n);
/* Solves L L^T x = b in place (b becomes x) with a factor from ll_cholesky_factor. */
void ll_cholesky_solve(const double *l, size_t n, double *b);

#endif
