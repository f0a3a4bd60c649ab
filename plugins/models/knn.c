/* leadlab model `knn`: scikit-learn's KNeighborsClassifier by exact brute force. Fit indexes a
 * copy of the training rows (plugins/common/distance.h); P(y = 1) is the (distance-)weighted
 * share of positive labels among the k nearest rows, ties at the k-th distance going to the lower
 * training row index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "distance.h"
#include "leadlab/plugin.h"

/* Neighbour entries (16 B each) held at once: queries are searched in chunks of
 * NEIGHBOR_BUDGET / k rows, large enough for identical queries to be searched once. */
enum { NEIGHBOR_BUDGET = 1 << 20 };

typedef struct {
    size_t k;
    ll_dist_metric metric;
    int distance_weights;
    ll_dist_index index; /* empty until fitted */
    uint8_t *labels;     /* index.n_rows training labels */
} knn;

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static void knn_forget(knn *m)
{
    ll_dist_index_free(&m->index);
    free(m->labels);
    m->labels = NULL;
}

/* P(y = 1) from one query's neighbours, nearest first, as scikit-learn computes it: uniform
 * votes, or weights 1/d where a neighbour at distance 0 (1/d infinite) makes the exact matches
 * alone decide, each with weight 1. */
static double vote(const knn *m, const ll_neighbor *nb)
{
    double pos = 0.0, neg = 0.0;
    if (!m->distance_weights) {
        for (size_t r = 0; r < m->k; r++)
            pos += m->labels[nb[r].index];
        return pos / (double)m->k;
    }
    int euclidean = m->metric == LL_DIST_SQEUCLIDEAN;
    double nearest = euclidean ? sqrt(nb[0].dist) : nb[0].dist;
    int exact_match = isinf(1.0 / nearest);
    for (size_t r = 0; r < m->k; r++) {
        double d = euclidean ? sqrt(nb[r].dist) : nb[r].dist;
        double w = 1.0 / d;
        if (exact_match)
            w = isinf(w) ? 1.0 : 0.0;
        if (m->labels[nb[r].index])
            pos += w;
        else
            neg += w;
    }
    double total = neg + pos;
    return total > 0.0 ? pos / total : 0.0;
}

static ll_status knn_create(const ll_host *host, const ll_params *params, void **state,
                            ll_err *err)
{
    knn *m = calloc(1, sizeof *m);
    if (!m)
        return ll_fail(err, LL_ENOMEM, "knn: out of memory");
    m->k = (size_t)host->integer(params, "k");
    m->metric = strcmp(host->string(params, "metric"), "manhattan") == 0 ? LL_DIST_MANHATTAN
                                                                          : LL_DIST_SQEUCLIDEAN;
    m->distance_weights = strcmp(host->string(params, "weights"), "distance") == 0;
    *state = m;
    return LL_OK;
}

static ll_status knn_fit(void *state, const ll_data *train, uint64_t seed, int threads,
                         ll_err *err)
{
    (void)seed;    /* exact search: nothing random */
    (void)threads; /* indexing is one pass over the rows; the search happens at prediction */
    knn *m = state;
    knn_forget(m);
    if (m->k > train->n_rows)
        return ll_fail(err, LL_EINVAL, "knn: k=%zu exceeds the %zu training rows", m->k,
                       train->n_rows);
    if (!all_finite(train->x, train->n_rows * train->n_cols))
        return ll_fail(err, LL_EINVAL, "knn: the training rows hold a non-finite value");
    for (size_t i = 0; i < train->n_rows; i++)
        if (train->y[i] > 1)
            return ll_fail(err, LL_EINVAL, "knn: label %u in row %zu is not 0 or 1",
                           (unsigned)train->y[i], i);
    m->labels = malloc(train->n_rows);
    if (!m->labels || ll_dist_index_build(&m->index, train->x, train->n_rows, train->n_cols) != 0) {
        knn_forget(m);
        return ll_fail(err, LL_ENOMEM, "knn: out of memory for %zu training rows", train->n_rows);
    }
    memcpy(m->labels, train->y, train->n_rows);
    return LL_OK;
}

