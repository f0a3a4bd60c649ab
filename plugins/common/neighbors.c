/* ll_knn_search (see neighbors.h) on top of the search engine of distance.h: builds the
 * reference index, searches (ll_dist_search_self when a row must not be its own neighbour), and
 * reshapes the result into flat index and distance arrays. */
#include "neighbors.h"

#include <stdlib.h>

#include "distance.h"

int ll_knn_search(const double *query, size_t n_query, const double *ref, size_t n_ref,
                  size_t n_cols, const ll_knn_opts *opts, size_t *idx, double *dist2)
{
    size_t k = opts->k, available = opts->exclude_self ? n_ref - (n_ref > 0) : n_ref;
    if (k < 1 || k > available || (opts->exclude_self && n_query != n_ref))
        return -1;
    if (n_query == 0)
        return 0;
    ll_neighbor *found = malloc(n_query * k * sizeof *found);
    ll_dist_index index;
    if (!found || ll_dist_index_build(&index, ref, n_ref, n_cols) != 0) {
        free(found);
        return -1;
    }
    ll_dist_order order = opts->farthest ? LL_DIST_FARTHEST : LL_DIST_NEAREST;
    int rc = opts->exclude_self
                 ? ll_dist_search_self(LL_DIST_SQEUCLIDEAN, order, &index, k, opts->threads, found)
                 : ll_dist_search(LL_DIST_SQEUCLIDEAN, order, &index, query, n_query, k,
                                  opts->threads, found);
    for (size_t i = 0; rc == 0 && i < n_query * k; i++) {
        if (idx)
            idx[i] = found[i].index;
        if (dist2)
            dist2[i] = found[i].dist;
    }
    ll_dist_index_free(&index);
    free(found);
    return rc;
}
