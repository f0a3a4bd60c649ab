/* Tests of the example plugins through a minimal host of our own: gnb against hand-computed
 * probabilities, its priors and save/load; ros's counts, copies and seeding. Usage:
 * test_examples DIR (the folder holding gnb.so and ros.so); exit 0 when every check passes. */
#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leadlab/plugin.h>

static int failures;

#define CHECK(cond, ...)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            failures++;                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                                     \
            fputc('\n', stderr);                                                              \
        }                                                                                     \
    } while (0)

/* ---- the host: parameters are a fixed record, the getters look them up by key ---- */

struct ll_params {
    double var_smoothing, ratio;
    const double *priors;
    size_t n_priors;
};

static void host_log(int level, const char *fmt, ...)
{
    if (level != LL_LOG_ERROR)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("plugin error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failures++;
}

/* A plugin asking for a key neither example declares is a bug, as the real host logs it. */
static void undeclared(const char *key) { host_log(LL_LOG_ERROR, "undeclared key '%s'", key); }

static double host_real(const ll_params *p, const char *key)
{
    if (!strcmp(key, "var_smoothing"))
        return p->var_smoothing;
    if (!strcmp(key, "ratio"))
        return p->ratio;
    undeclared(key);
    return NAN;
}

static long host_integer(const ll_params *p, const char *key)
{
    (void)p;
    undeclared(key);
    return 0;
}

static const char *host_string(const ll_params *p, const char *key)
{
    (void)p;
    undeclared(key);
    return "";
}

static int host_boolean(const ll_params *p, const char *key)
{
    (void)p;
    undeclared(key);
    return 0;
}

static size_t host_int_list(const ll_params *p, const char *key, long *out, size_t cap)
{
    (void)p, (void)out, (void)cap;
    undeclared(key);
    return 0;
}

static size_t host_real_list(const ll_params *p, const char *key, double *out, size_t cap)
{
    if (strcmp(key, "priors") != 0) {
        undeclared(key);
        return 0;
    }
    for (size_t i = 0; i < p->n_priors && i < cap; i++)
        out[i] = p->priors[i];
    return p->n_priors;
}

static size_t host_string_list(const ll_params *p, const char *key, const char **out, size_t cap)
{
    (void)p, (void)out, (void)cap;
    undeclared(key);
    return 0;
}

static const ll_host host = {
    .abi_version = LL_ABI_VERSION,
    .struct_size = sizeof(ll_host),
    .real = host_real,
    .integer = host_integer,
    .string = host_string,
    .boolean = host_boolean,
    .int_list = host_int_list,
    .real_list = host_real_list,
    .string_list = host_string_list,
    .log = host_log,
};

static const ll_plugin *load(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.so", dir, name);
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fprintf(stderr, "test_examples: %s\n", dlerror());
        exit(2);
    }
    ll_plugin_entry_fn entry;
    void *sym = dlsym(handle, LL_PLUGIN_ENTRY);
    if (!sym) {
        fprintf(stderr, "test_examples: %s has no %s\n", path, LL_PLUGIN_ENTRY);
        exit(2);
    }
    memcpy(&entry, &sym, sizeof entry); /* ISO C has no object-to-function pointer cast */
    const ll_plugin *p = entry();
    if (!p || strcmp(p->name, name) != 0 || p->abi_version != LL_ABI_VERSION) {
        fprintf(stderr, "test_examples: %s is not the plugin '%s'\n", path, name);
        exit(2);
    }
    return p;
}

/* ---- bytes in memory for save/load ---- */

typedef struct {
    unsigned char *data;
    size_t len, cap, pos;
} buffer;

