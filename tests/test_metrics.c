/* Tests of core/metrics: threshold metrics by hand, ranking metrics with ties against
 * scikit-learn, the best-F1 cut, fold statistics and the corrected t-test against scipy. */
#include <check.h>
#include <math.h>

#include "harness.h"
#include "metrics.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The "hand" fixture of tests/reference/metrics.py. At threshold 0.5 (score >= 0.5 positive;
 * row 2 sits exactly on it):
 *   predicted positive: rows 0, 1, 2 (y = 1) and 4, 5 (y = 0)  -> tp = 3, fp = 2
 *   row 3 (0.3, y = 1) -> fn = 1; rows 6..11 (y = 0)         -> tn = 6
 *   precision = 3/5 = 0.6, recall = 3/4 = 0.75, F1 = 2*3 / (2*3 + 2 + 1) = 2/3
 *   MCC = (3*6 - 2*1) / sqrt((3+2)(3+1)(6+2)(6+1)) = 16 / sqrt(1120) = 0.478091443733757
 *   balanced accuracy = (3/4 + 6/8) / 2 = 0.75, accuracy = (3 + 6) / 12 = 0.75
 *   ROC-AUC by pairs: 0.9 and 0.8 beat all 8 negatives, 0.5 beats 6, 0.3 beats 3 and ties 1:
 *   (8 + 8 + 6 + 3.5) / 32 = 0.796875 (scikit-learn agrees, see below). */
static const uint8_t hand_y[] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
static const double hand_s[] = {0.9, 0.8, 0.5, 0.3, 0.7, 0.6, 0.4, 0.2, 0.1, 0.3, 0.05, 0.45};

static const uint8_t ties_y[] = {1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0};
static const double ties_s[] = {0.8, 0.8, 0.6, 0.6, 0.6, 0.4, 0.4, 0.4,
                                0.4, 0.2, 0.2, 0.9, 0.1, 0.1, 0.1, 0.6};

enum { FORMULA_N = 1000 };
static void formula_fixture(uint8_t *y, double *s)
{
    for (int i = 0; i < FORMULA_N; i++) {
        s[i] = ((i * 37) % 23) / 22.0;
        y[i] = ((i * 37) % 23 + (i * 7) % 11) > 20;
    }
}

static void assert_close(double got, double want, double tol, const char *what)
{
    ck_assert_msg(fabs(got - want) <= tol, "%s = %.17g, expected %.17g", what, got, want);
}

START_TEST(test_threshold_metrics_by_hand)
{
    ll_metrics m;
    ck_assert_int_eq(ll_metrics_compute(hand_y, hand_s, N_OF(hand_y), 0.5, &m), 0);
    ck_assert_uint_eq(m.cm.tp, 3);
    ck_assert_uint_eq(m.cm.fp, 2);
    ck_assert_uint_eq(m.cm.tn, 6);
    ck_assert_uint_eq(m.cm.fn, 1);
    assert_close(m.precision, 0.6, 1e-15, "precision");
    assert_close(m.recall, 0.75, 1e-15, "recall");
    assert_close(m.f1, 2.0 / 3.0, 1e-15, "f1");
    assert_close(m.mcc, 16.0 / sqrt(1120.0), 1e-15, "mcc");
    assert_close(m.balanced_accuracy, 0.75, 1e-15, "balanced_accuracy");
    assert_close(m.accuracy, 0.75, 1e-15, "accuracy");
}
END_TEST

/* /usr/bin/python3 tests/reference/metrics.py (scikit-learn 1.2.1): roc_auc_score(y, s) and
 * average_precision_score(y, s); its output:
 *   hand: n=12 positives=4 roc_auc=0.796875 average_precision=0.76111111111111107
 *   ties: n=16 positives=6 roc_auc=0.5083333333333333 average_precision=0.38562132312132313
 *   formula: n=1000 positives=304 roc_auc=0.9549493345432547
 *            average_precision=0.88863117917040613 */
