/* Tests of core/calibrate: isotonic and sigmoid calibration against scikit-learn 1.2.1, their
 * invariants (monotone, inside [0, 1], the base rate kept), refusals, and saved bytes. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "calibrate.h"
#include "harness.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the fixtures of tests/reference/calibrate_reference.py, rebuilt bit for bit ------------ */

enum { FIX_HAND, FIX_RARE, FIX_CONSTANT, FIX_SEPARABLE, FIX_NEAR_TIES, N_FIXTURES };
enum { MAX_ROWS = 400 };

/* Knuth's MMIX LCG, as the script's Lcg: a draw is the state's top 53 bits in [0, 1). */
static double lcg_uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return (double)(*state >> 11) * (1.0 / 9007199254740992.0);
}

/* Fills s and y (MAX_ROWS each) with fixture `which`; returns its row count. Only + - * / and
 * floor, so every value is the one the script computed. */
static size_t make_fixture(int which, double *s, uint8_t *y)
{
    static const double hand_s[] = {0.4, 0.1, 0.7, 0.2, 0.9, 0.35, 0.4,
                                    0.2, 0.6, 0.3, 0.8, 0.7, 0.5, 0.4};
    static const uint8_t hand_y[] = {1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1};
    static const double near_s[] = {0.0, 4e-16, 0.5, 1.0, 1.0 + 4.440892098500626e-16, 2e-15};
    static const uint8_t near_y[] = {0, 1, 0, 1, 0, 0};
    switch (which) {
    case FIX_HAND:
        memcpy(s, hand_s, sizeof hand_s);
        memcpy(y, hand_y, sizeof hand_y);
        return N_OF(hand_s);
    case FIX_RARE: {
        uint64_t state = 20240611;
        for (size_t i = 0; i < 400; i++) {
            y[i] = lcg_uniform(&state) < 0.05;
            double v = lcg_uniform(&state), w = lcg_uniform(&state);
            double raw = 0.15 * v + 0.15 * w + (y[i] ? 0.1 : 0.0);
            s[i] = floor(raw * 1000.0 + 0.5) / 1000.0;
        }
        return 400;
    }
    case FIX_CONSTANT:
        for (size_t i = 0; i < 40; i++) {
            s[i] = 0.37;
            y[i] = i % 13 == 0;
        }
        return 40;
    case FIX_SEPARABLE:
        for (int i = 0; i < 30; i++) {
            y[i] = i % 3 == 0;
            s[i] = y[i] ? 0.6 + 0.01 * (i % 7) : 0.05 + 0.02 * (i % 11);
        }
        return 30;
    default:
        memcpy(s, near_s, sizeof near_s);
        memcpy(y, near_y, sizeof near_y);
        return N_OF(near_s);
    }
}

/* The script's QUERIES: outside the fitted range, on knots and between them. */
enum { N_QUERIES = 53 };
static void make_queries(double *q)
{
    static const double tail[] = {0.37,  0.2875, 0.134, 0.1665, 0.2075, 0.2435,
                                  0.2545, 0.276, 0.278, 0.293,  2.0};
    size_t j = 0;
    q[j++] = -1.0;
    for (int k = 0; k <= 40; k++)
        q[j++] = k / 40.0;
    for (size_t k = 0; k < N_OF(tail); k++)
        q[j++] = tail[k];
    ck_assert_uint_eq(j, N_QUERIES);
}

/* Printed by /usr/bin/python3 tests/reference/calibrate_reference.py (scikit-learn 1.2.1,
 * numpy 1.24.2, scipy 1.10.1), pasted as is:
 *   knots, iso: IsotonicRegression(out_of_bounds="clip").fit(s, y) (the calibrator
 *     CalibratedClassifierCV(method="isotonic") builds; the script checks that a prefit
 *     CalibratedClassifierCV gives the same): its number of knots (X_thresholds_) and
 *     predict(queries);
 *   a, b: sklearn.calibration._sigmoid_calibration(s, y) (fmin_bfgs, gtol 1e-5), checked there
 *     against a prefit CalibratedClassifierCV(method="sigmoid")'s a_, b_;
 *   opt_a, opt_b: the same objective minimised to ~1e-12 (scipy trust-exact); for "constant",
 *     where the minimisers form a line, the start's projection onto it. */
