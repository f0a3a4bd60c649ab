/* leadlab leaderboard rows (see summary.h). */
#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double cell_value(const ll_cell *c, int which)
{
    switch (which) {
    case LL_SUM_F1: return c->metrics.f1;
    case LL_SUM_PRECISION: return c->metrics.precision;
    case LL_SUM_RECALL: return c->metrics.recall;
    case LL_SUM_ROC_AUC: return c->metrics.roc_auc;
    case LL_SUM_PR_AUC: return c->metrics.pr_auc;
    case LL_SUM_MCC: return c->metrics.mcc;
    case LL_SUM_BALANCED_ACCURACY: return c->metrics.balanced_accuracy;
    case LL_SUM_F1_FIXED: return c->f1_fixed;
    default: return c->threshold;
    }
}

static int better_row(const void *a, const void *b)
{
    const ll_summary_row *x = a, *y = b;
    int x_dead = x->failed + x->pending == x->cells, y_dead = y->failed + y->pending == y->cells;
    if (x_dead != y_dead)
        return x_dead - y_dead;
    double fx = x->mean[LL_SUM_F1], fy = y->mean[LL_SUM_F1];
    if (!isnan(fx) && !isnan(fy) && fx != fy)
        return fx > fy ? -1 : 1;
    if (isnan(fx) != isnan(fy))
        return isnan(fx) ? 1 : -1;
    size_t ox = x->model * 100000 + x->sampler, oy = y->model * 100000 + y->sampler;
    return ox < oy ? -1 : ox > oy;
}

ll_summary_row *ll_summarise(const ll_run_result *r, size_t *n_rows)
{
    size_t n = r->n_models * r->n_samplers, per_row = r->repeats * r->folds;
    ll_summary_row *rows = calloc(n ? n : 1, sizeof *rows);
    double *values = malloc((per_row ? per_row : 1) * sizeof *values);
    double *best_f1 = malloc((per_row ? per_row : 1) * sizeof *best_f1);
    double *row_f1 = malloc((per_row ? per_row : 1) * sizeof *row_f1);
    if (!rows || !values || !best_f1 || !row_f1) {
        free(rows);
        free(values);
        free(best_f1);
        free(row_f1);
        return NULL;
    }
    for (size_t m = 0; m < r->n_models; m++)
        for (size_t s = 0; s < r->n_samplers; s++) {
            ll_summary_row *row = &rows[m * r->n_samplers + s];
            row->model = m;
            row->sampler = s;
            row->cells = per_row;
            for (int w = 0; w < LL_SUM_N; w++) {
                size_t k = 0;
                for (size_t rep = 0; rep < r->repeats; rep++)
                    for (size_t f = 0; f < r->folds; f++) {
                        const ll_cell *c = &r->cells[ll_cell_index(r, m, s, rep, f)];
                        values[k++] = c->status != LL_CELL_OK ? NAN : cell_value(c, w);
                    }
                if (ll_mean_sd(values, k, &row->mean[w], &row->sd[w]) == 0)
                    row->sd[w] = NAN; /* no value at all: no spread either */
            }
            for (size_t rep = 0; rep < r->repeats; rep++)
                for (size_t f = 0; f < r->folds; f++) {
                    const ll_cell *c = &r->cells[ll_cell_index(r, m, s, rep, f)];
                    if (c->status == LL_CELL_PENDING) {
                        row->pending++;
                        continue;
                    }
                    row->fit_seconds += c->fit.fit_seconds;
                    row->predict_seconds += c->fit.predict_seconds;
                    if (c->status == LL_CELL_FAILED) {
                        row->failed++;
                        if (!row->first_error)
                            row->first_error = c->error;
                    }
                }
            if (row->failed + row->pending == row->cells) /* nothing to average */
                row->mean[LL_SUM_F1] = NAN;
        }
    qsort(rows, n, sizeof *rows, better_row);
    /* Per-fold F1 of the best row, paired with every other row's on the same folds. */
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        int complete = rows[i].failed + rows[i].pending == 0 &&
                       rows[0].failed + rows[0].pending == 0;
        for (size_t rep = 0; rep < r->repeats; rep++)
            for (size_t f = 0; f < r->folds; f++, k++) {
                best_f1[k] = r->cells[ll_cell_index(r, rows[0].model, rows[0].sampler, rep, f)]
                                 .metrics.f1;
                row_f1[k] = r->cells[ll_cell_index(r, rows[i].model, rows[i].sampler, rep, f)]
                                .metrics.f1;
            }
        if (i == 0 || !complete) {
            /* The best row against itself: p = 1, unless it has nothing to compare. */
            int best_ran = rows[0].failed + rows[0].pending < rows[0].cells;
            rows[i].p_vs_best = i == 0 && best_ran ? 1.0 : NAN;
            continue;
        }
        double t;
        /* each test fold holds 1/k of the rows, its training part (k-1)/k */
        double ratio = 1.0 / (double)(r->folds - 1);
        rows[i].p_vs_best = ll_corrected_ttest_p(best_f1, row_f1, per_row, ratio, &t);
        rows[i].worse_than_best = rows[i].p_vs_best < 0.05 &&
                                  rows[i].mean[LL_SUM_F1] < rows[0].mean[LL_SUM_F1];
    }
    free(values);
    free(best_f1);
    free(row_f1);
    *n_rows = n;
    return rows;
}
