/* Tests of `leadlab check-plugin`: every built-in plugin conforms, the broken fixture fails
 * the properties it breaks (its segmentation fault a failed check naming the signal, the
 * checker going on), a plugin built against ABI 2.0 conforms, unloadable files are one line
 * and exit 2, and aborts and hangs in a plugin fail their checks through the library. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conformance.h"
#include "harness.h"
#include "yaml_tree.h"

/* The line after `line`, or NULL at the end of the text. */
static const char *next_line(const char *line)
{
    const char *nl = strchr(line, '\n');
    return nl && nl[1] ? nl + 1 : NULL;
}

/* The first line of `text` that starts with `prefix`, or NULL. */
static const char *line_starting(const char *text, const char *prefix)
{
    for (const char *line = *text ? text : NULL; line; line = next_line(line))
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            return line;
    return NULL;
}

static size_t lines_starting(const char *text, const char *prefix)
{
    size_t k = 0;
    for (const char *line = *text ? text : NULL; line; line = next_line(line))
        k += strncmp(line, prefix, strlen(prefix)) == 0;
    return k;
}

/* Runs `leadlab check-plugin PATH EXTRA`; returns the exit status, stdout and stderr. */
static int check_plugin(const char *path, const char *extra, char **out, char **err)
{
    char args[2048];
    snprintf(args, sizeof args, "check-plugin '%s' %s", path, extra ? extra : "");
    int rc = th_run_leadlab(args, out, err);
    ck_assert_msg(*out && *err, "no output captured for %s", path);
    return rc;
}

/* The summary's counts, which must agree with the lines above it. */
static void assert_summary(const char *out, const char *name)
{
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s ", name);
    const char *summary = line_starting(out, prefix);
    ck_assert_msg(summary != NULL, "no summary line for %s:\n%s", name, out);
    size_t passed, failed, skipped;
    const char *counts = strstr(summary, "): ");
    ck_assert_msg(counts && sscanf(counts, "): %zu passed, %zu failed, %zu skipped", &passed,
                                   &failed, &skipped) == 3, "bad summary: %s", summary);
    ck_assert_uint_eq(passed, lines_starting(out, "PASS  "));
    ck_assert_uint_eq(failed, lines_starting(out, "FAIL  "));
    ck_assert_uint_eq(skipped, lines_starting(out, "SKIP  "));
}

