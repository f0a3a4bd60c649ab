/* The decision-tree builder shared by `bagging` and `sgb`: histogram split search on pre-binned
 * features (binning.h), Gini or second-order (XGBoost) gain, depth-first growth, and compact
 * flat node arrays for prediction. */
#ifndef LL_PLUGIN_TREE_H
#define LL_PLUGIN_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "binning.h"
#include "leadlab/plugin.h"

#define LL_TREE_MAX_COLS 32767 /* node feature indices are int16_t */

/* Per-row statistics the histograms sum; one binned row may stand for n merged training rows
 * (ll_binned_merge_duplicates). GINI: g = weight * y, h = weight (weight > 0). NEWTON: g and h
 * are the loss's first and second derivatives at the rows' current score. n >= 1 counts the
 * training rows, which min_samples_leaf bounds. */
typedef struct {
    double g, h;
    uint32_t n;
} ll_row_stats;

typedef enum {
    LL_TREE_GINI,  /* weighted Gini impurity decrease; leaf = weighted class-1 share G / H */
    LL_TREE_NEWTON /* gain 0.5 * (GL^2/(HL+l2) + GR^2/(HR+l2) - G^2/(H+l2)); leaf -G / (H+l2) */
} ll_tree_criterion;

typedef struct {
    ll_tree_criterion criterion;
    int max_depth;           /* 0 = unlimited */
    size_t min_samples_leaf; /* training rows (sum of n, not weights) in each child, >= 1 */
    /* A split must gain at least this (GINI: > this or, at 0, any split of an impure node, as
     * CART does; NEWTON: strictly more, as XGBoost's gamma). */
    double min_gain;
    double l2;     /* NEWTON only */
    size_t n_try;  /* features examined per split; n_cols = all of them, no random draw */
    int threads;   /* histogram building is split over features when > 1 */
} ll_tree_params;

/* 16 bytes. A leaf loops back to itself (its threshold is +inf and its bin 255, so no value
 * goes right), which lets prediction step a block of rows in lockstep without a branch per
 * node. */
typedef struct {
    double threshold; /* x <= threshold goes left */
    uint32_t left;    /* the left child, the right child is left + 1; a leaf: itself */
    int16_t feature;  /* a leaf: 0 */
    uint8_t bin;      /* the last bin code that goes left; a leaf: 255 */
    uint8_t is_leaf;
} ll_tree_node;

typedef struct {
    ll_tree_node *nodes; /* nodes[0] is the root */
    double *value;       /* per node: the leaf's prediction (0 at splits) */
    double *gain;        /* per node: the split's gain (0 at leaves), e.g. for importances */
    size_t n_nodes, cap;
} ll_tree;

/* Scratch memory for building trees on one binned matrix; one per thread, reused across trees. */
typedef struct ll_tree_workspace ll_tree_workspace;

ll_tree_workspace *ll_tree_workspace_new(const ll_binned *data); /* NULL when out of memory */
void ll_tree_workspace_free(ll_tree_workspace *ws);               /* NULL-safe */

/* Grows `tree` (emptied first; ll_tree_free releases it) on rows[0..n_rows) of the workspace's
 * binned matrix, with stats indexed by row number. rows should be ascending (for memory order)
 * with no repeats (weights and multiplicities go into stats); they are reordered in place.
 * The rng is drawn from only when n_try < n_cols. Returns LL_OK or LL_ENOMEM. */
ll_status ll_tree_fit(ll_tree *tree, ll_tree_workspace *ws, const ll_tree_params *params,
                      const ll_row_stats *stats, size_t *rows, size_t n_rows, ll_rng *rng);
void ll_tree_free(ll_tree *tree); /* NULL-safe; leaves *tree empty */

/* Multiplies every leaf value by `factor` (boosting's learning rate). */
void ll_tree_scale_leaves(ll_tree *tree, double factor);
/* 1 when every node value is finite. */
int ll_tree_is_finite(const ll_tree *tree);

/* The leaf value for one raw row x[n_cols]. */
static inline double ll_tree_predict_row(const ll_tree *tree, const double *x)
{
    const ll_tree_node *nodes = tree->nodes;
    uint32_t i = 0;
    while (!nodes[i].is_leaf)
        i = nodes[i].left + (x[nodes[i].feature] > nodes[i].threshold);
    return tree->value[i];
}

