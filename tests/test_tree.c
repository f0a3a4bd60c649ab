/* Tests of the shared tree builder (plugins/common/binning.c, tree.c): bin edges, the split a
 * hand computation predicts, every node's split against a brute-force search, thread
 * independence, per-split feature sampling, gain importances, and saved trees (round trip,
 * corrupt and truncated bytes refused). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "binning.h"
#include "blob.h"
#include "harness.h"
#include "tree.h"

/* ---- binning ---- */

START_TEST(binning_one_bin_per_distinct_value)
{
    /* distinct values 1, 2, 3, 10 -> edges midway: 1.5, 2.5, 6.5 and +inf for the last bin */
    const double x[] = {3, 1, 2, 2, 10};
    ll_binned b;
    ck_assert_int_eq(ll_binned_build(&b, x, 5, 1, 255), LL_OK);
    ck_assert_uint_eq(ll_binned_n_bins(&b, 0), 4);
    const double upper[] = {1.5, 2.5, 6.5, INFINITY};
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq(b.upper[i], upper[i]);
    const uint8_t codes[] = {2, 0, 1, 1, 3};
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(b.codes[i], codes[i]);
    ll_binned_free(&b);
}
END_TEST

START_TEST(binning_quantiles)
{
    /* Column 0: 1..100 into 4 bins: each closes at its share of the rows left, 100/4 = 25,
     * 75/3 = 25, 50/2 = 25: edges 25.5, 50.5, 75.5, +inf.
     * Column 1: sixty 0s then 1..40 into 4 bins: the 0s take bin 0 (60 >= 100/4); then 40 rows
     * over 3 bins close at 14 values (14 * 3 >= 40) -> 14.5; then 26 rows over 2 bins close at
     * 13 (13 * 2 >= 26) -> 27.5; then +inf. */
    double x[200];
    for (int i = 0; i < 100; i++) {
        x[2 * i] = i + 1;
        x[2 * i + 1] = i < 60 ? 0 : i - 59;
    }
    ll_binned b;
    ck_assert_int_eq(ll_binned_build(&b, x, 100, 2, 4), LL_OK);
    const double upper0[] = {25.5, 50.5, 75.5, INFINITY};
    const double upper1[] = {0.5, 14.5, 27.5, INFINITY};
    ck_assert_uint_eq(ll_binned_n_bins(&b, 0), 4);
    ck_assert_uint_eq(ll_binned_n_bins(&b, 1), 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_double_eq(b.upper[b.offset[0] + i], upper0[i]);
        ck_assert_double_eq(b.upper[b.offset[1] + i], upper1[i]);
    }
    /* codes agree with the edges: the first bin whose upper edge is >= the value */
    for (int i = 0; i < 100; i++)
        for (int j = 0; j < 2; j++) {
            uint8_t c = b.codes[2 * i + j];
            const double *up = b.upper + b.offset[j];
            ck_assert(x[2 * i + j] <= up[c]);
            ck_assert(c == 0 || x[2 * i + j] > up[c - 1]);
        }
    ll_binned_free(&b);
}
END_TEST

START_TEST(duplicates_are_merged)
{
    /* rows 0, 2, 4 share codes (1.0 and 1.1 fall in one bin of 2), so do rows 1 and 3 */
    const double x[] = {1.0, 5, 2.0, 5, 1.1, 5, 2.0, 5, 1.0, 5, 3.0, 6};
    uint32_t group[6];
    ll_binned b;
    ck_assert_int_eq(ll_binned_build(&b, x, 6, 2, 2), LL_OK);
    ck_assert_int_eq(ll_binned_merge_duplicates(&b, group), LL_OK);
    ck_assert_uint_eq(b.n_rows, 3);
    const uint32_t expect[] = {0, 1, 0, 1, 0, 2};
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(group[i], expect[i]);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_uint_eq(b.codes[group[i] * 2], x[2 * i] > 1.5);
        ck_assert_uint_eq(b.codes[group[i] * 2 + 1], x[2 * i + 1] > 5.5);
    }
    ll_binned_free(&b);
}
END_TEST

/* ---- the hand-made table ---- */

/* Eight rows; x0 = 1..8 (8 bins, edges 1.5 .. 7.5), x1 alternates 2, 1 (edge 1.5);
 * y = 0 0 1 0 0 1 1 1. */
