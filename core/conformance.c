/* leadlab plugin conformance (see conformance.h). The parent process loads the plugin and
 * generates the data but never calls plugin code: every check forks a child that does, and
 * reports its results over a pipe, so GCC's OpenMP runtime (not fork-safe once started) only
 * ever starts in children, and a crash or hang costs one check. */
#define _GNU_SOURCE /* sigabbrev_np: "SIGSEGV" for the crash detail */
#include "conformance.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "blob.h"
#include "fit.h"
#include "leadlab/rng.h"
#include "params.h"
#include "registry.h"

/* Small enough that the slowest built-in model passes every check in seconds, even under the
 * sanitizers; big enough for ~30 positives. */
enum { TRAIN_ROWS = 300, TEST_ROWS = 100, N_COLS = 6 };

/* Names of the properties, as printed. */
#define P_SCHEMA "parameter schema"
#define P_FIT "fit and predict"
#define P_RANGE "probabilities in [0, 1]"
#define P_UNTOUCHED "data left untouched"
#define P_SEED "same seed, same scores"
#define P_THREADS "1 vs N threads, same scores"
#define P_SAVE "save/load round trip"
#define P_TRUNC "truncated saves refused"
#define P_IMPORTANCES "importances"
#define P_TINY "edge: one row per class"
#define P_CONST "edge: constant column"
#define P_SINGLE "edge: single class in training"
#define P_EMPTY_TEST "edge: zero test rows"
#define P_COLS "edge: different column count"
#define P_RESAMPLE "resample"
#define P_SHAPE "output shape"
#define P_ALLOC "output allocated as reported"
#define P_LABELS "labels 0 or 1"
#define P_FINITE "values finite"
#define P_CLASSES "both classes kept"
#define P_INPUT "input left untouched"
#define P_SAMPLER_SEED "same seed, same output"
#define P_SAMPLER_THREADS "1 vs N threads, same output"
#define P_EMPTY_INPUT "edge: zero rows"

/* ---- data ---- */

/* An owned matrix, every buffer malloc'd at its exact size so that a plugin reading past the
 * rows or columns it was given trips the sanitizers. y is NULL for rows to score. */
typedef struct {
    double *x;
    uint8_t *y;
    size_t n_rows, n_cols;
} table;

/* One spare entry: the wider test matrix of the column-count check. */
static const char *const col_names[N_COLS + 1] = {"signal_a", "signal_b", "signal_c",
                                                  "flag", "noise_a", "noise_b", "extra"};
static const uint8_t col_binary[N_COLS + 1] = {0, 0, 0, 1, 0, 0, 0};

static ll_data view(const table *t)
{
    return (ll_data){t->x, t->y, t->n_rows, t->n_cols, col_binary, col_names};
}

static void table_free(table *t)
{
    free(t->x);
    free(t->y);
    memset(t, 0, sizeof *t);
}

/* Never a NULL buffer, even for zero rows: a zero-row view still points somewhere. */
static int table_alloc(table *t, size_t n_rows, size_t n_cols, int labelled)
{
    memset(t, 0, sizeof *t);
    size_t cells = n_rows * n_cols;
    t->x = malloc((cells ? cells : 1) * sizeof *t->x);
    t->y = labelled ? malloc(n_rows ? n_rows : 1) : NULL;
    t->n_rows = n_rows;
    t->n_cols = n_cols;
    if (!t->x || (labelled && !t->y)) {
        table_free(t);
        return -1;
    }
    return 0;
}

static int table_copy(table *dst, const table *src)
{
    if (table_alloc(dst, src->n_rows, src->n_cols, src->y != NULL) != 0)
        return -1;
    memcpy(dst->x, src->x, src->n_rows * src->n_cols * sizeof *src->x);
    if (src->y)
        memcpy(dst->y, src->y, src->n_rows);
    return 0;
}

/* Two-class rows, ~10 % positive: three informative columns, a 0/1 flag that leans towards
 * the positives, and two noise columns of different scales. */
static int generate(table *t, size_t n_rows, int labelled, ll_rng *rng)
{
    if (table_alloc(t, n_rows, N_COLS, labelled) != 0)
        return -1;
    for (size_t i = 0; i < n_rows; i++) {
        int pos = ll_rng_uniform(rng) < 0.1;
        if (labelled && i < 2)
            pos = i == 0; /* both classes whatever the seed */
        double *row = t->x + i * N_COLS;
        row[0] = ll_rng_normal(rng) + 1.5 * pos;
        row[1] = ll_rng_normal(rng) + 1.0 * pos;
        row[2] = ll_rng_normal(rng) - 0.8 * pos;
        row[3] = ll_rng_uniform(rng) < (pos ? 0.6 : 0.2) ? 1.0 : 0.0;
        row[4] = ll_rng_normal(rng);
        row[5] = 3.0 * ll_rng_normal(rng);
        if (labelled)
            t->y[i] = (uint8_t)pos;
    }
    return 0;
}

static size_t count_positive(const uint8_t *y, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += y[i] == 1;
    return k;
}

/* ---- the checker and its messages ---- */

typedef struct {
    const ll_plugin *plugin;
    const ll_host *host;
    ll_params *params; /* the configuration run; NULL when there is none to run */
    ll_check_options opt;
    table train, test;
    uint64_t seed; /* handed to every fit and resample */
    /* The first check's output (a model's test scores as one column, a sampler's rows), which
     * later checks compare against: their processes inherit it. */
    int have_ref;
    table ref;
    int fd; /* in a check's process: the pipe to the parent */
    ll_check_fn on_result;
    void *ctx;
    ll_check_summary *summary;
} checker;

enum { MSG_RESULT = 1, MSG_STAGE, MSG_REFERENCE, MSG_DONE };

/* MSG_RESULT carries a result; MSG_STAGE the plugin call about to run (in result.detail), so
 * a crash can say where; MSG_REFERENCE is followed by n_rows * n_cols doubles and, when
 * labelled, n_rows labels. */
typedef struct {
    uint32_t kind;
    ll_check_result result;
    uint64_t n_rows, n_cols, labelled;
} message;

/* Child side. A parent that went away ends the child. */
static void send_bytes(int fd, const void *bytes, size_t n)
{
    const char *p = bytes;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(1);
        p += w;
        n -= (size_t)w;
    }
}