START_TEST(test_ranking_metrics_match_sklearn)
{
    ll_metrics m;
    ck_assert_int_eq(ll_metrics_compute(hand_y, hand_s, N_OF(hand_y), 0.5, &m), 0);
    assert_close(m.roc_auc, 0.796875, 1e-12, "hand roc_auc");
    assert_close(m.pr_auc, 0.76111111111111107, 1e-12, "hand average precision");

    ck_assert_int_eq(ll_metrics_compute(ties_y, ties_s, N_OF(ties_y), 0.5, &m), 0);
    assert_close(m.roc_auc, 0.5083333333333333, 1e-12, "ties roc_auc");
    assert_close(m.pr_auc, 0.38562132312132313, 1e-12, "ties average precision");

    uint8_t y[FORMULA_N];
    double s[FORMULA_N];
    formula_fixture(y, s);
    ck_assert_int_eq(ll_metrics_compute(y, s, FORMULA_N, 0.5, &m), 0);
    assert_close(m.roc_auc, 0.9549493345432547, 1e-12, "formula roc_auc");
    assert_close(m.pr_auc, 0.88863117917040613, 1e-12, "formula average precision");
}
END_TEST

/* Ranking metrics depend on the order of scores only, not on the order of rows. */
START_TEST(test_ranking_ignores_row_order)
{
    uint8_t y[FORMULA_N], y_rev[FORMULA_N];
    double s[FORMULA_N], s_rev[FORMULA_N];
    formula_fixture(y, s);
    for (int i = 0; i < FORMULA_N; i++) {
        y_rev[i] = y[FORMULA_N - 1 - i];
        s_rev[i] = 3.0 * s[FORMULA_N - 1 - i] - 1.0; /* a monotone map keeps every tie */
    }
    ll_metrics m, m_rev;
    ck_assert_int_eq(ll_metrics_compute(y, s, FORMULA_N, 0.5, &m), 0);
    ck_assert_int_eq(ll_metrics_compute(y_rev, s_rev, FORMULA_N, 0.5, &m_rev), 0);
    ck_assert(m.roc_auc == m_rev.roc_auc);
    ck_assert(m.pr_auc == m_rev.pr_auc);
}
END_TEST

/* All scores tied: one cut only, so ROC-AUC = 1/2 and average precision = the prevalence. */
START_TEST(test_all_tied_scores)
{
    const uint8_t y[] = {1, 0, 0, 1, 0, 0, 0, 0};
    const double s[] = {0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3};
    ll_metrics m;
    ck_assert_int_eq(ll_metrics_compute(y, s, N_OF(y), 0.5, &m), 0);
    assert_close(m.roc_auc, 0.5, 0.0, "roc_auc");
    assert_close(m.pr_auc, 0.25, 1e-15, "average precision");
    ck_assert_uint_eq(m.cm.tp + m.cm.fp, 0);
}
END_TEST

