/* Tests of `leadlab init`: the role of each kind of column in tables made here, the target's
 * checks, the refusals on --out, and that the written spec validates and runs end to end (on
 * the real lead data too, in the real_data TCase). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "harness.h"
#include "init.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

static void date_text(long days, char *buf, size_t cap)
{
    int y, m, d;
    ll_civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02d", y, m, d);
}

/* 60 rows with one column of every kind; buy = 1 in every fifth row (12 positives). */
static const char *write_roles_csv(char *path, size_t cap)
{
    static char text[32768];
    size_t len = (size_t)snprintf(text, sizeof text,
                                  "id,lead_ref,store_id,score,code,visits,wide,flag,created,"
                                  "signup,note,empty,const,tier,buy\n");
    long start = ll_days_from_civil(2020, 3, 1);
    static const int wide[] = {1, 10, 100, 1000, 10000};
    for (int i = 0; i < 60; i++) {
        char created[16], signup[16];
        date_text(start + i + 45, created, sizeof created); /* always 45 days after signup */
        date_text(start + i, signup, sizeof signup);
        len += (size_t)snprintf(
            text + len, sizeof text - len, "%d,L%03d,%d,%s,%d,%d,%d,%s,%s,%s,hello %d,,3,%s,%d\n",
            i + 1, i, i / 2 + 1, i % 10 == 3 ? "" : i < 30 ? "1.5" : "2.5", (int[]){1, 2, 5}[i % 3],
            i < 40 ? 0 : i < 55 ? 1 : 2, wide[i % 5], i % 15 == 0 ? "NA" : i % 2 ? "1" : "0",
            created, i % 6 == 0 ? "" : signup, i % 7,
            i % 9 == 4 ? "" : (const char *[]){"1", "2", "3", "4"}[i % 4], i % 5 == 0);
    }
    return th_write_file(dir, "train.csv", text, path, cap);
}

static char *init_ok(const char *data, const char *target, const char *positive,
                     const char *name)
{
    char out[512];
    snprintf(out, sizeof out, "%s/%s", dir, name);
    ll_init_options o = {.data = data, .target = target, .positive = positive, .out = out,
                         .threads = 2};
    ll_init_summary sum;
    ll_error err;
    ck_assert_msg(ll_init_spec(&o, &sum, &err) == 0, "init failed: %s", err.msg);
    char *spec = th_read_file(out);
    ck_assert_ptr_nonnull(spec);
    return spec;
}

static void expect_line(const char *spec, const char *line)
{
    ck_assert_msg(strstr(spec, line) != NULL, "expected '%s' in the spec:\n%s", line, spec);
}