static const double hand_x[] = {1, 2, 2, 1, 3, 2, 4, 1, 5, 2, 6, 1, 7, 2, 8, 1};
static const uint8_t hand_y[] = {0, 0, 1, 0, 0, 1, 1, 1};

typedef struct {
    ll_binned binned;
    ll_tree_workspace *ws;
    ll_tree tree;
    size_t rows[8];
    ll_row_stats gh[8];
} hand_fixture;

static void hand_fit(hand_fixture *f, const ll_tree_params *params)
{
    memset(f, 0, sizeof *f);
    ck_assert_int_eq(ll_binned_build(&f->binned, hand_x, 8, 2, 255), LL_OK);
    f->ws = ll_tree_workspace_new(&f->binned);
    ck_assert_ptr_nonnull(f->ws);
    for (size_t i = 0; i < 8; i++) {
        f->rows[i] = i;
        if (params->criterion == LL_TREE_GINI)
            f->gh[i] = (ll_row_stats){hand_y[i], 1.0, 1};
        else /* logistic loss at p = 0.5: g = p - y, h = p (1 - p) */
            f->gh[i] = (ll_row_stats){0.5 - hand_y[i], 0.25, 1};
    }
    ll_rng rng;
    ll_rng_seed(&rng, 1);
    ck_assert_int_eq(ll_tree_fit(&f->tree, f->ws, params, f->gh, f->rows, 8, &rng), LL_OK);
}

static void hand_free(hand_fixture *f)
{
    ll_tree_free(&f->tree);
    ll_tree_workspace_free(f->ws);
    ll_binned_free(&f->binned);
}

START_TEST(gini_split_by_hand)
{
    /* Gini score of a side with P positives and N negatives (unit weights): (P^2 + N^2) / W;
     * gain = score(L) + score(R) - score(all); score(all) = (16 + 16) / 8 = 4.
     * x0 cut after k rows:  k=1: 1 + 25/7 = 4.571  k=2: 2 + 20/6 = 5.333  k=3: 5/3 + 13/5 = 4.267
     *                       k=4: 2.5 + 2.5 = 5     k=5: 17/5 + 3 = 6.4     k=6: 20/6 + 2 = 5.333
     *                       k=7: 25/7 + 1 = 4.571
     * x1 <= 1.5 (rows 2 4 6 8: P2 N2) vs rows 1 3 5 7 (P2 N2): 2 + 2 = 4, gain 0.
     * Best: x0 <= 5.5 with gain 6.4 - 4 = 2.4. Its right side (rows 6..8) is pure: leaf 1.
     * (tests/reference/trees.py: DecisionTreeClassifier(criterion="gini") finds the same root,
     * and N * its impurity decrease is 2.4; with min_samples_leaf=4, 4.5 and 1.0.) */
    ll_tree_params p = {.criterion = LL_TREE_GINI, .min_samples_leaf = 1, .n_try = 2,
                        .threads = 1};
    hand_fixture f;
    hand_fit(&f, &p);
    const ll_tree_node *root = &f.tree.nodes[0];
    ck_assert_int_eq(root->feature, 0);
    ck_assert_double_eq(root->threshold, 5.5);
    ck_assert_double_eq_tol(f.tree.gain[0], 2.4, 1e-12);
    ck_assert(f.tree.nodes[root->left + 1].is_leaf);
    ck_assert_double_eq(f.tree.value[root->left + 1], 1.0);
    /* grown until pure on distinct rows: every training row gets its own label back */
    for (int i = 0; i < 8; i++)
        ck_assert_double_eq(ll_tree_predict_row(&f.tree, hand_x + 2 * i), hand_y[i]);
    hand_free(&f);
}
END_TEST

START_TEST(gini_min_samples_leaf_by_hand)
{
    /* With 4 rows per leaf only x0 <= 4.5 (gain 5 - 4 = 1) and x1 (gain 0) are allowed. */
    ll_tree_params p = {.criterion = LL_TREE_GINI, .min_samples_leaf = 4, .n_try = 2,
                        .threads = 1};
    hand_fixture f;
    hand_fit(&f, &p);
    ck_assert_int_eq(f.tree.nodes[0].feature, 0);
    ck_assert_double_eq(f.tree.nodes[0].threshold, 4.5);
    ck_assert_double_eq_tol(f.tree.gain[0], 1.0, 1e-12);
    ck_assert_uint_eq(f.tree.n_nodes, 3); /* 4-row children cannot split again */
    /* leaves are class-1 shares: rows 1..4 hold one positive, rows 5..8 three */
    ck_assert_double_eq(f.tree.value[1], 0.25);
    ck_assert_double_eq(f.tree.value[2], 0.75);
    hand_free(&f);
}
END_TEST

