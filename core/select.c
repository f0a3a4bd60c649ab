/* leadlab nested selection (see select.h): pools each config's inner-fold scores over the
 * outer training rows, ranks the configs by the select metric on them (rung by rung under
 * successive halving), and re-scores the winner's outer cell at the cut those same scores
 * give. */
#include "select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"

void ll_selection_free(ll_selection *s)
{
    if (!s)
        return;
    for (size_t k = 0; s->folds && k < s->n_folds; k++) {
        free(s->folds[k].rung_reached);
        free(s->folds[k].rung_value);
    }
    free(s->folds);
    free(s);
}

const char *ll_rung_rows_text(const ll_run_result *run, size_t rung, char *buf, size_t len)
{
    if (run->rung_rows[rung])
        snprintf(buf, len, "%zu", run->rung_rows[rung]);
    else
        snprintf(buf, len, "all");
    return buf;
}

int ll_inner_pooled_scores_at(const ll_run_result *run, size_t model, size_t sampler,
                              size_t repeat, size_t fold, size_t rung, double *pooled)
{
    for (size_t g = 0; g < run->inner_folds; g++) {
        const ll_cell *c =
            &run->cells[ll_inner_cell_index(run, model, sampler, repeat, fold, rung, g)];
        if (c->status != LL_CELL_OK)
            return c->status == LL_CELL_FAILED ? 0 : 2;
        ll_split split = ll_plan_split(run, c);
        size_t k = 0;
        for (size_t i = 0; i < run->n_rows && k < c->n_test; i++)
            if (ll_split_is_test(&split, i))
                pooled[i] = c->scores[k++];
    }
    return 1;
}

int ll_inner_pooled_scores(const ll_run_result *run, size_t model, size_t sampler,
                           size_t repeat, size_t fold, double *pooled)
{
    return ll_inner_pooled_scores_at(run, model, sampler, repeat, fold, run->rungs - 1, pooled);
}

typedef struct {
    const ll_spec *spec;
    ll_run_result *run;       /* read by inner_value; wake() changes cell statuses */
    double *pooled;   /* n_rows: one config's inner scores, by row */
    double *scores;   /* n_rows: the same, gathered over the outer training rows */
    uint8_t *labels;  /* n_rows: their labels */
    size_t *alive;    /* n_candidates: the configs still in the race, in spec order */
    double *value;    /* n_candidates: their values at the current rung */
    size_t woken;     /* cells turned from dormant to pending by this walk */
    int wake;         /* wake the cells the next step needs */
} selector;

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

/* One config x sampler inside outer fold (rep, f) at a rung: its value of the select metric on
 * the pooled inner scores and the cut they give, using sel's scratch. 1 when every inner cell
 * finished ok, 0 when one failed, 2 when one has not run; -1 when memory runs out. */