START_TEST(every_column_gets_its_role)
{
    char path[512];
    write_roles_csv(path, sizeof path);
    char *spec = init_ok(path, "buy", NULL, "spec.yaml");
    expect_line(spec, "# Class balance: 60 rows, 12 positive (20.0 %), 48 negative.\n");
    expect_line(spec, "  train: train.csv\n");
    expect_line(spec, "  positive: \"1\"  # the values are 0 and 1: 1 is the positive class\n");
    expect_line(spec, "  id: id  #");
    /* the second id-like column, an id-named key that repeats, text, all-missing, constant */
    expect_line(spec, "    # unique per row like an id; only one id is kept (id)\n"
                      "    - lead_ref\n");
    expect_line(spec, "    # named like an id but not unique (30 distinct values)");
    expect_line(spec, "    - store_id\n");
    expect_line(spec, "    # text: 'hello 0' (line 2) is neither a number nor a YYYY-MM-DD date; "
                      "7 distinct values");
    expect_line(spec, "    - note\n");
    expect_line(spec, "    # every value is missing\n    - empty\n");
    expect_line(spec, "    # constant: every value is 3\n    - const\n");
    /* numbers with missing values: the median and the flag; a 0/1 flag: 0 */
    expect_line(spec, "; 10.0 % missing (6 rows), flagged in score_missing\n"
                      "    score: {fill: 2, missing_flag: true}\n");
    expect_line(spec, "; 6.7 % missing (4 rows), flagged in flag_missing\n"
                      "    flag: {fill: 0, missing_flag: true}\n");
    /* integer codes; a count-like column and a wide one stay numbers */
    expect_line(spec, "    # 3 integer codes: one-hot proposed");
    expect_line(spec, "    code: {onehot: [1, 2, 5]}\n");
    /* codes with missing values: no fill (a missing code sets no indicator), the flag */
    expect_line(spec, "; 11.7 % missing (7 rows), flagged in tier_missing (a missing code sets "
                      "no indicator)\n    tier: {onehot: [1, 2, 3, 4], missing_flag: true}\n");
    ck_assert_ptr_null(strstr(spec, "    visits:"));
    ck_assert_ptr_null(strstr(spec, "    wide:"));
    expect_line(spec, "  # read as numbers as they are (z-scored in each fold): visits wide\n");
    /* dates in one year: no year part; the later column first in the file, derived the other
     * way round; signup misses in 10 rows, so the difference needs its median (45) */
    expect_line(spec, "    created: {date: [month, dayofweek]}\n");
    expect_line(spec, "; 16.7 % missing (10 rows), flagged in signup_missing\n"
                      "    signup: {date: [month, dayofweek], fill: 0, missing_flag: true}\n");
    expect_line(spec, "    days_signup_to_created: {days_between: [signup, created], fill: 45}\n");
    /* the study */
    expect_line(spec, "cv: {folds: 5, repeats: 1, seed: 42}");
    expect_line(spec, "threshold: {tune: f1, folds: 3, fixed: 0.5}");
    expect_line(spec, "metrics: [f1, pr_auc, brier, {recall_at: 0.1}, {lift_at: 0.1}]");
    expect_line(spec, "preprocess: {scale: zscore}");
    expect_line(spec, "output: {dir: results/spec}\n");
    expect_line(spec, "# 13 configs x 3 samplers x 5 folds = 195 cells; about ");
    free(spec);

    char args[1024];
    snprintf(args, sizeof args, "validate %s/spec.yaml", dir);
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == 0, "validate: exit %d: %s", rc, err);
    ck_assert_msg(strstr(out, "60 rows, 12 positives") && strstr(out, "models (13 configs)") &&
                      strstr(out, "= 195"), "%s", out);
    /* the derived column and the flags are features */
    ck_assert_msg(strstr(out, " days_signup_to_created") && strstr(out, " signup_missing") &&
                      strstr(out, " code=5") && strstr(out, " tier_missing") &&
                      !strstr(out, " note"), "%s", out);
    free(out);
    free(err);
}
END_TEST

START_TEST(one_date_column_derives_nothing)
{
    char text[4096], path[512];
    size_t len = (size_t)snprintf(text, sizeof text, "x,day,y\n");
    for (int i = 0; i < 40; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d.5,2021-%02d-%02d,%d\n", i,
                                1 + i % 12, 1 + i % 28, i % 4 == 0);
    th_write_file(dir, "one.csv", text, path, sizeof path);
    char *spec = init_ok(path, "y", NULL, "one.yaml");
    expect_line(spec, "    day: {date: [month, dayofweek]}\n");
    ck_assert_ptr_null(strstr(spec, "derived:"));
    ck_assert_ptr_null(strstr(spec, "  id:"));   /* unique reals are no id */
    ck_assert_ptr_null(strstr(spec, "    x:"));   /* a plain number, untouched */
    expect_line(spec, "name: one\n");
    free(spec);
}
END_TEST

/* 4 positives: 4 folds, each training fold with 3, too few to tune the cut on inner folds,
 * and SMOTE with k = 2; the spec must run as written. */
START_TEST(few_positives_shrink_the_study)
{
    char text[4096], path[512];
    size_t len = (size_t)snprintf(text, sizeof text, "x,z,y\n");
    for (int i = 0; i < 40; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d.5,%d.25,%d\n", i % 9,
                                (i * 7) % 11, i % 10 == 0);
    th_write_file(dir, "few.csv", text, path, sizeof path);
    char *spec = init_ok(path, "y", NULL, "few.yaml");
    expect_line(spec, "cv: {folds: 4, repeats: 1, seed: 42}");
    expect_line(spec, "threshold: 0.5  #");
    expect_line(spec, "  - smote: {k: 2, ratio: 1.0}  #");
    expect_line(spec, "# 13 configs x 3 samplers x 4 folds = 156 cells");
    expect_line(spec, "# features: none needs a transform\n");
    free(spec);
    char args[1024];
    snprintf(args, sizeof args, "run %s/few.yaml -j 2 --set 'models=[logreg]'", dir);
    char *err = NULL;
    int rc = th_run_leadlab(args, NULL, &err);
    ck_assert_msg(rc == 0, "run: exit %d: %s", rc, err);
    free(err);
}
END_TEST

