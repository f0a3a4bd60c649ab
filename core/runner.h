/* leadlab run: the plan of a run (folds, one cell per model config x sampler x repeat x fold,
 * each with its content key and seed) and the engine that executes the pending cells on
 * worker slots (threads, or processes that a crashing plugin cannot take down), longest
 * expected first, handing each finished cell to a sink (the result store). */
#ifndef LL_CORE_RUNNER_H
#define LL_CORE_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "dataset.h"
#include "hash.h"
#include "metrics.h"
#include "spec.h"
#include "leadlab/rng.h"

/* A leaderboard row that is not one config x sampler (the nested selection, an ensemble): one
 * cell per repeat x fold, repeat-major, with the metrics of that fold. The cells own no
 * scores. */
typedef struct {
    char label[128];
    ll_cell *cells;
} ll_derived_row;

typedef struct {
    size_t n_rows;
    size_t n_models, n_samplers, repeats, folds;
    uint32_t *fold_of_row; /* repeats x n_rows */
    int forward;           /* time-ordered folds (cv.method: time): an outer cell trains only
                              on the rows before its test fold (ll_split.forward) */
    double test_train_ratio; /* test rows / training rows that the corrected t-test assumes;
                                0 = k-fold's 1 / (k - 1) (see ll_run_test_train_ratio) */
    ll_at_metric at[LL_MAX_AT]; /* the spec's top-k metrics: what LL_SUM_AT + i measures */
    size_t n_at;
    uint8_t *y;            /* n_rows labels (0/1), owned: what the score metrics and the
                              report's charts are computed against */
    ll_cell *cells;        /* n_cells: the n_outer cells of the grid (ll_cell_index), then the
                              inner cells of the nested selection and the ensembles
                              (ll_inner_cell_index) */
    size_t n_cells, n_outer;
    size_t inner_folds;    /* select.inner_folds when the spec has `select` or `ensembles`,
                              else 0 (no inner cells) */
    size_t rungs;          /* successive-halving rungs of the inner cells (1: no halving) */
    size_t *rung_rows;     /* rungs: the training rows of each rung's inner cells (0: all) */
    size_t halving_factor; /* 1/factor of a rung's configs go on to the next */
    uint64_t subsample_seed; /* the halving subsamples derive from it (and repeat, folds) */
    uint32_t *inner_fold_of_row; /* (repeat x fold) x n_rows: the inner fold of each row of
                                    that outer training fold, LL_FOLD_NONE for its test rows */
    struct ll_selection *selection; /* the nested selection's outcome, built by ll_run_select
                                       (NULL until then, or without `select`); owned */
    struct ll_ensembles *ensembles; /* the ensembles' per-fold members and weights, built by
                                       ll_run_ensembles (NULL without `ensembles`); owned */
    ll_derived_row *derived;        /* rows built by ll_run_derive after ll_run_collect; owned */
    size_t n_derived;
    double *oof;           /* (model, sampler, repeat) x n_rows scores, built by
                              ll_run_collect; -1 where the cell failed or is pending */
    size_t n_ok, n_failed, n_pending; /* set by ll_run_collect */
    double wall_seconds;
    int threads;
} ll_run_result;

static inline size_t ll_cell_index(const ll_run_result *r, size_t model, size_t sampler,
                                   size_t repeat, size_t fold)
{
    return ((model * r->n_samplers + sampler) * r->repeats + repeat) * r->folds + fold;
}

/* The inner cell of a config x sampler for inner fold `inner` of outer fold (repeat, fold), at
 * successive-halving rung `rung` (0 without halving). */
static inline size_t ll_inner_cell_index(const ll_run_result *r, size_t model, size_t sampler,
                                         size_t repeat, size_t fold, size_t rung, size_t inner)
{
    return r->n_outer +
           (ll_cell_index(r, model, sampler, repeat, fold) * r->rungs + rung) * r->inner_folds +
           inner;
}

/* The split of outer fold `fold` of `repeat`: which rows every config's cell of that fold
 * trains and tests on. */
static inline ll_split ll_plan_outer_split(const ll_run_result *r, size_t repeat, size_t fold)
{
    ll_split s = {r->fold_of_row + repeat * r->n_rows, (uint32_t)fold, r->forward, 0, 0};
    return s;
}

/* Which rows a cell of the run trains and tests on. The nested selection's inner split is
 * stratified within the outer training rows, even when the outer folds are time-ordered. */
