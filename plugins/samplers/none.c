/* leadlab sampler `none`: returns the training rows unchanged, the baseline every resampler
 * is compared against. */
#include <stdlib.h>
#include <string.h>

#include "leadlab/plugin.h"

static ll_status none_resample(const ll_host *host, const ll_params *params, const ll_data *in,
                               uint64_t seed, int threads, ll_owned_data *out, ll_err *err)
{
    (void)threads; /* single-threaded */
    (void)host;
    (void)params;
    (void)seed;
    size_t cells = in->n_rows * in->n_cols;
    memset(out, 0, sizeof *out);
    out->x = malloc((cells ? cells : 1) * sizeof *out->x);
    out->y = malloc(in->n_rows ? in->n_rows : 1);
    if (!out->x || !out->y) {
        free(out->x);
        free(out->y);
        memset(out, 0, sizeof *out);
        return ll_fail(err, LL_ENOMEM, "none: out of memory for %zu rows", in->n_rows);
    }
    memcpy(out->x, in->x, cells * sizeof *out->x);
    memcpy(out->y, in->y, in->n_rows);
    out->n_rows = in->n_rows;
    out->n_cols = in->n_cols;
    return LL_OK;
}

static const ll_sampler_vt none_vt = {.struct_size = sizeof(ll_sampler_vt), .resample = none_resample};

static const ll_plugin none_plugin = {
    LL_PLUGIN_ABI,
    .name = "none",
    .version = "1.0.0",
    .summary = "no resampling: the training rows as they are",
    .sampler = &none_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &none_plugin; }
