/* leadlab plugin ABI, version 2: the only header a sampler or model plugin includes.
 * A plugin is one shared object exporting `leadlab_plugin`; tables are only ever appended to. */
#ifndef LEADLAB_PLUGIN_H
#define LEADLAB_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "leadlab/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The major version changes only when a table changes incompatibly: the host refuses a plugin
 * of another major version. The minor version counts appended members: the host loads a
 * plugin built against an older minor (reading only the members its sizes cover) and refuses
 * one built against a newer minor than its own. */
#define LL_ABI_VERSION 2u
#define LL_ABI_MINOR 1u
#define LL_PLUGIN_ENTRY "leadlab_plugin"

#if defined(__GNUC__)
#define LL_EXPORT __attribute__((visibility("default")))
#define LL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LL_EXPORT
#define LL_PRINTF(a, b)
#endif

/* Whether a table of `type` whose struct_size the plugin (or host) filled covers `member`:
 * how code reads a member appended after the table's first version. */
#define LL_HAS(type, table, member)                                                           \
    ((table)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

/* ---- threads and lifetimes ----------------------------------------------------------------
 * Concurrency: the host calls fit, predict_proba, save and importances concurrently from
 * several threads (and processes), each call on its own state; one state is never used by two
 * threads at once. resample and create run concurrently too. So a plugin keeps no writable
 * global or static data. Inside a call, OpenMP may use up to `threads` threads, and the result
 * must not depend on how many.
 * Lifetimes: an ll_params and every string a getter returns from it stay valid until the state
 * created from them is destroyed (for a sampler: until resample returns); copy what you keep
 * longer. Data (ll_data) is borrowed for the call only. Strings the plugin hands the host
 * (name, version, summary, docs, words) are static and live as long as the shared object.
 * NULL: every member of ll_host up to `log` is set; members appended later may be absent
 * (test with LL_HAS(ll_host, host, member)). In ll_data, y is NULL for rows to score, and
 * col_binary and col_names may be NULL. */

typedef enum {
    LL_OK = 0,
    LL_EINVAL,   /* bad parameter or data the plugin cannot use */
    LL_ENOMEM,
    LL_ENUMERIC, /* the solver diverged or produced a non-finite value */
    LL_EFAIL     /* anything else */
} ll_status;

/* Caller-owned error buffer, one per call: plugins write one line, no trailing newline. */
typedef struct {
    char msg[256];
} ll_err;

/* Borrowed view of a dense row-major matrix; x[i * n_cols + j]. y is NULL at prediction.
 * col_binary (may be NULL) flags columns whose raw values were 0/1 (indicators, one-hots):
 * after scaling they hold two distinct values, which samplers may want to preserve.
 * col_names (may be NULL) names the n_cols features, e.g. for messages or importances. */
typedef struct {
    const double *x;
    const uint8_t *y;
    size_t n_rows, n_cols;
    const uint8_t *col_binary;
    const char *const *col_names;
} ll_data;

/* A sampler's output. The plugin allocates x and y with malloc; the host frees them. */
typedef struct {
    double *x;
    uint8_t *y;
    size_t n_rows, n_cols;
} ll_owned_data;

/* ---- parameters ---------------------------------------------------------------------------
 * The schema a plugin declares. The host checks it when the plugin loads (unique names, a type
 * it knows, defaults inside their own range) and validates every spec value against it, so
 * the getters never fail for a declared key. */
typedef enum {
    LL_P_INT,       /* integer in [min, max] */
    LL_P_REAL,      /* real number in [min, max] */
    LL_P_STR,       /* one of `choices` ("a|b|c") */
    LL_P_BOOL,      /* true | false */
    LL_P_INT_LIST,  /* list of integers, each in [min, max]; a list of lists is a grid */
    LL_P_REAL_LIST, /* list of reals, each in [min, max], e.g. a class prior [0.95, 0.05] */
    LL_P_STR_LIST   /* list of words, each one of `choices` (NULL: any word) */
} ll_param_type;

/* flags */
#define LL_P_MIN_EXCLUSIVE 1u /* value must be > min rather than >= min */
#define LL_P_MAX_EXCLUSIVE 2u /* value must be < max rather than <= max */
#define LL_P_NONFINITE 4u     /* REAL: .inf and .nan are meaningful (refused otherwise) */

/* One parameter. The descriptor gives the element size (param_size), so members appended here
 * later do not change how an older plugin's array is read. */
typedef struct {
    const char *name;
    ll_param_type type;
    const char *dflt; /* default in YAML text form ("5", "[0.5, 0.5]"); NULL = required */
    double min, max;  /* inclusive unless flags say otherwise; ignored for STR/BOOL */
    /* STR, STR_LIST: the allowed words. INT/REAL: extra words accepted in place of a number
     * (e.g. "scale" for gamma, "none" for max_depth); NULL = none. */
    const char *choices;
    const char *doc;
    unsigned flags;
} ll_param;

/* Declarations with designated initialisers; for flags or words, write the braces yourself:
 * {.name = "gamma", .type = LL_P_REAL, .dflt = "scale", .min = 0, .max = 1e12,
 *  .choices = "scale|auto", .flags = LL_P_MIN_EXCLUSIVE, .doc = "..."} */
#define LL_PARAM_INT(NAME, DFLT, MIN, MAX, DOC)                                               \
    {.name = (NAME), .type = LL_P_INT, .dflt = (DFLT), .min = (MIN), .max = (MAX), .doc = (DOC)}
#define LL_PARAM_REAL(NAME, DFLT, MIN, MAX, DOC)                                              \
    {.name = (NAME), .type = LL_P_REAL, .dflt = (DFLT), .min = (MIN), .max = (MAX), .doc = (DOC)}
#define LL_PARAM_STR(NAME, DFLT, CHOICES, DOC)                                                \
    {.name = (NAME), .type = LL_P_STR, .dflt = (DFLT), .choices = (CHOICES), .doc = (DOC)}
#define LL_PARAM_BOOL(NAME, DFLT, DOC)                                                        \
    {.name = (NAME), .type = LL_P_BOOL, .dflt = (DFLT), .doc = (DOC)}
#define LL_PARAM_INT_LIST(NAME, DFLT, MIN, MAX, DOC)                                          \
    {.name = (NAME), .type = LL_P_INT_LIST, .dflt = (DFLT), .min = (MIN), .max = (MAX),        \
     .doc = (DOC)}
#define LL_PARAM_REAL_LIST(NAME, DFLT, MIN, MAX, DOC)                                         \
    {.name = (NAME), .type = LL_P_REAL_LIST, .dflt = (DFLT), .min = (MIN), .max = (MAX),       \
     .doc = (DOC)}
#define LL_PARAM_STR_LIST(NAME, DFLT, CHOICES, DOC)                                           \
    {.name = (NAME), .type = LL_P_STR_LIST, .dflt = (DFLT), .choices = (CHOICES), .doc = (DOC)}

typedef struct ll_params ll_params; /* opaque: one validated parameter mapping */

enum { LL_LOG_ERROR = 0, LL_LOG_WARN = 1, LL_LOG_INFO = 2, LL_LOG_DEBUG = 3 };

/* Services the host lends a plugin. Thread-safe. Asking a getter for a key the schema does
 * not declare logs an error naming the plugin and the key, and returns NaN, 0, "" or 0. */
typedef struct ll_host {
    uint32_t abi_version, struct_size;
    /* The number; NaN when the value is one of the param's words (then use `string`). */
    double (*real)(const ll_params *, const char *key);
    long (*integer)(const ll_params *, const char *key);
    /* The value's text as written (or the default), e.g. "balanced", "scale", "0.5". */
    const char *(*string)(const ll_params *, const char *key);
    int (*boolean)(const ll_params *, const char *key);
    /* List getters copy up to `cap` items into `out` and return the list's length. */
    size_t (*int_list)(const ll_params *, const char *key, long *out, size_t cap);
    size_t (*real_list)(const ll_params *, const char *key, double *out, size_t cap);
    size_t (*string_list)(const ll_params *, const char *key, const char **out, size_t cap);
    void (*log)(int level, const char *fmt, ...) LL_PRINTF(2, 3);
} ll_host;

/* ---- saved models -------------------------------------------------------------------------
 * save writes the fitted state as bytes through a host writer, load rebuilds it from them.
 * The host frames, versions and checksums the bytes; the helpers below fix the byte order
 * (little-endian, IEEE 754 doubles), so a model file is the same on every machine. A reader
 * fails (returns nonzero) instead of reading past the end, so load never trusts a length. */
typedef struct ll_writer {
    void *ctx;
    int (*write)(void *ctx, const void *bytes, size_t n); /* 0, or nonzero on failure */
} ll_writer;

typedef struct ll_reader {
    void *ctx;
    int (*read)(void *ctx, void *bytes, size_t n); /* 0, or nonzero: fewer than n bytes left */
    size_t (*remaining)(void *ctx);
} ll_reader;

static inline int ll_write_u64(ll_writer *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return w->write(w->ctx, b, 8);
}

static inline int ll_read_u64(ll_reader *r, uint64_t *v)
{
    unsigned char b[8];
    if (r->read(r->ctx, b, 8) != 0)
        return -1;
    *v = 0;
    for (int i = 0; i < 8; i++)
        *v |= (uint64_t)b[i] << (8 * i);
    return 0;
}

static inline int ll_write_f64(ll_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return ll_write_u64(w, bits);
}

static inline int ll_read_f64(ll_reader *r, double *v)
{
    uint64_t bits;
    if (ll_read_u64(r, &bits) != 0)
        return -1;
    memcpy(v, &bits, sizeof bits);
    return 0;
}

/* A count, read back only if `elem_size` bytes per item could still follow (so a corrupt
 * count never becomes a huge allocation) and at most `max`. */
static inline int ll_write_size(ll_writer *w, size_t n) { return ll_write_u64(w, (uint64_t)n); }

static inline int ll_read_size(ll_reader *r, size_t elem_size, size_t max, size_t *n)
{
    uint64_t v;
    if (ll_read_u64(r, &v) != 0 || v > max)
        return -1;
    if (elem_size && v > r->remaining(r->ctx) / elem_size)
        return -1;
    *n = (size_t)v;
    return 0;
}

static inline int ll_write_f64s(ll_writer *w, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ll_write_f64(w, v[i]) != 0)
            return -1;
    return 0;
}

