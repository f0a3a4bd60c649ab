/* leadlab result store (see store.h): the SQLite schema, one transaction per finished cell,
 * and the reads that resume a run, render its reports and answer `leadlab status`. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

#ifndef LL_VERSION
#define LL_VERSION "0"
#endif

struct ll_store {
    sqlite3 *db;
    char path[4096];
    int lock_fd;
    sqlite3_stmt *insert_cell, *insert_scores, *delete_scores;
    sqlite3_stmt *insert_importances, *delete_importances;
};

/* The schema; the README's "Result store" section documents it for users. */
static const char schema_sql[] =
    "CREATE TABLE store_info(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE runs(\n"
    "  id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT,\n"
    "  status TEXT NOT NULL, leadlab_version TEXT, command TEXT, machine TEXT,\n"
    "  data_file TEXT, data_hash TEXT, spec_json TEXT, plugins_json TEXT,\n"
    "  cells_planned INTEGER, cells_run INTEGER, cells_failed INTEGER, wall_seconds REAL);\n"
    "CREATE TABLE plan(\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id), position INTEGER NOT NULL,\n"
    "  key TEXT NOT NULL, config TEXT NOT NULL, sampler TEXT NOT NULL,\n"
    "  repeat INTEGER NOT NULL, fold INTEGER NOT NULL, PRIMARY KEY (run_id, position));\n"
    "CREATE TABLE cells(\n"
    "  key TEXT PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),\n"
    "  config TEXT NOT NULL, sampler TEXT NOT NULL, model_plugin TEXT, model_version TEXT,\n"
    "  sampler_plugin TEXT, sampler_version TEXT, repeat INTEGER NOT NULL,\n"
    "  fold INTEGER NOT NULL, seed TEXT NOT NULL,\n"
    "  status TEXT NOT NULL CHECK (status IN ('ok', 'failed')), error TEXT,\n"
    "  train_rows INTEGER, train_positives INTEGER, resampled_rows INTEGER,\n"
    "  resampled_positives INTEGER, test_rows INTEGER, test_positives INTEGER,\n"
    "  threshold REAL, tp INTEGER, fp INTEGER, tn INTEGER, fn INTEGER,\n"
    "  precision REAL, recall REAL, f1 REAL, f1_fixed REAL, roc_auc REAL, pr_auc REAL,\n"
    "  mcc REAL, balanced_accuracy REAL, accuracy REAL,\n"
    "  fit_seconds REAL, predict_seconds REAL, cell_seconds REAL, finished_at TEXT,\n"
    /* NULL for a cell of the grid; g for the nested selection's inner fold g of `fold`. */
    "  inner_fold INTEGER);\n"
    "CREATE TABLE scores(\n"
    "  key TEXT PRIMARY KEY REFERENCES cells(key), n INTEGER NOT NULL,\n"
    "  rows BLOB NOT NULL, scores BLOB NOT NULL);\n"
    /* One row per ok cell that was asked for importances: n values of `kind` (vals, one
     * little-endian double per feature), or none (kind and vals NULL) with the note why. */
    "CREATE TABLE importances(\n"
    "  key TEXT PRIMARY KEY REFERENCES cells(key), kind TEXT, n INTEGER NOT NULL,\n"
    "  vals BLOB, note TEXT, seconds REAL);\n"
    "CREATE INDEX cells_by_config ON cells(config, sampler);\n";

