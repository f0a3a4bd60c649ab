/* The histogram tree builder (see tree.h). Growth is depth-first with an explicit stack, so
 * at most depth + 2 histograms are alive at once. A node's rows are a range of one index array,
 * partitioned stably in place (so each range stays ascending and histogram building walks the
 * code matrix forwards). Only the smaller child's histogram is built from its rows; the larger
 * one is the parent's minus it. Node totals (G, H) are summed from the rows, never subtracted,
 * so leaf values carry no histogram rounding. */
#include "tree.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Below this many row-feature cells (17k rows of 15 features) a node's histogram is built on
 * one thread: the fork/join, and worse the spinning of idle workers when the machine is busy,
 * cost more than splitting the work saves (sgb on the 31k-row lead folds ran 6x slower at 2
 * threads with a 64k-cell cut on a loaded 2-core machine). */
#define PARALLEL_MIN_CELLS (1u << 18)

/* Denominators below this count as zero (scikit-learn's guard on the Newton leaf step). */
#define TINY_HESSIAN 1e-150

typedef ll_row_stats hist_bin;

/* A node waiting to be split or closed as a leaf. */
typedef struct {
    uint32_t node;
    int depth;
    int hist; /* histogram buffer, or -1 when the node cannot split */
    size_t begin, end;
    ll_row_stats total;
} pending;

typedef struct {
    double gain;
    size_t feature;
    size_t bin;
    int found;
} split;

struct ll_tree_workspace {
    const ll_binned *data;
    size_t hist_len;   /* bins in one histogram */
    hist_bin *hists;   /* n_hists buffers of hist_len bins */
    int n_hists;
    int *free_hists;   /* indices of unused buffers */
    int n_free;
    size_t *scratch;   /* the right-hand rows during a partition */
    size_t *features;  /* the draw order of per-split feature sampling */
    pending *stack;
    size_t stack_len, stack_cap;
};

ll_tree_workspace *ll_tree_workspace_new(const ll_binned *data)
{
    ll_tree_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->data = data;
    ws->hist_len = data->offset[data->n_cols];
    ws->scratch = malloc((data->n_rows + 1) * sizeof *ws->scratch);
    ws->features = malloc((data->n_cols + 1) * sizeof *ws->features);
    if (!ws->scratch || !ws->features) {
        ll_tree_workspace_free(ws);
        return NULL;
    }
    return ws;
}

void ll_tree_workspace_free(ll_tree_workspace *ws)
{
    if (!ws)
        return;
    free(ws->hists);
    free(ws->free_hists);
    free(ws->scratch);
    free(ws->features);
    free(ws->stack);
    free(ws);
}

/* ---- histogram buffers ---- */

/* A free buffer's index, or -1 when out of memory. Buffers are addressed by index because
 * growing the pool moves them. */
static int hist_acquire(ll_tree_workspace *ws)
{
    if (ws->n_free == 0) {
        int grown = ws->n_hists ? 2 * ws->n_hists : 4;
        hist_bin *hists = realloc(ws->hists, (size_t)grown * ws->hist_len * sizeof *hists);
        if (!hists)
            return -1;
        ws->hists = hists;
        int *free_hists = realloc(ws->free_hists, (size_t)grown * sizeof *free_hists);
        if (!free_hists)
            return -1;
        ws->free_hists = free_hists;
        for (int i = grown - 1; i >= ws->n_hists; i--)
            ws->free_hists[ws->n_free++] = i;
        ws->n_hists = grown;
    }
    return ws->free_hists[--ws->n_free];
}

static void hist_release(ll_tree_workspace *ws, int hist)
{
    if (hist >= 0)
        ws->free_hists[ws->n_free++] = hist;
}

static hist_bin *hist_at(const ll_tree_workspace *ws, int hist)
{
    return ws->hists + (size_t)hist * ws->hist_len;
}

/* Histograms of features [f0, f1) over the given rows. Each feature's bins are summed in row
 * order whatever the thread split, so the result does not depend on the thread count. */
