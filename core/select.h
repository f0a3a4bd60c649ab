/* leadlab nested selection: inside each outer training fold, the configs x samplers are
 * compared on inner-fold scores (the run's inner cells), the winner's cut is chosen on the same
 * scores, and the winner's outer cell is scored at that cut: the honest estimate of "pick the
 * best row, then use it". */
#ifndef LL_CORE_SELECT_H
#define LL_CORE_SELECT_H

#include "runner.h"

/* The selection inside one outer fold of one repeat. */
typedef struct {
    /* Every config x sampler (index m * n_samplers + s): the last successive-halving rung it
     * was scored at (-1: none finished), and its select-metric value there. Without halving,
     * rung 0 for every config that finished. Owned by the selection. */
    int *rung_reached;
    double *rung_value;
    ll_cell_status status;  /* ok: a winner was chosen and scored on the outer test fold;
                               pending: inner or outer cells have not run yet */
    char error[256];        /* failed: why */
    uint32_t model, sampler;/* the winner (ok) */
    double inner_value;     /* its value of the select metric on the pooled inner scores */
    size_t candidates;      /* configs x samplers whose inner cells all finished ok */
    /* The winner's outer cell re-scored at `cell.threshold`, the cut chosen on its inner
     * scores: metrics, f1_fixed and score_metrics are the outer test fold's. The cell owns no
     * scores (they stay the outer cell's). */
    ll_cell cell;
} ll_selected_fold;

struct ll_selection {
    int metric;               /* LL_SUM_* the winners were chosen by */
    size_t inner_folds;
    size_t rungs;             /* successive-halving rungs (1: none) */
    size_t n_candidates;      /* configs x samplers */
    ll_selected_fold *folds;  /* repeats x folds, repeat-major */
    size_t n_folds;
};
typedef struct ll_selection ll_selection;

/* Runs the selection over the run's finished cells (after ll_run_collect), keeps it in
 * run->selection (replacing an earlier one) and adds the derived row "selected (nested)".
 * Nothing to do without `select` in the spec. -1 when memory runs out (err filled). */
int ll_run_select(const ll_spec *spec, ll_run_result *run, ll_error *err);

/* Successive halving's next step, for the engine to run: in every outer fold whose current
 * rung has finished, the best 1/factor of its configs are promoted, and their next rung's
 * inner cells (or, after the last rung, the winner's outer cell) turn from dormant to
 * pending. Returns how many cells it woke (0: nothing more to run), or SIZE_MAX when memory
 * runs out (err filled). */
size_t ll_selection_wake(const ll_spec *spec, ll_run_result *run, ll_error *err);

void ll_selection_free(ll_selection *s); /* NULL-safe */

/* Whether config m x sampler s won the outer fold sf. */
static inline int ll_selection_won(const ll_selected_fold *sf, size_t m, size_t s)
{
    return sf->status == LL_CELL_OK && sf->model == m && sf->sampler == s;
}

/* The training rows of a successive-halving rung as the reports print them: the count, or
 * "all" for the last rung; written into buf, returned. */
const char *ll_rung_rows_text(const ll_run_result *run, size_t rung, char *buf, size_t len);

/* The inner out-of-fold scores of one config x sampler inside outer fold (repeat, fold): for
 * every row of that outer training fold, pooled[row] = its score from the inner cell that
 * tested it (pooled has n_rows entries; the outer test rows' are left alone). 1 when every
 * inner cell finished ok, 0 when one failed, 2 when one has not run yet. */
int ll_inner_pooled_scores(const ll_run_result *run, size_t model, size_t sampler,
                           size_t repeat, size_t fold, double *pooled);
/* The same at successive-halving rung `rung` (the last rung is what the above reads); a
 * dormant inner cell counts as not run yet (2). */
int ll_inner_pooled_scores_at(const ll_run_result *run, size_t model, size_t sampler,
                              size_t repeat, size_t fold, size_t rung, double *pooled);

/* How one config x sampler did on its pooled inner scores inside one outer fold. */
typedef struct {
    int status;   /* as ll_inner_pooled_scores: 1 ok, 0 an inner cell failed, 2 one has not run */
    double value; /* the spec's select metric on the pooled inner scores (status 1) */
    double cut;   /* the cut those scores give (ll_choose_cut) */
} ll_inner_result;

/* Every config x sampler inside outer fold (repeat, fold), compared by the spec's select
 * metric (F1 without `select`): results[m * n_samplers + s], and order[0..*n_ok) the indexes
 * of those whose inner cells all finished ok, best first (NaN last, ties in spec order). Both
 * arrays hold n_models x n_samplers entries. 0, or -1 when memory runs out. What the selection
 * picks its winner from and an ensemble its top K. */
int ll_inner_rank(const ll_spec *spec, const ll_run_result *run, size_t repeat, size_t fold,
                  ll_inner_result *results, size_t *order, size_t *n_ok);

/* The cut chosen on scores s of rows the model never trained on, against their labels y: the
 * one maximising F1 when the spec tunes the cut, else the spec's fixed cut. 0, or -1 when
 * memory runs out. */
int ll_choose_cut(const ll_spec *spec, const uint8_t *y, const double *s, size_t n, double *cut);

/* Fills `into` as a cell of scores s against labels y at `cut`: threshold, metrics, f1_fixed
 * (at the spec's fixed cut) and the run's score metrics. 0, or -1 when memory runs out. */
int ll_score_cell(const ll_spec *spec, const ll_run_result *run, const uint8_t *y,
                  const double *s, size_t n, double cut, ll_cell *into);

#endif
