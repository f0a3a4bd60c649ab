/* End-to-end tests of time-ordered validation (cv: {method: time, column, folds | holdout}):
 * the data's mistakes are refused in one line, runs are identical at 1 and 2 threads, the
 * outputs show that no fold trains on a later day than it tests, the nested selection stays
 * inside each outer fold's training rows, and switching the method reruns the cells. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

enum { SPREAD, LATE, EARLY, ONE_DAY };

/* 60 rows, row i dated 2021-01-01 + i days (all on 2021-01-01 for ONE_DAY). Positives: every
 * fifth row (SPREAD, ONE_DAY), every third of the last 30 (LATE), every fourth of the first 40
 * (EARLY). `bad_row` >= 0 gets `bad_date` as its date. */
static void write_dated_csv(int positives, int bad_row, const char *bad_date)
{
    char text[8192];
    size_t len = (size_t)snprintf(text, sizeof text, "id,created_at,score,buy\n");
    for (int i = 0; i < 60; i++) {
        int pos = positives == LATE    ? i >= 30 && i % 3 == 0
                  : positives == EARLY ? i < 40 && i % 4 == 0
                                       : i % 5 == 0;
        char date[16];
        ll_format_date(ll_days_from_civil(2021, 1, 1) + (positives == ONE_DAY ? 0 : i), date,
                       sizeof date);
        len += (size_t)snprintf(text + len, sizeof text - len, "%d,%s,%d,%d\n", i,
                                i == bad_row ? bad_date : date, pos ? 3 + i % 3 : i % 4, pos);
    }
    char path[512];
    th_write_file(dir, "train.csv", text, path, sizeof path);
}

/* Writes spec.yaml with `cv` on its line 4, and checks that both run and validate refuse it
 * with exit 2 and one line containing `needle`. */
static void expect_refused(const char *cv, const char *needle)
{
    char spec[1024], path[512], args[1024];
    snprintf(spec, sizeof spec,
             "data: {train: train.csv, target: buy, id: id}\nfeatures: {drop: [created_at]}\n"
             "models: [logreg]\ncv: %s\noutput: {dir: out}\n", cv);
    th_write_file(dir, "spec.yaml", spec, path, sizeof path);
    for (int validate = 0; validate < 2; validate++) {
        snprintf(args, sizeof args, "%s %s", validate ? "validate" : "run", path);
        th_assert_refused(args, needle);
    }
}

#define FOLDS3 "{method: time, column: created_at, folds: 3}"

START_TEST(data_mistakes_are_refused)
{
    write_dated_csv(SPREAD, -1, NULL);
    expect_refused("{method: time, column: made_at, folds: 3}",
                   "column named in the spec not found: 'made_at' (cv.column)");
    /* created_at is dropped from the features: only the order column reads it */
    write_dated_csv(SPREAD, 2, "2021-13-01");
    expect_refused(FOLDS3, "train.csv:4: column 'created_at': '2021-13-01' is not a YYYY-MM-DD "
                           "date (cv.column orders the rows by it)");
    write_dated_csv(SPREAD, 3, "");
    expect_refused(FOLDS3, "train.csv:5: column 'created_at': missing date (cv.column orders "
                           "the rows by it: every row needs one)");
    /* 3 folds: 4 blocks of 15 days, the first Jan 1-15, the last Feb 15 - Mar 1 (day 59) */
    write_dated_csv(LATE, -1, NULL);
    expect_refused(FOLDS3, "spec.yaml:4:47: cv.folds: fold 0 trains on 15 rows dated 2021-01-01 "
                           ".. 2021-01-15, which hold no positive: use fewer folds");
    write_dated_csv(EARLY, -1, NULL);
    expect_refused(FOLDS3, "spec.yaml:4:47: cv.folds: fold 2 tests on 15 rows dated 2021-02-15 "
                           ".. 2021-03-01, which hold no positive (F1 is undefined): use fewer "
                           "folds");
    /* holdout 0.25: the latest ceil(15) = 15 rows, the same days */
    expect_refused("{method: time, column: created_at, holdout: 0.25}",
                   "spec.yaml:4:49: cv.holdout: fold 0 tests on 15 rows dated 2021-02-15 .. "
                   "2021-03-01, which hold no positive (F1 is undefined): use a larger "
                   "holdout");
    write_dated_csv(ONE_DAY, -1, NULL);
    expect_refused(FOLDS3, "spec.yaml:4:47: cv.folds: 60 rows cannot make 4 blocks of whole "
                           "days of about 15 rows: 2021-01-01 alone has 60 rows");
}
END_TEST