static void hist_build_features(hist_bin *restrict hist, const ll_binned *data,
                                const ll_row_stats *restrict stats, const size_t *restrict rows,
                                size_t n_rows, size_t f0, size_t f1)
{
    const size_t n_cols = data->n_cols;
    const size_t *restrict offset = data->offset;
    memset(hist + offset[f0], 0, (offset[f1] - offset[f0]) * sizeof *hist);
    for (size_t i = 0; i < n_rows; i++) {
        size_t r = rows[i];
        const uint8_t *restrict codes = data->codes + r * n_cols;
        const ll_row_stats s = stats[r];
        for (size_t f = f0; f < f1; f++) {
            hist_bin *b = hist + offset[f] + codes[f];
            b->g += s.g;
            b->h += s.h;
            b->n += s.n;
        }
    }
}

static void hist_build(hist_bin *hist, const ll_binned *data, const ll_row_stats *stats,
                       const size_t *rows, size_t n_rows, int threads)
{
    size_t n_cols = data->n_cols;
    if (threads <= 1 || n_rows * n_cols < PARALLEL_MIN_CELLS || n_cols < 2) {
        /* not even an inactive parallel region: inside bagging's tree-level team each one
         * costs futex calls */
        hist_build_features(hist, data, stats, rows, n_rows, 0, n_cols);
        return;
    }
    int blocks = (size_t)threads < n_cols ? threads : (int)n_cols;
#pragma omp parallel for num_threads(blocks) schedule(static)
    for (int k = 0; k < blocks; k++)
        hist_build_features(hist, data, stats, rows, n_rows, n_cols * (size_t)k / (size_t)blocks,
                            n_cols * (size_t)(k + 1) / (size_t)blocks);
}

static void hist_subtract(hist_bin *restrict from, const hist_bin *restrict part, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        from[i].g -= part[i].g;
        from[i].h -= part[i].h;
        from[i].n -= part[i].n;
    }
}

/* ---- split search ---- */

/* The criterion's score of a set of rows; a split gains score(left) + score(right) - score(all)
 * (halved for NEWTON, as XGBoost). GINI: total weight minus the weighted Gini impurity. */
static double node_score(const ll_tree_params *params, double g, double h)
{
    if (params->criterion == LL_TREE_GINI)
        return h > 0.0 ? (g * g + (h - g) * (h - g)) / h : 0.0;
    double d = h + params->l2;
    return d > TINY_HESSIAN ? g * g / d : 0.0;
}

static double leaf_value(const ll_tree_params *params, double g, double h)
{
    if (params->criterion == LL_TREE_GINI)
        return h > 0.0 ? g / h : 0.0;
    double d = h + params->l2;
    return d > TINY_HESSIAN ? -g / d : 0.0;
}

/* Scans the cut after each bin of one feature's histogram, keeping the best valid one. */
static void scan_feature(const ll_tree_params *params, const hist_bin *hist, size_t n_bins,
                         size_t feature, const ll_row_stats *total, double parent_score,
                         split *best)
{
    const double g = total->g, h = total->h;
    const size_t n = total->n;
    double scale = params->criterion == LL_TREE_NEWTON ? 0.5 : 1.0;
    size_t min_leaf = params->min_samples_leaf;
    double gl = 0.0, hl = 0.0;
    size_t nl = 0;
    for (size_t b = 0; b + 1 < n_bins; b++) {
        if (hist[b].n == 0)
            continue; /* same partition as the previous cut */
        gl += hist[b].g;
        hl += hist[b].h;
        nl += hist[b].n;
        if (nl < min_leaf)
            continue;
        if (n - nl < min_leaf)
            break;
        double gain = scale * (node_score(params, gl, hl) + node_score(params, g - gl, h - hl) -
                               parent_score);
        if (!best->found || gain > best->gain) {
            best->gain = gain;
            best->feature = feature;
            best->bin = b;
            best->found = 1;
        }
    }
}

/* The best split of a node over its sampled features. As scikit-learn does, features keep
 * being drawn past n_try until one of them can split the node at all. */
