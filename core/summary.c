/* leadlab leaderboard rows (see summary.h). */
#include "summary.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

static const char *const metric_keys[LL_SUM_AT] = {
    "f1",        "precision", "recall", "roc_auc", "pr_auc",   "mcc",
    "balanced_accuracy", "f1_fixed", "threshold", "brier", "log_loss", "ece"};
static const char *const metric_labels[LL_SUM_AT] = {
    "F1",  "precision", "recall", "ROC-AUC", "PR-AUC",   "MCC",
    "bal. acc.", "F1 @fixed", "cut", "Brier", "log loss", "ECE"};
static const char *const at_keys[] = {"recall_at", "precision_at", "lift_at"};
static const char *const at_labels[] = {"recall", "precision", "lift"};

const char *ll_metric_key(int which) { return metric_keys[which]; }
const char *ll_metric_label(int which) { return metric_labels[which]; }

int ll_metric_higher_is_better(int which)
{
    return which != LL_SUM_BRIER && which != LL_SUM_LOG_LOSS && which != LL_SUM_ECE;
}

/* Key ("recall_at_0.1") or label ("recall@10%") of a column into buf. */
static const char *metric_name(int which, const ll_at_metric *at, int label, char *buf,
                               size_t len)
{
    if (which < LL_SUM_AT) {
        snprintf(buf, len, "%s", label ? metric_labels[which] : metric_keys[which]);
        return buf;
    }
    const ll_at_metric *m = &at[which - LL_SUM_AT];
    char k[32];
    ll_shortest_number(k, sizeof k, label ? m->k * 100.0 : m->k);
    snprintf(buf, len, label ? "%s@%s%%" : "%s_%s", label ? at_labels[m->kind] : at_keys[m->kind],
             k);
    return buf;
}

const char *ll_metric_key_at(int which, const ll_at_metric *at, char *buf, size_t len)
{
    return metric_name(which, at, 0, buf, len);
}

const char *ll_metric_label_at(int which, const ll_at_metric *at, char *buf, size_t len)
{
    return metric_name(which, at, 1, buf, len);
}

/* "recall_at_0.1" or "recall@10%" (any case): LL_SUM_AT with *at, or -1. */
static int parse_at_metric(const char *name, ll_at_metric *at)
{
    for (int kind = 0; kind < 3; kind++) {
        size_t lk = strlen(at_keys[kind]), ll = strlen(at_labels[kind]);
        const char *num = NULL;
        int percent = 0;
        if (!strncasecmp(name, at_keys[kind], lk) && name[lk] == '_')
            num = name + lk + 1;
        else if (!strncasecmp(name, at_labels[kind], ll) && name[ll] == '@') {
            num = name + ll + 1;
            percent = 1;
        }
        if (!num || !*num)
            continue;
        char *end;
        double k = strtod(num, &end);
        if (percent && *end == '%')
            end++, k /= 100.0;
        if (*end || !(k > 0.0 && k <= 1.0))
            return -1;
        at->kind = kind;
        at->k = k;
        return LL_SUM_AT;
    }
    return -1;
}

int ll_metric_parse(const char *name, ll_at_metric *at)
{
    int k = ll_metric_index(name);
    return k >= 0 ? k : parse_at_metric(name, at);
}

size_t ll_shown_metrics(const ll_spec *spec, int *cols)
{
    size_t n = 0;
    for (int k = 1; k < LL_SUM_AT; k++) {
        if (k == LL_SUM_F1_FIXED || k == LL_SUM_THRESHOLD)
            continue;
        if (spec->metrics & (1u << k) || k == spec->sort_metric)
            cols[n++] = k;
    }
    for (size_t i = 0; i < spec->n_at; i++)
        cols[n++] = LL_SUM_AT + (int)i;
    return n;
}

int ll_metric_index(const char *name)
{
    for (int k = 0; k < LL_SUM_AT; k++) {
        if (k == LL_SUM_F1_FIXED || k == LL_SUM_THRESHOLD)
            continue; /* columns, not ranking metrics */
        if (!strcasecmp(name, metric_keys[k]) || !strcasecmp(name, metric_labels[k]))
            return k;
        /* "PR-AUC" and "pr-auc" for pr_auc, "balanced-accuracy" for balanced_accuracy */
        size_t i = 0;
        while (name[i] && metric_keys[k][i] &&
               (name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i])) == metric_keys[k][i])
            i++;
        if (!name[i] && !metric_keys[k][i])
            return k;
    }
    return -1;
}

double ll_cell_value(const ll_cell *c, int which)
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
    case LL_SUM_THRESHOLD: return c->threshold;
    default: return c->score_metrics[which - LL_SUM_BRIER];
    }
}