static inline int ll_read_f64s(ll_reader *r, double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ll_read_f64(r, &v[i]) != 0)
            return -1;
    return 0;
}

static inline int ll_write_bytes(ll_writer *w, const void *v, size_t n)
{
    return n ? w->write(w->ctx, v, n) : 0;
}

static inline int ll_read_bytes(ll_reader *r, void *v, size_t n)
{
    return n ? r->read(r->ctx, v, n) : 0;
}

/* ---- the tables a plugin exports ----------------------------------------------------------- */

typedef struct ll_model_vt {
    uint32_t struct_size; /* sizeof(ll_model_vt) as the plugin was built */
    /* Reads the parameters into a fresh state; nothing heavy here. */
    ll_status (*create)(const ll_host *, const ll_params *, void **state, ll_err *);
    /* Trains on borrowed data. Every random draw comes from `seed`; `threads` >= 1 is the
     * budget for OpenMP inside the plugin (use none when it is 1). Results must not depend
     * on `threads`. */
    ll_status (*fit)(void *state, const ll_data *train, uint64_t seed, int threads, ll_err *);
    /* Writes P(y = 1) in [0, 1] for every row of x into out[n_rows]. */
    ll_status (*predict_proba)(const void *state, const ll_data *x, int threads, double *out,
                               ll_err *);
    void (*destroy)(void *state); /* NULL-safe */
    /* Optional, both or neither (NULL: the model cannot be saved). save writes a fitted state
     * (LL_EINVAL before fit); load builds a state from what save wrote, which predict_proba,
     * save and importances then use like a fitted one (the host never fits a loaded state).
     * load leaves *state NULL on failure and must refuse truncated or corrupt bytes. */
    ll_status (*save)(const void *state, ll_writer *out, ll_err *);
    ll_status (*load)(const ll_host *, ll_reader *in, void **state, ll_err *);
    /* Since 2.1. Optional (NULL: the host computes permutation importance). Writes one
     * non-negative importance per feature of the fitted model into out[n_cols];
     * importance_kind names the measure, e.g. "gain" or "abs_coef". A configuration without
     * an importance of its own (an RBF kernel) returns LL_EINVAL, and the host permutes. */
    ll_status (*importances)(const void *state, size_t n_cols, double *out, ll_err *);
    const char *importance_kind;
} ll_model_vt;