static inline ll_split ll_plan_split(const ll_run_result *r, const ll_cell *cell)
{
    if (!cell->inner)
        return ll_plan_outer_split(r, cell->repeat, cell->fold);
    size_t split = (size_t)cell->repeat * r->folds + cell->fold;
    ll_split s = {r->inner_fold_of_row + split * r->n_rows, cell->inner - 1, 0,
                  r->rung_rows ? r->rung_rows[cell->rung] : 0,
                  ll_seed_mix(r->subsample_seed, split * r->inner_folds + cell->inner - 1)};
    return s;
}

static inline double *ll_oof_scores(const ll_run_result *r, size_t model, size_t sampler,
                                    size_t repeat)
{
    return r->oof + ((model * r->n_samplers + sampler) * r->repeats + repeat) * r->n_rows;
}

/* Builds the plan: the folds of every repeat (stratified, or time-ordered by the dataset's
 * order_days) and every cell's identity. `data_hash` (of the data file's bytes) enters every
 * cell key. Cells start pending. Refuses, naming the spec's key, folds the data cannot fill:
 * inner folds without enough rows of a class, or time-ordered folds whose training rows lack
 * a class or whose test rows hold no positive. */
int ll_plan_build(const ll_spec *spec, const ll_dataset *data, ll_digest data_hash,
                  ll_run_result *out, ll_error *err);
/* A cell's expected seconds before any is measured: per-plugin priors (seconds of one cell per
 * 10,000 training rows, measured on experiments/leaderboard.yaml on 2 cores, times a sampler's
 * factor); unknown plugins get a middling guess. What the scheduler and `init` start from. */
double ll_plan_prior_cost(const char *model, const char *sampler, size_t n_train);
/* The test rows of a cell in row order (n of them, *n_out); malloc'd, NULL when out of memory. */
uint32_t *ll_plan_test_rows(const ll_run_result *run, const ll_cell *cell, size_t *n_out);
/* Adds a derived row labelled `label` with repeats x folds pending cells, returned (NULL when
 * out of memory). */
ll_derived_row *ll_run_add_derived(ll_run_result *run, const char *label);
/* Rebuilds the derived rows from the finished cells: the nested selection (select.h), then
 * the ensembles. Call after ll_run_collect. -1 when memory runs out. */
int ll_run_derive(const ll_spec *spec, ll_run_result *run, ll_error *err);
void ll_run_derived_free(ll_run_result *run);

/* Counts ok / failed / pending cells and scatters the outer cells' scores into run->oof. */
int ll_run_collect(ll_run_result *run, ll_error *err);
void ll_run_result_free(ll_run_result *r);

enum { LL_ISOLATION_PROCESS = 0, LL_ISOLATION_NONE = 1 };

/* Progress after each finished cell, from the engine's (single) scheduling thread. */
typedef struct {
    size_t done, failed, total;  /* cells of this run finished / failed so far, and planned */
    size_t running;
    double elapsed_seconds;
    double eta_seconds;          /* NaN until a first cell has finished */
} ll_progress;

typedef struct {
    int threads;                 /* >= 1: total budget of this process */
    int isolation;               /* LL_ISOLATION_* */
    double cell_seconds;         /* 0 = no limit (process isolation only) */
    double cell_memory_mb;       /* 0 = no limit (process isolation only) */
    /* Incremented by the caller's signal handler: 1 = stop handing out cells and wait for
     * the running ones, 2 = abandon them too. May be NULL. */
    volatile sig_atomic_t *stop;
    /* Called for every finished cell, in the scheduling thread; a nonzero return aborts
     * the run (err filled). The cell's scores are valid during the call. May be NULL. */
    int (*on_cell)(const ll_cell *cell, void *ctx, ll_error *err);
    void *cell_ctx;
    void (*on_progress)(const ll_progress *p, void *ctx);
    void *progress_ctx;
    struct ll_mpi *mpi;          /* NULL, or the MPI world this run spreads over */
    /* Called when every handed-out cell has finished and none is pending: may turn dormant
     * cells pending (successive halving's next rung) and returns how many, 0 when the run is
     * done, SIZE_MAX on failure (err filled). May be NULL. */
    size_t (*refill)(ll_run_result *run, void *ctx, ll_error *err);
    void *refill_ctx;
} ll_run_options;

typedef struct {
    size_t ran, failed;   /* cells executed by this call, and how many of those failed */
    size_t abandoned;     /* still running when a second stop request came */
    int interrupted;      /* a stop request came before every cell was handed out */
    double wall_seconds;
} ll_engine_stats;

/* Executes every pending cell of `run` (cells already ok or failed are left alone), filling
 * their outcomes in place. Returns 0 when the engine ran (cells may have failed; a stop may
 * have interrupted it: see stats), -1 when it could not (err says why). */
int ll_run_pending(const ll_spec *spec, const ll_dataset *data, ll_run_result *run,
                   const ll_run_options *opt, ll_engine_stats *stats, ll_error *err);

#endif