static split find_split(ll_tree_workspace *ws, const ll_tree_params *params,
                        const hist_bin *hist, const pending *node, ll_rng *rng)
{
    const ll_binned *data = ws->data;
    size_t n_cols = data->n_cols;
    double parent_score = node_score(params, node->total.g, node->total.h);
    split best = {.found = 0};
    int sample = params->n_try < n_cols;
    for (size_t k = 0; k < n_cols; k++) {
        if (sample && k >= params->n_try && best.found)
            break;
        size_t f = k;
        if (sample) {
            size_t j = k + (size_t)ll_rng_below(rng, n_cols - k);
            size_t t = ws->features[k];
            ws->features[k] = ws->features[j];
            ws->features[j] = t;
            f = ws->features[k];
        }
        scan_feature(params, hist + data->offset[f], ll_binned_n_bins(data, f), f,
                     &node->total, parent_score, &best);
    }
    return best;
}

static int accept_split(const ll_tree_params *params, const split *s, double node_h)
{
    if (!s->found)
        return 0;
    if (params->criterion == LL_TREE_NEWTON)
        return s->gain > params->min_gain;
    /* Gini decrease is never negative; the slack lets zero-gain splits of impure nodes through
     * despite rounding, as CART (and scikit-learn) split them too. */
    return s->gain >= params->min_gain - 1e-12 * node_h;
}

static int can_split(const ll_tree_params *params, const pending *node)
{
    if (params->max_depth > 0 && node->depth >= params->max_depth)
        return 0;
    if (node->total.n < 2 * params->min_samples_leaf)
        return 0;
    if (params->criterion == LL_TREE_GINI &&
        (node->total.g <= 0.0 || node->total.g >= node->total.h))
        return 0; /* pure */
    return 1;
}

/* ---- growth ---- */

static int tree_reserve(ll_tree *tree, size_t extra)
{
    if (tree->n_nodes + extra <= tree->cap)
        return 0;
    size_t cap = tree->cap ? 2 * tree->cap : 64;
    while (cap < tree->n_nodes + extra)
        cap *= 2;
    ll_tree_node *nodes = realloc(tree->nodes, cap * sizeof *nodes);
    if (!nodes)
        return -1;
    tree->nodes = nodes;
    double *value = realloc(tree->value, cap * sizeof *value);
    if (!value)
        return -1;
    tree->value = value;
    double *gain = realloc(tree->gain, cap * sizeof *gain);
    if (!gain)
        return -1;
    tree->gain = gain;
    tree->cap = cap;
    return 0;
}

static int stack_push(ll_tree_workspace *ws, pending item)
{
    if (ws->stack_len == ws->stack_cap) {
        size_t cap = ws->stack_cap ? 2 * ws->stack_cap : 32;
        pending *stack = realloc(ws->stack, cap * sizeof *stack);
        if (!stack)
            return -1;
        ws->stack = stack;
        ws->stack_cap = cap;
    }
    ws->stack[ws->stack_len++] = item;
    return 0;
}

static void set_leaf(ll_tree *tree, const ll_tree_params *params, const pending *node)
{
    tree->nodes[node->node] = (ll_tree_node){
        .threshold = INFINITY,
        .left = node->node,
        .feature = 0,
        .bin = UINT8_MAX,
        .is_leaf = 1,
    };
    tree->value[node->node] = leaf_value(params, node->total.g, node->total.h);
    tree->gain[node->node] = 0.0;
}

/* Stable in-place partition of the node's rows by `code <= bin`; returns where the right part
 * starts and the totals of both sides (summed from the rows, in row order). Branch-free: the
 * side a row goes to is a coin flip the predictor cannot learn. */
