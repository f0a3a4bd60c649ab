/* What calling leads best-first yields (core/gains): the gains curve, lift per decile and
 * reliability bins against values computed by hand on 20 rows with tied scores, unscored rows
 * left out, the perfect ranking's curve, a row's top-10 % means over its folds and the
 * sentence leaderboard.md says them in, and the report.html sections drawn from them. The
 * browser renders those sections in tests/html_test.sh. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gains.h"
#include "harness.h"
#include "metrics.h"
#include "report.h"
#include "report_html.h"
#include "runner.h"
#include "spec.h"
#include "summary.h"

/* ---- 20 rows with ties, by hand ----
 *
 * row:    0   1   2   3   4   5   6   7   8   9  |  10  11  12  13  14   15  16  17  18   19
 * score: .8  .3  .8  .6  .2  .6  .9  .4  .6  .1  |  .3  .2  .5  .4  .05  .7  .2  .1  .05  0
 * y:      0   1   1   1   0   0   1   0   0   0  |   0   0   1   0   1    0   0   0   0   0
 *
 * 6 buyers in 20 rows: base rate 0.3. A score of 0 is a score (only NaN and negatives are not).
 *
 * Best first, ties by row order (rank: row y):
 *   0:6 1   1:0 0   2:2 1   3:15 0   4:3 1   5:5 0   6:8 0   7:12 1   8:7 0   9:13 0
 *  10:1 1  11:10 0 12:4 0  13:11 0  14:16 0 15:9 0  16:17 0 17:14 1  18:18 0 19:19 0
 * buyers among the first j rows called, j = 0..20:
 *   0 1 1 2 2 3 3 3 4 4 4 5 5 5 5 5 5 5 6 6 6
 * Gains at j = 2 (the top 10 %): 1/6; at 5 points (j = 0, 5, 10, 15, 20): 0, 3/6, 4/6, 5/6, 1.
 * The ties decide: 0.8 (rows 0, 2) calls the non-buyer first (1/6 at j = 2, not 2/6), and
 * 0.6 (rows 3, 5, 8) the buyer first (3/6 at j = 5).
 *
 * Deciles (two rows each, decile 1 + floor(10 rank / 20)):
 *   d1 rows 6, 0: 1 buyer    d2 rows 2, 15: 1    d3 rows 3, 5: 1    d4 rows 8, 12: 1
 *   d5 rows 7, 13: 0         d6 rows 1, 10: 1    d7 rows 4, 11: 0   d8 rows 16, 9: 0
 *   d9 rows 17, 14: 1        d10 rows 18, 19: 0
 * lift = (buyers / 2) / 0.3: 5/3 for a decile with a buyer, 0 without. Scores of d4: 0.6 .. 0.5.
 *
 * Lowest first, ties by row order (rank: row score y):
 *   0:19 0 0   1:14 .05 1  2:18 .05 0  3:9 .1 0   4:17 .1 0   5:4 .2 0   6:11 .2 0
 *   7:16 .2 0  8:1 .3 1    9:10 .3 0  10:7 .4 0  11:13 .4 0  12:12 .5 1  13:3 .6 1
 *  14:5 .6 0  15:8 .6 0   16:15 .7 0  17:0 .8 0  18:2 .8 1   19:6 .9 1
 * Ten bins of two: mean score / observed rate
 *   .025/.5  .075/0  .15/0  .2/0  .3/.5  .4/0  .55/1  .6/0  .75/0  .85/1
 * (the 0.6 tie splits rows 3 | 5, 8: bin 7 observes 1, bin 8 observes 0).
 * ECE = 2/20 * (.475 + .075 + .15 + .2 + .2 + .4 + .45 + .6 + .75 + .15) = 0.345.
 * Three bins (array_split: 7, 7, 6 rows):
 *   ranks 0-6:  scores sum .7, 1 buyer  -> mean .1,     observed 1/7
 *   ranks 7-13: scores sum 2.7, 3 buyers -> mean 2.7/7, observed 3/7
 *   ranks 14-19: scores sum 4.4, 2 buyers -> mean 4.4/6, observed 2/6 */
static const double hand_s[20] = {.8, .3, .8, .6, .2, .6, .9, .4, .6, .1,
                                  .3, .2, .5, .4, .05, .7, .2, .1, .05, 0};
static const uint8_t hand_y[20] = {0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0};

