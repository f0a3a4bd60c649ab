/* Exact k-nearest (or k-farthest) neighbours in squared Euclidean distance with the samplers'
 * (SMOTE, NearMiss) interface: flat index/distance arrays and self-exclusion. A thin layer over
 * the one search engine, ll_dist_search / ll_dist_search_self (distance.h). */
#ifndef LL_PLUGIN_NEIGHBORS_H
#define LL_PLUGIN_NEIGHBORS_H

#include <stddef.h>

typedef struct {
    size_t k;         /* neighbours per query row, >= 1 */
    int exclude_self; /* query row i IS reference row i (only ref is read): never report it as
                         its own neighbour */
    int farthest;     /* report the k farthest reference rows instead of the k nearest */
    int threads;      /* OpenMP budget over query rows; results do not depend on it. With
                         exclude_self and one thread each pair is computed only once. */
} ll_knn_opts;

/* For every row q of `query` (n_query x n_cols, row-major) finds the opts->k nearest (or
 * farthest) rows of `ref` (n_ref x n_cols) and writes their indices to idx[q * k + r] and their
 * squared distances to dist2[q * k + r], nearest first (farthest first with opts->farthest).
 * Among equal distances the lower reference index wins. Either output may be NULL.
 * Distances are summed coordinate differences, never |a|^2 - 2ab + |b|^2, so identical rows
 * are at distance exactly 0 (an exact duplicate of a row is still its neighbour under
 * exclude_self). Inputs must be finite. Returns 0, or -1 when k exceeds the reference rows
 * available (n_ref, or n_ref - 1 with exclude_self, which also needs n_query == n_ref) or
 * memory runs out. */
int ll_knn_search(const double *query, size_t n_query, const double *ref, size_t n_ref,
                  size_t n_cols, const ll_knn_opts *opts, size_t *idx, double *dist2);

#endif
