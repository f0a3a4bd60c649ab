/* Tests of the `logreg` model plugin through the plugin ABI: coefficients against scikit-learn
 * (small fixtures and the lead data), class weights, separable and ill-conditioned data,
 * probability range, thread invariance, parameter and data validation, saved models and
 * importances. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "dataset.h"
#include "harness.h"
#include "leadlab/rng.h"
#include "real_cv.h"

/* The fixtures of tests/reference/logreg.py, rebuilt with the same integer formulas (all values
 * are exact multiples of 1/4, so both sides see identical data). */
enum { OVERLAP_N = 40, OVERLAP_P = 3, SEPARABLE_N = 24, SEPARABLE_P = 2 };

static void overlapping_fixture(double *x, uint8_t *y)
{
    for (int i = 0; i < OVERLAP_N; i++) {
        double *xi = x + i * OVERLAP_P;
        xi[0] = ((i * 7 + 3) % 17 - 8) / 4.0;
        xi[1] = ((i * 11 + 5) % 13 - 6) / 4.0;
        xi[2] = ((i * 5 + 1) % 11 - 5) / 4.0;
        double noise = ((i * 3) % 5 - 2) / 2.0;
        y[i] = 2.0 * xi[0] - xi[1] + 0.5 * xi[2] + noise > 1.5;
    }
}

static void separable_fixture(double *x, uint8_t *y)
{
    for (int i = 0; i < SEPARABLE_N; i++) {
        x[i * 2] = ((i * 5 + 1) % 8 - 3.5) / 2.0;
        x[i * 2 + 1] = ((i * 7 + 2) % 9 - 4) / 2.0;
        y[i] = x[i * 2] > 0;
    }
}

/* Fits on `train` and recovers (w, b) from predictions at the origin and the scaled unit
 * vectors: logit(p(0)) = b and logit(p(h e_j)) = h w_j + b, as the ABI has no coefficient getter.
 * h = 1 unless the coefficients are so large that p(e_j) would round to 0 or 1. */
static void fitted_coefficients(const char *yaml, const ll_data *train, double h, double *w,
                                double *b)
{
    size_t p = train->n_cols;
    double *probe = calloc((p + 1) * p, sizeof *probe), *margin = malloc((p + 1) * sizeof *margin);
    ck_assert_ptr_nonnull(probe);
    ck_assert_ptr_nonnull(margin);
    for (size_t j = 0; j < p; j++)
        probe[(j + 1) * p + j] = h; /* row 0 is the origin */
    ll_data test = {.x = probe, .n_rows = p + 1, .n_cols = p};
    th_margins(th_plugin("logreg"), yaml, train, &test, 1, 1, margin);
    *b = margin[0];
    for (size_t j = 0; j < p; j++)
        w[j] = (margin[j + 1] - *b) / h;
    free(probe);
    free(margin);
}

static void assert_coefficients(const char *yaml, const ll_data *train, const double *w_ref,
                                double b_ref)
{
    double w[16], b;
    ck_assert_uint_le(train->n_cols, 16);
    fitted_coefficients(yaml, train, 1.0, w, &b);
    for (size_t j = 0; j < train->n_cols; j++)
        ck_assert_msg(fabs(w[j] - w_ref[j]) < 1e-4, "%s: w[%zu] = %.8f, sklearn %.8f", yaml, j,
                      w[j], w_ref[j]);
    ck_assert_msg(fabs(b - b_ref) < 1e-4, "%s: b = %.8f, sklearn %.8f", yaml, b, b_ref);
}