static const struct {
    const char *name;
    size_t knots;
    double a, b, opt_a, opt_b;
    double iso[N_QUERIES];
} REF[N_FIXTURES] = {
    {"hand", 9, -3.2501731769722926, 1.5113741971665315,
     -3.2501725341700536, 1.5113738617464449,
     {0, 0, 0, 0, 0, 0, 0.062499999999999986, 0.12499999999999997, 0.18749999999999994, 0.25,
      0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.375, 0.5, 0.5, 0.5, 0.5, 0.5, 0.54166666666666674,
      0.58333333333333337, 0.62499999999999989, 0.66666666666666663, 0.66666666666666663,
      0.66666666666666663, 0.66666666666666663, 0.66666666666666663, 0.75, 0.83333333333333326,
      0.91666666666666674, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.34999999999999998, 0.25,
      0.085000000000000006, 0.16625000000000001, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 1}},
    {"rare", 23, -29.510983905562966, 8.8232256781776037,
     -29.510960429569124, 8.8232204304692452,
     {0, 0, 0, 0, 0, 0, 0, 0.017543859649122806, 0.021739130434782608, 0.026315789473684209,
      0.10000000000000001, 0.20000000000000001, 0.26315789473684209, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
      1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.40000000000000002,
      0.008771929824561403, 0.019641495041952707, 0.060776942355889721, 0.1125,
      0.23157894736842105, 0.2982456140350877, 0.3666666666666667, 0.69999999999999996, 1}},
    {"constant", 1, 0.039084206304450787, 2.1071129902221539,
     0.039084208199333538, 2.1071129953434582,
     {0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.10000000000000001,
      0.10000000000000001}},
    {"separable", 4, -11.183988756879447, 4.7255896675725442,
     -11.183995534673921, 4.7255889419497326,
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.071428571428571494, 0.14285714285714282,
      0.21428571428571433, 0.28571428571428564, 0.35714285714285715, 0.42857142857142866, 0.5,
      0.57142857142857151, 0.64285714285714279, 0.7142857142857143, 0.78571428571428581,
      0.85714285714285732, 0.92857142857142849, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
      0.34285714285714286, 0.10714285714285708, 0, 0, 0, 0, 0.012857142857142869,
      0.074285714285714358, 0.080000000000000071, 0.1228571428571428, 1}},
    {"near_ties", 3, -0.34728718221563121, 0.71854216277245564,
     -0.34728715170514024, 0.71854215414433775,
     {0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25,
      0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.26250000000000001, 0.27500000000000002,
      0.28749999999999998, 0.29999999999999999, 0.3125, 0.32500000000000001, 0.33750000000000002,
      0.34999999999999998, 0.36249999999999999, 0.375, 0.38750000000000001, 0.40000000000000002,
      0.41249999999999998, 0.42499999999999999, 0.4375, 0.45000000000000001, 0.46250000000000002,
      0.47499999999999998, 0.48749999999999999, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25,
      0.25, 0.25, 0.25, 0.5}},
};

static void assert_close(double got, double want, double tol, const char *what)
{
    ck_assert_msg(fabs(got - want) <= tol, "%s = %.17g, expected %.17g", what, got, want);
}

/* Fills a calibrator with garbage, so a test sees that a failing call zeroes it. */
static void poison(ll_calibrator *c) { memset(c, 0x5a, sizeof *c); }

static void assert_zeroed(const ll_calibrator *c, const char *what)
{
    ck_assert_msg(c->method == 0 && c->x == NULL && c->y == NULL && c->n_points == 0 &&
                      c->a == 0.0 && c->b == 0.0,
                  "%s: the calibrator is not left zeroed", what);
}

/* A refusal: LL_EINVAL (unless another status is named), one non-empty line containing
 * `needle`, *c zeroed. */
static void assert_refused(ll_status st, const ll_err *err, const ll_calibrator *c,
                           const char *needle, const char *what)
{
    ck_assert_msg(st == LL_EINVAL, "%s: status %d, expected LL_EINVAL", what, (int)st);
    ck_assert_msg(err->msg[0] != '\0' && strchr(err->msg, '\n') == NULL,
                  "%s: not a one-line message: '%s'", what, err->msg);
    ck_assert_msg(strstr(err->msg, needle) != NULL, "%s: message '%s' lacks '%s'", what, err->msg,
                  needle);
    assert_zeroed(c, what);
}

static ll_calibrator fit_ok(int method, const double *s, const uint8_t *y, size_t n)
{
    ll_calibrator c;
    ll_err err = {{0}};
    poison(&c);
    ll_status st = ll_calibrator_fit(method, s, y, n, &c, &err);
    ck_assert_msg(st == LL_OK, "fit %s on %zu rows: %s", ll_calibration_name(method), n, err.msg);
    ck_assert_int_eq(c.method, method);
    return c;
}

static ll_calibrator fit_fixture(int method, int which)
{
    double s[MAX_ROWS];
    uint8_t y[MAX_ROWS];
    size_t n = make_fixture(which, s, y);
    return fit_ok(method, s, y, n);
}

/* n evenly spaced points from lo to hi */
static void grid(double lo, double hi, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = lo + (hi - lo) * (double)i / (double)(n - 1);
}

/* ---- against scikit-learn ------------------------------------------------------------------ */