static int db_error(ll_store *s, ll_error *err, const char *what)
{
    int code = sqlite3_errcode(s->db);
    /* A full disk or a failing one is the system's fault, not the input's. */
    if (code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_CANTOPEN)
        return ll_error_io(err, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
    return ll_error_set(err, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int exec(ll_store *s, const char *sql, ll_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        if (rc == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR)
            ll_error_io(err, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
        else
            ll_error_set(err, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static void utc_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A one-value query's text (static buffer per call site is the caller's `out`); 1 found. */
static int query_text(ll_store *s, const char *sql, const char *arg, char *out, size_t len)
{
    sqlite3_stmt *st;
    int found = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

static int remove_store_files(const char *db_path, ll_error *err)
{
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", db_path, suffixes[i]);
        if (remove(p) != 0 && errno != ENOENT)
            return ll_error_set(err, "%s: cannot remove: %s", p, strerror(errno));
    }
    return 0;
}

static int prepare(ll_store *s, const char *sql, sqlite3_stmt **st, ll_error *err)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot prepare a statement");
    return 0;
}

/* Creates the schema in an empty database, or checks that an existing one speaks ours. */
static int check_format(ll_store *s, ll_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s, "PRAGMA user_version", &st, err) != 0)
        return -1;
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version < 0)
        return db_error(s, err, "not a leadlab result store");
    char tables[32] = "0";
    query_text(s, "SELECT count(*) FROM sqlite_master", NULL, tables, sizeof tables);
    if (version == 0 && atoi(tables) == 0) {
        char sql[8192];
        snprintf(sql, sizeof sql, "BEGIN;\n%sPRAGMA user_version = %d;\n"
                 "INSERT INTO store_info VALUES ('format', '%d'), ('created_by', "
                 "'leadlab %s');\nCOMMIT;", schema_sql, LL_STORE_FORMAT, LL_STORE_FORMAT,
                 LL_VERSION);
        return exec(s, sql, err);
    }
    /* Format 2 lacks only the inner_fold column, which its cells (all of the grid) leave NULL. */
    if (version == 2)
        return exec(s, "BEGIN;\nALTER TABLE cells ADD COLUMN inner_fold INTEGER;\n"
                       "UPDATE store_info SET value = '3' WHERE key = 'format';\n"
                       "PRAGMA user_version = 3;\nCOMMIT;", err);
    if (version != LL_STORE_FORMAT) {
        char by[128] = "an unknown program";
        if (version > 0)
            query_text(s, "SELECT value FROM store_info WHERE key = 'created_by'", NULL, by,
                       sizeof by);
        return ll_error_set(err, "%s: result store format %d (written by %s); this leadlab %s "
                            "reads format %d: rerun with --fresh to start over, or choose another "
                            "output.dir", s->path, version, by, LL_VERSION, LL_STORE_FORMAT);
    }
    return 0;
}

static int check_data(ll_store *s, const char *data_hash, const char *data_file, ll_error *err)
{
    char stored[64], stored_file[4096] = "?";
    int found = query_text(s, "SELECT value FROM store_info WHERE key = 'data_hash'", NULL,
                           stored, sizeof stored);
    if (found < 0)
        return db_error(s, err, "cannot read store_info");
    if (!found) {
        sqlite3_stmt *st;
        if (prepare(s, "INSERT INTO store_info VALUES ('data_hash', ?1), ('data_file', ?2)", &st,
                    err) != 0)
            return -1;
        sqlite3_bind_text(st, 1, data_hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, data_file, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : db_error(s, err, "cannot write store_info");
    }
    if (strcmp(stored, data_hash) != 0) {
        query_text(s, "SELECT value FROM store_info WHERE key = 'data_file'", NULL, stored_file,
                   sizeof stored_file);
        return ll_error_set(err, "%s: holds results computed from another data file (%s, content "
                            "hash %.12s); this run reads %s (hash %.12s): rerun with --fresh to "
                            "start over, or choose another output.dir", s->path, stored_file,
                            stored, data_file, data_hash);
    }
    return 0;
}

int ll_store_open(const char *dir, const char *data_hash, const char *data_file, int fresh,
                  ll_store **out, ll_error *err)
{
    *out = NULL;
    ll_store *s = calloc(1, sizeof *s);
    if (!s)
        return ll_error_set(err, "out of memory");
    s->lock_fd = -1;
    snprintf(s->path, sizeof s->path, "%s/results.db", dir);
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s/.leadlab.lock", dir);
    if (ll_output_dir_ready(dir, err) != 0)
        goto fail;
    s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0) {
        ll_error_set(err, "output.dir %s: cannot write there: %s", dir, strerror(errno));
        goto fail;
    }
    /* A POSIX record lock, not flock: forked workers do not inherit it, so a killed run's
     * folder is free the moment its scheduler is gone. */
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(s->lock_fd, F_SETLK, &lk) != 0) {
        struct flock holder = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        long pid = fcntl(s->lock_fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK
                       ? (long)holder.l_pid : 0;
        ll_error_set(err, "output.dir %s is in use by another leadlab run (pid %ld): wait for "
                     "it, or choose another output.dir", dir, pid);
        goto fail;
    }
    if (fresh && remove_store_files(s->path, err) != 0)
        goto fail;
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        ll_error_set(err, "%s: cannot open: %s", s->path,
                     s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 10000);
    /* WAL: a commit is an append, readers (leadlab status) never block the run, and a killed
     * process leaves every committed cell intact. NORMAL sync: a power cut may lose the last
     * cells, never consistency. */
    if (exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", err) != 0 ||
        check_format(s, err) != 0 || check_data(s, data_hash, data_file, err) != 0)
        goto fail;
    /* This process holds the folder's lock: a run still marked running died without a word. */
    if (exec(s, "UPDATE runs SET status = 'killed' WHERE status = 'running'", err) != 0)
        goto fail;
    if (prepare(s, "INSERT OR REPLACE INTO cells VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, "
                "?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38)",
                &s->insert_cell, err) != 0 ||
        prepare(s, "INSERT OR REPLACE INTO scores VALUES (?1, ?2, ?3, ?4)", &s->insert_scores,
                err) != 0 ||
        prepare(s, "DELETE FROM scores WHERE key = ?1", &s->delete_scores, err) != 0 ||
        prepare(s, "INSERT INTO importances VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &s->insert_importances, err) != 0 ||
        prepare(s, "DELETE FROM importances WHERE key = ?1", &s->delete_importances, err) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    ll_store_close(s);
    return -1;
}

void ll_store_close(ll_store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->insert_cell);
    sqlite3_finalize(s->insert_scores);
    sqlite3_finalize(s->delete_scores);
    sqlite3_finalize(s->insert_importances);
    sqlite3_finalize(s->delete_importances);
    if (s->db)
        sqlite3_close(s->db);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the folder's lock */
    free(s);
}

int ll_store_begin_run(ll_store *s, const ll_run_info *info, const ll_spec *spec,
                       const ll_run_result *run, int64_t *run_id, ll_error *err)
{
    char now[32];
    utc_now(now, sizeof now);
    sqlite3_stmt *st = NULL;
    if (exec(s, "BEGIN", err) != 0)
        return -1;
    if (prepare(s, "INSERT INTO runs (started_at, status, leadlab_version, command, machine, "
                "data_file, data_hash, spec_json, plugins_json, cells_planned) VALUES "
                "(?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &st, err) != 0)
        goto fail;
    const char *texts[] = {now, info->leadlab_version, info->command, info->machine,
                           info->data_file, info->data_hash, info->spec_json, info->plugins_json};
    for (int i = 0; i < 8; i++)
        sqlite3_bind_text(st, i + 1, texts[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)info->cells_planned);
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_error(s, err, "cannot record the run");
        goto fail;
    }
    sqlite3_finalize(st);
    *run_id = sqlite3_last_insert_rowid(s->db);
    if (prepare(s, "INSERT INTO plan VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st, err) != 0)
        goto fail;
    /* The plan lists the grid's cells, what `show` rebuilds; inner cells are found by key. */
    for (size_t c = 0; c < run->n_outer; c++) {
        const ll_cell *cell = &run->cells[c];
        char key[33];
        ll_digest_hex(cell->key, key);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, *run_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)c);
        sqlite3_bind_text(st, 3, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, spec->models[cell->model].label, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, spec->samplers[cell->sampler].label, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, cell->repeat);
        sqlite3_bind_int64(st, 7, cell->fold);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_error(s, err, "cannot record the plan");
            goto fail;
        }
    }
    sqlite3_finalize(st);
    return exec(s, "COMMIT", err);
fail:
    sqlite3_finalize(st);
    exec(s, "ROLLBACK", NULL);
    return -1;
}

int ll_store_end_run(ll_store *s, int64_t run_id, const char *status, size_t cells_run,
                     size_t cells_failed, double wall_seconds, ll_error *err)
{
    char now[32];
    utc_now(now, sizeof now);
    sqlite3_stmt *st;
    if (prepare(s, "UPDATE runs SET ended_at = ?1, status = ?2, cells_run = ?3, "
                "cells_failed = ?4, wall_seconds = ?5 WHERE id = ?6", &st, err) != 0)
        return -1;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)cells_run);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)cells_failed);
    sqlite3_bind_double(st, 5, wall_seconds);
    sqlite3_bind_int64(st, 6, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_error(s, err, "cannot record the end of the run");
}