/* The synthetic table (created_at spans 2021) with a tuned cut, two models and the nested
 * selection, on time-ordered folds given by `cv`. */
static void write_synth_spec(const char *cv)
{
    char spec[1024], path[512];
    snprintf(spec, sizeof spec,
             "data: {synth: {rows: 3000, seed: 3}, target: buy, id: id}\n"
             "features: {drop: [signup_date], columns: {products_purchased: {fill: 0}, "
             "created_at: {date: [month]}}}\n"
             "models:\n  - logreg\n  - sgb: {n_estimators: 20}\n"
             "threshold: {tune: f1, folds: 3}\nselect: {metric: f1, inner_folds: 3}\n"
             "cv: %s\nimportances: none\noutput: {dir: out}\n", cv);
    th_write_file(dir, "spec.yaml", spec, path, sizeof path);
}

/* leadlab run spec.yaml ARGS: exit 0, and stdout's "N cells run, M reused" summary. */
static void run_ok(const char *extra, size_t *ran, size_t *reused)
{
    char args[1024];
    snprintf(args, sizeof args, "run %s/spec.yaml %s", dir, extra);
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", args, rc, err ? err : "");
    const char *at = out ? strstr(out, " cells run, ") : NULL;
    ck_assert_msg(at, "%s: no summary in: %s", args, out ? out : "");
    while (at > out && at[-1] >= '0' && at[-1] <= '9')
        at--;
    ck_assert_int_eq(sscanf(at, "%zu cells run, %zu reused", ran, reused), 2);
    free(out);
    free(err);
}

static char *read_out(const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/out/%s", dir, name);
    char *text = th_read_file(path);
    ck_assert_msg(text != NULL, "missing %s", path);
    return text;
}

/* leaderboard.csv without its two timing columns (fit_seconds, predict_seconds), the only
 * ones that differ between two runs of the same cells. */
static char *without_timings(char *csv)
{
    char *first = strchr(csv, '\n');
    ck_assert_ptr_nonnull(first);
    size_t drop[2] = {0, 0}, column = 0;
    for (char *p = csv; p < first; p++)
        if (*p == ',') {
            column++;
            if (!strncmp(p + 1, "fit_seconds,", 12))
                drop[0] = column;
            if (!strncmp(p + 1, "predict_seconds,", 16))
                drop[1] = column;
        }
    ck_assert(drop[0] && drop[1]);
    char *out = malloc(strlen(csv) + 1), *w = out;
    ck_assert_ptr_nonnull(out);
    column = 0;
    int quoted = 0;
    for (char *p = csv; *p; p++) {
        int kept = column != drop[0] && column != drop[1];
        if (*p == '"')
            quoted = !quoted;
        if (*p == '\n') {
            column = 0;
            *w++ = '\n';
            continue;
        }
        if (*p == ',' && !quoted) {
            column++;
            if (kept)
                *w++ = ',';
            continue;
        }
        if (kept)
            *w++ = *p;
    }
    *w = '\0';
    free(csv);
    return out;
}

/* From folds.csv (row,id,y,repeat,fold,created_at), predictions.csv (row,id,y,repeat,fold,
 * then a score per config) and cells.csv: for every fold f, every row that fold f trains on (an
 * empty fold: the earliest block, or a fold before f) is dated before every row it tests, and
 * each of its cells trained on exactly those rows and tested the rows of fold f; a row has
 * scores exactly when it has a fold. Returns how many folds it saw. */