START_TEST(test_isotonic_matches_sklearn)
{
    double q[N_QUERIES], p[N_QUERIES];
    make_queries(q);
    for (int f = 0; f < N_FIXTURES; f++) {
        ll_calibrator c = fit_fixture(LL_CALIBRATE_ISOTONIC, f);
        /* the trimmed knots: the ends of each constant run */
        ck_assert_msg(c.n_points == REF[f].knots, "%s: %zu knots, sklearn keeps %zu", REF[f].name,
                      c.n_points, REF[f].knots);
        ll_calibrator_apply(&c, q, p, N_QUERIES);
        for (size_t i = 0; i < N_QUERIES; i++)
            ck_assert_msg(fabs(p[i] - REF[f].iso[i]) <= 1e-9, "%s at %.17g: %.17g, sklearn %.17g",
                          REF[f].name, q[i], p[i], REF[f].iso[i]);
        ll_calibrator_free(&c);
        assert_zeroed(&c, "after free");
    }
    ll_calibrator_free(NULL);
}
END_TEST

/* sklearn's fmin_bfgs stops at a gradient of 1e-5, so it is compared to 1e-4; the optimum to
 * 1e-7, which only a converged Newton reaches. */
START_TEST(test_sigmoid_matches_sklearn)
{
    for (int f = 0; f < N_FIXTURES; f++) {
        ll_calibrator c = fit_fixture(LL_CALIBRATE_SIGMOID, f);
        char what[64];
        snprintf(what, sizeof what, "%s a", REF[f].name);
        assert_close(c.a, REF[f].a, 1e-4, what);
        assert_close(c.a, REF[f].opt_a, 1e-7, what);
        snprintf(what, sizeof what, "%s b", REF[f].name);
        assert_close(c.b, REF[f].b, 1e-4, what);
        assert_close(c.b, REF[f].opt_b, 1e-7, what);
        ck_assert(c.x == NULL && c.y == NULL && c.n_points == 0);
        ll_calibrator_free(&c);
    }
}
END_TEST

/* Equal scores leave a line of optima a c + b = L, L the logit of the mean smoothed target; the
 * fit must land on it, at the start's (0, b0) orthogonal projection onto it, for any c. */
START_TEST(test_sigmoid_constant_scores)
{
    const double cs[] = {0.37, 0.0, -2.5, 1e200};
    enum { N = 40 };
    double s[N];
    uint8_t y[N];
    for (size_t k = 0; k < N_OF(cs); k++) {
        size_t n_pos = 0;
        for (size_t i = 0; i < N; i++) {
            s[i] = cs[k];
            y[i] = i % 13 == 0;
            n_pos += y[i];
        }
        double t_pos = (n_pos + 1.0) / (n_pos + 2.0), t_neg = 1.0 / (N - n_pos + 2.0);
        double t_bar = (n_pos * t_pos + (N - n_pos) * t_neg) / N;
        double logit = log((1.0 - t_bar) / t_bar), b0 = log((N - n_pos + 1.0) / (n_pos + 1.0));
        ll_calibrator c = fit_ok(LL_CALIBRATE_SIGMOID, s, y, N);
        ck_assert_msg(isfinite(c.a) && isfinite(c.b), "c = %g: a = %g, b = %g", cs[k], c.a, c.b);
        assert_close(c.a * cs[k] + c.b, logit, 1e-9, "a c + b");
        /* the projection moves b by (logit - b0) / (1 + c^2): not at all for c = 1e200 */
        assert_close(c.b, b0 + (logit - b0) / (1.0 + cs[k] * cs[k]), 1e-12, "b");
        double p;
        ll_calibrator_apply(&c, &cs[k], &p, 1);
        assert_close(p, t_bar, 1e-12, "p at the constant score");
    }
}
END_TEST

/* An affine change of the score s' = 1000 s + 5000 (a decision function's scale) changes the
 * optimum exactly to a' = a / 1000, b' = b - 5 a: the fit must follow it. */
START_TEST(test_sigmoid_follows_affine_scores)
{
    double s[MAX_ROWS];
    uint8_t y[MAX_ROWS];
    size_t n = make_fixture(FIX_RARE, s, y);
    for (size_t i = 0; i < n; i++)
        s[i] = 1000.0 * s[i] + 5000.0;
    ll_calibrator c = fit_ok(LL_CALIBRATE_SIGMOID, s, y, n);
    assert_close(c.a, REF[FIX_RARE].opt_a / 1000.0, 1e-10, "a'");
    assert_close(c.b, REF[FIX_RARE].opt_b - 5.0 * REF[FIX_RARE].opt_a, 1e-6, "b'");
}
END_TEST

/* ---- properties ---------------------------------------------------------------------------- */

