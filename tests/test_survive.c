/* The runner survives what plugins and users do to it: a plugin that crashes, exits, spins or
 * hogs memory fails its own cells only (process isolation, limits); a run killed with
 * SIGKILL at any point resumes from results.db to byte-identical reports; SIGINT writes a
 * partial leaderboard (a second one abandons the running cells); a changed config reruns only
 * its row; a store from another data file or format is refused; `leadlab status` counts
 * what the store holds. Runs use the `crashy` fixture plugin and small synthetic data. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "store.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

#define SPEC_DATA                                                                             \
    "data: {synth: {rows: 3000, seed: 3}, target: buy, id: id}\n"                             \
    "features: {drop: [created_at, signup_date], columns: {products_purchased: {fill: 0}}}\n" \
    "plugin_path: [" LL_TEST_FIXTURE_PLUGIN_DIR "]\n"

/* ---- clocks and files ---- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        continue;
}

/* FOLDER/NAME, written into buf (a too-long path fails the test). */
static const char *path_in(char *buf, size_t len, const char *folder, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", folder, name);
    ck_assert_msg(n > 0 && (size_t)n < len, "path too long: %s/%s", folder, name);
    return buf;
}

static char *read_in(const char *folder, const char *name)
{
    char path[600];
    char *text = th_read_file(path_in(path, sizeof path, folder, name));
    ck_assert_msg(text != NULL, "missing %s", path);
    return text;
}

/* A new subfolder NAME of the test's folder, written into buf. */
static const char *subdir(char *buf, size_t len, const char *name)
{
    path_in(buf, len, dir, name);
    ck_assert_msg(mkdir(buf, 0777) == 0, "mkdir %s: %s", buf, strerror(errno));
    return buf;
}

/* ---- running leadlab ---- */

/* Starts leadlab with the NULL-terminated argument list in folder `cwd` (so relative spec
 * paths, and with them the command line leaderboard.md quotes, are the same in every
 * folder), stdout and stderr going to cwd/NAME.out and cwd/NAME.err. Returns the pid of the
 * leadlab process itself, so a signal reaches it and nothing else. */
static pid_t start_v(const char *cwd, const char *name, va_list ap)
{
    const char *argv[32];
    int argc = 0;
    argv[argc++] = LL_TEST_LEADLAB_EXE;
    const char *a;
    while ((a = va_arg(ap, const char *)) && argc < 31)
        argv[argc++] = a;
    argv[argc] = NULL;
    char out_path[1024], err_path[1024];
    int n_out = snprintf(out_path, sizeof out_path, "%s/%s.out", cwd, name);
    int n_err = snprintf(err_path, sizeof err_path, "%s/%s.err", cwd, name);
    ck_assert(n_out > 0 && (size_t)n_out < sizeof out_path && n_err > 0 &&
              (size_t)n_err < sizeof err_path);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* only async-signal-safe calls between fork and exec */
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0 || chdir(cwd) != 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static pid_t start_leadlab(const char *cwd, const char *name, ...)
{
    va_list ap;
    va_start(ap, name);
    pid_t pid = start_v(cwd, name, ap);
    va_end(ap);
    return pid;
}

/* Waits up to `limit` seconds for pid; returns its exit code, or 128 + the signal that ended
 * it. A run still going then is killed and fails the test (rather than hanging the suite
 * until CTest's timeout). */
static int wait_exit_within(pid_t pid, double limit)
{
    double start = now_seconds();
    int status;
    pid_t got;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_seconds() - start < limit)
        sleep_ms(5);
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ck_assert_msg(0, "leadlab (pid %ld) still running after %.0f s: killed", (long)pid,
                      limit);
    }
    ck_assert_msg(got == pid, "waitpid %ld: %s", (long)pid, strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Generous for a sanitizer build: every run here takes seconds at most. */
#define RUN_LIMIT_SECONDS 120.0

static int wait_exit(pid_t pid) { return wait_exit_within(pid, RUN_LIMIT_SECONDS); }

/* Runs leadlab to completion in `cwd`; returns the exit code, *out and *err (may be NULL)
 * get its stdout and stderr (the caller frees them). */
static int run_leadlab(const char *cwd, char **out, char **err, ...)
{
    static int counter;
    char name[32];
    snprintf(name, sizeof name, "run%d", counter++);
    va_list ap;
    va_start(ap, err);
    pid_t pid = start_v(cwd, name, ap);
    va_end(ap);
    int rc = wait_exit(pid);
    char path[600];
    snprintf(path, sizeof path, "%s.out", name);
    if (out)
        *out = read_in(cwd, path);
    snprintf(path, sizeof path, "%s.err", name);
    if (err)
        *err = read_in(cwd, path);
    return rc;
}

/* Fails unless `err` is exactly one line containing `needle`. */
static void assert_one_line(const char *err, const char *needle)
{
    ck_assert_msg(err && strstr(err, needle), "expected '%s' on stderr: %s", needle,
                  err ? err : "(none)");
    const char *nl = strchr(err, '\n');
    ck_assert_msg(nl && nl[1] == '\0', "expected exactly one line on stderr: %s", err);
}

/* ---- the store ---- */

/* The one integer `sql` yields from FOLDER/results.db, read-only; -1 when it cannot be read
 * yet (no file, no schema, busy): a run may be starting or committing right now. */
static long long db_try_count(const char *folder, const char *sql)
{
    char path[600];
    path_in(path, sizeof path, folder, "results.db");
    if (access(path, F_OK) != 0)
        return -1;
    sqlite3 *db = NULL;
    long long n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 200);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

/* Same, for a store at rest: failing to read it fails the test. */
static long long db_count(const char *folder, const char *sql)
{
    long long n = db_try_count(folder, sql);
    ck_assert_msg(n >= 0, "%s/results.db: cannot run %s", folder, sql);
    return n;
}

static long long ok_cells(const char *folder)
{
    return db_count(folder, "SELECT count(*) FROM cells WHERE status = 'ok'");
}

static void db_exec(const char *folder, const char *sql)
{
    char path[600];
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path_in(path, sizeof path, folder, "results.db"), &db,
                                     SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
    sqlite3_close(db);
}

/* Polls the store every 20 ms until `sql` counts at least `target` (1), or the process
 * ended first (0); fails the test after `timeout` seconds. */
static int wait_for_count(pid_t pid, const char *folder, const char *sql, long long target,
                          double timeout)
{
    double start = now_seconds();
    for (;;) {
        if (db_try_count(folder, sql) >= target)
            return 1;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            ck_assert_msg(0, "leadlab ended (status %d) before %s reached %lld", status, sql,
                          target);
            return 0;
        }
        if (now_seconds() - start >= timeout) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            ck_assert_msg(0, "%s did not reach %lld in %.0f s", sql, target, timeout);
        }
        sleep_ms(20);
    }
}