/* NaN has no SQLite value: it is stored as NULL and read back as NaN. */
static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

static double column_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* Blobs are little-endian whatever the host, so a store moves between machines. */
static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* The importances row of a cell committed in this transaction: whatever was stored under its
 * key goes, and an ok cell asked for importances gets its values or its note. */
static int commit_importances(ll_store *s, const char *key, const ll_cell *cell,
                              ll_error *err)
{
    sqlite3_stmt *st = s->delete_importances;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(s, err, "cannot store a cell's importances");
    int has = cell->n_importances && cell->importances;
    if (cell->status != LL_CELL_OK || (!has && !cell->importance_note[0]))
        return 0;
    unsigned char *vals = has ? malloc(cell->n_importances * 8) : NULL;
    if (has && !vals)
        return ll_error_set(err, "out of memory");
    for (size_t j = 0; has && j < cell->n_importances; j++) {
        uint64_t bits;
        memcpy(&bits, &cell->importances[j], sizeof bits);
        put_le(vals + 8 * j, bits, 8);
    }
    st = s->insert_importances;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st); /* unbound parameters are NULL */
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (has) {
        sqlite3_bind_text(st, 2, cell->importance_kind, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, vals, (int)(cell->n_importances * 8), SQLITE_STATIC);
    } else {
        sqlite3_bind_text(st, 5, cell->importance_note, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(st, 3, has ? (sqlite3_int64)cell->n_importances : 0);
    bind_real(st, 6, cell->importance_seconds);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s, err, "cannot store a cell's "
                                                                    "importances");
    free(vals);
    return rc;
}