START_TEST(test_isotonic_monotone_and_bounded)
{
    enum { G = 20001 };
    double *q = malloc(G * sizeof *q), *p = malloc(G * sizeof *p);
    ck_assert(q && p);
    for (int f = 0; f < N_FIXTURES; f++) {
        ll_calibrator c = fit_fixture(LL_CALIBRATE_ISOTONIC, f);
        for (size_t k = 0; k < c.n_points; k++)
            ck_assert_msg(c.y[k] >= 0.0 && c.y[k] <= 1.0 && (k == 0 || (c.x[k] > c.x[k - 1] &&
                                                                        c.y[k] >= c.y[k - 1])),
                          "%s: knot %zu", REF[f].name, k);
        grid(c.x[0] - 1.0, c.x[c.n_points - 1] + 1.0, q, G);
        ll_calibrator_apply(&c, q, p, G);
        for (size_t i = 0; i < G; i++) {
            ck_assert_msg(p[i] >= 0.0 && p[i] <= 1.0, "%s at %g: %g", REF[f].name, q[i], p[i]);
            ck_assert_msg(i == 0 || p[i] >= p[i - 1], "%s: %.17g at %.17g after %.17g at %.17g",
                          REF[f].name, p[i], q[i], p[i - 1], q[i - 1]);
        }
        ll_calibrator_free(&c);
    }
    free(q);
    free(p);
}
END_TEST

/* Pooled adjacent violators leaves each pooled block at its rows' mean label, so the calibrated
 * training predictions add up to the positives (up to the rounding of the sum). */
START_TEST(test_isotonic_keeps_the_base_rate)
{
    double s[MAX_ROWS], p[MAX_ROWS];
    uint8_t y[MAX_ROWS];
    for (int f = 0; f < N_FIXTURES; f++) {
        size_t n = make_fixture(f, s, y), n_pos = 0;
        ll_calibrator c = fit_ok(LL_CALIBRATE_ISOTONIC, s, y, n);
        ll_calibrator_apply(&c, s, p, n);
        double sum = 0.0;
        for (size_t i = 0; i < n; i++) {
            sum += p[i];
            n_pos += y[i];
        }
        ck_assert_msg(fabs(sum - (double)n_pos) <= 4.0 * (double)n * 2.220446049250313e-16,
                      "%s: calibrated predictions add up to %.17g, positives %zu", REF[f].name,
                      sum, n_pos);
        ll_calibrator_free(&c);
    }
}
END_TEST

START_TEST(test_isotonic_ignores_row_order)
{
    double s[MAX_ROWS], s2[MAX_ROWS];
    uint8_t y[MAX_ROWS], y2[MAX_ROWS];
    size_t n = make_fixture(FIX_RARE, s, y);
    ll_calibrator c = fit_ok(LL_CALIBRATE_ISOTONIC, s, y, n);
    for (int order = 0; order < 2; order++) {
        for (size_t i = 0; i < n; i++) {
            size_t from = order == 0 ? n - 1 - i : (i * 7 + 3) % n; /* reversed; 7 is coprime */
            s2[i] = s[from];
            y2[i] = y[from];
        }
        ll_calibrator d = fit_ok(LL_CALIBRATE_ISOTONIC, s2, y2, n);
        ck_assert_uint_eq(d.n_points, c.n_points);
        ck_assert(memcmp(d.x, c.x, c.n_points * sizeof *c.x) == 0);
        ck_assert(memcmp(d.y, c.y, c.n_points * sizeof *c.y) == 0);
        ll_calibrator_free(&d);
    }
    ll_calibrator_free(&c);
}
END_TEST

/* Scores whose labels fall as the score rises pool into one block: two knots at the base rate.
 * 100000 rows, each merged once: O(n) pooling is instant, a quadratic one would not be. */
START_TEST(test_isotonic_pools_antitone_labels)
{
    enum { N = 100000 };
    double *s = malloc(N * sizeof *s);
    uint8_t *y = malloc(N);
    ck_assert(s && y);
    for (size_t i = 0; i < N; i++) {
        s[i] = (double)i / N;
        y[i] = i < N / 4;
    }
    ll_calibrator c = fit_ok(LL_CALIBRATE_ISOTONIC, s, y, N);
    ck_assert_uint_eq(c.n_points, 2);
    ck_assert(c.x[0] == 0.0 && c.x[1] == s[N - 1]);
    ck_assert(c.y[0] == 0.25 && c.y[1] == 0.25);
    ll_calibrator_free(&c);
    free(s);
    free(y);
}
END_TEST

/* The labels as scores: isotonic is the identity on {0, 1} (and between), and the sigmoid, free
 * on two points, meets Platt's targets there exactly. */
