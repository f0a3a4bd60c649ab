/* ll_knn_search (see neighbors.h) on top of ll_dist_knn / ll_dist_kfarthest: builds the
 * reference index, searches, and reshapes the result; self-exclusion asks for one neighbour
 * more and drops the query's own row. */
#include "neighbors.h"

#include <stdint.h>
#include <stdlib.h>

#include "distance.h"

/* Copies the first k of `found` (k + 1 entries when self != SIZE_MAX) to idx/dist2, skipping
 * reference row `self`. The k + 1 best of all rows minus `self`, or minus the last one when
 * `self` is not among them (k + 1 lower-indexed duplicates at distance 0 pushed it out), are
 * exactly the k best of the other rows. */
static void write_row(const ll_neighbor *found, size_t k, size_t self, size_t *idx,
                      double *dist2)
{
    for (size_t r = 0, out = 0; out < k; r++) {
        if (found[r].index == self)
            continue;
        if (idx)
            idx[out] = found[r].index;
        if (dist2)
            dist2[out] = found[r].dist;
        out++;
    }
}

int ll_knn_search(const double *query, size_t n_query, const double *ref, size_t n_ref,
                  size_t n_cols, const ll_knn_opts *opts, size_t *idx, double *dist2)
{
    size_t k = opts->k, available = opts->exclude_self ? n_ref - (n_ref > 0) : n_ref;
    if (k < 1 || k > available || (opts->exclude_self && n_query != n_ref))
        return -1;
    if (n_query == 0)
        return 0;
    size_t asked = opts->exclude_self ? k + 1 : k;
    ll_neighbor *found = malloc(n_query * asked * sizeof *found);
    ll_dist_index index;
    if (!found || ll_dist_index_build(&index, ref, n_ref, n_cols) != 0) {
        free(found);
        return -1;
    }
    ll_dist_order order = opts->farthest ? LL_DIST_FARTHEST : LL_DIST_NEAREST;
    int rc = opts->exclude_self && opts->threads <= 1
                 ? ll_dist_search_self(LL_DIST_SQEUCLIDEAN, order, &index, asked, found)
                 : ll_dist_search(LL_DIST_SQEUCLIDEAN, order, &index, query, n_query, asked,
                                  opts->threads, found);
    for (size_t q = 0; rc == 0 && q < n_query; q++)
        write_row(found + q * asked, k, opts->exclude_self ? q : SIZE_MAX,
                  idx ? idx + q * k : NULL, dist2 ? dist2 + q * k : NULL);
    ll_dist_index_free(&index);
    free(found);
    return rc;
}