/* The folder's lock is free: no process of the last run (scheduler or a worker it forked,
 * which inherits the lock) is still alive. The workers die with a killed scheduler
 * (PR_SET_PDEATHSIG); this waits for them rather than racing them. */
static void wait_lock_free(const char *out_dir)
{
    char path[600];
    path_in(path, sizeof path, out_dir, ".leadlab.lock");
    double start = now_seconds();
    for (;;) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
        int got = flock(fd, LOCK_EX | LOCK_NB) == 0;
        close(fd);
        if (got)
            return;
        ck_assert_msg(now_seconds() - start < 5.0,
                      "%s still locked 5 s after its run was killed", path);
        sleep_ms(10);
    }
}

/* ---- CSV ---- */

/* Splits one CSV record in place (quoted fields unquoted); returns the field count. */
static size_t csv_split(char *line, char **fields, size_t cap)
{
    size_t n = 0;
    char *p = line;
    while (n < cap) {
        char *w = p;
        fields[n++] = w;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else if (!*p) {
                    break;
                } else {
                    *w++ = *p++;
                }
            }
        } else {
            while (*p && *p != ',')
                *w++ = *p++;
        }
        int more = *p == ',';
        *w = '\0';
        if (!more)
            break;
        p++;
    }
    return n;
}

/* A parsed CSV file: its header and rows. */
typedef struct {
    char *text;
    char **lines;
    size_t n_lines;
    char *fields[64][64];
    size_t n_fields[64];
} csv_file;