START_TEST(test_labels_as_scores_calibrate_perfectly)
{
    double s[MAX_ROWS], p[MAX_ROWS];
    uint8_t y[MAX_ROWS];
    size_t n = make_fixture(FIX_RARE, s, y), n_pos = 0;
    for (size_t i = 0; i < n; i++) {
        s[i] = y[i];
        n_pos += y[i];
    }
    ll_calibrator c = fit_ok(LL_CALIBRATE_ISOTONIC, s, y, n);
    ck_assert_uint_eq(c.n_points, 2);
    ck_assert(c.x[0] == 0.0 && c.x[1] == 1.0 && c.y[0] == 0.0 && c.y[1] == 1.0);
    ll_calibrator_apply(&c, s, p, n);
    for (size_t i = 0; i < n; i++)
        ck_assert(p[i] == y[i]);
    const double mid[] = {-3.0, 0.25, 0.5, 7.0};
    ll_calibrator_apply(&c, mid, p, N_OF(mid));
    ck_assert(p[0] == 0.0 && p[1] == 0.25 && p[2] == 0.5 && p[3] == 1.0);
    ll_calibrator_free(&c);

    c = fit_ok(LL_CALIBRATE_SIGMOID, s, y, n);
    const double ends[] = {0.0, 1.0};
    ll_calibrator_apply(&c, ends, p, 2);
    assert_close(p[0], 1.0 / ((double)(n - n_pos) + 2.0), 1e-12, "p(0)");
    assert_close(p[1], ((double)n_pos + 1.0) / ((double)n_pos + 2.0), 1e-12, "p(1)");
    ck_assert(c.a < 0.0);
}
END_TEST

/* With informative scores a < 0, so a higher score gets a strictly higher probability. */
START_TEST(test_sigmoid_strictly_increasing)
{
    const int fixtures[] = {FIX_HAND, FIX_RARE, FIX_SEPARABLE, FIX_NEAR_TIES};
    double q[101], p[101];
    grid(0.0, 1.0, q, 101);
    for (size_t k = 0; k < N_OF(fixtures); k++) {
        ll_calibrator c = fit_fixture(LL_CALIBRATE_SIGMOID, fixtures[k]);
        ck_assert_msg(c.a < 0.0, "%s: a = %g", REF[fixtures[k]].name, c.a);
        ll_calibrator_apply(&c, q, p, 101);
        for (size_t i = 0; i < 101; i++) {
            ck_assert(p[i] > 0.0 && p[i] < 1.0);
            ck_assert_msg(i == 0 || p[i] > p[i - 1], "%s: p(%g) = %.17g after %.17g",
                          REF[fixtures[k]].name, q[i], p[i], p[i - 1]);
        }
    }
}
END_TEST

/* Extreme and non-finite scores: probabilities stay in [0, 1]; NaN stays NaN. */
START_TEST(test_apply_extremes)
{
    const double in[] = {-INFINITY, -1e300, -1e-300, 1e300, INFINITY};
    double p[N_OF(in)], nan_in = NAN, nan_out;
    for (int method = LL_CALIBRATE_ISOTONIC; method <= LL_CALIBRATE_SIGMOID; method++) {
        ll_calibrator c = fit_fixture(method, FIX_HAND);
        ll_calibrator_apply(&c, in, p, N_OF(in));
        for (size_t i = 0; i < N_OF(in); i++)
            ck_assert_msg(p[i] >= 0.0 && p[i] <= 1.0, "%s at %g: %g", ll_calibration_name(method),
                          in[i], p[i]);
        ck_assert(p[0] <= p[1] && p[1] <= p[2] && p[2] <= p[3] && p[3] <= p[4]);
        ll_calibrator_apply(&c, &nan_in, &nan_out, 1);
        ck_assert(isnan(nan_out));
        ll_calibrator_free(&c);
    }
    /* knots further apart than DBL_MAX still interpolate */
    double x[] = {-1e308, 1e308}, y[] = {0.0, 1.0}, mid = 0.0, out;
    ll_calibrator wide = {.method = LL_CALIBRATE_ISOTONIC, .x = x, .y = y, .n_points = 2};
    ll_calibrator_apply(&wide, &mid, &out, 1);
    assert_close(out, 0.5, 1e-15, "the middle of the widest knots");
}
END_TEST

START_TEST(test_apply_in_place)
{
    double s[MAX_ROWS], p[MAX_ROWS], in_place[MAX_ROWS];
    uint8_t y[MAX_ROWS];
    size_t n = make_fixture(FIX_RARE, s, y);
    for (int method = LL_CALIBRATE_NONE; method <= LL_CALIBRATE_SIGMOID; method++) {
        ll_calibrator c = fit_ok(method, s, y, n);
        ll_calibrator_apply(&c, s, p, n);
        memcpy(in_place, s, sizeof s);
        ll_calibrator_apply(&c, in_place, in_place, n);
        ck_assert(memcmp(p, in_place, n * sizeof *p) == 0);
        ll_calibrator_free(&c);
    }
}
END_TEST