START_TEST(newton_split_by_hand)
{
    /* g = 0.5 - y, h = 0.25, l2 = 1; score = G^2 / (H + 1); G(all) = 0 so score(all) = 0.
     * x0 cut after k rows (GL = k/2 - positives among the first k, HL = k/4, GR = -GL):
     *   k=1: .25/1.25 + .25/2.75 = .291   k=2: 1/1.5 + 1/2.5 = 1.067
     *   k=3: .25/1.75 + .25/2.25 = .254
     *   k=4: 1/2 + 1/2 = 1                k=5: 2.25/2.25 + 2.25/1.75 = 2.286
     *   k=6: 1/2.5 + 1/1.5 = 1.067        k=7: .25/2.75 + .25/1.25 = .291
     * x1: both sides G = 0: 0. Best x0 <= 5.5, gain 0.5 * 2.286 = 8/7; leaves -G/(H + 1):
     * left -1.5/2.25 = -2/3, right 1.5/1.75 = 6/7. */
    ll_tree_params p = {.criterion = LL_TREE_NEWTON, .max_depth = 1, .min_samples_leaf = 1,
                        .l2 = 1.0, .n_try = 2, .threads = 1};
    hand_fixture f;
    hand_fit(&f, &p);
    ck_assert_int_eq(f.tree.nodes[0].feature, 0);
    ck_assert_double_eq(f.tree.nodes[0].threshold, 5.5);
    ck_assert_double_eq_tol(f.tree.gain[0], 8.0 / 7.0, 1e-12);
    ck_assert_double_eq_tol(f.tree.value[1], -2.0 / 3.0, 1e-12);
    ck_assert_double_eq_tol(f.tree.value[2], 6.0 / 7.0, 1e-12);
    hand_free(&f);
}
END_TEST

/* ---- random tables ---- */

enum { RN = 3000, RC = 6 };

/* Continuous, integer-valued and binary features, so bins come from both binning regimes. */
static void random_table(double *x, ll_row_stats *gh, uint64_t seed)
{
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    for (size_t i = 0; i < RN; i++) {
        for (size_t j = 0; j < RC; j++) {
            double u = ll_rng_uniform(&rng);
            x[i * RC + j] = j % 3 == 0 ? u : j % 3 == 1 ? floor(u * 12) : (u < 0.3);
        }
        double p = 1.0 / (1.0 + exp(-6.0 * (x[i * RC] - 0.5) - 0.2 * x[i * RC + 1]));
        gh[i] = (ll_row_stats){ll_rng_uniform(&rng) - p, 0.05 + p * (1 - p), 1};
    }
}

/* Best split of `rows` by scanning every feature and cut directly from the rows. */
static void brute_force_split(const ll_binned *b, const ll_row_stats *gh, const size_t *rows,
                              size_t n, double l2, size_t min_leaf, size_t *feature,
                              size_t *bin, double *gain)
{
    double g = 0, h = 0;
    for (size_t i = 0; i < n; i++) {
        g += gh[rows[i]].g;
        h += gh[rows[i]].h;
    }
    *gain = -INFINITY;
    for (size_t f = 0; f < b->n_cols; f++)
        for (size_t cut = 0; cut + 1 < ll_binned_n_bins(b, f); cut++) {
            double gl = 0, hl = 0;
            size_t nl = 0;
            for (size_t i = 0; i < n; i++)
                if (b->codes[rows[i] * b->n_cols + f] <= cut) {
                    gl += gh[rows[i]].g;
                    hl += gh[rows[i]].h;
                    nl++;
                }
            if (nl < min_leaf || n - nl < min_leaf)
                continue;
            double s = 0.5 * (gl * gl / (hl + l2) + (g - gl) * (g - gl) / (h - hl + l2) -
                              g * g / (h + l2));
            if (s > *gain + 1e-9) {
                *gain = s;
                *feature = f;
                *bin = cut;
            }
        }
}

