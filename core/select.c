/* leadlab nested selection (see select.h): pools each config's inner-fold scores over the
 * outer training rows, ranks the configs by the select metric on them, and re-scores the
 * winner's outer cell at the cut those same scores give. */
#include "select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"

void ll_selection_free(ll_selection *s)
{
    if (!s)
        return;
    free(s->folds);
    free(s);
}

int ll_inner_pooled_scores(const ll_run_result *run, size_t model, size_t sampler,
                           size_t repeat, size_t fold, double *pooled)
{
    for (size_t g = 0; g < run->inner_folds; g++) {
        const ll_cell *c = &run->cells[ll_inner_cell_index(run, model, sampler, repeat, fold, g)];
        if (c->status != LL_CELL_OK)
            return c->status == LL_CELL_PENDING ? 2 : 0;
        ll_split split = ll_plan_split(run, c);
        size_t k = 0;
        for (size_t i = 0; i < run->n_rows && k < c->n_test; i++)
            if (ll_split_is_test(&split, i))
                pooled[i] = c->scores[k++];
    }
    return 1;
}

typedef struct {
    const ll_spec *spec;
    const ll_run_result *run;
    double *pooled;  /* n_rows: one config's inner scores, by row */
    double *scores;  /* n_rows: the same, gathered over the outer training rows */
    uint8_t *labels; /* n_rows: their labels */
} selector;

/* The cut a config gets from scores of rows it never trained on: tuned for F1 when the spec
 * tunes the cut, the fixed cut otherwise. */
static int choose_cut(const ll_spec *spec, const uint8_t *y, const double *s, size_t n,
                      double *cut)
{
    if (!spec->tune_threshold) {
        *cut = spec->threshold;
        return 0;
    }
    double f1;
    return ll_best_f1_threshold(y, s, n, cut, &f1);
}

/* Fills `into` as a cell of scores s against labels y at `cut`: its metrics, f1_fixed and
 * score metrics. -1 when memory runs out. */
static int score_at(const ll_spec *spec, const ll_run_result *run, const uint8_t *y,
                    const double *s, size_t n, double cut, ll_cell *into)
{
    ll_metrics fixed;
    into->threshold = cut;
    if (ll_metrics_compute(y, s, n, cut, &into->metrics) != 0 ||
        ll_metrics_compute(y, s, n, spec->threshold, &fixed) != 0 ||
        ll_score_metrics(run->at, run->n_at, y, s, n, into->score_metrics) != 0)
        return -1;
    into->f1_fixed = fixed.f1;
    return 0;
}

/* One config x sampler inside outer fold (rep, f): its value of the select metric on the
 * pooled inner scores and the cut they give. 1 when every inner cell finished ok, 0 when one
 * failed, 2 when one has not run; -1 when memory runs out. */
static int inner_value(selector *sel, size_t m, size_t s, size_t rep, size_t f, double *value,
                       double *cut)
{
    const ll_run_result *run = sel->run;
    int rc = ll_inner_pooled_scores(run, m, s, rep, f, sel->pooled);
    if (rc != 1)
        return rc;
    const uint32_t *inner = run->inner_fold_of_row + (rep * run->folds + f) * run->n_rows;
    size_t n = 0;
    for (size_t i = 0; i < run->n_rows; i++)
        if (inner[i] != LL_FOLD_NONE) {
            sel->scores[n] = sel->pooled[i];
            sel->labels[n++] = run->y[i];
        }
    ll_cell pooled;
    memset(&pooled, 0, sizeof pooled);
    if (choose_cut(sel->spec, sel->labels, sel->scores, n, cut) != 0 ||
        score_at(sel->spec, run, sel->labels, sel->scores, n, *cut, &pooled) != 0)
        return -1;
    *value = ll_cell_value(&pooled, sel->spec->select_metric);
    return 1;
}

static int better(int metric, double a, double b)
{
    if (isnan(b))
        return !isnan(a);
    return !isnan(a) && (ll_metric_higher_is_better(metric) ? a > b : a < b);
}