static void expect_refused(const char *csv, const char *target, const char *positive,
                           const char *needle)
{
    char path[512], out[512];
    th_write_file(dir, "bad.csv", csv, path, sizeof path);
    snprintf(out, sizeof out, "%s/bad.yaml", dir);
    ll_init_options o = {.data = path, .target = target, .positive = positive, .out = out};
    ll_init_summary sum;
    ll_error err;
    ck_assert_int_eq(ll_init_spec(&o, &sum, &err), -1);
    ck_assert_msg(strstr(err.msg, needle) && !strchr(err.msg, '\n'), "expected '%s' in: %s",
                  needle, err.msg);
    ck_assert_msg(access(out, F_OK) != 0, "a refused init wrote %s", out);
}

START_TEST(the_target_must_have_two_values)
{
    expect_refused("x,y\n1,0\n2,1\n3,2\n4,1\n", "y",
                   NULL, "bad.csv:4: column 'y': a third value '2' besides '0' and '1'");
    expect_refused("x,y\n1,a\n2,a\n", "y", NULL, "bad.csv: column 'y': one value only ('a')");
    expect_refused("x,y\n1,0\n2,\n3,1\n", "y", NULL, "bad.csv:3: column 'y': missing label");
    expect_refused("x,y\n1,0\n2,1\n", "label", NULL, "bad.csv: --target: no column 'label'");
    expect_refused("x,y\n1,0\n2,1\n3,0\n4,0\n", "y", NULL,
                   "1 row of one class: cross-validation needs at least 2 of each");
    expect_refused("x,y\n1,no\n2,yes\n3,no\n", "y", "maybe",
                   "--positive 'maybe' is not one of its values ('no', 'yes')");
    /* the dataset reader's own errors keep their file and line */
    expect_refused("x,y\n1,0\n2,1,3\n", "y", NULL, "bad.csv:3:");
}
END_TEST

START_TEST(positive_label_given_or_inferred)
{
    char text[4096], path[512];
    size_t len = (size_t)snprintf(text, sizeof text, "x,outcome\n");
    for (int i = 0; i < 50; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d.25,%s\n", i * 3 % 17,
                                i % 5 == 0 ? "won" : "lost");
    th_write_file(dir, "words.csv", text, path, sizeof path);
    char *spec = init_ok(path, "outcome", NULL, "inferred.yaml");
    expect_line(spec, "  positive: \"won\"  # inferred: the minority value (10 of 50 rows; the "
                      "other is 'lost'); --positive V chooses\n");
    free(spec);
    spec = init_ok(path, "outcome", "lost", "given.yaml");
    expect_line(spec, "  positive: \"lost\"  # given with --positive; the other value is 'won'\n");
    expect_line(spec, "40 positive (80.0 %)");
    free(spec);
    /* 1.0/0.0 are the values 0 and 1 */
    len = (size_t)snprintf(text, sizeof text, "x,y\n");
    for (int i = 0; i < 50; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d.5,%s\n", i % 13,
                                i % 3 ? "0.0" : "1.0");
    th_write_file(dir, "reals.csv", text, path, sizeof path);
    spec = init_ok(path, "y", NULL, "reals.yaml");
    expect_line(spec, "  positive: \"1\"  # the values are 0 and 1");
    free(spec);
}
END_TEST

