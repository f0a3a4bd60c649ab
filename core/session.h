/* leadlab session: one `leadlab run` of a spec into its output folder. It opens the result
 * store (resuming what is there), records the run, executes the pending cells with every
 * finished one committed as it completes, and renders the reports from the store, for a
 * complete run and for an interrupted one alike. */
#ifndef LL_CORE_SESSION_H
#define LL_CORE_SESSION_H

#include <signal.h>
#include <stdio.h>

#include "dataset.h"
#include "runner.h"
#include "spec.h"

typedef struct {
    int threads;                      /* >= 1 */
    int fresh;                        /* discard an existing store first */
    volatile sig_atomic_t *stop;      /* see ll_run_options; may be NULL */
    void (*on_progress)(const ll_progress *p, void *ctx);
    void *ctx;
    struct ll_mpi *mpi;               /* NULL for one process */
    const char *command, *machine;    /* provenance for the reports and the store */
    /* The file the data was read from when it is not yet spec->train_path (synthetic data
     * generated for this run): hashed in its place, and renamed to spec->train_path once the
     * store has accepted the run. NULL: the data was read from spec->train_path. */
    const char *data_source;
} ll_session_options;

typedef struct {
    ll_run_result run;     /* every planned cell as the store holds it after the run */
    size_t reused;         /* cells found ok in the store and not recomputed */
    ll_engine_stats engine;
    int serving;           /* this process served another MPI rank and wrote nothing */
    int bad_input;         /* the failure is the user's input (exit 2), not the machine's */
} ll_session_result;

/* Runs the session. Returns 0 when the reports are written (cells may have failed or be
 * pending after an interruption: see result), -1 otherwise with err set. The caller frees
 * result->run with ll_run_result_free (also after a failure). */
int ll_session_run(const ll_spec *spec, const ll_dataset *data, const ll_session_options *opt,
                   ll_session_result *result, ll_error *err);

/* The spec's plan with every cell its output folder's store holds (the rest pending), scores
 * collected: what a finished run's reports are rendered from, without running anything. The
 * caller frees run with ll_run_result_free. */
int ll_session_load(const ll_spec *spec, const ll_dataset *data, ll_run_result *run,
                    ll_error *err);

#endif
