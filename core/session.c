/* leadlab session (see session.h). */
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi_link.h"
#include "params.h"
#include "report.h"
#include "select.h"
#include "store.h"

#ifndef LL_VERSION
#define LL_VERSION "0"
#endif

typedef struct {
    ll_store *store;
    int64_t run_id;
    const ll_spec *spec;
    const ll_run_result *run;
} commit_ctx;

static int commit_cell(const ll_cell *cell, void *ctx, ll_error *err)
{
    const commit_ctx *c = ctx;
    size_t n = 0;
    uint32_t *rows = ll_plan_test_rows(c->run, cell, &n);
    if (!rows)
        return ll_error_set(err, "out of memory");
    int rc = ll_store_commit_cell(c->store, c->run_id, c->spec, cell, rows, err);
    free(rows);
    return rc;
}

/* The engine's refill: successive halving's next rung, or the winners' outer cells. */
static size_t wake_next_rung(ll_run_result *run, void *ctx, ll_error *err)
{
    return ll_selection_wake(ctx, run, err);
}

/* What `write` prints about the spec, as a malloc'd string (NULL when out of memory). */
static char *spec_text(const ll_spec *spec, void (*write)(FILE *, const ll_spec *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    write(f, spec);
    return fclose(f) == 0 ? text : (free(text), NULL);
}

/* The resolved spec and every config's plugin, version and parameters, for the runs table. */
static void write_spec_json(FILE *f, const ll_spec *spec) { ll_ynode_write_json(spec->tree, f); }
static void write_plugins_json(FILE *f, const ll_spec *spec) { ll_report_configs_json(f, spec, ""); }

/* What the runs table says of how the run ended. */
static const char *run_status(const ll_session_result *r, int engine_failed)
{
    if (engine_failed)
        return "failed";
    if (r->engine.interrupted)
        return "incomplete";
    return "complete";
}

int ll_session_run(const ll_spec *spec, const ll_dataset *data, const ll_session_options *opt,
                   ll_session_result *result, ll_error *err)
{
    memset(result, 0, sizeof *result);
    ll_digest data_hash;
    const char *source = opt->data_source ? opt->data_source : spec->train_path;
    if (ll_hash_file(source, &data_hash, err) != 0) {
        result->bad_input = 1;
        return -1;
    }
    char hash_hex[33];
    ll_digest_hex(data_hash, hash_hex);
    if (ll_plan_build(spec, data, data_hash, &result->run, err) != 0) {
        result->bad_input = 1; /* folds the data cannot fill (or, rarely, no memory) */
        return -1;
    }
    ll_run_options ropt = {opt->threads, spec->isolation, spec->cell_seconds,
                           spec->cell_memory_mb, opt->stop, NULL, NULL, opt->on_progress,
                           opt->ctx, opt->mpi, NULL, NULL};
    if (ll_mpi_rank(opt->mpi) != 0) {
        /* Another rank writes the store and the reports; this one only computes. */
        result->serving = 1;
        return ll_run_pending(spec, data, &result->run, &ropt, &result->engine, err);
    }
    /* The store opens before any compute, so an unusable output folder costs nothing. */
    ll_store *store = NULL;
    if (ll_outputs_spare_inputs(spec, err) != 0) {
        result->bad_input = 1;
        return -1;
    }
    if (ll_store_open(spec->out_dir, hash_hex, spec->train_path, opt->fresh, &store, err) != 0) {
        result->bad_input = 1;
        return -1;
    }
    int rc = -1, engine_failed = 0;
    if (opt->data_source && rename(opt->data_source, spec->train_path) != 0) {
        ll_error_set(err, "%s: cannot move the generated data into place: %s", spec->train_path,
                     strerror(errno));
        result->bad_input = 1;
        ll_store_close(store);
        return -1;
    }
    int64_t run_id = 0;
    char *spec_json = spec_text(spec, write_spec_json);
    char *plugins_json = spec_text(spec, write_plugins_json);
    if (!spec_json || !plugins_json) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    if (ll_store_load_cells(store, &result->run, 1, err) != 0)
        goto out;
    /* Halving rungs the store already holds lead straight to the next ones. */
    if (ll_selection_wake(spec, &result->run, err) == SIZE_MAX)
        goto out;
    for (size_t c = 0; c < result->run.n_cells; c++)
        result->reused += result->run.cells[c].status == LL_CELL_OK;
    ll_run_info info = {LL_VERSION,        opt->command, opt->machine, spec->train_path,
                        hash_hex,          spec_json,    plugins_json, result->run.n_cells};
    if (ll_store_begin_run(store, &info, spec, &result->run, &run_id, err) != 0)
        goto out;
    commit_ctx cctx = {store, run_id, spec, &result->run};
    ropt.on_cell = commit_cell;
    ropt.cell_ctx = &cctx;
    ropt.refill = wake_next_rung;
    ropt.refill_ctx = (void *)spec;
    ll_error run_err;
    if (ll_run_pending(spec, data, &result->run, &ropt, &result->engine, &run_err) != 0) {
        engine_failed = 1;
        *err = run_err;
    }
    ll_error end_err;
    if (ll_store_end_run(store, run_id, run_status(result, engine_failed), result->engine.ran,
                         result->engine.failed, result->engine.wall_seconds, &end_err) != 0 &&
        !engine_failed) {
        *err = end_err;
        engine_failed = 1;
    }
    if (engine_failed)
        goto out;
    /* The reports come from the store, so a resumed run renders what an uninterrupted one
     * would, byte for byte. */
    if (ll_store_load_cells(store, &result->run, 0, err) != 0 ||
        ll_run_collect(&result->run, err) != 0 || ll_run_derive(spec, &result->run, err) != 0)
        goto out;
    ll_report_context rctx = {opt->command, opt->machine, hash_hex};
    if (ll_report_write(spec, data, &result->run, &rctx, err) != 0) {
        result->bad_input = 1;
        goto out;
    }
    rc = 0;
out:
    free(spec_json);
    free(plugins_json);
    ll_store_close(store);
    return rc;
}

int ll_session_load(const ll_spec *spec, const ll_dataset *data, ll_run_result *run,
                    ll_error *err)
{
    memset(run, 0, sizeof *run);
    char db[4096];
    snprintf(db, sizeof db, "%s/results.db", spec->out_dir);
    if (access(db, F_OK) != 0) /* opening would create an empty store */
        return ll_error_set(err, "%s: no results.db yet (run the spec first)", spec->out_dir);
    ll_digest data_hash;
    if (ll_hash_file(spec->train_path, &data_hash, err) != 0)
        return -1;
    char hash_hex[33];
    ll_digest_hex(data_hash, hash_hex);
    if (ll_plan_build(spec, data, data_hash, run, err) != 0)
        return -1;
    ll_store *store = NULL;
    int rc = -1;
    if (ll_store_open(spec->out_dir, hash_hex, spec->train_path, 0, &store, err) == 0 &&
        ll_store_load_cells(store, run, 0, err) == 0 && ll_run_collect(run, err) == 0 &&
        ll_run_derive(spec, run, err) == 0)
        rc = 0;
    ll_store_close(store);
    if (rc != 0)
        ll_run_result_free(run);
    return rc;
}