START_TEST(every_split_is_the_brute_force_best)
{
    /* Histograms come from subtraction for the larger child at every level: a wrong sibling
     * histogram would show up as a node whose split differs from a direct search. */
    double *x = malloc(RN * RC * sizeof *x);
    ll_row_stats *gh = malloc(RN * sizeof *gh);
    random_table(x, gh, 7);
    ll_binned b;
    ck_assert_int_eq(ll_binned_build(&b, x, RN, RC, 16), LL_OK);
    ll_tree_workspace *ws = ll_tree_workspace_new(&b);
    size_t *rows = malloc(RN * sizeof *rows);
    for (size_t i = 0; i < RN; i++)
        rows[i] = i;
    ll_tree_params p = {.criterion = LL_TREE_NEWTON, .max_depth = 5, .min_samples_leaf = 20,
                        .l2 = 0.5, .n_try = RC, .threads = 1};
    ll_tree tree = {0};
    ll_rng rng;
    ll_rng_seed(&rng, 3);
    ck_assert_int_eq(ll_tree_fit(&tree, ws, &p, gh, rows, RN, &rng), LL_OK);
    ck_assert_uint_gt(tree.n_nodes, 15);

    /* route the training rows to every node and redo the search there */
    size_t *node_rows = malloc(RN * sizeof *node_rows);
    size_t checked = 0;
    for (size_t node = 0; node < tree.n_nodes; node++) {
        if (tree.nodes[node].is_leaf)
            continue;
        size_t n = 0;
        for (size_t r = 0; r < RN; r++) {
            size_t at = 0;
            while (at != node && !tree.nodes[at].is_leaf) {
                const ll_tree_node *t = &tree.nodes[at];
                at = t->left + (b.codes[r * RC + (size_t)t->feature] > t->bin);
            }
            if (at == node)
                node_rows[n++] = r;
        }
        size_t f = 0, cut = 0;
        double gain;
        brute_force_split(&b, gh, node_rows, n, p.l2, p.min_samples_leaf, &f, &cut, &gain);
        ck_assert_uint_eq((size_t)tree.nodes[node].feature, f);
        ck_assert_uint_eq(tree.nodes[node].bin, cut);
        ck_assert_double_eq_tol(tree.gain[node], gain, 1e-9 * (1 + fabs(gain)));
        ck_assert_double_eq(tree.nodes[node].threshold, b.upper[b.offset[f] + cut]);
        checked++;
    }
    ck_assert_uint_gt(checked, 7);
    free(node_rows);
    ll_tree_free(&tree);
    ll_tree_workspace_free(ws);
    ll_binned_free(&b);
    free(rows);
    free(gh);
    free(x);
}
END_TEST

static void fit_random(const ll_binned *b, const ll_row_stats *gh, const ll_tree_params *p,
                       uint64_t seed, ll_tree *tree)
{
    ll_tree_workspace *ws = ll_tree_workspace_new(b);
    size_t *rows = malloc(b->n_rows * sizeof *rows);
    for (size_t i = 0; i < b->n_rows; i++)
        rows[i] = i;
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    ck_assert_int_eq(ll_tree_fit(tree, ws, p, gh, rows, b->n_rows, &rng), LL_OK);
    free(rows);
    ll_tree_workspace_free(ws);
}

START_TEST(threads_do_not_change_the_tree)
{
    /* big enough (48000 rows x 6 features at the root) to take the parallel histogram path */
    enum { BIG = 48000 };
    double *x = malloc(BIG * RC * sizeof *x);
    ll_row_stats *gh = malloc(BIG * sizeof *gh);
    for (int part = 0; part < BIG / RN; part++)
        random_table(x + (size_t)part * RN * RC, gh + (size_t)part * RN, 11 + (uint64_t)part);
    ll_binned b;
    ck_assert_int_eq(ll_binned_build(&b, x, BIG, RC, 255), LL_OK);
    ll_tree_params p = {.criterion = LL_TREE_NEWTON, .max_depth = 8, .min_samples_leaf = 5,
                        .n_try = 3, .threads = 1};
    ll_tree one = {0}, two = {0};
    fit_random(&b, gh, &p, 5, &one);
    p.threads = 2;
    fit_random(&b, gh, &p, 5, &two);
    ck_assert_uint_eq(one.n_nodes, two.n_nodes);
    ck_assert_int_eq(memcmp(one.nodes, two.nodes, one.n_nodes * sizeof *one.nodes), 0);
    ll_tree_free(&one);
    ll_tree_free(&two);
    ll_binned_free(&b);
    free(gh);
    free(x);
}
END_TEST