static int buf_write(void *ctx, const void *bytes, size_t n)
{
    buffer *b = ctx;
    if (b->len + n > b->cap) {
        size_t cap = 2 * (b->len + n);
        unsigned char *grown = realloc(b->data, cap);
        if (!grown)
            return -1;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    return 0;
}

static int buf_read(void *ctx, void *bytes, size_t n)
{
    buffer *b = ctx;
    if (n > b->len - b->pos)
        return -1;
    memcpy(bytes, b->data + b->pos, n);
    b->pos += n;
    return 0;
}

static size_t buf_remaining(void *ctx)
{
    buffer *b = ctx;
    return b->len - b->pos;
}

/* ---- gnb ---- */

static const ll_params gnb_defaults = {.var_smoothing = 1e-9};

/* Fits gnb with `params` on (x, y) and scores `q`; returns the status of the first failing
 * step (its message in err). */
static ll_status gnb_run(const ll_plugin *gnb, const ll_params *params, const ll_data *train,
                         const ll_data *q, double *out, ll_err *err)
{
    void *state = NULL;
    ll_status st = gnb->model->create(&host, params, &state, err);
    if (st == LL_OK)
        st = gnb->model->fit(state, train, 1, 1, err);
    if (st == LL_OK)
        st = gnb->model->predict_proba(state, q, 1, out, err);
    gnb->model->destroy(state);
    return st;
}

/* One feature: class 0 at {0, 2} (mean 1, variance 1), class 1 at {4, 6} (mean 5, variance 1),
 * all rows variance 5, so each variance is 1 + 5e-9. At x = 3 the likelihoods are equal and
 * P(1) is the prior of class 1; at x = 5, log-odds 0.5 * 16 / v. */
static void test_gnb_by_hand(const ll_plugin *gnb)
{
    const double x[] = {0, 2, 4, 6}, at[] = {3, 5};
    const uint8_t y[] = {0, 0, 1, 1};
    ll_data train = {.x = x, .y = y, .n_rows = 4, .n_cols = 1};
    ll_data q = {.x = at, .n_rows = 2, .n_cols = 1};
    double p[2];
    ll_err err = {{0}};
    double v = 1 + 1e-9 * 5;
    CHECK(gnb_run(gnb, &gnb_defaults, &train, &q, p, &err) == LL_OK, "%s", err.msg);
    CHECK(fabs(p[0] - 0.5) < 1e-15, "P(1 | x=3) = %.17g, want 0.5", p[0]);
    CHECK(fabs(p[1] - 1 / (1 + exp(-8 / v))) < 1e-15, "P(1 | x=5) = %.17g", p[1]);

    const double priors[] = {0.9, 0.1};
    ll_params given = {.var_smoothing = 1e-9, .priors = priors, .n_priors = 2};
    CHECK(gnb_run(gnb, &given, &train, &q, p, &err) == LL_OK, "%s", err.msg);
    CHECK(fabs(p[0] - 0.1) < 1e-15, "P(1 | x=3) with priors [0.9, 0.1] = %.17g", p[0]);
}

static void test_gnb_refusals(const ll_plugin *gnb)
{
    const double x[] = {0, 2, 4, 6}, bad_sum[] = {0.5, 0.6}, three[] = {0.2, 0.3, 0.5};
    const uint8_t y[] = {0, 0, 1, 1}, one_class[] = {1, 1, 1, 1};
    ll_data train = {.x = x, .y = y, .n_rows = 4, .n_cols = 1};
    void *state = NULL;
    ll_err err = {{0}};
    ll_params p = {.var_smoothing = 1e-9, .priors = bad_sum, .n_priors = 2};
    CHECK(gnb->model->create(&host, &p, &state, &err) == LL_EINVAL && !state &&
              strstr(err.msg, "sum to"),
          "priors summing to 1.1: '%s'", err.msg);
    p.priors = three;
    p.n_priors = 3;
    CHECK(gnb->model->create(&host, &p, &state, &err) == LL_EINVAL && !state,
          "three priors: '%s'", err.msg);

    double out[4];
    ll_data single = {.x = x, .y = one_class, .n_rows = 4, .n_cols = 1};
    CHECK(gnb_run(gnb, &gnb_defaults, &single, &single, out, &err) == LL_EINVAL,
          "one class: '%s'", err.msg);
    ll_data wide = {.x = x, .n_rows = 2, .n_cols = 2};
    CHECK(gnb_run(gnb, &gnb_defaults, &train, &wide, out, &err) == LL_EINVAL,
          "2 columns at predict, 1 at fit: '%s'", err.msg);
}

/* A two-class table: class 1 shifted by +1 on feature 0 and by +0.1 on the others. */
static void make_table(double *x, uint8_t *y, size_t n, size_t d, uint64_t seed)
{
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        y[i] = i % 7 == 0;
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = ll_rng_normal(&rng) + y[i] * (j == 0 ? 1.0 : 0.1);
    }
}

static void test_gnb_save_load(const ll_plugin *gnb)
{
    enum { N = 300, D = 4 };
    static double x[N * D];
    static uint8_t y[N];
    make_table(x, y, N, D, 7);
    ll_data train = {.x = x, .y = y, .n_rows = N, .n_cols = D};
    ll_err err = {{0}};
    void *fitted = NULL, *loaded = NULL;
    double p1[N], p2[N], imp[D];
    buffer b = {0};
    ll_writer w = {.ctx = &b, .write = buf_write};

    CHECK(gnb->model->create(&host, &gnb_defaults, &fitted, &err) == LL_OK, "%s", err.msg);
    CHECK(gnb->model->fit(fitted, &train, 1, 1, &err) == LL_OK, "%s", err.msg);
    CHECK(gnb->model->predict_proba(fitted, &train, 1, p1, &err) == LL_OK, "%s", err.msg);
    CHECK(gnb->model->save(fitted, &w, &err) == LL_OK, "%s", err.msg);
    CHECK(gnb->model->importances(fitted, D, imp, &err) == LL_OK, "%s", err.msg);
    for (size_t j = 1; j < D; j++)
        CHECK(imp[0] > imp[j] && imp[j] >= 0, "importance of feature 0 (%g) vs %zu (%g)",
              imp[0], j, imp[j]);

    buffer r = {.data = b.data, .len = b.len};
    ll_reader rd = {.ctx = &r, .read = buf_read, .remaining = buf_remaining};
    CHECK(gnb->model->load(&host, &rd, &loaded, &err) == LL_OK, "%s", err.msg);
    if (loaded) {
        CHECK(gnb->model->predict_proba(loaded, &train, 1, p2, &err) == LL_OK, "%s", err.msg);
        CHECK(memcmp(p1, p2, sizeof p1) == 0, "scores differ after save and load");
    }
    gnb->model->destroy(loaded);

    /* Every truncation and a trailing byte are refused, without a leak (LeakSanitizer). */
    for (size_t len = 0; len < b.len; len++) {
        buffer cut = {.data = b.data, .len = len};
        ll_reader rc = {.ctx = &cut, .read = buf_read, .remaining = buf_remaining};
        void *s = NULL;
        CHECK(gnb->model->load(&host, &rc, &s, &err) == LL_EINVAL && !s,
              "a model cut to %zu of %zu bytes was accepted", len, b.len);
    }
    unsigned char zero = 0;
    CHECK(buf_write(&b, &zero, 1) == 0, "out of memory");
    buffer longer = {.data = b.data, .len = b.len};
    ll_reader rl = {.ctx = &longer, .read = buf_read, .remaining = buf_remaining};
    void *s = NULL;
    CHECK(gnb->model->load(&host, &rl, &s, &err) == LL_EINVAL && !s,
          "a model with a trailing byte was accepted");
    gnb->model->destroy(fitted);
    free(b.data);
}

