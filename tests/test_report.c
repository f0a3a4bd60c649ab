/* Reports people look at: the curve and chart-scale math against independently computed
 * values, shortened labels, the manifest that keeps output folders free of stale files, the
 * HTML page of a partial run, and end to end through the CLI: parameter columns in
 * leaderboard.csv, short labels in leaderboard.md, --sort, `show`, `compare` (paired when the
 * folds are the same, unpaired when not) and reruns that leave no stale outputs. The browser
 * renders report.html in tests/html_test.sh. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"
#include "curves.h"
#include "harness.h"
#include "labels.h"
#include "manifest.h"
#include "metrics.h"
#include "report.h"
#include "report_html.h"
#include "runner.h"
#include "spec.h"
#include "summary.h"
#include "svg.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

/* ---- curves ---- */

/* The tied-score fixture of tests/reference/metrics.py; the expected points are
 * scikit-learn 1.2.1's precision_recall_curve and roc_curve(drop_intermediate=False), printed
 * by tests/reference/curves.py (leadlab lists cuts from the highest down). */
static const uint8_t ties_y[] = {1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0};
static const double ties_s[] = {0.8, 0.8, 0.6, 0.6, 0.6, 0.4, 0.4, 0.4,
                                0.4, 0.2, 0.2, 0.9, 0.1, 0.1, 0.1, 0.6};

START_TEST(curves_match_scikit_learn)
{
    ll_curve c;
    ck_assert_int_eq(ll_curve_build(ties_y, ties_s, 16, &c), 0);
    const double thresholds[] = {0.9, 0.8, 0.6, 0.4, 0.2, 0.1};
    const double precision[] = {0.0, 1.0 / 3, 3.0 / 7, 4.0 / 11, 5.0 / 13, 6.0 / 16};
    const double recall[] = {0.0, 1.0 / 6, 3.0 / 6, 4.0 / 6, 5.0 / 6, 1.0};
    const double fpr[] = {0.1, 0.2, 0.4, 0.7, 0.8, 1.0};
    ck_assert_uint_eq(c.n, 6);
    ck_assert_uint_eq(c.positives, 6);
    ck_assert_uint_eq(c.negatives, 10);
    for (size_t k = 0; k < 6; k++) {
        ck_assert_double_eq_tol(c.threshold[k], thresholds[k], 1e-15);
        ck_assert_double_eq_tol(ll_curve_precision(&c, k), precision[k], 1e-15);
        ck_assert_double_eq_tol(ll_curve_recall(&c, k), recall[k], 1e-15);
        ck_assert_double_eq_tol(ll_curve_fpr(&c, k), fpr[k], 1e-15);
        /* F1 from the same counts: 2PR / (P + R), 0 where both are 0 */
        double p = precision[k], r = recall[k];
        ck_assert_double_eq_tol(ll_curve_f1(&c, k), p + r > 0 ? 2 * p * r / (p + r) : 0, 1e-15);
    }
    /* average_precision_score and roc_auc_score, and what the leaderboard's metrics say */
    ck_assert_double_eq_tol(ll_curve_average_precision(&c), 0.38562132312132313, 1e-15);
    ck_assert_double_eq_tol(ll_curve_roc_auc(&c), 0.5083333333333333, 1e-15);
    ll_metrics m;
    ck_assert_int_eq(ll_metrics_compute(ties_y, ties_s, 16, 0.5, &m), 0);
    ck_assert_double_eq_tol(ll_curve_average_precision(&c), m.pr_auc, 1e-15);
    ck_assert_double_eq_tol(ll_curve_roc_auc(&c), m.roc_auc, 1e-15);
    ll_curve_free(&c);
}
END_TEST

