/* End-to-end on the real lead data (tagged real_data: CTest's leaderboard_real_data, skipped
 * when ../shared/data is absent): a reduced
 * experiments/leaderboard.yaml (fewer trees and epochs, all 7 models x 3 samplers, nested
 * threshold tuning) must finish every cell and reach each model's F1 floor, and `predict`
 * must write a well-formed submission for test.csv. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* The reduction, applied to the committed spec so the two never drift apart. */
#define REDUCED                                                                              \
    "--set models.bagging.n_estimators=30 --set models.sgb.n_estimators=60 "                 \
    "--set models.dnn.epochs=6 --set threshold.folds=2 --set calibrate.method=none"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

/* Floors on each model's best row (mean out-of-fold F1 at its tuned cut) with the reduced
 * settings. scikit-learn on the full settings at a 0.5 cut measured 0.661 logreg, 0.616 ridge,
 * 0.672 knn, 0.684 svm, 0.648 bagging, 0.689 gradient boosting, 0.683 MLP; a tuned cut adds
 * 0.00-0.07 on top. The floors sit 0.02 below what the reduced run measured here
 * (logreg 0.680, ridge 0.682, knn 0.668, svm 0.687, bagging 0.658, sgb 0.687, dnn 0.683). */
static const struct {
    const char *model;
    double floor;
} floors[] = {
    {"logreg", 0.66}, {"ridge", 0.662}, {"knn", 0.648}, {"svm", 0.667},
    {"bagging", 0.638}, {"sgb", 0.667}, {"dnn", 0.663},
};

START_TEST(reduced_leaderboard_reaches_floors)
{
    const char *train = th_require_real_data("train.csv");
    if (!train)
        return;
    char args[8192];
    snprintf(args, sizeof args,
             "run %s/experiments/leaderboard.yaml -j 2 --set data.train=%s --set output.dir=%s/lb "
             REDUCED, LL_TEST_SOURCE_DIR, train, dir);
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    free(out);
    free(err);
    char path[512];
    snprintf(path, sizeof path, "%s/lb/leaderboard.csv", dir);
    char *csv = th_read_file(path);
    ck_assert_ptr_nonnull(csv);
    double best[7] = {0};
    size_t rows = 0;
    for (char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char config[256], sampler[128], failed[16], f1[32];
        th_csv_field(line + 1, 1, config, sizeof config);
        th_csv_field(line + 1, 2, sampler, sizeof sampler);
        th_csv_field(line + 1, 4, failed, sizeof failed);
        th_csv_field(line + 1, 5, f1, sizeof f1);
        ck_assert_msg(strcmp(failed, "0") == 0, "%s x %s: %s cells failed", config, sampler, failed);
        double v = strtod(f1, NULL);
        /* with a tuned cut no sampler should fall far behind: the full run's worst row is 0.58 */
        ck_assert_msg(v > 0.5, "%s x %s: F1 %.3f", config, sampler, v);
        for (size_t m = 0; m < 7; m++) {
            size_t n = strlen(floors[m].model);
            if (strncmp(config, floors[m].model, n) == 0 && (config[n] == '(' || !config[n]) &&
                v > best[m])
                best[m] = v;
        }
        rows++;
    }
    ck_assert_uint_eq(rows, 21);
    for (size_t m = 0; m < 7; m++)
        ck_assert_msg(best[m] >= floors[m].floor, "%s: best F1 %.4f below the floor %.3f",
                      floors[m].model, best[m], floors[m].floor);
    free(csv);
}
END_TEST

