/* Quantile pre-binning (see binning.h): sort each column once (LSD radix sort on the IEEE bit
 * pattern, which beats qsort several times on the tens of thousands of rows of a fold), place
 * the bin edges on the sorted values, then code every value by binary search on the edges. */
#include "binning.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Maps a double to an unsigned key with the same order (negatives reversed, sign bit flipped). */
static uint64_t order_key(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : u | (1ull << 63);
}

static double key_value(uint64_t key)
{
    uint64_t u = (key >> 63) ? key & ~(1ull << 63) : ~key;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Sorts keys[n] ascending, byte by byte from the lowest; tmp[n] is scratch. A byte that every
 * key shares (all of the high ones for small integers) costs one counting pass and no move. */
static void radix_sort(uint64_t *keys, uint64_t *tmp, size_t n)
{
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++)
            count[(keys[i] >> shift) & 0xFF]++;
        if (count[(keys[0] >> shift) & 0xFF] == n)
            continue;
        size_t start = 0;
        for (int d = 0; d < 256; d++) {
            size_t c = count[d];
            count[d] = start;
            start += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(keys[i] >> shift) & 0xFF]++] = keys[i];
        memcpy(keys, tmp, n * sizeof *keys);
    }
}

/* An edge e with below <= e < above, so that `v <= e` separates the two values exactly. */
static double edge_between(double below, double above)
{
    double mid = below + (above - below) * 0.5;
    return mid < above ? mid : below;
}

/* Writes the upper edges of one feature's bins from its sorted values; returns the bin count.
 * In the quantile case a bin closes once it holds its share of the rows not yet binned, so a
 * heavy value (a spike at 0) takes one bin and the rest share the others evenly. */
static size_t place_edges(const double *sorted, size_t n, int max_bins, double *upper)
{
    size_t n_distinct = 1;
    for (size_t i = 1; i < n; i++)
        n_distinct += sorted[i] != sorted[i - 1];
    int one_per_value = n_distinct <= (size_t)max_bins;
    size_t n_bins = 0, bin_start = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && sorted[j] == sorted[i])
            j++;
        size_t bins_left = (size_t)max_bins - n_bins;
        if (j == n) {
            upper[n_bins++] = INFINITY;
        } else if (one_per_value ||
                   (bins_left > 1 && (j - bin_start) * bins_left >= n - bin_start)) {
            upper[n_bins++] = edge_between(sorted[i], sorted[j]);
            bin_start = j;
        }
        i = j;
    }
    return n_bins;
}

/* The first bin whose upper edge is >= v; the last edge is +inf, so one always is. */
static uint8_t code_of(const double *upper, size_t n_bins, double v)
{
    size_t lo = 0, hi = n_bins - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (upper[mid] >= v)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (uint8_t)lo;
}

ll_status ll_binned_build(ll_binned *out, const double *x, size_t n_rows, size_t n_cols,
                          int max_bins)
{
    memset(out, 0, sizeof *out);
    if (max_bins < 2 || max_bins > LL_BINNING_MAX_BINS || n_rows == 0)
        return LL_EINVAL;
    out->n_rows = n_rows;
    out->n_cols = n_cols;
    out->codes = malloc(n_rows * n_cols + 1);
    out->offset = malloc((n_cols + 1) * sizeof *out->offset);
    out->upper = malloc((n_cols * (size_t)max_bins + 1) * sizeof *out->upper);
    uint64_t *keys = malloc(n_rows * sizeof *keys);
    uint64_t *tmp = malloc(n_rows * sizeof *tmp);
    double *sorted = malloc(n_rows * sizeof *sorted);
    if (!out->codes || !out->offset || !out->upper || !keys || !tmp || !sorted) {
        free(keys);
        free(tmp);
        free(sorted);
        ll_binned_free(out);
        return LL_ENOMEM;
    }
    out->offset[0] = 0;
    for (size_t j = 0; j < n_cols; j++) {
        for (size_t i = 0; i < n_rows; i++)
            keys[i] = order_key(x[i * n_cols + j]);
        radix_sort(keys, tmp, n_rows);
        for (size_t i = 0; i < n_rows; i++)
            sorted[i] = key_value(keys[i]);
        double *upper = out->upper + out->offset[j];
        size_t n_bins = place_edges(sorted, n_rows, max_bins, upper);
        out->offset[j + 1] = out->offset[j] + n_bins;
        for (size_t i = 0; i < n_rows; i++)
            out->codes[i * n_cols + j] = code_of(upper, n_bins, x[i * n_cols + j]);
    }
    free(keys);
    free(tmp);
    free(sorted);
    return LL_OK;
}

void ll_binned_free(ll_binned *binned)
{
    if (!binned)
        return;
    free(binned->codes);
    free(binned->offset);
    free(binned->upper);
    memset(binned, 0, sizeof *binned);
}

/* FNV-1a over one row's codes. */
static uint64_t hash_codes(const uint8_t *codes, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t j = 0; j < n; j++)
        h = (h ^ codes[j]) * 0x100000001b3ull;
    return h;
}

ll_status ll_binned_merge_duplicates(ll_binned *binned, uint32_t *group)
{
    size_t n = binned->n_rows, n_cols = binned->n_cols;
    size_t slots = 16;
    while (slots < 2 * n)
        slots *= 2;
    /* open addressing: slot -> kept row + 1, 0 = empty */
    uint32_t *table = calloc(slots, sizeof *table);
    if (!table)
        return LL_ENOMEM;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *row = binned->codes + i * n_cols;
        size_t slot = (size_t)hash_codes(row, n_cols) & (slots - 1);
        while (table[slot] != 0 &&
               memcmp(binned->codes + (size_t)(table[slot] - 1) * n_cols, row, n_cols) != 0)
            slot = (slot + 1) & (slots - 1);
        if (table[slot] == 0) {
            /* rows are only ever moved down, onto rows already read */
            memmove(binned->codes + kept * n_cols, row, n_cols);
            table[slot] = (uint32_t)++kept;
        }
        group[i] = table[slot] - 1;
    }
    free(table);
    binned->n_rows = kept;
    return LL_OK;
}

ll_status ll_binned_build_merged(ll_binned *out, uint32_t **group, const double *x,
                                 size_t n_rows, size_t n_cols, int max_bins)
{
    *group = malloc((n_rows + 1) * sizeof **group);
    if (!*group)
        return LL_ENOMEM;
    ll_status st = ll_binned_build(out, x, n_rows, n_cols, max_bins);
    if (st == LL_OK && (st = ll_binned_merge_duplicates(out, *group)) != LL_OK)
        ll_binned_free(out);
    if (st != LL_OK) {
        free(*group);
        *group = NULL;
    }
    return st;
}
