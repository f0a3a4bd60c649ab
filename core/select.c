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

int ll_choose_cut(const ll_spec *spec, const uint8_t *y, const double *s, size_t n, double *cut)
{
    if (!spec->tune_threshold) {
        *cut = spec->threshold;
        return 0;
    }
    double f1;
    return ll_best_f1_threshold(y, s, n, cut, &f1);
}

int ll_score_cell(const ll_spec *spec, const ll_run_result *run, const uint8_t *y,
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

/* Scratch of n_rows entries for one config's inner scores. */
typedef struct {
    double *pooled;  /* by row */
    double *scores;  /* the same, gathered over the outer training rows */
    uint8_t *labels; /* their labels */
} scratch;

/* One config x sampler inside outer fold (rep, f): its value of the select metric on the
 * pooled inner scores and the cut they give. -1 when memory runs out. */
static int inner_result(const ll_spec *spec, const ll_run_result *run, scratch *w, size_t m,
                        size_t s, size_t rep, size_t f, ll_inner_result *out)
{
    out->value = out->cut = NAN;
    out->status = ll_inner_pooled_scores(run, m, s, rep, f, w->pooled);
    if (out->status != 1)
        return 0;
    const uint32_t *inner = run->inner_fold_of_row + (rep * run->folds + f) * run->n_rows;
    size_t n = 0;
    for (size_t i = 0; i < run->n_rows; i++)
        if (inner[i] != LL_FOLD_NONE) {
            w->scores[n] = w->pooled[i];
            w->labels[n++] = run->y[i];
        }
    ll_cell pooled;
    memset(&pooled, 0, sizeof pooled);
    if (ll_choose_cut(spec, w->labels, w->scores, n, &out->cut) != 0 ||
        ll_score_cell(spec, run, w->labels, w->scores, n, out->cut, &pooled) != 0)
        return -1;
    out->value = ll_cell_value(&pooled, spec->select_metric);
    return 0;
}

static int better(int metric, double a, double b)
{
    if (isnan(b))
        return !isnan(a);
    return !isnan(a) && (ll_metric_higher_is_better(metric) ? a > b : a < b);
}

int ll_inner_rank(const ll_spec *spec, const ll_run_result *run, size_t rep, size_t f,
                  ll_inner_result *results, size_t *order, size_t *n_ok)
{
    size_t n = run->n_rows ? run->n_rows : 1;
    scratch w = {malloc(n * sizeof(double)), malloc(n * sizeof(double)), malloc(n)};
    int rc = -1;
    *n_ok = 0;
    if (!w.pooled || !w.scores || !w.labels)
        goto out;
    for (size_t m = 0; m < run->n_models; m++)
        for (size_t s = 0; s < run->n_samplers; s++) {
            size_t k = m * run->n_samplers + s;
            if (inner_result(spec, run, &w, m, s, rep, f, &results[k]) != 0)
                goto out;
            if (results[k].status != 1)
                continue;
            /* Insertion after every row at least as good: ties keep spec order. */
            size_t at = *n_ok;
            while (at > 0 && better(spec->select_metric, results[k].value,
                                    results[order[at - 1]].value))
                at--;
            memmove(order + at + 1, order + at, (*n_ok - at) * sizeof *order);
            order[at] = k;
            (*n_ok)++;
        }
    rc = 0;
out:
    free(w.pooled);
    free(w.scores);
    free(w.labels);
    return rc;
}

/* The winner of outer fold (rep, f), re-scored on the outer test rows at its inner cut.
 * results and order: scratch for ll_inner_rank. */
static int select_fold(const ll_spec *spec, const ll_run_result *run, size_t rep, size_t f,
                       ll_inner_result *results, size_t *order, ll_selected_fold *out)
{
    if (ll_inner_rank(spec, run, rep, f, results, order, &out->candidates) != 0)
        return -1;
    int pending = 0;
    for (size_t k = 0; k < run->n_models * run->n_samplers; k++)
        pending |= results[k].status == 2;
    out->inner_value = NAN;
    const ll_cell *winner = NULL;
    if (out->candidates) {
        const ll_inner_result *best = &results[order[0]];
        out->model = (uint32_t)(order[0] / run->n_samplers);
        out->sampler = (uint32_t)(order[0] % run->n_samplers);
        out->inner_value = best->value;
        out->cell.threshold = best->cut;
        winner = &run->cells[ll_cell_index(run, out->model, out->sampler, rep, f)];
    }
    if (pending || (winner && winner->status == LL_CELL_PENDING)) {
        out->status = LL_CELL_PENDING;
        return 0;
    }
    out->status = LL_CELL_FAILED;
    if (!winner) {
        snprintf(out->error, sizeof out->error, "no config finished all its inner folds");
        return 0;
    }
    if (winner->status != LL_CELL_OK) {
        snprintf(out->error, sizeof out->error, "the winner's outer cell failed: %.200s",
                 winner->error);
        return 0;
    }
    double cut = out->cell.threshold;
    out->cell = ll_cell_pending_copy(winner);
    out->cell.status = LL_CELL_OK;
    out->cell.n_test = winner->n_test;
    out->cell.positives_test = winner->positives_test;
    out->cell.fit = winner->fit;
    out->cell.seconds = winner->seconds;
    size_t n;
    uint32_t *rows = ll_plan_test_rows(run, winner, &n);
    uint8_t *labels = malloc(n ? n : 1);
    int rc = -1;
    if (rows && labels) {
        for (size_t i = 0; i < n; i++)
            labels[i] = run->y[rows[i]];
        rc = ll_score_cell(spec, run, labels, winner->scores, n, cut, &out->cell);
    }
    free(rows);
    free(labels);
    if (rc == 0)
        out->status = LL_CELL_OK;
    return rc;
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
    size_t rows = run->n_models * run->n_samplers > 0 ? run->n_models * run->n_samplers : 1;
    ll_selection *s = calloc(1, sizeof *s);
    ll_inner_result *results = malloc(rows * sizeof *results);
    size_t *order = malloc(rows * sizeof *order);
    int rc = -1;
    if (!s || !results || !order ||
        !(s->folds = calloc(run->repeats * run->folds, sizeof *s->folds)))
        goto out;
    s->metric = spec->select_metric;
    s->inner_folds = run->inner_folds;
    s->n_folds = run->repeats * run->folds;
    for (size_t rep = 0; rep < run->repeats; rep++)
        for (size_t f = 0; f < run->folds; f++)
            if (select_fold(spec, run, rep, f, results, order,
                            &s->folds[rep * run->folds + f]) != 0)
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
    free(results);
    free(order);
    return rc == 0 ? 0 : ll_error_set(err, "out of memory");
}