/* Degenerate cases as documented in metrics.h (scikit-learn with zero_division=0). */
START_TEST(test_degenerate_cases)
{
    ll_metrics m;
    /* one class only: AUCs undefined; nothing predicted positive */
    const uint8_t negatives[] = {0, 0, 0};
    const double low[] = {0.1, 0.2, 0.3};
    ck_assert_int_eq(ll_metrics_compute(negatives, low, 3, 0.5, &m), 0);
    ck_assert(isnan(m.roc_auc) && isnan(m.pr_auc));
    ck_assert(m.precision == 0.0 && m.recall == 0.0 && m.f1 == 0.0 && m.mcc == 0.0);
    assert_close(m.accuracy, 1.0, 0.0, "accuracy");
    assert_close(m.balanced_accuracy, 1.0, 0.0, "balanced accuracy (recall of class 0 only)");

    /* positives present but none predicted: precision 0 (zero_division=0), MCC 0 */
    const uint8_t mixed[] = {1, 0, 1, 0};
    const double scores[] = {0.4, 0.1, 0.2, 0.3};
    ck_assert_int_eq(ll_metrics_compute(mixed, scores, 4, 0.5, &m), 0);
    ck_assert(m.precision == 0.0 && m.recall == 0.0 && m.f1 == 0.0 && m.mcc == 0.0);
    assert_close(m.balanced_accuracy, 0.5, 0.0, "balanced accuracy");
    assert_close(m.roc_auc, 0.75, 0.0, "roc_auc"); /* 0.4 beats both, 0.2 beats 0.1 */

    /* a NaN score is never predicted positive and ranks below every other score */
    const double with_nan[] = {0.9, NAN, NAN, 0.3};
    ck_assert_int_eq(ll_metrics_compute(mixed, with_nan, 4, 0.0, &m), 0);
    ck_assert_uint_eq(m.cm.tp, 1);
    ck_assert_uint_eq(m.cm.fn, 1);
    /* pairs: 0.9 beats NaN and 0.3 (2), the NaN positive ties the NaN negative (1/2) */
    assert_close(m.roc_auc, 2.5 / 4.0, 0.0, "roc_auc with NaN");

    /* no rows at all */
    ck_assert_int_eq(ll_metrics_compute(NULL, NULL, 0, 0.5, &m), 0);
    ck_assert(isnan(m.accuracy) && isnan(m.balanced_accuracy) && isnan(m.roc_auc));
    ck_assert(m.f1 == 0.0 && m.mcc == 0.0);
}
END_TEST

/* Cuts of  y = 1 1 0 1 0 0 0 0  at scores .9 .8 .7 .6 .5 .4 .3 .2 (P = 3), F1 = 2tp/(tp+fp+P):
 *   >=.9: 2/4   >=.8: 4/5   >=.7: 4/6   >=.6: 6/7   >=.5: 6/8 ...
 * best 6/7 at the cut 0.6, returned as the mid-point to the next score: 0.55. */
START_TEST(test_best_f1_threshold)
{
    const uint8_t y[] = {1, 1, 0, 1, 0, 0, 0, 0};
    const double s[] = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2};
    double threshold, f1;
    ck_assert_int_eq(ll_best_f1_threshold(y, s, N_OF(y), &threshold, &f1), 0);
    assert_close(f1, 6.0 / 7.0, 1e-15, "best f1");
    assert_close(threshold, 0.55, 1e-15, "threshold");
    ll_metrics m; /* the returned cut reproduces that F1 */
    ck_assert_int_eq(ll_metrics_compute(y, s, N_OF(y), threshold, &m), 0);
    assert_close(m.f1, f1, 0.0, "f1 at the returned threshold");
}
END_TEST

/* y = 1 0 0 1 0 at .9 .8 .7 .6 .5 (P = 2): cuts give 2/3, 2/4, 2/5, 4/6, 4/7; the two best are
 * equal (2/3) and the lower cut 0.6 wins: threshold 0.55. With the best cut at the lowest score
 * (everything positive) the threshold is that score itself. */