static csv_file *csv_read(const char *folder, const char *name)
{
    csv_file *c = calloc(1, sizeof *c);
    ck_assert_ptr_nonnull(c);
    c->text = read_in(folder, name);
    char *save = NULL;
    for (char *line = strtok_r(c->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        ck_assert_msg(c->n_lines < 64, "%s: more rows than the test expects", name);
        c->n_fields[c->n_lines] = csv_split(line, c->fields[c->n_lines], 64);
        c->n_lines++;
    }
    ck_assert_msg(c->n_lines > 0, "%s is empty", name);
    return c;
}

static void csv_free(csv_file *c)
{
    free(c->text);
    free(c);
}

static size_t csv_col(const csv_file *c, const char *name)
{
    for (size_t i = 0; i < c->n_fields[0]; i++)
        if (!strcmp(c->fields[0][i], name))
            return i;
    ck_assert_msg(0, "no column '%s'", name);
    return 0;
}

/* Field `col` of row `r` (1-based data rows). */
static const char *csv_get(const csv_file *c, size_t r, const char *col)
{
    size_t k = csv_col(c, col);
    ck_assert_msg(k < c->n_fields[r], "row %zu has no field %s", r, col);
    return c->fields[r][k];
}

/* Fails unless every cells.csv row of `config` has status `status` and an error containing
 * `needle` (NULL: empty error); returns how many rows it checked. */
static size_t expect_cells(const csv_file *cells, const char *config, const char *status,
                           const char *needle)
{
    size_t n = 0;
    for (size_t r = 1; r < cells->n_lines; r++) {
        if (strcmp(csv_get(cells, r, "config"), config))
            continue;
        n++;
        const char *st = csv_get(cells, r, "status"), *error = csv_get(cells, r, "error");
        ck_assert_msg(!strcmp(st, status), "%s fold %s: status %s, expected %s (%s)", config,
                      csv_get(cells, r, "fold"), st, status, error);
        if (needle)
            ck_assert_msg(strstr(error, needle), "%s: error '%s' lacks '%s'", config, error,
                          needle);
        else
            ck_assert_msg(!error[0], "%s: unexpected error '%s'", config, error);
    }
    ck_assert_msg(n > 0, "no cells of %s in cells.csv", config);
    return n;
}

/* Fails unless leaderboard.csv's row of `config` has `cells` cells, none failed or pending. */
static void expect_complete_row(const csv_file *board, const char *config, size_t cells)
{
    for (size_t r = 1; r < board->n_lines; r++)
        if (!strcmp(csv_get(board, r, "config"), config)) {
            ck_assert_str_eq(csv_get(board, r, "failed"), "0");
            ck_assert_str_eq(csv_get(board, r, "pending"), "0");
            ck_assert_uint_eq(strtoul(csv_get(board, r, "cells"), NULL, 10), cells);
            ck_assert_str_eq(csv_get(board, r, "error"), "");
            return;
        }
    ck_assert_msg(0, "no leaderboard row of %s", config);
}

/* ---- a. crashes ---- */

START_TEST(plugin_crashes_fail_only_their_cells)
{
    char path[512];
    th_write_file(dir, "spec.yaml",
                  SPEC_DATA "models:\n  - crashy: {mode: [ok, segv, abort, exit]}\n  - logreg\n"
                            "cv: {folds: 3}\noutput: {dir: out}\n",
                  path, sizeof path);
    char *out = NULL, *err = NULL;
    int rc = run_leadlab(dir, &out, &err, "run", "spec.yaml", "-j", "2", NULL);
    ck_assert_msg(rc == 1, "exit %d (expected 1): %s", rc, err);
    ck_assert_msg(strstr(err, "9 cells failed"), "%s", err);
    char out_dir[512];
    path_in(out_dir, sizeof out_dir, dir, "out");
    csv_file *cells = csv_read(out_dir, "cells.csv");
    ck_assert_uint_eq(cells->n_lines, 1 + 15);
    ck_assert_uint_eq(expect_cells(cells, "crashy(mode=segv)", "failed",
                                   "the worker process crashed: SIGSEGV"), 3);
    ck_assert_uint_eq(expect_cells(cells, "crashy(mode=abort)", "failed",
                                   "the worker process crashed: SIGABRT"), 3);
    ck_assert_uint_eq(expect_cells(cells, "crashy(mode=exit)", "failed",
                                   "the plugin ended the worker process with exit status 3"), 3);
    ck_assert_uint_eq(expect_cells(cells, "crashy(mode=ok)", "ok", NULL), 3);
    ck_assert_uint_eq(expect_cells(cells, "logreg", "ok", NULL), 3);
    csv_free(cells);
    csv_file *board = csv_read(out_dir, "leaderboard.csv");
    ck_assert_uint_eq(board->n_lines, 1 + 5);
    expect_complete_row(board, "crashy(mode=ok)", 3);
    expect_complete_row(board, "logreg", 3);
    csv_free(board);
    /* the store agrees: 6 ok, 9 failed, every failure with its reason */
    ck_assert_int_eq(ok_cells(out_dir), 6);
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM cells WHERE status = 'failed' "
                                       "AND error LIKE '%worker process%'"), 9);
    free(out);
    free(err);
}
END_TEST

