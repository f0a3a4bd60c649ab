/* leadlab test harness: loads built plugins and builds validated parameter sets, so a suite
 * can drive a plugin through exactly the ABI the runner uses. Failures abort the test (Check). */
#ifndef LL_TEST_HARNESS_H
#define LL_TEST_HARNESS_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "blob.h"
#include "dataset.h"
#include "registry.h"
#include "runner.h"
#include "spec.h"
#include "leadlab/plugin.h"

/* A suite's whole main: runs it (CK_NORMAL), frees the runner, and returns EXIT_FAILURE when
 * a test failed, else TH_SKIPPED when a test skipped itself (th_require_real_data), else
 * EXIT_SUCCESS. */
int th_run_suite(Suite *suite);

/* The exit status of a suite run in which tests skipped and none failed: CTest's
 * SKIP_RETURN_CODE for the *_real_data tests (tests/CMakeLists.txt). */
#define TH_SKIPPED 77

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

/* Fails the test unless `yaml` is refused by the plugin's schema with a message containing
 * `expected` (NULL: any message). */
void th_assert_rejected(const ll_plugin *plugin, const char *yaml, const char *expected);

/* create + fit + predict_proba + destroy; returns the first failing status (err says why). */
ll_status th_fit_predict(const ll_plugin *model, const char *yaml, const ll_data *train,
                         const ll_data *test, uint64_t seed, int threads, double *proba,
                         ll_err *err);
/* Same, but fails the test unless every step succeeds. */
void th_fit_predict_ok(const ll_plugin *model, const char *yaml, const ll_data *train,
                       const ll_data *test, uint64_t seed, int threads, double *proba);
/* The model's decision values through the ABI, for a config whose P is the logistic of its
 * margin: fits, predicts, and writes logit(P) per test row; fails the test on an error or a
 * P saturated at 0 or 1 (no margin left to recover). */
void th_margins(const ll_plugin *model, const char *yaml, const ll_data *train,
                const ll_data *test, uint64_t seed, int threads, double *margin);

/* Fits `yaml` on train (2 threads), scores test, saves through the ABI, destroys the state and
 * its params, loads the bytes back and scores test again (1 thread): fails the test unless the
 * scores are bit-identical and load consumed every byte. Then loads every truncation of the
 * bytes (a sample for large models) and fails unless each is refused with a message. */
void th_save_load_roundtrip(const ll_plugin *model, const char *yaml, const ll_data *train,
                            const ll_data *test, uint64_t seed);

/* ---- saved models and importances, through the ABI ---- */

/* Creates `yaml` of `model`, fits it on train (`seed`, 1 thread) and saves it: returns the
 * bytes, which the caller frees with ll_blob_free. Fails the test if a step fails or the blob
 * ran out of memory. */
ll_blob th_saved_model(const ll_plugin *model, const char *yaml, const ll_data *train,
                       uint64_t seed);
/* model's load entry on bytes[0..len) (borrowed); returns its status, *state the loaded state
 * (the caller destroys it) and err why it failed. */
ll_status th_load_bytes(const ll_plugin *model, const uint8_t *bytes, size_t len, void **state,
                        ll_err *err);
/* Writes v at `at` as the ABI's little-endian u64 (8 bytes): a corrupt field in saved bytes. */
void th_put_u64(uint8_t *at, uint64_t v);

/* One corruption of saved bytes: the u64 at `offset` set to `value` (th_put_u64), and a piece of
 * the message load must refuse it with. */
typedef struct {
    size_t offset;
    uint64_t value;
    const char *message;
} th_corruption;

/* Loads bytes[0..len) (copied into a block of exactly len bytes) and fails the test unless load
 * returns LL_EINVAL, sets the state it was handed (not NULL) to NULL, and says why in a message
 * that starts with "NAME: " and contains `message`; `what` names the case in a failure. */
void th_assert_load_refused(const ll_plugin *model, const uint8_t *bytes, size_t len,
                            const char *message, const char *what);
/* th_assert_load_refused for each case, on a copy of the saved bytes with that corruption
 * written in; *saved is left as it was. */
void th_assert_corruptions_refused(const ll_plugin *model, const ll_blob *saved,
                                   const th_corruption *cases, size_t n_cases);

/* Saves `yaml` fitted on `first` (`seed`), loads the bytes, refits the loaded state on train
 * (`seed`, 1 thread) and scores test: fails the test unless every step succeeds and the scores
 * are bit-identical to a fresh state's of the same configuration (th_fit_predict_ok), i.e. the
 * parameters travel with the saved model and a refit forgets what was loaded. */
void th_assert_refit_after_load(const ll_plugin *model, const char *yaml, const ll_data *first,
                                const ll_data *train, const ll_data *test, uint64_t seed);

/* Fails the test unless an unfitted state of `yaml` refuses save with LL_EINVAL and the message
 * "NAME: save before fit" and, when the model has an importances entry, importances for n_cols
 * columns with "NAME: importances before fit". */
void th_assert_unfitted_refuses(const ll_plugin *model, const char *yaml, size_t n_cols);

/* create + fit (`seed`, 1 thread) + importances for n_cols columns into out[n_cols] + destroy;
 * returns the first failing status (err says why). */