START_TEST(test_best_f1_ties_and_edges)
{
    const uint8_t y[] = {1, 0, 0, 1, 0};
    const double s[] = {0.9, 0.8, 0.7, 0.6, 0.5};
    double threshold, f1;
    ck_assert_int_eq(ll_best_f1_threshold(y, s, N_OF(y), &threshold, &f1), 0);
    assert_close(f1, 2.0 / 3.0, 1e-15, "tied best f1");
    assert_close(threshold, 0.55, 1e-15, "lowest of the tied cuts");

    const uint8_t all_pos[] = {1, 1, 1};
    const double tied[] = {0.2, 0.7, 0.2};
    ck_assert_int_eq(ll_best_f1_threshold(all_pos, tied, 3, &threshold, &f1), 0);
    assert_close(f1, 1.0, 0.0, "all positive");
    assert_close(threshold, 0.2, 0.0, "lowest score");

    const uint8_t none[] = {0, 0};
    ck_assert_int_eq(ll_best_f1_threshold(none, tied, 2, &threshold, &f1), 0);
    ck_assert(f1 == 0.0 && threshold == INFINITY);

    /* a group of tied scores is cut as a whole: y = 1 | 1 0 0 (tied at .5) | 0 */
    const uint8_t grouped_y[] = {0, 1, 0, 1, 0};
    const double grouped_s[] = {0.5, 0.5, 0.1, 0.9, 0.5};
    ck_assert_int_eq(ll_best_f1_threshold(grouped_y, grouped_s, 5, &threshold, &f1), 0);
    assert_close(f1, 2.0 / 3.0, 1e-15, "best of 2/3 (>= .9) and 4/6 (>= .5)");
    assert_close(threshold, 0.3, 1e-15, "mid-point of .5 and .1");
}
END_TEST

START_TEST(test_mean_sd)
{
    const double v[] = {2.0, NAN, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0};
    double mean, sd;
    /* mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sd = sqrt(32/7) */
    ck_assert_uint_eq(ll_mean_sd(v, N_OF(v), &mean, &sd), 8);
    assert_close(mean, 5.0, 1e-15, "mean");
    assert_close(sd, sqrt(32.0 / 7.0), 1e-15, "sd");

    ck_assert_uint_eq(ll_mean_sd(v, 1, &mean, &sd), 1);
    ck_assert(mean == 2.0 && sd == 0.0);
    ck_assert_uint_eq(ll_mean_sd(v + 1, 1, &mean, &sd), 0);
    ck_assert(isnan(mean) && sd == 0.0);
}
END_TEST

/* scipy.stats.t.sf(t, df) from tests/reference/metrics.py (scipy 1.10.1), to a relative 1e-8
 * (an absolute 1e-14 for the tiny tails). */
START_TEST(test_student_t_sf_matches_scipy)
{
    static const struct {
        double t, df, sf;
    } ref[] = {
        {0.5, 3, 0.32572398242407552},     {2.0, 9, 0.038276411885350463},
        {-1.3, 4, 0.86827420176438797},    {5.0, 1, 0.06283295818900117},
        {10.0, 29, 3.2999312882167501e-11}, {0.01, 100, 0.49602060511721424},
        {3.0, 2.5, 0.036288047774515914},  {40.0, 3, 1.719034039457927e-05},
        {2.5, 1000, 0.0062892839005453966},
    };
    for (size_t k = 0; k < N_OF(ref); k++) {
        double sf = ll_student_t_sf(ref[k].t, ref[k].df);
        ck_assert_msg(fabs(sf - ref[k].sf) <= 1e-8 * fmax(1e-6, ref[k].sf),
                      "t.sf(%g, %g) = %.17g, scipy %.17g", ref[k].t, ref[k].df, sf, ref[k].sf);
    }
    ck_assert(ll_student_t_sf(0.0, 5) == 0.5);
    ck_assert(ll_student_t_sf(INFINITY, 5) == 0.0 && ll_student_t_sf(-INFINITY, 5) == 1.0);
}
END_TEST

/* Reference: t = 1.7560126195716359, df = 9, p = 2 * t.sf(|t|, 9) = 0.11296948633788258
 * (tests/reference/metrics.py, 5-fold x 2 repeats, n2/n1 = 1/4). */
START_TEST(test_corrected_ttest_matches_scipy)
{
    const double a[] = {0.71, 0.68, 0.74, 0.70, 0.69, 0.72, 0.70, 0.73, 0.67, 0.71};
    const double b[] = {0.69, 0.67, 0.70, 0.71, 0.66, 0.70, 0.68, 0.70, 0.68, 0.69};
    double t;
    double p = ll_corrected_ttest_p(a, b, N_OF(a), 0.25, &t);
    assert_close(t, 1.7560126195716359, 1e-12, "t");
    assert_close(p, 0.11296948633788258, 1e-8, "p");
    /* symmetric in a and b */
    assert_close(ll_corrected_ttest_p(b, a, N_OF(a), 0.25, &t), p, 1e-15, "p swapped");
    ck_assert(t < 0);
}
END_TEST

