/* Least-recently-used cache of kernel rows for the SMO solver. Rows are indexed by the solver's
 * current (permuted) variable order and hold a valid prefix [0, len), as in libsvm: shrinking
 * only ever needs prefixes, and a swap of two variables is mirrored inside every cached row.
 * Unlike libsvm the mirroring is lazy: swaps are logged and replayed on a row when it is next
 * requested, so rows evicted before their next use never pay for them. */
#ifndef LL_PLUGIN_SVM_CACHE_H
#define LL_PLUGIN_SVM_CACHE_H

#include <stddef.h>

typedef struct ll_svm_cache ll_svm_cache;

/* A cache for rows of n floats within budget_bytes (at least 2 rows, at most n); one block is
 * reserved up front and only touched as rows arrive. NULL when out of memory. */
ll_svm_cache *ll_svm_cache_new(size_t n, size_t budget_bytes);
void ll_svm_cache_free(ll_svm_cache *cache);

/* The row of variable `index`, now the most recently used. *valid receives how many leading
 * entries are already computed; the caller must fill [*valid, len) before the next call. The
 * pointer stays valid until two more rows have been requested. */
float *ll_svm_cache_get(ll_svm_cache *cache, size_t index, size_t len, size_t *valid);

/* Mirrors the solver swapping variables i and j (O(1) now, O(1) per cached row later). */
void ll_svm_cache_swap(ll_svm_cache *cache, size_t i, size_t j);

#endif
