/* leadlab outputs: leaderboard.md / .csv, cells.csv, folds.csv, predictions.csv, run.json and
 * importances.csv, each written to a temporary name and renamed, so an interrupted run leaves
 * no half file. */
#ifndef LL_CORE_REPORT_H
#define LL_CORE_REPORT_H

#include <stdio.h>

#include "dataset.h"
#include "runner.h"
#include "spec.h"

typedef struct {
    const char *command; /* how to regenerate the run, e.g. "leadlab run experiments/x.yaml" */
    const char *machine; /* one line on the machine, e.g. "x86_64, 2 cores, Intel ..." */
    const char *data_hash; /* hex content hash of the data file (may be NULL) */
} ll_report_context;

/* Writes every output the spec asks for into spec->out_dir (created if needed). */
int ll_report_write(const ll_spec *spec, const ll_dataset *data, const ll_run_result *run,
                    const ll_report_context *ctx, ll_error *err);

/* The leaderboard as Markdown (what leaderboard.md holds), e.g. for printing to stdout. */
int ll_report_markdown(FILE *out, const ll_spec *spec, const ll_dataset *data,
                       const ll_run_result *run, const ll_report_context *ctx);

/* Every model and sampler config (kind, label, plugin, plugin_version, full params) as a JSON
 * array; `separator` goes before each item ("\n    " in run.json, "" for one line). */
void ll_report_configs_json(FILE *out, const ll_spec *spec, const char *separator);

/* Creates the output folder when needed and test-writes a file in it, so an unusable
 * output.dir is found before any compute; errors name output.dir. */
int ll_output_dir_ready(const char *dir, ll_error *err);

/* Refuses (-1, err naming both) an output folder where one of the files a run writes is the
 * spec or the training data itself (same inode), which the run would overwrite. */
int ll_outputs_spare_inputs(const ll_spec *spec, ll_error *err);

/* mkdir -p */
int ll_make_dirs(const char *path, ll_error *err);

/* Atomic file output: open a temporary sibling of `path`, write, then commit renames it over
 * `path` (or removes it when anything failed). */
typedef struct {
    FILE *f;
    char tmp[4160];
    char path[4096];
} ll_atomic_file;
int ll_atomic_open(ll_atomic_file *af, const char *path, ll_error *err);
int ll_atomic_commit(ll_atomic_file *af, ll_error *err);

/* Writes s as one CSV field (quoted when it holds a comma, quote or newline). */
void ll_csv_field(FILE *out, const char *s);

/* A feature's importance over the cells of one row that measured it. */
typedef struct {
    size_t feature, folds; /* the data's column; how many cells measured it */
    double mean, sd;       /* sd with n - 1 */
} ll_importance_stat;

typedef void (*ll_importance_fn)(const char *kind, const ll_importance_stat *stats, size_t n,
                                 void *ctx);

/* The importances of one row (config x sampler): for each kind its cells measured (in the order
 * they first name it; kinds are never averaged together), calls fn with the n_cols features
 * sorted by descending mean (column order breaks ties). Returns 0, -1 out of memory. */
int ll_row_importances(const ll_run_result *run, size_t model, size_t sampler, size_t n_cols,
                       ll_importance_fn fn, void *ctx);

#endif