/* Control characters out: a detail is one printed line. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

static void emit(checker *c, const char *name, ll_check_outcome outcome, const char *fmt, ...)
    LL_PRINTF(4, 5);
static void emit(checker *c, const char *name, ll_check_outcome outcome, const char *fmt, ...)
{
    message m;
    memset(&m, 0, sizeof m);
    m.kind = MSG_RESULT;
    snprintf(m.result.name, sizeof m.result.name, "%s", name);
    m.result.outcome = outcome;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m.result.detail, sizeof m.result.detail, fmt, ap);
    va_end(ap);
    one_line(m.result.detail);
    send_bytes(c->fd, &m, sizeof m);
}

static void stage(checker *c, const char *what)
{
    message m;
    memset(&m, 0, sizeof m);
    m.kind = MSG_STAGE;
    snprintf(m.result.detail, sizeof m.result.detail, "%s", what);
    send_bytes(c->fd, &m, sizeof m);
}

static void send_reference(checker *c, const table *t)
{
    message m;
    memset(&m, 0, sizeof m);
    m.kind = MSG_REFERENCE;
    m.n_rows = t->n_rows;
    m.n_cols = t->n_cols;
    m.labelled = t->y != NULL;
    send_bytes(c->fd, &m, sizeof m);
    send_bytes(c->fd, t->x, t->n_rows * t->n_cols * sizeof *t->x);
    if (t->y)
        send_bytes(c->fd, t->y, t->n_rows);
}

/* ---- plugin calls and what they returned ---- */

static const char *status_name(ll_status st)
{
    switch (st) {
    case LL_OK: return "LL_OK";
    case LL_EINVAL: return "LL_EINVAL";
    case LL_ENOMEM: return "LL_ENOMEM";
    case LL_ENUMERIC: return "LL_ENUMERIC";
    case LL_EFAIL: return "LL_EFAIL";
    }
    return "an unknown status";
}

/* "STEP: STATUS: MESSAGE" for a failed call; the message bounded, whatever the plugin wrote. */
static const char *describe(char *buf, size_t len, const char *step, ll_status st, ll_err *err)
{
    err->msg[sizeof err->msg - 1] = '\0';
    if (err->msg[0])
        snprintf(buf, len, "%s: %s: %s", step, status_name(st), err->msg);
    else
        snprintf(buf, len, "%s: %s without a message", step, status_name(st));
    return buf;
}

/* Whether a failed call failed the way the ABI asks: a known error status and a message. */
static int clean_refusal(ll_status st, ll_err *err)
{
    err->msg[sizeof err->msg - 1] = '\0';
    return st >= LL_EINVAL && st <= LL_EFAIL && err->msg[0];
}

/* create + fit on `train`; on failure *step names the call and nothing is left to destroy. */
static ll_status fit_model(checker *c, const table *train, int threads, void **state,
                           ll_err *err, const char **step)
{
    const ll_model_vt *vt = c->plugin->model;
    ll_data data = view(train);
    *state = NULL;
    memset(err, 0, sizeof *err);
    *step = "create";
    stage(c, "create");
    ll_status st = vt->create(c->host, c->params, state, err);
    if (st == LL_OK) {
        *step = "fit";
        stage(c, "fit");
        st = vt->fit(*state, &data, c->seed, threads, err);
    }
    if (st != LL_OK) {
        stage(c, "destroy");
        vt->destroy(*state);
        *state = NULL;
    }
    return st;
}

/* A score buffer of n entries plus one, all holding a sentinel NaN: a row the plugin left
 * unwritten is not a probability, and a write past the rows it was given is caught in any
 * build. */
static const uint64_t SENTINEL_BITS = 0x7ff8dead5e17e1a5ull; /* a NaN no computation returns */

static double *new_scores(size_t n)
{
    double *s = malloc((n + 1) * sizeof *s);
    for (size_t i = 0; s && i <= n; i++)
        memcpy(&s[i], &SENTINEL_BITS, sizeof SENTINEL_BITS);
    return s;
}

static int sentinel_intact(const double *s, size_t n)
{
    return memcmp(&s[n], &SENTINEL_BITS, sizeof SENTINEL_BITS) == 0;
}

/* A score as a detail shows it. */
static const char *score_text(char *buf, size_t len, double v)
{
    if (memcmp(&v, &SENTINEL_BITS, sizeof v) == 0)
        snprintf(buf, len, "not written");
    else
        snprintf(buf, len, "%g", v);
    return buf;
}

static ll_status predict(checker *c, void *state, const table *rows, int threads, double *out,
                         ll_err *err)
{
    ll_data data = view(rows);
    memset(err, 0, sizeof *err);
    stage(c, "predict_proba");
    return c->plugin->model->predict_proba(state, &data, threads, out, err);
}

/* The first row that is not a probability, or n. */
static size_t first_invalid(const double *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(p[i] >= 0.0 && p[i] <= 1.0))
            return i;
    return n;
}

/* The first of n doubles that differs bit for bit, or n. */
static size_t first_difference(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i]) != 0)
            return i;
    return n;
}

/* "0.25 vs 0.31", with every digit when the short forms look alike. */
static const char *pair(char *buf, size_t len, double a, double b)
{
    char sa[32], sb[32];
    snprintf(sa, sizeof sa, "%g", a);
    snprintf(sb, sizeof sb, "%g", b);
    if (strcmp(sa, sb) == 0)
        snprintf(buf, len, "%.17g vs %.17g", a, b);
    else
        snprintf(buf, len, "%s vs %s", sa, sb);
    return buf;
}

/* ---- model checks (each runs in its own process) ---- */

static void check_fit(checker *c)
{
    const ll_model_vt *vt = c->plugin->model;
    table train_copy, test_copy;
    size_t n = c->test.n_rows;
    double *scores = new_scores(n);
    if (table_copy(&train_copy, &c->train) != 0 || table_copy(&test_copy, &c->test) != 0 ||
        !scores) {
        emit(c, P_FIT, LL_CHECK_FAIL, "the checker ran out of memory");
        return;
    }
    void *state;
    ll_err err;
    const char *step;
    char why[400], value[32];
    ll_status st = fit_model(c, &c->train, 1, &state, &err, &step);
    if (st == LL_OK) {
        step = "predict_proba";
        st = predict(c, state, &c->test, 1, scores, &err);
    }
    if (st != LL_OK) {
        emit(c, P_FIT, LL_CHECK_FAIL, "%s", describe(why, sizeof why, step, st, &err));
        emit(c, P_RANGE, LL_CHECK_SKIP, "needs a fitted model");
    } else {
        emit(c, P_FIT, LL_CHECK_PASS, "%zu training rows (%zu positive), %zu test rows, %d columns",
             c->train.n_rows, count_positive(c->train.y, c->train.n_rows), n, N_COLS);
        size_t bad = first_invalid(scores, n);
        if (!sentinel_intact(scores, n))
            emit(c, P_RANGE, LL_CHECK_FAIL, "wrote out[%zu], past the %zu rows it was given", n, n);
        else if (bad < n)
            emit(c, P_RANGE, LL_CHECK_FAIL, "row %zu: %s", bad,
                 score_text(value, sizeof value, scores[bad]));
        else
            emit(c, P_RANGE, LL_CHECK_PASS, "%zu rows", n);
        send_reference(c, &(table){scores, NULL, n, 1});
    }
    stage(c, "destroy");
    vt->destroy(state);
    size_t cells = c->train.n_rows * N_COLS;
    if (memcmp(train_copy.x, c->train.x, cells * sizeof *train_copy.x) != 0 ||
        memcmp(train_copy.y, c->train.y, c->train.n_rows) != 0)
        emit(c, P_UNTOUCHED, LL_CHECK_FAIL, "fit changed the training rows it borrowed");
    else if (memcmp(test_copy.x, c->test.x, n * N_COLS * sizeof *test_copy.x) != 0)
        emit(c, P_UNTOUCHED, LL_CHECK_FAIL, "predict_proba changed the rows it scored");
    else
        emit(c, P_UNTOUCHED, LL_CHECK_PASS, "training and test rows unchanged");
}

