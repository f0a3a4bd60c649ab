/* Calibration as a nested step of a run: a calibrated fit brings SMOTE-inflated scores back
 * to the training rows' base rate, sigmoid calibration leaves every ranking metric as it was,
 * calibrated runs are identical at -j 1 and -j 2, and bad calibrate sections (or data too thin
 * for the inner folds) are one-line errors before anything runs. Synthetic data only; the real
 * data's Brier floor is in test_leaderboard. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"
#include "harness.h"
#include "leadlab/rng.h"
#include "params.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

/* ---- ll_fit_nested on a rare-class problem ------------------------------------------------ */

enum { N_COLS = 3, N_TRAIN = 3000, N_TEST = 3000 };

/* About 6 % positives; y depends on x0 and x1 with noise, so scores are informative but not
 * separable (a calibrator has something to do). */
static void rare_class(double *x, uint8_t *y, size_t n, uint64_t seed)
{
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        double *r = x + i * N_COLS;
        r[0] = ll_rng_normal(&rng);
        r[1] = ll_rng_normal(&rng);
        r[2] = ll_rng_normal(&rng);
        y[i] = r[0] + 0.5 * r[1] + 0.8 * ll_rng_normal(&rng) > 2.0;
    }
}

static double mean(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s / (double)n;
}

/* Mean P(buy) of new rows from logreg behind SMOTE (ratio 1: a balanced training world), with
 * the given calibration; *rate is the new rows' base rate. */
static double smote_logreg_mean_p(int calibration, double *rate)
{
    double *x = malloc(N_TRAIN * N_COLS * sizeof *x), *xt = malloc(N_TEST * N_COLS * sizeof *x);
    uint8_t *y = malloc(N_TRAIN), *yt = malloc(N_TEST);
    double *p = malloc(N_TEST * sizeof *p);
    ck_assert(x && xt && y && yt && p);
    rare_class(x, y, N_TRAIN, 1);
    rare_class(xt, yt, N_TEST, 2);
    ll_config smote = {.plugin = th_plugin("smote"), .label = "smote"};
    smote.params = th_params(smote.plugin, "{k: 5, ratio: 1.0}");
    ll_config logreg = {.plugin = th_plugin("logreg"), .label = "logreg",
                        .calibration = calibration};
    logreg.params = th_params(logreg.plugin, NULL);
    ll_fit_setup setup = {&smote, &logreg, 1, N_COLS, NULL, 99, 1, NULL, NULL};
    ll_nested_setup nested = {1, 0.5, 3};
    ll_fitted fitted;
    ll_fit_stats stats;
    ll_err err = {{0}};
    double cut;
    ll_status st = ll_fit_nested(&setup, &nested, (ll_rows){x, y, N_TRAIN}, &fitted, &cut,
                                 &stats, &err);
    ck_assert_msg(st == LL_OK, "%s", err.msg);
    ck_assert_int_eq(fitted.calibrator.method, calibration);
    ck_assert(cut > 0.0 && cut < 1.0);
    st = ll_fitted_predict(&fitted, (ll_rows){xt, NULL, N_TEST}, 1, p, &err);
    ck_assert_msg(st == LL_OK, "%s", err.msg);
    for (size_t i = 0; i < N_TEST; i++)
        ck_assert(p[i] >= 0.0 && p[i] <= 1.0);
    double positives = 0;
    for (size_t i = 0; i < N_TEST; i++)
        positives += yt[i];
    *rate = positives / N_TEST;
    double m = mean(p, N_TEST);
    ll_fitted_free(&fitted);
    th_params_free(smote.params);
    th_params_free(logreg.params);
    free(x);
    free(xt);
    free(y);
    free(yt);
    free(p);
    return m;
}

/* SMOTE at ratio 1 makes logreg believe half of all leads buy: its mean P on new rows is far
 * above their rate. Both calibrators, fitted on inner out-of-fold scores against the true
 * labels, bring it back to within 0.015 of the rate (3000 rows: the rate's own standard error
 * is about 0.004). */