int ll_store_commit_cell(ll_store *s, int64_t run_id, const ll_spec *spec, const ll_cell *cell,
                         const uint32_t *test_rows, ll_error *err)
{
    char key[33], seed[24], now[32];
    ll_digest_hex(cell->key, key);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)cell->seed);
    utc_now(now, sizeof now);
    const ll_config *model = &spec->models[cell->model], *sampler = &spec->samplers[cell->sampler];
    int ok = cell->status == LL_CELL_OK;
    unsigned char *rows = NULL, *scores = NULL;
    if (ok) {
        rows = malloc(cell->n_test * 4 + 1);
        scores = malloc(cell->n_test * 8 + 1);
        if (!rows || !scores) {
            free(rows);
            free(scores);
            return ll_error_set(err, "out of memory");
        }
        for (size_t i = 0; i < cell->n_test; i++) {
            uint64_t bits;
            memcpy(&bits, &cell->scores[i], sizeof bits);
            put_le(rows + 4 * i, test_rows[i], 4);
            put_le(scores + 8 * i, bits, 8);
        }
    }
    int rc = -1;
    if (exec(s, "BEGIN", err) != 0)
        goto out;
    sqlite3_stmt *st = s->insert_cell;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    int i = 1;
    sqlite3_bind_text(st, i++, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, i++, run_id);
    sqlite3_bind_text(st, i++, model->label, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i++, sampler->label, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i++, model->plugin->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i++, model->plugin->version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i++, sampler->plugin->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i++, sampler->plugin->version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, i++, cell->repeat);
    sqlite3_bind_int64(st, i++, cell->fold);
    sqlite3_bind_text(st, i++, seed, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i++, ok ? "ok" : "failed", -1, SQLITE_STATIC);
    if (ok)
        sqlite3_bind_null(st, i++);
    else
        sqlite3_bind_text(st, i++, cell->error, -1, SQLITE_STATIC);
    const size_t counts[] = {cell->fit.rows_before, cell->fit.positives_before,
                             cell->fit.rows_after,  cell->fit.positives_after,
                             cell->n_test,          cell->positives_test};
    for (size_t k = 0; k < 6; k++)
        sqlite3_bind_int64(st, i++, (sqlite3_int64)counts[k]);
    const ll_metrics *m = &cell->metrics;
    bind_real(st, i++, ok ? cell->threshold : NAN);
    const size_t cm[] = {m->cm.tp, m->cm.fp, m->cm.tn, m->cm.fn};
    for (size_t k = 0; k < 4; k++)
        if (ok)
            sqlite3_bind_int64(st, i++, (sqlite3_int64)cm[k]);
        else
            sqlite3_bind_null(st, i++);
    const double v[] = {m->precision, m->recall, m->f1, cell->f1_fixed, m->roc_auc, m->pr_auc,
                        m->mcc, m->balanced_accuracy, m->accuracy};
    for (size_t k = 0; k < 9; k++)
        bind_real(st, i++, ok ? v[k] : NAN);
    bind_real(st, i++, cell->fit.fit_seconds);
    bind_real(st, i++, cell->fit.predict_seconds);
    bind_real(st, i++, cell->seconds);
    sqlite3_bind_text(st, i++, now, -1, SQLITE_STATIC);
    if (cell->inner)
        sqlite3_bind_int64(st, i++, (sqlite3_int64)cell->inner - 1);
    else
        sqlite3_bind_null(st, i++);
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_error(s, err, "cannot store a cell");
        goto rollback;
    }
    if (ok) {
        st = s->insert_scores;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)cell->n_test);
        sqlite3_bind_blob(st, 3, rows, (int)(cell->n_test * 4), SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, scores, (int)(cell->n_test * 8), SQLITE_STATIC);
    } else {
        st = s->delete_scores;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_error(s, err, "cannot store a cell's scores");
        goto rollback;
    }
    if (commit_importances(s, key, cell, err) != 0)
        goto rollback;
    rc = exec(s, "COMMIT", err);
    goto out;
rollback:
    exec(s, "ROLLBACK", NULL);
out:
    free(rows);
    free(scores);
    return rc;
}