/* Fits and scores the test rows with `threads`; 0, or -1 with the reason in why. */
static int fit_and_score(checker *c, int threads, double *scores, char *why, size_t len)
{
    void *state;
    ll_err err;
    const char *step;
    ll_status st = fit_model(c, &c->train, threads, &state, &err, &step);
    if (st == LL_OK) {
        step = "predict_proba";
        st = predict(c, state, &c->test, threads, scores, &err);
    }
    stage(c, "destroy");
    c->plugin->model->destroy(state);
    if (st != LL_OK) {
        describe(why, len, step, st, &err);
        return -1;
    }
    return 0;
}

/* Two fits in one process: a plugin whose scores depend on what ran before (a global counter,
 * an unseeded generator) differs the second time. */
static void check_seed(checker *c)
{
    size_t n = c->test.n_rows;
    double *a = new_scores(n), *b = new_scores(n);
    char why[400], diff[80];
    if (!a || !b)
        emit(c, P_SEED, LL_CHECK_FAIL, "the checker ran out of memory");
    else if (fit_and_score(c, c->opt.threads, a, why, sizeof why) != 0 ||
             fit_and_score(c, c->opt.threads, b, why, sizeof why) != 0)
        emit(c, P_SEED, LL_CHECK_FAIL, "%s", why);
    else {
        size_t i = first_difference(a, b, n);
        if (i < n)
            emit(c, P_SEED, LL_CHECK_FAIL, "row %zu: %s", i, pair(diff, sizeof diff, a[i], b[i]));
        else
            emit(c, P_SEED, LL_CHECK_PASS, "2 fits with %d threads, %zu rows bit-identical",
                 c->opt.threads, n);
    }
}

/* N threads in a fresh process against the first check's single-threaded scores. */
static void check_threads(checker *c)
{
    size_t n = c->test.n_rows;
    double *s = new_scores(n);
    char why[400], diff[80];
    if (!s) {
        emit(c, P_THREADS, LL_CHECK_FAIL, "the checker ran out of memory");
        return;
    }
    if (fit_and_score(c, c->opt.threads, s, why, sizeof why) != 0) {
        emit(c, P_THREADS, LL_CHECK_FAIL, "with %d threads: %s", c->opt.threads, why);
        return;
    }
    size_t i = first_difference(c->ref.x, s, n);
    if (i < n)
        emit(c, P_THREADS, LL_CHECK_FAIL, "row %zu: %s with 1 and %d threads", i,
             pair(diff, sizeof diff, c->ref.x[i], s[i]), c->opt.threads);
    else
        emit(c, P_THREADS, LL_CHECK_PASS, "1 and %d threads, %zu rows bit-identical",
             c->opt.threads, n);
}

/* Saves a fitted model, destroys it and frees its parameters (a loaded model must not need
 * them), loads the bytes and scores again (1 thread both times: threads have their own
 * check); then loads every truncation of the bytes (a sample of them for a big model), each of
 * which must be refused with a message. */
static void check_save(checker *c)
{
    const ll_model_vt *vt = c->plugin->model;
    size_t n = c->test.n_rows;
    double *before = new_scores(n), *after = new_scores(n);
    void *state;
    ll_err err;
    const char *step;
    char why[400], diff[80];
    if (!before || !after) {
        emit(c, P_SAVE, LL_CHECK_FAIL, "the checker ran out of memory");
        return;
    }
    ll_status st = fit_model(c, &c->train, c->opt.threads, &state, &err, &step);
    if (st == LL_OK) {
        step = "predict_proba";
        st = predict(c, state, &c->test, 1, before, &err);
    }
    ll_blob blob = {0};
    ll_writer w = ll_blob_writer(&blob);
    if (st == LL_OK) {
        step = "save";
        memset(&err, 0, sizeof err);
        stage(c, "save");
        st = vt->save(state, &w, &err);
    }
    stage(c, "destroy");
    vt->destroy(state);
    if (st != LL_OK) {
        emit(c, P_SAVE, LL_CHECK_FAIL, "%s", describe(why, sizeof why, step, st, &err));
        emit(c, P_TRUNC, LL_CHECK_SKIP, "needs saved bytes");
        return;
    }
    if (blob.failed) {
        emit(c, P_SAVE, LL_CHECK_FAIL, "the checker ran out of memory");
        return;
    }
    ll_params_free(c->params);
    c->params = NULL;

    ll_span span = {blob.data, blob.len, 0};
    ll_reader r = ll_span_reader(&span);
    void *loaded = NULL;
    memset(&err, 0, sizeof err);
    stage(c, "load");
    st = vt->load(c->host, &r, &loaded, &err);
    if (st == LL_OK && span.pos != span.len) {
        emit(c, P_SAVE, LL_CHECK_FAIL, "load read %zu of the %zu bytes save wrote", span.pos,
             span.len);
    } else if (st != LL_OK) {
        emit(c, P_SAVE, LL_CHECK_FAIL, "%s", describe(why, sizeof why, "load", st, &err));
    } else if ((st = predict(c, loaded, &c->test, 1, after, &err)) != LL_OK) {
        emit(c, P_SAVE, LL_CHECK_FAIL, "%s",
             describe(why, sizeof why, "predict_proba after load", st, &err));
    } else {
        size_t i = first_difference(before, after, n);
        if (i < n)
            emit(c, P_SAVE, LL_CHECK_FAIL, "row %zu: %s before save and after load", i,
                 pair(diff, sizeof diff, before[i], after[i]));
        else
            emit(c, P_SAVE, LL_CHECK_PASS, "%zu bytes, %zu rows bit-identical after load",
                 blob.len, n);
    }
    stage(c, "destroy");
    vt->destroy(loaded);

    size_t step_bytes = blob.len > 4096 ? blob.len / 2048 : 1, tried = 0;
    stage(c, "load of a truncated save");
    for (size_t cut = 0; cut < blob.len; cut += step_bytes, tried++) {
        ll_span part = {blob.data, cut, 0};
        ll_reader pr = ll_span_reader(&part);
        void *bad = NULL;
        memset(&err, 0, sizeof err);
        st = vt->load(c->host, &pr, &bad, &err);
        if (st == LL_OK) {
            vt->destroy(bad);
            emit(c, P_TRUNC, LL_CHECK_FAIL, "load accepted the first %zu of %zu bytes", cut,
                 blob.len);
            return;
        }
        if (!clean_refusal(st, &err)) {
            emit(c, P_TRUNC, LL_CHECK_FAIL, "%s",
                 describe(why, sizeof why, "load of a truncated save", st, &err));
            return;
        }
        if (bad) {
            emit(c, P_TRUNC, LL_CHECK_FAIL, "a refused load of %zu bytes left a state behind",
                 cut);
            return;
        }
    }
    emit(c, P_TRUNC, LL_CHECK_PASS, "%zu truncations of %zu bytes refused", tried, blob.len);
}