START_TEST(calibration_brings_resampled_scores_back_to_the_base_rate)
{
    double rate, raw = smote_logreg_mean_p(LL_CALIBRATE_NONE, &rate);
    ck_assert_msg(rate > 0.03 && rate < 0.10, "base rate %.3f", rate);
    ck_assert_msg(raw > rate + 0.1, "uncalibrated mean P %.3f, rate %.3f", raw, rate);
    double iso = smote_logreg_mean_p(LL_CALIBRATE_ISOTONIC, &rate);
    ck_assert_msg(fabs(iso - rate) < 0.015, "isotonic mean P %.4f, rate %.4f", iso, rate);
    double sig = smote_logreg_mean_p(LL_CALIBRATE_SIGMOID, &rate);
    ck_assert_msg(fabs(sig - rate) < 0.015, "sigmoid mean P %.4f, rate %.4f", sig, rate);
}
END_TEST

/* ---- runs -------------------------------------------------------------------------------- */

#define SYNTH_SPEC                                                                           \
    "name: cal\n"                                                                            \
    "data: {synth: {rows: 3000, seed: 5}, target: buy, id: id}\n"                            \
    "features: {drop: [created_at, signup_date], columns: {products_purchased: {fill: 0}}}\n" \
    "cv: {folds: 3, seed: 42}\n"                                                             \
    "samplers: [none, {smote: {k: 5}}]\n"                                                    \
    "models: [logreg, {sgb: {n_estimators: 30}}]\n"                                          \
    "threshold: {tune: f1, folds: 3}\n"                                                      \
    "importances: none\n"

static char *run_to(const char *name, const char *spec, const char *extra)
{
    ck_assert_int_eq(th_run_spec(dir, name, spec, extra, NULL), 0);
    return th_read_output(dir, name, "predictions.csv");
}

static int column(const char *header, const char *name)
{
    char f[256];
    for (int k = 0; k < 200; k++) {
        th_csv_field(header, k, f, sizeof f);
        if (!strcmp(f, name))
            return k;
    }
    return -1;
}

/* A calibrated run's out-of-fold probabilities are the same at -j 1 and -j 2, byte for byte:
 * the calibrators are learned in the cells, from the cells' seeds. */
START_TEST(calibrated_runs_do_not_depend_on_threads)
{
    const char *spec = SYNTH_SPEC "calibrate: {method: [none, isotonic, sigmoid]}\n";
    char *one = run_to("j1", spec, "-j 1");
    char *two = run_to("j2", spec, "-j 2");
    ck_assert_msg(strstr(one, "logreg [isotonic]|none") && strstr(one, "sgb(n_estimators=30) [sigmoid]|smote(k=5)"),
                  "%.300s", one);
    ck_assert_str_eq(one, two);
    free(one);
    free(two);
}
END_TEST

/* Sigmoid calibration is strictly increasing: every cell's ranking (top-k, PR-AUC, the F1 at
 * the tuned cut) is its uncalibrated twin's, while its Brier score changes. */
