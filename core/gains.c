/* leadlab gains (see gains.h): rows ranked by score for the gains curve, decile lifts and
 * reliability bins, and a leaderboard row's top-k means over its folds. */
#include "gains.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double score;
    size_t row;
} ranked_row;

static int scored(double s) { return s >= 0.0; } /* false for NaN and leadlab's -1 */

/* The scored rows ranked as ll_rank_rows ranks them (best first, or lowest first with
 * `ascending`); *m receives their count. NULL when memory runs out (a valid pointer with m = 0
 * otherwise). */
static ranked_row *rank_rows(const double *score, size_t n, int ascending, size_t *m)
{
    ranked_row *rows = malloc((n ? n : 1) * sizeof *rows);
    double *kept = malloc((n ? n : 1) * sizeof *kept);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    *m = 0;
    if (rows && kept && order) {
        for (size_t i = 0; i < n; i++)
            if (scored(score[i])) {
                rows[*m] = (ranked_row){score[i], i};
                kept[(*m)++] = score[i];
            }
        if (ll_rank_rows(kept, *m, ascending, order) == 0) {
            /* order indexes the kept rows; rows[] is in row order, so reorder a copy */
            for (size_t i = 0; i < *m; i++)
                order[i] = rows[order[i]].row;
            for (size_t i = 0; i < *m; i++)
                rows[i] = (ranked_row){score[order[i]], order[i]};
            free(kept);
            free(order);
            return rows;
        }
    }
    free(rows);
    free(kept);
    free(order);
    return NULL;
}

size_t ll_scored_rows(const uint8_t *y, const double *score, size_t n, uint8_t *y_out,
                      double *score_out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (scored(score[i])) {
            y_out[m] = y[i] != 0;
            score_out[m++] = score[i];
        }
    return m;
}

void ll_gains_free(ll_gains *g)
{
    free(g->called);
    free(g->reached);
    memset(g, 0, sizeof *g);
}

int ll_gains_curve(const uint8_t *y, const double *score, size_t n, size_t max_points,
                   ll_gains *out)
{
    memset(out, 0, sizeof *out);
    size_t m;
    ranked_row *rows = rank_rows(score, n, 0, &m);
    if (!rows)
        return -1;
    if (max_points < 2)
        max_points = 2;
    size_t points = m + 1 <= max_points ? m + 1 : max_points;
    /* hits[j]: buyers among the first j rows called */
    size_t *hits = malloc((m + 1) * sizeof *hits);
    out->called = malloc(points * sizeof *out->called);
    out->reached = malloc(points * sizeof *out->reached);
    if (!hits || !out->called || !out->reached) {
        free(rows);
        free(hits);
        ll_gains_free(out);
        return -1;
    }
    hits[0] = 0;
    for (size_t j = 0; j < m; j++)
        hits[j + 1] = hits[j] + (y[rows[j].row] != 0);
    out->rows = m;
    out->buyers = hits[m];
    for (size_t i = 0; i < points; i++) {
        /* Integer rounding of i m / (points - 1): exact ends, and no float drift between
         * platforms. Without downsampling (points = m + 1) it is j = i. */
        size_t j = points == 1 ? 0 : (i * m + (points - 1) / 2) / (points - 1);
        out->called[i] = m ? (double)j / (double)m : 0.0;
        out->reached[i] = out->buyers ? (double)hits[j] / (double)out->buyers : 0.0;
    }
    out->n = points;
    free(hits);
    free(rows);
    return 0;
}

int ll_decile_lift(const uint8_t *y, const double *score, size_t n, ll_decile out[LL_DECILES],
                   double *base_rate)
{
    size_t m;
    ranked_row *rows = rank_rows(score, n, 0, &m);
    if (!rows)
        return -1;
    for (size_t d = 0; d < LL_DECILES; d++)
        out[d] = (ll_decile){0, 0, NAN, NAN, NAN, NAN};
    size_t buyers = 0;
    for (size_t r = 0; r < m; r++) {
        ll_decile *d = &out[r * LL_DECILES / m];
        double s = rows[r].score;
        /* ranked best first: the decile's first row holds its highest score */
        if (!d->rows)
            d->max_score = s;
        d->min_score = s;
        d->rows++;
        d->buyers += y[rows[r].row] != 0;
        buyers += y[rows[r].row] != 0;
    }
    double base = m ? (double)buyers / (double)m : NAN;
    for (size_t d = 0; d < LL_DECILES; d++)
        if (out[d].rows) {
            out[d].rate = (double)out[d].buyers / (double)out[d].rows;
            out[d].lift = buyers ? out[d].rate / base : NAN;
        }
    if (base_rate)
        *base_rate = base;
    free(rows);
    return 0;
}

int ll_reliability_bins(const uint8_t *y, const double *score, size_t n, size_t bins,
                        ll_reliability_bin *out, size_t *n_bins)
{
    *n_bins = 0;
    size_t m;
    ranked_row *rows = rank_rows(score, n, 1, &m);
    if (!rows)
        return -1;
    size_t used = bins < m ? bins : m;
    size_t start = 0;
    for (size_t b = 0; b < used; b++) {
        size_t size = m / used + (b < m % used), buyers = 0;
        double sum = 0.0;
        for (size_t i = start; i < start + size; i++) {
            buyers += y[rows[i].row] != 0;
            sum += rows[i].score;
        }
        out[b] = (ll_reliability_bin){size, buyers, sum / (double)size,
                                      (double)buyers / (double)size};
        start += size;
    }
    *n_bins = used;
    free(rows);
    return 0;
}

int ll_row_top_k(const ll_run_result *run, size_t model, size_t sampler, double k,
                 ll_at_k *mean, size_t *cells)
{
    size_t per = run->repeats * run->folds, n = run->n_rows;
    double *v[3] = {malloc((per ? per : 1) * sizeof(double)),
                    malloc((per ? per : 1) * sizeof(double)),
                    malloc((per ? per : 1) * sizeof(double))};
    uint8_t *y_test = malloc(n ? n : 1);
    double *s_test = malloc((n ? n : 1) * sizeof *s_test);
    int rc = -1;
    size_t used = 0;
    if (!v[0] || !v[1] || !v[2] || !y_test || !s_test)
        goto out;
    for (size_t rep = 0; rep < run->repeats; rep++) {
        const double *oof = ll_oof_scores(run, model, sampler, rep);
        for (size_t f = 0; f < run->folds; f++) {
            if (run->cells[ll_cell_index(run, model, sampler, rep, f)].status != LL_CELL_OK)
                continue;
            ll_split split = ll_plan_outer_split(run, rep, f);
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (ll_split_is_test(&split, i)) {
                    y_test[m] = run->y[i];
                    s_test[m++] = oof[i];
                }
            ll_at_k at;
            if (ll_metrics_at(y_test, s_test, m, k, &at) != 0)
                goto out;
            v[0][used] = at.precision;
            v[1][used] = at.recall;
            v[2][used++] = at.lift;
        }
    }
    double sd;
    ll_mean_sd(v[0], used, &mean->precision, &sd);
    ll_mean_sd(v[1], used, &mean->recall, &sd);
    ll_mean_sd(v[2], used, &mean->lift, &sd);
    if (cells)
        *cells = used;
    rc = 0;
out:
    for (int i = 0; i < 3; i++)
        free(v[i]);
    free(y_test);
    free(s_test);
    return rc;
}