static void check_importances(checker *c)
{
    const ll_model_vt *vt = c->plugin->model;
    void *state;
    ll_err err;
    const char *step;
    char why[400], value[32];
    ll_status st = fit_model(c, &c->train, 1, &state, &err, &step);
    if (st != LL_OK) {
        emit(c, P_IMPORTANCES, LL_CHECK_FAIL, "%s", describe(why, sizeof why, step, st, &err));
        return;
    }
    /* Room for a wider call; NaN everywhere, so a value not written is not finite and the one
     * after the n_cols it may write is a sentinel. */
    double out[N_COLS + 2];
    for (size_t j = 0; j < N_COLS + 2; j++)
        memcpy(&out[j], &SENTINEL_BITS, sizeof SENTINEL_BITS);
    memset(&err, 0, sizeof err);
    stage(c, "importances");
    st = vt->importances(state, N_COLS, out, &err);
    int own = st == LL_OK;
    char found[300] = "";
    if (own) {
        const char *kind = vt->importance_kind;
        for (size_t j = 0; j < N_COLS && !found[0]; j++)
            if (!(isfinite(out[j]) && out[j] >= 0.0))
                snprintf(found, sizeof found, "feature %zu (%s): %s", j, col_names[j],
                         score_text(value, sizeof value, out[j]));
        if (!found[0] && memcmp(&out[N_COLS], &SENTINEL_BITS, sizeof SENTINEL_BITS) != 0)
            snprintf(found, sizeof found, "wrote out[%d], past the %d features", N_COLS, N_COLS);
        if (!found[0] && (!kind || !kind[0]))
            snprintf(found, sizeof found, "importance_kind does not name the measure");
    } else if (!clean_refusal(st, &err)) {
        snprintf(found, sizeof found, "%s", describe(why, sizeof why, "importances", st, &err));
    }
    /* A caller's wrong count must be refused, whether or not this configuration has any. */
    for (size_t k = 0; k < 2 && !found[0]; k++) {
        size_t wrong = k ? N_COLS - 1 : N_COLS + 1;
        ll_err werr = {{0}};
        if (vt->importances(state, wrong, out, &werr) == LL_OK)
            snprintf(found, sizeof found, "accepted n_cols = %zu for a model fitted on %d "
                     "columns", wrong, N_COLS);
    }
    stage(c, "destroy");
    vt->destroy(state);
    if (found[0])
        emit(c, P_IMPORTANCES, LL_CHECK_FAIL, "%s", found);
    else if (own)
        emit(c, P_IMPORTANCES, LL_CHECK_PASS, "%d finite non-negative values (%s); a wrong "
             "n_cols refused", N_COLS, vt->importance_kind);
    else
        emit(c, P_IMPORTANCES, LL_CHECK_PASS, "declined for this configuration, so the host "
             "permutes: %s; a wrong n_cols refused", err.msg);
}

/* An edge case of training: a clean refusal or valid probabilities for the test rows. */
static void edge_fit(checker *c, const char *name, const table *train)
{
    size_t n = c->test.n_rows;
    double *scores = new_scores(n);
    void *state;
    ll_err err;
    const char *step;
    char why[400], value[32];
    if (!scores) {
        emit(c, name, LL_CHECK_FAIL, "the checker ran out of memory");
        return;
    }
    ll_status st = fit_model(c, train, 1, &state, &err, &step);
    if (st == LL_OK) {
        step = "predict_proba";
        st = predict(c, state, &c->test, 1, scores, &err);
        stage(c, "destroy");
        c->plugin->model->destroy(state);
    }
    size_t bad = st == LL_OK ? first_invalid(scores, n) : 0;
    if (st != LL_OK && clean_refusal(st, &err))
        emit(c, name, LL_CHECK_PASS, "refused: %s", err.msg);
    else if (st != LL_OK)
        emit(c, name, LL_CHECK_FAIL, "%s", describe(why, sizeof why, step, st, &err));
    else if (!sentinel_intact(scores, n))
        emit(c, name, LL_CHECK_FAIL, "wrote out[%zu], past the %zu rows it was given", n, n);
    else if (bad < n)
        emit(c, name, LL_CHECK_FAIL, "accepted, then scored row %zu: %s", bad,
             score_text(value, sizeof value, scores[bad]));
    else
        emit(c, name, LL_CHECK_PASS, "valid probabilities for %zu rows", n);
}

/* The first positive and the first negative training row. */
static int tiny_table(const table *train, table *t)
{
    if (table_alloc(t, 2, N_COLS, 1) != 0)
        return -1;
    for (uint8_t label = 0; label < 2; label++)
        for (size_t i = 0; i < train->n_rows; i++)
            if (train->y[i] == label) {
                memcpy(t->x + label * N_COLS, train->x + i * N_COLS, N_COLS * sizeof *t->x);
                t->y[label] = label;
                break;
            }
    return 0;
}

/* The training rows with column 2 set to one value. */
static int constant_table(const table *train, table *t)
{
    if (table_copy(t, train) != 0)
        return -1;
    for (size_t i = 0; i < t->n_rows; i++)
        t->x[i * N_COLS + 2] = 1.0;
    return 0;
}

/* The training rows, every one labelled negative. */
static int single_class_table(const table *train, table *t)
{
    if (table_copy(t, train) != 0)
        return -1;
    memset(t->y, 0, t->n_rows);
    return 0;
}

/* Builds an edge table with `make`, or reports that the checker ran out of memory. */
static int edge_table(checker *c, const char *name, int (*make)(const table *, table *),
                      table *t)
{
    if (make(&c->train, t) == 0)
        return 0;
    emit(c, name, LL_CHECK_FAIL, "the checker ran out of memory");
    return -1;
}

static void check_model_tiny(checker *c)
{
    table t;
    if (edge_table(c, P_TINY, tiny_table, &t) == 0)
        edge_fit(c, P_TINY, &t);
}

static void check_model_constant(checker *c)
{
    table t;
    if (edge_table(c, P_CONST, constant_table, &t) == 0)
        edge_fit(c, P_CONST, &t);
}

static void check_model_single(checker *c)
{
    table t;
    if (edge_table(c, P_SINGLE, single_class_table, &t) == 0)
        edge_fit(c, P_SINGLE, &t);
}