/* The outcome columns of a plan-joined-cells row, from column `i` on (status NULL: pending). */
static void read_outcome(sqlite3_stmt *st, int i, ll_cell *cell)
{
    const unsigned char *status = sqlite3_column_text(st, i++);
    if (!status) {
        cell->status = LL_CELL_PENDING;
        return;
    }
    cell->status = strcmp((const char *)status, "ok") ? LL_CELL_FAILED : LL_CELL_OK;
    const unsigned char *error = sqlite3_column_text(st, i++);
    snprintf(cell->error, sizeof cell->error, "%s", error ? (const char *)error : "");
    size_t *counts[] = {&cell->fit.rows_before, &cell->fit.positives_before,
                        &cell->fit.rows_after,  &cell->fit.positives_after,
                        &cell->n_test,          &cell->positives_test};
    for (size_t k = 0; k < 6; k++)
        *counts[k] = (size_t)sqlite3_column_int64(st, i++);
    cell->threshold = column_real(st, i++);
    ll_metrics *m = &cell->metrics;
    size_t *cm[] = {&m->cm.tp, &m->cm.fp, &m->cm.tn, &m->cm.fn};
    for (size_t k = 0; k < 4; k++)
        *cm[k] = (size_t)sqlite3_column_int64(st, i++);
    double *v[] = {&m->precision, &m->recall, &m->f1, &cell->f1_fixed, &m->roc_auc, &m->pr_auc,
                   &m->mcc, &m->balanced_accuracy, &m->accuracy};
    for (size_t k = 0; k < 9; k++)
        *v[k] = column_real(st, i++);
    cell->fit.fit_seconds = column_real(st, i++);
    cell->fit.predict_seconds = column_real(st, i++);
    cell->seconds = column_real(st, i++);
}

/* The importances row of an ok cell, if it has one, into the cell: 0, or -1 when the row is
 * unusable (its values do not match their count) or memory ran out. */
static int load_importances(sqlite3_stmt *q, const char *key, ll_cell *cell)
{
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q) != SQLITE_ROW)
        return 0; /* none were asked for */
    const unsigned char *kind = sqlite3_column_text(q, 0), *note = sqlite3_column_text(q, 3);
    snprintf(cell->importance_note, sizeof cell->importance_note, "%s",
             note ? (const char *)note : "");
    cell->importance_seconds = column_real(q, 4);
    if (!kind)
        return 0;
    sqlite3_int64 n = sqlite3_column_int64(q, 1);
    const unsigned char *vals = sqlite3_column_blob(q, 2);
    size_t bytes = (size_t)sqlite3_column_bytes(q, 2);
    if (n <= 0 || !vals || bytes / 8 != (size_t)n || bytes % 8 ||
        !(cell->importances = malloc(bytes)))
        return -1;
    for (size_t j = 0; j < (size_t)n; j++) {
        uint64_t bits = get_le(vals + 8 * j, 8);
        memcpy(&cell->importances[j], &bits, sizeof bits);
    }
    cell->n_importances = (size_t)n;
    snprintf(cell->importance_kind, sizeof cell->importance_kind, "%s", (const char *)kind);
    return 0;
}

/* Reads one stored cell into `cell` (identity kept); 1 loaded, 0 not stored (or unusable). */
static int load_cell(const ll_run_result *run, sqlite3_stmt *q_cell, sqlite3_stmt *q_scores,
                     sqlite3_stmt *q_imp, ll_cell *cell, int only_ok)
{
    char key[33];
    ll_digest_hex(cell->key, key);
    sqlite3_reset(q_cell);
    sqlite3_bind_text(q_cell, 1, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q_cell) != SQLITE_ROW)
        return 0;
    int ok = !strcmp((const char *)sqlite3_column_text(q_cell, 0), "ok");
    if (!ok && only_ok)
        return 0;
    ll_cell_clear(cell);
    read_outcome(q_cell, 0, cell);
    if (!ok)
        return 1; /* read_outcome marked it failed */
    /* An ok cell is usable only with all its scores, for exactly the plan's test rows. */
    size_t n_rows = 0;
    uint32_t *rows = ll_plan_test_rows(run, cell, &n_rows);
    sqlite3_reset(q_scores);
    sqlite3_bind_text(q_scores, 1, key, -1, SQLITE_TRANSIENT);
    int usable = rows && n_rows == cell->n_test && sqlite3_step(q_scores) == SQLITE_ROW &&
                 (size_t)sqlite3_column_int64(q_scores, 0) == n_rows &&
                 (size_t)sqlite3_column_bytes(q_scores, 1) == 4 * n_rows &&
                 (size_t)sqlite3_column_bytes(q_scores, 2) == 8 * n_rows;
    if (usable && (cell->scores = malloc((n_rows ? n_rows : 1) * sizeof *cell->scores))) {
        const unsigned char *r = sqlite3_column_blob(q_scores, 1);
        const unsigned char *sc = sqlite3_column_blob(q_scores, 2);
        for (size_t k = 0; k < n_rows && usable; k++) {
            uint64_t bits = get_le(sc + 8 * k, 8);
            memcpy(&cell->scores[k], &bits, sizeof bits);
            usable = get_le(r + 4 * k, 4) == rows[k];
        }
    } else {
        usable = 0;
    }
    free(rows);
    if (!usable || load_importances(q_imp, key, cell) != 0) {
        ll_cell_clear(cell);
        return 0;
    }
    cell->status = LL_CELL_OK;
    return 1;
}

