/* leadlab model `bagging`: bagged Gini decision trees (Breiman 1996), and a random forest when
 * features are sampled per split; P(y = 1) is the mean of the trees' leaf class-1 shares.
 * Saves its trees, and reports each feature's Gini gain as its importance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binning.h"
#include "leadlab/plugin.h"
#include "tree.h"

#define MAX_TREES 100000

/* The saved-model layout: this number, n_cols, the tree count, then the trees (tree.h). */
#define SAVE_FORMAT 1u

static const ll_param bagging_params[] = {
    {"n_estimators", LL_P_INT, "100", 1, MAX_TREES, NULL, "number of trees", 0},
    {"bootstrap", LL_P_REAL, "1.0", 0, 1, NULL,
     "rows drawn with replacement per tree, as a fraction of the training rows",
     LL_P_MIN_EXCLUSIVE},
    {"max_features", LL_P_REAL, "1.0", 0, 1, "sqrt",
     "features tried per split: a fraction of them, or sqrt (random forest); 1.0 = plain bagging",
     LL_P_MIN_EXCLUSIVE},
    {"max_depth", LL_P_INT, "none", 1, 10000, "none", "tree depth limit; none = grow until pure",
     0},
    {"min_samples_leaf", LL_P_INT, "1", 1, 1e9, NULL,
     "fewest distinct in-bag rows in a leaf (a row drawn twice counts once, as scikit-learn)", 0},
    {"max_bins", LL_P_INT, "255", 2, LL_BINNING_MAX_BINS, NULL,
     "quantile bins per feature, edges from the training rows", 0},
};

typedef struct {
    long n_estimators;
    double bootstrap;
    char max_features[32];
    double max_features_fraction; /* NaN for sqrt */
    int max_depth;                /* 0 = none */
    long min_samples_leaf;
    int max_bins;
    size_t n_cols;
    ll_tree *trees; /* n_estimators, after fit or load */
    int loaded;     /* built by load: no parameters to fit with */
} bagging_state;

static void free_trees(bagging_state *s)
{
    if (s->trees)
        for (long t = 0; t < s->n_estimators; t++)
            ll_tree_free(&s->trees[t]);
    free(s->trees);
    s->trees = NULL;
}

static void bagging_destroy(void *state)
{
    if (!state)
        return;
    free_trees(state);
    free(state);
}

static ll_status bagging_create(const ll_host *host, const ll_params *params, void **state,
                                ll_err *err)
{
    bagging_state *s = calloc(1, sizeof *s);
    if (!s)
        return ll_fail(err, LL_ENOMEM, "bagging: out of memory");
    s->n_estimators = host->integer(params, "n_estimators");
    s->bootstrap = host->real(params, "bootstrap");
    snprintf(s->max_features, sizeof s->max_features, "%s", host->string(params, "max_features"));
    s->max_features_fraction = host->real(params, "max_features");
    double depth = host->real(params, "max_depth");
    s->max_depth = isnan(depth) ? 0 : (int)depth;
    s->min_samples_leaf = host->integer(params, "min_samples_leaf");
    s->max_bins = (int)host->integer(params, "max_bins");
    *state = s;
    return LL_OK;
}

/* What every tree is grown from: the training rows merged into distinct binned rows. */
typedef struct {
    const ll_binned *binned;
    const uint32_t *group; /* training row -> its binned row */
    const uint8_t *y;
    size_t n_train;
    double bootstrap;
    ll_tree_params tree;
} forest_job;

/* Everything one thread needs to grow trees, reused from tree to tree. */
typedef struct {
    ll_tree_workspace *ws;
    uint32_t *draws;     /* bootstrap draws per training row */
    ll_row_stats *stats; /* per binned row: draws * y, draws, distinct training rows drawn */
    size_t *rows;        /* the binned rows drawn at least once */
} grower;

static void grower_free(grower *g)
{
    ll_tree_workspace_free(g->ws);
    free(g->draws);
    free(g->stats);
    free(g->rows);
}

static int grower_init(grower *g, const forest_job *job)
{
    size_t m = job->binned->n_rows;
    g->ws = ll_tree_workspace_new(job->binned);
    g->draws = malloc(job->n_train * sizeof *g->draws);
    g->stats = malloc(m * sizeof *g->stats);
    g->rows = malloc(m * sizeof *g->rows);
    return g->ws && g->draws && g->stats && g->rows ? 0 : -1;
}

/* Draws the tree's bootstrap sample (counts are weights, as scikit-learn's sample_weight) and
 * grows the tree on it. */