static size_t partition(ll_tree_workspace *ws, const ll_row_stats *stats, size_t *rows,
                        const pending *node, const split *s, ll_row_stats *left,
                        ll_row_stats *right)
{
    const ll_binned *data = ws->data;
    const uint8_t *codes = data->codes + s->feature;
    const size_t n_cols = data->n_cols;
    const uint8_t bin = (uint8_t)s->bin;
    size_t *scratch = ws->scratch;
    size_t w = node->begin, n_right = 0;
    double lg = 0.0, lh = 0.0, rg = 0.0, rh = 0.0;
    uint32_t ln = 0;
    for (size_t i = node->begin; i < node->end; i++) {
        size_t row = rows[i];
        int goes_left = codes[row * n_cols] <= bin;
        rows[w] = row; /* w <= i: only rows already read are overwritten */
        scratch[n_right] = row;
        w += (size_t)goes_left;
        n_right += (size_t)!goes_left;
        /* products with 0 or 1 are exact, and no compiler turns them back into a branch */
        const ll_row_stats st = stats[row];
        double to_left = (double)goes_left, to_right = 1.0 - to_left;
        lg += to_left * st.g;
        lh += to_left * st.h;
        rg += to_right * st.g;
        rh += to_right * st.h;
        ln += (uint32_t)goes_left * st.n;
    }
    memcpy(rows + w, scratch, n_right * sizeof *rows);
    *left = (ll_row_stats){lg, lh, ln};
    *right = (ll_row_stats){rg, rh, node->total.n - ln}; /* counts are exact */
    return w;
}

/* Splits `node` by `s`: writes the split node and its two children, hands the histogram on
 * (building only the smaller child's) and queues the children. -1 when out of memory. */
static int split_node(ll_tree *tree, ll_tree_workspace *ws, const ll_tree_params *params,
                      const ll_row_stats *stats, size_t *rows, const pending *node,
                      const split *s)
{
    const ll_binned *data = ws->data;
    ll_row_stats lt, rt;
    size_t mid = partition(ws, stats, rows, node, s, &lt, &rt);
    if (tree_reserve(tree, 2) != 0)
        return -1;
    uint32_t left = (uint32_t)tree->n_nodes;
    tree->n_nodes += 2;
    tree->nodes[node->node] = (ll_tree_node){
        .threshold = data->upper[data->offset[s->feature] + s->bin],
        .left = left,
        .feature = (int16_t)s->feature,
        .bin = (uint8_t)s->bin,
        .is_leaf = 0,
    };
    tree->value[node->node] = 0.0;
    tree->gain[node->node] = s->gain;

    pending l = {left, node->depth + 1, -1, node->begin, mid, lt};
    pending r = {left + 1, node->depth + 1, -1, mid, node->end, rt};
    int need_l = can_split(params, &l);
    int need_r = can_split(params, &r);
    if (need_l || need_r) {
        /* the child with fewer binned rows is the cheaper one to build */
        int left_smaller = mid - node->begin <= node->end - mid;
        pending *small = left_smaller ? &l : &r;
        pending *large = left_smaller ? &r : &l;
        int h = hist_acquire(ws);
        if (h < 0)
            return -1;
        hist_build(hist_at(ws, h), data, stats, rows + small->begin, small->end - small->begin,
                   params->threads);
        hist_subtract(hist_at(ws, node->hist), hist_at(ws, h), ws->hist_len);
        small->hist = h;
        large->hist = node->hist;
        if (!(left_smaller ? need_l : need_r)) {
            hist_release(ws, small->hist);
            small->hist = -1;
        }
        if (!(left_smaller ? need_r : need_l)) {
            hist_release(ws, large->hist);
            large->hist = -1;
        }
    } else {
        hist_release(ws, node->hist);
    }
    /* the left child is popped, and so numbered in the stack order, first */
    if (stack_push(ws, r) != 0 || stack_push(ws, l) != 0)
        return -1;
    return 0;
}