static ll_status knn_predict(const void *state, const ll_data *x, int threads, double *out,
                     ll_err *err)
{
    const knn *m = state;
    if (!m->labels)
        return ll_fail(err, LL_EINVAL, "knn: predict before a successful fit");
    if (x->n_cols != m->index.distinct.n_cols)
        return ll_fail(err, LL_EINVAL, "knn: %zu columns at prediction, %zu at fit", x->n_cols,
                       m->index.distinct.n_cols);
    if (!all_finite(x->x, x->n_rows * x->n_cols))
        return ll_fail(err, LL_EINVAL, "knn: the rows to predict hold a non-finite value");
    size_t chunk = NEIGHBOR_BUDGET / m->k > 0 ? NEIGHBOR_BUDGET / m->k : 1;
    if (chunk > x->n_rows)
        chunk = x->n_rows;
    ll_neighbor *nb = malloc((chunk ? chunk : 1) * m->k * sizeof *nb);
    if (!nb)
        return ll_fail(err, LL_ENOMEM, "knn: out of memory for %zu x %zu neighbours", chunk, m->k);
    for (size_t q0 = 0; q0 < x->n_rows; q0 += chunk) {
        size_t n = x->n_rows - q0 < chunk ? x->n_rows - q0 : chunk;
        if (ll_dist_knn(m->metric, &m->index, x->x + q0 * x->n_cols, n, m->k, threads, nb)) {
            free(nb);
            return ll_fail(err, LL_ENOMEM, "knn: out of memory searching %zu rows", n);
        }
        for (size_t q = 0; q < n; q++)
            out[q0 + q] = vote(m, nb + q * m->k);
    }
    free(nb);
    return LL_OK;
}

static void knn_destroy(void *state)
{
    knn *m = state;
    if (!m)
        return;
    knn_forget(m);
    free(m);
}

/* ---- saved models ---------------------------------------------------------------------------
 * Format 1, little-endian through plugin.h's helpers: u64 tag, size k, u64 metric (0 euclidean,
 * 1 manhattan), u64 weights (0 uniform, 1 distance), size n_rows, size n_cols, the training
 * rows (row-major f64), then their labels (one byte each). Load rebuilds the index from them,
 * which groups identical rows exactly as fit did, so the search and its ties are unchanged.
 * The rows are stored whole, not once per distinct row, so that what load allocates is bounded
 * by the bytes it is given. */
enum { KNN_FORMAT = 1 };
static const size_t MAX_SAVED_COLS = (size_t)1 << 24; /* far above any real feature count */

/* The training rows back in row-major order: each row is its distinct row's copy. */
static double *training_rows(const ll_dist_index *ix)
{
    size_t n_cols = ix->distinct.n_cols, cells = ix->n_rows * n_cols;
    double *distinct = ll_dist_refs_unpack(&ix->distinct);
    double *x = malloc((cells ? cells : 1) * sizeof *x);
    if (distinct && x)
        for (size_t g = 0; g < ix->distinct.n_rows; g++)
            for (size_t r = ix->group_start[g]; r < ix->group_start[g + 1]; r++)
                memcpy(x + ix->members[r] * n_cols, distinct + g * n_cols, n_cols * sizeof *x);
    if (!distinct) {
        free(x);
        x = NULL;
    }
    free(distinct);
    return x;
}

static ll_status knn_save(const void *state, ll_writer *out, ll_err *err)
{
    const knn *m = state;
    if (!m->labels)
        return ll_fail(err, LL_EINVAL, "knn: save before fit");
    const ll_dist_index *ix = &m->index;
    double *x = training_rows(ix);
    if (!x)
        return ll_fail(err, LL_ENOMEM, "knn: out of memory saving %zu rows", ix->n_rows);
    int failed = ll_write_u64(out, KNN_FORMAT) || ll_write_size(out, m->k) ||
                 ll_write_u64(out, m->metric == LL_DIST_MANHATTAN) ||
                 ll_write_u64(out, (uint64_t)m->distance_weights) ||
                 ll_write_size(out, ix->n_rows) || ll_write_size(out, ix->distinct.n_cols) ||
                 ll_write_f64s(out, x, ix->n_rows * ix->distinct.n_cols) ||
                 ll_write_bytes(out, m->labels, ix->n_rows);
    free(x);
    return failed ? ll_fail(err, LL_EFAIL, "knn: could not write the model bytes") : LL_OK;
}