START_TEST(features_are_sampled_per_split)
{
    /* Feature 0 carries the signal, so with all features the root always splits on it; with
     * one feature drawn per split the root's feature follows the rng. */
    double *x = malloc(RN * RC * sizeof *x);
    ll_row_stats *gh = malloc(RN * sizeof *gh);
    random_table(x, gh, 13);
    ll_binned b;
    ck_assert_int_eq(ll_binned_build(&b, x, RN, RC, 64), LL_OK);
    ll_tree_params p = {.criterion = LL_TREE_NEWTON, .max_depth = 2, .min_samples_leaf = 1,
                        .n_try = RC, .threads = 1};
    int roots_not_0 = 0;
    for (uint64_t seed = 0; seed < 20; seed++) {
        ll_tree all = {0}, one = {0};
        fit_random(&b, gh, &p, seed, &all);
        ck_assert_int_eq(all.nodes[0].feature, 0);
        p.n_try = 1;
        fit_random(&b, gh, &p, seed, &one);
        p.n_try = RC;
        roots_not_0 += one.nodes[0].feature != 0;
        ll_tree_free(&all);
        ll_tree_free(&one);
    }
    ck_assert_int_ge(roots_not_0, 5); /* 5/6 of draws miss feature 0 */
    ck_assert_uint_eq(ll_tree_n_try("sqrt", NAN, 15), 3);
    ck_assert_uint_eq(ll_tree_n_try("0.5", 0.5, 15), 7);
    ck_assert_uint_eq(ll_tree_n_try("0.01", 0.01, 15), 1);
    ck_assert_uint_eq(ll_tree_n_try("1.0", 1.0, 15), 15);
    ll_binned_free(&b);
    free(gh);
    free(x);
}
END_TEST

START_TEST(merging_duplicates_keeps_the_tree)
{
    /* Two discrete features (12 and 2 values): 3000 rows fall into at most 24 binned rows.
     * A tree on the merged rows with summed stats must equal the tree on the raw rows. */
    double *x = malloc(RN * RC * sizeof *x), *xd = malloc(RN * 2 * sizeof *xd);
    ll_row_stats *gh = malloc(RN * sizeof *gh), *merged = calloc(RN, sizeof *merged);
    random_table(x, gh, 17);
    for (size_t i = 0; i < RN; i++) {
        xd[2 * i] = x[i * RC + 1];
        xd[2 * i + 1] = x[i * RC + 2];
    }
    ll_binned raw, dedup;
    uint32_t *group;
    ck_assert_int_eq(ll_binned_build(&raw, xd, RN, 2, 255), LL_OK);
    ck_assert_int_eq(ll_binned_build_merged(&dedup, &group, xd, RN, 2, 255), LL_OK);
    ck_assert_uint_le(dedup.n_rows, 24);
    for (size_t i = 0; i < RN; i++) {
        merged[group[i]].g += gh[i].g;
        merged[group[i]].h += gh[i].h;
        merged[group[i]].n += gh[i].n;
    }
    ll_tree_params p = {.criterion = LL_TREE_NEWTON, .max_depth = 4, .min_samples_leaf = 30,
                        .l2 = 1.0, .n_try = 2, .threads = 1};
    ll_tree a = {0}, b = {0};
    fit_random(&raw, gh, &p, 1, &a);
    fit_random(&dedup, merged, &p, 1, &b);
    ck_assert_uint_gt(a.n_nodes, 7);
    ck_assert_uint_eq(a.n_nodes, b.n_nodes);
    for (size_t i = 0; i < a.n_nodes; i++) {
        ck_assert_int_eq(a.nodes[i].feature, b.nodes[i].feature);
        ck_assert_uint_eq(a.nodes[i].bin, b.nodes[i].bin);
        ck_assert_double_eq_tol(a.value[i], b.value[i], 1e-9);
    }
    ll_tree_free(&a);
    ll_tree_free(&b);
    ll_binned_free(&raw);
    ll_binned_free(&dedup);
    free(group);
    free(merged);
    free(gh);
    free(xd);
    free(x);
}
END_TEST

