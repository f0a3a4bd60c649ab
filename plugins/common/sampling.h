/* Helpers shared by the sampler plugins: which class is the minority, the output buffer the
 * runner frees, and copying or gathering rows. */
#ifndef LL_PLUGIN_SAMPLING_H
#define LL_PLUGIN_SAMPLING_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/plugin.h"

typedef struct {
    uint8_t minority; /* the rarer label; 1 when both classes have as many rows */
    size_t n_minority, n_majority;
} ll_class_balance;

/* malloc(count * size), but never of 0 bytes, so NULL always means out of memory (or a
 * count * size beyond SIZE_MAX). */
void *ll_alloc_array(size_t count, size_t size);

/* Counts the classes of in->y. Returns -1 when a label is neither 0 nor 1. */
int ll_class_balance_of(const ll_data *in, ll_class_balance *out);

/* Allocates out->x (n_rows x n_cols) and out->y with malloc, as the runner expects to free
 * them. Returns -1 on out of memory, leaving out empty. */
int ll_owned_data_alloc(ll_owned_data *out, size_t n_rows, size_t n_cols);

/* Copies the rows of `in` flagged in `keep` (every row when keep is NULL), in their order, to
 * the first rows of `out`. Returns the number of rows copied. */
size_t ll_copy_rows(const ll_data *in, const uint8_t *keep, ll_owned_data *out);

/* Gathers the rows labelled `label` into x (count x n_cols, caller-allocated) and, when `rows`
 * is not NULL, their row numbers in `in`. Returns the count. */
size_t ll_gather_class(const ll_data *in, uint8_t label, double *x, size_t *rows);

#endif
