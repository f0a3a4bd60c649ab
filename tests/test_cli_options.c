/* The conventional command line (core/cli_options.c) through the leadlab executable: both
 * option spellings mean the same, "--" ends the options, short options cluster and take their
 * value attached or apart, mistakes are one line with a suggestion and exit 2, every command
 * has its own help, and -q / -v / -vv choose which plugin log lines, each naming its cell,
 * reach stderr. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

static char *stdout_of(const char *args, int expected_rc)
{
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == expected_rc, "leadlab %s: exit %d: %s", args, rc, err ? err : "");
    free(err);
    return out;
}

static char *read_in(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = th_read_file(path);
    ck_assert_msg(text != NULL, "no %s", path);
    return text;
}

START_TEST(both_spellings_of_a_value_mean_the_same)
{
    char args[1024];
    snprintf(args, sizeof args, "synth --out=%s/a.csv --rows=150 --seed=3", dir);
    free(stdout_of(args, 0));
    snprintf(args, sizeof args, "synth --seed 3 --out %s/b.csv --rows 150", dir);
    free(stdout_of(args, 0));
    snprintf(args, sizeof args, "synth --out %s/c.csv --rows 150 --seed=4", dir);
    free(stdout_of(args, 0));
    char *a = read_in("a.csv"), *b = read_in("b.csv"), *c = read_in("c.csv");
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c); /* the seed did arrive */
    free(a);
    free(b);
    free(c);
}
END_TEST

#define SYNTH_SPEC                                                                             \
    "data: {synth: {rows: 300, seed: 3}, target: buy, id: id}\n"                              \
    "features: {drop: [created_at, signup_date], columns: {products_purchased: {fill: 0}}}\n" \
    "models: [logreg]\ncv: {folds: 2}\noutput: {dir: out}\n"

START_TEST(double_dash_ends_the_options)
{
    char path[512], args[1024];
    th_write_file(dir, "-x.yaml", SYNTH_SPEC, path, sizeof path);
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    th_assert_refused("validate -x.yaml", "validate: unknown option '-x'");
    char *out = stdout_of("validate --set cv.folds=3 -- -x.yaml", 0);
    ck_assert_msg(strstr(out, "-x.yaml: ok") && strstr(out, "x 3 folds"), "%s", out);
    free(out);
    ck_assert_int_eq(chdir(cwd), 0);
    /* after --, what looks like an option is an operand, here a second spec */
    snprintf(args, sizeof args, "validate %s -- --fresh", path);
    th_assert_refused(args, "unexpected argument '--fresh'");
    /* init reads its data file the same way: a CSV named like an option, after -- */
    char csv[4096] = "id,x,y\n";
    for (int i = 1; i <= 40; i++)
        snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "%d,%d.5,%d\n", i, i % 7,
                 i % 4 == 0);
    th_write_file(dir, "-leads.csv", csv, path, sizeof path);
    ck_assert_int_eq(chdir(dir), 0);
    th_assert_refused("init -leads.csv --target y", "init: unknown option '-l'");
    free(stdout_of("init --target=y --out=leads.yaml -- -leads.csv", 0));
    ck_assert_int_eq(chdir(cwd), 0);
    char *spec = read_in("leads.yaml");
    ck_assert_msg(strstr(spec, "train: -leads.csv") || strstr(spec, "train: \"-leads.csv\"") ||
                  strstr(spec, "train: '-leads.csv'"), "%s", spec);
    free(spec);
}
END_TEST

START_TEST(short_options_attached_apart_and_clustered)
{
    char path[512], args[1024];
    th_write_file(dir, "spec.yaml", SYNTH_SPEC, path, sizeof path);
    snprintf(args, sizeof args, "validate %s -j3", path);
    free(stdout_of(args, 0));
    snprintf(args, sizeof args, "validate %s -j 3", path);
    free(stdout_of(args, 0));
    snprintf(args, sizeof args, "validate %s --threads=3", path);
    free(stdout_of(args, 0));
    snprintf(args, sizeof args, "run %s -j0", path);
    th_assert_refused(args, "expected N from 1 to 1024");
    snprintf(args, sizeof args, "run %s -j", path);
    th_assert_refused(args, "option '-j' needs a value (N)");
    snprintf(args, sizeof args, "run %s -qv", path); /* a cluster is two flags */
    th_assert_refused(args, "-q and -v contradict each other");
}
END_TEST

START_TEST(mistakes_are_one_line_with_a_suggestion)
{
    th_assert_refused("run spec.yaml --fersh", "run: unknown option '--fersh' (did you mean "
                                               "'--fresh'?); see leadlab help run");
    th_assert_refused("predict --modle m.llm", "(did you mean '--model'?)");
    th_assert_refused("run spec.yaml --sort=auc", "--sort expects a metric");
    th_assert_refused("run spec.yaml --fresh=yes", "option '--fresh' takes no value");
    th_assert_refused("run spec.yaml --set", "option '--set' needs a value (KEY.PATH=VALUE)");
    th_assert_refused("show out -x", "show: unknown option '-x'");
    th_assert_refused("fit spec.yaml --test t.csv", "fit: unknown option '--test'");
    th_assert_refused("rnu spec.yaml", "unknown command 'rnu' (did you mean 'run'?)");
    th_assert_refused("help rnu", "unknown command 'rnu' (did you mean 'run'?)");
    th_assert_refused("status", "usage: leadlab status OUTDIR");
    th_assert_refused("synth --out x.csv --rows=99", "--rows N in 100..10000000");
}
END_TEST