/* ---- importances ---- */

START_TEST(stump_gain_is_the_impurity_decrease)
{
    /* The hand table's Gini stump (gini_split_by_hand): x0 <= 5.5. With unit weights the root
     * holds 8 rows, p = 4/8, Gini 1 - .25 - .25 = .5, weighted 8 * .5 = 4; the left side rows
     * 1..5, p = 1/5, Gini 1 - .04 - .64 = .32, weighted 5 * .32 = 1.6; the right side rows 6..8
     * is pure, 0. Decrease 4 - 1.6 - 0 = 2.4, all of it on x0, none on x1. */
    ll_tree_params p = {.criterion = LL_TREE_GINI, .max_depth = 1, .min_samples_leaf = 1,
                        .n_try = 2, .threads = 1};
    hand_fixture f;
    hand_fit(&f, &p);
    ck_assert_uint_eq(f.tree.n_nodes, 3);
    double sums[2] = {0, 0};
    ll_tree_add_gains(&f.tree, sums);
    ck_assert_double_eq_tol(sums[0], 2.4, 1e-12);
    ck_assert_double_eq(sums[1], 0.0);
    /* a second copy of the tree doubles the sums but not the normalised importances */
    ll_tree twice[2] = {f.tree, f.tree};
    double imp[2];
    ll_trees_gain_importances(twice, 2, 2, imp);
    ck_assert_double_eq(imp[0], 1.0);
    ck_assert_double_eq(imp[1], 0.0);
    /* Newton stump (newton_split_by_hand): 0.5 * (GL^2/(HL+1) + GR^2/(HR+1) - 0) = 8/7 */
    hand_free(&f);
    p = (ll_tree_params){.criterion = LL_TREE_NEWTON, .max_depth = 1, .min_samples_leaf = 1,
                         .l2 = 1.0, .n_try = 2, .threads = 1};
    hand_fit(&f, &p);
    sums[0] = sums[1] = 0.0;
    ll_tree_add_gains(&f.tree, sums);
    ck_assert_double_eq_tol(sums[0], 8.0 / 7.0, 1e-12);
    ck_assert_double_eq(sums[1], 0.0);
    hand_free(&f);
}
END_TEST

START_TEST(importances_sum_node_gains_per_feature)
{
    /* Invariant on a deep tree: each feature's sum is the sum of gain[] over the nodes that
     * split on it (recomputed here node by node), and the normalised values sum to 1. */
    double *x = malloc(RN * RC * sizeof *x);
    ll_row_stats *gh = malloc(RN * sizeof *gh);
    random_table(x, gh, 19);
    ll_binned b;
    ck_assert_int_eq(ll_binned_build(&b, x, RN, RC, 32), LL_OK);
    ll_tree_params p = {.criterion = LL_TREE_NEWTON, .max_depth = 6, .min_samples_leaf = 10,
                        .l2 = 1.0, .n_try = RC, .threads = 1};
    ll_tree tree = {0};
    fit_random(&b, gh, &p, 2, &tree);
    double expect[RC] = {0}, sums[RC] = {0}, imp[RC], total = 0.0;
    size_t features_used = 0;
    for (size_t i = 0; i < tree.n_nodes; i++)
        if (!tree.nodes[i].is_leaf) {
            ck_assert_double_gt(tree.gain[i], 0.0); /* NEWTON splits gain more than min_gain */
            features_used += expect[tree.nodes[i].feature] == 0.0;
            expect[tree.nodes[i].feature] += tree.gain[i];
            total += tree.gain[i];
        } else {
            ck_assert_double_eq(tree.gain[i], 0.0);
        }
    ck_assert_uint_ge(features_used, 2);
    ll_tree_add_gains(&tree, sums);
    ll_trees_gain_importances(&tree, 1, RC, imp);
    double imp_sum = 0.0;
    for (size_t f = 0; f < RC; f++) {
        ck_assert_double_eq_tol(sums[f], expect[f], 1e-12 * total);
        ck_assert_double_eq_tol(imp[f], expect[f] / total, 1e-12);
        imp_sum += imp[f];
    }
    ck_assert_double_eq_tol(imp_sum, 1.0, 1e-12);
    /* feature 0 carries the signal (random_table) */
    for (size_t f = 1; f < RC; f++)
        ck_assert_double_gt(imp[0], imp[f]);
    /* a lone leaf gains nothing: all zero, not NaN */
    ll_tree leaf = tree;
    leaf.n_nodes = 1;
    leaf.nodes = &(ll_tree_node){INFINITY, 0, 0, UINT8_MAX, 1};
    ll_trees_gain_importances(&leaf, 1, RC, imp);
    for (size_t f = 0; f < RC; f++)
        ck_assert_double_eq(imp[f], 0.0);
    ll_tree_free(&tree);
    ll_binned_free(&b);
    free(gh);
    free(x);
}
END_TEST