START_TEST(test_corrected_ttest_degenerate)
{
    /* binary fractions, so that the differences are exact */
    const double a[] = {0.75, 0.5, 0.875, NAN};
    const double same[] = {0.75, 0.5, 0.875, 0.5};
    const double shifted[] = {0.625, 0.375, 0.75, 0.5};
    double t;
    ck_assert(ll_corrected_ttest_p(a, same, 4, 0.25, &t) == 1.0 && t == 0.0);
    ck_assert(ll_corrected_ttest_p(a, shifted, 3, 0.25, &t) == 0.0 && t > 0 && isinf(t));
    ck_assert(isnan(ll_corrected_ttest_p(a, same, 1, 0.25, &t)) && isnan(t));
    /* the NaN pair is skipped: 4 pairs with one NaN = the 3 clean ones */
    const double b[] = {0.65, 0.62, 0.71, 0.1};
    double t3, t4;
    double p3 = ll_corrected_ttest_p(a, b, 3, 0.25, &t3);
    double p4 = ll_corrected_ttest_p(a, b, 4, 0.25, &t4);
    ck_assert(p3 == p4 && t3 == t4);
    ck_assert(ll_corrected_ttest_p(a, b, 3, 0.25, NULL) == p3);
}
END_TEST

/* Top-k by hand. Scores descending with ties by row: rows 0 (0.9, buyer), 1 (0.8), 2 (0.8,
 * buyer), 3 (0.7), 4 (0.6), 5 (0.6, buyer), ... 4 buyers in 12 rows, base rate 1/3.
 *   k = 0.25: round(3) = 3 rows {0, 1, 2}: 2 buyers -> precision 2/3, recall 2/4, lift 2.
 *   k = 0.2: round(2.4) = 2 rows {0, 1} (row 1 before tied row 2): 1 buyer -> 1/2, 1/4, 1.5.
 *   k = 0.01: round(0.12) = 0, at least 1: row 0 -> 1, 1/4, 3.
 *   k = 1: every row -> precision 1/3, recall 1, lift 1. */
