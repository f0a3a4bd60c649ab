/* leadlab schedule: which pending cell to hand out next (the longest expected first, so the
 * tail of a run is short) and how long the rest will take. A cell's cost is estimated from
 * finished cells of the same (model config, sampler) pair, else from a per-plugin prior
 * rescaled by how every finished cell compared with its prior. */
#ifndef LL_CORE_SCHEDULE_H
#define LL_CORE_SCHEDULE_H

#include <stddef.h>

#include "runner.h"

typedef struct {
    ll_run_result *run;
    size_t *pending;     /* cell indexes not yet handed out */
    size_t n_pending;
    double *pair_seconds; /* per (model, sampler): summed seconds of finished cells */
    size_t *pair_count;
    double seen_seconds, seen_prior; /* over every finished cell: measured vs prior */
    size_t n_seen;
} ll_schedule;

/* Queues every pending cell of run and learns from the cells already finished. */
int ll_schedule_init(ll_schedule *s, ll_run_result *run);
void ll_schedule_free(ll_schedule *s);

/* The pending cell with the largest estimate (ties: plan order), removed from the queue;
 * SIZE_MAX when none is left. */
size_t ll_schedule_next(ll_schedule *s);
/* Puts a handed-out cell back (its worker was lost before it could finish). */
void ll_schedule_requeue(ll_schedule *s, size_t cell);
/* Learns from a finished cell (ok or failed: a failure also took time). */
void ll_schedule_learn(ll_schedule *s, const ll_cell *cell);
/* The current estimate for a cell, in seconds. */
double ll_schedule_estimate(const ll_schedule *s, const ll_cell *cell);
/* Seconds until every queued cell and the running ones (elapsed[i] seconds into cell
 * running[i]) are done on `slots` parallel slots; NaN before any cell has finished. */
double ll_schedule_eta(const ll_schedule *s, const size_t *running, const double *elapsed,
                       size_t n_running, size_t slots);

#endif