static size_t check_time_order(void)
{
    enum { MAX_ROWS = 4000, MAX_FOLDS = 8 };
    char *folds = read_out("folds.csv"), *preds = read_out("predictions.csv");
    ck_assert_msg(!strncmp(folds, "row,id,y,repeat,fold,created_at\n", 32), "%.60s", folds);
    static int fold_of[MAX_ROWS];
    static char date_of[MAX_ROWS][11];
    size_t n = 0, n_folds = 0;
    char *save = NULL;
    for (char *line = strtok_r(strchr(folds, '\n') + 1, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), n++) {
        char *f[8];
        ck_assert_uint_eq(th_split_fields(line, f, 8), 6);
        ck_assert_uint_lt(n, MAX_ROWS);
        fold_of[n] = *f[4] ? atoi(f[4]) : -1;
        snprintf(date_of[n], sizeof date_of[n], "%s", f[5]);
        if (fold_of[n] + 1 > (int)n_folds)
            n_folds = (size_t)fold_of[n] + 1;
    }
    ck_assert_uint_le(n_folds, MAX_FOLDS);
    for (size_t f = 0; f < n_folds; f++) {
        const char *train_last = "0000-00-00", *test_first = "9999-99-99";
        for (size_t i = 0; i < n; i++) {
            if (fold_of[i] == (int)f && strcmp(date_of[i], test_first) < 0)
                test_first = date_of[i];
            if (fold_of[i] < (int)f && strcmp(date_of[i], train_last) > 0)
                train_last = date_of[i];
        }
        ck_assert_msg(strcmp(train_last, test_first) < 0, "fold %zu trains up to %s and tests "
                      "from %s", f, train_last, test_first);
    }
    size_t i = 0;
    save = NULL;
    for (char *line = strtok_r(strchr(preds, '\n') + 1, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), i++) {
        char *f[9];
        /* 5 fixed columns, 2 configs and the selection's own scores */
        ck_assert_uint_eq(th_split_fields(line, f, 9), 8);
        ck_assert_int_eq(*f[4] ? atoi(f[4]) : -1, fold_of[i]);
        for (int c = 5; c < 8; c++)
            ck_assert_msg((*f[c] != '\0') == (fold_of[i] >= 0), "row %zu: fold '%s', score '%s'",
                          i, f[4], f[c]);
    }
    ck_assert_uint_eq(i, n);
    size_t n_train[MAX_FOLDS] = {0}, n_test[MAX_FOLDS] = {0}, cells = 0;
    for (size_t f = 0; f < n_folds; f++)
        for (size_t r = 0; r < n; r++) {
            n_train[f] += fold_of[r] < (int)f;
            n_test[f] += fold_of[r] == (int)f;
        }
    char *cells_csv = read_out("cells.csv");
    save = NULL;
    for (char *line = strtok_r(strchr(cells_csv, '\n') + 1, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), cells++) {
        char *f[16]; /* config,sampler,repeat,fold,status,seed,train_rows,...,test_rows (10) */
        ck_assert_uint_ge(th_split_fields(line, f, 16), 11);
        size_t fold = strtoul(f[3], NULL, 10);
        ck_assert_uint_lt(fold, n_folds);
        ck_assert_str_eq(f[4], "ok");
        ck_assert_uint_eq(strtoul(f[6], NULL, 10), n_train[fold]);
        ck_assert_uint_eq(strtoul(f[10], NULL, 10), n_test[fold]);
    }
    ck_assert_uint_eq(cells, 2 * n_folds);
    free(cells_csv);
    free(folds);
    free(preds);
    return n_folds;
}

/* Each run is --fresh (a rerun would reuse every cell and compare the store with itself); the
 * command line is part of leaderboard.md and -j is not in it. */