START_TEST(sigmoid_calibration_keeps_the_ranking)
{
    const char *spec = SYNTH_SPEC "calibrate: {method: [none, sigmoid]}\n"
                                  "metrics: [f1, pr_auc, brier, {recall_at: [0.05, 0.1]}]\n";
    free(run_to("mono", spec, "-j 2"));
    char path[700];
    snprintf(path, sizeof path, "%s/mono/cells.csv", dir);
    char *cells = th_read_file(path);
    ck_assert_ptr_nonnull(cells);
    const char *names[] = {"recall_at_0.05", "recall_at_0.1", "pr_auc", "roc_auc", "brier"};
    int cols[5];
    for (int k = 0; k < 5; k++)
        ck_assert_int_ge(cols[k] = column(cells, names[k]), 0);
    /* cells.csv lists configs in spec order: each model's sigmoid twin follows it, with the
     * same samplers and folds, so row r pairs with row r + samplers x folds. */
    char *lines[64];
    size_t n = 0;
    for (char *line = strchr(cells, '\n'); line && line[1] && n < 64;
         line = strchr(line + 1, '\n'))
        lines[n++] = line + 1;
    ck_assert_uint_eq(n, 2 * 2 * 2 * 3); /* models x calibrations x samplers x folds */
    size_t block = 2 * 3, brier_changed = 0;
    for (size_t m = 0; m < 2; m++)
        for (size_t r = 0; r < block; r++) {
            const char *raw = lines[m * 2 * block + r], *cal = lines[m * 2 * block + block + r];
            char a[64], b[64];
            th_csv_field(cal, 0, a, sizeof a);
            ck_assert_msg(strstr(a, "[sigmoid]"), "row %zu is %s", m * 2 * block + block + r, a);
            for (int k = 0; k < 4; k++) {
                th_csv_field(raw, cols[k], a, sizeof a);
                th_csv_field(cal, cols[k], b, sizeof b);
                ck_assert_msg(!strcmp(a, b), "%s: %s uncalibrated, %s with sigmoid", names[k], a,
                              b);
            }
            th_csv_field(raw, cols[4], a, sizeof a);
            th_csv_field(cal, cols[4], b, sizeof b);
            brier_changed += strcmp(a, b) != 0;
        }
    ck_assert_uint_eq(brier_changed, 2 * block);
    free(cells);
}
END_TEST

/* One line naming the key, exit 2, before any cell runs. */
START_TEST(bad_calibrate_sections_are_refused)
{
    const char *cases[][2] = {
        {SYNTH_SPEC "calibrate: {method: isotnic}\n",
         "calibrate.method: unknown method 'isotnic' (did you mean 'isotonic'?)"},
        {SYNTH_SPEC "calibrate: {method: [isotonic, isotonic]}\n",
         "calibrate.method: 'isotonic' appears twice"},
        {SYNTH_SPEC "calibrate: {folds: 3}\n", "calibrate: 'method' is required"},
        {SYNTH_SPEC "calibrate: {method: sigmoid, folds: 1}\n", "calibrate.folds"},
        {SYNTH_SPEC "calibrate: {method: sigmoid, folds: 5}\n",
         "calibrate.folds: 5, but threshold.folds is 3"},
        {SYNTH_SPEC "calibrate: {method: sigmoid, bins: 5}\n", "calibrate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[600], args[1024], file[32];
        snprintf(file, sizeof file, "bad%zu.yaml", i);
        th_write_file(dir, file, cases[i][0], path, sizeof path);
        snprintf(args, sizeof args, "run %s --set output.dir=%s/bad%zu", path, dir, i);
        th_assert_refused(args, cases[i][1]);
    }
}
END_TEST

/* Inner folds the data cannot fill: refused at planning, naming calibrate.folds. 400 rows with
 * ~5 % buyers leave about 13 buyers per 2-fold training half; 20 inner folds need 20. */
START_TEST(inner_folds_the_data_cannot_fill_are_refused)
{
    char path[600], args[1024];
    th_write_file(dir, "thin.yaml",
                  "name: thin\ndata: {synth: {rows: 400, seed: 5}, target: buy, id: id}\n"
                  "features: {drop: [created_at, signup_date], columns: {products_purchased: "
                  "{fill: 0}}}\n"
                  "models: [logreg]\ncalibrate: {method: isotonic, folds: 20}\n"
                  "cv: {folds: 2}\nsamplers: [none]\nimportances: none\n",
                  path, sizeof path);
    snprintf(args, sizeof args, "run %s --set output.dir=%s/thin", path, dir);
    th_assert_refused(args, "calibrate.folds: 20 inner folds need 20 rows of each class in "
                            "every training fold");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("calibrated_run");
    TCase *tc = tcase_create("calibrated_run");
    tcase_set_timeout(tc, 0);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, calibration_brings_resampled_scores_back_to_the_base_rate);
    tcase_add_test(tc, calibrated_runs_do_not_depend_on_threads);
    tcase_add_test(tc, sigmoid_calibration_keeps_the_ranking);
    tcase_add_test(tc, bad_calibrate_sections_are_refused);
    tcase_add_test(tc, inner_folds_the_data_cannot_fill_are_refused);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