static void check_empty_test(checker *c)
{
    void *state;
    ll_err err;
    const char *step;
    char why[400];
    double *scores = new_scores(0);
    table empty = {c->test.x, NULL, 0, N_COLS}; /* borrowed: a zero-row view still points */
    if (!scores) {
        emit(c, P_EMPTY_TEST, LL_CHECK_FAIL, "the checker ran out of memory");
        return;
    }
    ll_status st = fit_model(c, &c->train, 1, &state, &err, &step);
    if (st != LL_OK) {
        emit(c, P_EMPTY_TEST, LL_CHECK_SKIP, "needs a fitted model (%s)",
             describe(why, sizeof why, step, st, &err));
        return;
    }
    st = predict(c, state, &empty, 1, scores, &err);
    stage(c, "destroy");
    c->plugin->model->destroy(state);
    if (st == LL_OK && !sentinel_intact(scores, 0))
        emit(c, P_EMPTY_TEST, LL_CHECK_FAIL, "wrote out[0] when asked for zero rows");
    else if (st == LL_OK)
        emit(c, P_EMPTY_TEST, LL_CHECK_PASS, "nothing written");
    else if (clean_refusal(st, &err))
        emit(c, P_EMPTY_TEST, LL_CHECK_PASS, "refused: %s", err.msg);
    else
        emit(c, P_EMPTY_TEST, LL_CHECK_FAIL, "%s",
             describe(why, sizeof why, "predict_proba", st, &err));
}

/* The test rows with one column more (a constant) or one fewer. */
static int reshaped(const table *test, size_t n_cols, table *t)
{
    if (table_alloc(t, test->n_rows, n_cols, 0) != 0)
        return -1;
    for (size_t i = 0; i < t->n_rows; i++)
        for (size_t j = 0; j < n_cols; j++)
            t->x[i * n_cols + j] = j < N_COLS ? test->x[i * N_COLS + j] : 0.5;
    return 0;
}

static void check_columns(checker *c)
{
    void *state;
    ll_err err;
    const char *step;
    char why[400];
    size_t n = c->test.n_rows;
    double *scores = new_scores(n);
    table wider, narrower;
    if (!scores || reshaped(&c->test, N_COLS + 1, &wider) != 0 ||
        reshaped(&c->test, N_COLS - 1, &narrower) != 0) {
        emit(c, P_COLS, LL_CHECK_FAIL, "the checker ran out of memory");
        return;
    }
    ll_status st = fit_model(c, &c->train, 1, &state, &err, &step);
    if (st != LL_OK) {
        emit(c, P_COLS, LL_CHECK_SKIP, "needs a fitted model (%s)",
             describe(why, sizeof why, step, st, &err));
        return;
    }
    const table *shapes[] = {&wider, &narrower};
    char found[400] = "", first_msg[256] = "";
    for (size_t k = 0; k < 2 && !found[0]; k++) {
        st = predict(c, state, shapes[k], 1, scores, &err);
        if (st == LL_OK)
            snprintf(found, sizeof found, "predict_proba accepted %zu columns after a fit on %d",
                     shapes[k]->n_cols, N_COLS);
        else if (!clean_refusal(st, &err))
            snprintf(found, sizeof found, "%s",
                     describe(why, sizeof why, "predict_proba", st, &err));
        else if (k == 0)
            snprintf(first_msg, sizeof first_msg, "%s", err.msg);
    }
    stage(c, "destroy");
    c->plugin->model->destroy(state);
    if (found[0])
        emit(c, P_COLS, LL_CHECK_FAIL, "%s", found);
    else
        emit(c, P_COLS, LL_CHECK_PASS, "%d and %d columns refused: %s", N_COLS + 1, N_COLS - 1,
             first_msg);
}

/* ---- sampler checks ---- */

/* What is wrong with the shape of a sampler's output, or NULL. Zero rows pass only when
 * `may_be_empty`. */
static const char *bad_shape(const ll_owned_data *out, size_t n_cols, int may_be_empty, char *buf,
                             size_t len)
{
    if (ll_resampled_shape_ok(out, n_cols, may_be_empty))
        return NULL;
    snprintf(buf, len, "%zu rows x %zu columns%s (expected %zu columns and rows)", out->n_rows,
             out->n_cols, !out->x || !out->y ? " with a NULL buffer" : "", n_cols);
    return buf;
}

/* Whether what malloc really gave holds the rows the output claims (the ABI has the sampler
 * malloc them), or NULL; for an output of a good shape. */
static const char *bad_allocation(const ll_owned_data *out, char *buf, size_t len)
{
    if (ll_resampled_allocated(out))
        return NULL;
    snprintf(buf, len, "reported %zu rows but allocated x for %zu and y for %zu", out->n_rows,
             malloc_usable_size(out->x) / sizeof(double) / out->n_cols,
             malloc_usable_size(out->y));
    return buf;
}

/* Why an output's rows cannot be read, or NULL. */
static const char *unreadable(const ll_owned_data *out, size_t n_cols, int may_be_empty,
                              char *buf, size_t len)
{
    const char *problem = bad_shape(out, n_cols, may_be_empty, buf, len);
    return problem ? problem : bad_allocation(out, buf, len);
}

static const char *bad_label(const ll_owned_data *out, char *buf, size_t len)
{
    size_t i = ll_resampled_bad_label(out);
    if (i == out->n_rows)
        return NULL;
    snprintf(buf, len, "row %zu: label %u", i, out->y[i]);
    return buf;
}

static const char *bad_value(const ll_owned_data *out, char *buf, size_t len)
{
    size_t i = ll_resampled_bad_value(out);
    if (i == out->n_rows * out->n_cols)
        return NULL;
    snprintf(buf, len, "row %zu, column %zu: %g", i / out->n_cols, i % out->n_cols, out->x[i]);
    return buf;
}

static ll_status resample(checker *c, const table *in, int threads, ll_owned_data *out,
                          ll_err *err)
{
    ll_data data = view(in);
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    stage(c, "resample");
    return c->plugin->sampler->resample(c->host, c->params, &data, c->seed, threads, out, err);
}