/* ---- b. limits ---- */

START_TEST(limits_fail_runaway_and_hungry_cells)
{
    char path[512];
    th_write_file(dir, "spec.yaml",
                  SPEC_DATA "models:\n  - crashy: {mode: [spin, hog]}\n  - logreg\n"
                            "cv: {folds: 2}\nlimits: {cell_seconds: 5, cell_memory_mb: 256}\n"
                            "output: {dir: out}\n",
                  path, sizeof path);
    char *err = NULL;
    double start = now_seconds();
    int rc = run_leadlab(dir, NULL, &err, "run", "spec.yaml", "-j", "2", NULL);
    double took = now_seconds() - start;
    ck_assert_msg(rc == 1, "exit %d (expected 1): %s", rc, err);
    /* the two spinning cells share the two slots for 5 s (long enough for the hog to pass
     * 256 MB first even on a loaded machine); generous for a sanitizer build */
    ck_assert_msg(took < 60, "the limited run took %.1f s", took);
    char out_dir[512];
    path_in(out_dir, sizeof out_dir, dir, "out");
    csv_file *cells = csv_read(out_dir, "cells.csv");
    ck_assert_uint_eq(expect_cells(cells, "crashy(mode=spin)", "failed",
                                   "exceeded limits.cell_seconds = 5 (killed after"), 2);
    ck_assert_uint_eq(expect_cells(cells, "crashy(mode=hog)", "failed",
                                   "exceeded limits.cell_memory_mb = 256 ("), 2);
    ck_assert_uint_eq(expect_cells(cells, "logreg", "ok", NULL), 2);
    csv_free(cells);
    csv_file *board = csv_read(out_dir, "leaderboard.csv");
    expect_complete_row(board, "logreg", 2);
    csv_free(board);
    free(err);
}
END_TEST

/* ---- c. kill -9 and resume ---- */

/* 36 cells of ~150 ms (crashy) and 12 of a few ms (logreg, scheduled last as the cheapest):
 * every kill point below falls while slow cells are still pending, so the kill cannot race
 * the end of the run. */
#define TIMED_SPEC                                                                            \
    SPEC_DATA "models:\n  - crashy: {mode: ok, sleep_ms: [150, 151, 152, 153, 154, 155]}\n"   \
              "  - logreg: {C: [0.1, 1]}\nsamplers: [none, smote]\ncv: {folds: 3}\n"          \
              "output: {dir: out}\n"
#define TIMED_CELLS 48

/* cells.csv without its timing columns (fit_seconds, predict_seconds), one field per
 * unit-separated value, for comparing two runs. */
static char *cells_without_timings(const char *out_dir)
{
    csv_file *c = csv_read(out_dir, "cells.csv");
    size_t fit = csv_col(c, "fit_seconds"), predict = csv_col(c, "predict_seconds");
    ck_assert_uint_eq(predict, fit + 1);
    ck_assert_uint_eq(c->n_fields[0], predict + 2); /* ..., fit, predict, error */
    size_t cap = 1, len = 0; /* (c->text is split into fields by now: measure those) */
    for (size_t r = 0; r < c->n_lines; r++)
        for (size_t k = 0; k < c->n_fields[r]; k++)
            cap += strlen(c->fields[r][k]) + 2;
    char *flat = malloc(cap);
    ck_assert_ptr_nonnull(flat);
    for (size_t r = 0; r < c->n_lines; r++) {
        ck_assert_uint_eq(c->n_fields[r], c->n_fields[0]);
        for (size_t k = 0; k < c->n_fields[r]; k++)
            if (k != fit && k != predict)
                len += (size_t)snprintf(flat + len, cap - len, "%s\x1f", c->fields[r][k]);
        len += (size_t)snprintf(flat + len, cap - len, "\n");
    }
    csv_free(c);
    return flat;
}

/* ok cells keyed by their key, with the run that computed each. */
typedef struct {
    char key[40];
    long long run_id;
} stored_cell;

static size_t ok_keys(const char *folder, stored_cell *out, size_t cap)
{
    char path[600];
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path_in(path, sizeof path, folder, "results.db"), &db,
                                     SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT key, run_id FROM cells WHERE status = 'ok' "
                                            "ORDER BY key", -1, &st, NULL), SQLITE_OK);
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        ck_assert_uint_lt(n, cap);
        snprintf(out[n].key, sizeof out[n].key, "%s", (const char *)sqlite3_column_text(st, 0));
        out[n++].run_id = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* After run `run_id` ended (killed or complete): every cell ok before it is still ok and
 * still attributed to the run that computed it, and the new run computed exactly the rest. */
