/* leadlab engine (see runner.h): the scheduling loop that hands pending cells to local worker
 * slots and, under MPI, to the other ranks, and passes every finished cell to the sink. */
#include "runner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fit.h"
#include "mpi_link.h"
#include "schedule.h"
#include "slots.h"

static ll_digest plan_digest(const ll_run_result *run)
{
    ll_hash h;
    ll_hash_init(&h);
    ll_hash_u64(&h, run->n_cells);
    for (size_t c = 0; c < run->n_cells; c++) {
        ll_hash_u64(&h, run->cells[c].key.hi);
        ll_hash_u64(&h, run->cells[c].key.lo);
    }
    return ll_hash_final(&h);
}

/* The scheduling state of one ll_run_pending call. */
typedef struct {
    const ll_run_options *opt;
    ll_run_result *run;
    ll_schedule sched;
    ll_pool *pool;
    ll_mpi *mpi;
    size_t n_ranks;
    size_t *capacity, *outstanding; /* per rank; [0] unused (local slots are the pool's) */
    double *started;                /* per cell: when it was handed out */
    int *remote;                    /* per cell: handed to another rank and not back yet */
    size_t *running;                /* scratch for the ETA: running cells ... */
    double *elapsed;                /* ... and their seconds so far (slots + n_cells each) */
    size_t total_slots, done;
    size_t planned;                 /* cells of the run that are not dormant */
    int progress_due; /* a cell finished since the last progress report */
    double start;
    ll_engine_stats *stats;
} engine;

static void report_progress(engine *e)
{
    if (!e->opt->on_progress)
        return;
    size_t *cells = e->running;
    double *elapsed = e->elapsed;
    size_t n = ll_pool_running(e->pool, cells, elapsed);
    double now = ll_now_seconds();
    for (size_t c = 0; c < e->run->n_cells; c++)
        if (e->remote[c]) {
            cells[n] = c;
            elapsed[n++] = now - e->started[c];
        }
    ll_progress p = {e->done, e->stats->failed, e->planned, n, now - e->start,
                     ll_schedule_eta(&e->sched, cells, elapsed, n, e->total_slots)};
    e->opt->on_progress(&p, e->opt->progress_ctx);
}

/* Takes a finished cell's outcome into the plan and hands it to the sink. */
static int finish_cell(engine *e, size_t index, ll_cell *outcome, ll_error *err)
{
    ll_cell *cell = &e->run->cells[index];
    ll_cell_clear(cell);
    /* The identity stays the plan's; only the outcome comes from the worker. */
    ll_cell identity = *cell;
    *cell = *outcome;
    cell->model = identity.model;
    cell->sampler = identity.sampler;
    cell->repeat = identity.repeat;
    cell->fold = identity.fold;
    cell->inner = identity.inner;
    cell->rung = identity.rung;
    cell->seed = identity.seed;
    cell->key = identity.key;
    cell->expected_seconds = identity.expected_seconds;
    outcome->scores = outcome->importances = NULL;
    e->stats->ran++;
    e->stats->failed += cell->status != LL_CELL_OK;
    e->done++;
    ll_schedule_learn(&e->sched, cell);
    if (e->opt->on_cell && e->opt->on_cell(cell, e->opt->cell_ctx, err) != 0)
        return -1;
    e->progress_due = 1;
    return 0;
}

/* Hands out cells while there are free slots here or on other ranks. */
static int hand_out(engine *e, ll_error *err)
{
    int slot;
    while ((slot = ll_pool_idle_slot(e->pool)) >= 0 && e->sched.n_pending) {
        size_t c = ll_schedule_next(&e->sched);
        if (ll_pool_submit(e->pool, slot, c, err) != 0)
            return -1;
        e->started[c] = ll_now_seconds();
    }
    for (size_t r = 1; r < e->n_ranks; r++)
        while (e->outstanding[r] < e->capacity[r] && e->sched.n_pending) {
            size_t c = ll_schedule_next(&e->sched);
            if (ll_mpi_send_cell(e->mpi, (int)r, c, err) != 0)
                return -1;
            e->outstanding[r]++;
            e->remote[c] = 1;
            e->started[c] = ll_now_seconds();
        }
    return 0;
}

static size_t remote_outstanding(const engine *e)
{
    size_t n = 0;
    for (size_t r = 1; r < e->n_ranks; r++)
        n += e->outstanding[r];
    return n;
}