static int inner_value(const selector *sel, size_t m, size_t s, size_t rep, size_t f,
                       size_t rung, double *value, double *cut)
{
    const ll_run_result *run = sel->run;
    int rc = ll_inner_pooled_scores_at(run, m, s, rep, f, rung, sel->pooled);
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
    if (ll_choose_cut(sel->spec, sel->labels, sel->scores, n, cut) != 0 ||
        ll_score_cell(sel->spec, run, sel->labels, sel->scores, n, *cut, &pooled) != 0)
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

/* Turns a dormant cell pending when the walk wakes cells. */
static void wake(selector *sel, ll_cell *cell)
{
    if (sel->wake && cell->status == LL_CELL_DORMANT) {
        cell->status = LL_CELL_PENDING;
        sel->woken++;
    }
}

/* Keeps the best ceil(n / factor) of the n alive configs (stable: ties keep spec order). */
static size_t promote(selector *sel, size_t n)
{
    size_t keep = (n + sel->run->halving_factor - 1) / sel->run->halving_factor;
    int metric = sel->spec->select_metric;
    /* insertion sort by value, best first; n is a rung's configs, small */
    for (size_t i = 1; i < n; i++) {
        size_t a = sel->alive[i];
        double v = sel->value[i];
        size_t j = i;
        for (; j > 0 && better(metric, v, sel->value[j - 1]); j--) {
            sel->alive[j] = sel->alive[j - 1];
            sel->value[j] = sel->value[j - 1];
        }
        sel->alive[j] = a;
        sel->value[j] = v;
    }
    /* the survivors go on in spec order, so the next rung's ties break as this one's */
    for (size_t i = 1; i < keep; i++)
        for (size_t j = i; j > 0 && sel->alive[j] < sel->alive[j - 1]; j--) {
            size_t t = sel->alive[j];
            sel->alive[j] = sel->alive[j - 1];
            sel->alive[j - 1] = t;
        }
    return keep;
}

/* The race inside outer fold (rep, f): every rung the alive configs have finished narrows
 * them, until a rung is still running (pending, its dormant cells woken) or the last rung
 * names the winner, which is then re-scored on the outer test rows at its inner cut. */
static int select_fold(selector *sel, size_t rep, size_t f, ll_selected_fold *out)
{
    ll_run_result *run = sel->run;
    int metric = sel->spec->select_metric;
    size_t n_cand = run->n_models * run->n_samplers, n_alive = n_cand;
    for (size_t c = 0; c < n_cand; c++) {
        sel->alive[c] = c;
        out->rung_reached[c] = -1;
        out->rung_value[c] = NAN;
    }
    double best_cut = NAN;
    out->status = LL_CELL_FAILED;
    for (size_t rung = 0; rung < run->rungs; rung++) {
        int waiting = 0;
        size_t n_ok = 0;
        for (size_t i = 0; i < n_alive; i++) {
            size_t c = sel->alive[i], m = c / run->n_samplers, s = c % run->n_samplers;
            double value, cut;
            int rc = inner_value(sel, m, s, rep, f, rung, &value, &cut);
            if (rc < 0)
                return -1;
            if (rc == 2) {
                waiting = 1;
                for (size_t g = 0; g < run->inner_folds; g++)
                    wake(sel, &run->cells[ll_inner_cell_index(run, m, s, rep, f, rung, g)]);
                continue;
            }
            if (rc == 0)
                continue; /* a failed inner cell drops the config from the race */
            out->rung_reached[c] = (int)rung;
            out->rung_value[c] = value;
            if (rung == run->rungs - 1 && (n_ok == 0 || better(metric, value, out->inner_value))) {
                out->model = (uint32_t)m;
                out->sampler = (uint32_t)s;
                out->inner_value = value;
                best_cut = cut;
            }
            sel->alive[n_ok] = c;
            sel->value[n_ok++] = value;
        }
        if (waiting) {
            out->status = LL_CELL_PENDING;
            return 0;
        }
        if (rung == 0)
            out->candidates = n_ok;
        if (n_ok == 0) {
            snprintf(out->error, sizeof out->error, "no config finished all its inner folds%s",
                     rung ? " at a later rung" : "");
            return 0;
        }
        n_alive = rung + 1 < run->rungs ? promote(sel, n_ok) : n_ok;
    }
    ll_cell *winner = &run->cells[ll_cell_index(run, out->model, out->sampler, rep, f)];
    wake(sel, winner);
    if (winner->status == LL_CELL_PENDING || winner->status == LL_CELL_DORMANT) {
        out->status = LL_CELL_PENDING;
        return 0;
    }
    if (winner->status != LL_CELL_OK) {
        snprintf(out->error, sizeof out->error, "the winner's outer cell failed: %.200s",
                 winner->error);
        return 0;
    }
    out->cell = ll_cell_pending_copy(winner);
    out->cell.n_test = winner->n_test;
    out->cell.positives_test = winner->positives_test;
    out->cell.fit = winner->fit;
    out->cell.seconds = winner->seconds;
    ll_split split = ll_plan_split(run, winner);
    size_t n = 0;
    for (size_t i = 0; i < run->n_rows; i++)
        if (ll_split_is_test(&split, i))
            sel->labels[n++] = run->y[i];
    if (ll_score_cell(sel->spec, run, sel->labels, winner->scores, n, best_cut, &out->cell) != 0)
        return -1;
    out->cell.status = LL_CELL_OK;
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

/* Walks every outer fold's race into a new selection (waking cells when sel->wake). */
static ll_selection *walk(selector *sel, ll_error *err)
{
    ll_run_result *run = sel->run;
    size_t n = run->n_rows ? run->n_rows : 1, n_cand = run->n_models * run->n_samplers;
    ll_selection *s = calloc(1, sizeof *s);
    sel->pooled = malloc(n * sizeof(double));
    sel->scores = malloc(n * sizeof(double));
    sel->labels = malloc(n);
    sel->alive = malloc((n_cand ? n_cand : 1) * sizeof *sel->alive);
    sel->value = malloc((n_cand ? n_cand : 1) * sizeof *sel->value);
    int ok = 0;
    if (!s || !sel->pooled || !sel->scores || !sel->labels || !sel->alive || !sel->value ||
        !(s->folds = calloc(run->repeats * run->folds, sizeof *s->folds)))
        goto out;
    s->metric = sel->spec->select_metric;
    s->inner_folds = run->inner_folds;
    s->rungs = run->rungs;
    s->n_candidates = n_cand;
    s->n_folds = run->repeats * run->folds;
    for (size_t k = 0; k < s->n_folds; k++) {
        ll_selected_fold *sf = &s->folds[k];
        sf->rung_reached = malloc((n_cand ? n_cand : 1) * sizeof *sf->rung_reached);
        sf->rung_value = malloc((n_cand ? n_cand : 1) * sizeof *sf->rung_value);
        if (!sf->rung_reached || !sf->rung_value ||
            select_fold(sel, k / run->folds, k % run->folds, sf) != 0)
            goto out;
        mark_cell(sf);
    }
    ok = 1;
out:
    free(sel->pooled);
    free(sel->scores);
    free(sel->labels);
    free(sel->alive);
    free(sel->value);
    if (!ok) {
        ll_selection_free(s);
        ll_error_set(err, "out of memory");
        return NULL;
    }
    return s;
}

int ll_run_select(const ll_spec *spec, ll_run_result *run, ll_error *err)
{
    ll_selection_free(run->selection);
    run->selection = NULL;
    if (!spec->select || !run->inner_folds)
        return 0;
    selector sel = {.spec = spec, .run = run};
    ll_selection *s = walk(&sel, err);
    if (!s)
        return -1;
    ll_derived_row *row = ll_run_add_derived(run, "selected (nested)");
    if (!row) {
        ll_selection_free(s);
        return ll_error_set(err, "out of memory");
    }
    for (size_t k = 0; k < s->n_folds; k++)
        row->cells[k] = s->folds[k].cell;
    run->selection = s;
    return 0;
}

size_t ll_selection_wake(const ll_spec *spec, ll_run_result *run, ll_error *err)
{
    if (!spec->select || !run->inner_folds)
        return 0;
    selector sel = {.spec = spec, .run = run, .wake = 1};
    ll_selection *s = walk(&sel, err);
    if (!s)
        return SIZE_MAX;
    ll_selection_free(s);
    return sel.woken;
}

int ll_inner_rank(const ll_spec *spec, const ll_run_result *run, size_t repeat, size_t fold,
                  ll_inner_result *results, size_t *order, size_t *n_ok)
{
    size_t n = run->n_rows ? run->n_rows : 1;
    /* Only reads the run: the selector's mutable pointer is never used to wake cells here. */
    selector sel = {.spec = spec, .run = (ll_run_result *)run, .pooled = malloc(n * sizeof(double)),
                    .scores = malloc(n * sizeof(double)), .labels = malloc(n)};
    int rc = -1;
    *n_ok = 0;
    if (!sel.pooled || !sel.scores || !sel.labels)
        goto out;
    for (size_t m = 0; m < run->n_models; m++)
        for (size_t s = 0; s < run->n_samplers; s++) {
            size_t k = m * run->n_samplers + s;
            ll_inner_result *r = &results[k];
            r->value = r->cut = NAN;
            r->status = inner_value(&sel, m, s, repeat, fold, run->rungs - 1, &r->value, &r->cut);
            if (r->status < 0)
                goto out;
            if (r->status != 1)
                continue;
            /* Insertion after every row at least as good: ties keep spec order. */
            size_t at = *n_ok;
            while (at > 0 && better(spec->select_metric, r->value, results[order[at - 1]].value))
                at--;
            memmove(order + at + 1, order + at, (*n_ok - at) * sizeof *order);
            order[at] = k;
            (*n_ok)++;
        }
    rc = 0;
out:
    free(sel.pooled);
    free(sel.scores);
    free(sel.labels);
    return rc;
}