static void expect_same_at_one_and_two_threads(void)
{
    const char *files[] = {"leaderboard.md", "leaderboard.csv", "predictions.csv", "folds.csv"};
    char *first[4] = {0};
    for (int threads = 1; threads <= 2; threads++) {
        char extra[32];
        size_t ran, reused;
        snprintf(extra, sizeof extra, "-j %d --fresh", threads);
        run_ok(extra, &ran, &reused);
        ck_assert_uint_eq(reused, 0);
        for (int f = 0; f < 4; f++) {
            char *text = read_out(files[f]);
            if (f == 1)
                text = without_timings(text);
            if (threads == 1) {
                first[f] = text;
                continue;
            }
            ck_assert_msg(!strcmp(first[f], text), "%s differs between -j 1 and -j 2", files[f]);
            free(text);
        }
    }
    for (int f = 0; f < 4; f++)
        free(first[f]);
}

START_TEST(identical_at_one_and_two_threads_and_never_trained_on_the_future)
{
    write_synth_spec(FOLDS3);
    expect_same_at_one_and_two_threads();
    ck_assert_uint_eq(check_time_order(), 3);
    char *md = read_out("leaderboard.md");
    ck_assert_msg(strstr(md, "CV: 3 forward-chaining folds by created_at (train on earlier rows "
                             "only), seed 42."), "%.400s", md);
    ck_assert_msg(strstr(md, "| fold | trains on | rows | positives | tests on | rows | "
                             "positives |"), "%.800s", md);
    ck_assert_ptr_nonnull(strstr(md, "**selected (nested)**"));
    free(md);

    write_synth_spec("{method: time, column: created_at, holdout: 0.2}");
    expect_same_at_one_and_two_threads();
    ck_assert_uint_eq(check_time_order(), 1);
    md = read_out("leaderboard.md");
    ck_assert_msg(strstr(md, "CV: final-period holdout: the latest 20 % of rows by created_at"),
                  "%.400s", md);
    ck_assert_ptr_nonnull(strstr(md, "One cell per row (a holdout): no sd, and no significance "
                                     "test."));
    free(md);
}
END_TEST

static int keep_none(const ll_cell *cell)
{
    (void)cell;
    return 0;
}

/* The plan of a forward-chaining run with the nested selection: every inner cell tests and
 * trains only on its outer fold's training rows (so never on a row from the outer test fold,
 * and never on a day after it), and its inner folds test each of those rows once. */
START_TEST(nested_selection_stays_inside_the_outer_training_rows)
{
    char path[512], spec[1024];
    ll_error err;
    snprintf(path, sizeof path, "%s/synth.csv", dir);
    ck_assert_msg(ll_synth_write(path, 2000, 5, &err) == 0, "%s", err.msg);
    snprintf(spec, sizeof spec,
             "data: {train: synth.csv, target: buy, id: id}\n"
             "features: {drop: [created_at, signup_date], columns: {products_purchased: "
             "{fill: 0}}}\nmodels: [logreg]\nselect: {metric: f1, inner_folds: 3}\n"
             "cv: {method: time, column: created_at, folds: 4}\n");
    th_write_file(dir, "spec.yaml", spec, path, sizeof path);
    th_held_run held;
    th_held_run_cells(path, keep_none, NULL, &held);
    const ll_run_result *run = &held.run;
    ck_assert_int_eq(run->forward, 1);
    ck_assert_uint_eq(run->inner_folds, 3);
    size_t checked = 0;
    for (size_t c = 0; c < run->n_cells; c++) {
        const ll_cell *inner = &run->cells[c];
        if (!inner->inner)
            continue;
        ll_split in = ll_plan_split(run, inner);
        ll_split out = ll_plan_outer_split(run, inner->repeat, inner->fold);
        ck_assert_int_eq(in.forward, 0); /* the inner folds are stratified */
        size_t n_test = 0, n_outer_train = 0;
        for (size_t i = 0; i < run->n_rows; i++) {
            int outer_train = ll_split_is_train(&out, i);
            n_outer_train += outer_train;
            if (ll_split_is_test(&in, i) || ll_split_is_train(&in, i))
                ck_assert_msg(outer_train, "inner fold %u of outer fold %u uses row %zu, which "
                              "the outer fold does not train on", inner->inner - 1, inner->fold, i);
            ck_assert(!(ll_split_is_test(&in, i) && ll_split_is_test(&out, i)));
            n_test += ll_split_is_test(&in, i);
        }
        ck_assert_uint_gt(n_test, 0);
        ck_assert_uint_lt(n_test, n_outer_train);
        checked++;
    }
    ck_assert_uint_eq(checked, 4 * 3);
    /* every outer training row is tested by exactly one inner fold */
    for (uint32_t f = 0; f < 4; f++) {
        ll_split out = ll_plan_outer_split(run, 0, f);
        const uint32_t *inner = run->inner_fold_of_row + f * run->n_rows;
        for (size_t i = 0; i < run->n_rows; i++)
            ck_assert_int_eq(inner[i] < 3, ll_split_is_train(&out, i));
    }
    th_held_run_free(&held);
}
END_TEST