typedef struct ll_sampler_vt {
    uint32_t struct_size; /* sizeof(ll_sampler_vt) as the plugin was built */
    /* Resamples the training rows of one fold into `out` (see ll_owned_data for ownership),
     * drawing only from `seed`, with up to `threads` OpenMP threads. On error, out is left
     * empty. */
    ll_status (*resample)(const ll_host *, const ll_params *, const ll_data *in, uint64_t seed,
                          int threads, ll_owned_data *out, ll_err *);
} ll_sampler_vt;

typedef struct ll_plugin {
    uint32_t abi_version, struct_size; /* LL_ABI_VERSION, sizeof(ll_plugin) */
    uint32_t abi_minor, param_size;    /* LL_ABI_MINOR, sizeof(ll_param) */
    const char *name, *version, *summary;
    const ll_param *params;
    size_t n_params;
    const ll_model_vt *model; /* exactly one of these two is set */
    const ll_sampler_vt *sampler;
} ll_plugin;

/* The version fields of a descriptor, and its parameter array:
 * static const ll_plugin plugin = {LL_PLUGIN_ABI, .name = "mymodel", ..., LL_PARAMS(params)}; */
#define LL_PLUGIN_ABI                                                                         \
    .abi_version = LL_ABI_VERSION, .struct_size = sizeof(ll_plugin),                          \
    .abi_minor = LL_ABI_MINOR, .param_size = sizeof(ll_param)
#define LL_PARAMS(array) .params = (array), .n_params = sizeof(array) / sizeof((array)[0])

typedef const ll_plugin *(*ll_plugin_entry_fn)(void);

/* Each plugin defines exactly this, and nothing else is exported. */
LL_EXPORT const ll_plugin *leadlab_plugin(void);

/* Writes a formatted one-line message into err (NULL-safe) and returns `status`. */
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