static ll_status knn_load(const ll_host *host, ll_reader *in, void **state, ll_err *err)
{
    (void)host; /* knn logs nothing */
    *state = NULL;
    uint64_t format;
    if (ll_read_u64(in, &format) != 0)
        return ll_fail(err, LL_EINVAL, "knn: model bytes truncated or corrupt");
    if (format != KNN_FORMAT)
        return ll_fail(err, LL_EINVAL, "knn: saved model format %llu unknown (this plugin reads "
                       "format %d)", (unsigned long long)format, KNN_FORMAT);
    knn *m = calloc(1, sizeof *m);
    if (!m)
        return ll_fail(err, LL_ENOMEM, "knn: out of memory");
    uint64_t metric, weights;
    size_t n_rows = 0, n_cols = 0;
    /* 1 <= k <= n_rows as fit demands; each row needs its label byte and n_cols f64 to follow,
     * so n_rows * n_cols * 8 is at most the bytes left. */
    int ok = ll_read_size(in, 0, SIZE_MAX, &m->k) == 0 && ll_read_u64(in, &metric) == 0 &&
             ll_read_u64(in, &weights) == 0 && ll_read_size(in, 1, SIZE_MAX, &n_rows) == 0 &&
             m->k >= 1 && m->k <= n_rows && metric <= 1 && weights <= 1 &&
             ll_read_size(in, n_rows * sizeof(double), MAX_SAVED_COLS, &n_cols) == 0;
    ll_status st = ok ? LL_OK : LL_EINVAL;
    double *x = NULL;
    if (st == LL_OK) {
        m->metric = metric ? LL_DIST_MANHATTAN : LL_DIST_SQEUCLIDEAN;
        m->distance_weights = (int)weights;
        x = malloc((n_cols ? n_rows * n_cols : 1) * sizeof *x);
        m->labels = malloc(n_rows);
        st = x && m->labels ? LL_OK : LL_ENOMEM;
    }
    if (st == LL_OK) {
        ok = ll_read_f64s(in, x, n_rows * n_cols) == 0 && all_finite(x, n_rows * n_cols) &&
             ll_read_bytes(in, m->labels, n_rows) == 0;
        for (size_t i = 0; i < n_rows && ok; i++)
            ok = m->labels[i] <= 1;
        st = ok ? LL_OK : LL_EINVAL;
    }
    if (st == LL_OK && ll_dist_index_build(&m->index, x, n_rows, n_cols) != 0)
        st = LL_ENOMEM;
    free(x);
    if (st != LL_OK) {
        knn_destroy(m);
        return st == LL_ENOMEM ? ll_fail(err, st, "knn: out of memory loading %zu rows", n_rows)
                               : ll_fail(err, st, "knn: model bytes truncated or corrupt");
    }
    *state = m;
    return LL_OK;
}

static const ll_param knn_params[] = {
    {.name = "k", .type = LL_P_INT, .dflt = "5", .min = 1, .max = 1e9,
     .doc = "neighbours that vote; at most the number of training rows"},
    {.name = "metric", .type = LL_P_STR, .dflt = "euclidean", .choices = "euclidean|manhattan",
     .doc = "distance between rows"},
    {.name = "weights", .type = LL_P_STR, .dflt = "uniform", .choices = "uniform|distance",
     .doc = "uniform: one vote each; distance: votes weigh 1/d, and rows at distance 0, if any, "
            "decide alone (as scikit-learn)"},
};

static const ll_model_vt knn_vt = {
    .struct_size = sizeof(ll_model_vt),
    .create = knn_create,
    .fit = knn_fit,
    .predict_proba = knn_predict,
    .destroy = knn_destroy,
    .save = knn_save,
    .load = knn_load,
    /* no importances: the host permutes the features instead */
};

static const ll_plugin knn_plugin = {
    LL_PLUGIN_ABI,
    .name = "knn",
    .version = "1.1.0",
    .summary = "k nearest neighbours (scikit-learn's KNeighborsClassifier), exact brute force",
    LL_PARAMS(knn_params),
    .model = &knn_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &knn_plugin; }