static void expect_only_new_cells(const char *out_dir, const stored_cell *before,
                                  size_t n_before, long long run_id)
{
    stored_cell after[64];
    size_t n_after = ok_keys(out_dir, after, 64);
    ck_assert_msg(n_after >= n_before, "ok cells went from %zu down to %zu", n_before, n_after);
    for (size_t i = 0; i < n_before; i++) {
        size_t j = 0;
        while (j < n_after && strcmp(after[j].key, before[i].key))
            j++;
        ck_assert_msg(j < n_after, "cell %s was ok and is not any more", before[i].key);
        ck_assert_msg(after[j].run_id == before[i].run_id,
                      "cell %s, ok from run %lld, was recomputed by run %lld", before[i].key,
                      before[i].run_id, after[j].run_id);
    }
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM cells WHERE run_id = %lld", run_id);
    ck_assert_int_eq(db_count(out_dir, sql), (long long)(n_after - n_before));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM cells WHERE run_id = %lld AND status = 'ok'",
             run_id);
    ck_assert_int_eq(db_count(out_dir, sql), (long long)(n_after - n_before));
}

START_TEST(kill_nine_then_resume_is_byte_identical)
{
    /* Two folders with the same spec, run by the same relative command line, so even the
     * command leaderboard.md quotes is the same. A: one uninterrupted run. */
    char a[512], b[512], path[600], a_out[600], b_out[600];
    subdir(a, sizeof a, "A");
    subdir(b, sizeof b, "B");
    th_write_file(a, "spec.yaml", TIMED_SPEC, path, sizeof path);
    th_write_file(b, "spec.yaml", TIMED_SPEC, path, sizeof path);
    path_in(a_out, sizeof a_out, a, "out");
    path_in(b_out, sizeof b_out, b, "out");
    char *err = NULL;
    int rc = run_leadlab(a, NULL, &err, "run", "spec.yaml", "-j", "2", NULL);
    ck_assert_msg(rc == 0, "reference run: exit %d: %s", rc, err);
    free(err);
    ck_assert_int_eq(ok_cells(a_out), TIMED_CELLS);

    /* B: killed with SIGKILL after at least 3, 12 and 24 cells, each time resumed by the next
     * run, then run to completion. */
    const long long kill_at[] = {3, 12, 24};
    stored_cell before[64];
    size_t n_before = 0;
    for (size_t k = 0; k < 3; k++) {
        long long target = kill_at[k] > (long long)n_before ? kill_at[k] : (long long)n_before + 1;
        char name[32];
        snprintf(name, sizeof name, "killed%zu", k);
        pid_t pid = start_leadlab(b, name, "run", "spec.yaml", "-j", "2", NULL);
        wait_for_count(pid, b_out, "SELECT count(*) FROM cells WHERE status = 'ok'", target, 120);
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        rc = wait_exit(pid);
        ck_assert_msg(rc == 128 + SIGKILL, "kill %zu at %lld cells: the run ended with %d first",
                      k, target, rc);
        wait_lock_free(b_out);
        if (k == 0) { /* nobody holds the folder any more: status must not say running */
            char *st = NULL;
            ck_assert_int_eq(run_leadlab(b, &st, NULL, "status", "out", NULL), 0);
            ck_assert_msg(strstr(st, "run 1, killed"), "status after kill -9: %s", st);
            free(st);
        }
        long long c_k = ok_cells(b_out);
        ck_assert_msg(c_k >= target, "kill %zu: %lld ok cells in the store, %lld were seen", k,
                      c_k, target);
        ck_assert_msg(c_k < TIMED_CELLS, "kill %zu came after the last cell (%lld)", k, c_k);
        long long run_id = db_count(b_out, "SELECT max(id) FROM runs");
        ck_assert_int_eq(run_id, (long long)k + 1);
        expect_only_new_cells(b_out, before, n_before, run_id);
        n_before = ok_keys(b_out, before, 64);
        ck_assert_int_eq((long long)n_before, c_k);
    }
    char *out = NULL;
    rc = run_leadlab(b, &out, &err, "run", "spec.yaml", "-j", "2", NULL);
    ck_assert_msg(rc == 0, "final resume: exit %d: %s", rc, err);
    char wrote[128];
    snprintf(wrote, sizeof wrote, "%zu cells run, %zu reused from results.db)",
             TIMED_CELLS - n_before, n_before);
    ck_assert_msg(strstr(out, wrote), "expected '%s' in: %s", wrote, out);
    expect_only_new_cells(b_out, before, n_before, 4);
    ck_assert_int_eq(ok_cells(b_out), TIMED_CELLS);
    ck_assert_int_eq(db_count(b_out, "SELECT count(*) FROM runs WHERE status = 'complete'"), 1);
    /* the three killed runs were marked so when the next run took the folder */
    ck_assert_int_eq(db_count(b_out, "SELECT count(*) FROM runs WHERE status = 'killed'"), 3);
    free(out);
    free(err);

    const char *files[] = {"leaderboard.md", "predictions.csv", "folds.csv"};
    for (size_t f = 0; f < 3; f++) {
        char *ta = read_in(a_out, files[f]), *tb = read_in(b_out, files[f]);
        ck_assert_msg(strcmp(ta, tb) == 0, "%s differs after kill -9 and resume", files[f]);
        free(ta);
        free(tb);
    }
    char *ca = cells_without_timings(a_out), *cb = cells_without_timings(b_out);
    ck_assert_msg(strcmp(ca, cb) == 0, "cells.csv differs (timings aside) after resume");
    free(ca);
    free(cb);
}
END_TEST

