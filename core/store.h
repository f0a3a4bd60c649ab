/* leadlab result store: results.db (SQLite, WAL) in the output folder, the single source of
 * truth of a run. Each finished cell is committed as it completes; reports are rendered from
 * it; a rerun into the same folder skips every cell whose key is stored with status ok. */
#ifndef LL_CORE_STORE_H
#define LL_CORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "error.h"
#include "runner.h"
#include "spec.h"

/* Bumped whenever the schema changes; a store of another format is refused, not mixed. */
#define LL_STORE_FORMAT 3 /* 2: the importances table; 3: cells.inner_fold */

typedef struct ll_store ll_store;

/* What the runs table records about one invocation. Borrowed strings. */
typedef struct {
    const char *leadlab_version;
    const char *command;
    const char *machine;
    const char *data_file;
    const char *data_hash;    /* hex digest of the data file's bytes */
    const char *spec_json;    /* the resolved spec */
    const char *plugins_json; /* [{"name":..,"version":..,"kind":..}, ...] */
    size_t cells_planned;
} ll_run_info;

/* Opens (creating when absent) DIR/results.db and takes the folder's lock, so two runs never
 * write one store. `fresh` removes an existing store first. A store of another format, or one
 * written from a data file whose content hash differs from `data_hash`, is refused with one
 * line in err (exit code 2 material). The caller closes the store. */
int ll_store_open(const char *dir, const char *data_hash, const char *data_file, int fresh,
                  ll_store **out, ll_error *err);
void ll_store_close(ll_store *store);

/* Records a new run (status "running") and its plan; *run_id names it afterwards. */
int ll_store_begin_run(ll_store *store, const ll_run_info *info, const ll_spec *spec,
                       const ll_run_result *run, int64_t *run_id, ll_error *err);
/* status: "complete", "incomplete" (interrupted) or "failed" (could not finish). */
int ll_store_end_run(ll_store *store, int64_t run_id, const char *status, size_t cells_run,
                     size_t cells_failed, double wall_seconds, ll_error *err);

/* Commits one finished cell (ok or failed) and, when ok, its out-of-fold scores and its
 * importances (or the note why it has none), in one transaction. `test_rows` lists the cell's
 * test rows in row order (n_test of them). */
int ll_store_commit_cell(ll_store *store, int64_t run_id, const ll_spec *spec,
                         const ll_cell *cell, const uint32_t *test_rows, ll_error *err);

/* Fills every cell of `run` whose key is stored (its outcome, scores and importances); cells
 * not stored stay pending. With only_ok, failed cells stay pending too (to be rerun). */
int ll_store_load_cells(ll_store *store, ll_run_result *run, int only_ok, ll_error *err);

/* `leadlab status`: per row of the newest run's plan, how many cells are done, failed and
 * pending. Opens DIR/results.db read-only (no lock: a running run may be watched). */
typedef struct {
    char *config, *sampler;
    size_t done, failed, pending;
    double f1_sum;  /* over done cells, for a running mean */
    double seconds; /* summed cell seconds */
} ll_status_row;

typedef struct {
    int64_t run_id;
    char *status, *started_at, *ended_at, *data_file;
    ll_status_row *rows;
    size_t n_rows;
    size_t done, failed, pending;
} ll_store_status;

int ll_store_read_status(const char *dir, ll_store_status *out, ll_error *err);
void ll_store_status_free(ll_store_status *st);

/* `leadlab show` and `compare`: an output folder's newest run as its store holds it (the plan
 * joined with the cells), read-only like ll_store_read_status. */
typedef struct {
    int64_t run_id;
    char *status, *started_at, *command, *leadlab_version, *data_file, *data_hash;
    char **configs, **samplers; /* labels in plan order: run.n_models and run.n_samplers */
    /* Every planned cell with its outcome (pending when not stored), n_ok / n_failed /
     * n_pending counted; no scores, folds of rows or out-of-fold matrix (n_rows is 0). */
    ll_run_result run;
    /* Per (repeat, fold), repeat-major: a hash of the test rows of that fold, from a cell that
     * finished ok ({0, 0} when none did). Equal digests mean the same test rows. */
    ll_digest *fold_rows;
} ll_stored_run;

int ll_store_read_run(const char *dir, ll_stored_run *out, ll_error *err);
void ll_stored_run_free(ll_stored_run *r);

#endif