ll_status ll_tree_fit(ll_tree *tree, ll_tree_workspace *ws, const ll_tree_params *params,
                      const ll_row_stats *stats, size_t *rows, size_t n_rows, ll_rng *rng)
{
    const ll_binned *data = ws->data;
    tree->n_nodes = 0;
    ws->stack_len = 0;
    ws->n_free = 0;
    for (int i = ws->n_hists - 1; i >= 0; i--)
        ws->free_hists[ws->n_free++] = i;
    /* the draw order restarts with every tree, so a tree does not depend on its predecessors */
    for (size_t f = 0; f < data->n_cols; f++)
        ws->features[f] = f;

    pending root = {0, 0, -1, 0, n_rows, {0.0, 0.0, 0}};
    for (size_t i = 0; i < n_rows; i++) {
        root.total.g += stats[rows[i]].g;
        root.total.h += stats[rows[i]].h;
        root.total.n += stats[rows[i]].n;
    }
    if (tree_reserve(tree, 1) != 0)
        return LL_ENOMEM;
    tree->n_nodes = 1;
    if (can_split(params, &root)) {
        if ((root.hist = hist_acquire(ws)) < 0)
            return LL_ENOMEM;
        hist_build(hist_at(ws, root.hist), data, stats, rows, n_rows, params->threads);
    }
    if (stack_push(ws, root) != 0)
        return LL_ENOMEM;

    while (ws->stack_len > 0) {
        pending node = ws->stack[--ws->stack_len];
        split s = {.found = 0};
        if (node.hist >= 0)
            s = find_split(ws, params, hist_at(ws, node.hist), &node, rng);
        if (!accept_split(params, &s, node.total.h)) {
            hist_release(ws, node.hist);
            set_leaf(tree, params, &node);
            continue;
        }
        if (split_node(tree, ws, params, stats, rows, &node, &s) != 0)
            return LL_ENOMEM;
    }
    return LL_OK;
}

void ll_tree_free(ll_tree *tree)
{
    if (!tree)
        return;
    free(tree->nodes);
    free(tree->value);
    free(tree->gain);
    memset(tree, 0, sizeof *tree);
}

void ll_tree_scale_leaves(ll_tree *tree, double factor)
{
    for (size_t i = 0; i < tree->n_nodes; i++)
        tree->value[i] *= factor;
}

int ll_tree_is_finite(const ll_tree *tree)
{
    for (size_t i = 0; i < tree->n_nodes; i++)
        if (!isfinite(tree->value[i]))
            return 0;
    return 1;
}

/* Rows stepped through a tree together: their independent node chains overlap in the CPU
 * instead of each level waiting on a mispredicted branch. */
#define PREDICT_BLOCK 16

void ll_tree_predict_add(const ll_tree *tree, const double *x, size_t n_rows, size_t n_cols,
                         double *out)
{
    const ll_tree_node *nodes = tree->nodes;
    for (size_t start = 0; start < n_rows; start += PREDICT_BLOCK) {
        size_t m = n_rows - start < PREDICT_BLOCK ? n_rows - start : PREDICT_BLOCK;
        const double *block = x + start * n_cols;
        uint32_t at[PREDICT_BLOCK] = {0};
        for (unsigned moving = 1; moving;) {
            moving = 0;
            for (size_t k = 0; k < m; k++) {
                const ll_tree_node *node = &nodes[at[k]];
                moving |= !node->is_leaf;
                at[k] = node->left + (block[k * n_cols + (size_t)node->feature] > node->threshold);
            }
        }
        for (size_t k = 0; k < m; k++)
            out[start + k] += tree->value[at[k]];
    }
}

void ll_tree_predict_binned_add(const ll_tree *tree, const ll_binned *data, double *out)
{
    const ll_tree_node *nodes = tree->nodes;
    size_t n_rows = data->n_rows, n_cols = data->n_cols;
    for (size_t start = 0; start < n_rows; start += PREDICT_BLOCK) {
        size_t m = n_rows - start < PREDICT_BLOCK ? n_rows - start : PREDICT_BLOCK;
        const uint8_t *block = data->codes + start * n_cols;
        uint32_t at[PREDICT_BLOCK] = {0};
        for (unsigned moving = 1; moving;) {
            moving = 0;
            for (size_t k = 0; k < m; k++) {
                const ll_tree_node *node = &nodes[at[k]];
                moving |= !node->is_leaf;
                at[k] = node->left + (block[k * n_cols + (size_t)node->feature] > node->bin);
            }
        }
        for (size_t k = 0; k < m; k++)
            out[start + k] += tree->value[at[k]];
    }
}