START_TEST(every_command_has_its_own_help)
{
    char *global = stdout_of("help", 0), *dashes = stdout_of("--help", 0);
    ck_assert_str_eq(global, dashes);
    static const char *const commands[] = {"run", "status", "show", "compare", "validate",
                                           "fit", "predict", "check-plugin", "plugins",
                                           "schema", "init", "synth"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char line[64], args[128];
        snprintf(line, sizeof line, "\n  %-13s ", commands[i]);
        ck_assert_msg(strstr(global, line), "no line for %s in: %s", commands[i], global);
        snprintf(args, sizeof args, "help %s", commands[i]);
        char *help = stdout_of(args, 0);
        snprintf(args, sizeof args, "%s --help", commands[i]);
        char *long_form = stdout_of(args, 0);
        snprintf(args, sizeof args, "%s -h", commands[i]);
        char *short_form = stdout_of(args, 0);
        ck_assert_str_eq(help, long_form);
        ck_assert_str_eq(help, short_form);
        snprintf(line, sizeof line, "usage: leadlab %s ", commands[i]);
        ck_assert_msg(!strncmp(help, line, strlen(line)), "%s", help);
        snprintf(line, sizeof line, "\n  leadlab %s", commands[i]);
        ck_assert_msg(strstr(help, "\noptions:\n") && strstr(help, "\nexamples:\n") &&
                          strstr(help, line) && strstr(help, "-h, --help"),
                      "%s", help);
        ck_assert_ptr_null(strstr(help, "usage: leadlab COMMAND")); /* not the global text */
        free(help);
        free(long_form);
        free(short_form);
    }
    char *run = stdout_of("help run", 0);
    ck_assert_msg(strstr(run, "-j, --threads N") && strstr(run, "--set KEY.PATH=VALUE") &&
                      strstr(run, "-q, --quiet") && !strstr(run, "--model"),
                  "%s", run);
    free(run);
    /* help wins over a mistake before it */
    char *bad = stdout_of("run --bogus --help", 0);
    ck_assert_ptr_nonnull(strstr(bad, "usage: leadlab run "));
    free(bad);
    free(global);
    free(dashes);
}
END_TEST

/* The plugin log lines of `run` on a spec of flaky(mode=log), by verbosity. */
static char *run_log(const char *flags)
{
    char path[512], args[1024];
    th_write_file(dir, "log.yaml",
                  "data: {synth: {rows: 300, seed: 3}, target: buy, id: id}\n"
                  "features: {drop: [created_at, signup_date], columns: {products_purchased: "
                  "{fill: 0}}}\nplugin_path: [" LL_TEST_FIXTURE_PLUGIN_DIR "]\n"
                  "models:\n  - flaky: {mode: log}\ncv: {folds: 2}\noutput: {dir: logout}\n",
                  path, sizeof path);
    snprintf(args, sizeof args, "run %s --fresh %s", path, flags);
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == 0, "leadlab %s: exit %d: %s", args, rc, err ? err : "");
    ck_assert_msg(out && strstr(out, "| flaky | none |"), "-q keeps the results: %s",
                  out ? out : "");
    free(out);
    return err;
}

START_TEST(verbosity_and_the_cell_in_log_lines)
{
    static const char warn0[] = "leadlab: warning: [flaky(mode=log) x none, repeat 0, fold 0] "
                                "flaky: a warning on purpose (150 rows)\n";
    static const char warn1[] = "leadlab: warning: [flaky(mode=log) x none, repeat 0, fold 1] ";
    static const char info[] = "leadlab: info: [flaky(mode=log) x none, repeat 0, fold 1] "
                               "flaky: an info line on purpose\n";
    static const char debug[] = "leadlab: debug: [flaky(mode=log) x none, repeat 0, fold 0] "
                                "flaky: a debug line on purpose\n";
    const char *modes[] = {"", "--isolation none"}; /* worker processes, then threads */
    for (int m = 0; m < 2; m++) {
        char flags[64];
        char *err = run_log(modes[m]);
        ck_assert_msg(strstr(err, warn0) && strstr(err, warn1) && !strstr(err, "info:") &&
                          !strstr(err, "cells "),
                      "default: %s", err);
        free(err);
        snprintf(flags, sizeof flags, "%s -q", modes[m]);
        err = run_log(flags);
        ck_assert_msg(err[0] == '\0', "-q: %s", err);
        free(err);
        snprintf(flags, sizeof flags, "%s -v", modes[m]);
        err = run_log(flags);
        ck_assert_msg(strstr(err, warn0) && strstr(err, info) && !strstr(err, "debug:") &&
                          strstr(err, "cells 2/2"),
                      "-v: %s", err);
        free(err);
        snprintf(flags, sizeof flags, "%s -vv", modes[m]);
        err = run_log(flags);
        ck_assert_msg(strstr(err, info) && strstr(err, debug), "-vv: %s", err);
        free(err);
        snprintf(flags, sizeof flags, "%s --verbose --verbose", modes[m]);
        err = run_log(flags);
        ck_assert_msg(strstr(err, debug), "--verbose --verbose: %s", err);
        free(err);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_options");
    TCase *tc = tcase_create("cli_options");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, both_spellings_of_a_value_mean_the_same);
    tcase_add_test(tc, double_dash_ends_the_options);
    tcase_add_test(tc, short_options_attached_apart_and_clustered);
    tcase_add_test(tc, mistakes_are_one_line_with_a_suggestion);
    tcase_add_test(tc, every_command_has_its_own_help);
    tcase_add_test(tc, verbosity_and_the_cell_in_log_lines);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