/* The winner of outer fold (rep, f), re-scored on the outer test rows at its inner cut. */
static int select_fold(selector *sel, size_t rep, size_t f, ll_selected_fold *out)
{
    const ll_run_result *run = sel->run;
    int metric = sel->spec->select_metric, pending = 0;
    double best_cut = NAN;
    out->inner_value = NAN;
    for (size_t m = 0; m < run->n_models; m++)
        for (size_t s = 0; s < run->n_samplers; s++) {
            double value, cut;
            int rc = inner_value(sel, m, s, rep, f, &value, &cut);
            if (rc < 0)
                return -1;
            pending |= rc == 2;
            if (rc != 1)
                continue;
            out->candidates++;
            /* Ties keep spec order: the first config reaching the best value wins. */
            if (out->candidates == 1 || better(metric, value, out->inner_value)) {
                out->model = (uint32_t)m;
                out->sampler = (uint32_t)s;
                out->inner_value = value;
                best_cut = cut;
            }
        }
    const ll_cell *winner = &run->cells[ll_cell_index(run, out->model, out->sampler, rep, f)];
    if (pending || (out->candidates && winner->status == LL_CELL_PENDING)) {
        out->status = LL_CELL_PENDING;
        return 0;
    }
    out->status = LL_CELL_FAILED;
    if (!out->candidates) {
        snprintf(out->error, sizeof out->error, "no config finished all its inner folds");
        return 0;
    }
    if (winner->status != LL_CELL_OK) {
        snprintf(out->error, sizeof out->error, "the winner's outer cell failed: %.200s",
                 winner->error);
        return 0;
    }
    out->cell = ll_cell_pending_copy(winner);
    out->cell.status = LL_CELL_OK;
    out->cell.n_test = winner->n_test;
    out->cell.positives_test = winner->positives_test;
    out->cell.fit = winner->fit;
    out->cell.seconds = winner->seconds;
    ll_split split = ll_plan_split(run, winner);
    size_t n = 0;
    for (size_t i = 0; i < run->n_rows; i++)
        if (ll_split_is_test(&split, i))
            sel->labels[n++] = run->y[i];
    if (score_at(sel->spec, run, sel->labels, winner->scores, n, best_cut, &out->cell) != 0)
        return -1;
    out->status = LL_CELL_OK;
    return 0;
}

/* A fold without a scored winner still carries its status and why, as a cell does. */
static void mark_cell(ll_selected_fold *sf)
{
    if (sf->status == LL_CELL_OK)
        return;
    sf->cell.status = sf->status;
    memcpy(sf->cell.error, sf->error, sizeof sf->cell.error);
}

int ll_run_select(const ll_spec *spec, ll_run_result *run, ll_error *err)
{
    ll_selection_free(run->selection);
    run->selection = NULL;
    if (!spec->select || !run->inner_folds)
        return 0;
    size_t n = run->n_rows ? run->n_rows : 1;
    ll_selection *s = calloc(1, sizeof *s);
    selector sel = {spec, run, malloc(n * sizeof(double)), malloc(n * sizeof(double)),
                    malloc(n)};
    int rc = -1;
    if (!s || !sel.pooled || !sel.scores || !sel.labels ||
        !(s->folds = calloc(run->repeats * run->folds, sizeof *s->folds)))
        goto out;
    s->metric = spec->select_metric;
    s->inner_folds = run->inner_folds;
    s->n_folds = run->repeats * run->folds;
    for (size_t rep = 0; rep < run->repeats; rep++)
        for (size_t f = 0; f < run->folds; f++)
            if (select_fold(&sel, rep, f, &s->folds[rep * run->folds + f]) != 0)
                goto out;
            else
                mark_cell(&s->folds[rep * run->folds + f]);
    ll_derived_row *row = ll_run_add_derived(run, "selected (nested)");
    if (!row)
        goto out;
    for (size_t k = 0; k < s->n_folds; k++)
        row->cells[k] = s->folds[k].cell;
    run->selection = s;
    s = NULL;
    rc = 0;
out:
    ll_selection_free(s);
    free(sel.pooled);
    free(sel.scores);
    free(sel.labels);
    return rc == 0 ? 0 : ll_error_set(err, "out of memory");
}