/* Rows per block of parallel forest prediction: enough that a block amortises its fork/join
 * share over every tree, few enough that a 13k-row test fold still splits over 2 threads. */
#define PREDICT_ROWS_PER_TASK 2048

void ll_trees_predict_add(const ll_tree *trees, size_t n_trees, const double *x, size_t n_rows,
                          size_t n_cols, int threads, double *out)
{
    size_t n_tasks = (n_rows + PREDICT_ROWS_PER_TASK - 1) / PREDICT_ROWS_PER_TASK;
    if (threads <= 1 || n_tasks < 2) {
        /* tree by tree, so each tree's nodes stay in cache over all rows */
        for (size_t t = 0; t < n_trees; t++)
            ll_tree_predict_add(&trees[t], x, n_rows, n_cols, out);
        return;
    }
    int team = (size_t)threads < n_tasks ? threads : (int)n_tasks;
    /* a row's sum runs over the trees in the same order in either branch: bit-identical */
#pragma omp parallel for num_threads(team) schedule(dynamic, 1)
    for (size_t k = 0; k < n_tasks; k++) {
        size_t start = k * PREDICT_ROWS_PER_TASK;
        size_t m = n_rows - start;
        if (m > PREDICT_ROWS_PER_TASK)
            m = PREDICT_ROWS_PER_TASK;
        for (size_t t = 0; t < n_trees; t++)
            ll_tree_predict_add(&trees[t], x + start * n_cols, m, n_cols, out + start);
    }
}

/* ---- importances ---- */

void ll_tree_add_gains(const ll_tree *tree, double *sums)
{
    for (size_t i = 0; i < tree->n_nodes; i++)
        if (!tree->nodes[i].is_leaf && tree->gain[i] > 0.0)
            sums[tree->nodes[i].feature] += tree->gain[i];
}

void ll_trees_gain_importances(const ll_tree *trees, size_t n_trees, size_t n_cols,
                               double *out)
{
    memset(out, 0, n_cols * sizeof *out);
    for (size_t t = 0; t < n_trees; t++)
        ll_tree_add_gains(&trees[t], out);
    double total = 0.0;
    for (size_t f = 0; f < n_cols; f++)
        total += out[f];
    if (total > 0.0)
        for (size_t f = 0; f < n_cols; f++)
            out[f] /= total;
}

/* ---- saved trees ---- */

int ll_tree_save(const ll_tree *tree, ll_writer *w)
{
    if (ll_write_size(w, tree->n_nodes) != 0)
        return -1;
    for (size_t i = 0; i < tree->n_nodes; i++) {
        const ll_tree_node *node = &tree->nodes[i];
        int failed;
        if (node->is_leaf)
            failed = ll_write_u64(w, 0) || ll_write_f64(w, tree->value[i]);
        else
            failed = ll_write_u64(w, node->left) || ll_write_u64(w, (uint64_t)node->feature) ||
                     ll_write_u64(w, node->bin) || ll_write_f64(w, node->threshold) ||
                     ll_write_f64(w, tree->gain[i]);
        if (failed)
            return -1;
    }
    return 0;
}

/* Reads node i of n into the tree; parents[] marks the nodes already named as a child. */
static const char *load_node(ll_tree *tree, ll_reader *r, size_t i, size_t n, size_t n_cols,
                             uint8_t *parents)
{
    uint64_t left, feature, bin;
    double threshold, value, gain;
    if (ll_read_u64(r, &left) != 0)
        return "truncated";
    if (left == 0) {
        if (ll_read_f64(r, &value) != 0)
            return "truncated";
        if (!isfinite(value))
            return "a leaf value is not finite";
        tree->nodes[i] = (ll_tree_node){INFINITY, (uint32_t)i, 0, UINT8_MAX, 1};
        tree->value[i] = value;
        tree->gain[i] = 0.0;
        return NULL;
    }
    if (ll_read_u64(r, &feature) != 0 || ll_read_u64(r, &bin) != 0 ||
        ll_read_f64(r, &threshold) != 0 || ll_read_f64(r, &gain) != 0)
        return "truncated";
    /* forward only: every path from the root ends, and in bounds */
    if (left <= i || left >= n - 1)
        return "a child index is out of range";
    if (parents[left] || parents[left + 1])
        return "a node has two parents";
    parents[left] = parents[left + 1] = 1;
    if (feature >= n_cols)
        return "a feature index is out of range";
    if (bin >= UINT8_MAX)
        return "a bin code is out of range"; /* 255 would be a leaf's */
    if (!isfinite(threshold) || !isfinite(gain))
        return "a split threshold or gain is not finite";
    tree->nodes[i] = (ll_tree_node){threshold, (uint32_t)left, (int16_t)feature, (uint8_t)bin, 0};
    tree->value[i] = 0.0;
    tree->gain[i] = gain;
    return NULL;
}