START_TEST(curves_skip_unscored_rows_and_agree_on_a_large_sample)
{
    /* -1 marks a row whose cell did not finish: left out, as if absent */
    uint8_t y[] = {1, 0, 1, 0};
    double s[] = {0.9, -1.0, NAN, 0.2};
    ll_curve c;
    ck_assert_int_eq(ll_curve_build(y, s, 4, &c), 0);
    ck_assert_uint_eq(c.n, 2);
    ck_assert_uint_eq(c.positives + c.negatives, 2);
    ck_assert_double_eq(ll_curve_roc_auc(&c), 1.0);
    ll_curve_free(&c);
    /* one class: no AP or AUC, as ll_metrics_compute */
    uint8_t ones[] = {1, 1};
    double s2[] = {0.3, 0.4};
    ck_assert_int_eq(ll_curve_build(ones, s2, 2, &c), 0);
    ck_assert(isnan(ll_curve_average_precision(&c)) && isnan(ll_curve_roc_auc(&c)));
    ll_curve_free(&c);
    /* 5,000 rows with many ties: the same numbers as the metrics module's own algorithms */
    enum { N = 5000 };
    static uint8_t yy[N];
    static double ss[N];
    for (size_t i = 0; i < N; i++) {
        ss[i] = (double)((i * 7919) % 101) / 100.0;
        yy[i] = (i * 31 + (i * 7919) % 101) % 9 < 2 + (size_t)(ss[i] * 4);
    }
    ll_metrics m;
    ck_assert_int_eq(ll_metrics_compute(yy, ss, N, 0.5, &m), 0);
    ck_assert_int_eq(ll_curve_build(yy, ss, N, &c), 0);
    ck_assert_double_eq_tol(ll_curve_average_precision(&c), m.pr_auc, 1e-12);
    ck_assert_double_eq_tol(ll_curve_roc_auc(&c), m.roc_auc, 1e-12);
    double best_f1 = 0, cut;
    for (size_t k = 0; k < c.n; k++)
        best_f1 = fmax(best_f1, ll_curve_f1(&c, k));
    double f1;
    ck_assert_int_eq(ll_best_f1_threshold(yy, ss, N, &cut, &f1), 0);
    ck_assert_double_eq_tol(best_f1, f1, 1e-12);
    ll_curve_free(&c);
}
END_TEST

/* ---- chart scales (expected values by hand) ---- */

START_TEST(scales_and_ticks)
{
    ll_scale x = ll_scale_linear(0.0, 1.0, 60.0, 560.0);
    ck_assert_double_eq(ll_scale_map(&x, 0.0), 60.0);
    ck_assert_double_eq(ll_scale_map(&x, 0.5), 310.0);
    ck_assert_double_eq(ll_scale_map(&x, 1.0), 560.0);
    ll_scale y = ll_scale_linear(0.0, 1.0, 400.0, 40.0); /* upward */
    ck_assert_double_eq(ll_scale_map(&y, 0.25), 310.0);
    ll_scale flat = ll_scale_linear(2.0, 2.0, 0.0, 100.0); /* no NaN from a point domain */
    ck_assert(isfinite(ll_scale_map(&flat, 2.0)));
    double t[64];
    ck_assert_uint_eq(ll_nice_ticks(0.0, 1.0, 5, t, 64), 6); /* step 0.2 */
    ck_assert_double_eq_tol(t[1], 0.2, 1e-15);
    ck_assert_double_eq_tol(t[5], 1.0, 1e-15);
    ck_assert_uint_eq(ll_nice_ticks(0.0, 0.8, 8, t, 64), 9); /* step 0.1 */
    ck_assert_uint_eq(ll_nice_ticks(0.013, 0.087, 5, t, 64), 4); /* 0.02 .. 0.08 */
    ck_assert_double_eq_tol(t[0], 0.02, 1e-15);
    ck_assert_double_eq_tol(t[3], 0.08, 1e-15);
    ck_assert_uint_eq(ll_nice_ticks(-3.0, 47.0, 5, t, 64), 5); /* 0, 10, .. 40 */
    ck_assert_double_eq(t[0], 0.0);
    ck_assert_double_eq_tol(ll_nice_step(0.1, 5), 0.02, 1e-15);
    /* raw step span / target = 1.4 is nearer 1 than 2 in ratio (the switch is at sqrt 2) */
    ck_assert_double_eq_tol(ll_nice_step(7.0, 5), 1.0, 1e-15);
    ck_assert_double_eq_tol(ll_nice_step(8.0, 5), 2.0, 1e-15);
    ck_assert_double_eq_tol(ll_nice_step(17.0, 5), 5.0, 1e-15);
    ck_assert_double_eq_tol(ll_nice_step(40.0, 5), 10.0, 1e-15);
    ck_assert_int_eq(ll_tick_decimals(1.0), 0);
    ck_assert_int_eq(ll_tick_decimals(0.2), 1);
    ck_assert_int_eq(ll_tick_decimals(0.05), 2);
    ck_assert_int_eq(ll_tick_decimals(50.0), 0);
}
END_TEST