START_TEST(test_none_is_the_identity)
{
    ll_calibrator c;
    ll_err err = {{0}};
    poison(&c);
    /* nothing to fit, so not even an empty or one-class set is refused */
    ck_assert_int_eq(ll_calibrator_fit(LL_CALIBRATE_NONE, NULL, NULL, 0, &c, &err), LL_OK);
    assert_zeroed(&c, "none");
    double q[N_QUERIES], p[N_QUERIES];
    make_queries(q);
    ll_calibrator_apply(&c, q, p, N_QUERIES);
    ck_assert(memcmp(q, p, sizeof q) == 0);
    ll_calibrator_free(&c);

    for (int m = LL_CALIBRATE_NONE; m <= LL_CALIBRATE_SIGMOID; m++)
        ck_assert_int_eq(ll_calibration_parse(ll_calibration_name(m)), m);
    ck_assert_str_eq(ll_calibration_name(LL_CALIBRATE_ISOTONIC), "isotonic");
    ck_assert_str_eq(ll_calibration_name(LL_CALIBRATE_SIGMOID), "sigmoid");
    ck_assert_str_eq(ll_calibration_name(LL_CALIBRATE_NONE), "none");
    ck_assert_str_eq(ll_calibration_name(7), "unknown");
    ck_assert_int_eq(ll_calibration_parse("Isotonic"), -1);
    ck_assert_int_eq(ll_calibration_parse("platt"), -1);
    ck_assert_int_eq(ll_calibration_parse("unknown"), -1);
    ck_assert_int_eq(ll_calibration_parse(""), -1);
    ck_assert_int_eq(ll_calibration_parse(NULL), -1);
}
END_TEST

/* ---- refusals ------------------------------------------------------------------------------ */

START_TEST(test_fit_refuses_bad_rows)
{
    enum { N = 12 };
    double s[N];
    uint8_t y[N];
    ll_calibrator c;
    ll_err err;
    for (size_t i = 0; i < N; i++) {
        s[i] = (double)i / N;
        y[i] = 0;
    }
    for (int method = LL_CALIBRATE_ISOTONIC; method <= LL_CALIBRATE_SIGMOID; method++) {
        poison(&c);
        err.msg[0] = '\0';
        assert_refused(ll_calibrator_fit(method, NULL, NULL, 0, &c, &err), &err, &c,
                       "no calibration rows", "n == 0");

        memset(y, 0, sizeof y);
        poison(&c);
        assert_refused(ll_calibrator_fit(method, s, y, N, &c, &err), &err, &c,
                       "only one class", "all negatives");
        ck_assert_str_eq(err.msg, "the calibration rows hold only one class (12 rows, 0 buyers)");
        memset(y, 1, sizeof y);
        poison(&c);
        assert_refused(ll_calibrator_fit(method, s, y, N, &c, &err), &err, &c,
                       "(12 rows, 12 buyers)", "all positives");

        y[0] = 0;
        const double bad[] = {NAN, INFINITY, -INFINITY};
        for (size_t k = 0; k < N_OF(bad); k++) {
            double saved = s[3];
            s[3] = bad[k];
            poison(&c);
            assert_refused(ll_calibrator_fit(method, s, y, N, &c, &err), &err, &c, "row 3",
                           "a non-finite score");
            s[3] = saved;
        }
        y[5] = 2;
        poison(&c);
        assert_refused(ll_calibrator_fit(method, s, y, N, &c, &err), &err, &c, "row 5",
                       "label 2");
        y[5] = 1;
        /* and the same rows, now clean, fit */
        c = fit_ok(method, s, y, N);
        ll_calibrator_free(&c);
    }
    poison(&c);
    assert_refused(ll_calibrator_fit(7, s, y, N, &c, &err), &err, &c, "unknown", "method 7");
    poison(&c);
    assert_refused(ll_calibrator_fit(-1, s, y, N, &c, &err), &err, &c, "unknown", "method -1");
}
END_TEST

/* ---- saved bytes --------------------------------------------------------------------------- */

static ll_blob save_ok(const ll_calibrator *c)
{
    ll_blob blob = {0};
    ll_writer w = ll_blob_writer(&blob);
    ll_err err = {{0}};
    ck_assert_msg(ll_calibrator_save(c, &w, &err) == LL_OK, "save: %s", err.msg);
    ck_assert(!blob.failed);
    return blob;
}

/* Loads bytes[0..len) copied into a block of exactly len bytes, so ASan sees a read past it;
 * *used says how many bytes load read. */
static ll_status load_bytes(const uint8_t *bytes, size_t len, ll_calibrator *c, ll_err *err,
                            size_t *used)
{
    uint8_t *copy = malloc(len ? len : 1);
    ck_assert(copy);
    if (len)
        memcpy(copy, bytes, len);
    ll_span span = {copy, len, 0};
    ll_reader r = ll_span_reader(&span);
    poison(c);
    err->msg[0] = '\0';
    ll_status st = ll_calibrator_load(&r, c, err);
    if (used)
        *used = span.pos;
    free(copy);
    return st;
}