/* ---- saved trees ---- */

static ll_blob save_tree(const ll_tree *tree)
{
    ll_blob blob = {0};
    ll_writer w = ll_blob_writer(&blob);
    ck_assert_int_eq(ll_tree_save(tree, &w), 0);
    ck_assert(!blob.failed);
    return blob;
}

/* ll_tree_load on `len` bytes; on success checks every byte was read. */
static ll_status load_tree(const uint8_t *bytes, size_t len, size_t n_cols, ll_tree *tree,
                           const char **why)
{
    ll_span span = {bytes, len, 0};
    ll_reader r = ll_span_reader(&span);
    *why = NULL;
    ll_status st = ll_tree_load(tree, &r, n_cols, why);
    if (st == LL_OK)
        ck_assert_uint_eq(span.pos, len);
    else
        ck_assert_msg(*why && **why, "a refused tree gave no reason");
    return st;
}

static uint64_t get_u64(const uint8_t *at)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)at[i] << (8 * i);
    return v;
}

START_TEST(saved_trees_load_identical)
{
    double *x = malloc(RN * RC * sizeof *x), *direct = calloc(RN, sizeof *direct),
           *loaded = calloc(RN, sizeof *loaded);
    ll_row_stats *gh = malloc(RN * sizeof *gh);
    random_table(x, gh, 23);
    ll_binned b;
    ck_assert_int_eq(ll_binned_build(&b, x, RN, RC, 64), LL_OK);
    const ll_tree_params configs[] = {
        {.criterion = LL_TREE_NEWTON, .max_depth = 7, .min_samples_leaf = 5, .l2 = 1.0,
         .n_try = RC, .threads = 1},
        {.criterion = LL_TREE_NEWTON, .max_depth = 1, .min_samples_leaf = 1, .n_try = 2,
         .threads = 1},
        /* a root that cannot split: one leaf */
        {.criterion = LL_TREE_NEWTON, .max_depth = 3, .min_samples_leaf = RN, .n_try = RC,
         .threads = 1},
    };
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        ll_tree tree = {0}, back = {0};
        fit_random(&b, gh, &configs[c], 4, &tree);
        ll_tree_scale_leaves(&tree, 0.1); /* as sgb stores them */
        ll_blob blob = save_tree(&tree);
        const char *why;
        ck_assert_int_eq(load_tree(blob.data, blob.len, RC, &back, &why), LL_OK);
        /* the very same arrays: splits, children, features, bins, leaf values, gains */
        ck_assert_uint_eq(back.n_nodes, tree.n_nodes);
        ck_assert_int_eq(memcmp(back.nodes, tree.nodes, tree.n_nodes * sizeof *tree.nodes), 0);
        ck_assert_int_eq(memcmp(back.value, tree.value, tree.n_nodes * sizeof *tree.value), 0);
        ck_assert_int_eq(memcmp(back.gain, tree.gain, tree.n_nodes * sizeof *tree.gain), 0);
        memset(direct, 0, RN * sizeof *direct);
        memset(loaded, 0, RN * sizeof *loaded);
        ll_tree_predict_add(&tree, x, RN, RC, direct);
        ll_tree_predict_add(&back, x, RN, RC, loaded);
        ck_assert_int_eq(memcmp(direct, loaded, RN * sizeof *direct), 0);
        /* every truncation is refused, and leaves nothing allocated */
        for (size_t cut = 0; cut < blob.len; cut++) {
            ll_tree part = {0};
            ck_assert_int_eq(load_tree(blob.data, cut, RC, &part, &why), LL_EINVAL);
            ck_assert_ptr_null(part.nodes);
        }
        ll_blob_free(&blob);
        ll_tree_free(&back);
        ll_tree_free(&tree);
    }
    ll_binned_free(&b);
    free(gh);
    free(direct);
    free(loaded);
    free(x);
}
END_TEST

