/* Collapses identical training rows (same features, same label) into one row with a count.
 * For the SVM duals this is exact: k copies of a point with box C are the same problem as one
 * point with box k C (hinge) or cost k C (squared hinge), and the decision function is unchanged.
 * The lead data has 31k rows per fold but only ~14k distinct ones, so every solver gets faster. */
#ifndef LL_PLUGIN_SVM_UNIQUE_H
#define LL_PLUGIN_SVM_UNIQUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t n, d;
    double *x;     /* n x d, row-major, sorted by (label, features) */
    uint8_t *y;    /* 1 = positive, 0 = negative */
    double *count; /* copies of the row in the input */
} ll_svm_unique;

/* rows lists which rows of x (n_all x d) to use (NULL = all n rows); y[r] != 0 is positive.
 * Deterministic. Returns 0, or -1 when out of memory (out is then empty). */
int ll_svm_unique_rows(const double *x, const uint8_t *y, size_t d, const size_t *rows, size_t n,
                       ll_svm_unique *out);
void ll_svm_unique_free(ll_svm_unique *u);

#endif