START_TEST(svg_escapes_and_thins_curves)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ll_chart_spec sp = {.id = "t", .title = "a <b> & \"c\"", .width = 600, .height = 400,
                        .left = 50, .right = 10, .top = 30, .bottom = 50, .x_label = "x",
                        .y_label = "y", .x_max = 1, .y_max = 1};
    ll_chart c;
    ll_chart_begin(&c, f, &sp);
    enum { N = 20000 };
    static double xs[N], ys[N];
    for (size_t i = 0; i < N; i++) {
        xs[i] = (double)i / (N - 1);
        ys[i] = xs[i] * xs[i];
    }
    ll_chart_line(&c, xs, ys, N, &(ll_style){"#123456", 2, NULL, 0}, NULL);
    ll_chart_end(&c);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "a &lt;b&gt; &amp; &quot;c&quot;"));
    ck_assert_ptr_null(strstr(text, "<b>"));
    /* 20,000 points over a 540 x 320 px plot: at most one per pixel of travel is drawn */
    const char *d = strstr(text, "<path d=\"M50.0 350.0"); /* (0, 0): the plot's corner */
    ck_assert_ptr_nonnull(d);
    size_t points = 0;
    for (const char *p = d + 9; *p && *p != '"'; p++)
        points += *p == 'L' || *p == 'M';
    ck_assert_msg(points > 100 && points < 900, "%zu points drawn", points);
    /* the last point is always drawn: the curve ends at (1, 1) = (590, 30) */
    ck_assert_ptr_nonnull(strstr(d, "L590.0 30.0\""));
    free(text);
}
END_TEST

/* ---- labels ---- */