START_TEST(built_in_plugins_conform)
{
    static const struct {
        const char *name;
        int model;
    } plugins[] = {{"none", 0}, {"smote", 0}, {"undersample", 0}, {"logreg", 1}, {"ridge", 1},
                   {"knn", 1},  {"svm", 1},   {"bagging", 1},     {"sgb", 1},    {"dnn", 1}};
    for (size_t i = 0; i < sizeof plugins / sizeof plugins[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.so", LL_TEST_PLUGIN_DIR, plugins[i].name);
        char *out, *err;
        int rc = check_plugin(path, "-j 3", &out, &err);
        ck_assert_msg(rc == 0 && !line_starting(out, "FAIL"), "%s: exit %d\n%s%s",
                      plugins[i].name, rc, out, err);
        assert_summary(out, plugins[i].name);
        /* A sampler passes every property, none skipped; a model all its run checks. */
        const char *must[] = {"PASS  parameter schema", "PASS  edge: single class in training",
                              plugins[i].model ? "PASS  probabilities in [0, 1]"
                                               : "PASS  both classes kept",
                              plugins[i].model ? "PASS  1 vs N threads, same scores"
                                               : "PASS  1 vs N threads, same output",
                              plugins[i].model ? "PASS  save/load round trip" : "PASS  resample",
                              plugins[i].model ? "PASS  truncated saves refused"
                                               : "PASS  input left untouched"};
        for (size_t k = 0; k < sizeof must / sizeof must[0]; k++)
            ck_assert_msg(line_starting(out, must[k]), "%s: no '%s' line:\n%s", plugins[i].name,
                          must[k], out);
        if (!plugins[i].model)
            ck_assert_msg(!line_starting(out, "SKIP"), "%s skipped a check:\n%s",
                          plugins[i].name, out);
        free(out);
        free(err);
    }
}
END_TEST

START_TEST(broken_plugin_fails_and_its_crash_is_one_check)
{
    char *out, *err;
    int rc = check_plugin(LL_TEST_FIXTURE_PLUGIN_DIR "/broken.so", NULL, &out, &err);
    ck_assert_msg(rc == 1, "exit %d (expected 1)\n%s%s", rc, out, err);
    const char *fails[] = {"FAIL  probabilities in [0, 1]  (row ",
                           "FAIL  same seed, same scores  (row ",
                           "FAIL  edge: single class in training  (killed by SIGSEGV",
                           "FAIL  edge: different column count  (predict_proba accepted 7"};
    for (size_t k = 0; k < sizeof fails / sizeof fails[0]; k++)
        ck_assert_msg(line_starting(out, fails[k]), "no '%s' line:\n%s", fails[k], out);
    /* The crash names where it happened, and the checks after it still ran. */
    ck_assert_msg(strstr(line_starting(out, "FAIL  edge: single class"), " in fit)\n"), "%s", out);
    ck_assert_msg(line_starting(out, "PASS  edge: zero test rows"), "%s", out);
    /* Each check has a process of its own: its global fit counter starts afresh, so the
     * comparison of threads sees no drift while the two fits of one check do. */
    ck_assert_msg(line_starting(out, "PASS  1 vs N threads, same scores"), "%s", out);
    ck_assert_msg(line_starting(out, "SKIP  save/load round trip  (no save/load)"), "%s", out);
    assert_summary(out, "broken");
    free(out);
    free(err);
}
END_TEST

START_TEST(abi_2_0_plugin_conforms)
{
    char *out, *err;
    int rc = check_plugin(LL_TEST_FIXTURE_PLUGIN_DIR "/abi_v2_0.so", "-j2", &out, &err);
    ck_assert_msg(rc == 0, "exit %d\n%s%s", rc, out, err);
    ck_assert_msg(line_starting(out, "PASS  save/load round trip"), "%s", out);
    ck_assert_msg(line_starting(out, "PASS  truncated saves refused"), "%s", out);
    /* Its table ends before 2.1's importances, although its memory goes on. */
    ck_assert_msg(line_starting(out, "SKIP  importances  (no importances entry)"), "%s", out);
    assert_summary(out, "abi_v2_0");
    free(out);
    free(err);
}
END_TEST

START_TEST(unloadable_files_are_one_line_and_exit_2)
{
    char dir[256], path[512], args[1024];
    snprintf(dir, sizeof dir, "%s", th_tmpdir()); /* a static buffer the next run reuses */
    th_assert_refused("check-plugin /nonexistent/x.so", "cannot load plugin");
    th_write_file(dir, "text.so", "not a shared object\n", path, sizeof path);
    snprintf(args, sizeof args, "check-plugin '%s'", path);
    th_assert_refused(args, "cannot load plugin");
    remove(path);
    rmdir(dir);
    th_assert_refused("check-plugin " LL_TEST_FIXTURE_PLUGIN_DIR "/no_entry.so",
                      "no 'leadlab_plugin' symbol");
    th_assert_refused("check-plugin " LL_TEST_FIXTURE_PLUGIN_DIR "/bad_schema_dup.so",
                      "parameter 'ratio' is declared twice");
    th_assert_refused("check-plugin " LL_TEST_FIXTURE_PLUGIN_DIR "/abi_mismatch.so",
                      "ABI version 1");
    th_assert_refused("check-plugin", "usage: leadlab check-plugin");
    th_assert_refused("check-plugin " LL_TEST_FIXTURE_PLUGIN_DIR "/broken.so -j 0",
                      "usage: leadlab check-plugin");
    th_assert_refused("check-plugin a.so b.so", "usage: leadlab check-plugin");
    th_assert_refused("check-plugin smoet", "no plugin 'smoet' on the search path (did you mean "
                                            "'smote'?)");
}
END_TEST

/* A plugin's name finds NAME.so on the search path, as a spec would. */
START_TEST(a_plugin_name_is_found_on_the_search_path)
{
    char *out = NULL, *err = NULL;
    int rc = check_plugin("none", "-j 2", &out, &err);
    ck_assert_msg(rc == 0, "exit %d: %s%s", rc, out, err);
    assert_summary(out, "none");
    ck_assert_msg(lines_starting(out, "PASS  ") > 3, "%s", out);
    free(out);
    free(err);
}
END_TEST

/* Results the library reported, for the in-process tests. */
typedef struct {
    ll_check_result r[32];
    size_t n;
} collected;

static void collect(const ll_check_result *r, void *ctx)
{
    collected *c = ctx;
    ck_assert_uint_lt(c->n, 32);
    c->r[c->n++] = *r;
}

static const ll_check_result *find(const collected *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->r[i].name, name) == 0)
            return &c->r[i];
    return NULL;
}

/* Checks crashy.so configured by `yaml` with a time limit of `seconds`. */
static void check_crashy(const char *yaml, double seconds, collected *got, ll_check_summary *sum)
{
    ll_ynode *map = NULL;
    ll_error err;
    ck_assert_msg(ll_yaml_parse_string(yaml, "params", &map, &err) == 0, "%s", err.msg);
    ll_check_options opt = ll_check_defaults();
    opt.params = map;
    opt.check_seconds = seconds;
    opt.threads = 2;
    memset(got, 0, sizeof *got);
    ck_assert_msg(ll_check_plugin(LL_TEST_FIXTURE_PLUGIN_DIR "/crashy.so", &opt, collect, got,
                                  sum, &err) == 0, "%s", err.msg);
    ll_ynode_free(map);
}

