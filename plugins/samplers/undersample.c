/* leadlab sampler `undersample`: drops majority rows down to a minority/majority ratio, at
 * random or by the NearMiss rules of Mani & Zhang (2003) as imbalanced-learn implements them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leadlab/plugin.h"
#include "neighbors.h"
#include "sampling.h"

static const ll_param undersample_params[] = {
    {"ratio", LL_P_REAL, "1.0", 0, 1, NULL,
     "minority/majority after resampling: round(minority / ratio) majority rows are kept",
     LL_P_MIN_EXCLUSIVE},
    {"method", LL_P_STR, "random", 0, 0, "random|nearmiss1|nearmiss2|nearmiss3",
     "which majority rows stay: uniform at random, or NearMiss version 1, 2 or 3", 0},
    {"k", LL_P_INT, "3", 1, HUGE_VAL, NULL,
     "NearMiss: minority neighbours whose mean distance scores a majority row", 0},
    {"k_ver3", LL_P_INT, "3", 1, HUGE_VAL, NULL,
     "NearMiss-3: nearest majority rows of each minority row that become candidates", 0},
};

typedef enum { METHOD_RANDOM, METHOD_NEARMISS1, METHOD_NEARMISS2, METHOD_NEARMISS3 } method;

/* The two classes gathered contiguously, and where the majority rows came from. */
typedef struct {
    double *xmin, *xmaj;
    size_t *maj_rows; /* input row number of each majority row */
    size_t n_min, n_maj, d;
} class_split;

typedef struct {
    double key;
    size_t pos;
} keyed_pos;