/* ---- d. SIGINT ---- */

#define SLOW_MODELS(ms)                                                                       \
    "models:\n  - crashy: {mode: ok, sleep_ms: [" ms "0, " ms "1, " ms "2, " ms "3, " ms "4, " \
    ms "5]}\nsamplers: [none, smote]\ncv: {folds: 3}\noutput: {dir: out}\n"

/* Runs the 36-cell spec (300 ms cells) in `folder` and interrupts it with one SIGINT once at
 * least 2 cells are stored; checks the exit code and the partial outputs. */
static void interrupt_slow_run(const char *folder)
{
    char path[600], out_dir[600];
    th_write_file(folder, "spec.yaml", SPEC_DATA SLOW_MODELS("30"), path, sizeof path);
    path_in(out_dir, sizeof out_dir, folder, "out");
    pid_t pid = start_leadlab(folder, "interrupted", "run", "spec.yaml", "-j", "2", NULL);
    wait_for_count(pid, out_dir, "SELECT count(*) FROM cells WHERE status = 'ok'", 2, 120);
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    int rc = wait_exit(pid);
    char *err = read_in(folder, "interrupted.err");
    ck_assert_msg(rc == 130, "exit %d after SIGINT (expected 130): %s", rc, err);
    ck_assert_msg(strstr(err, "interrupted by SIGINT"), "%s", err);
    free(err);
    long long done = ok_cells(out_dir);
    ck_assert_msg(done >= 2 && done < 36, "%lld cells done after SIGINT", done);
    char *md = read_in(out_dir, "leaderboard.md");
    char head[128];
    snprintf(head, sizeof head, "(incomplete: %lld of 36 cells)", done);
    ck_assert_msg(strstr(md, "incomplete:") && strstr(md, "of 36 cells") && strstr(md, head),
                  "expected '%s' in leaderboard.md:\n%s", head, md);
    free(md);
    char *json = read_in(out_dir, "run.json");
    ck_assert_msg(strstr(json, "\"status\": \"incomplete\""), "%s", json);
    free(json);
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM runs WHERE status = 'incomplete'"),
                     1);
}

START_TEST(sigint_writes_partial_leaderboard)
{
    interrupt_slow_run(dir);
    /* A second SIGINT abandons the running cells: the run ends well before a 5 s cell, with
     * worker processes (killed) and with worker threads (left behind as the process exits). */
    const char *modes[] = {"process", "none"};
    for (size_t m = 0; m < 2; m++) {
        char path[600], out_dir[600];
        th_write_file(dir, "slow.yaml", SPEC_DATA SLOW_MODELS("500"), path, sizeof path);
        path_in(out_dir, sizeof out_dir, dir, "out");
        pid_t pid = start_leadlab(dir, "abandoned", "run", "slow.yaml", "-j", "2", "--fresh",
                                  "--isolation", modes[m], NULL);
        wait_for_count(pid, out_dir, "SELECT count(*) FROM runs", 1, 120);
        sleep_ms(500);
        double start = now_seconds();
        ck_assert_int_eq(kill(pid, SIGINT), 0);
        sleep_ms(200);
        ck_assert_int_eq(kill(pid, SIGINT), 0);
        int rc = wait_exit_within(pid, 20);
        double took = now_seconds() - start;
        char *err = read_in(dir, "abandoned.err");
        ck_assert_msg(rc == 130, "isolation %s: exit %d after two SIGINTs (expected 130): %s",
                      modes[m], rc, err);
        ck_assert_msg(took < 3.0, "isolation %s: the run took %.1f s to end after two SIGINTs",
                      modes[m], took);
        ck_assert_msg(strstr(err, "running cells abandoned"), "%s", err);
        free(err);
        char *md = read_in(out_dir, "leaderboard.md");
        ck_assert_msg(strstr(md, "(incomplete: 0 of 36 cells)"), "%s", md);
        free(md);
        ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM cells"), 0);
        wait_lock_free(out_dir);
    }
}
END_TEST