static ll_status grow_tree(const forest_job *job, grower *g, uint64_t tree_seed, ll_tree *tree)
{
    size_t n = job->n_train, m = job->binned->n_rows;
    ll_rng rng;
    ll_rng_seed(&rng, tree_seed);
    memset(g->draws, 0, n * sizeof *g->draws);
    size_t n_draws = (size_t)floor(job->bootstrap * (double)n);
    /* floor(u * n) rather than ll_rng_below: no division per draw, and a bias of n / 2^53 */
    for (size_t k = 0; k < (n_draws ? n_draws : 1); k++) {
        size_t r = (size_t)(ll_rng_uniform(&rng) * (double)n);
        g->draws[r < n ? r : n - 1]++;
    }
    memset(g->stats, 0, m * sizeof *g->stats);
    for (size_t r = 0; r < n; r++) {
        if (g->draws[r] == 0)
            continue;
        ll_row_stats *s = &g->stats[job->group[r]];
        double w = (double)g->draws[r];
        s->g += job->y[r] ? w : 0.0;
        s->h += w;
        s->n++;
    }
    size_t n_in = 0;
    for (size_t u = 0; u < m; u++)
        if (g->stats[u].n > 0)
            g->rows[n_in++] = u;
    return ll_tree_fit(tree, g->ws, &job->tree, g->stats, g->rows, n_in, &rng);
}

static ll_status check_train(const bagging_state *s, const ll_data *train, ll_err *err)
{
    if (train->n_rows == 0 || train->n_cols == 0)
        return ll_fail(err, LL_EINVAL, "bagging: no training data (%zu rows, %zu columns)",
                       train->n_rows, train->n_cols);
    if (train->n_cols > LL_TREE_MAX_COLS || train->n_rows > LL_BINNING_MAX_ROWS)
        return ll_fail(err, LL_EINVAL, "bagging: %zu x %zu exceeds the %d features or %u rows a "
                       "tree can address", train->n_rows, train->n_cols, LL_TREE_MAX_COLS,
                       (unsigned)LL_BINNING_MAX_ROWS);
    if ((size_t)s->min_samples_leaf > train->n_rows)
        return ll_fail(err, LL_EINVAL,
                       "bagging: min_samples_leaf=%ld exceeds the %zu training rows",
                       s->min_samples_leaf, train->n_rows);
    size_t cells = train->n_rows * train->n_cols;
    for (size_t i = 0; i < cells; i++)
        if (!isfinite(train->x[i]))
            return ll_fail(err, LL_EINVAL, "bagging: training row %zu has a non-finite value",
                           i / train->n_cols);
    return LL_OK;
}

static ll_status bagging_fit(void *state, const ll_data *train, uint64_t seed, int threads,
                             ll_err *err)
{
    bagging_state *s = state;
    if (s->loaded)
        return ll_fail(err, LL_EINVAL, "bagging: a loaded model cannot be fitted again; create "
                       "one from parameters");
    ll_status st = check_train(s, train, err);
    if (st != LL_OK)
        return st;
    free_trees(s);
    s->n_cols = train->n_cols;
    s->trees = calloc((size_t)s->n_estimators, sizeof *s->trees);
    if (!s->trees)
        return ll_fail(err, LL_ENOMEM, "bagging: out of memory for %ld trees", s->n_estimators);
    ll_binned binned;
    uint32_t *group;
    if (ll_binned_build_merged(&binned, &group, train->x, train->n_rows, train->n_cols,
                               s->max_bins) != LL_OK) {
        free_trees(s);
        return ll_fail(err, LL_ENOMEM, "bagging: out of memory binning %zu rows", train->n_rows);
    }
    forest_job job = {
        .binned = &binned,
        .group = group,
        .y = train->y,
        .n_train = train->n_rows,
        .bootstrap = s->bootstrap,
        .tree = {
            .criterion = LL_TREE_GINI,
            .max_depth = s->max_depth,
            .min_samples_leaf = (size_t)s->min_samples_leaf,
            .min_gain = 0.0,
            .n_try = ll_tree_n_try(s->max_features, s->max_features_fraction, train->n_cols),
            .threads = 1, /* the budget goes to whole trees */
        },
    };
    ll_status worst = LL_OK;
    /* Trees are independent and each draws only from its own seed, so the forest is the same
     * whichever thread grows which tree. */
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        grower g = {0};
        ll_status mine = grower_init(&g, &job) == 0 ? LL_OK : LL_ENOMEM;
#pragma omp for schedule(dynamic, 1)
        for (long t = 0; t < s->n_estimators; t++)
            if (mine == LL_OK)
                mine = grow_tree(&job, &g, ll_seed_mix(seed, (uint64_t)t), &s->trees[t]);
        grower_free(&g);
        if (mine != LL_OK) {
#pragma omp critical(bagging_status)
            worst = mine;
        }
    }
    free(group);
    ll_binned_free(&binned);
    if (worst != LL_OK) {
        free_trees(s);
        return ll_fail(err, worst, "bagging: out of memory growing trees on %zu rows",
                       train->n_rows);
    }
    return LL_OK;
}