START_TEST(corrupt_tree_bytes_are_refused)
{
    /* The hand table's full Gini tree. Layout (tree.h): u64 node count at 0, then node 0, a
     * split: left child at 8, feature at 16, bin at 24, threshold at 32, gain at 40; node 1
     * starts at 48. */
    ll_tree_params p = {.criterion = LL_TREE_GINI, .min_samples_leaf = 1, .n_try = 2,
                        .threads = 1};
    hand_fixture f;
    hand_fit(&f, &p);
    ck_assert_uint_ge(f.tree.n_nodes, 5);
    ck_assert(!f.tree.nodes[0].is_leaf && !f.tree.nodes[1].is_leaf); /* x0 <= 5.5, then more */
    ll_blob blob = save_tree(&f.tree);
    uint8_t *copy = malloc(blob.len);
    ck_assert_uint_eq(get_u64(blob.data), f.tree.n_nodes);
    ck_assert_uint_eq(get_u64(blob.data + 8), 1);  /* root's left child */
    ck_assert_uint_eq(get_u64(blob.data + 16), 0); /* root's feature */
    ck_assert_uint_eq(get_u64(blob.data + 48), f.tree.nodes[1].left);
    const th_corruption cases[] = {
        {8, f.tree.n_nodes - 1, "child index"},   /* its right child would be past the end */
        {8, UINT64_MAX, "child index"},
        {48, 1, "child index"},                   /* node 1 its own child: a cycle */
        {16, 2, "feature index"},                 /* n_cols = 2 */
        {16, 40000, "feature index"},
        {24, 255, "bin code"},
        {32, 0x7FF8000000000000ull, "not finite"}, /* a NaN threshold */
        {48, 2, "two parents"},                   /* node 2 is the root's child already */
        {0, UINT64_MAX, "node count"},            /* no allocation of 2^64 nodes */
        {0, (uint64_t)1 << 40, "node count"},
        {0, 0, "no nodes"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(copy, blob.data, blob.len);
        th_put_u64(copy + cases[c].offset, cases[c].value);
        ll_tree back = {0};
        const char *why;
        ck_assert_msg(load_tree(copy, blob.len, 2, &back, &why) == LL_EINVAL,
                      "case %zu accepted", c);
        ck_assert_msg(strstr(why, cases[c].message), "case %zu: '%s' lacks '%s'", c, why,
                      cases[c].message);
        ck_assert_ptr_null(back.nodes);
    }
    /* feature 1 is in range for 2 features, not for 1 */
    memcpy(copy, blob.data, blob.len);
    th_put_u64(copy + 16, 1);
    ll_tree back = {0};
    const char *why;
    ck_assert_int_eq(load_tree(copy, blob.len, 2, &back, &why), LL_OK);
    ck_assert_int_eq(back.nodes[0].feature, 1);
    ll_tree_free(&back);
    ck_assert_int_eq(load_tree(copy, blob.len, 1, &back, &why), LL_EINVAL);
    ck_assert_int_eq(load_tree(blob.data, blob.len, 0, &back, &why), LL_EINVAL);
    free(copy);
    ll_blob_free(&blob);
    hand_free(&f);
}
END_TEST

static Suite *tree_suite(void)
{
    Suite *s = suite_create("tree");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, binning_one_bin_per_distinct_value);
    tcase_add_test(tc, binning_quantiles);
    tcase_add_test(tc, duplicates_are_merged);
    tcase_add_test(tc, gini_split_by_hand);
    tcase_add_test(tc, gini_min_samples_leaf_by_hand);
    tcase_add_test(tc, newton_split_by_hand);
    tcase_add_test(tc, every_split_is_the_brute_force_best);
    tcase_add_test(tc, merging_duplicates_keeps_the_tree);
    tcase_add_test(tc, threads_do_not_change_the_tree);
    tcase_add_test(tc, features_are_sampled_per_split);
    tcase_add_test(tc, stump_gain_is_the_impurity_decrease);
    tcase_add_test(tc, importances_sum_node_gains_per_feature);
    tcase_add_test(tc, saved_trees_load_identical);
    tcase_add_test(tc, corrupt_tree_bytes_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return th_run_suite(tree_suite()); }