/* ---- e. a changed row ---- */

START_TEST(resume_reruns_only_changed_rows)
{
    char path[512], out_dir[600];
    th_write_file(dir, "spec.yaml",
                  SPEC_DATA "models:\n  - logreg: {C: [0.1, 1]}\n  - knn: {k: 5}\n"
                            "cv: {folds: 3}\noutput: {dir: out}\n",
                  path, sizeof path);
    path_in(out_dir, sizeof out_dir, dir, "out");
    char *out = NULL, *err = NULL;
    int rc = run_leadlab(dir, &out, &err, "run", "spec.yaml", "-j", "2", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_msg(strstr(out, "9 cells run, 0 reused from results.db)"), "%s", out);
    free(out);
    free(err);
    rc = run_leadlab(dir, &out, &err, "run", "spec.yaml", "-j", "2", "--set", "models.knn.k=7",
                     NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_msg(strstr(out, "3 cells run, 6 reused from results.db)"), "%s", out);
    ck_assert_msg(strstr(out, "knn(k=7)") && !strstr(out, "knn(k=5)"), "%s", out);
    free(out);
    free(err);
    ck_assert_int_eq(db_count(out_dir, "SELECT max(id) FROM runs"), 2);
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM cells WHERE run_id = 2"), 3);
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM cells WHERE run_id = 2 AND "
                                       "config = 'knn(k=7)' AND status = 'ok'"), 3);
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM cells WHERE run_id = 1 AND "
                                       "config LIKE 'logreg%' AND status = 'ok'"), 6);
    /* the k=5 cells stay in the store, for a return to k=5 */
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM cells WHERE config = 'knn(k=5)'"),
                     3);
    /* and the reports hold the rows of this spec only */
    csv_file *board = csv_read(out_dir, "leaderboard.csv");
    ck_assert_uint_eq(board->n_lines, 1 + 3);
    expect_complete_row(board, "knn(k=7)", 3);
    expect_complete_row(board, "logreg(C=0.1)", 3);
    expect_complete_row(board, "logreg(C=1)", 3);
    csv_free(board);
}
END_TEST

/* ---- f. foreign stores ---- */