/* 0: every cell finished ok; 1: some did not (failed or not run), so its mean rests on fewer
 * folds and is not comparable; 2: none did. */
static int row_class(const ll_summary_row *r)
{
    size_t missing = r->failed + r->pending;
    return missing == 0 ? 0 : missing < r->cells ? 1 : 2;
}

/* A row and the metric it is ranked by: qsort passes no context, so each row carries it. */
typedef struct {
    ll_summary_row row;
    int metric;
} ranked_row;

static int better_row(const void *a, const void *b)
{
    const ll_summary_row *x = &((const ranked_row *)a)->row, *y = &((const ranked_row *)b)->row;
    int metric = ((const ranked_row *)a)->metric;
    if (row_class(x) != row_class(y))
        return row_class(x) - row_class(y);
    double fx = x->mean[metric], fy = y->mean[metric];
    if (!isnan(fx) && !isnan(fy) && fx != fy)
        return (fx > fy) == ll_metric_higher_is_better(metric) ? -1 : 1;
    if (isnan(fx) != isnan(fy))
        return isnan(fx) ? 1 : -1;
    size_t ox = x->model * 100000 + x->sampler, oy = y->model * 100000 + y->sampler;
    return ox < oy ? -1 : ox > oy;
}

/* Means and sds of every column over the cells that finished ok, the counts of those that did
 * not, and the fit times; mean[metric] NaN when nothing finished. -1 when memory runs out. */
