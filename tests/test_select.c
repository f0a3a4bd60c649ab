/* Nested selection (select: {metric, inner_folds}): a config planted as the best wins every
 * outer fold, inner folds live inside their outer training fold and never touch its test
 * rows, the selection is the same at -j 1 and -j 2 and on resume, and bad select sections are
 * one-line errors before anything runs. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "leadlab/rng.h"
#include "select.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

#define PRODUCT_SPEC(METRIC)                                                                 \
    "name: planted\n"                                                                        \
    "data: {train: product.csv, target: buy, id: id}\n"                                      \
    "cv: {folds: 3, seed: 7}\n"                                                              \
    "samplers: [none]\n"                                                                     \
    "models: [{logreg: {C: [0.1, 1]}}, ridge, {sgb: {n_estimators: 60, max_depth: 3}}]\n"    \
    "threshold: {tune: f1, folds: 3}\n"                                                      \
    "select: {metric: " METRIC ", inner_folds: 3}\n"                                         \
    "importances: none\n"

/* Every outer fold picks the tree ensemble, by F1 and by Brier (which ranks lowest first), and
 * the selected row is far above the linear rows it beat. */
static void assert_planted_winner(const char *metric, const char *spec)
{
    char csv[600];
    th_write_file(dir, "product.csv", "", csv, sizeof csv);
    th_write_product_table(csv, 2400);
    ck_assert_int_eq(th_run_spec(dir, metric, spec, "-j 2", NULL), 0);
    char *sel = th_read_output(dir, metric, "selection.csv");
    char *line = strchr(sel, '\n') + 1, value[128];
    size_t folds = 0;
    for (; *line; line = strchr(line, '\n') + 1, folds++) {
        th_csv_field(line, 2, value, sizeof value);
        ck_assert_msg(!strcmp(value, "ok"), "%s: %.200s", metric, line);
        th_csv_field(line, 3, value, sizeof value);
        ck_assert_msg(!strncmp(value, "sgb(", 4), "%s: fold %zu chose %s", metric, folds, value);
        th_csv_field(line, 5, value, sizeof value);
        ck_assert_str_eq(value, "4"); /* every config finished its inner folds */
    }
    ck_assert_uint_eq(folds, 3);
    free(sel);
    char *lb = th_read_output(dir, metric, "leaderboard.csv");
    double selected = NAN, linear = NAN;
    for (line = strchr(lb, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        char config[128], f1[64];
        th_csv_field(line, 1, config, sizeof config);
        th_csv_field(line, 5, f1, sizeof f1);
        if (!strcmp(config, "selected (nested)"))
            selected = atof(f1);
        else if (!strncmp(config, "logreg", 6) && (isnan(linear) || atof(f1) > linear))
            linear = atof(f1);
    }
    free(lb);
    ck_assert_msg(selected > linear + 0.2, "%s: selected F1 %.3f, best linear %.3f", metric,
                  selected, linear);
}

START_TEST(the_planted_best_config_wins_every_outer_fold)
{
    assert_planted_winner("f1", PRODUCT_SPEC("f1"));
    assert_planted_winner("brier", PRODUCT_SPEC("brier"));
}
END_TEST

#define SYNTH_SPEC                                                                           \
    "name: nested\n"                                                                         \
    "data: {synth: {rows: 1500, seed: 3}, target: buy, id: id}\n"                            \
    "features: {drop: [created_at, signup_date], columns: {products_purchased: {fill: 0}}}\n" \
    "cv: {folds: 3, repeats: 2, seed: 11}\n"                                                 \
    "samplers: [none, undersample]\n"                                                        \
    "models: [{logreg: {C: [0.1, 1]}}, {sgb: {n_estimators: 20}}]\n"                         \
    "threshold: {tune: f1, folds: 3}\n"                                                      \
    "select: {metric: pr_auc, inner_folds: 4}\n"                                             \
    "importances: none\n"

static int no_cell(const ll_cell *cell)
{
    (void)cell;
    return 0;
}

/* The plan: every inner cell trains and tests inside its outer training fold only; the inner
 * test folds of one outer fold partition its training rows; all configs share them. */
START_TEST(inner_cells_never_touch_the_outer_test_fold)
{
    char spec[600], csv[600];
    th_write_file(dir, "product.csv", "", csv, sizeof csv);
    th_write_product_table(csv, 1500);
    th_write_file(dir, "held.yaml",
                  "name: held\n"
                  "data: {train: product.csv, target: buy, id: id}\n"
                  "cv: {folds: 3, repeats: 2, seed: 11}\n"
                  "samplers: [none, undersample]\n"
                  "models: [{logreg: {C: [0.1, 1]}}, {sgb: {n_estimators: 20}}]\n"
                  "select: {metric: pr_auc, inner_folds: 4}\n",
                  spec, sizeof spec);
    th_held_run held;
    th_held_run_cells(spec, no_cell, NULL, &held);
    const ll_run_result *run = &held.run;
    ck_assert_uint_eq(run->inner_folds, 4);
    ck_assert_uint_eq(run->n_cells, run->n_outer * 5);
    size_t n = run->n_rows, *tested = calloc(n, sizeof *tested);
    ck_assert_ptr_nonnull(tested);
    for (size_t c = run->n_outer; c < run->n_cells; c++) {
        const ll_cell *cell = &run->cells[c];
        ck_assert_uint_gt(cell->inner, 0);
        ck_assert_ptr_eq(&run->cells[ll_inner_cell_index(run, cell->model, cell->sampler,
                                                         cell->repeat, cell->fold, 0,
                                                         cell->inner - 1)], cell);
        ll_split inner = ll_plan_split(run, cell);
        const uint32_t *outer = run->fold_of_row + (size_t)cell->repeat * n;
        size_t n_train = 0, n_test = 0;
        for (size_t i = 0; i < n; i++) {
            int is_train = ll_split_is_train(&inner, i), is_test = ll_split_is_test(&inner, i);
            ck_assert(!(is_train && is_test));
            if (outer[i] == cell->fold) /* the outer test fold: no part of the inner split */
                ck_assert_msg(!is_train && !is_test, "row %zu of outer fold %u in inner cell", i,
                              cell->fold);
            else
                ck_assert_msg(is_train || is_test, "outer training row %zu left out", i);
            n_train += (size_t)is_train;
            n_test += (size_t)is_test;
            if (is_test && cell->model == 0 && cell->sampler == 0)
                tested[i]++;
        }
        ck_assert_uint_gt(n_test, 0);
        ck_assert_uint_gt(n_train, 2 * n_test); /* 3 of 4 inner folds train */
        /* Another config's inner cell of the same outer fold splits the same rows. */
        const ll_cell *twin = &run->cells[ll_inner_cell_index(run, 1, 1, cell->repeat, cell->fold,
                                                              0, cell->inner - 1)];
        ll_split other = ll_plan_split(run, twin);
        ck_assert(other.fold_of_row == inner.fold_of_row && other.test_fold == inner.test_fold);
    }
    /* Per repeat, each row is an inner test row once in each outer fold it trains in: folds - 1
     * times over the repeat's outer folds. */
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(tested[i], run->repeats * (run->folds - 1));
    free(tested);
    th_held_run_free(&held);
}
END_TEST

/* The selection comes from cells' seeds and the shared inner split only: the same at any -j,
 * and a second run reuses every inner cell from results.db. */
START_TEST(selection_does_not_depend_on_threads_and_resumes)
{
    ck_assert_int_eq(th_run_spec(dir, "j1", SYNTH_SPEC, "-j 1", NULL), 0);
    ck_assert_int_eq(th_run_spec(dir, "j2", SYNTH_SPEC, "-j 2", NULL), 0);
    const char *files[] = {"selection.csv", "predictions.csv"};
    for (size_t k = 0; k < 2; k++) {
        char *one = th_read_output(dir, "j1", files[k]);
        char *two = th_read_output(dir, "j2", files[k]);
        ck_assert_msg(!strcmp(one, two), "%s differs between -j 1 and -j 2", files[k]);
        free(one);
        free(two);
    }
    char *md = th_read_output(dir, "j2", "leaderboard.md");
    ck_assert_msg(strstr(md, "| – | **selected (nested)** | – |"), "%.2000s", md);
    ck_assert_msg(strstr(md, "| repeat | outer fold | winner | inner PR-AUC | cut | F1 |"),
                  "%.3000s", md);
    free(md);
    char *out = NULL;
    ck_assert_int_eq(th_run_spec(dir, "j2", SYNTH_SPEC, "-j 2", &out), 0);
    ck_assert_msg(strstr(out, "0 cells run, 180 reused"), "%s", out);
    free(out);
}
END_TEST

#define HALVING_SPEC                                                                         \
    "name: halving\n"                                                                        \
    "data: {train: product.csv, target: buy, id: id}\n"                                      \
    "cv: {folds: 3, seed: 7}\n"                                                              \
    "samplers: [none]\n"                                                                     \
    "models: [{logreg: {C: [0.01, 0.1, 1, 10]}}, {ridge: {alpha: [0.1, 1, 10]}},\n"          \
    "         {sgb: {n_estimators: 60, max_depth: 3}}]\n"                                    \
    "threshold: {tune: f1, folds: 3}\n"                                                      \
    "select: {metric: f1, inner_folds: 3}\n"                                                 \
    "search: {method: halving, factor: 2}\n"                                                 \
    "importances: none\n"

/* Successive halving on the product table: 8 configs, factor 2, so 1 + floor(log2 8) = 4
 * rungs of 8, 4, 2 and 1 configs, each rung on twice the rows of the one before and the last
 * on all of them. The planted tree ensemble survives every rung and wins every outer fold;
 * only the winners' outer cells run (3 x 3 x (8 + 4 + 2 + 1) inner cells + 3 outer = 138). */
START_TEST(halving_promotes_the_planted_best_and_runs_only_what_it_needs)
{
    char csv[600];
    th_write_file(dir, "product.csv", "", csv, sizeof csv);
    th_write_product_table(csv, 2400);
    char *out = NULL;
    ck_assert_int_eq(th_run_spec(dir, "halving", HALVING_SPEC, "-j 2", &out), 0);
    ck_assert_msg(strstr(out, "138 cells run, 0 reused"), "%s", out);
    free(out);
    char *sel = th_read_output(dir, "halving", "selection.csv"), *line, value[128];
    for (line = strchr(sel, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        th_csv_field(line, 3, value, sizeof value);
        ck_assert_msg(!strncmp(value, "sgb(", 4), "a fold chose %s", value);
    }
    free(sel);
    char *search = th_read_output(dir, "halving", "search.csv");
    size_t at_least[3][4] = {{0}}, rows_of[4] = {0};
    for (line = strchr(search, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        char fold[16], config[128], rung[16], rows[32], winner[8];
        th_csv_field(line, 1, fold, sizeof fold);
        th_csv_field(line, 2, config, sizeof config);
        th_csv_field(line, 4, rung, sizeof rung);
        th_csv_field(line, 5, rows, sizeof rows);
        th_csv_field(line, 7, winner, sizeof winner);
        int r = atoi(rung);
        ck_assert(r >= 0 && r < 4);
        for (int k = 0; k <= r; k++)
            at_least[atoi(fold)][k]++;
        if (r < 3) {
            ck_assert_msg(rows[0], "rung %d has a row budget", r);
            ck_assert(rows_of[r] == 0 || rows_of[r] == (size_t)atol(rows));
            rows_of[r] = (size_t)atol(rows);
        } else {
            ck_assert_str_eq(rows, ""); /* the last rung trains on every row */
        }
        ck_assert_int_eq(!strcmp(winner, "1"), r == 3);
        ck_assert_int_eq(r == 3, !strncmp(config, "sgb(", 4));
    }
    free(search);
    for (size_t f = 0; f < 3; f++)
        for (size_t r = 0; r < 4; r++)
            ck_assert_uint_eq(at_least[f][r], (size_t)8 >> r);
    /* "exhaust": each rung twice the last, the first as small as the rungs allow */
    ck_assert(rows_of[0] > 100 && rows_of[1] >= 2 * rows_of[0] - 1 && rows_of[1] <= 2 * rows_of[0]);
    ck_assert(rows_of[2] >= 2 * rows_of[1] - 1 && rows_of[2] <= 2 * rows_of[1]);
    char *md = th_read_output(dir, "halving", "leaderboard.md");
    ck_assert_msg(strstr(md, "Successive halving, factor 2: 4 rungs"), "%.3000s", md);
    ck_assert_msg(strstr(md, "won 3 of 3 folds") || strstr(md, "| best |"), "%.3000s", md);
    free(md);
}
END_TEST

/* Halving is as deterministic as the rest: the same at -j 1 and -j 2, and a rerun takes every
 * rung from results.db (the first rung's cells lead straight to the next ones) and runs none. */
START_TEST(halving_does_not_depend_on_threads_and_resumes)
{
    char csv[600];
    th_write_file(dir, "product.csv", "", csv, sizeof csv);
    th_write_product_table(csv, 1800);
    const char *spec = HALVING_SPEC;
    ck_assert_int_eq(th_run_spec(dir, "h1", spec, "-j 1", NULL), 0);
    ck_assert_int_eq(th_run_spec(dir, "h2", spec, "-j 2", NULL), 0);
    const char *files[] = {"selection.csv", "search.csv", "predictions.csv"};
    for (size_t k = 0; k < 3; k++) {
        char *one = th_read_output(dir, "h1", files[k]), *two = th_read_output(dir, "h2", files[k]);
        ck_assert_msg(!strcmp(one, two), "%s differs between -j 1 and -j 2", files[k]);
        free(one);
        free(two);
    }
    char *out = NULL;
    ck_assert_int_eq(th_run_spec(dir, "h2", spec, "-j 2", &out), 0);
    ck_assert_msg(strstr(out, "0 cells run, 138 reused"), "%s", out);
    free(out);
}
END_TEST

START_TEST(bad_select_sections_are_refused)
{
    const char *cases[][2] = {
        {"select: {metric: f2}\n", "select.metric: unknown metric 'f2' (did you mean 'f1'?)"},
        {"select: {inner_folds: 1}\n", "select.inner_folds"},
        {"select: {metric: f1, folds: 3}\n", "select: unknown key 'folds'"},
        {"select: [f1]\n", "select"},
        {"select: {inner_folds: 400}\n", "select.inner_folds"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char spec[2048], path[600], args[1400], file[32];
        snprintf(spec, sizeof spec, "%s%s", SYNTH_SPEC, cases[i][0]);
        /* the case's select replaces the spec's own */
        char *own = strstr(spec, "select: {metric: pr_auc, inner_folds: 4}\n");
        memmove(own, own + strlen("select: {metric: pr_auc, inner_folds: 4}\n"),
                strlen(own + strlen("select: {metric: pr_auc, inner_folds: 4}\n")) + 1);
        snprintf(file, sizeof file, "bad%zu.yaml", i);
        th_write_file(dir, file, spec, path, sizeof path);
        snprintf(args, sizeof args, "run %s --set output.dir=%s/bad", path, dir);
        th_assert_refused(args, cases[i][1]);
    }
    /* Inner folds the data cannot fill: refused at planning, before any cell runs. */
    char path[600], args[1400];
    th_write_file(dir, "thin.yaml",
                  "name: thin\n"
                  "data: {synth: {rows: 300, seed: 3}, target: buy, id: id}\n"
                  "features: {drop: [created_at, signup_date], columns: {products_purchased: "
                  "{fill: 0}}}\n"
                  "cv: {folds: 3}\nmodels: [logreg]\nselect: {inner_folds: 12}\n",
                  path, sizeof path);
    snprintf(args, sizeof args, "run %s --set output.dir=%s/thin", path, dir);
    th_assert_refused(args, "select.inner_folds: 12 folds need at least 12 rows of each class");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("nested selection");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, the_planted_best_config_wins_every_outer_fold);
    tcase_add_test(tc, inner_cells_never_touch_the_outer_test_fold);
    tcase_add_test(tc, selection_does_not_depend_on_threads_and_resumes);
    tcase_add_test(tc, halving_promotes_the_planted_best_and_runs_only_what_it_needs);
    tcase_add_test(tc, halving_does_not_depend_on_threads_and_resumes);
    tcase_add_test(tc, bad_select_sections_are_refused);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
