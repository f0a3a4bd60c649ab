/* Example out-of-tree sampler `ros`: random oversampling (imbalanced-learn's RandomOverSampler)
 * that appends copies of minority rows drawn with replacement until minority/majority = ratio. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <leadlab/plugin.h>
#include <leadlab/sdk/sampling.h>

static const ll_param ros_params[] = {
    /* Written out rather than LL_PARAM_REAL: the flag makes 0 itself out of range. */
    {.name = "ratio", .type = LL_P_REAL, .dflt = "1.0", .min = 0, .max = 1,
     .flags = LL_P_MIN_EXCLUSIVE,
     .doc = "minority/majority after resampling: round(ratio * majority) - minority copies "
            "are added"},
};

static ll_status ros_resample(const ll_host *host, const ll_params *params, const ll_data *in,
                              uint64_t seed, int threads, ll_owned_data *out, ll_err *err)
{
    (void)threads; /* copying rows: memory-bound */
    memset(out, 0, sizeof *out);
    double ratio = host->real(params, "ratio");

    ll_class_balance cb;
    if (ll_class_balance_of(in, &cb) != 0)
        return ll_fail(err, LL_EINVAL, "ros: labels must be 0 or 1");
    if (cb.n_minority == 0)
        return ll_fail(err, LL_EINVAL, "ros: the fold has no minority row to copy");
    /* Rounded to the nearest row, as the built-in smote does. */
    double target = round(ratio * (double)cb.n_majority);
    if (target < (double)cb.n_minority)
        return ll_fail(err, LL_EINVAL,
                       "ros: ratio=%g cannot be reached by oversampling: the fold's "
                       "minority/majority ratio is already %.4g (%zu/%zu)",
                       ratio, (double)cb.n_minority / (double)cb.n_majority, cb.n_minority,
                       cb.n_majority);
    size_t n_new = (size_t)target - cb.n_minority, d = in->n_cols;

    /* The minority rows side by side, so the k-th of them is one multiplication away. */
    double *minority = ll_alloc_array(cb.n_minority * d, sizeof *minority);
    if (!minority || ll_owned_data_alloc(out, in->n_rows + n_new, d) != 0) {
        free(minority);
        return ll_fail(err, LL_ENOMEM, "ros: out of memory for %zu rows", in->n_rows + n_new);
    }
    ll_gather_class(in, cb.minority, minority, NULL);
    ll_copy_rows(in, NULL, out);

    ll_rng rng;
    ll_rng_seed(&rng, seed);
    double *dst = out->x + in->n_rows * d;
    for (size_t s = 0; s < n_new; s++, dst += d) {
        size_t pick = (size_t)ll_rng_below(&rng, cb.n_minority);
        memcpy(dst, minority + pick * d, d * sizeof *dst);
    }
    memset(out->y + in->n_rows, cb.minority, n_new);
    free(minority);
    host->log(LL_LOG_DEBUG, "ros: %zu minority rows + %zu copies vs %zu majority", cb.n_minority,
              n_new, cb.n_majority);
    return LL_OK;
}

static const ll_sampler_vt ros_vt = {.struct_size = sizeof(ll_sampler_vt),
                                     .resample = ros_resample};

static const ll_plugin ros_plugin = {
    LL_PLUGIN_ABI,
    .name = "ros",
    .version = "1.0.0",
    .summary = "random oversampling: copies of minority rows drawn with replacement",
    LL_PARAMS(ros_params),
    .sampler = &ros_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &ros_plugin; }