START_TEST(test_metrics_at_by_hand)
{
    const uint8_t y[] = {1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0};
    const double s[] = {0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05};
    const struct {
        double k, precision, recall, lift;
    } want[] = {{0.25, 2.0 / 3, 0.5, 2.0},
                {0.2, 0.5, 0.25, 1.5},
                {0.01, 1.0, 0.25, 3.0},
                {1.0, 1.0 / 3, 1.0, 1.0}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ll_at_k at;
        ck_assert_int_eq(ll_metrics_at(y, s, 12, want[i].k, &at), 0);
        ck_assert_double_eq_tol(at.precision, want[i].precision, 1e-15);
        ck_assert_double_eq_tol(at.recall, want[i].recall, 1e-15);
        ck_assert_double_eq_tol(at.lift, want[i].lift, 1e-15);
    }
    /* The tie rule: with rows 1 and 2 swapped the buyer comes first at k = 0.2. */
    const uint8_t y2[] = {1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
    ll_at_k at;
    ck_assert_int_eq(ll_metrics_at(y2, s, 12, 0.2, &at), 0);
    ck_assert_double_eq_tol(at.precision, 1.0, 1e-15);
    /* No buyer: recall and lift are undefined, precision is 0. */
    const uint8_t none[] = {0, 0, 0, 0};
    ck_assert_int_eq(ll_metrics_at(none, s, 4, 0.5, &at), 0);
    ck_assert(at.precision == 0.0 && isnan(at.recall) && isnan(at.lift));
}
END_TEST

/* round(k n) half away from zero: 0.25 * 10 = 2.5 exactly gives 3 (banker's rounding would
 * give 2), 0.15 * 10 = 1.5 gives 2; never 0 rows, never more than n. */
START_TEST(test_top_count_rounding)
{
    ck_assert_uint_eq(ll_top_count(10, 0.25), 3);
    ck_assert_uint_eq(ll_top_count(10, 0.35), 4); /* the product rounds to 3.5 in doubles */
    ck_assert_uint_eq(ll_top_count(10, 0.24), 2);
    ck_assert_uint_eq(ll_top_count(10, 0.01), 1);
    ck_assert_uint_eq(ll_top_count(10, 1.0), 10);
    ck_assert_uint_eq(ll_top_count(9000, 0.1), 900);
    ck_assert_uint_eq(ll_top_count(0, 0.5), 0);
}
END_TEST

/* Against tests/reference/probability_metrics_reference.py (scikit-learn 1.2.1's
 * brier_score_loss and log_loss; ECE with numpy 1.24.2, 10 np.array_split bins of the rows
 * sorted by p). The vector has ties (0.8, 0.07), p = 0 and p = 1. */
START_TEST(test_probability_metrics_match_sklearn)
{
    const uint8_t y[] = {1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    const double p[] = {0.9,  0.8,  0.8,  0.7,  0.6,  0.6,  0.5, 0.4,  0.3,  0.2,  0.1, 0.05,
                        0.0,  1.0,  0.33, 0.12, 0.07, 0.07, 0.01, 0.45, 0.22, 0.18, 0.02};
    ck_assert_double_eq_tol(ll_brier(y, p, 23), 0.15519130434782613, 1e-15);
    ck_assert_double_eq_tol(ll_log_loss(y, p, 23), 0.463296790761761, 1e-14);
    int failed = 1;
    ck_assert_double_eq_tol(ll_ece(y, p, 23, 10, &failed), 0.17913043478260868, 1e-15);
    ck_assert_int_eq(failed, 0);
    /* Clipping: p = 0 for a buyer costs -log(1e-15), not infinity. */
    const uint8_t one[] = {1};
    const double zero[] = {0.0};
    ck_assert_double_eq_tol(ll_log_loss(one, zero, 1), -log(1e-15), 1e-12);
    /* A perfectly calibrated constant: every bin's mean p equals its rate. */
    const uint8_t half[] = {1, 0, 1, 0};
    const double flat[] = {0.5, 0.5, 0.5, 0.5};
    ck_assert_double_eq_tol(ll_ece(half, flat, 4, 1, NULL), 0.0, 1e-15);
    ck_assert_double_eq_tol(ll_brier(half, flat, 4), 0.25, 1e-15);
    ck_assert(isnan(ll_brier(half, flat, 0)) && isnan(ll_log_loss(half, flat, 0)) &&
              isnan(ll_ece(half, flat, 0, 10, NULL)));
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_threshold_metrics_by_hand);
    tcase_add_test(tc, test_ranking_metrics_match_sklearn);
    tcase_add_test(tc, test_ranking_ignores_row_order);
    tcase_add_test(tc, test_all_tied_scores);
    tcase_add_test(tc, test_degenerate_cases);
    tcase_add_test(tc, test_best_f1_threshold);
    tcase_add_test(tc, test_best_f1_ties_and_edges);
    tcase_add_test(tc, test_mean_sd);
    tcase_add_test(tc, test_student_t_sf_matches_scipy);
    tcase_add_test(tc, test_corrected_ttest_matches_scipy);
    tcase_add_test(tc, test_corrected_ttest_degenerate);
    tcase_add_test(tc, test_metrics_at_by_hand);
    tcase_add_test(tc, test_top_count_rounding);
    tcase_add_test(tc, test_probability_metrics_match_sklearn);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return th_run_suite(metrics_suite()); }