START_TEST(aborts_and_hangs_fail_their_checks)
{
    collected got;
    ll_check_summary sum;
    check_crashy("{mode: abort}", 60, &got, &sum);
    const ll_check_result *fit = find(&got, "fit and predict");
    ck_assert_msg(fit && fit->outcome == LL_CHECK_FAIL &&
                  strstr(fit->detail, "killed by SIGABRT") && strstr(fit->detail, "in fit"),
                  "%s", fit ? fit->detail : "no fit result");
    const ll_check_result *range = find(&got, "probabilities in [0, 1]");
    ck_assert_msg(range && range->outcome == LL_CHECK_SKIP &&
                  strstr(range->detail, "not reached"), "%s", range ? range->detail : "none");
    /* Every edge case ran, in a process of its own, and failed the same way. */
    const ll_check_result *cols = find(&got, "edge: different column count");
    ck_assert_msg(cols && cols->outcome == LL_CHECK_FAIL && strstr(cols->detail, "SIGABRT"),
                  "%s", cols ? cols->detail : "none");
    ck_assert_str_eq(sum.name, "crashy");
    ck_assert_uint_eq(sum.passed + sum.failed + sum.skipped, got.n);

    double t0 = (double)time(NULL);
    check_crashy("{mode: spin}", 0.5, &got, &sum);
    fit = find(&got, "fit and predict");
    ck_assert_msg(fit && fit->outcome == LL_CHECK_FAIL &&
                  strstr(fit->detail, "no answer within 0.5 s in fit (killed)"), "%s",
                  fit ? fit->detail : "none");
    ck_assert_uint_ge(sum.failed, 5);
    ck_assert_msg((double)time(NULL) - t0 < 30, "the time limit did not stop the checks");
}
END_TEST

START_TEST(one_thread_skips_only_the_thread_comparison)
{
    collected got;
    memset(&got, 0, sizeof got);
    ll_check_options opt = ll_check_defaults();
    ll_check_summary sum;
    ll_error err;
    opt.threads = 1;
    ck_assert_msg(ll_check_plugin(LL_TEST_FIXTURE_PLUGIN_DIR "/abi_v2_0.so", &opt, collect, &got,
                                  &sum, &err) == 0, "%s", err.msg);
    const ll_check_result *threads = find(&got, "1 vs N threads, same scores");
    ck_assert_msg(threads && threads->outcome == LL_CHECK_SKIP &&
                  strstr(threads->detail, "-j 1"), "%s", threads ? threads->detail : "none");
    ck_assert_uint_eq(sum.failed, 0);
    ck_assert_uint_eq(sum.skipped, 2); /* and importances, which 2.0 tables lack */
}
END_TEST

START_TEST(bad_options_and_configurations_are_refused)
{
    ll_check_options opt = ll_check_defaults();
    ll_check_summary sum;
    ll_error err;
    opt.threads = 0;
    ck_assert_int_eq(ll_check_plugin(LL_TEST_FIXTURE_PLUGIN_DIR "/abi_v2_0.so", &opt, NULL,
                                     NULL, &sum, &err), -1);
    ck_assert_msg(strstr(err.msg, "threads"), "%s", err.msg);
    /* A grid is more than one configuration. */
    ll_ynode *map = NULL;
    ck_assert_int_eq(ll_yaml_parse_string("{shrink: [0.5, 2]}", "params", &map, &err), 0);
    opt = ll_check_defaults();
    opt.params = map;
    ck_assert_int_eq(ll_check_plugin(LL_TEST_FIXTURE_PLUGIN_DIR "/abi_v2_0.so", &opt, NULL,
                                     NULL, &sum, &err), -1);
    ck_assert_msg(strstr(err.msg, "2 configurations"), "%s", err.msg);
    ll_ynode_free(map);
}
END_TEST

int main(void)
{
    /* Under AddressSanitizer a plugin's SIGSEGV would be caught and turned into exit code 1:
     * let the checker see the signal a release build sees. Every leadlab the suite starts
     * inherits this; no effect on a build without sanitizers. */
    const char *asan = getenv("ASAN_OPTIONS");
    char options[1024];
    snprintf(options, sizeof options, "%s%shandle_segv=0:handle_abort=0",
             asan && *asan ? asan : "", asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", options, 1);
    Suite *s = suite_create("conformance");
    TCase *tc = tcase_create("conformance");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, built_in_plugins_conform);
    tcase_add_test(tc, broken_plugin_fails_and_its_crash_is_one_check);
    tcase_add_test(tc, abi_2_0_plugin_conforms);
    tcase_add_test(tc, unloadable_files_are_one_line_and_exit_2);
    tcase_add_test(tc, a_plugin_name_is_found_on_the_search_path);
    tcase_add_test(tc, aborts_and_hangs_fail_their_checks);
    tcase_add_test(tc, one_thread_skips_only_the_thread_comparison);
    tcase_add_test(tc, bad_options_and_configurations_are_refused);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