static void check_resample(checker *c)
{
    table copy;
    if (table_copy(&copy, &c->train) != 0) {
        emit(c, P_RESAMPLE, LL_CHECK_FAIL, "the checker ran out of memory");
        return;
    }
    ll_owned_data out;
    ll_err err;
    char why[400], shape_why[200], label_why[100], value_why[100];
    ll_status st = resample(c, &c->train, 1, &out, &err);
    size_t n_in = c->train.n_rows, pos_in = count_positive(c->train.y, n_in);
    if (st != LL_OK) {
        emit(c, P_RESAMPLE, LL_CHECK_FAIL, "%s%s", describe(why, sizeof why, "resample", st, &err),
             out.x || out.y || out.n_rows ? " (and left its output set)" : "");
        const char *later[] = {P_SHAPE, P_ALLOC, P_LABELS, P_FINITE, P_CLASSES};
        for (size_t k = 0; k < sizeof later / sizeof later[0]; k++)
            emit(c, later[k], LL_CHECK_SKIP, "needs a resampled output");
    } else {
        const char *shape = bad_shape(&out, N_COLS, 0, shape_why, sizeof shape_why);
        const char *problem = shape ? shape : bad_allocation(&out, shape_why, sizeof shape_why);
        size_t pos_out = problem ? 0 : count_positive(out.y, out.n_rows);
        if (problem)
            emit(c, P_RESAMPLE, LL_CHECK_PASS, "LL_OK");
        else
            emit(c, P_RESAMPLE, LL_CHECK_PASS, "%zu rows in (%zu positive), %zu out (%zu "
                 "positive)", n_in, pos_in, out.n_rows, pos_out);
        if (shape) {
            emit(c, P_SHAPE, LL_CHECK_FAIL, "%s", shape);
            emit(c, P_ALLOC, LL_CHECK_SKIP, "needs a valid shape");
        } else {
            emit(c, P_SHAPE, LL_CHECK_PASS, "%zu rows x %zu columns", out.n_rows, out.n_cols);
            if (problem)
                emit(c, P_ALLOC, LL_CHECK_FAIL, "%s", problem);
            else
                emit(c, P_ALLOC, LL_CHECK_PASS, "malloc'd blocks hold the %zu rows", out.n_rows);
        }
        if (problem) {
            emit(c, P_LABELS, LL_CHECK_SKIP, "needs an output that can be read");
            emit(c, P_FINITE, LL_CHECK_SKIP, "needs an output that can be read");
            emit(c, P_CLASSES, LL_CHECK_SKIP, "needs an output that can be read");
        } else {
            const char *l = bad_label(&out, label_why, sizeof label_why);
            const char *v = bad_value(&out, value_why, sizeof value_why);
            emit(c, P_LABELS, l ? LL_CHECK_FAIL : LL_CHECK_PASS, "%s", l ? l : "every row");
            emit(c, P_FINITE, v ? LL_CHECK_FAIL : LL_CHECK_PASS, "%s", v ? v : "every value");
            if (pos_out == 0 || pos_out == out.n_rows)
                emit(c, P_CLASSES, LL_CHECK_FAIL, "only %s rows in the output",
                     pos_out ? "positive" : "negative");
            else
                emit(c, P_CLASSES, LL_CHECK_PASS, "%zu negative, %zu positive",
                     out.n_rows - pos_out, pos_out);
            send_reference(c, &(table){out.x, out.y, out.n_rows, out.n_cols});
            free(out.x);
            free(out.y);
        }
    }
    if (memcmp(copy.x, c->train.x, n_in * N_COLS * sizeof *copy.x) != 0 ||
        memcmp(copy.y, c->train.y, n_in) != 0)
        emit(c, P_INPUT, LL_CHECK_FAIL, "resample changed the rows it borrowed");
    else
        emit(c, P_INPUT, LL_CHECK_PASS, "the %zu training rows unchanged", n_in);
}

/* Resamples the training rows with `threads` into a readable output; 0, or -1 with why. */
static int resample_readable(checker *c, int threads, ll_owned_data *out, char *why, size_t len)
{
    ll_err err;
    ll_status st = resample(c, &c->train, threads, out, &err);
    if (st != LL_OK) {
        describe(why, len, "resample", st, &err);
        return -1;
    }
    return unreadable(out, N_COLS, 0, why, len) ? -1 : 0;
}

/* Where two outputs differ, or NULL. */
static const char *output_difference(const ll_owned_data *a, const ll_owned_data *b, char *buf,
                                     size_t len)
{
    char diff[80];
    if (a->n_rows != b->n_rows) {
        snprintf(buf, len, "%zu rows vs %zu", a->n_rows, b->n_rows);
        return buf;
    }
    size_t cells = a->n_rows * a->n_cols, i = first_difference(a->x, b->x, cells);
    if (i < cells) {
        snprintf(buf, len, "row %zu, column %zu: %s", i / a->n_cols, i % a->n_cols,
                 pair(diff, sizeof diff, a->x[i], b->x[i]));
        return buf;
    }
    for (size_t r = 0; r < a->n_rows; r++)
        if (a->y[r] != b->y[r]) {
            snprintf(buf, len, "row %zu: label %u vs %u", r, a->y[r], b->y[r]);
            return buf;
        }
    return NULL;
}

static void check_sampler_seed(checker *c)
{
    ll_owned_data a, b;
    char why[400], diff[200];
    if (resample_readable(c, c->opt.threads, &a, why, sizeof why) != 0 ||
        resample_readable(c, c->opt.threads, &b, why, sizeof why) != 0) {
        emit(c, P_SAMPLER_SEED, LL_CHECK_FAIL, "%s", why);
        return;
    }
    const char *d = output_difference(&a, &b, diff, sizeof diff);
    if (d)
        emit(c, P_SAMPLER_SEED, LL_CHECK_FAIL, "%s", d);
    else
        emit(c, P_SAMPLER_SEED, LL_CHECK_PASS, "2 runs with %d threads, %zu rows identical",
             c->opt.threads, a.n_rows);
    free(a.x);
    free(a.y);
    free(b.x);
    free(b.y);
}

static void check_sampler_threads(checker *c)
{
    ll_owned_data out;
    char why[400], diff[200];
    if (resample_readable(c, c->opt.threads, &out, why, sizeof why) != 0) {
        emit(c, P_SAMPLER_THREADS, LL_CHECK_FAIL, "with %d threads: %s", c->opt.threads, why);
        return;
    }
    ll_owned_data ref = {c->ref.x, c->ref.y, c->ref.n_rows, c->ref.n_cols};
    const char *d = output_difference(&ref, &out, diff, sizeof diff);
    if (d)
        emit(c, P_SAMPLER_THREADS, LL_CHECK_FAIL, "%s with 1 and %d threads", d, c->opt.threads);
    else
        emit(c, P_SAMPLER_THREADS, LL_CHECK_PASS, "1 and %d threads, %zu rows identical",
             c->opt.threads, out.n_rows);
    free(out.x);
    free(out.y);
}

/* An edge case of resampling: a clean refusal or a valid output. */
static void edge_resample(checker *c, const char *name, const table *in)
{
    ll_owned_data out;
    ll_err err;
    char why[400], buf[200];
    ll_status st = resample(c, in, 1, &out, &err);
    if (st != LL_OK) {
        if (clean_refusal(st, &err))
            emit(c, name, LL_CHECK_PASS, "refused: %s", err.msg);
        else
            emit(c, name, LL_CHECK_FAIL, "%s", describe(why, sizeof why, "resample", st, &err));
        return;
    }
    const char *problem = unreadable(&out, N_COLS, in->n_rows == 0, buf, sizeof buf);
    if (!problem)
        problem = bad_label(&out, buf, sizeof buf);
    if (!problem)
        problem = bad_value(&out, buf, sizeof buf);
    if (problem)
        emit(c, name, LL_CHECK_FAIL, "accepted, then returned %s", problem);
    else
        emit(c, name, LL_CHECK_PASS, "a valid output of %zu rows", out.n_rows);
}