ll_status th_fit_importances(const ll_plugin *model, const char *yaml, const ll_data *train,
                             uint64_t seed, size_t n_cols, double *out, ll_err *err);
/* Same for train's columns, but fails the test unless every step succeeds. */
void th_fit_importances_ok(const ll_plugin *model, const char *yaml, const ll_data *train,
                           uint64_t seed, double *out);

/* Fits `yaml` of `model` (seed 1) on 400 rows of 3 standard normal columns drawn from seed 17,
 * y = (x0 + 0.5 e > 0) with e a fourth draw per row, so that only column 0 carries y; fails the
 * test unless column 0's importance is more than 5 times each other column's. */
void th_assert_importances_follow_the_signal(const ll_plugin *model, const char *yaml);
/* th_fit_importances_ok on train, whose y only column 0 carries; then fails the test unless
 * every importance is non-negative, column 0's is the largest, and they sum to 1 (within
 * 1e-12), as normalised gain importances do. */
void th_assert_importances_led_by_column_0(const ll_plugin *model, const char *yaml,
                                           const ll_data *train, uint64_t seed);

/* The sampler's resample with `yaml`; returns its status (err says why). Free out with
 * th_owned_free. */
ll_status th_resample(const ll_plugin *sampler, const char *yaml, const ll_data *in,
                      uint64_t seed, ll_owned_data *out, ll_err *err);
/* Same, but fails the test unless it succeeds. */
ll_owned_data th_resample_ok(const ll_plugin *sampler, const char *yaml, const ll_data *in,
                             uint64_t seed);
void th_owned_free(ll_owned_data *data);

/* Path of a file of the real lead data (../shared/data/NAME, or the LL_TEST_DATA_DIR the build
 * was configured with), or NULL when it is absent. Static buffer, overwritten by the next call
 * of this or th_require_real_data. */
const char *th_real_data(const char *name);
/* The same for a test that needs the file: when it is absent, records that the test skipped
 * (so th_run_suite returns TH_SKIPPED), says so once on stderr and returns NULL; the test then
 * returns. With LL_REQUIRE_REAL_DATA set (CI when the data is there) it fails the test instead.
 * Real-data tests go in a TCase tagged "real_data" (tcase_set_tags), which CTest runs as
 * NAME_real_data. */
const char *th_require_real_data(const char *name);
/* A fresh temporary directory (removed by the caller if it cares). */
const char *th_tmpdir(void);

/* Writes text to DIR/NAME and returns the full path (static buffer, one per call site). */
const char *th_write_file(const char *dir, const char *name, const char *text, char *path,
                          size_t path_len);
/* Runs the leadlab executable with `args` (a shell-quoted string), capturing stdout and
 * stderr into malloc'd strings the caller frees (either pointer may be NULL). Returns the
 * exit status. */
int th_run_leadlab(const char *args, char **out, char **err);
/* Runs the leadlab executable with `args` and fails the test unless it is refused as bad
 * input: exit 2, nothing on stdout, and exactly one line on stderr containing `needle`. */
void th_assert_refused(const char *args, const char *needle);
/* The whole file as a malloc'd string, or NULL. */
char *th_read_file(const char *path);
/* Writes `spec` to DIR/NAME.yaml and runs `leadlab run` on it into DIR/NAME with `extra`
 * arguments, stdout into *out (may be NULL; the caller frees it). Returns the exit status;
 * fails the test (with stderr) when it is neither 0 nor 1 (some cells failed). */
int th_run_spec(const char *dir, const char *name, const char *spec, const char *extra,
                char **out);
/* DIR/RUN/FILE, a run's output, as a malloc'd string; fails the test when it is missing. */
char *th_read_output(const char *dir, const char *run, const char *file);
/* Field `index` (0-based) of a CSV line (up to its newline), unquoted, into out (cap bytes,
 * always terminated); a quoted field may hold commas, not quotes. */
void th_csv_field(const char *line, int index, char *out, size_t cap);
/* Splits a CSV line into at most cap fields in place (for lines that quote nothing); returns
 * how many. */
size_t th_split_fields(char *line, char **fields, size_t cap);
/* Writes n rows "id,x0,x1,x2,buy" with x ~ N(0, 1) (seeded, the same every time) and
 * buy = x0 * x1 > 1.2 (about 9 % of rows): no linear model can rank it (the classes are
 * symmetric about both axes) and a tree ensemble can, so the best config is known before a
 * run. */
void th_write_product_table(const char *path, size_t n);

/* A run held in process: a spec with its data and plan, for tests that run some of its cells
 * themselves (a partial run) and then render or inspect the outputs. */
typedef struct {
    ll_registry reg;
    ll_spec spec;
    ll_encoder *enc;
    ll_dataset data;
    ll_run_result run;
} th_held_run;

/* Loads spec_path with its training data and plan (1 thread), runs in process every cell
 * `keep` accepts, calling `check` (may be NULL) on each right after it ran, and collects the
 * run. Fails the test on any error. Free with th_held_run_free. */
void th_held_run_cells(const char *spec_path, int (*keep)(const ll_cell *),
                       void (*check)(const ll_cell *, const ll_dataset *), th_held_run *out);
void th_held_run_free(th_held_run *r);

#endif
