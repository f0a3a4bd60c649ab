/* leadlab experiment spec: one YAML file (plus --set overrides) validated into a plain struct,
 * with plugins resolved and parameter grids expanded (or random search drawn), before anything
 * runs. */
#ifndef LL_CORE_SPEC_H
#define LL_CORE_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "error.h"
#include "json.h"
#include "metrics.h"
#include "params.h"
#include "registry.h"
#include "yaml_tree.h"

/* One expanded grid point, or one random-search draw, of a sampler or model. */
typedef struct {
    const ll_plugin *plugin;
    ll_params *params;
    char *label; /* "knn(k=5)", or the plain plugin name when every parameter is a default */
    const ll_ynode *item; /* the spec's list item it came from (for messages) */
    int calibration;      /* models: LL_CALIBRATE_* (calibrate.h) applied to its scores; the
                             label ends in " [isotonic]" / " [sigmoid]" unless it is none */
    int params_borrowed;  /* params belong to an earlier config of the list (the same model
                             under another calibration): not freed with this one */
    int sampled;          /* drawn by random search (search: {method: random}) */
} ll_config;

/* search.method: how a plugin entry's parameters become configs. */
enum {
    LL_SEARCH_GRID = 0, /* every combination of the list values (the default) */
    LL_SEARCH_RANDOM,   /* entries with a distribution: search_trials draws each */
    LL_SEARCH_HALVING   /* configs as random (with trials) or grid; the nested selection
                           halves them rung by rung on growing training rows (select.c) */
};

enum { LL_OUT_MD = 1u, LL_OUT_CSV = 2u, LL_OUT_JSON = 4u };

/* cv.method: how rows are dealt into folds. */
enum {
    LL_CV_STRATIFIED = 0, /* stratified k-fold, reshuffled per repeat (the default) */
    LL_CV_TIME            /* time-ordered by cv.column: forward chaining, or a final-period
                             holdout (cv_holdout > 0) */
};

/* ensembles[].method: how the members' probabilities are combined. */
enum {
    LL_ENSEMBLE_AVERAGE = 0, /* their mean */
    LL_ENSEMBLE_STACK        /* a penalised logistic regression on their logits (ensemble.h) */
};

/* An ensemble's name labels a leaderboard row (ll_derived_row's label holds 127 bytes). */
#define LL_ENSEMBLE_NAME_MAX 100

/* A row of the grid: model config x sampler config, indexes into the spec's lists. */
typedef struct {
    uint32_t model, sampler;
} ll_member;

/* One entry of `ensembles`: a leaderboard row combining other rows' probabilities, fitted
 * inside each outer training fold on the rows' inner out-of-fold scores (ensemble.h). */
typedef struct {
    int method;         /* LL_ENSEMBLE_* */
    char *name;         /* the row's label: given, or "stack(logreg, sgb)", "average(top 3)" */
    ll_member *members; /* the rows it combines (n_members >= 2), or NULL with `top` */
    size_t n_members;
    size_t top;         /* {top: K}: the K best rows of each outer fold by select.metric on
                           their inner scores; 0 when members are given */
} ll_ensemble_spec;

/* importances: how each cell measures its features' importance. NONE is 0 so that a spec
 * built by hand (zeroed) computes nothing it did not ask for; ll_spec_load defaults to AUTO. */
enum {
    LL_IMPORTANCE_NONE = 0,
    LL_IMPORTANCE_AUTO,        /* the model's own entry when it succeeds, else permutation */
    LL_IMPORTANCE_MODEL,       /* only the model's own entry: other models get none */
    LL_IMPORTANCE_PERMUTATION  /* always permutation importance on the fold's test rows */
};

enum {
    LL_METRIC_F1 = 1u << 0,
    LL_METRIC_PRECISION = 1u << 1,
    LL_METRIC_RECALL = 1u << 2,
    LL_METRIC_ROC_AUC = 1u << 3,
    LL_METRIC_PR_AUC = 1u << 4,
    LL_METRIC_MCC = 1u << 5,
    LL_METRIC_BALANCED_ACCURACY = 1u << 6,
    LL_METRIC_ALL = (1u << 7) - 1, /* the default: the classic metrics */
    /* bits 7-8 stay free: they are LL_SUM_F1_FIXED and LL_SUM_THRESHOLD's positions */
    LL_METRIC_BRIER = 1u << 9,
    LL_METRIC_LOG_LOSS = 1u << 10,
    LL_METRIC_ECE = 1u << 11
};