static int schedule_loop(engine *e, int *abandon, ll_error *err)
{
    for (;;) {
        int stop = e->opt->stop ? (int)*e->opt->stop : 0;
        if (stop >= 2) {
            *abandon = 1;
            e->stats->abandoned = ll_pool_busy(e->pool) + remote_outstanding(e);
            e->stats->interrupted = 1;
            return 0;
        }
        if (!stop) {
            if (hand_out(e, err) != 0)
                return -1;
        } else if (e->sched.n_pending) {
            e->stats->interrupted = 1;
        }
        /* Reported after the hand-out, so "running" counts the cells that replaced it. */
        if (e->progress_due) {
            report_progress(e);
            e->progress_due = 0;
        }
        size_t remote = remote_outstanding(e), local = ll_pool_busy(e->pool);
        if (!local && !remote) {
            size_t woken = !stop && e->opt->refill
                               ? e->opt->refill(e->run, e->opt->refill_ctx, err)
                               : 0;
            if (woken == SIZE_MAX)
                return -1;
            if (!woken)
                return 0;
            for (size_t c = 0; c < e->run->n_cells; c++)
                if (e->run->cells[c].status == LL_CELL_PENDING && !e->started[c])
                    ll_schedule_requeue(&e->sched, c);
            e->planned += woken;
            continue;
        }
        size_t index;
        ll_cell outcome;
        /* A wait is cut short by a signal; with other ranks to listen to, it stays short. */
        int got = local ? ll_pool_wait(e->pool, remote ? 2 : 200, &index, &outcome, err) : 0;
        if (got < 0)
            return -1;
        if (got == 1 && finish_cell(e, index, &outcome, err) != 0)
            return -1;
        if (remote) {
            int rank;
            while ((got = ll_mpi_poll_cell(e->mpi, &rank, &index, &outcome, err)) == 1) {
                if (rank <= 0 || (size_t)rank >= e->n_ranks || index >= e->run->n_cells ||
                    !e->remote[index]) {
                    ll_cell_clear(&outcome);
                    return ll_error_set(err, "MPI rank %d sent back cell %zu it was not given",
                                        rank, index);
                }
                e->outstanding[rank]--;
                e->remote[index] = 0;
                if (finish_cell(e, index, &outcome, err) != 0)
                    return -1;
            }
            if (got < 0)
                return -1;
            if (!local) {
                struct timespec pause = {0, 2000000}; /* nothing local to wait on: 2 ms */
                nanosleep(&pause, NULL);
            }
        }
    }
}

int ll_run_pending(const ll_spec *spec, const ll_dataset *data, ll_run_result *run,
                   const ll_run_options *opt, ll_engine_stats *stats, ll_error *err)
{
    memset(stats, 0, sizeof *stats);
    engine e = {.opt = opt, .run = run, .mpi = opt->mpi, .stats = stats};
    e.n_ranks = (size_t)ll_mpi_size(e.mpi);
    int rank = ll_mpi_rank(e.mpi);
    if (ll_schedule_init(&e.sched, run) != 0)
        return ll_error_set(err, "out of memory");
    int threads = opt->threads > 0 ? opt->threads : 1;
    size_t n_slots = (size_t)threads;
    /* Fewer cells than threads on one machine: hand each cell a share of the budget. */
    if (e.n_ranks == 1 && e.sched.n_pending < n_slots)
        n_slots = e.sched.n_pending ? e.sched.n_pending : 1;
    int per_cell = threads / (int)n_slots;
    ll_pool_config cfg = {spec, data, run, per_cell > 1 ? per_cell : 1, opt->isolation,
                          opt->cell_seconds, opt->cell_memory_mb};
    run->threads = threads;
    e.start = ll_now_seconds();
    int rc = -1, abandon = 0;
    if (e.n_ranks == 1 && !e.sched.n_pending) {
        ll_schedule_free(&e.sched);
        return 0;
    }
    e.capacity = calloc(e.n_ranks, sizeof *e.capacity);
    e.outstanding = calloc(e.n_ranks, sizeof *e.outstanding);
    e.started = calloc(run->n_cells, sizeof *e.started);
    e.remote = calloc(run->n_cells, sizeof *e.remote);
    e.running = calloc(n_slots + run->n_cells, sizeof *e.running);
    e.elapsed = calloc(n_slots + run->n_cells, sizeof *e.elapsed);
    if (!e.capacity || !e.outstanding || !e.started || !e.remote || !e.running || !e.elapsed) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    if (ll_pool_start(&cfg, n_slots, &e.pool, err) != 0)
        goto out;
    if (e.mpi && ll_mpi_handshake(e.mpi, plan_digest(run), n_slots, e.capacity, err) != 0)
        goto out;
    if (rank != 0) {
        rc = ll_mpi_serve(e.mpi, e.pool, run, &abandon, err);
        goto out;
    }
    e.total_slots = n_slots;
    for (size_t c = 0; c < run->n_cells; c++) {
        ll_cell_status st = run->cells[c].status;
        e.planned += st != LL_CELL_DORMANT;
        e.done += st == LL_CELL_OK || st == LL_CELL_FAILED; /* reused from the store */
    }
    for (size_t r = 1; r < e.n_ranks; r++)
        e.total_slots += e.capacity[r];
    rc = schedule_loop(&e, &abandon, err);
    ll_error stop_err;
    if (e.mpi && ll_mpi_send_stop(e.mpi, abandon || rc != 0, &stop_err) != 0 && rc == 0) {
        *err = stop_err;
        rc = -1;
    }
out:
    ll_pool_stop(e.pool, abandon || rc != 0);
    stats->wall_seconds = ll_now_seconds() - e.start;
    run->wall_seconds = stats->wall_seconds;
    ll_schedule_free(&e.sched);
    free(e.capacity);
    free(e.outstanding);
    free(e.started);
    free(e.remote);
    free(e.running);
    free(e.elapsed);
    return rc;
}