/* Saves c, loads it back (every byte read, nothing after them), and fails unless the loaded
 * calibrator maps a dense grid to bit-identical probabilities; then refuses every truncation. */
static void assert_roundtrip(const ll_calibrator *c, const char *what)
{
    ll_blob blob = save_ok(c);
    ll_calibrator d;
    ll_err err;
    size_t used;
    ck_assert_msg(load_bytes(blob.data, blob.len, &d, &err, &used) == LL_OK, "%s: %s", what,
                  err.msg);
    ck_assert_uint_eq(used, blob.len);
    ck_assert_int_eq(d.method, c->method);
    ck_assert_uint_eq(d.n_points, c->n_points);
    ck_assert(memcmp(&d.a, &c->a, sizeof d.a) == 0 && memcmp(&d.b, &c->b, sizeof d.b) == 0);
    enum { G = 4001 };
    double q[G], p[G], r[G];
    grid(-0.5, 1.5, q, G);
    ll_calibrator_apply(c, q, p, G);
    ll_calibrator_apply(&d, q, r, G);
    ck_assert_msg(memcmp(p, r, sizeof p) == 0, "%s: loaded probabilities differ", what);
    ll_calibrator_free(&d);

    /* followed by other bytes of the model file: load stops at its own */
    uint8_t *longer = malloc(blob.len + 16);
    ck_assert(longer);
    memcpy(longer, blob.data, blob.len);
    memset(longer + blob.len, 0xff, 16);
    ck_assert_int_eq(load_bytes(longer, blob.len + 16, &d, &err, &used), LL_OK);
    ck_assert_uint_eq(used, blob.len);
    ll_calibrator_free(&d);
    free(longer);

    for (size_t cut = 0; cut < blob.len; cut++) {
        char name[96];
        snprintf(name, sizeof name, "%s cut to %zu of %zu bytes", what, cut, blob.len);
        assert_refused(load_bytes(blob.data, cut, &d, &err, NULL), &err, &d, "", name);
    }
    ll_blob_free(&blob);
}

START_TEST(test_save_load_roundtrip)
{
    ll_calibrator none = {0};
    assert_roundtrip(&none, "none");
    for (int f = 0; f < N_FIXTURES; f++) {
        for (int method = LL_CALIBRATE_ISOTONIC; method <= LL_CALIBRATE_SIGMOID; method++) {
            ll_calibrator c = fit_fixture(method, f);
            char what[64];
            snprintf(what, sizeof what, "%s %s", ll_calibration_name(method), REF[f].name);
            assert_roundtrip(&c, what);
            ll_calibrator_free(&c);
        }
    }
}
END_TEST

static void put_f64(uint8_t *at, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    th_put_u64(at, bits);
}

/* One corruption: the 8 bytes at `offset` set to a u64 or (is_f64) a double. */
typedef struct {
    size_t offset;
    int is_f64;
    uint64_t u;
    double f;
    const char *message, *what;
} corruption;

static void assert_corruptions_refused(const ll_blob *saved, const corruption *cases, size_t n)
{
    uint8_t *bytes = malloc(saved->len);
    ck_assert(bytes);
    for (size_t k = 0; k < n; k++) {
        memcpy(bytes, saved->data, saved->len);
        if (cases[k].is_f64)
            put_f64(bytes + cases[k].offset, cases[k].f);
        else
            th_put_u64(bytes + cases[k].offset, cases[k].u);
        ll_calibrator c;
        ll_err err;
        assert_refused(load_bytes(bytes, saved->len, &c, &err, NULL), &err, &c, cases[k].message,
                       cases[k].what);
    }
    free(bytes);
}