static int summarise_cells(const ll_cell *const *cells, size_t n, int metric, ll_summary_row *row)
{
    double *values = malloc((n ? n : 1) * sizeof *values);
    if (!values)
        return -1;
    /* Dormant cells (configs successive halving never promoted) are not the row's. */
    row->cells = 0;
    for (size_t k = 0; k < n; k++)
        row->cells += cells[k]->status != LL_CELL_DORMANT;
    for (int w = 0; w < LL_SUM_N; w++) {
        for (size_t k = 0; k < n; k++)
            values[k] = cells[k]->status != LL_CELL_OK ? NAN : ll_cell_value(cells[k], w);
        if (ll_mean_sd(values, n, &row->mean[w], &row->sd[w]) == 0)
            row->sd[w] = NAN; /* no value at all: no spread either */
    }
    for (size_t k = 0; k < n; k++) {
        const ll_cell *c = cells[k];
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
        row->mean[metric] = NAN;
    free(values);
    return 0;
}

/* A cell's value for a paired comparison: NaN unless it finished ok. */
static double paired_value(const ll_cell *c, int metric)
{
    return c->status == LL_CELL_OK ? ll_cell_value(c, metric) : NAN;
}

/* p_vs_best and worse_than_best of a row whose cells (repeat x fold, repeat-major) are paired
 * with the best row's on the same folds; best_v and row_v are scratch of as many values. */
static void test_against_best(const ll_run_result *r, const ll_summary_row *best,
                              const ll_cell *const *cells, int metric, double *best_v,
                              double *row_v, ll_summary_row *row)
{
    size_t k = 0;
    for (size_t rep = 0; rep < r->repeats; rep++)
        for (size_t f = 0; f < r->folds; f++, k++) {
            best_v[k] = paired_value(
                &r->cells[ll_cell_index(r, best->model, best->sampler, rep, f)], metric);
            row_v[k] = paired_value(cells[k], metric);
        }
    double t;
    row->p_vs_best = ll_corrected_ttest_p(best_v, row_v, k, ll_run_test_train_ratio(r), &t);
    double gap = best->mean[metric] - row->mean[metric];
    row->worse_than_best = row->p_vs_best < 0.05 &&
                           (ll_metric_higher_is_better(metric) ? gap > 0 : gap < 0);
}

double ll_run_test_train_ratio(const ll_run_result *r)
{
    if (r->test_train_ratio > 0)
        return r->test_train_ratio;
    /* each test fold holds 1/k of the rows, its training part (k-1)/k */
    return r->folds > 1 ? 1.0 / (double)(r->folds - 1) : NAN;
}

ll_summary_row *ll_summarise(const ll_run_result *r, size_t *n_rows)
{
    return ll_summarise_by(r, LL_SUM_F1, n_rows);
}

ll_summary_row *ll_summarise_by(const ll_run_result *r, int metric, size_t *n_rows)
{
    size_t n = r->n_models * r->n_samplers, per_row = r->repeats * r->folds;
    ranked_row *ranked = calloc(n ? n : 1, sizeof *ranked);
    ll_summary_row *rows = calloc(n ? n : 1, sizeof *rows);
    const ll_cell **cells = malloc((per_row ? per_row : 1) * sizeof *cells);
    double *best_v = malloc((per_row ? per_row : 1) * sizeof *best_v);
    double *row_v = malloc((per_row ? per_row : 1) * sizeof *row_v);
    if (!ranked || !rows || !cells || !best_v || !row_v)
        goto fail;
    for (size_t m = 0; m < r->n_models; m++)
        for (size_t s = 0; s < r->n_samplers; s++) {
            ranked[m * r->n_samplers + s].metric = metric;
            ll_summary_row *row = &ranked[m * r->n_samplers + s].row;
            row->model = m;
            row->sampler = s;
            size_t k = 0;
            for (size_t rep = 0; rep < r->repeats; rep++)
                for (size_t f = 0; f < r->folds; f++)
                    cells[k++] = &r->cells[ll_cell_index(r, m, s, rep, f)];
            if (summarise_cells(cells, per_row, metric, row) != 0)
                goto fail;
        }
    /* Rows successive halving never ran an outer cell of are no rows of the leaderboard
     * (unless no row has run one yet: then every row is still to run). */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (ranked[i].row.cells)
            ranked[kept++] = ranked[i];
    if (kept)
        n = kept;
    else
        for (size_t i = 0; i < n; i++)
            ranked[i].row.cells = ranked[i].row.pending = per_row;
    qsort(ranked, n, sizeof *ranked, better_row);
    for (size_t i = 0; i < n; i++)
        rows[i] = ranked[i].row;
    free(ranked);
    /* Per-fold values of the best row, paired with every other row's on the same folds. */
    for (size_t i = 0; i < n; i++) {
        int complete = rows[i].failed + rows[i].pending == 0 &&
                       rows[0].failed + rows[0].pending == 0;
        if (i == 0 || !complete) {
            /* The best row against itself: p = 1, unless it has nothing to compare. */
            int best_ran = rows[0].failed + rows[0].pending < rows[0].cells;
            rows[i].p_vs_best = i == 0 && best_ran ? 1.0 : NAN;
            continue;
        }
        size_t k = 0;
        for (size_t rep = 0; rep < r->repeats; rep++)
            for (size_t f = 0; f < r->folds; f++)
                cells[k++] = &r->cells[ll_cell_index(r, rows[i].model, rows[i].sampler, rep, f)];
        test_against_best(r, &rows[0], cells, metric, best_v, row_v, &rows[i]);
    }
    free(cells);
    free(best_v);
    free(row_v);
    *n_rows = n;
    return rows;
fail:
    free(ranked);
    free(rows);
    free(cells);
    free(best_v);
    free(row_v);
    return NULL;
}

/* One derived row, tested against best. -1 when memory runs out. */
static int summarise_derived_row(const ll_run_result *r, const ll_derived_row *d, int metric,
                                 const ll_summary_row *best, ll_summary_row *out)
{
    size_t per_row = r->repeats * r->folds;
    memset(out, 0, sizeof *out);
    out->model = out->sampler = SIZE_MAX;
    out->label = d->label;
    const ll_cell **cells = malloc((per_row ? per_row : 1) * sizeof *cells);
    double *best_v = malloc((per_row ? per_row : 1) * sizeof *best_v);
    double *row_v = malloc((per_row ? per_row : 1) * sizeof *row_v);
    int rc = -1;
    if (!cells || !best_v || !row_v)
        goto out;
    for (size_t k = 0; k < per_row; k++)
        cells[k] = &d->cells[k];
    if (summarise_cells(cells, per_row, metric, out) != 0)
        goto out;
    out->p_vs_best = NAN;
    int complete = out->failed + out->pending == 0 && best->failed + best->pending == 0;
    if (complete && r->folds > 1)
        test_against_best(r, best, cells, metric, best_v, row_v, out);
    rc = 0;
out:
    free(cells);
    free(best_v);
    free(row_v);
    return rc;
}

ll_summary_row *ll_summarise_derived(const ll_run_result *r, int metric,
                                     const ll_summary_row *best, size_t *n)
{
    *n = 0;
    if (!r->n_derived)
        return NULL;
    ll_summary_row *rows = calloc(r->n_derived, sizeof *rows);
    for (size_t d = 0; rows && d < r->n_derived; d++)
        if (summarise_derived_row(r, &r->derived[d], metric, best, &rows[d]) != 0) {
            free(rows);
            rows = NULL;
        }
    *n = rows ? r->n_derived : SIZE_MAX;
    return rows;
}