/* out[i] += leaf value of raw row i of the row-major x (n_rows x n_cols). */
void ll_tree_predict_add(const ll_tree *tree, const double *x, size_t n_rows, size_t n_cols,
                         double *out);
/* out[i] += the leaf values of raw row i in trees[0..n_trees), added in tree order for every
 * row: blocks of rows go to up to `threads` OpenMP threads, and the sums do not depend on how
 * many. */
void ll_trees_predict_add(const ll_tree *trees, size_t n_trees, const double *x, size_t n_rows,
                          size_t n_cols, int threads, double *out);
/* out[i] += leaf value of row i of the binned matrix the tree was grown on. */
void ll_tree_predict_binned_add(const ll_tree *tree, const ll_binned *data, double *out);

/* ---- importances ---- */

/* sums[f] += the gain of every split of `tree` on feature f (sums has as many entries as the
 * tree's features). A Gini split of an impure node may gain -1e-12 or so by rounding
 * (accept_split lets it through, as CART would); it counts as 0. */
void ll_tree_add_gains(const ll_tree *tree, double *sums);
/* out[n_cols]: each feature's split gain summed over trees[0..n_trees), divided by the total
 * when it is > 0 (all zero when no tree splits), as scikit-learn normalises
 * feature_importances_. Averaging over the trees first would give the same result. */
void ll_trees_gain_importances(const ll_tree *trees, size_t n_trees, size_t n_cols,
                               double *out);

/* ---- saved trees ----
 * A tree as bytes (the ABI's little-endian helpers): its node count, then each node in index
 * order, a leaf as {u64 0, f64 value} and a split as {u64 left child, u64 feature, u64 bin,
 * f64 threshold, f64 gain}. Children always come after their parent, so a split's left child
 * is never 0, which marks a leaf. */
#define LL_TREE_SAVED_MIN_NODE 16 /* bytes of the smallest node record (a leaf) */

/* 0, or -1 when the writer fails. */
int ll_tree_save(const ll_tree *tree, ll_writer *w);
/* Reads one tree ll_tree_save wrote, for data of n_cols features, into *tree (overwritten, not
 * freed; ll_tree_free releases it). Never allocates more than the remaining bytes can
 * describe, and refuses any structure prediction could trip over: a child before its parent or
 * past the end (a cycle, an over-read), a node with two parents or none, a feature >= n_cols,
 * a non-finite threshold or value. Returns LL_OK, LL_ENOMEM, or LL_EINVAL with *why saying
 * what was wrong (a static string); on failure *tree is left empty. */
ll_status ll_tree_load(ll_tree *tree, ll_reader *r, size_t n_cols, const char **why);

/* A forest (bagging's, sgb's): its tree count, then each tree as ll_tree_save writes it. */
#define LL_FOREST_SAVED_MIN_TREE (8 + LL_TREE_SAVED_MIN_NODE) /* a node count and one leaf */

/* 0, or -1 when the writer fails. */
int ll_forest_save(const ll_tree *trees, size_t n_trees, ll_writer *w);
/* Reads a forest ll_forest_save wrote, for data of n_cols features: 1 to max_trees trees (a
 * count the remaining bytes cannot hold is refused before anything is allocated), each read by
 * ll_tree_load. On LL_OK *trees is a calloc'd array of *n_trees trees the caller owns
 * (ll_tree_free each, then free it). Otherwise *trees is NULL and nothing is left allocated:
 * LL_ENOMEM, or LL_EINVAL with why[why_len] saying what was wrong ("tree count", or "tree 3: "
 * and ll_tree_load's reason). */
ll_status ll_forest_load(ll_tree **trees, size_t *n_trees, ll_reader *r, size_t n_cols,
                         size_t max_trees, char *why, size_t why_len);

/* Features examined per split for a max_features setting: `sqrt` -> floor(sqrt(n_cols)),
 * otherwise floor(fraction * n_cols); at least 1 (scikit-learn's rule). */
size_t ll_tree_n_try(const char *max_features_text, double fraction, size_t n_cols);

#endif
