/* leadlab worker slots: where cells execute. Each slot is a worker that reads cell indexes
 * and writes back outcomes over a socket pair; the same loop runs in a thread (isolation
 * none) or in a forked process (isolation process), where a crash, exit(), a runaway cell
 * (limits.cell_seconds) or a memory hog (limits.cell_memory_mb) fails only that cell.
 *
 * Process workers are forked from the calling process, which must not have entered an OpenMP
 * parallel region before (GCC's libgomp is not fork-safe once its threads exist); the CLI's
 * scheduling process never does, and each worker starts its own OpenMP runtime fresh. */
#ifndef LL_CORE_SLOTS_H
#define LL_CORE_SLOTS_H

#include <stddef.h>

#include "runner.h"

typedef struct ll_pool ll_pool;

typedef struct {
    const ll_spec *spec;
    const ll_dataset *data;
    const ll_run_result *run; /* the plan: workers read cell identities and folds from it */
    int threads_per_cell;
    int isolation;            /* LL_ISOLATION_* */
    double cell_seconds;      /* 0 = none; process isolation only */
    double cell_memory_mb;    /* 0 = none; growth of the worker's resident memory in a cell */
} ll_pool_config;

/* Starts n_slots workers. The caller stops the pool with ll_pool_stop. */
int ll_pool_start(const ll_pool_config *cfg, size_t n_slots, ll_pool **out, ll_error *err);
/* Asks every idle worker to finish and reaps them; with abandon, running process workers are
 * killed and running thread workers left behind (the caller is about to exit). */
void ll_pool_stop(ll_pool *pool, int abandon);

size_t ll_pool_slots(const ll_pool *pool);
/* An idle slot, or -1 when every slot is busy. */
int ll_pool_idle_slot(const ll_pool *pool);
/* Hands cell `index` of the plan to an idle slot (respawning a process worker that died). */
int ll_pool_submit(ll_pool *pool, int slot, size_t index, ll_error *err);

/* Waits up to timeout_ms (-1 = until one is ready) for a cell to finish. Returns 1 with
 * *index and *out filled (identity from the plan, the outcome from the worker; out->scores and
 * out->importances are malloc'd and the caller's), 0 on timeout or when a signal interrupted
 * the wait, -1 when the pool itself failed (err says why). A worker that died or broke a limit
 * yields its cell as failed with the reason. */
int ll_pool_wait(ll_pool *pool, int timeout_ms, size_t *index, ll_cell *out, ll_error *err);

/* How many cells are running now. */
size_t ll_pool_busy(const ll_pool *pool);
/* The cells running now and how long each has run (arrays of ll_pool_slots entries);
 * returns how many. */
size_t ll_pool_running(const ll_pool *pool, size_t *cells, double *elapsed);

/* Message framing shared with the MPI transport: one finished cell. */
typedef struct {
    uint64_t magic;
    uint64_t index;
    ll_cell cell; /* pointers meaningless; when status is ok, n_test doubles (the scores)
                     follow, then n_importances doubles (the importances) */
} ll_cell_message;
#define LL_CELL_MESSAGE_MAGIC 0x6c6c63656c6c3032ull /* "llcell02" */

#endif
