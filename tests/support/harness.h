/* leadlab test harness: loads built plugins and builds validated parameter sets, so a suite
 * can drive a plugin through exactly the ABI the runner uses. Failures abort the test (Check). */
#ifndef LL_TEST_HARNESS_H
#define LL_TEST_HARNESS_H

#include <check.h>
#include <stddef.h>

#include "leadlab/plugin.h"

/* The plugin NAME from the build's plugins/ folder; fails the test if it cannot be loaded. */
const ll_plugin *th_plugin(const char *name);
const ll_host *th_host(void);

/* Parameters from a YAML flow mapping such as "{k: 5, ratio: 0.5}" ("" or NULL = defaults),
 * validated against the plugin's schema; fails the test unless it gives exactly one config.
 * Free with th_params_free. */
ll_params *th_params(const ll_plugin *plugin, const char *yaml);
/* Same, but returns -1 and the validation message instead of failing (for bad-input tests). */
int th_params_try(const ll_plugin *plugin, const char *yaml, ll_params **out, char *msg,
                  size_t msg_len);
void th_params_free(ll_params *params);

/* create + fit + predict_proba + destroy; returns the first failing status (err says why). */
ll_status th_fit_predict(const ll_plugin *model, const char *yaml, const ll_data *train,
                         const ll_data *test, uint64_t seed, int threads, double *proba,
                         ll_err *err);

/* Path of a file of the real lead data (../shared/data/NAME), or NULL when it is absent. */
const char *th_real_data(const char *name);
/* A fresh temporary directory (removed by the caller if it cares). */
const char *th_tmpdir(void);

/* Writes text to DIR/NAME and returns the full path (static buffer, one per call site). */
const char *th_write_file(const char *dir, const char *name, const char *text, char *path,
                          size_t path_len);
/* Runs the leadlab executable with `args` (a shell-quoted string), capturing stdout and
 * stderr into malloc'd strings the caller frees (either pointer may be NULL). Returns the
 * exit status. */
int th_run_leadlab(const char *args, char **out, char **err);
/* The whole file as a malloc'd string, or NULL. */
char *th_read_file(const char *path);

#endif
