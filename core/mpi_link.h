/* leadlab MPI transport: spreads a run's cells over the ranks of an MPI job. Rank 0 schedules,
 * hands cells out dynamically and is the only writer of the result store; every other rank
 * serves: it runs the cells it is given on its own worker slots and sends back each outcome.
 * Every rank loads the same spec and data itself; a rank whose plan differs is refused.
 * Without MPI at build time (or outside mpirun) the world is one process and none of this
 * is used. */
#ifndef LL_CORE_MPI_LINK_H
#define LL_CORE_MPI_LINK_H

#include <stddef.h>

#include "runner.h"
#include "slots.h"

typedef struct ll_mpi ll_mpi;

/* Joins the MPI job when the process was started by mpirun/srun with more than one rank
 * (and the build has MPI); *out is NULL otherwise. Call once, first thing in main. */
int ll_mpi_init(int *argc, char ***argv, ll_mpi **out, ll_error *err);
/* Leaves the MPI job (NULL-safe). `failed` aborts the other ranks instead of waiting. */
void ll_mpi_finalize(ll_mpi *mpi, int failed);
int ll_mpi_rank(const ll_mpi *mpi); /* 0 when mpi is NULL */
int ll_mpi_size(const ll_mpi *mpi); /* 1 when mpi is NULL */

/* Collective, at the start of a run: every rank contributes the digest of its plan (every
 * cell key) and how many slots it serves with. Rank 0 gets capacity[r] for every rank (an
 * array of ll_mpi_size entries, capacity[0] = its own slots); a rank whose plan differs from
 * rank 0's makes every rank fail with one line naming it. */
int ll_mpi_handshake(ll_mpi *mpi, ll_digest plan, size_t slots, size_t *capacity,
                     ll_error *err);

/* Rank 0: hands cell `index` to rank `rank`. */
int ll_mpi_send_cell(ll_mpi *mpi, int rank, size_t index, ll_error *err);
/* Rank 0: a finished cell from any rank if one has arrived (returns 1 with *rank, *index and
 * *out filled; out->scores and out->importances are malloc'd and the caller's), 0 if none
 * yet, -1 on error. */
int ll_mpi_poll_cell(ll_mpi *mpi, int *rank, size_t *index, ll_cell *out, ll_error *err);
/* Rank 0: tells every other rank the run is over (abandon: kill what they run). */
int ll_mpi_send_stop(ll_mpi *mpi, int abandon, ll_error *err);

/* Ranks other than 0: serve cells from rank 0 on `pool` until rank 0 says stop; *abandon
 * tells whether rank 0 abandoned the run (the caller then kills the cells still running). */
int ll_mpi_serve(ll_mpi *mpi, ll_pool *pool, const ll_run_result *run, int *abandon,
                 ll_error *err);

#endif