/* The method, column and holdout enter the cell keys: a rerun reuses every cell, another
 * method reruns them all. `show` reads the stored run's t-test ratio back, so its p-value is
 * the leaderboard's. */
START_TEST(switching_the_method_reruns_the_cells)
{
    char spec[1024], path[512];
    snprintf(spec, sizeof spec,
             "data: {synth: {rows: 2000, seed: 3}, target: buy, id: id}\n"
             "features: {drop: [created_at, signup_date], columns: {products_purchased: "
             "{fill: 0}}}\nmodels: [{logreg: {C: [0.01, 1]}}]\n"
             "cv: {method: time, column: created_at, folds: 3}\nimportances: none\n"
             "output: {dir: out}\n");
    th_write_file(dir, "spec.yaml", spec, path, sizeof path);
    size_t ran, reused;
    run_ok("-j 2", &ran, &reused);
    ck_assert_uint_eq(ran, 6);
    run_ok("-j 2", &ran, &reused);
    ck_assert_uint_eq(ran, 0);
    ck_assert_uint_eq(reused, 6);

    /* show's p of the second row is the leaderboard's (the folds' mean test/train ratio) */
    char args[600], *out = NULL, *md = read_out("leaderboard.md");
    snprintf(args, sizeof args, "show %s/out", dir);
    ck_assert_int_eq(th_run_leadlab(args, &out, NULL), 0);
    const char *p_md = strstr(md, "| p = ");
    ck_assert_msg(p_md, "%s", md);
    char p[16];
    snprintf(p, sizeof p, "p=%.5s", p_md + 6);
    ck_assert_msg(strstr(out, p), "leaderboard.md has %s, show: %s", p, out);
    ck_assert_ptr_nonnull(strstr(md, "with the folds' mean test/train ratio"));
    free(out);
    free(md);

    run_ok("-j 2 --set 'cv={folds: 3}'", &ran, &reused); /* the same folds count, stratified */
    ck_assert_uint_eq(ran, 6);
    ck_assert_uint_eq(reused, 0);
    run_ok("-j 2 --set 'cv={method: time, column: created_at, holdout: 0.25}'", &ran, &reused);
    ck_assert_uint_eq(ran, 2);
    ck_assert_uint_eq(reused, 0);
    run_ok("-j 2", &ran, &reused); /* back to forward chaining: every cell is in the store */
    ck_assert_uint_eq(ran, 0);
    ck_assert_uint_eq(reused, 6);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("time_cv");
    TCase *tc = tcase_create("time_cv");
    tcase_set_timeout(tc, 0);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, data_mistakes_are_refused);
    tcase_add_test(tc, identical_at_one_and_two_threads_and_never_trained_on_the_future);
    tcase_add_test(tc, nested_selection_stays_inside_the_outer_training_rows);
    tcase_add_test(tc, switching_the_method_reruns_the_cells);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