START_TEST(predict_writes_a_submission)
{
    char train[4096], test_path[4096]; /* th_require_real_data returns a static buffer */
    const char *found = th_require_real_data("train.csv");
    if (!found)
        return;
    snprintf(train, sizeof train, "%s", found);
    if (!(found = th_require_real_data("test.csv")))
        return;
    snprintf(test_path, sizeof test_path, "%s", found);
    char args[12288];
    snprintf(args, sizeof args,
             "predict %s/experiments/leaderboard.yaml --config 'logreg(C=1.0)' --sampler none "
             "--set data.train=%s --test %s --out %s/submission.csv " REDUCED,
             LL_TEST_SOURCE_DIR, train, test_path, dir);
    char *err = NULL;
    int rc = th_run_leadlab(args, NULL, &err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    free(err);
    char path[512];
    snprintf(path, sizeof path, "%s/submission.csv", dir);
    char *sub = th_read_file(path);
    char *test = th_read_file(test_path);
    ck_assert_ptr_nonnull(sub);
    ck_assert_ptr_nonnull(test);
    ck_assert_msg(strncmp(sub, "id,buy\n", 7) == 0, "header: %.20s", sub);
    /* one line per test row, in the test file's order, with the test file's ids */
    size_t rows = 0, positives = 0;
    char *s_save = NULL, *t_save = NULL;
    char *s_line = strtok_r(sub, "\n", &s_save);  /* header */
    char *t_line = strtok_r(test, "\n", &t_save); /* header */
    while ((s_line = strtok_r(NULL, "\n", &s_save))) {
        t_line = strtok_r(NULL, "\n", &t_save);
        ck_assert_ptr_nonnull(t_line);
        size_t id_len = strcspn(t_line, ",");
        ck_assert_msg(strncmp(s_line, t_line, id_len) == 0 && s_line[id_len] == ',',
                      "row %zu: '%s' vs test id '%.*s'", rows, s_line, (int)id_len, t_line);
        const char *label = s_line + id_len + 1;
        ck_assert_msg(!strcmp(label, "0") || !strcmp(label, "1"), "row %zu: '%s'", rows, s_line);
        positives += label[0] == '1';
        rows++;
    }
    ck_assert_ptr_null(strtok_r(NULL, "\n", &t_save));
    ck_assert_uint_eq(rows, 13184);
    /* about 5 % of leads buy; a submission far from that share is broken */
    ck_assert_msg(positives > rows / 100 && positives < rows / 5, "%zu positives", positives);
    free(sub);
    free(test);
}
END_TEST

/* Calibration on the real data: SMOTE trains logreg on a 50 % positive world, so its raw
 * scores overstate P(buy) (Brier about 0.095 measured on experiments/leaderboard.yaml).
 * Isotonic calibration, fitted inside each training fold on inner out-of-fold scores against
 * the true labels, must bring the Brier score to at most 0.03 and the mean calibrated P(buy)
 * of the test folds to within 0.01 of the base rate; the same model uncalibrated must not
 * (else the test would not test anything). */
START_TEST(isotonic_calibration_restores_the_base_rate)
{
    const char *train = th_require_real_data("train.csv");
    if (!train)
        return;
    char spec_path[600], args[8192];
    char spec[2048];
    snprintf(spec, sizeof spec,
             "name: calibrated\n"
             "data: {train: %s, target: buy, positive: \"1\", id: id}\n"
             "features: {drop: [created_at, signup_date], columns: {products_purchased: "
             "{fill: 0}}}\n"
             "cv: {folds: 5, seed: 42}\n"
             "samplers: [{smote: {k: 5, ratio: 1.0}}]\n"
             "models: [{logreg: {C: 1.0}}]\n"
             "calibrate: {method: [none, isotonic], folds: 3}\n"
             "metrics: [f1, brier, ece, {recall_at: 0.1}]\n"
             "importances: none\n", train);
    th_write_file(dir, "calibrated.yaml", spec, spec_path, sizeof spec_path);
    snprintf(args, sizeof args, "run %s -j 2 --set output.dir=%s/cal", spec_path, dir);
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    free(out);
    free(err);
    char path[700];
    snprintf(path, sizeof path, "%s/cal/leaderboard.csv", dir);
    char *csv = th_read_file(path);
    ck_assert_ptr_nonnull(csv);
    double brier[2] = {NAN, NAN}; /* uncalibrated, isotonic */
    int col = -1;
    {
        char name[64];
        for (int k = 0; k < 200 && col < 0; k++) {
            th_csv_field(csv, k, name, sizeof name);
            if (!strcmp(name, "brier_mean"))
                col = k;
        }
    }
    ck_assert_int_ge(col, 0);
    for (char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char config[128], v[32];
        th_csv_field(line + 1, 1, config, sizeof config);
        th_csv_field(line + 1, col, v, sizeof v);
        brier[strstr(config, "[isotonic]") != NULL] = strtod(v, NULL);
    }
    free(csv);
    ck_assert_msg(brier[1] <= 0.03, "isotonic Brier %.4f above 0.03", brier[1]);
    ck_assert_msg(brier[0] > 0.05, "uncalibrated Brier %.4f: SMOTE should distort it", brier[0]);
    /* The mean calibrated P(buy) over every out-of-fold prediction against the base rate. */
    snprintf(path, sizeof path, "%s/cal/predictions.csv", dir);
    char *pred = th_read_file(path);
    ck_assert_ptr_nonnull(pred);
    int p_col = -1;
    {
        char name[128];
        for (int k = 0; k < 20 && p_col < 0; k++) {
            th_csv_field(pred, k, name, sizeof name);
            if (strstr(name, "[isotonic]"))
                p_col = k;
        }
    }
    ck_assert_int_ge(p_col, 0);
    double sum_p = 0.0, sum_y = 0.0;
    size_t n = 0;
    for (char *line = strchr(pred, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char y[8], p[32];
        th_csv_field(line + 1, 2, y, sizeof y);
        th_csv_field(line + 1, p_col, p, sizeof p);
        sum_y += strtod(y, NULL);
        sum_p += strtod(p, NULL);
        n++;
    }
    free(pred);
    ck_assert_uint_gt(n, 30000);
    double base = sum_y / (double)n, mean_p = sum_p / (double)n;
    ck_assert_msg(fabs(mean_p - base) <= 0.01, "mean calibrated P %.4f, base rate %.4f", mean_p,
                  base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("leaderboard");
    TCase *tc = tcase_create("leaderboard");
    tcase_set_tags(tc, "real_data");
    tcase_set_timeout(tc, 0);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, reduced_leaderboard_reaches_floors);
    tcase_add_test(tc, predict_writes_a_submission);
    suite_add_tcase(s, tc);
    TCase *cal = tcase_create("calibration");
    tcase_set_tags(cal, "real_data");
    tcase_set_timeout(cal, 0);
    tcase_add_checked_fixture(cal, setup, NULL);
    tcase_add_test(cal, isotonic_calibration_restores_the_base_rate);
    suite_add_tcase(s, cal);
    return th_run_suite(s);
}