static void check_sampler_tiny(checker *c)
{
    table t;
    if (edge_table(c, P_TINY, tiny_table, &t) == 0)
        edge_resample(c, P_TINY, &t);
}

static void check_sampler_constant(checker *c)
{
    table t;
    if (edge_table(c, P_CONST, constant_table, &t) == 0)
        edge_resample(c, P_CONST, &t);
}

static void check_sampler_single(checker *c)
{
    table t;
    if (edge_table(c, P_SINGLE, single_class_table, &t) == 0)
        edge_resample(c, P_SINGLE, &t);
}

static void check_sampler_empty(checker *c)
{
    table empty = {c->train.x, c->train.y, 0, N_COLS}; /* borrowed */
    edge_resample(c, P_EMPTY_INPUT, &empty);
}

/* ---- running the checks ---- */

/* Why a check does not run, or NULL. */
static const char *needs_ref(const checker *c)
{
    return c->have_ref ? NULL : "needs the first check's output";
}

static const char *needs_threads(const checker *c)
{
    return c->opt.threads > 1 ? needs_ref(c) : "-j 1 leaves nothing to compare";
}

static const char *needs_save(const checker *c)
{
    return c->plugin->model->save ? needs_ref(c) : "no save/load";
}

static const char *needs_importances(const checker *c)
{
    return c->plugin->model->importances ? needs_ref(c) : "no importances entry";
}

enum { MAX_NAMES = 8 };

typedef struct {
    void (*run)(checker *c);
    const char *(*skip)(const checker *c); /* NULL: always runs */
    const char *names[MAX_NAMES];          /* what run reports, in order */
} check_def;

static const check_def model_checks[] = {
    {check_fit, NULL, {P_FIT, P_RANGE, P_UNTOUCHED}},
    {check_seed, needs_ref, {P_SEED}},
    {check_threads, needs_threads, {P_THREADS}},
    {check_save, needs_save, {P_SAVE, P_TRUNC}},
    {check_importances, needs_importances, {P_IMPORTANCES}},
    {check_model_tiny, NULL, {P_TINY}},
    {check_model_constant, NULL, {P_CONST}},
    {check_model_single, NULL, {P_SINGLE}},
    {check_empty_test, NULL, {P_EMPTY_TEST}},
    {check_columns, NULL, {P_COLS}},
};

static const check_def sampler_checks[] = {
    {check_resample, NULL, {P_RESAMPLE, P_SHAPE, P_ALLOC, P_LABELS, P_FINITE, P_CLASSES, P_INPUT}},
    {check_sampler_seed, needs_ref, {P_SAMPLER_SEED}},
    {check_sampler_threads, needs_threads, {P_SAMPLER_THREADS}},
    {check_sampler_tiny, NULL, {P_TINY}},
    {check_sampler_constant, NULL, {P_CONST}},
    {check_sampler_single, NULL, {P_SINGLE}},
    {check_sampler_empty, NULL, {P_EMPTY_INPUT}},
};

static void deliver(checker *c, const char *name, ll_check_outcome outcome, const char *detail)
{
    ll_check_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "%s", name);
    r.outcome = outcome <= LL_CHECK_SKIP ? outcome : LL_CHECK_FAIL;
    snprintf(r.detail, sizeof r.detail, "%s", detail);
    one_line(r.detail);
    if (outcome == LL_CHECK_PASS)
        c->summary->passed++;
    else if (outcome == LL_CHECK_FAIL)
        c->summary->failed++;
    else
        c->summary->skipped++;
    if (c->on_result)
        c->on_result(&r, c->ctx);
}

/* Reads n bytes by the deadline: 0, -1 at the end of the stream, -2 when time ran out. */
static int read_by(int fd, void *buf, size_t n, double deadline)
{
    char *p = buf;
    while (n) {
        double left = deadline - ll_now_seconds();
        if (left <= 0)
            return -2;
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready = poll(&pfd, 1, (int)(left * 1000.0) + 1);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            continue; /* the deadline test above decides */
        if (ready < 0)
            return -1;
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* A reference payload after its header; 0 or -1 (a bad header, a stream cut short). */
static int read_reference(checker *c, int fd, const message *m, double deadline)
{
    if (m->n_cols == 0 || m->n_cols > 64 || m->n_rows > ((size_t)1 << 24) || c->have_ref)
        return -1;
    table t;
    if (table_alloc(&t, (size_t)m->n_rows, (size_t)m->n_cols, m->labelled != 0) != 0)
        return -1;
    if (read_by(fd, t.x, t.n_rows * t.n_cols * sizeof *t.x, deadline) != 0 ||
        (t.y && read_by(fd, t.y, t.n_rows, deadline) != 0)) {
        table_free(&t);
        return -1;
    }
    c->ref = t;
    c->have_ref = 1;
    return 0;
}

/* Forks a process for one check and relays what it reports. When the process dies or runs
 * out of time, the property it was on fails with the reason and the rest of its properties
 * are skipped. */
static void run_check(checker *c, const check_def *def)
{
    size_t n_names = 0;
    while (n_names < MAX_NAMES && def->names[n_names])
        n_names++;
    const char *skip = def->skip ? def->skip(c) : NULL;
    if (!c->params)
        skip = "no configuration to run (see " P_SCHEMA ")";
    if (skip) {
        for (size_t k = 0; k < n_names; k++)
            deliver(c, def->names[k], LL_CHECK_SKIP, skip);
        return;
    }
    char why[400];
    int fds[2];
    pid_t pid = -1;
    if (pipe(fds) == 0) {
        fflush(NULL); /* or the child would inherit, and might write, buffered output */
        pid = fork();
        if (pid < 0) {
            close(fds[0]);
            close(fds[1]);
        }
    }
    if (pid < 0) {
        snprintf(why, sizeof why, "cannot start a process for the check: %s", strerror(errno));
        for (size_t k = 0; k < n_names; k++)
            deliver(c, def->names[k], LL_CHECK_FAIL, why);
        return;
    }
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed checker leaves no check running */
#endif
        close(fds[0]);
        /* stdout is the checker's report: what a plugin prints there goes to stderr. */
        dup2(STDERR_FILENO, STDOUT_FILENO);
        c->fd = fds[1];
        def->run(c);
        message done;
        memset(&done, 0, sizeof done);
        done.kind = MSG_DONE;
        send_bytes(c->fd, &done, sizeof done);
        _exit(0); /* the parent's atexit handlers and buffers are not the check's */
    }
    close(fds[1]);
    int reported[MAX_NAMES] = {0};
    char where[sizeof ((message *)0)->result.detail] = "";
    double deadline = ll_now_seconds() + c->opt.check_seconds;
    int done = 0, rc = 0;
    while (!done) {
        message m;
        if ((rc = read_by(fds[0], &m, sizeof m, deadline)) != 0)
            break;
        if (m.kind == MSG_RESULT) {
            m.result.name[sizeof m.result.name - 1] = '\0';
            m.result.detail[sizeof m.result.detail - 1] = '\0';
            for (size_t k = 0; k < n_names; k++)
                if (!reported[k] && strcmp(m.result.name, def->names[k]) == 0)
                    reported[k] = 1;
            deliver(c, m.result.name, m.result.outcome, m.result.detail);
        } else if (m.kind == MSG_STAGE) {
            memcpy(where, m.result.detail, sizeof where);
            where[sizeof where - 1] = '\0';
        } else if (m.kind == MSG_REFERENCE) {
            if ((rc = read_reference(c, fds[0], &m, deadline)) != 0)
                break;
        } else {
            done = m.kind == MSG_DONE;
            if (!done)
                break;
        }
    }
    /* Anything but a clean end: the process may still be running (a garbled message, a
     * plugin that closed our pipe), and nothing it does now counts. */
    if (!done)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    close(fds[0]);
    int clean = done && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    char in[sizeof where + 8] = "";
    if (where[0])
        snprintf(in, sizeof in, " in %s", where);
    if (clean) {
        snprintf(why, sizeof why, "the check stopped early");
    } else if (rc == -2) {
        snprintf(why, sizeof why, "no answer within %g s%s (killed)", c->opt.check_seconds, in);
    } else if (WIFSIGNALED(status) && !(rc == 0 && WTERMSIG(status) == SIGKILL)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(status));
        snprintf(why, sizeof why, "killed by SIG%s (%s)%s", abbrev ? abbrev : "?",
                 strsignal(WTERMSIG(status)), in);
    } else if (WIFEXITED(status)) {
        snprintf(why, sizeof why, "the process ended with exit status %d%s",
                 WEXITSTATUS(status), in);
    } else {
        snprintf(why, sizeof why, "the check's process sent a garbled message%s", in);
    }
    /* The property it was on fails; the ones after it were not reached. */
    int failed = clean;
    for (size_t k = 0; k < n_names; k++) {
        if (reported[k])
            continue;
        char later[sizeof why + 16];
        snprintf(later, sizeof later, "not reached: %s", why);
        deliver(c, def->names[k], failed ? LL_CHECK_SKIP : LL_CHECK_FAIL, failed ? later : why);
        failed = 1;
    }
    if (!failed) /* it died after its last result, e.g. in destroy */
        deliver(c, def->names[n_names - 1], LL_CHECK_FAIL, why);
}

