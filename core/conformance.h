/* leadlab plugin conformance (`leadlab check-plugin`): runs one plugin on generated data and
 * reports, property by property, whether it keeps the ABI's promises; each check runs in its
 * own forked process with a time limit, so a crash or a hang fails a check, not the checker. */
#ifndef LL_CORE_CONFORMANCE_H
#define LL_CORE_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "yaml_tree.h"

typedef enum { LL_CHECK_PASS = 0, LL_CHECK_FAIL, LL_CHECK_SKIP } ll_check_outcome;

/* One property: a short name ("probabilities in [0, 1]") and one line saying why. */
typedef struct {
    char name[64];
    ll_check_outcome outcome;
    char detail[256];
} ll_check_result;

typedef struct {
    int threads;          /* N of the 1-vs-N comparison and the budget of threaded calls, >= 1 */
    double check_seconds; /* wall-clock limit of each check's process */
    uint64_t seed;        /* the generated data and the seeds handed to the plugin derive from it */
    /* The configuration to check (a YAML mapping, borrowed), or NULL for the defaults. */
    const ll_ynode *params;
} ll_check_options;

/* threads 4, 60 s per check, a fixed seed, the defaults. */
ll_check_options ll_check_defaults(void);

/* What ll_check_plugin found, for the summary line. */
typedef struct {
    size_t passed, failed, skipped;
    char name[64], version[32]; /* the plugin's */
    int is_model;
} ll_check_summary;

/* Receives every result as soon as it is known. */
typedef void (*ll_check_fn)(const ll_check_result *result, void *ctx);

/* Loads the plugin at `path` (a file: "x.so" means ./x.so) and runs every check, reporting
 * each result through `on_result` and counting them in *summary. Returns 0 when the checks
 * ran (whatever they found), -1 when the plugin cannot be loaded or checked (err: the loader's
 * one line). The calling process must not have run OpenMP code yet: checks are forked. */
int ll_check_plugin(const char *path, const ll_check_options *opt, ll_check_fn on_result,
                    void *ctx, ll_check_summary *summary, ll_error *err);

/* An ll_check_fn writing "PASS  NAME  (DETAIL)\n" to the FILE * given as ctx. */
void ll_check_write_line(const ll_check_result *result, void *file);

#endif