int ll_store_load_cells(ll_store *s, ll_run_result *run, int only_ok, ll_error *err)
{
    sqlite3_stmt *q_cell = NULL, *q_scores = NULL, *q_imp = NULL;
    if (prepare(s, "SELECT status, error, train_rows, train_positives, resampled_rows, "
                "resampled_positives, test_rows, test_positives, threshold, tp, fp, tn, fn, "
                "precision, recall, f1, f1_fixed, roc_auc, pr_auc, mcc, balanced_accuracy, "
                "accuracy, fit_seconds, predict_seconds, cell_seconds FROM cells WHERE key = ?1",
                &q_cell, err) != 0 ||
        prepare(s, "SELECT n, rows, scores FROM scores WHERE key = ?1", &q_scores, err) != 0 ||
        prepare(s, "SELECT kind, n, vals, note, seconds FROM importances WHERE key = ?1", &q_imp,
                err) != 0) {
        sqlite3_finalize(q_cell);
        sqlite3_finalize(q_scores);
        return -1;
    }
    for (size_t c = 0; c < run->n_cells; c++) {
        ll_cell_status before = run->cells[c].status;
        if (!load_cell(run, q_cell, q_scores, q_imp, &run->cells[c], only_ok)) {
            ll_cell_clear(&run->cells[c]);
            /* a halving cell nobody asked for stays asleep */
            run->cells[c].status = before == LL_CELL_DORMANT ? LL_CELL_DORMANT : LL_CELL_PENDING;
        }
    }
    sqlite3_finalize(q_cell);
    sqlite3_finalize(q_scores);
    sqlite3_finalize(q_imp);
    return 0;
}

/* ---- leadlab status ---- */

static char *column_strdup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "");
}

void ll_store_status_free(ll_store_status *st)
{
    for (size_t i = 0; i < st->n_rows; i++) {
        free(st->rows[i].config);
        free(st->rows[i].sampler);
    }
    free(st->rows);
    free(st->status);
    free(st->started_at);
    free(st->ended_at);
    free(st->data_file);
    memset(st, 0, sizeof *st);
}

/* Opens DIR/results.db read-only for a reader beside a run (no lock: WAL readers never
 * block the writer) and checks it speaks this leadlab's format. The caller closes s->db. */
static int open_readonly(const char *dir, ll_store *s, ll_error *err)
{
    memset(s, 0, sizeof *s);
    s->lock_fd = -1;
    snprintf(s->path, sizeof s->path, "%s/results.db", dir);
    if (access(s->path, F_OK) != 0)
        return ll_error_set(err, "%s: no result store (has a run written there?)", s->path);
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        ll_error_set(err, "%s: cannot open: %s", s->path,
                     s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 10000);
    char version[32] = "";
    if (query_text(s, "PRAGMA user_version", NULL, version, sizeof version) < 0 ||
        (atoi(version) != LL_STORE_FORMAT && atoi(version) != 2)) { /* 2 reads as 3 */
        ll_error_set(err, "%s: not a result store of this leadlab (format %s, expected %d)",
                     s->path, version[0] ? version : "?", LL_STORE_FORMAT);
        sqlite3_close(s->db);
        return -1;
    }
    return 0;
}

/* Whether a run holds DIR's lock now (asked, not taken: a starting run is never refused). */
static int folder_locked(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.leadlab.lock", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int locked = fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type != F_UNLCK;
    close(fd);
    return locked;
}

/* A run's recorded status as it stands now: "running" with nobody holding the folder means
 * the run was killed. Takes `status` (may be NULL) and returns what replaces it. */
static char *live_status(const char *dir, char *status)
{
    if (status && !strcmp(status, "running") && !folder_locked(dir)) {
        free(status);
        return strdup("killed");
    }
    return status;
}