START_TEST(gains_curve_by_hand)
{
    ll_gains g;
    ck_assert_int_eq(ll_gains_curve(hand_y, hand_s, 20, 100, &g), 0);
    const size_t hits[21] = {0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6};
    ck_assert_uint_eq(g.n, 21);
    ck_assert_uint_eq(g.rows, 20);
    ck_assert_uint_eq(g.buyers, 6);
    for (size_t j = 0; j <= 20; j++) {
        ck_assert_double_eq_tol(g.called[j], (double)j / 20, 1e-15);
        ck_assert_double_eq_tol(g.reached[j], (double)hits[j] / 6, 1e-15);
    }
    ll_gains_free(&g);
    /* downsampled to 5 points: ranks 0, 5, 10, 15, 20 */
    ck_assert_int_eq(ll_gains_curve(hand_y, hand_s, 20, 5, &g), 0);
    const double called[] = {0, .25, .5, .75, 1}, reached[] = {0, 3.0 / 6, 4.0 / 6, 5.0 / 6, 1};
    ck_assert_uint_eq(g.n, 5);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_double_eq_tol(g.called[i], called[i], 1e-15);
        ck_assert_double_eq_tol(g.reached[i], reached[i], 1e-15);
    }
    ll_gains_free(&g);
    /* the top 10 % as ll_metrics_at counts it: 2 rows, 1 buyer */
    ll_at_k at;
    ck_assert_int_eq(ll_metrics_at(hand_y, hand_s, 20, 0.1, &at), 0);
    ck_assert_double_eq_tol(at.recall, 1.0 / 6, 1e-15);
    ck_assert_double_eq_tol(at.precision, 0.5, 1e-15);
    ck_assert_double_eq_tol(at.lift, 5.0 / 3, 1e-12);
}
END_TEST

START_TEST(decile_lift_by_hand)
{
    ll_decile d[LL_DECILES];
    double base;
    ck_assert_int_eq(ll_decile_lift(hand_y, hand_s, 20, d, &base), 0);
    ck_assert_double_eq_tol(base, 0.3, 1e-15);
    const size_t buyers[LL_DECILES] = {1, 1, 1, 1, 0, 1, 0, 0, 1, 0};
    for (size_t k = 0; k < LL_DECILES; k++) {
        ck_assert_uint_eq(d[k].rows, 2);
        ck_assert_uint_eq(d[k].buyers, buyers[k]);
        ck_assert_double_eq_tol(d[k].rate, buyers[k] / 2.0, 1e-15);
        ck_assert_double_eq_tol(d[k].lift, buyers[k] ? 5.0 / 3 : 0.0, 1e-12);
    }
    ck_assert_double_eq(d[0].max_score, .9);
    ck_assert_double_eq(d[0].min_score, .8);
    ck_assert_double_eq(d[3].max_score, .6);
    ck_assert_double_eq(d[3].min_score, .5);
    ck_assert_double_eq(d[9].min_score, 0);
}
END_TEST

