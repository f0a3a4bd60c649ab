/* leadlab gains: what calling leads best-first yields (cumulative gains, lift per decile, the
 * top-k means of a leaderboard row) and how well the scores read as probabilities (reliability
 * bins). The numbers behind report.html's gains, lift and reliability charts and the sentence
 * under leaderboard.md's table. Pure functions: no printing, no exit.
 *
 * Unscored rows: a NaN or negative score (leadlab's -1 for a row whose cell failed or did not
 * run) is left out, as if the row were absent; shares and rates are of the scored rows. */
#ifndef LL_CORE_GAINS_H
#define LL_CORE_GAINS_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "runner.h"

/* The points a gains curve keeps at most: a 600 px chart shows no more, and 40,000 rows would
 * otherwise be 40,000 points. */
#define LL_GAINS_MAX_POINTS 201
/* Deciles of a lift chart. */
#define LL_DECILES 10

/* Copies the scored rows of (y, score) into y_out, score_out (each room for n), keeping row
 * order; returns how many. What ll_ece and ll_metrics_at, which take every row, are given. */
size_t ll_scored_rows(const uint8_t *y, const double *score, size_t n, uint8_t *y_out,
                      double *score_out);

/* A cumulative gains curve: point j is (share of the scored rows called, share of their buyers
 * among the rows called). */
typedef struct {
    size_t n;              /* points */
    double *called;        /* x: 0 .. 1 */
    double *reached;       /* y: 0 .. 1 (0 throughout when there is no buyer) */
    size_t rows, buyers;   /* scored rows, and buyers among them */
} ll_gains;

/* The gains curve of the scored rows, ranked by descending score with ties broken by row order
 * (the earlier row is called first: the order of ll_metrics_at). With m scored rows the full
 * curve has m + 1 points, (j / m, buyers in the first j / buyers) for j = 0 .. m; when that is
 * more than max_points (>= 2), only the ranks j_i = round(i m / (max_points - 1)) for i = 0 ..
 * max_points - 1 are kept, so both ends, (0, 0) and (1, 1), stay exact. No scored row: one
 * point (0, 0). Returns 0, or -1 when memory runs out. Free with ll_gains_free. */
int ll_gains_curve(const uint8_t *y, const double *score, size_t n, size_t max_points,
                   ll_gains *out);
void ll_gains_free(ll_gains *g);

/* One decile of the scored rows. */
typedef struct {
    size_t rows, buyers;
    double rate;               /* buyers / rows; NaN for an empty decile */
    double lift;               /* rate / the base rate of all scored rows; NaN for an empty
                                  decile or without any buyer */
    double min_score, max_score; /* of the decile's rows; NaN when empty */
} ll_decile;

/* Lift per decile: the m scored rows ranked by descending score, ties by row order (as
 * ll_gains_curve), the row of 0-based rank r in decile 1 + floor(10 r / m), so decile 1 holds
 * the best-scored tenth and the deciles differ by at most one row (with m < 10 some are
 * empty). out[d] is decile d + 1. *base_rate (may be NULL) receives buyers / m (NaN when
 * m = 0). Returns 0, or -1 when memory runs out. */
int ll_decile_lift(const uint8_t *y, const double *score, size_t n, ll_decile out[LL_DECILES],
                   double *base_rate);

/* One bin of a reliability diagram. */
typedef struct {
    size_t rows, buyers;
    double mean_score; /* mean predicted probability of the bin's rows */
    double observed;   /* buyers / rows */
} ll_reliability_bin;

/* Equal-count bins of the scored rows, the bins ll_ece measures: rows sorted by ascending
 * score, ties by row order, cut into min(bins, m) consecutive bins of which the first m % bins
 * hold one row more (numpy's array_split). Writes them to out (room for `bins`) lowest scores
 * first and their count to *n_bins (0 without a scored row). Then sum_b rows_b / m *
 * |observed_b - mean_score_b| = ll_ece of the scored rows. Returns 0, or -1 when memory runs
 * out. */
int ll_reliability_bins(const uint8_t *y, const double *score, size_t n, size_t bins,
                        ll_reliability_bin *out, size_t *n_bins);

/* The top-k metrics of one leaderboard row as the leaderboard measures its other metrics: for
 * every ok cell of (model, sampler) over all repeats, ll_metrics_at(k) of its test rows (the
 * rows whose fold in that repeat is the cell's fold, scored by run->oof, labels run->y), then
 * the mean of each over those cells (a NaN, a fold without a buyer, left out of its mean).
 * *cells (may be NULL) receives how many cells were measured; with none the means are NaN.
 * Returns 0, or -1 when memory runs out. */
int ll_row_top_k(const ll_run_result *run, size_t model, size_t sampler, double k,
                 ll_at_k *mean, size_t *cells);

#endif