int ll_store_read_status(const char *dir, ll_store_status *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    ll_store s;
    if (open_readonly(dir, &s, err) != 0)
        return -1;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (prepare(&s, "SELECT id, status, started_at, ended_at, data_file FROM runs "
                "ORDER BY id DESC LIMIT 1", &st, err) != 0)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        ll_error_set(err, "%s: no run recorded yet", s.path);
        goto out;
    }
    out->run_id = sqlite3_column_int64(st, 0);
    out->status = live_status(dir, column_strdup(st, 1));
    out->started_at = column_strdup(st, 2);
    out->ended_at = column_strdup(st, 3);
    out->data_file = column_strdup(st, 4);
    sqlite3_finalize(st);
    st = NULL;
    if (prepare(&s, "SELECT p.config, p.sampler, c.status, c.f1, c.cell_seconds FROM plan p "
                "LEFT JOIN cells c ON c.key = p.key WHERE p.run_id = ?1 ORDER BY p.position",
                &st, err) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, out->run_id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *config = (const char *)sqlite3_column_text(st, 0);
        const char *sampler = (const char *)sqlite3_column_text(st, 1);
        ll_status_row *row = NULL;
        /* Plan positions run through each row's cells in turn: the row is the last one. */
        if (out->n_rows && !strcmp(out->rows[out->n_rows - 1].config, config) &&
            !strcmp(out->rows[out->n_rows - 1].sampler, sampler))
            row = &out->rows[out->n_rows - 1];
        if (!row) {
            ll_status_row *grown = realloc(out->rows, (out->n_rows + 1) * sizeof *grown);
            if (!grown) {
                ll_error_set(err, "out of memory");
                goto out;
            }
            out->rows = grown;
            row = &out->rows[out->n_rows++];
            memset(row, 0, sizeof *row);
            row->config = strdup(config);
            row->sampler = strdup(sampler);
        }
        const unsigned char *status = sqlite3_column_text(st, 2);
        if (!status) {
            row->pending++;
            out->pending++;
        } else if (!strcmp((const char *)status, "ok")) {
            row->done++;
            out->done++;
            row->f1_sum += column_real(st, 3);
            row->seconds += column_real(st, 4);
        } else {
            row->failed++;
            out->failed++;
            row->seconds += column_real(st, 4);
        }
    }
    if (step != SQLITE_DONE) {
        db_error(&s, err, "cannot read the plan");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(s.db);
    if (rc != 0)
        ll_store_status_free(out);
    return rc;
}

/* ---- leadlab show / compare ---- */

void ll_stored_run_free(ll_stored_run *r)
{
    if (r->configs)
        for (size_t i = 0; i < r->run.n_models; i++)
            free(r->configs[i]);
    if (r->samplers)
        for (size_t i = 0; i < r->run.n_samplers; i++)
            free(r->samplers[i]);
    free(r->configs);
    free(r->samplers);
    free(r->status);
    free(r->started_at);
    free(r->command);
    free(r->leadlab_version);
    free(r->data_file);
    free(r->data_hash);
    free(r->fold_rows);
    ll_run_result_free(&r->run);
    memset(r, 0, sizeof *r);
}

/* The index of `label` in list (appended when new); SIZE_MAX when memory runs out. */
static size_t label_index(char ***list, size_t *n, const char *label)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i], label))
            return i;
    char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown)
        return SIZE_MAX;
    *list = grown;
    if (!(grown[*n] = strdup(label)))
        return SIZE_MAX;
    return (*n)++;
}

static int read_run_cells(ll_store *s, ll_stored_run *out, ll_error *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, "SELECT max(repeat) + 1, max(fold) + 1 FROM plan WHERE run_id = ?1", &st,
                err) != 0)
        return -1;
    sqlite3_bind_int64(st, 1, out->run_id);
    sqlite3_step(st);
    ll_run_result *run = &out->run;
    run->repeats = (size_t)sqlite3_column_int64(st, 0);
    run->folds = (size_t)sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    if (prepare(s, "SELECT p.config, p.sampler, p.repeat, p.fold, c.status, c.error, "
                "c.train_rows, c.train_positives, c.resampled_rows, c.resampled_positives, "
                "c.test_rows, c.test_positives, c.threshold, c.tp, c.fp, c.tn, c.fn, "
                "c.precision, c.recall, c.f1, c.f1_fixed, c.roc_auc, c.pr_auc, c.mcc, "
                "c.balanced_accuracy, c.accuracy, c.fit_seconds, c.predict_seconds, "
                "c.cell_seconds FROM plan p LEFT JOIN cells c ON c.key = p.key "
                "WHERE p.run_id = ?1 ORDER BY p.position", &st, err) != 0)
        return -1;
    /* Two passes: the labels give the grid's shape, then each row lands in its cell. */
    for (int pass = 0; pass < 2; pass++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, out->run_id);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            const char *config = (const char *)sqlite3_column_text(st, 0);
            const char *sampler = (const char *)sqlite3_column_text(st, 1);
            size_t m = label_index(&out->configs, &run->n_models, config ? config : "");
            size_t k = label_index(&out->samplers, &run->n_samplers, sampler ? sampler : "");
            if (m == SIZE_MAX || k == SIZE_MAX) {
                sqlite3_finalize(st);
                return ll_error_set(err, "out of memory");
            }
            if (pass == 0)
                continue;
            size_t rep = (size_t)sqlite3_column_int64(st, 2), f = (size_t)sqlite3_column_int64(st, 3);
            if (rep >= run->repeats || f >= run->folds)
                continue;
            read_outcome(st, 4, &run->cells[ll_cell_index(run, m, k, rep, f)]);
        }
        if (step != SQLITE_DONE) {
            sqlite3_finalize(st);
            return db_error(s, err, "cannot read the plan");
        }
        if (pass == 0) {
            run->n_cells = run->n_models * run->n_samplers * run->repeats * run->folds;
            run->cells = calloc(run->n_cells ? run->n_cells : 1, sizeof *run->cells);
            if (!run->cells) {
                sqlite3_finalize(st);
                return ll_error_set(err, "out of memory");
            }
            for (size_t c = 0; c < run->n_cells; c++) {
                ll_cell *cell = &run->cells[c];
                cell->fold = (uint32_t)(c % run->folds);
                cell->repeat = (uint32_t)(c / run->folds % run->repeats);
                cell->sampler = (uint32_t)(c / (run->folds * run->repeats) % run->n_samplers);
                cell->model = (uint32_t)(c / (run->folds * run->repeats * run->n_samplers));
                /* A stored run has no labels to score with: these columns are unknown. */
                for (size_t j = 0; j < sizeof cell->score_metrics / sizeof *cell->score_metrics;
                     j++)
                    cell->score_metrics[j] = NAN;
            }
        }
    }
    sqlite3_finalize(st);
    for (size_t c = 0; c < run->n_cells; c++) {
        ll_cell_status status = run->cells[c].status;
        run->n_ok += status == LL_CELL_OK;
        run->n_failed += status == LL_CELL_FAILED;
        run->n_pending += status == LL_CELL_PENDING;
    }
    return 0;
}

