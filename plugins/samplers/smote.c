/* leadlab sampler `smote`: oversamples the minority class with synthetic rows on the segments
 * between minority rows and their nearest minority neighbours (Chawla et al. 2002). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leadlab/plugin.h"
#include "neighbors.h"
#include "sampling.h"

static const ll_param smote_params[] = {
    {"k", LL_P_INT, "5", 1, HUGE_VAL, NULL,
     "minority neighbours a synthetic row may be interpolated towards", 0},
    {"ratio", LL_P_REAL, "1.0", 0, 1, NULL,
     "minority/majority after resampling: round(ratio * majority) - minority rows are added",
     LL_P_MIN_EXCLUSIVE},
    {"binary_columns", LL_P_STR, "keep", 0, 0, "keep|round",
     "round: a 0/1 column takes the endpoint value its interpolation is closer to", 0},
};

/* Fills n_new rows of `dst` (and nothing else). Like imbalanced-learn, each row draws one
 * (base row, neighbour rank) pair uniformly from the n_min x k pairs, i.e. base rows are
 * drawn with replacement, then u in [0, 1): dst = base + u (neighbour - base). */
static void synthesize(const double *xmin, size_t n_min, size_t d, const size_t *nn, size_t k,
                       const uint8_t *snap_cols, uint64_t seed, size_t n_new,
                       double *restrict dst)
{
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    for (size_t s = 0; s < n_new; s++, dst += d) {
        size_t pair = (size_t)ll_rng_below(&rng, (uint64_t)n_min * k);
        const double *restrict a = xmin + (pair / k) * d;
        const double *restrict b = xmin + nn[pair] * d;
        double u = ll_rng_uniform(&rng);
        for (size_t j = 0; j < d; j++)
            dst[j] = a[j] + u * (b[j] - a[j]);
        if (!snap_cols)
            continue;
        for (size_t j = 0; j < d; j++)
            if (snap_cols[j])
                dst[j] = fabs(dst[j] - a[j]) <= fabs(dst[j] - b[j]) ? a[j] : b[j];
    }
}

/* The synthetic part: gathers the minority rows, finds their neighbours, interpolates. */
static ll_status append_synthetic(const ll_data *in, const ll_class_balance *cb, size_t k,
                                  int snap, uint64_t seed, size_t n_new, double *dst,
                                  ll_err *err)
{
    size_t d = in->n_cols, n_min = cb->n_minority;
    double *xmin = ll_alloc_array(n_min * d, sizeof *xmin);
    size_t *nn = ll_alloc_array(n_min * k, sizeof *nn);
    ll_status st = LL_OK;
    if (!xmin || !nn) {
        st = ll_fail(err, LL_ENOMEM, "smote: out of memory for %zu minority rows", n_min);
        goto done;
    }
    ll_gather_class(in, cb->minority, xmin, NULL);
    ll_knn_opts opts = {.k = k, .exclude_self = 1, .farthest = 0, .threads = 1};
    if (ll_knn_search(xmin, n_min, xmin, n_min, d, &opts, nn, NULL) != 0) {
        st = ll_fail(err, LL_ENOMEM, "smote: out of memory in the neighbour search");
        goto done;
    }
    synthesize(xmin, n_min, d, nn, k, snap ? in->col_binary : NULL, seed, n_new, dst);
done:
    free(xmin);
    free(nn);
    return st;
}

static ll_status smote_resample(const ll_host *host, const ll_params *params, const ll_data *in,
                                uint64_t seed, int threads, ll_owned_data *out, ll_err *err)
{
    (void)threads; /* single-threaded */
    memset(out, 0, sizeof *out);
    long k = host->integer(params, "k");
    double ratio = host->real(params, "ratio");
    int snap = strcmp(host->string(params, "binary_columns"), "round") == 0;

    ll_class_balance cb;
    if (ll_class_balance_of(in, &cb) != 0)
        return ll_fail(err, LL_EINVAL, "smote: labels must be 0 or 1");
    if ((size_t)k >= cb.n_minority)
        return ll_fail(err, LL_EINVAL,
                       "smote: k=%ld needs more than %ld minority rows, the fold has %zu", k, k,
                       cb.n_minority);
    /* Nearest-integer rounding of the target (imbalanced-learn truncates instead, which turns
     * 0.29 * 100 into 28); a target equal to the current count adds nothing. */
    double target = round(ratio * (double)cb.n_majority);
    if (target < (double)cb.n_minority)
        return ll_fail(err, LL_EINVAL,
                       "smote: ratio=%g cannot be reached by oversampling: the fold's "
                       "minority/majority ratio is already %.4g (%zu/%zu)",
                       ratio, (double)cb.n_minority / (double)cb.n_majority, cb.n_minority,
                       cb.n_majority);
    size_t n_new = (size_t)target - cb.n_minority;

    if (ll_owned_data_alloc(out, in->n_rows + n_new, in->n_cols) != 0)
        return ll_fail(err, LL_ENOMEM, "smote: out of memory for %zu rows", in->n_rows + n_new);
    ll_copy_rows(in, NULL, out);
    memset(out->y + in->n_rows, cb.minority, n_new);
    if (n_new > 0) {
        ll_status st = append_synthetic(in, &cb, (size_t)k, snap, seed, n_new,
                                        out->x + in->n_rows * in->n_cols, err);
        if (st != LL_OK) {
            free(out->x);
            free(out->y);
            memset(out, 0, sizeof *out);
            return st;
        }
    }
    if (host->log)
        host->log(LL_LOG_DEBUG, "smote: %zu minority rows + %zu synthetic vs %zu majority",
                  cb.n_minority, n_new, cb.n_majority);
    return LL_OK;
}

static const ll_sampler_vt smote_vt = {.struct_size = sizeof(ll_sampler_vt), .resample = smote_resample};

static const ll_plugin smote_plugin = {
    LL_PLUGIN_ABI,
    .name = "smote",
    .version = "1.0.0",
    .summary = "SMOTE: synthetic minority rows interpolated towards k nearest minority rows",
    LL_PARAMS(smote_params),
    .sampler = &smote_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &smote_plugin; }