static void expect_short(const char *const *labels, size_t n, const char *const *expected)
{
    char *out[16];
    ck_assert_int_eq(ll_short_labels(labels, n, out), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(!strcmp(out[i], expected[i]), "'%s' shortened to '%s', expected '%s'",
                      labels[i], out[i], expected[i]);
    for (size_t i = 0; i < n; i++)
        free(out[i]);
}

START_TEST(short_labels_keep_what_varies)
{
    /* one config per plugin: the bare name */
    const char *a[] = {"dnn(hidden=[64, 64],batchnorm=true,dropout=0.2)", "knn(k=5)", "ridge"};
    expect_short(a, 3, (const char *[]){"dnn", "knn", "ridge"});
    /* a grid: only its axes stay, list values with their commas intact */
    const char *b[] = {"logreg(C=0.1,class_weight=none,tol=1e-8)",
                       "logreg(C=1.0,class_weight=none,tol=1e-8)",
                       "knn(k=5,weights=distance)", "knn(k=15,weights=distance)",
                       "dnn(hidden=[64, 64],epochs=3)", "dnn(hidden=[32],epochs=3)"};
    expect_short(b, 6, (const char *[]){"logreg(C=0.1)", "logreg(C=1.0)", "knn(k=5)", "knn(k=15)",
                                        "dnn(hidden=[64, 64])", "dnn(hidden=[32])"});
    /* a key given in one config and left to its default in another varies */
    const char *c[] = {"logreg", "logreg(C=0.1,tol=1e-8)", "logreg(C=1,tol=1e-8)"};
    expect_short(c, 3, (const char *[]){"logreg", "logreg(C=0.1,tol=1e-8)",
                                        "logreg(C=1,tol=1e-8)"});
    const char *c2[] = {"logreg(tol=1e-8)", "logreg(C=0.1,tol=1e-8)"};
    expect_short(c2, 2, (const char *[]){"logreg", "logreg(C=0.1)"});
    /* ...and when two labels would collide, that plugin keeps its full labels */
    const char *d[] = {"svm(C=1,gamma=scale)", "svm(gamma=scale,C=1)", "knn(k=3)"};
    expect_short(d, 3, (const char *[]){"svm(C=1,gamma=scale)", "svm(gamma=scale,C=1)", "knn"});
    /* a calibration suffix stays, and does not count as a parameter */
    const char *e[] = {"sgb(n_estimators=100)", "sgb(n_estimators=100) [isotonic]",
                       "dnn(hidden=[64, 64]) [sigmoid]", "ridge [isotonic]"};
    expect_short(e, 4, (const char *[]){"sgb", "sgb [isotonic]", "dnn [sigmoid]",
                                        "ridge [isotonic]"});
    char buf[32];
    ck_assert_uint_eq(ll_label_trim("logreg(C=0.1) | smote", 10, buf, sizeof buf), 10);
    ck_assert_str_eq(buf, "logreg(C=…");
    ck_assert_uint_eq(ll_label_trim("short", 10, buf, sizeof buf), 5);
    ck_assert_str_eq(buf, "short");
    ll_label_trim("±±±±±±", 4, buf, sizeof buf); /* characters, not bytes */
    ck_assert_str_eq(buf, "±±±…");
    ll_label_trim("abcdefgh", 20, buf, 5); /* a small buffer still ends in a whole string */
    ck_assert_str_eq(buf, "abcd");
}
END_TEST

/* ---- statistics ---- */

START_TEST(welch_and_metric_names)
{
    /* scipy.stats.ttest_ind(a, b, equal_var=False), printed by tests/reference/curves.py */
    double a[] = {0.61, 0.64, 0.58, 0.66, 0.60}, b[] = {0.55, 0.57, 0.62, 0.50, 0.54, 0.53, 0.59};
    double t;
    double p = ll_welch_ttest_p(a, 5, b, 7, &t);
    ck_assert_double_eq_tol(t, 2.9306685368395682, 1e-12);
    ck_assert_double_eq_tol(p, 0.015361454336584311, 1e-9);
    double same[] = {0.5, 0.5};
    ck_assert_double_eq(ll_welch_ttest_p(same, 2, same, 2, NULL), 1.0);
    ck_assert(isnan(ll_welch_ttest_p(a, 1, b, 7, NULL)));
    ck_assert_int_eq(ll_metric_index("f1"), LL_SUM_F1);
    ck_assert_int_eq(ll_metric_index("PR-AUC"), LL_SUM_PR_AUC);
    ck_assert_int_eq(ll_metric_index("pr_auc"), LL_SUM_PR_AUC);
    ck_assert_int_eq(ll_metric_index("MCC"), LL_SUM_MCC);
    ck_assert_int_eq(ll_metric_index("balanced-accuracy"), LL_SUM_BALANCED_ACCURACY);
    ck_assert_int_eq(ll_metric_index("auc"), -1);
    ck_assert_int_eq(ll_metric_index("threshold"), -1); /* not a ranking metric */
}
END_TEST

/* ---- the manifest ---- */

static int exists(const char *folder, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    struct stat st;
    return stat(path, &st) == 0;
}

START_TEST(manifest_removes_only_what_leadlab_wrote)
{
    char path[600];
    const char *names[] = {"a.csv", "b.md", "c.html", "mine.txt", "a.csv.tmp.999999", "x.tmp.1"};
    for (size_t i = 0; i < 6; i++)
        th_write_file(dir, names[i], "x\n", path, sizeof path);
    ll_error err;
    const char *first[] = {"a.csv", "b.md", "c.html"};
    ck_assert_int_eq(ll_manifest_update(dir, first, 3, NULL, 0, &err), 0);
    /* the earlier process's temporary of a.csv went; a temporary of no output stays */
    ck_assert(!exists(dir, "a.csv.tmp.999999") && exists(dir, "x.tmp.1"));
    const char *input = th_write_file(dir, "c.html", "also the next run's input\n", path,
                                      sizeof path);
    const char *second[] = {"b.md"};
    ck_assert_int_eq(ll_manifest_update(dir, second, 1, &input, 1, &err), 0);
    ck_assert(!exists(dir, "a.csv"));                /* written before, not now: removed */
    ck_assert(exists(dir, "b.md"));                  /* written now */
    ck_assert(exists(dir, "c.html"));                /* the run's input: never removed */
    ck_assert(exists(dir, "mine.txt"));              /* never written by leadlab */
    size_t n;
    char **listed = ll_manifest_read(dir, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(listed[0], "b.md");
    ll_labels_free(listed, n);
    /* a manifest edited to point outside the folder, or at the store, reaches nothing */
    th_write_file(dir, ".outputs", "../mine.txt\n.leadlab.lock\nresults.db/x\n", path,
                  sizeof path);
    th_write_file(dir, ".leadlab.lock", "", path, sizeof path);
    ck_assert_int_eq(ll_manifest_update(dir, second, 1, NULL, 0, &err), 0);
    ck_assert(exists(dir, ".leadlab.lock"));
}
END_TEST

/* ---- the page of a partial run, in process ---- */

#define SYNTH_DATA                                                                            \
    "data: {train: train.csv, target: buy, id: id}\n"                                         \
    "features: {drop: [created_at, signup_date], columns: {products_purchased: {fill: 0}}}\n"

static int first_config_and_fold_0(const ll_cell *cell)
{
    return cell->model == 0 || cell->fold == 0;
}

START_TEST(partial_run_page_says_so)
{
    char path[600], spec_path[600];
    ll_error err;
    snprintf(path, sizeof path, "%s/train.csv", dir);
    ck_assert_int_eq(ll_synth_write(path, 1500, 5, &err), 0);
    th_write_file(dir, "spec.yaml",
                  SYNTH_DATA "plugin_path: [" LL_TEST_PLUGIN_DIR "]\n"
                             "models:\n  - logreg: {C: [0.1, 1]}\ncv: {folds: 3}\n"
                             "threshold: {tune: f1, folds: 2, fixed: 0.5}\noutput: {dir: out}\n",
                  spec_path, sizeof spec_path);
    /* every cell of C=0.1, the first fold of C=1: 4 of 6 cells, one row partial */
    th_held_run held;
    th_held_run_cells(spec_path, first_config_and_fold_0, NULL, &held);
    const ll_spec spec = held.spec;
    const ll_dataset data = held.data;
    const ll_run_result run = held.run;
    ck_assert_uint_eq(run.n_pending, 2);
    char *html = NULL, *md = NULL;
    size_t len;
    FILE *f = open_memstream(&html, &len);
    ll_report_context ctx = {"leadlab run spec.yaml", "test machine", "0123abcd"};
    ck_assert_int_eq(ll_report_html(f, &spec, &data, &run, &ctx), 0);
    fclose(f);
    f = open_memstream(&md, &len);
    ck_assert_int_eq(ll_report_markdown(f, &spec, &data, &run, &ctx), 0);
    fclose(f);
    const char *needles[] = {"Incomplete run: 4 of 6 cells finished", "partial: 1 of 3 cells",
                             "id=\"chart-f1\"", "id=\"chart-pr\"", "id=\"chart-roc\"",
                             "id=\"chart-threshold\"", "leadlab run spec.yaml", "0123abcd",
                             "logreg(C=0.1)", "tuned cut",
                             "<title>leadlab: experiment (incomplete)"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        ck_assert_msg(strstr(html, needles[i]), "'%s' not in the page", needles[i]);
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_msg(strstr(md, "(incomplete: 4 of 6 cells)"), "%s", md);
    free(html);
    free(md);
    th_held_run_free(&held);
}
END_TEST

/* ---- end to end through the CLI ---- */

#define CLI_DATA                                                                              \
    "data: {synth: {rows: 2000, seed: 3}, target: buy, id: id}\n"                             \
    "features: {drop: [created_at, signup_date], columns: {products_purchased: {fill: 0}}}\n"
#define CLI_GRID                                                                              \
    "models:\n  - logreg: {C: [0.1, 1.0], max_iter: 100}\n  - knn: {k: 5}\n"                 \
    "samplers:\n  - none\n  - smote: {k: 3, ratio: 1.0}\n"

static char *read_in(const char *folder, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    char *text = th_read_file(path);
    ck_assert_msg(text != NULL, "missing %s", path);
    return text;
}

/* Runs `leadlab run DIR/NAME.yaml EXTRA` with the spec text, into DIR/NAME; returns stdout. */
static char *run_spec(const char *name, const char *spec, const char *extra, int expect_rc)
{
    char path[600], args[2048];
    char file[128];
    snprintf(file, sizeof file, "%s.yaml", name);
    th_write_file(dir, file, spec, path, sizeof path);
    snprintf(args, sizeof args, "run %s -j 2 --set output.dir=%s/%s %s", path, dir, name,
             extra ? extra : "");
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == expect_rc, "%s: exit %d: %s", args, rc, err);
    free(err);
    return out;
}

static int column_of(const char *header, const char *name)
{
    char field[128];
    for (int i = 0; i < 200; i++) {
        th_csv_field(header, i, field, sizeof field);
        if (!strcmp(field, name))
            return i;
    }
    return -1;
}

START_TEST(csv_parameter_columns_and_short_labels)
{
    char *out = run_spec("grid", CLI_DATA CLI_GRID, NULL, 0);
    char folder[600];
    snprintf(folder, sizeof folder, "%s/grid", dir);
    ck_assert_msg(strstr(out, "Report: ") && strstr(out, "/grid/report.html"), "%s", out);
    free(out);
    char *csv = read_in(folder, "leaderboard.csv");
    int c_col = column_of(csv, "model.C"), k_col = column_of(csv, "model.k");
    int sk_col = column_of(csv, "sampler.k"), ratio_col = column_of(csv, "sampler.ratio");
    int iter_col = column_of(csv, "model.max_iter");
    ck_assert_msg(c_col > 0 && k_col > 0 && sk_col > 0 && ratio_col > 0 && iter_col > 0, "%s",
                  csv);
    size_t rows = 0;
    for (char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char config[128], sampler[128], c[32], k[32], sk[32], ratio[32];
        th_csv_field(line + 1, 1, config, sizeof config);
        th_csv_field(line + 1, 2, sampler, sizeof sampler);
        th_csv_field(line + 1, c_col, c, sizeof c);
        th_csv_field(line + 1, k_col, k, sizeof k);
        th_csv_field(line + 1, sk_col, sk, sizeof sk);
        th_csv_field(line + 1, ratio_col, ratio, sizeof ratio);
        rows++;
        if (!strncmp(config, "logreg", 6)) {
            /* its own values, as the spec wrote them; knn's column empty */
            ck_assert_str_eq(c, strstr(config, "C=0.1") ? "0.1" : "1.0");
            ck_assert_str_eq(k, "");
        } else {
            ck_assert_str_eq(config, "knn(k=5)");
            ck_assert_str_eq(k, "5");
            ck_assert_str_eq(c, "");
        }
        if (!strcmp(sampler, "none")) {
            ck_assert_str_eq(sk, "");
            ck_assert_str_eq(ratio, "");
        } else {
            ck_assert_str_eq(sk, "3");
            ck_assert_str_eq(ratio, "1.0");
        }
    }
    ck_assert_uint_eq(rows, 6);
    free(csv);
    /* leaderboard.md names rows by what varies (C), the rest in full under the table */
    char *md = read_in(folder, "leaderboard.md");
    ck_assert_msg(strstr(md, "| logreg(C=0.1) |") && strstr(md, "| logreg(C=1.0) |") &&
                      strstr(md, "| knn | ") && strstr(md, "| smote |"),
                  "%s", md);
    ck_assert_msg(!strstr(md, "| logreg(C=0.1,max_iter=100) |"), "%s", md);
    ck_assert_msg(strstr(md, "\n- `knn` = knn(k=5)\n") &&
                      strstr(md, "\n- `smote` = smote(k=3,ratio=1.0)\n") &&
                      strstr(md, "\n- `logreg(C=0.1)` = logreg(C=0.1,max_iter=100)\n"),
                  "%s", md);
    free(md);
    /* the page shows the short label, and the full one as its tooltip */
    char *html = read_in(folder, "report.html");
    ck_assert_ptr_nonnull(strstr(html, "title=\"knn(k=5)\">knn</td>"));
    ck_assert_ptr_nonnull(strstr(html, "title=\"smote(k=3,ratio=1.0)\">smote</td>"));
    free(html);
}
END_TEST

START_TEST(sort_by_another_metric)
{
    char *out = run_spec("sorted", CLI_DATA CLI_GRID, "--sort pr_auc", 0);
    char folder[600];
    snprintf(folder, sizeof folder, "%s/sorted", dir);
    free(out);
    char *md = read_in(folder, "leaderboard.md");
    ck_assert_msg(strstr(md, "Ranked by PR-AUC. ▼: PR-AUC significantly below the best row"),
                  "%s", md);
    ck_assert_msg(strstr(md, "--sort pr_auc"), "the command to regenerate keeps --sort: %s", md);
    free(md);
    /* rows in leaderboard.csv descend in PR-AUC */
    char *csv = read_in(folder, "leaderboard.csv");
    int col = column_of(csv, "pr_auc_mean");
    double previous = INFINITY;
    for (char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char v[32];
        th_csv_field(line + 1, col, v, sizeof v);
        ck_assert_msg(strtod(v, NULL) <= previous, "PR-AUC %s after %f", v, previous);
        previous = strtod(v, NULL);
    }
    free(csv);
    char *html = read_in(folder, "report.html");
    ck_assert_ptr_nonnull(strstr(html, "Ranked by mean PR-AUC"));
    free(html);
    char *err = NULL;
    ck_assert_int_eq(th_run_leadlab("run x.yaml --sort auc", NULL, &err), 2);
    ck_assert_msg(strstr(err, "--sort expects a metric"), "%s", err);
    free(err);
}
END_TEST

/* --sort brier ranks ascending (lower is better); top-k columns come out per row and per
 * cell, and each cell's lift is its precision over its fold's base rate. */
START_TEST(sort_by_brier_and_top_k_columns)
{
    char *out = run_spec("brier", CLI_DATA CLI_GRID
                         "metrics: [f1, {recall_at: 0.1}, {precision_at: 0.1}, {lift_at: 0.1}]\n",
                         "--sort brier", 0);
    free(out);
    char folder[600];
    snprintf(folder, sizeof folder, "%s/brier", dir);
    char *md = read_in(folder, "leaderboard.md");
    ck_assert_msg(strstr(md, "| Brier | recall@10% | precision@10% | lift@10% |"), "%s", md);
    ck_assert_msg(strstr(md, "Ranked by Brier."), "%s", md);
    free(md);
    char *csv = read_in(folder, "leaderboard.csv");
    int col = column_of(csv, "brier_mean");
    ck_assert_int_ge(column_of(csv, "recall_at_0.1_sd"), 0);
    double previous = -INFINITY;
    for (char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char v[32];
        th_csv_field(line + 1, col, v, sizeof v);
        ck_assert_msg(strtod(v, NULL) >= previous, "Brier %s after %f", v, previous);
        previous = strtod(v, NULL);
    }
    free(csv);
    char *cells = read_in(folder, "cells.csv");
    int c_rows = column_of(cells, "test_rows"), c_pos = column_of(cells, "test_positives");
    int c_prec = column_of(cells, "precision_at_0.1"), c_lift = column_of(cells, "lift_at_0.1");
    int c_rec = column_of(cells, "recall_at_0.1");
    size_t checked = 0;
    for (char *line = strchr(cells, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char v[5][32];
        int at[5] = {c_rows, c_pos, c_prec, c_lift, c_rec};
        for (int k = 0; k < 5; k++)
            th_csv_field(line + 1, at[k], v[k], sizeof v[k]);
        double rows = strtod(v[0], NULL), pos = strtod(v[1], NULL);
        double precision = strtod(v[2], NULL), lift = strtod(v[3], NULL);
        double recall = strtod(v[4], NULL);
        ck_assert_double_eq_tol(lift, precision / (pos / rows), 1e-5);
        /* buyers reached = precision * round(0.1 n) = recall * buyers */
        double m = floor(0.1 * rows + 0.5);
        ck_assert_double_eq_tol(precision * m, recall * pos, 1e-4);
        checked++;
    }
    ck_assert_uint_gt(checked, 3);
    free(cells);
}
END_TEST

/* Display columns of a UTF-8 line. */
static size_t line_columns(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

START_TEST(show_fits_the_width)
{
    free(run_spec("shown", CLI_DATA CLI_GRID, NULL, 0));
    char args[700];
    snprintf(args, sizeof args, "show %s/shown --width 60", dir);
    char *out = NULL, *err = NULL;
    ck_assert_msg(th_run_leadlab(args, &out, &err) == 0, "%s", err);
    free(err);
    size_t lines = 0;
    int trimmed = 0;
    for (char *line = out; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (lines >= 2) /* the table: the heading's path may be longer than any terminal */
            ck_assert_msg(line_columns(line, len) <= 60, "%zu columns: %.*s",
                          line_columns(line, len), (int)len, line);
        for (size_t i = 0; i + 3 <= len; i++)
            trimmed |= !memcmp(line + i, "…", 3);
        lines++;
        line = nl ? nl + 1 : line + len;
    }
    ck_assert_msg(lines == 3 + 6, "%zu lines:\n%s", lines, out);
    ck_assert_msg(trimmed, "a 60-column terminal should trim labels:\n%s", out);
    ck_assert_msg(strstr(out, "  1  ") && strstr(out, " ± ") && strstr(out, "best") &&
                      strstr(out, "30 of 30 cells done"),
                  "%s", out);
    free(out);
    snprintf(args, sizeof args, "show %s/shown --sort mcc --width 200", dir);
    ck_assert_int_eq(th_run_leadlab(args, &out, NULL), 0);
    ck_assert_msg(strstr(out, "ranked by MCC") && strstr(out, "MCC ± sd") &&
                      strstr(out, "logreg(C=0.1) | none"),
                  "%s", out);
    free(out);
    snprintf(args, sizeof args, "show %s/nowhere", dir);
    ck_assert_int_eq(th_run_leadlab(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "no result store"), "%s", err);
    free(err);
}
END_TEST

START_TEST(compare_pairs_same_folds_only)
{
    /* A and B: the same data and cv seed; B drops C=0.1 and adds knn(k=9) */
    free(run_spec("a", CLI_DATA CLI_GRID, NULL, 0));
    free(run_spec("b", CLI_DATA "models:\n  - logreg: {C: [1.0], max_iter: 100}\n"
                                "  - knn: {k: [5, 9]}\nsamplers:\n  - none\n"
                                "  - smote: {k: 3, ratio: 1.0}\n",
                  NULL, 0));
    /* C: the same spec as A, but another cv seed */
    free(run_spec("c", CLI_DATA CLI_GRID "cv: {folds: 5, seed: 7}\n", NULL, 0));
    char args[1200];
    snprintf(args, sizeof args, "compare %s/a %s/b --html %s/ab.html", dir, dir, dir);
    char *out = NULL, *err = NULL;
    ck_assert_msg(th_run_leadlab(args, &out, &err) == 0, "%s", err);
    free(err);
    ck_assert_msg(strstr(out, "The folds are the same") &&
                      strstr(out, "corrected resampled t-test on the paired per-fold F1") &&
                      strstr(out, "4 rows in both, 2 only in A, 2 only in B"),
                  "%s", out);
    /* identical cells in both runs: ΔF1 0 and p = 1, every metric's delta beside it */
    ck_assert_msg(strstr(out, "| logreg(C=1.0) | none |") &&
                      strstr(out, "| 0.000 | p = 1.000 | 0.000 |"),
                  "%s", out);
    ck_assert_msg(strstr(out, "ΔPR-AUC") && strstr(out, "ΔMCC"), "%s", out);
    ck_assert_msg(strstr(out, "Only in A (2):") && strstr(out, "`logreg(C=0.1,max_iter=100) | none`") &&
                      strstr(out, "Only in B (2):") && strstr(out, "`knn(k=9) | smote(k=3,ratio=1.0)`"),
                  "%s", out);
    free(out);
    char path[600];
    snprintf(path, sizeof path, "%s/ab.html", dir);
    char *html = th_read_file(path);
    ck_assert_msg(html && strstr(html, "<svg id=\"chart-compare\"") &&
                      strstr(html, "id=\"only\"") && !strstr(html, "<script"),
                  "%s", html ? html : "(no ab.html)");
    free(html);
    snprintf(args, sizeof args, "compare %s/a %s/c", dir, dir);
    ck_assert_int_eq(th_run_leadlab(args, &out, NULL), 0);
    ck_assert_msg(strstr(out, "The folds differ") && strstr(out, "Welch") &&
                      strstr(out, "6 rows in both, 0 only in A, 0 only in B") && strstr(out, "p = "),
                  "%s", out);
    ck_assert_ptr_null(strstr(out, "paired per-fold"));
    free(out);
}
END_TEST

START_TEST(reruns_leave_no_stale_files)
{
    const char *spec = CLI_DATA "models: [logreg]\noutput: {predictions: true}\n";
    free(run_spec("stale", spec, NULL, 0));
    char folder[600];
    snprintf(folder, sizeof folder, "%s/stale", dir);
    char path[700];
    th_write_file(folder, "notes.txt", "mine\n", path, sizeof path);
    th_write_file(folder, "leaderboard.md.tmp.999999", "half a file\n", path, sizeof path);
    const char *all[] = {"leaderboard.md", "leaderboard.csv", "cells.csv", "folds.csv",
                         "predictions.csv", "run.json", "report.html", "synthetic_train.csv"};
    for (size_t i = 0; i < 8; i++)
        ck_assert_msg(exists(folder, all[i]), "first run: no %s", all[i]);
    /* fewer formats, no predictions: what is no longer produced goes, the rest is rewritten */
    free(run_spec("stale", spec, "--set 'output.formats=[md]' --set output.predictions=false", 0));
    const char *gone[] = {"leaderboard.csv", "cells.csv", "folds.csv", "predictions.csv",
                          "run.json", "leaderboard.md.tmp.999999"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(!exists(folder, gone[i]), "stale %s left behind", gone[i]);
    const char *kept[] = {"leaderboard.md", "report.html", "notes.txt", "results.db",
                          "synthetic_train.csv"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_msg(exists(folder, kept[i]), "%s removed", kept[i]);
    char *manifest = read_in(folder, ".outputs");
    ck_assert_msg(strstr(manifest, "\nleaderboard.md\n") && strstr(manifest, "\nreport.html\n") &&
                      !strstr(manifest, "cells.csv"),
                  "%s", manifest);
    free(manifest);
}
END_TEST

START_TEST(failed_cells_are_said_at_the_top)
{
    char *out = run_spec("failing", CLI_DATA "plugin_path: [" LL_TEST_FIXTURE_PLUGIN_DIR "]\n"
                                             "models:\n  - flaky: {mode: [ok, error]}\n",
                         NULL, 1);
    free(out);
    char folder[600];
    snprintf(folder, sizeof folder, "%s/failing", dir);
    char *html = read_in(folder, "report.html");
    char *banner = strstr(html, "id=\"failures\"");
    char *board = strstr(html, "id=\"leaderboard\"");
    ck_assert_msg(banner && board && banner < board, "no failure banner above the leaderboard");
    ck_assert_ptr_nonnull(strstr(html, "5 of 10 cells failed"));
    ck_assert_ptr_nonnull(strstr(html, "FAILED 5 of 5 folds"));
    free(html);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *unit = tcase_create("unit");
    tcase_add_checked_fixture(unit, setup, NULL);
    tcase_add_test(unit, curves_match_scikit_learn);
    tcase_add_test(unit, curves_skip_unscored_rows_and_agree_on_a_large_sample);
    tcase_add_test(unit, scales_and_ticks);
    tcase_add_test(unit, svg_escapes_and_thins_curves);
    tcase_add_test(unit, short_labels_keep_what_varies);
    tcase_add_test(unit, welch_and_metric_names);
    tcase_add_test(unit, manifest_removes_only_what_leadlab_wrote);
    tcase_add_test(unit, partial_run_page_says_so);
    suite_add_tcase(s, unit);
    TCase *cli = tcase_create("cli");
    tcase_set_timeout(cli, 0);
    tcase_add_checked_fixture(cli, setup, NULL);
    tcase_add_test(cli, csv_parameter_columns_and_short_labels);
    tcase_add_test(cli, sort_by_another_metric);
    tcase_add_test(cli, sort_by_brier_and_top_k_columns);
    tcase_add_test(cli, show_fits_the_width);
    tcase_add_test(cli, compare_pairs_same_folds_only);
    tcase_add_test(cli, reruns_leave_no_stale_files);
    tcase_add_test(cli, failed_cells_are_said_at_the_top);
    suite_add_tcase(s, cli);
    return th_run_suite(s);
}