typedef struct {
    char *path;       /* the spec file as given */
    char *name;
    char *train_path; /* resolved; for synthetic data, where the generated file is written */
    int synth;        /* data.synth given: generate train_path from (synth_rows, synth_seed) */
    size_t synth_rows;
    uint64_t synth_seed;
    ll_feature_spec features;
    int scale_zscore;
    size_t folds, repeats; /* folds is 1 for a final-period holdout */
    uint64_t seed;
    int cv_method;         /* LL_CV_*; cv.column is features.order_column, since the loader
                              keeps that column's dates */
    double cv_holdout;     /* cv.holdout: the latest share of the rows tested once; 0 = none */
    ll_config *samplers;
    size_t n_samplers;
    ll_config *models;
    size_t n_models;
    unsigned metrics;   /* LL_METRIC_* shown in the leaderboard: bit k is LL_SUM_* column k */
    ll_at_metric at[LL_MAX_AT]; /* the top-k metrics asked for (metrics: {recall_at: ...}) */
    size_t n_at;
    double threshold;   /* fixed cut */
    int tune_threshold; /* threshold: {tune: f1}: nested inner CV picks the cut per fold */
    size_t tune_folds;
    size_t calibrate_folds; /* calibrate.folds: inner folds the calibrators are fitted on
                               (the cut, when tuned, is chosen on the same, calibrated) */
    char *out_dir;      /* resolved */
    unsigned formats;   /* LL_OUT_* */
    int write_predictions;
    int threads;        /* 0 = all processors */
    int isolation;      /* LL_ISOLATION_PROCESS (default) or LL_ISOLATION_NONE (runner.h) */
    double cell_seconds;   /* limits.cell_seconds: 0 = none */
    double cell_memory_mb; /* limits.cell_memory_mb: 0 = none */
    ll_ynode *tree;     /* the spec after overrides, for run.json */
    int sort_metric;    /* report.sort (or --sort): the metric the leaderboards rank by, as a
                           bit position of LL_METRIC_* (0 = F1, 4 = PR-AUC, 5 = MCC, ...) */
    int importances;            /* LL_IMPORTANCE_* */
    size_t importance_repeats;  /* permutation: shuffles per column, averaged */
    size_t importance_max_rows; /* permutation: at most this many test rows (0 = all) */
    int select;                 /* select: nested selection of the best config x sampler */
    int select_metric;          /* the LL_SUM_* column (top-k: LL_SUM_AT + slot of at[]) the
                                   inner CV compares by */
    size_t select_inner_folds;  /* inner folds inside each outer training fold, planned when
                                   select or ensembles ask for inner cells (default 3) */
    ll_ensemble_spec *ensembles; /* ensembles: rows combining other rows (ensemble.h) */
    size_t n_ensembles;
    int search;                 /* LL_SEARCH_* */
    size_t search_trials;       /* random: draws per entry that gives a distribution */
    uint64_t search_seed;       /* random: the seed every draw derives from (default 0) */
    size_t halving_factor;      /* halving: 1/factor of the configs go on to factor x the rows */
    size_t halving_min_rows;    /* halving: training rows of the first rung (0: as many rungs
                                   as the configs allow, the last on all rows) */
} ll_spec;

/* Reads and validates `path`, applying `sets` ("key.path=value") first. The spec's tree keeps
 * pointers to the `sets` strings (for messages): they must outlive the spec. Plugins are resolved
 * through `reg`, which the function initialises (with the spec's plugin_path); on success the
 * caller frees it after the spec, on failure both are already freed. Errors are one line, "FILE:LINE:COL: key.path: message". */
int ll_spec_load(const char *path, const char *const *sets, size_t n_sets, ll_registry *reg,
                 ll_spec *spec, ll_error *err);
void ll_spec_free(ll_spec *spec);

/* Ranks the leaderboards by the metric `name` names (as --sort and report.sort take it),
 * adding a top-k metric to spec->at when it is not there yet. */
int ll_spec_sort_by(ll_spec *spec, const char *name, ll_error *err);

/* Applies one "a.b.c=value" override to a parsed spec tree (exposed for tests). A segment
 * that names a plugin selects that item of a samplers/models list. */
int ll_spec_apply_set(ll_ynode *root, const char *assignment, ll_error *err);

/* The fold scheme in words, as reports and `validate` head it: "5-fold stratified × 1 repeat,
 * seed 42", "4 forward-chaining folds by created_at (train on earlier rows only), seed 42" or
 * "final-period holdout: the latest 20 % of rows by created_at, seed 42". Returns buf. */
const char *ll_spec_cv_label(const ll_spec *spec, char *buf, size_t len);

/* "FILE:LINE:COL" of the spec's key `key_path` ("cv.folds"), or of the nearest section above it
 * that the spec writes ("cv"), or of the file when it writes neither: where a refusal found
 * after loading (by the plan, against the data) points. "--set ..." when an override gave it.
 * A static buffer, overwritten by later calls. */
const char *ll_spec_where(const ll_spec *spec, const char *key_path);

/* Writes the tree as JSON (scalars that parse as numbers or booleans stay unquoted). */
void ll_ynode_write_json(const ll_ynode *node, FILE *out);


#endif