/* ---- ros ---- */

typedef struct {
    ll_status status;
    ll_owned_data out;
    ll_err err;
} resampled;

static resampled ros_run(const ll_plugin *ros, double ratio, const ll_data *in, uint64_t seed,
                         int threads)
{
    resampled r = {.status = LL_OK};
    ll_params p = {.ratio = ratio};
    r.status = ros->sampler->resample(&host, &p, in, seed, threads, &r.out, &r.err);
    return r;
}

static void resampled_free(resampled *r)
{
    free(r->out.x);
    free(r->out.y);
}

static int same_data(const ll_owned_data *a, const ll_owned_data *b)
{
    return a->n_rows == b->n_rows && a->n_cols == b->n_cols &&
           memcmp(a->x, b->x, a->n_rows * a->n_cols * sizeof *a->x) == 0 &&
           memcmp(a->y, b->y, a->n_rows) == 0;
}

/* 100 rows, 10 of class `minority`: ratio 0.5 adds round(0.5 * 90) - 10 = 35 copies. */
static void test_ros_counts(const ll_plugin *ros, uint8_t minority)
{
    enum { N = 100, D = 3 };
    double x[N * D];
    uint8_t y[N];
    make_table(x, y, N, D, 3);
    for (size_t i = 0; i < N; i++)
        y[i] = (uint8_t)(i % 10 == 0 ? minority : !minority);
    ll_data in = {.x = x, .y = y, .n_rows = N, .n_cols = D};

    resampled a = ros_run(ros, 0.5, &in, 11, 1);
    CHECK(a.status == LL_OK, "%s", a.err.msg);
    CHECK(a.out.n_rows == N + 35 && a.out.n_cols == D, "%zu x %zu rows out", a.out.n_rows,
          a.out.n_cols);
    if (a.status == LL_OK && a.out.n_rows == N + 35) {
        CHECK(memcmp(a.out.x, x, sizeof x) == 0 && memcmp(a.out.y, y, N) == 0,
              "the input rows are not kept first, in order");
        size_t distinct_sources = 0;
        uint8_t used[N] = {0};
        for (size_t s = N; s < a.out.n_rows; s++) {
            size_t src = N;
            for (size_t i = 0; i < N && src == N; i++)
                if (y[i] == minority && !memcmp(a.out.x + s * D, x + i * D, sizeof(double) * D))
                    src = i;
            CHECK(src < N && a.out.y[s] == minority, "added row %zu copies no minority row", s);
            if (src < N && !used[src]++)
                distinct_sources++;
        }
        /* 35 draws from 10 rows: all from one or two rows means the draw is broken. */
        CHECK(distinct_sources >= 5, "only %zu distinct minority rows copied", distinct_sources);
    }
    resampled again = ros_run(ros, 0.5, &in, 11, 4);
    CHECK(again.status == LL_OK && same_data(&a.out, &again.out),
          "the same seed at another thread count gave other rows");
    resampled other = ros_run(ros, 0.5, &in, 12, 1);
    CHECK(other.status == LL_OK && !same_data(&a.out, &other.out),
          "another seed gave the same rows");
    resampled_free(&a);
    resampled_free(&again);
    resampled_free(&other);

    resampled none = ros_run(ros, 0.05, &in, 11, 1);
    CHECK(none.status == LL_EINVAL && !none.out.x && !none.out.y && strstr(none.err.msg, "ratio"),
          "ratio below the fold's own was not refused: '%s'", none.err.msg);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_examples DIR (the folder holding gnb.so and ros.so)\n");
        return 2;
    }
    const ll_plugin *gnb = load(argv[1], "gnb"), *ros = load(argv[1], "ros");
    test_gnb_by_hand(gnb);
    test_gnb_refusals(gnb);
    test_gnb_save_load(gnb);
    test_ros_counts(ros, 1);
    test_ros_counts(ros, 0);
    if (failures) {
        fprintf(stderr, "test_examples: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_examples: gnb and ros pass\n");
    return 0;
}