static ll_status bagging_predict(const void *state, const ll_data *x, int threads, double *out,
                     ll_err *err)
{
    const bagging_state *s = state;
    if (!s->trees)
        return ll_fail(err, LL_EINVAL, "bagging: predict before fit");
    if (x->n_cols != s->n_cols)
        return ll_fail(err, LL_EINVAL, "bagging: %zu columns to predict, the model has %zu",
                       x->n_cols, s->n_cols);
    memset(out, 0, x->n_rows * sizeof *out);
    ll_trees_predict_add(s->trees, (size_t)s->n_estimators, x->x, x->n_rows, x->n_cols, threads,
                         out);
    double inv = 1.0 / (double)s->n_estimators;
    for (size_t i = 0; i < x->n_rows; i++) {
        double p = out[i] * inv;
        out[i] = p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
    }
    return LL_OK;
}

/* Each feature's Gini impurity decrease (in bootstrap draws, node weight times impurity minus
 * the children's), averaged over the trees and scaled to sum to 1. */
static ll_status bagging_importances(const void *state, size_t n_cols, double *out, ll_err *err)
{
    const bagging_state *s = state;
    if (!s->trees)
        return ll_fail(err, LL_EINVAL, "bagging: importances before fit");
    if (n_cols != s->n_cols)
        return ll_fail(err, LL_EINVAL, "bagging: importances for %zu columns, the model has %zu",
                       n_cols, s->n_cols);
    ll_trees_gain_importances(s->trees, (size_t)s->n_estimators, n_cols, out);
    return LL_OK;
}

static ll_status bagging_save(const void *state, ll_writer *out, ll_err *err)
{
    const bagging_state *s = state;
    if (!s->trees)
        return ll_fail(err, LL_EINVAL, "bagging: save before fit");
    int failed = ll_write_u64(out, SAVE_FORMAT) || ll_write_size(out, s->n_cols) ||
                 ll_forest_save(s->trees, (size_t)s->n_estimators, out);
    return failed ? ll_fail(err, LL_EFAIL, "bagging: could not write the model bytes") : LL_OK;
}

static ll_status load_corrupt(bagging_state *s, ll_status st, const char *why, ll_err *err)
{
    bagging_destroy(s);
    if (st == LL_ENOMEM)
        return ll_fail(err, st, "bagging: out of memory loading the model");
    return ll_fail(err, LL_EINVAL, "bagging: model bytes truncated or corrupt (%s)", why);
}

static ll_status bagging_load(const ll_host *host, ll_reader *in, void **state, ll_err *err)
{
    (void)host;
    *state = NULL;
    uint64_t format;
    if (ll_read_u64(in, &format) != 0)
        return load_corrupt(NULL, LL_EINVAL, "no format number", err);
    if (format != SAVE_FORMAT)
        return ll_fail(err, LL_EINVAL, "bagging: model bytes in format %llu, this version reads "
                       "format %u", (unsigned long long)format, SAVE_FORMAT);
    size_t n_cols, n_trees;
    if (ll_read_size(in, 0, LL_TREE_MAX_COLS, &n_cols) != 0 || n_cols == 0)
        return load_corrupt(NULL, LL_EINVAL, "feature count", err);
    bagging_state *s = calloc(1, sizeof *s);
    if (!s)
        return load_corrupt(s, LL_ENOMEM, NULL, err);
    char why[160];
    ll_status st = ll_forest_load(&s->trees, &n_trees, in, n_cols, MAX_TREES, why, sizeof why);
    if (st != LL_OK)
        return load_corrupt(s, st, why, err);
    s->n_estimators = (long)n_trees;
    s->n_cols = n_cols;
    s->loaded = 1;
    *state = s;
    return LL_OK;
}

static const ll_model_vt bagging_vt = {
    .struct_size = sizeof(ll_model_vt),
    .create = bagging_create,
    .fit = bagging_fit,
    .predict_proba = bagging_predict,
    .destroy = bagging_destroy,
    .save = bagging_save,
    .load = bagging_load,
    .importances = bagging_importances,
    .importance_kind = "gain",
};

static const ll_plugin bagging_plugin = {
    LL_PLUGIN_ABI,
    .name = "bagging",
    .version = "1.1.0",
    .summary = "bagged Gini decision trees on quantile bins; max_features: sqrt = random forest",
    LL_PARAMS(bagging_params),
    .model = &bagging_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &bagging_plugin; }