/* Ascending by key, then by position: Python's stable sorted() as imbalanced-learn uses it. */
static int keyed_pos_cmp(const void *pa, const void *pb)
{
    const keyed_pos *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Flags keep[rows[i]] for the n_keep smallest scores[i] (largest with `largest`); equal scores
 * go to the lower i, also largest-first (sorted(reverse=True) is stable too). Returns -1 on out
 * of memory. */
static int keep_best(const double *scores, const size_t *rows, size_t n, size_t n_keep,
                     int largest, uint8_t *keep)
{
    keyed_pos *order = ll_alloc_array(n, sizeof *order);
    if (!order)
        return -1;
    for (size_t i = 0; i < n; i++)
        order[i] = (keyed_pos){largest ? -scores[i] : scores[i], i};
    qsort(order, n, sizeof *order, keyed_pos_cmp);
    for (size_t i = 0; i < n && i < n_keep; i++)
        keep[rows[order[i].pos]] = 1;
    free(order);
    return 0;
}

/* score[q] = sum of the Euclidean distances from query row q to its k nearest (or farthest)
 * minority rows, added smallest first. The mean ranks rows the same way. Returns -1 on out of
 * memory. */
static int minority_distance_scores(const class_split *cs, const double *query, size_t n_query,
                                    size_t k, int farthest, double *score)
{
    double *dist2 = ll_alloc_array(n_query * k, sizeof *dist2);
    ll_knn_opts opts = {.k = k, .exclude_self = 0, .farthest = farthest, .threads = 1};
    if (!dist2 || ll_knn_search(query, n_query, cs->xmin, cs->n_min, cs->d, &opts, NULL, dist2)) {
        free(dist2);
        return -1;
    }
    for (size_t q = 0; q < n_query; q++) {
        const double *row = dist2 + q * k;
        double sum = 0.0;
        for (size_t r = 0; r < k; r++)
            sum += sqrt(row[farthest ? k - 1 - r : r]);
        score[q] = sum;
    }
    free(dist2);
    return 0;
}

/* NearMiss-1 and -2: every majority row is scored against the minority. */
static int keep_nearmiss12(const class_split *cs, size_t k, int farthest, size_t n_keep,
                           uint8_t *keep)
{
    double *score = ll_alloc_array(cs->n_maj, sizeof *score);
    int rc = score ? minority_distance_scores(cs, cs->xmaj, cs->n_maj, k, farthest, score) : -1;
    if (rc == 0)
        rc = keep_best(score, cs->maj_rows, cs->n_maj, n_keep, 0, keep);
    free(score);
    return rc;
}

/* NearMiss-3: the k_ver3 nearest majority rows of each minority row are the candidates (in
 * majority order, like np.unique); of those, keep the ones farthest on average from their k
 * nearest minority rows. Fewer candidates than n_keep keeps them all (*n_kept says so). */
static int keep_nearmiss3(const class_split *cs, size_t k, size_t k_ver3, size_t n_keep,
                          uint8_t *keep, size_t *n_kept)
{
    size_t d = cs->d, n_cand = 0;
    size_t *near_maj = ll_alloc_array(cs->n_min * k_ver3, sizeof *near_maj);
    uint8_t *is_cand = calloc(cs->n_maj + 1, 1);
    size_t *cand_rows = ll_alloc_array(cs->n_maj, sizeof *cand_rows);
    double *xcand = ll_alloc_array(cs->n_maj * d, sizeof *xcand);
    double *score = ll_alloc_array(cs->n_maj, sizeof *score);
    ll_knn_opts opts = {.k = k_ver3, .exclude_self = 0, .farthest = 0, .threads = 1};
    int rc = -1;
    if (!near_maj || !is_cand || !cand_rows || !xcand || !score ||
        ll_knn_search(cs->xmin, cs->n_min, cs->xmaj, cs->n_maj, d, &opts, near_maj, NULL) != 0)
        goto done;
    for (size_t i = 0; i < cs->n_min * k_ver3; i++)
        is_cand[near_maj[i]] = 1;
    for (size_t m = 0; m < cs->n_maj; m++) {
        if (!is_cand[m])
            continue;
        memcpy(xcand + n_cand * d, cs->xmaj + m * d, d * sizeof *xcand);
        cand_rows[n_cand++] = cs->maj_rows[m];
    }
    rc = minority_distance_scores(cs, xcand, n_cand, k, 0, score);
    if (rc == 0)
        rc = keep_best(score, cand_rows, n_cand, n_keep, 1, keep);
    *n_kept = n_cand < n_keep ? n_cand : n_keep;
done:
    free(near_maj);
    free(is_cand);
    free(cand_rows);
    free(xcand);
    free(score);
    return rc;
}

/* Uniform without replacement: a partial Fisher-Yates shuffle of the majority rows. */
static void keep_random(const class_split *cs, uint64_t seed, size_t n_keep, uint8_t *keep)
{
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    for (size_t i = 0; i < n_keep; i++) {
        size_t j = i + (size_t)ll_rng_below(&rng, cs->n_maj - i);
        size_t t = cs->maj_rows[i];
        cs->maj_rows[i] = cs->maj_rows[j];
        cs->maj_rows[j] = t;
        keep[cs->maj_rows[i]] = 1;
    }
}

static void class_split_free(class_split *cs)
{
    free(cs->xmin);
    free(cs->xmaj);
    free(cs->maj_rows);
}

static int class_split_init(class_split *cs, const ll_data *in, const ll_class_balance *cb)
{
    size_t d = in->n_cols;
    cs->n_min = cb->n_minority;
    cs->n_maj = cb->n_majority;
    cs->d = d;
    cs->xmin = ll_alloc_array(cs->n_min * d, sizeof *cs->xmin);
    cs->xmaj = ll_alloc_array(cs->n_maj * d, sizeof *cs->xmaj);
    cs->maj_rows = ll_alloc_array(cs->n_maj, sizeof *cs->maj_rows);
    if (!cs->xmin || !cs->xmaj || !cs->maj_rows) {
        class_split_free(cs);
        return -1;
    }
    ll_gather_class(in, cb->minority, cs->xmin, NULL);
    ll_gather_class(in, (uint8_t)!cb->minority, cs->xmaj, cs->maj_rows);
    return 0;
}

static method method_of(const char *name)
{
    if (strcmp(name, "nearmiss1") == 0)
        return METHOD_NEARMISS1;
    if (strcmp(name, "nearmiss2") == 0)
        return METHOD_NEARMISS2;
    if (strcmp(name, "nearmiss3") == 0)
        return METHOD_NEARMISS3;
    return METHOD_RANDOM;
}

/* Data-dependent checks the schema cannot make. */
static ll_status check_neighbours(method m, long k, long k_ver3, const ll_class_balance *cb,
                                  ll_err *err)
{
    if (m == METHOD_RANDOM)
        return LL_OK;
    if ((size_t)k > cb->n_minority)
        return ll_fail(err, LL_EINVAL, "undersample: k=%ld exceeds the fold's %zu minority rows",
                       k, cb->n_minority);
    if (m == METHOD_NEARMISS3 && (size_t)k_ver3 > cb->n_majority)
        return ll_fail(err, LL_EINVAL,
                       "undersample: k_ver3=%ld exceeds the fold's %zu majority rows", k_ver3,
                       cb->n_majority);
    return LL_OK;
}

/* Flags the majority rows to keep (minority rows are flagged by the caller). */
static ll_status select_majority(const ll_host *host, const ll_params *params, const ll_data *in,
                                 const ll_class_balance *cb, method m, uint64_t seed,
                                 size_t n_keep, uint8_t *keep, ll_err *err)
{
    class_split cs;
    if (class_split_init(&cs, in, cb) != 0)
        return ll_fail(err, LL_ENOMEM, "undersample: out of memory for %zu rows", in->n_rows);
    size_t k = (size_t)host->integer(params, "k"), n_kept = n_keep;
    int rc = 0;
    switch (m) {
    case METHOD_RANDOM:
        keep_random(&cs, seed, n_keep, keep);
        break;
    case METHOD_NEARMISS1:
    case METHOD_NEARMISS2:
        rc = keep_nearmiss12(&cs, k, m == METHOD_NEARMISS2, n_keep, keep);
        break;
    case METHOD_NEARMISS3:
        rc = keep_nearmiss3(&cs, k, (size_t)host->integer(params, "k_ver3"), n_keep, keep,
                            &n_kept);
        break;
    }
    class_split_free(&cs);
    if (rc != 0)
        return ll_fail(err, LL_ENOMEM, "undersample: out of memory in the neighbour search");
    if (n_kept < n_keep && host->log)
        host->log(LL_LOG_WARN,
                  "undersample: nearmiss3 found only %zu candidate majority rows for the %zu "
                  "asked; keeping them all",
                  n_kept, n_keep);
    return LL_OK;
}

static ll_status undersample_resample(const ll_host *host, const ll_params *params,
                                      const ll_data *in, uint64_t seed, int threads, ll_owned_data *out,
                                      ll_err *err)
{
    (void)threads; /* single-threaded */
    memset(out, 0, sizeof *out);
    double ratio = host->real(params, "ratio");
    method m = method_of(host->string(params, "method"));

    ll_class_balance cb;
    if (ll_class_balance_of(in, &cb) != 0)
        return ll_fail(err, LL_EINVAL, "undersample: labels must be 0 or 1");
    if (cb.n_minority == 0)
        return ll_fail(err, LL_EINVAL, "undersample: the fold has rows of one class only");
    /* Nearest-integer rounding (imbalanced-learn truncates); keeping every majority row is
     * allowed and changes nothing. */
    double target = round((double)cb.n_minority / ratio);
    if (target > (double)cb.n_majority)
        return ll_fail(err, LL_EINVAL,
                       "undersample: ratio=%g cannot be reached by undersampling: the fold's "
                       "minority/majority ratio is already %.4g (%zu/%zu)",
                       ratio, (double)cb.n_minority / (double)cb.n_majority, cb.n_minority,
                       cb.n_majority);
    ll_status st = check_neighbours(m, host->integer(params, "k"), host->integer(params, "k_ver3"),
                                    &cb, err);
    if (st != LL_OK)
        return st;
    size_t n_keep = (size_t)target;

    uint8_t *keep = ll_alloc_array(in->n_rows, 1);
    if (!keep)
        return ll_fail(err, LL_ENOMEM, "undersample: out of memory for %zu rows", in->n_rows);
    for (size_t i = 0; i < in->n_rows; i++)
        keep[i] = in->y[i] == cb.minority || n_keep == cb.n_majority;
    if (n_keep < cb.n_majority)
        st = select_majority(host, params, in, &cb, m, seed, n_keep, keep, err);
    size_t n_out = 0;
    for (size_t i = 0; i < in->n_rows; i++)
        n_out += keep[i];
    if (st == LL_OK && ll_owned_data_alloc(out, n_out, in->n_cols) != 0)
        st = ll_fail(err, LL_ENOMEM, "undersample: out of memory for %zu rows", n_out);
    if (st == LL_OK)
        ll_copy_rows(in, keep, out);
    free(keep);
    if (st == LL_OK && host->log)
        host->log(LL_LOG_DEBUG, "undersample: kept %zu of %zu majority rows next to %zu minority",
                  n_out - cb.n_minority, cb.n_majority, cb.n_minority);
    return st;
}

static const ll_sampler_vt undersample_vt = {.struct_size = sizeof(ll_sampler_vt), .resample = undersample_resample};

static const ll_plugin undersample_plugin = {
    LL_PLUGIN_ABI,
    .name = "undersample",
    .version = "1.0.0",
    .summary = "undersampling of the majority class: random or NearMiss-1/2/3",
    LL_PARAMS(undersample_params),
    .sampler = &undersample_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &undersample_plugin; }
