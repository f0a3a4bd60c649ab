/* Quantile pre-binning for the histogram tree builder (tree.h): each feature's training values
 * become small bin codes once per fit, and the bin edges turn a split on codes back into a
 * threshold on raw values. */
#ifndef LL_PLUGIN_BINNING_H
#define LL_PLUGIN_BINNING_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/plugin.h"

#define LL_BINNING_MAX_BINS 255         /* bin codes are uint8_t */
#define LL_BINNING_MAX_ROWS UINT32_MAX  /* row numbers and counts are uint32_t */

typedef struct {
    size_t n_rows, n_cols;
    uint8_t *codes; /* n_rows x n_cols, row-major: the bin of x[i][j] */
    /* Feature j owns slots offset[j] .. offset[j + 1] - 1 of every histogram (one per bin), so
     * offset[n_cols] is a histogram's length. */
    size_t *offset;
    /* upper[offset[j] + b] is bin b's upper edge: a raw value v falls in the first bin whose
     * upper edge is >= v. A feature's last bin has upper edge +inf. */
    double *upper;
} ll_binned;

/* Bins the n_rows x n_cols row-major matrix x (finite values) into at most max_bins
 * (2..LL_BINNING_MAX_BINS) bins per feature. A feature with at most max_bins distinct values
 * gets one bin per value; otherwise each bin closes once it holds its share of the rows not yet
 * binned (about n_rows / max_bins, a value never straddling two bins). Edges lie midway
 * between neighbouring distinct values.
 * On success the caller frees *out with ll_binned_free; LL_ENOMEM otherwise. */
ll_status ll_binned_build(ll_binned *out, const double *x, size_t n_rows, size_t n_cols,
                          int max_bins);
void ll_binned_free(ll_binned *binned); /* NULL-safe; leaves *binned zeroed */

/* Merges rows with identical codes, which no tree on these bins can tell apart (tabular data
 * with discrete features repeats itself: the lead data has 17k distinct rows in 39k). Keeps
 * the first row of each group, in order, and writes group[i] = the kept row that stands for
 * original row i (n_rows entries); n_rows becomes the number of groups. LL_ENOMEM leaves
 * `binned` as it was. */
ll_status ll_binned_merge_duplicates(ll_binned *binned, uint32_t *group);

/* ll_binned_build then ll_binned_merge_duplicates; *group (n_rows entries) is the caller's to
 * free. On failure nothing is left allocated. */
ll_status ll_binned_build_merged(ll_binned *out, uint32_t **group, const double *x,
                                 size_t n_rows, size_t n_cols, int max_bins);

static inline size_t ll_binned_n_bins(const ll_binned *binned, size_t feature)
{
    return binned->offset[feature + 1] - binned->offset[feature];
}

#endif