/* Which rows each (repeat, fold) tested: the rows blob of one ok cell of it, hashed. */
static int read_fold_rows(ll_store *s, ll_stored_run *out, ll_error *err)
{
    size_t n = out->run.repeats * out->run.folds;
    out->fold_rows = calloc(n ? n : 1, sizeof *out->fold_rows);
    if (!out->fold_rows)
        return ll_error_set(err, "out of memory");
    sqlite3_stmt *st;
    if (prepare(s, "SELECT sc.rows FROM plan p JOIN cells c ON c.key = p.key "
                "JOIN scores sc ON sc.key = p.key WHERE p.run_id = ?1 AND p.repeat = ?2 "
                "AND p.fold = ?3 AND c.status = 'ok' LIMIT 1", &st, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, out->run_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)(i / out->run.folds));
        sqlite3_bind_int64(st, 3, (sqlite3_int64)(i % out->run.folds));
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        ll_hash h;
        ll_hash_init(&h);
        ll_hash_bytes(&h, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
        out->fold_rows[i] = ll_hash_final(&h);
    }
    sqlite3_finalize(st);
    return 0;
}

/* A run on time-ordered folds (its spec's cv.method) tests its folds on fewer rows than it
 * trains them on, fold by fold: its t-test ratio is the mean over the folds of test rows /
 * training rows, as the plan computed it, here from the first ok cell of each fold. */
static int read_time_ratio(ll_store *s, ll_stored_run *out, ll_error *err)
{
    sqlite3_stmt *st;
    if (prepare(s, "SELECT json_extract(spec_json, '$.cv.method') = 'time' FROM runs "
                "WHERE id = ?1", &st, err) != 0)
        return -1;
    sqlite3_bind_int64(st, 1, out->run_id);
    int time = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    ll_run_result *run = &out->run;
    if (!time)
        return 0;
    run->forward = 1;
    double ratio = 0;
    for (size_t f = 0; f < run->folds; f++) {
        const ll_cell *ok = NULL;
        for (size_t c = 0; c < run->n_cells && !ok; c++)
            if (run->cells[c].fold == f && run->cells[c].status == LL_CELL_OK &&
                run->cells[c].fit.rows_before > 0)
                ok = &run->cells[c];
        if (!ok)
            return 0; /* unknown: the t-test falls back to k-fold's ratio */
        ratio += (double)ok->n_test / (double)ok->fit.rows_before;
    }
    run->test_train_ratio = run->folds ? ratio / (double)run->folds : 0;
    return 0;
}

int ll_store_read_run(const char *dir, ll_stored_run *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    ll_store s;
    if (open_readonly(dir, &s, err) != 0)
        return -1;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (prepare(&s, "SELECT id, status, started_at, command, leadlab_version, data_file, "
                "data_hash FROM runs ORDER BY id DESC LIMIT 1", &st, err) != 0)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        ll_error_set(err, "%s: no run recorded yet", s.path);
        goto out;
    }
    out->run_id = sqlite3_column_int64(st, 0);
    char **texts[] = {&out->status, &out->started_at, &out->command, &out->leadlab_version,
                      &out->data_file, &out->data_hash};
    for (int i = 0; i < 6; i++)
        if (!(*texts[i] = column_strdup(st, i + 1))) {
            ll_error_set(err, "out of memory");
            goto out;
        }
    if (!(out->status = live_status(dir, out->status))) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (read_run_cells(&s, out, err) != 0 || read_fold_rows(&s, out, err) != 0 ||
        read_time_ratio(&s, out, err) != 0)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(s.db);
    if (rc != 0)
        ll_stored_run_free(out);
    return rc;
}
