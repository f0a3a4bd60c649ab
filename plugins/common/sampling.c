/* Helpers shared by the sampler plugins (see sampling.h). */
#include "sampling.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *ll_alloc_array(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL; /* the product would wrap around to a small buffer */
    return malloc(count > 0 ? count * size : 1);
}

int ll_class_balance_of(const ll_data *in, ll_class_balance *out)
{
    size_t ones = 0;
    for (size_t i = 0; i < in->n_rows; i++) {
        if (in->y[i] > 1)
            return -1;
        ones += in->y[i];
    }
    size_t zeros = in->n_rows - ones;
    out->minority = zeros < ones ? 0 : 1;
    out->n_minority = zeros < ones ? zeros : ones;
    out->n_majority = in->n_rows - out->n_minority;
    return 0;
}

int ll_owned_data_alloc(ll_owned_data *out, size_t n_rows, size_t n_cols)
{
    memset(out, 0, sizeof *out);
    if (n_cols && n_rows > SIZE_MAX / n_cols)
        return -1;
    size_t cells = n_rows * n_cols;
    out->x = ll_alloc_array(cells, sizeof *out->x);
    out->y = ll_alloc_array(n_rows, 1);
    if (!out->x || !out->y) {
        free(out->x);
        free(out->y);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->n_rows = n_rows;
    out->n_cols = n_cols;
    return 0;
}

size_t ll_copy_rows(const ll_data *in, const uint8_t *keep, ll_owned_data *out)
{
    size_t d = in->n_cols;
    if (!keep) {
        if (in->n_rows == 0)
            return 0;
        memcpy(out->x, in->x, in->n_rows * d * sizeof *out->x);
        memcpy(out->y, in->y, in->n_rows);
        return in->n_rows;
    }
    size_t n = 0;
    for (size_t i = 0; i < in->n_rows; i++) {
        if (!keep[i])
            continue;
        memcpy(out->x + n * d, in->x + i * d, d * sizeof *out->x);
        out->y[n++] = in->y[i];
    }
    return n;
}

size_t ll_gather_class(const ll_data *in, uint8_t label, double *x, size_t *rows)
{
    size_t d = in->n_cols, n = 0;
    for (size_t i = 0; i < in->n_rows; i++) {
        if (in->y[i] != label)
            continue;
        memcpy(x + n * d, in->x + i * d, d * sizeof *x);
        if (rows)
            rows[n] = i;
        n++;
    }
    return n;
}
