/* leadlab cell: one (model config, sampler config, repeat, fold) of a run. The struct travels
 * from the scheduler to a worker (thread, process or MPI rank) and back with its outcome, and
 * is what the result store keeps. */
#ifndef LL_CORE_CELL_H
#define LL_CORE_CELL_H

#include <stddef.h>
#include <stdint.h>

#include "cv.h"
#include "dataset.h"
#include "fit.h"
#include "hash.h"
#include "metrics.h"
#include "spec.h"

/* DORMANT: planned but not wanted (yet): a successive-halving rung or outer cell that only the
 * configs promoted to it run. The engine leaves it alone; the selection wakes it. */
typedef enum {
    LL_CELL_PENDING = 0, LL_CELL_OK = 1, LL_CELL_FAILED = 2, LL_CELL_DORMANT = 3
} ll_cell_status;

typedef struct {
    /* What the cell is (set by the plan, never changed by a worker). */
    uint32_t model, sampler, repeat, fold; /* indexes into the spec's lists */
    uint32_t inner;                        /* 0: an outer cell; g + 1: inner fold g of the
                                              nested selection inside outer fold `fold` */
    uint32_t rung;                         /* an inner cell's successive-halving rung */
    uint64_t seed;                         /* every random draw of the cell derives from it */
    ll_digest key;                         /* hash of everything that determines the outcome */
    double expected_seconds;               /* the scheduler's estimate */

    /* What came of it (set by the worker, or read back from the store). */
    ll_cell_status status;
    char error[256];                       /* one line, NUL-terminated, when failed */
    size_t n_test, positives_test;
    ll_fit_stats fit;
    double threshold;                      /* the cut applied: fixed, or tuned on inner folds */
    ll_metrics metrics;                    /* at `threshold` */
    double f1_fixed;                       /* F1 at the spec's fixed cut */
    /* brier, log_loss, ece, then the run's top-k slots (run->at): computed from the scores
     * and labels by ll_run_collect, so they are never stored and always the spec's own. */
    double score_metrics[3 + LL_MAX_AT];
    double seconds;                        /* wall time of the whole cell, tuning included */
    double *scores;                        /* n_test out-of-fold scores, test rows in row order;
                                              owned by the cell (ll_cell_clear frees them) */
    /* Feature importances of an ok cell, as the spec's `importances` asks: n_importances
     * (the data's n_cols) values of the kind named, or none (n_importances 0, kind "") with
     * importance_note saying why when some were asked for. Owned like scores. */
    double *importances;
    size_t n_importances;
    char importance_kind[32];              /* "gain", "abs_coef", "permutation_ap", ... */
    char importance_note[160];             /* one line, why an ok cell has none */
    double importance_seconds;             /* included in `seconds` */
} ll_cell;

/* Runs the cell: trains on the split's training rows, tunes the cut when the spec asks, fits,
 * scores the test rows, and measures the importances the spec asks for. An inner cell (of the
 * nested selection) only scores: its cut is chosen from all inner folds together and it has
 * no importances. Fills the outcome fields; never fails as a call (a failure is the cell's
 * status; importances that cannot be measured leave the cell ok, with a note). `threads` is
 * the budget handed to the plugins. */
void ll_cell_run(const ll_spec *spec, const ll_dataset *data, const ll_split *split,
                 ll_cell *cell, int threads);

/* Frees the scores and importances and resets the outcome to pending; the identity is kept. */
void ll_cell_clear(ll_cell *cell);

/* A pending cell with the identity of `plan` and nothing it owns (the plan's own scores and
 * importances stay the plan's): what a worker fills, or a lost worker's cell is reported as. */
ll_cell ll_cell_pending_copy(const ll_cell *plan);

/* Marks the cell failed with a formatted one-line error (newlines become spaces). */
void ll_cell_fail(ll_cell *cell, const char *fmt, ...) LL_PRINTF(2, 3);

#endif
