/* Tests of the shared tree builder (plugins/common/binning.c, tree.c): bin edges, the split a
 * hand computation predicts, every node's split against a brute-force search, thread
 * independence, and per-split feature sampling. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "binning.h"
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
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return th_run_suite(tree_suite()); }
