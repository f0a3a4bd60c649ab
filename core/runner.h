/* leadlab CV engine: every (model config, sampler config, repeat, fold) is a cell; cells run in
 * an OpenMP loop with a dynamic schedule, each from its own derived seed, so results are
 * identical at any thread count. */
#ifndef LL_CORE_RUNNER_H
#define LL_CORE_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "fit.h"
#include "metrics.h"
#include "spec.h"

typedef struct {
    int failed;
    char error[256];
    uint64_t seed;
    size_t n_test, positives_test;
    ll_fit_stats fit;
    double threshold;    /* the cut applied: fixed, or tuned on inner folds */
    ll_metrics metrics;  /* at `threshold` */
    double f1_fixed;     /* F1 at the spec's fixed cut (equal to metrics.f1 when not tuning) */
} ll_cell_result;

typedef struct {
    size_t n_rows;
    size_t n_models, n_samplers, repeats, folds;
    uint32_t *fold_of_row; /* repeats x n_rows */
    ll_cell_result *cells; /* indexed by ll_cell_index */
    double *oof;           /* (model, sampler, repeat) x n_rows out-of-fold scores */
    size_t n_failed;
    double wall_seconds;
    int threads;
} ll_run_result;

typedef struct {
    int threads; /* >= 1 */
    /* Called (serialised) after each cell; may be NULL. */
    void (*on_cell_done)(size_t done, size_t total, double elapsed_seconds, void *ctx);
    void *ctx;
} ll_run_options;

static inline size_t ll_cell_index(const ll_run_result *r, size_t model, size_t sampler,
                                   size_t repeat, size_t fold)
{
    return ((model * r->n_samplers + sampler) * r->repeats + repeat) * r->folds + fold;
}

static inline double *ll_oof_scores(const ll_run_result *r, size_t model, size_t sampler,
                                    size_t repeat)
{
    return r->oof + ((model * r->n_samplers + sampler) * r->repeats + repeat) * r->n_rows;
}

/* Runs every cell. Returns 0 when the run completed (cells may have failed: see n_failed),
 * -1 when it could not start (err says why). The caller frees *out with ll_run_result_free. */
int ll_run_cv(const ll_spec *spec, const ll_dataset *data, const ll_run_options *opt,
              ll_run_result *out, ll_error *err);
void ll_run_result_free(ll_run_result *r);

#endif