/* Reference values: /usr/bin/python3 tests/reference/logreg.py (scikit-learn 1.2.1), i.e.
 * LogisticRegression(penalty="l2", C=C, class_weight=class_weight, tol=1e-10, max_iter=10000,
 * solver="lbfgs").fit(x, y); its output:
 *   overlapping n=40 positives=12 C=1.0 class_weight=None:
 *     w = [2.0491510888, -0.9786977652, 0.8365916483], b = -1.7415893787
 *   overlapping n=40 positives=12 C=0.05 class_weight=None:
 *     w = [0.5040075844, -0.1831718775, 0.1244891935], b = -0.9021748259
 *   overlapping n=40 positives=12 C=1.0 class_weight=balanced:
 *     w = [2.1146595203, -1.0591808140, 0.8721725023], b = -1.1969793149
 *   separable n=24 positives=12 C=1.0 class_weight=None:
 *     w = [2.0926084041, 0.2476786500], b = 0.0197329615
 *   separable n=24 positives=12 C=100.0 class_weight=None:
 *     w = [10.2653880872, 0.2357929284], b = 0.0000054355 */
START_TEST(test_matches_sklearn)
{
    double x[OVERLAP_N * OVERLAP_P];
    uint8_t y[OVERLAP_N];
    overlapping_fixture(x, y);
    ll_data train = {.x = x, .y = y, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    assert_coefficients("{C: 1.0}", &train, (double[]){2.0491510888, -0.9786977652, 0.8365916483},
                        -1.7415893787);
    assert_coefficients("{C: 0.05}", &train, (double[]){0.5040075844, -0.1831718775, 0.1244891935},
                        -0.9021748259);
}
END_TEST

START_TEST(test_balanced_matches_sklearn)
{
    double x[OVERLAP_N * OVERLAP_P];
    uint8_t y[OVERLAP_N];
    overlapping_fixture(x, y);
    ll_data train = {.x = x, .y = y, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    assert_coefficients("{C: 1.0, class_weight: balanced}", &train,
                        (double[]){2.1146595203, -1.0591808140, 0.8721725023}, -1.1969793149);
}
END_TEST

/* Separable data has no finite unpenalised optimum; the L2 term must keep it finite, and at the
 * right place. */
START_TEST(test_separable_matches_sklearn)
{
    double x[SEPARABLE_N * SEPARABLE_P];
    uint8_t y[SEPARABLE_N];
    separable_fixture(x, y);
    ll_data train = {.x = x, .y = y, .n_rows = SEPARABLE_N, .n_cols = SEPARABLE_P};
    assert_coefficients("{C: 1.0}", &train, (double[]){2.0926084041, 0.2476786500}, 0.0197329615);
    assert_coefficients("{C: 100.0}", &train, (double[]){10.2653880872, 0.2357929284},
                        0.0000054355);
}
END_TEST

/* The lead data (skipped when absent): the 15 raw features, products_purchased empty -> 0,
 * z-scored over all rows (std with ddof 0). Some features nearly decide the label, which makes
 * the optimum flat in places: lbfgs stops 2e-3 short, so the reference is scikit-learn's
 * Newton solver, LogisticRegression(penalty="l2", C=1.0, class_weight=..., tol=1e-12,
 * max_iter=1000, solver="newton-cholesky"), from tests/reference/logreg.py:
 *   train.csv C=1.0 class_weight=None (newton-cholesky): w = [-0.3123175755, -0.1537306019,
 *     -0.0736865766, 0.3072204493, 0.9319806804, 0.0236881244, 0.5500675838, 0.5366333987,
 *     0.2071268322, -0.0558118028, -1.0433250729, 1.2073085279, 0.2061291010, 0.9482106902,
 *     0.0997104396], b = -4.3010610493
 *   train.csv C=1.0 class_weight=balanced (newton-cholesky): w = [-0.3497137063, -0.1525233384,
 *     -0.0511565964, 0.2691827826, 0.8734615731, -0.0025704633, 0.5294850699, 0.5039852586,
 *     0.1524075436, -0.0894686089, -1.0912539649, 1.1346442912, 0.1919935671, 0.8127449465,
 *     0.0849638948], b = -1.3242399548 */
START_TEST(test_real_data_matches_sklearn)
{
    ll_dataset ds;
    if (rcv_load_real(&ds) != 0)
        return; /* no copy of the data here: nothing to check */
    ck_assert_uint_eq(ds.n_cols, 15);
    rcv_zscore_all(&ds);
    ll_data train = {.x = ds.x, .y = ds.y, .n_rows = ds.n_rows, .n_cols = ds.n_cols};
    assert_coefficients("{C: 1.0}", &train,
                        (double[]){-0.3123175755, -0.1537306019, -0.0736865766, 0.3072204493,
                                   0.9319806804, 0.0236881244, 0.5500675838, 0.5366333987,
                                   0.2071268322, -0.0558118028, -1.0433250729, 1.2073085279,
                                   0.2061291010, 0.9482106902, 0.0997104396},
                        -4.3010610493);
    assert_coefficients("{C: 1.0, class_weight: balanced}", &train,
                        (double[]){-0.3497137063, -0.1525233384, -0.0511565964, 0.2691827826,
                                   0.8734615731, -0.0025704633, 0.5294850699, 0.5039852586,
                                   0.1524075436, -0.0894686089, -1.0912539649, 1.1346442912,
                                   0.1919935671, 0.8127449465, 0.0849638948},
                        -1.3242399548);
    ll_dataset_free(&ds);
}
END_TEST

/* With a huge C the fitted probabilities of training rows saturate to exactly 0 and 1, where the
 * intercept's curvature underflows and the Hessian loses definiteness: the fit must still end
 * finite, separate the classes and give probabilities in [0, 1]. */
START_TEST(test_separable_huge_C_stays_finite)
{
    double x[SEPARABLE_N * SEPARABLE_P], proba[SEPARABLE_N];
    uint8_t y[SEPARABLE_N];
    separable_fixture(x, y);
    ll_data train = {.x = x, .y = y, .n_rows = SEPARABLE_N, .n_cols = SEPARABLE_P};
    ll_err err = {{0}};
    ck_assert_msg(th_fit_predict(th_plugin("logreg"), "{C: 1e12}", &train, &train, 1, 1, proba,
                                 &err) == LL_OK,
                  "%s", err.msg);
    for (int i = 0; i < SEPARABLE_N; i++) {
        ck_assert(proba[i] >= 0.0 && proba[i] <= 1.0);
        ck_assert_msg((proba[i] >= 0.5) == y[i], "row %d: p = %g, y = %d", i, proba[i], y[i]);
    }
    double w[SEPARABLE_P], b;
    fitted_coefficients("{C: 1e12}", &train, 1e-3, w, &b);
    ck_assert_msg(isfinite(w[0]) && isfinite(w[1]) && isfinite(b) && w[0] > 0,
                  "w = (%g, %g), b = %g", w[0], w[1], b);
}
END_TEST

/* A constant column of 1e9 is collinear with the intercept: the Hessian's Cholesky fails in
 * rounding, so the solver must fall back to damped steps. The penalty puts that direction into
 * the unpenalised intercept, so the predictions equal those of the fit without the column. */
START_TEST(test_ill_conditioned_hessian_falls_back)
{
    enum { P = OVERLAP_P + 1 };
    double x[OVERLAP_N * OVERLAP_P], wide[OVERLAP_N * P], plain[OVERLAP_N], padded[OVERLAP_N];
    uint8_t y[OVERLAP_N];
    overlapping_fixture(x, y);
    for (int i = 0; i < OVERLAP_N; i++) {
        memcpy(wide + i * P, x + i * OVERLAP_P, OVERLAP_P * sizeof *x);
        wide[i * P + OVERLAP_P] = 1e9;
    }
    ll_data train = {.x = x, .y = y, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    ll_data train_wide = {.x = wide, .y = y, .n_rows = OVERLAP_N, .n_cols = P};
    ll_err err = {{0}};
    ck_assert(th_fit_predict(th_plugin("logreg"), "", &train, &train, 1, 1, plain, &err) == LL_OK);
    ck_assert_msg(th_fit_predict(th_plugin("logreg"), "", &train_wide, &train_wide, 1, 1, padded,
                                 &err) == LL_OK,
                  "%s", err.msg);
    for (int i = 0; i < OVERLAP_N; i++)
        ck_assert_msg(fabs(plain[i] - padded[i]) < 1e-6, "row %d: %.9f vs %.9f", i, plain[i],
                      padded[i]);
}
END_TEST

/* Rows far from the data push x.w + b to +-1e7: probabilities must be exactly 0 or 1, not NaN. */
START_TEST(test_probabilities_in_unit_interval)
{
    double x[OVERLAP_N * OVERLAP_P];
    uint8_t y[OVERLAP_N];
    overlapping_fixture(x, y);
    ll_data train = {.x = x, .y = y, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    double probe[] = {1e6, 0, 0, -1e6, 0, 0, 0, 1e6, 0, 1e-300, 1e300, -1e300};
    double proba[OVERLAP_N + 4];
    ll_data far = {.x = probe, .n_rows = 4, .n_cols = OVERLAP_P};
    ll_err err = {{0}};
    ck_assert_msg(th_fit_predict(th_plugin("logreg"), "", &train, &far, 1, 1, proba, &err) ==
                      LL_OK,
                  "%s", err.msg);
    ck_assert(proba[0] == 1.0 && proba[1] == 0.0 && proba[2] == 0.0);
    ck_assert(proba[3] >= 0.0 && proba[3] <= 1.0);
    ck_assert(th_fit_predict(th_plugin("logreg"), "", &train, &train, 1, 1, proba, &err) == LL_OK);
    for (int i = 0; i < OVERLAP_N; i++)
        ck_assert(proba[i] > 0.0 && proba[i] < 1.0);
}
END_TEST

/* A synthetic problem large enough for several row blocks: the fit must be bit-identical at 1
 * and 2 threads. */
START_TEST(test_threads_identical)
{
    enum { N = 5000, P = 20 };
    double *x = malloc(N * P * sizeof *x), *p1 = malloc(N * sizeof *p1);
    double *p2 = malloc(N * sizeof *p2);
    uint8_t *y = malloc(N);
    ck_assert(x && p1 && p2 && y);
    ll_rng rng;
    ll_rng_seed(&rng, 7);
    for (int i = 0; i < N; i++) {
        double z = -2.5 + ll_rng_normal(&rng);
        for (int j = 0; j < P; j++) {
            x[i * P + j] = ll_rng_normal(&rng);
            z += x[i * P + j] * (j % 3 == 0 ? 0.8 : 0.1);
        }
        y[i] = z > 0;
    }
    ll_data train = {.x = x, .y = y, .n_rows = N, .n_cols = P};
    ll_err err = {{0}};
    ck_assert(th_fit_predict(th_plugin("logreg"), "", &train, &train, 3, 1, p1, &err) == LL_OK);
    ck_assert(th_fit_predict(th_plugin("logreg"), "", &train, &train, 3, 2, p2, &err) == LL_OK);
    ck_assert_msg(memcmp(p1, p2, N * sizeof *p1) == 0, "1 and 2 threads differ");
    free(x);
    free(y);
    free(p1);
    free(p2);
}
END_TEST

START_TEST(test_bad_params_rejected)
{
    const ll_plugin *logreg = th_plugin("logreg");
    th_assert_rejected(logreg, "{C: 0}", "out of range");
    th_assert_rejected(logreg, "{C: -1}", "out of range");
    th_assert_rejected(logreg, "{max_iter: 0}", "out of range");
    th_assert_rejected(logreg, "{tol: -1e-3}", "out of range");
    th_assert_rejected(logreg, "{class_weight: balancd}", "did you mean 'balanced'");
    th_assert_rejected(logreg, "{c: 1.0}", "did you mean 'C'");
}
END_TEST

START_TEST(test_bad_data_rejected)
{
    double x[OVERLAP_N * OVERLAP_P], proba[OVERLAP_N];
    uint8_t y[OVERLAP_N];
    overlapping_fixture(x, y);
    ll_data train = {.x = x, .y = y, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    ll_err err = {{0}};
    const ll_plugin *logreg = th_plugin("logreg");

    uint8_t all_negative[OVERLAP_N] = {0};
    ll_data one_class = {.x = x, .y = all_negative, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    ck_assert(th_fit_predict(logreg, "", &one_class, &train, 1, 1, proba, &err) == LL_EINVAL);
    ck_assert_msg(strstr(err.msg, "one class") != NULL, "%s", err.msg);

    ll_data fewer_columns = {.x = x, .n_rows = 2, .n_cols = OVERLAP_P - 1};
    ck_assert(th_fit_predict(logreg, "", &train, &fewer_columns, 1, 1, proba, &err) ==
              LL_EINVAL);

    x[5] = NAN;
    ck_assert(th_fit_predict(logreg, "", &train, &train, 1, 1, proba, &err) == LL_ENUMERIC);
    ck_assert_msg(strstr(err.msg, "non-finite") != NULL, "%s", err.msg);
}
END_TEST

/* ---- saved models and importances ------------------------------------------------------------ */

/* Scores bit-identical after a save and a load, for each setting that changes what is saved
 * (class weights), on overlapping and separable data, scoring training rows and far probes. */
START_TEST(test_save_load_roundtrip)
{
    double x[OVERLAP_N * OVERLAP_P], xs[SEPARABLE_N * SEPARABLE_P];
    uint8_t y[OVERLAP_N], ys[SEPARABLE_N];
    overlapping_fixture(x, y);
    separable_fixture(xs, ys);
    ll_data train = {.x = x, .y = y, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    ll_data separable = {.x = xs, .y = ys, .n_rows = SEPARABLE_N, .n_cols = SEPARABLE_P};
    double probe[] = {1e3, 0, 0, -40, 2, 0.5, 0.1, 0.2, 0.3};
    ll_data far = {.x = probe, .n_rows = 3, .n_cols = OVERLAP_P};
    const ll_plugin *logreg = th_plugin("logreg");
    th_save_load_roundtrip(logreg, "{C: 1.0}", &train, &train, 1);
    th_save_load_roundtrip(logreg, "{C: 0.05, class_weight: balanced}", &train, &train, 1);
    th_save_load_roundtrip(logreg, "{C: 1.0}", &train, &far, 1);
    th_save_load_roundtrip(logreg, "{C: 100.0, max_iter: 3, tol: 0.5}", &separable, &separable,
                           1);
}
END_TEST

/* The parameters travel with the model: a loaded state refitted on other data gives the bits
 * of a fresh state of the same configuration. */
START_TEST(test_loaded_model_refits_like_a_fresh_one)
{
    double x[OVERLAP_N * OVERLAP_P], xs[SEPARABLE_N * SEPARABLE_P];
    uint8_t y[OVERLAP_N], ys[SEPARABLE_N];
    overlapping_fixture(x, y);
    separable_fixture(xs, ys);
    ll_data train = {.x = x, .y = y, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    ll_data separable = {.x = xs, .y = ys, .n_rows = SEPARABLE_N, .n_cols = SEPARABLE_P};
    th_assert_refit_after_load(th_plugin("logreg"),
                               "{C: 0.05, class_weight: balanced, tol: 0.001}", &separable,
                               &train, &train, 1);
}
END_TEST

/* Corrupt bytes are refused with a message and no state: another format tag, a column count
 * of 2^62 (which must not be allocated; the sanitizer build would abort on it), a non-finite
 * coefficient, C = 0. Layout: tag 0, C 8, tol 16, max_iter 24, balanced 32, n_cols 40,
 * coefficients from 48. */
START_TEST(test_load_refuses_corrupt_bytes)
{
    double x[OVERLAP_N * OVERLAP_P];
    uint8_t y[OVERLAP_N];
    overlapping_fixture(x, y);
    ll_data train = {.x = x, .y = y, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    ll_blob blob = th_saved_model(th_plugin("logreg"), "{}", &train, 1);
    ck_assert_uint_eq(blob.len, 48 + 8 * (OVERLAP_P + 1));
    static const th_corruption cases[] = {{0, 2, "format 2 unknown"},
                                          {40, (uint64_t)1 << 62, "truncated or corrupt"},
                                          {48 + 8, 0x7ff8000000000000u /* NaN */,
                                           "truncated or corrupt"},
                                          {8, 0, "truncated or corrupt"},
                                          {32, 2, "truncated or corrupt"}};
    th_assert_corruptions_refused(th_plugin("logreg"), &blob, cases,
                                  sizeof cases / sizeof cases[0]);
    ll_blob_free(&blob);
}
END_TEST

/* The importances are |w| of the fitted model, recovered independently from its probabilities
 * at the origin and the unit vectors (fitted_coefficients), and so also scikit-learn's |w| of
 * test_matches_sklearn (one of which is negative). */
START_TEST(test_importances_are_abs_coefficients)
{
    double x[OVERLAP_N * OVERLAP_P], imp[OVERLAP_P], w[OVERLAP_P], b;
    uint8_t y[OVERLAP_N];
    overlapping_fixture(x, y);
    ll_data train = {.x = x, .y = y, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    ck_assert_str_eq(th_plugin("logreg")->model->importance_kind, "abs_coef");
    th_fit_importances_ok(th_plugin("logreg"), "{C: 1.0}", &train, 1, imp);
    fitted_coefficients("{C: 1.0}", &train, 1.0, w, &b);
    static const double sklearn[OVERLAP_P] = {2.0491510888, 0.9786977652, 0.8365916483};
    for (size_t j = 0; j < OVERLAP_P; j++) {
        ck_assert_msg(fabs(imp[j] - fabs(w[j])) < 1e-9, "column %zu: %.12f vs |w| %.12f", j,
                      imp[j], fabs(w[j]));
        ck_assert_msg(fabs(imp[j] - sklearn[j]) < 1e-4, "column %zu: %.8f vs %.8f", j, imp[j],
                      sklearn[j]);
    }
}
END_TEST

/* y follows column 0 alone (plus noise); columns 1 and 2 are noise: column 0 must weigh the
 * most, by far. */
START_TEST(test_importances_follow_the_signal)
{
    th_assert_importances_follow_the_signal(th_plugin("logreg"), "{}");
}
END_TEST

START_TEST(test_importances_and_save_refused)
{
    double x[OVERLAP_N * OVERLAP_P], imp[OVERLAP_P + 1];
    uint8_t y[OVERLAP_N];
    overlapping_fixture(x, y);
    ll_data train = {.x = x, .y = y, .n_rows = OVERLAP_N, .n_cols = OVERLAP_P};
    ll_err err = {{0}};
    ck_assert_int_eq(
        th_fit_importances(th_plugin("logreg"), "{}", &train, 1, OVERLAP_P + 1, imp, &err),
        LL_EINVAL);
    ck_assert_msg(strstr(err.msg, "3 columns") != NULL, "%s", err.msg);
    th_assert_unfitted_refuses(th_plugin("logreg"), "{}", OVERLAP_P);
}
END_TEST

static Suite *logreg_suite(void)
{
    Suite *s = suite_create("logreg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_matches_sklearn);
    tcase_add_test(tc, test_balanced_matches_sklearn);
    tcase_add_test(tc, test_separable_matches_sklearn);
    tcase_add_test(tc, test_separable_huge_C_stays_finite);
    tcase_add_test(tc, test_ill_conditioned_hessian_falls_back);
    tcase_add_test(tc, test_probabilities_in_unit_interval);
    tcase_add_test(tc, test_threads_identical);
    tcase_add_test(tc, test_bad_params_rejected);
    tcase_add_test(tc, test_bad_data_rejected);
    tcase_add_test(tc, test_save_load_roundtrip);
    tcase_add_test(tc, test_loaded_model_refits_like_a_fresh_one);
    tcase_add_test(tc, test_load_refuses_corrupt_bytes);
    tcase_add_test(tc, test_importances_are_abs_coefficients);
    tcase_add_test(tc, test_importances_follow_the_signal);
    tcase_add_test(tc, test_importances_and_save_refused);
    suite_add_tcase(s, tc);
    TCase *real = tcase_create("real_data");
    tcase_set_tags(real, "real_data");
    tcase_add_test(real, test_real_data_matches_sklearn);
    suite_add_tcase(s, real);
    return s;
}

int main(void) { return th_run_suite(logreg_suite()); }