ll_check_options ll_check_defaults(void)
{
    return (ll_check_options){.threads = 4, .check_seconds = 60.0,
                              .seed = 0x6c6c636865636b31ull, .params = NULL};
}

/* The one configuration the checks run: ll_params_expand of the caller's mapping. */
static int configuration(const ll_plugin *p, const ll_ynode *map, ll_params **out,
                         ll_error *err)
{
    ll_params **sets = NULL;
    size_t n = 0;
    *out = NULL;
    if (ll_params_expand(p, map, "check-plugin", p->name, &sets, &n, err) != 0)
        return -1;
    if (n != 1) {
        ll_params_free_all(sets, n);
        return ll_error_set(err, "the parameters give %zu configurations: check one at a time",
                            n);
    }
    *out = sets[0];
    free(sets);
    return 0;
}

int ll_check_plugin(const char *path, const ll_check_options *opt, ll_check_fn on_result,
                    void *ctx, ll_check_summary *summary, ll_error *err)
{
    memset(summary, 0, sizeof *summary);
    if (opt->threads < 1 || opt->threads > 1024 || !(opt->check_seconds > 0) ||
        opt->check_seconds > 86400)
        return ll_error_set(err, "check-plugin: threads must be 1 to 1024 and the time limit "
                            "0 to 86400 s");
    /* dlopen searches the library path for a bare name; a user means the file here. */
    size_t len = strlen(path) + 3;
    char *file = malloc(len);
    if (!file)
        return ll_error_set(err, "out of memory");
    snprintf(file, len, "%s%s", strchr(path, '/') ? "" : "./", path);
    ll_registry reg;
    if (ll_registry_init(&reg, NULL, 0, err) != 0) {
        free(file);
        return -1;
    }
    int rc = -1;
    checker c;
    memset(&c, 0, sizeof c);
    c.plugin = ll_registry_load_file(&reg, file, err);
    free(file);
    if (!c.plugin)
        goto out;
    snprintf(summary->name, sizeof summary->name, "%s", c.plugin->name);
    snprintf(summary->version, sizeof summary->version, "%s", c.plugin->version);
    summary->is_model = c.plugin->model != NULL;
    c.host = ll_host_default();
    c.opt = *opt;
    c.seed = ll_seed_mix(opt->seed, 2);
    c.on_result = on_result;
    c.ctx = ctx;
    c.summary = summary;
    ll_params *given = NULL;
    if (opt->params && configuration(c.plugin, opt->params, &given, err) != 0)
        goto out;
    ll_rng rng;
    ll_rng_seed(&rng, ll_seed_mix(opt->seed, 1));
    if (generate(&c.train, TRAIN_ROWS, 1, &rng) != 0 ||
        generate(&c.test, TEST_ROWS, 0, &rng) != 0) {
        ll_params_free(given);
        ll_error_set(err, "out of memory");
        goto out;
    }
    /* The loader checked every default alone; here they must also form a configuration. */
    ll_error schema;
    ll_params *defaults = NULL;
    if (configuration(c.plugin, NULL, &defaults, &schema) != 0)
        deliver(&c, P_SCHEMA, LL_CHECK_FAIL, schema.msg);
    else {
        char detail[160] = "no parameters";
        if (c.plugin->n_params)
            snprintf(detail, sizeof detail, "%zu parameter%s: unique names, every default valid",
                     c.plugin->n_params, c.plugin->n_params == 1 ? "" : "s");
        deliver(&c, P_SCHEMA, LL_CHECK_PASS, detail);
    }
    if (given) {
        ll_params_free(defaults);
        c.params = given;
    } else {
        c.params = defaults;
    }
    const check_def *defs = c.plugin->model ? model_checks : sampler_checks;
    size_t n_defs = c.plugin->model ? sizeof model_checks / sizeof model_checks[0]
                                    : sizeof sampler_checks / sizeof sampler_checks[0];
    for (size_t i = 0; i < n_defs; i++)
        run_check(&c, &defs[i]);
    rc = 0;
out:
    ll_params_free(c.params);
    table_free(&c.train);
    table_free(&c.test);
    table_free(&c.ref);
    ll_registry_free(&reg);
    return rc;
}

void ll_check_write_line(const ll_check_result *result, void *file)
{
    static const char *const words[] = {"PASS", "FAIL", "SKIP"};
    unsigned o = (unsigned)result->outcome;
    fprintf(file, "%s  %s", o < 3 ? words[o] : "????", result->name);
    if (result->detail[0])
        fprintf(file, "  (%s)", result->detail);
    fputc('\n', file);
    fflush(file);
}
