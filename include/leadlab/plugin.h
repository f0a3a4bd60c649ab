/* leadlab plugin ABI: the only header a sampler or model plugin includes.
 * A plugin is one shared object exporting LL_PLUGIN_ENTRY; fields are only ever appended. */
#ifndef LEADLAB_PLUGIN_H
#define LEADLAB_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LL_ABI_VERSION 1u
#define LL_PLUGIN_ENTRY "leadlab_plugin"

#if defined(__GNUC__)
#define LL_EXPORT __attribute__((visibility("default")))
#define LL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LL_EXPORT
#define LL_PRINTF(a, b)
#endif

typedef enum {
    LL_OK = 0,
    LL_EINVAL,   /* bad parameter or data the plugin cannot use */
    LL_ENOMEM,
    LL_ENUMERIC, /* the solver diverged or produced a non-finite value */
    LL_EFAIL     /* anything else */
} ll_status;

/* Caller-owned error buffer, one per cell: plugins write one line, no trailing newline. */
typedef struct {
    char msg[256];
} ll_err;

/* Borrowed view of a dense row-major matrix; x[i * n_cols + j]. y is NULL at prediction.
 * col_binary (may be NULL) flags columns whose raw values were 0/1 (indicators, one-hots):
 * after scaling they hold two distinct values, which samplers may want to preserve. */
typedef struct {
    const double *x;
    const uint8_t *y;
    size_t n_rows, n_cols;
    const uint8_t *col_binary;
} ll_data;

/* A sampler's output. The plugin allocates x and y with malloc; the runner frees them. */
typedef struct {
    double *x;
    uint8_t *y;
    size_t n_rows, n_cols;
} ll_owned_data;

/* Parameter schema. Values arrive validated and with defaults filled in, so the getters
 * below never fail for a declared key. */
typedef enum {
    LL_P_INT,      /* integer in [min, max] */
    LL_P_REAL,     /* real number in [min, max] */
    LL_P_STR,      /* one of `choices` ("a|b|c") */
    LL_P_BOOL,     /* true | false */
    LL_P_INT_LIST  /* list of integers, each in [min, max]; a list of lists is a grid */
} ll_param_type;

/* flags */
#define LL_P_MIN_EXCLUSIVE 1u /* value must be > min rather than >= min */
#define LL_P_MAX_EXCLUSIVE 2u /* value must be < max rather than <= max */
#define LL_P_NONFINITE 4u     /* REAL: .inf and .nan are meaningful (refused otherwise) */

typedef struct {
    const char *name;
    ll_param_type type;
    const char *dflt;    /* default in YAML text form; NULL = required */
    double min, max;     /* inclusive unless flags say otherwise; ignored for STR/BOOL */
    /* STR: the allowed words. INT/REAL: extra words accepted in place of a number
     * (e.g. "scale" for gamma, "none" for max_depth); NULL = none. */
    const char *choices;
    const char *doc;
    unsigned flags;
} ll_param;

typedef struct ll_params ll_params; /* opaque: one validated parameter mapping */

enum { LL_LOG_ERROR = 0, LL_LOG_WARN = 1, LL_LOG_INFO = 2, LL_LOG_DEBUG = 3 };

/* Services the runner lends a plugin. Thread-safe. */
typedef struct ll_host {
    uint32_t abi_version, struct_size;
    /* The number; NaN when the value is one of the param's words (then use `string`). */
    double (*real)(const ll_params *, const char *key);
    long (*integer)(const ll_params *, const char *key);
    /* The value's text as written (or the default), e.g. "balanced", "scale", "0.5". */
    const char *(*string)(const ll_params *, const char *key);
    int (*boolean)(const ll_params *, const char *key);
    /* Copies up to `cap` integers into `out`; returns the list's length. */
    size_t (*int_list)(const ll_params *, const char *key, long *out, size_t cap);
    void (*log)(int level, const char *fmt, ...) LL_PRINTF(2, 3);
} ll_host;

typedef struct ll_model_vt {
    /* Reads the parameters into a fresh state; nothing heavy here. */
    ll_status (*create)(const ll_host *, const ll_params *, void **state, ll_err *);
    /* Trains on borrowed data. Every random draw comes from `seed`; `threads` >= 1 is the
     * budget for OpenMP inside the plugin (use none when it is 1). Results must not depend
     * on `threads`. */
    ll_status (*fit)(void *state, const ll_data *train, uint64_t seed, int threads, ll_err *);
    /* Writes P(y = 1) in [0, 1] for every row of x into out[n_rows]. */
    ll_status (*predict_proba)(const void *state, const ll_data *x, double *out, ll_err *);
    void (*destroy)(void *state); /* NULL-safe */
} ll_model_vt;

typedef struct ll_sampler_vt {
    /* Resamples the training rows of one fold into `out` (see ll_owned_data for ownership).
     * On error, out is left empty. */
    ll_status (*resample)(const ll_host *, const ll_params *, const ll_data *in, uint64_t seed,
                          ll_owned_data *out, ll_err *);
} ll_sampler_vt;

typedef struct ll_plugin {
    uint32_t abi_version, struct_size; /* LL_ABI_VERSION, sizeof(ll_plugin) */
    const char *name, *version, *summary;
    const ll_param *params;
    size_t n_params;
    const ll_model_vt *model;     /* exactly one of these two is set */
    const ll_sampler_vt *sampler;
} ll_plugin;

typedef const ll_plugin *(*ll_plugin_entry_fn)(void);

/* Each plugin defines exactly this, and nothing else is exported. */
LL_EXPORT const ll_plugin *leadlab_plugin(void);

/* Writes a formatted one-line message into err (NULL-safe) and returns `status`. */
#include <stdarg.h>
#include <stdio.h>
static inline ll_status ll_fail(ll_err *err, ll_status status, const char *fmt, ...) LL_PRINTF(3, 4);
static inline ll_status ll_fail(ll_err *err, ll_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

#ifdef __cplusplus
}
#endif
#endif