START_TEST(test_load_refuses_corrupt_bytes)
{
    /* isotonic on hand: u64 method at 0, count at 8, x[k] at 16 + 8k, y[k] at 16 + 8 (n + k) */
    ll_calibrator iso = fit_fixture(LL_CALIBRATE_ISOTONIC, FIX_HAND);
    const size_t n = iso.n_points;
    ck_assert_uint_eq(n, 9);
    ck_assert(iso.y[3] == 0.5 && iso.y[4] == 0.5);
#define X_AT(k) (16 + 8 * (k))
#define Y_AT(k) (16 + 8 * (n + (k)))
    const corruption iso_cases[] = {
        {0, 0, 3, 0, "unknown method 3", "method 3"},
        {0, 0, UINT64_C(1) << 63, 0, "unknown method", "method 2^63"},
        {8, 0, 0, 0, "no knots", "count 0"},
        {8, 0, UINT64_C(1) << 62, 0, "knot count", "count 2^62"},
        {8, 0, UINT64_MAX, 0, "knot count", "count 2^64 - 1"},
        {8, 0, 10, 0, "knot count", "count one more than the bytes hold"},
        {X_AT(2), 1, 0, 0.2, "not above the one before", "x equal to the one before"},
        {X_AT(3), 1, 0, 0.15, "not above the one before", "x decreasing"},
        {X_AT(0), 1, 0, NAN, "not finite", "x NaN"},
        {X_AT(8), 1, 0, INFINITY, "not finite", "x +inf"},
        {X_AT(0), 1, 0, -INFINITY, "not finite", "x -inf"},
        {Y_AT(8), 1, 0, 1.5, "not in [0, 1]", "y > 1"},
        {Y_AT(1), 1, 0, -0.25, "not in [0, 1]", "y < 0"},
        {Y_AT(4), 1, 0, NAN, "not in [0, 1]", "y NaN"},
        {Y_AT(3), 1, 0, 0.9, "below the one before", "y decreasing"},
    };
#undef X_AT
#undef Y_AT
    ll_blob blob = save_ok(&iso);
    ck_assert_uint_eq(blob.len, 16 + 16 * n);
    assert_corruptions_refused(&blob, iso_cases, N_OF(iso_cases));
    ll_blob_free(&blob);
    ll_calibrator_free(&iso);

    /* sigmoid: u64 method at 0, a at 8, b at 16 */
    ll_calibrator sig = fit_fixture(LL_CALIBRATE_SIGMOID, FIX_HAND);
    const corruption sig_cases[] = {
        {8, 1, 0, NAN, "non-finite", "a NaN"},
        {16, 1, 0, INFINITY, "non-finite", "b +inf"},
        {8, 1, 0, -INFINITY, "non-finite", "a -inf"},
        {0, 0, 5, 0, "unknown method 5", "method 5"},
    };
    blob = save_ok(&sig);
    ck_assert_uint_eq(blob.len, 24);
    assert_corruptions_refused(&blob, sig_cases, N_OF(sig_cases));
    ll_blob_free(&blob);
}
END_TEST

static int failing_write(void *ctx, const void *bytes, size_t n)
{
    (void)ctx;
    (void)bytes;
    (void)n;
    return -1;
}

START_TEST(test_save_refusals)
{
    ll_err err = {{0}};
    ll_blob blob = {0};
    ll_writer w = ll_blob_writer(&blob);
    ll_calibrator empty = {.method = LL_CALIBRATE_ISOTONIC};
    ck_assert_int_eq(ll_calibrator_save(&empty, &w, &err), LL_EINVAL);
    ck_assert(err.msg[0] != '\0');
    ll_calibrator odd = {.method = 9};
    err.msg[0] = '\0';
    ck_assert_int_eq(ll_calibrator_save(&odd, &w, &err), LL_EINVAL);
    ck_assert(strstr(err.msg, "unknown") != NULL);
    ck_assert_uint_eq(blob.len, 0);

    ll_writer broken = {NULL, failing_write};
    for (int method = LL_CALIBRATE_NONE; method <= LL_CALIBRATE_SIGMOID; method++) {
        ll_calibrator c = fit_fixture(method, FIX_HAND);
        err.msg[0] = '\0';
        ck_assert_int_eq(ll_calibrator_save(&c, &broken, &err), LL_EFAIL);
        ck_assert(err.msg[0] != '\0');
        ll_calibrator_free(&c);
    }
}
END_TEST

static Suite *calibrate_suite(void)
{
    Suite *s = suite_create("calibrate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_isotonic_matches_sklearn);
    tcase_add_test(tc, test_sigmoid_matches_sklearn);
    tcase_add_test(tc, test_sigmoid_constant_scores);
    tcase_add_test(tc, test_sigmoid_follows_affine_scores);
    tcase_add_test(tc, test_isotonic_monotone_and_bounded);
    tcase_add_test(tc, test_isotonic_keeps_the_base_rate);
    tcase_add_test(tc, test_isotonic_ignores_row_order);
    tcase_add_test(tc, test_isotonic_pools_antitone_labels);
    tcase_add_test(tc, test_labels_as_scores_calibrate_perfectly);
    tcase_add_test(tc, test_sigmoid_strictly_increasing);
    tcase_add_test(tc, test_apply_extremes);
    tcase_add_test(tc, test_apply_in_place);
    tcase_add_test(tc, test_none_is_the_identity);
    tcase_add_test(tc, test_fit_refuses_bad_rows);
    tcase_add_test(tc, test_save_load_roundtrip);
    tcase_add_test(tc, test_load_refuses_corrupt_bytes);
    tcase_add_test(tc, test_save_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return th_run_suite(calibrate_suite()); }