ll_status ll_tree_load(ll_tree *tree, ll_reader *r, size_t n_cols, const char **why)
{
    memset(tree, 0, sizeof *tree);
    size_t n;
    /* node indices are uint32_t, and a count the bytes cannot hold is refused unallocated */
    if (ll_read_size(r, LL_TREE_SAVED_MIN_NODE, UINT32_MAX, &n) != 0) {
        *why = "a node count is truncated or larger than the bytes";
        return LL_EINVAL;
    }
    if (n == 0 || n_cols == 0 || n_cols > LL_TREE_MAX_COLS) {
        *why = n == 0 ? "a tree has no nodes" : "the feature count is out of range";
        return LL_EINVAL;
    }
    uint8_t *parents = calloc(n, 1);
    if (!parents || tree_reserve(tree, n) != 0) {
        free(parents);
        ll_tree_free(tree);
        *why = "out of memory";
        return LL_ENOMEM;
    }
    const char *bad = NULL;
    for (size_t i = 0; i < n && !bad; i++)
        bad = load_node(tree, r, i, n, n_cols, parents);
    for (size_t i = 1; i < n && !bad; i++)
        if (!parents[i])
            bad = "a node is no split's child";
    free(parents);
    if (bad) {
        ll_tree_free(tree);
        *why = bad;
        return LL_EINVAL;
    }
    tree->n_nodes = n;
    return LL_OK;
}

int ll_forest_save(const ll_tree *trees, size_t n_trees, ll_writer *w)
{
    if (ll_write_size(w, n_trees) != 0)
        return -1;
    for (size_t t = 0; t < n_trees; t++)
        if (ll_tree_save(&trees[t], w) != 0)
            return -1;
    return 0;
}

ll_status ll_forest_load(ll_tree **trees, size_t *n_trees, ll_reader *r, size_t n_cols,
                         size_t max_trees, char *why, size_t why_len)
{
    *trees = NULL;
    *n_trees = 0;
    size_t n;
    if (ll_read_size(r, LL_FOREST_SAVED_MIN_TREE, max_trees, &n) != 0 || n == 0) {
        snprintf(why, why_len, "tree count");
        return LL_EINVAL;
    }
    ll_tree *forest = calloc(n, sizeof *forest);
    if (!forest) {
        snprintf(why, why_len, "out of memory");
        return LL_ENOMEM;
    }
    for (size_t t = 0; t < n; t++) {
        const char *tree_why = NULL;
        ll_status st = ll_tree_load(&forest[t], r, n_cols, &tree_why);
        if (st != LL_OK) {
            snprintf(why, why_len, "tree %zu: %s", t, tree_why ? tree_why : "out of memory");
            for (size_t u = 0; u < t; u++)
                ll_tree_free(&forest[u]);
            free(forest);
            return st;
        }
    }
    *trees = forest;
    *n_trees = n;
    return LL_OK;
}

size_t ll_tree_n_try(const char *max_features_text, double fraction, size_t n_cols)
{
    double k = strcmp(max_features_text, "sqrt") == 0 ? floor(sqrt((double)n_cols))
                                                       : floor(fraction * (double)n_cols);
    if (!(k >= 1.0))
        return 1;
    return k >= (double)n_cols ? n_cols : (size_t)k;
}