START_TEST(reliability_bins_by_hand)
{
    ll_reliability_bin b[10];
    size_t n;
    ck_assert_int_eq(ll_reliability_bins(hand_y, hand_s, 20, 10, b, &n), 0);
    ck_assert_uint_eq(n, 10);
    const double mean[] = {.025, .075, .15, .2, .3, .4, .55, .6, .75, .85};
    const double observed[] = {.5, 0, 0, 0, .5, 0, 1, 0, 0, 1};
    double ece = 0;
    for (size_t k = 0; k < 10; k++) {
        ck_assert_uint_eq(b[k].rows, 2);
        ck_assert_double_eq_tol(b[k].mean_score, mean[k], 1e-15);
        ck_assert_double_eq_tol(b[k].observed, observed[k], 1e-15);
        ece += (double)b[k].rows / 20 * fabs(b[k].observed - b[k].mean_score);
    }
    /* the bins are ll_ece's */
    ck_assert_double_eq_tol(ece, 0.345, 1e-12);
    ck_assert_double_eq_tol(ll_ece(hand_y, hand_s, 20, 10, NULL), 0.345, 1e-12);
    /* uneven: 7, 7, 6 rows */
    ck_assert_int_eq(ll_reliability_bins(hand_y, hand_s, 20, 3, b, &n), 0);
    ck_assert_uint_eq(n, 3);
    const size_t rows[] = {7, 7, 6};
    const double mean3[] = {.1, 2.7 / 7, 4.4 / 6}, observed3[] = {1.0 / 7, 3.0 / 7, 2.0 / 6};
    ece = 0;
    for (size_t k = 0; k < 3; k++) {
        ck_assert_uint_eq(b[k].rows, rows[k]);
        ck_assert_double_eq_tol(b[k].mean_score, mean3[k], 1e-12);
        ck_assert_double_eq_tol(b[k].observed, observed3[k], 1e-15);
        ece += (double)b[k].rows / 20 * fabs(b[k].observed - b[k].mean_score);
    }
    ck_assert_double_eq_tol(ll_ece(hand_y, hand_s, 20, 3, NULL), ece, 1e-12);
    /* fewer rows than bins: one row a bin */
    ck_assert_int_eq(ll_reliability_bins(hand_y, hand_s, 4, 10, b, &n), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_double_eq(b[0].mean_score, .3); /* row 1, the lowest of rows 0-3 */
}
END_TEST

START_TEST(unscored_rows_are_left_out)
{
    /* Rows 0, 7 and 19 of a failed cell (-1), row 10 NaN: every function must answer as on
     * the 16 others alone. */
    double s[20];
    memcpy(s, hand_s, sizeof s);
    s[0] = s[7] = s[19] = -1.0;
    s[10] = NAN;
    uint8_t y_kept[20];
    double s_kept[20];
    size_t m = 0;
    for (size_t i = 0; i < 20; i++)
        if (i != 0 && i != 7 && i != 19 && i != 10) {
            y_kept[m] = hand_y[i];
            s_kept[m++] = hand_s[i];
        }
    ck_assert_uint_eq(m, 16);
    uint8_t y_c[20];
    double s_c[20];
    ck_assert_uint_eq(ll_scored_rows(hand_y, s, 20, y_c, s_c), 16);
    ck_assert_int_eq(memcmp(y_c, y_kept, 16), 0);
    ck_assert_int_eq(memcmp(s_c, s_kept, 16 * sizeof *s_c), 0);

    ll_gains a, b;
    ck_assert_int_eq(ll_gains_curve(hand_y, s, 20, 100, &a), 0);
    ck_assert_int_eq(ll_gains_curve(y_kept, s_kept, 16, 100, &b), 0);
    ck_assert_uint_eq(a.n, 17);
    ck_assert_uint_eq(a.rows, 16);
    ck_assert_uint_eq(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        ck_assert_double_eq(a.called[i], b.called[i]);
        ck_assert_double_eq(a.reached[i], b.reached[i]);
    }
    ll_gains_free(&a);
    ll_gains_free(&b);

    /* 16 rows, decile 1 + floor(10 r / 16): sizes 2 2 1 2 1 2 2 1 2 1 */
    ll_decile da[LL_DECILES], db[LL_DECILES];
    double base_a, base_b;
    ck_assert_int_eq(ll_decile_lift(hand_y, s, 20, da, &base_a), 0);
    ck_assert_int_eq(ll_decile_lift(y_kept, s_kept, 16, db, &base_b), 0);
    const size_t sizes[LL_DECILES] = {2, 2, 1, 2, 1, 2, 2, 1, 2, 1};
    ck_assert_double_eq(base_a, base_b);
    for (size_t k = 0; k < LL_DECILES; k++) {
        ck_assert_uint_eq(da[k].rows, sizes[k]);
        ck_assert_uint_eq(da[k].buyers, db[k].buyers);
        ck_assert_double_eq(da[k].lift, db[k].lift);
    }

    ll_reliability_bin ra[10], rb[10];
    size_t na, nb;
    ck_assert_int_eq(ll_reliability_bins(hand_y, s, 20, 10, ra, &na), 0);
    ck_assert_int_eq(ll_reliability_bins(y_kept, s_kept, 16, 10, rb, &nb), 0);
    ck_assert_uint_eq(na, 10);
    ck_assert_uint_eq(na, nb);
    for (size_t k = 0; k < na; k++) {
        ck_assert_uint_eq(ra[k].rows, k < 6 ? 2 : 1); /* 16 = 6 x 2 + 4 x 1 */
        ck_assert_uint_eq(ra[k].rows, rb[k].rows);
        ck_assert_double_eq(ra[k].mean_score, rb[k].mean_score);
        ck_assert_double_eq(ra[k].observed, rb[k].observed);
    }

    /* nothing scored: a single point, no decile, no bin */
    double none[3] = {-1, -1, NAN};
    ck_assert_int_eq(ll_gains_curve(hand_y, none, 3, 100, &a), 0);
    ck_assert_uint_eq(a.n, 1);
    ck_assert_uint_eq(a.rows, 0);
    ll_gains_free(&a);
    ck_assert_int_eq(ll_decile_lift(hand_y, none, 3, da, &base_a), 0);
    ck_assert(isnan(base_a) && da[0].rows == 0 && isnan(da[0].lift));
    ck_assert_int_eq(ll_reliability_bins(hand_y, none, 3, 10, ra, &na), 0);
    ck_assert_uint_eq(na, 0);
}
END_TEST

START_TEST(perfect_scores_give_the_perfect_line)
{
    /* 1,000 rows, 37 buyers scattered, scored 1 and everyone else 0: the curve is
     * min(x / base rate, 1), at each of its (at most LL_GAINS_MAX_POINTS) points */
    enum { N = 1000 };
    static uint8_t y[N];
    static double s[N];
    size_t buyers = 0;
    for (size_t i = 0; i < N; i++) {
        y[i] = (i * 7919) % 27 == 3;
        s[i] = y[i];
        buyers += y[i];
    }
    ck_assert_uint_eq(buyers, 37);
    ll_gains g;
    ck_assert_int_eq(ll_gains_curve(y, s, N, LL_GAINS_MAX_POINTS, &g), 0);
    ck_assert_uint_eq(g.n, LL_GAINS_MAX_POINTS);
    ck_assert_double_eq(g.called[0], 0);
    ck_assert_double_eq(g.reached[0], 0);
    ck_assert_double_eq(g.called[g.n - 1], 1);
    ck_assert_double_eq(g.reached[g.n - 1], 1);
    double base = 37.0 / N;
    for (size_t i = 0; i < g.n; i++)
        ck_assert_double_eq_tol(g.reached[i], fmin(g.called[i] / base, 1.0), 1e-12);
    ll_gains_free(&g);
    /* and all the lift in the first decile: 37 buyers of its 100 rows */
    ll_decile d[LL_DECILES];
    ck_assert_int_eq(ll_decile_lift(y, s, N, d, NULL), 0);
    ck_assert_uint_eq(d[0].buyers, 37);
    ck_assert_double_eq_tol(d[0].lift, 0.37 / base, 1e-12);
    for (size_t k = 1; k < LL_DECILES; k++)
        ck_assert_double_eq(d[k].lift, 0);
}
END_TEST

/* ---- a row's top 10 % over its folds, and the sentence under leaderboard.md's table ----
 *
 * 30 rows in 3 folds (fold = row % 3), one model and sampler, one repeat; fold 2 failed (its
 * rows unscored, -1). The top 10 % of a fold of 10 rows is 1 row.
 *   fold 0 (rows 0, 3, ..., 27): 4 buyers; its best score .95 (row 0) a buyer:
 *          precision 1, recall 1/4, lift 1 / (4/10) = 2.5
 *   fold 1 (rows 1, 4, ..., 28): 3 buyers; rows 1 (buyer) and 4 tie at .9, row 1 goes first:
 *          precision 1, recall 1/3, lift 1 / (3/10) = 10/3
 * Means: precision 1, recall 7/24 = 29 %, lift 35/12 = 2.9. */
static const double run_s[30] = {
    .95, .9, -1, .5, .9, -1, .4, .2, -1, .3, .3, -1, .2, .1, -1,
    .7, .5, -1, .1, .4, -1, .6, .05, -1, .8, .6, -1, .05, .02, -1};
static const uint8_t run_y[30] = {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0,
                                  1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0};

typedef struct {
    ll_run_result run;
    ll_cell cells[3];
    uint32_t fold_of_row[30];
    uint8_t y[30];
    double oof[30];
    ll_config model, sampler;
    ll_spec spec;
    ll_dataset data;
} built_run;

static char model_label[] = "m", sampler_label[] = "none", run_name[] = "constructed";

static void build_run(built_run *b, int fold_status[3])
{
    memset(b, 0, sizeof *b);
    memcpy(b->y, run_y, sizeof b->y);
    memcpy(b->oof, run_s, sizeof b->oof);
    for (uint32_t i = 0; i < 30; i++)
        b->fold_of_row[i] = i % 3;
    ll_run_result *r = &b->run;
    r->n_rows = 30;
    r->n_models = r->n_samplers = r->repeats = 1;
    r->folds = 3;
    r->fold_of_row = b->fold_of_row;
    r->y = b->y;
    r->cells = b->cells;
    r->n_cells = 3;
    r->oof = b->oof;
    for (uint32_t f = 0; f < 3; f++) {
        ll_cell *c = &b->cells[f];
        c->fold = f;
        c->status = (ll_cell_status)fold_status[f];
        c->n_test = 10;
        c->metrics.f1 = 0.5;
        if (c->status == LL_CELL_FAILED)
            snprintf(c->error, sizeof c->error, "boom");
        r->n_ok += c->status == LL_CELL_OK;
        r->n_failed += c->status == LL_CELL_FAILED;
        r->n_pending += c->status == LL_CELL_PENDING;
        if (c->status != LL_CELL_OK)
            for (size_t i = f; i < 30; i += 3)
                b->oof[i] = -1.0;
    }
    b->model.label = model_label;
    b->sampler.label = sampler_label;
    ll_spec *s = &b->spec;
    s->name = run_name;
    s->models = &b->model;
    s->n_models = 1;
    s->samplers = &b->sampler;
    s->n_samplers = 1;
    s->folds = 3;
    s->repeats = 1;
    s->threshold = 0.5;
    s->metrics = LL_METRIC_ALL;
    b->data.n_rows = 30;
    b->data.n_cols = 1;
    for (size_t i = 0; i < 30; i++)
        b->data.n_positive += run_y[i];
}

static char *markdown_of(built_run *b)
{
    char *md = NULL;
    size_t len;
    FILE *f = open_memstream(&md, &len);
    ck_assert_int_eq(ll_report_markdown(f, &b->spec, &b->data, &b->run, NULL), 0);
    fclose(f);
    return md;
}

START_TEST(top_ten_percent_sentence)
{
    static built_run b;
    build_run(&b, (int[]){LL_CELL_OK, LL_CELL_OK, LL_CELL_FAILED});
    ll_at_k mean;
    size_t cells;
    ck_assert_int_eq(ll_row_top_k(&b.run, 0, 0, 0.1, &mean, &cells), 0);
    ck_assert_uint_eq(cells, 2);
    ck_assert_double_eq_tol(mean.precision, 1.0, 1e-15);
    ck_assert_double_eq_tol(mean.recall, 7.0 / 24, 1e-15);
    ck_assert_double_eq_tol(mean.lift, 35.0 / 12, 1e-12);
    char *md = markdown_of(&b);
    const char *sentence = "\nCalling the top 10 % of leads by m | none reaches 29 % of buyers "
                           "(precision 1.00, lift 2.9).\n";
    char *at = strstr(md, sentence);
    ck_assert_msg(at, "no sentence in:\n%s", md);
    /* under the table */
    ck_assert_msg(strstr(md, "| 1 | m | none |") < at, "%s", md);
    free(md);
    /* nothing finished: no sentence */
    build_run(&b, (int[]){LL_CELL_PENDING, LL_CELL_FAILED, LL_CELL_PENDING});
    ck_assert_int_eq(ll_row_top_k(&b.run, 0, 0, 0.1, &mean, &cells), 0);
    ck_assert_uint_eq(cells, 0);
    ck_assert(isnan(mean.recall) && isnan(mean.precision) && isnan(mean.lift));
    md = markdown_of(&b);
    ck_assert_msg(!strstr(md, "Calling the top"), "%s", md);
    free(md);
}
END_TEST

/* ---- the page's sections, in process ---- */

/* The text of <svg id="ID"> .. </svg> in html, malloc'd. */
static char *chart_of(const char *html, const char *id)
{
    char needle[64];
    snprintf(needle, sizeof needle, "<svg id=\"%s\"", id);
    const char *start = strstr(html, needle);
    ck_assert_msg(start, "no %s", needle);
    const char *end = strstr(start, "</svg>");
    ck_assert_ptr_nonnull(end);
    return strndup(start, (size_t)(end - start));
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static int all_but_c1_fold_2(const ll_cell *cell) { return cell->model == 0 || cell->fold != 2; }

START_TEST(page_draws_gains_lift_and_reliability)
{
    const char *dir = th_tmpdir();
    char path[600], spec_path[600];
    ll_error err;
    snprintf(path, sizeof path, "%s/train.csv", dir);
    ck_assert_int_eq(ll_synth_write(path, 1500, 5, &err), 0);
    th_write_file(dir, "spec.yaml",
                  "data: {train: train.csv, target: buy, id: id}\n"
                  "features: {drop: [created_at, signup_date], columns: {products_purchased: "
                  "{fill: 0}}}\nplugin_path: [" LL_TEST_PLUGIN_DIR "]\n"
                  "models:\n  - logreg: {C: [0.1, 1]}\ncv: {folds: 3}\noutput: {dir: out}\n",
                  spec_path, sizeof spec_path);
    /* C=1 misses its fold 2: those 500 rows are unscored, never drawn */
    th_held_run held;
    th_held_run_cells(spec_path, all_but_c1_fold_2, NULL, &held);
    /* Model 1 relabelled as model 0 under isotonic calibration: its twin, for the page. */
    ll_config *twin = &held.spec.models[1];
    char label[300];
    snprintf(label, sizeof label, "%s [isotonic]", held.spec.models[0].label);
    free(twin->label);
    twin->label = strdup(label);
    twin->calibration = 1;
    char *html = NULL;
    size_t len;
    FILE *f = open_memstream(&html, &len);
    ll_report_context ctx = {"leadlab run spec.yaml", "test machine", "0123abcd"};
    ck_assert_int_eq(ll_report_html(f, &held.spec, &held.data, &held.run, &ctx), 0);
    fclose(f);
    const char *sections[] = {"<section id=\"gains\">", "<section id=\"lift\">",
                              "<section id=\"reliability\">"};
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(strstr(html, sections[i]), "no %s", sections[i]);
    /* after the PR and ROC curves, before the cut */
    ck_assert(strstr(html, "id=\"roc-curves\"") < strstr(html, "id=\"gains\""));
    ck_assert(strstr(html, "id=\"reliability\"") < strstr(html, "id=\"threshold\""));

    char *gains = chart_of(html, "chart-gains");
    ck_assert_msg(strstr(gains, "top 10 %") && strstr(gains, "calling at random") &&
                      strstr(gains, "perfect ranking: all buyers by"),
                  "%.3000s", gains);
    /* each curve of 1,500 (or 1,000) rows kept to at most LL_GAINS_MAX_POINTS points */
    for (const char *p = strstr(gains, "<path d=\"M"); p; p = strstr(p + 1, "<path d=\"M")) {
        const char *end = strchr(p + 9, '"');
        size_t points = 0;
        for (const char *q = p + 9; q < end; q++)
            points += *q == 'L' || *q == 'M';
        ck_assert_uint_le(points, LL_GAINS_MAX_POINTS);
    }
    ck_assert_ptr_nonnull(strstr(html, "<b>Top 10 %: "));
    free(gains);

    char *lift = chart_of(html, "chart-lift");
    /* ten bars, and the clip area, legend box and legend swatch */
    ck_assert_uint_eq(count(lift, "<rect x="), 10 + 3);
    ck_assert_msg(strstr(lift, "<title>decile 1 (scores ") && strstr(lift, " leads, ") &&
                      strstr(lift, "lift 1: calling at random"),
                  "%.3000s", lift);
    free(lift);

    char *rel = chart_of(html, "chart-reliability");
    ck_assert_msg(strstr(rel, "uncalibrated") && strstr(rel, "isotonic") &&
                      strstr(rel, ": ECE 0.") && strstr(rel, "<title>bin 3: ") &&
                      strstr(rel, "perfectly calibrated"),
                  "%s", rel + (strlen(rel) > 3000 ? strlen(rel) - 3000 : 0));
    /* two series of ten bins, each dot on a white ring, and the legend's two dots */
    ck_assert_uint_eq(count(rel, "<circle"), 2 * 10 * 2 + 2);
    ck_assert_uint_eq(count(rel, "<title>bin "), 2 * 10);
    free(rel);
    free(html);
    th_held_run_free(&held);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gains");
    TCase *unit = tcase_create("unit");
    tcase_add_test(unit, gains_curve_by_hand);
    tcase_add_test(unit, decile_lift_by_hand);
    tcase_add_test(unit, reliability_bins_by_hand);
    tcase_add_test(unit, unscored_rows_are_left_out);
    tcase_add_test(unit, perfect_scores_give_the_perfect_line);
    tcase_add_test(unit, top_ten_percent_sentence);
    tcase_add_test(unit, page_draws_gains_lift_and_reliability);
    suite_add_tcase(s, unit);
    return th_run_suite(s);
}