START_TEST(foreign_store_is_refused)
{
    char path[512], out_dir[600];
    th_write_file(dir, "spec.yaml",
                  SPEC_DATA "models: [logreg]\ncv: {folds: 3}\noutput: {dir: out}\n", path,
                  sizeof path);
    path_in(out_dir, sizeof out_dir, dir, "out");
    char *err = NULL;
    int rc = run_leadlab(dir, NULL, &err, "run", "spec.yaml", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    free(err);
    char *data_before = read_in(out_dir, "synthetic_train.csv");
    rc = run_leadlab(dir, NULL, &err, "run", "spec.yaml", "--set", "data.synth.seed=4", NULL);
    ck_assert_msg(rc == 2, "exit %d for another data file (expected 2): %s", rc, err);
    assert_one_line(err, "holds results computed from another data file");
    free(err);
    /* the refused run generated its data aside and left the folder's data as it was */
    char *data_after = read_in(out_dir, "synthetic_train.csv");
    ck_assert_msg(strcmp(data_before, data_after) == 0,
                  "a refused run replaced the folder's synthetic data");
    free(data_before);
    free(data_after);
    char tmp_pattern[700];
    snprintf(tmp_pattern, sizeof tmp_pattern, "ls %s/*.tmp 2>/dev/null | wc -l", out_dir);
    FILE *ls = popen(tmp_pattern, "r");
    int leftovers = -1;
    ck_assert_ptr_nonnull(ls);
    ck_assert_int_eq(fscanf(ls, "%d", &leftovers), 1);
    pclose(ls);
    ck_assert_msg(leftovers == 0, "%d temporary data files left in %s", leftovers, out_dir);
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM runs"), 1);
    db_exec(out_dir, "PRAGMA user_version = 99");
    rc = run_leadlab(dir, NULL, &err, "run", "spec.yaml", NULL);
    ck_assert_msg(rc == 2, "exit %d for a store of format 99 (expected 2): %s", rc, err);
    assert_one_line(err, "result store format");
    free(err);
    rc = run_leadlab(dir, NULL, &err, "run", "spec.yaml", "--fresh", NULL);
    ck_assert_msg(rc == 0, "--fresh: exit %d: %s", rc, err);
    free(err);
    ck_assert_int_eq(db_count(out_dir, "PRAGMA user_version"), LL_STORE_FORMAT);
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(ok_cells(out_dir), 3);
    /* A format-2 store (no cells.inner_fold) is upgraded in place and its cells reused. */
    db_exec(out_dir, "ALTER TABLE cells DROP COLUMN inner_fold; PRAGMA user_version = 2");
    rc = run_leadlab(dir, NULL, &err, "run", "spec.yaml", NULL);
    ck_assert_msg(rc == 0, "format 2: exit %d: %s", rc, err);
    free(err);
    ck_assert_int_eq(db_count(out_dir, "PRAGMA user_version"), LL_STORE_FORMAT);
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM runs"), 2);
    ck_assert_int_eq(db_count(out_dir, "SELECT count(*) FROM cells WHERE inner_fold IS NULL"), 3);
}
END_TEST

/* ---- g. status ---- */

START_TEST(status_reports_rows)
{
    interrupt_slow_run(dir);
    char out_dir[600];
    path_in(out_dir, sizeof out_dir, dir, "out");
    long long done = ok_cells(out_dir);
    long long failed = db_count(out_dir, "SELECT count(*) FROM cells WHERE status = 'failed'");
    char *out = NULL, *err = NULL;
    int rc = run_leadlab(dir, &out, &err, "status", "out", NULL);
    ck_assert_msg(rc == 0, "status: exit %d: %s", rc, err);
    char line[128];
    snprintf(line, sizeof line, "cells: %lld done, %lld failed, %lld pending, of 36", done,
             failed, 36 - done - failed);
    ck_assert_msg(strstr(out, line), "expected '%s' in:\n%s", line, out);
    ck_assert_msg(strstr(out, "incomplete"), "%s", out);
    /* one line per row (6 configs x 2 samplers): done, failed, pending, mean F1, seconds */
    size_t rows = 0;
    long long sum_done = 0, sum_pending = 0;
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        long d, f, p;
        if (strstr(l, "crashy(") && sscanf(l, "%ld %ld %ld", &d, &f, &p) == 3) {
            rows++;
            ck_assert_int_eq(d + f + p, 3);
            sum_done += d;
            sum_pending += p;
        }
    }
    ck_assert_uint_eq(rows, 12);
    ck_assert_int_eq(sum_done, done);
    ck_assert_int_eq(sum_pending, 36 - done - failed);
    ck_assert_int_gt(sum_pending, 0);
    free(out);
    free(err);
    rc = run_leadlab(dir, NULL, &err, "status", "/nonexistent", NULL);
    ck_assert_msg(rc == 2, "status /nonexistent: exit %d (expected 2)", rc);
    assert_one_line(err, "/nonexistent");
    free(err);
}
END_TEST

int main(void)
{
    /* Under AddressSanitizer a worker's SIGSEGV would be caught and turned into exit code 1:
     * let the runner see the signal a release build sees. Every leadlab the suite starts
     * inherits this; no effect on a build without sanitizers. */
    const char *asan = getenv("ASAN_OPTIONS");
    char options[1024];
    snprintf(options, sizeof options, "%s%shandle_segv=0:handle_abort=0",
             asan && *asan ? asan : "", asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", options, 1);
    Suite *s = suite_create("survive");
    TCase *tc = tcase_create("survive");
    tcase_set_timeout(tc, 0);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, plugin_crashes_fail_only_their_cells);
    tcase_add_test(tc, limits_fail_runaway_and_hungry_cells);
    tcase_add_test(tc, kill_nine_then_resume_is_byte_identical);
    tcase_add_test(tc, sigint_writes_partial_leaderboard);
    tcase_add_test(tc, resume_reruns_only_changed_rows);
    tcase_add_test(tc, foreign_store_is_refused);
    tcase_add_test(tc, status_reports_rows);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