START_TEST(out_is_never_overwritten_unasked)
{
    char path[512], out[512];
    write_roles_csv(path, sizeof path);
    snprintf(out, sizeof out, "%s/spec.yaml", dir);
    char args[2048];
    snprintf(args, sizeof args, "init %s --target buy --out %s", path, out);
    char *err = NULL;
    ck_assert_int_eq(th_run_leadlab(args, NULL, &err), 0);
    ck_assert_msg(strstr(err, "wrote") && strstr(err, "195 cells"), "%s", err);
    free(err);
    th_write_file(dir, "spec.yaml", "mine\n", out, sizeof out);
    ck_assert_int_eq(th_run_leadlab(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "spec.yaml exists; --force overwrites it") &&
                      strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
    free(err);
    char *kept = th_read_file(out);
    ck_assert_str_eq(kept, "mine\n");
    free(kept);
    snprintf(args, sizeof args, "init %s --target buy --out %s --force", path, out);
    ck_assert_int_eq(th_run_leadlab(args, NULL, NULL), 0);
    kept = th_read_file(out);
    ck_assert_ptr_nonnull(strstr(kept, "models:"));
    free(kept);
    /* the data file, even with --force */
    snprintf(args, sizeof args, "init %s --target buy --out %s --force", path, path);
    ck_assert_int_eq(th_run_leadlab(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "is the data file"), "%s", err);
    free(err);
    kept = th_read_file(path);
    ck_assert_ptr_nonnull(strstr(kept, "id,lead_ref"));
    free(kept);
    /* a folder that does not exist */
    snprintf(args, sizeof args, "init %s --target buy --out %s/nowhere/spec.yaml", path, dir);
    ck_assert_int_eq(th_run_leadlab(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "nowhere: No such file or directory"), "%s", err);
    free(err);
    /* usage errors */
    snprintf(args, sizeof args, "init %s", path);
    ck_assert_int_eq(th_run_leadlab(args, NULL, NULL), 2);
    ck_assert_int_eq(th_run_leadlab("init --target buy", NULL, NULL), 2);
    /* --out defaults to spec.yaml in the working folder; data.train is relative to it */
    char cwd[1024], sub[400];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(sub, sizeof sub, "%s/elsewhere", dir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    ck_assert_int_eq(chdir(sub), 0);
    snprintf(args, sizeof args, "init ../train.csv --target buy");
    int rc = th_run_leadlab(args, NULL, NULL);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(rc, 0);
    snprintf(out, sizeof out, "%s/spec.yaml", sub);
    kept = th_read_file(out);
    ck_assert_ptr_nonnull(kept);
    ck_assert_ptr_nonnull(strstr(kept, "  train: ../train.csv\n"));
    free(kept);
}
END_TEST

START_TEST(written_spec_runs_end_to_end)
{
    char path[512];
    write_roles_csv(path, sizeof path);
    char *spec = init_ok(path, "buy", NULL, "study.yaml");
    free(spec);
    char args[2048];
    snprintf(args, sizeof args, "run %s/study.yaml -j 2 --set 'models=[logreg, sgb]' "
             "--set 'samplers.smote.ratio=0.5'", dir);
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == 0, "run: exit %d: %s", rc, err);
    char board[600];
    snprintf(board, sizeof board, "%s/results/study/leaderboard.csv", dir);
    char *csv = th_read_file(board);
    ck_assert_msg(csv != NULL, "no %s; stdout: %s", board, out);
    ck_assert_ptr_nonnull(strstr(csv, "logreg"));
    ck_assert_ptr_nonnull(strstr(csv, "smote"));
    ck_assert_ptr_nonnull(strstr(csv, "undersample"));
    free(csv);
    free(out);
    free(err);
}
END_TEST

START_TEST(real_lead_data)
{
    const char *train = th_require_real_data("train.csv");
    if (!train)
        return; /* skipped: the lead data is not redistributed */
    char data[1024];
    snprintf(data, sizeof data, "%s", train);
    char *spec = init_ok(data, "buy", NULL, "lead.yaml");
    expect_line(spec, "# Class balance: 39161 rows, 1998 positive (5.1 %), 37163 negative.");
    expect_line(spec, "  id: id  #");
    expect_line(spec, "    created_at: {date: [month, dayofweek]}\n");
    expect_line(spec, "    products_purchased: {onehot: [1, 2, 3, 4], missing_flag: true}\n");
    expect_line(spec, "signup_date: {date: [year, month, dayofweek], fill: 0, missing_flag: true}");
    expect_line(spec, "days_signup_date_to_created_at: {days_between: [signup_date, created_at]");
    /* the activity counters are counts, not codes */
    ck_assert_ptr_null(strstr(spec, "    user_activity_var_1:"));
    free(spec);
    char args[2048];
    snprintf(args, sizeof args, "validate %s/lead.yaml", dir);
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == 0, "validate: exit %d: %s", rc, err);
    ck_assert_ptr_nonnull(strstr(out, "39161 rows, 1998 positives"));
    free(out);
    free(err);
    snprintf(args, sizeof args, "run %s/lead.yaml -j 2 --set 'models=[logreg]' "
             "--set samplers=[none] --set cv.folds=2", dir);
    rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == 0, "run: exit %d: %s", rc, err);
    ck_assert_ptr_nonnull(strstr(out, "logreg"));
    free(out);
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("init");
    TCase *tc = tcase_create("init");
    tcase_set_timeout(tc, 0);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, every_column_gets_its_role);
    tcase_add_test(tc, one_date_column_derives_nothing);
    tcase_add_test(tc, few_positives_shrink_the_study);
    tcase_add_test(tc, the_target_must_have_two_values);
    tcase_add_test(tc, positive_label_given_or_inferred);
    tcase_add_test(tc, out_is_never_overwritten_unasked);
    tcase_add_test(tc, written_spec_runs_end_to_end);
    suite_add_tcase(s, tc);
    TCase *real = tcase_create("real_data"); /* skipped when ../shared/data is absent */
    tcase_set_tags(real, "real_data");
    tcase_set_timeout(real, 0);
    tcase_add_checked_fixture(real, setup, NULL);
    tcase_add_test(real, real_lead_data);
    suite_add_tcase(s, real);
    return th_run_suite(s);
}
