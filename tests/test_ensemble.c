/* Ensembles (ensembles: [{method: average | stack, members}]): the stacker matches
 * scikit-learn, a stack of two members that each see half of a planted signal beats both, the
 * stacker never reads an outer test fold's labels, an average of one member twice is that
 * member, a failed or unfinished member fails or holds its folds, the rows and weights are the
 * same at -j 1 and -j 2 and on resume, and bad ensembles sections are one-line errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensemble.h"
#include "harness.h"
#include "leadlab/rng.h"
#include "select.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

/* ---- the stacker alone ---- */

/* tests/reference/stack.py's fixture, rebuilt with the same integer formulas: 40 rows x 3
 * members' probabilities (exact in binary; p[0][0] = 0 and p[1][1] = 1 exercise the clipping)
 * and labels from a noisy rule on members 0 and 1. */
static void stack_fixture(double *p, uint8_t *y)
{
    for (int i = 0; i < 40; i++) {
        p[i * 3 + 0] = ((i * 7 + 3) % 16 + 0.5) / 16.0;
        p[i * 3 + 1] = ((i * 11 + 5) % 16 + 0.5) / 16.0;
        p[i * 3 + 2] = ((i * 5 + 1) % 8 + 0.5) / 8.0;
        y[i] = (i * 7 + 3) % 16 + (i * 11 + 5) % 16 + (i * 3) % 7 > 19;
    }
    p[0] = 0.0;
    p[4] = 1.0;
}

START_TEST(stacker_matches_scikit_learn)
{
    double p[120], z[120], w[4];
    uint8_t y[40];
    stack_fixture(p, y);
    for (int i = 0; i < 120; i++)
        z[i] = ll_stack_logit(p[i]);
    ck_assert_double_eq_tol(z[0], log(1e-6) - log1p(-1e-6), 1e-12); /* clipped, not -inf */
    ck_assert_double_eq_tol(z[4], -z[0], 1e-9);
    ll_error err;
    ck_assert_int_eq(ll_stack_fit(z, y, 40, 3, LL_STACK_C, w, &err), 0);
    /* scikit-learn 1.2.1 LogisticRegression(C=1, solver="newton-cg", tol=1e-10) on the same
     * logits (tests/reference/stack.py; scipy's BFGS on the objective written out agrees to
     * 1e-9): intercept, then the three members' weights. */
    const double expected[4] = {-1.014157216, 0.9682987663, 0.1290692381, 0.2943690224};
    for (int j = 0; j < 4; j++)
        ck_assert_msg(fabs(w[j] - expected[j]) < 1e-7, "weight %d: %.10f, expected %.10f", j,
                      w[j], expected[j]);
    /* One class only: the intercept has no finite optimum, so the fit refuses. */
    uint8_t none[40] = {0};
    ck_assert_int_eq(ll_stack_fit(z, none, 40, 3, LL_STACK_C, w, &err), 1);
    ck_assert_msg(strstr(err.msg, "one class"), "%s", err.msg);
}
END_TEST

/* ---- runs ---- */

/* Mean F1 (column 5 of leaderboard.csv) of the row whose config is `config`; NaN if none. */
static double row_f1(const char *csv, const char *config)
{
    for (const char *line = strchr(csv, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        char name[256], f1[64];
        th_csv_field(line, 1, name, sizeof name);
        th_csv_field(line, 5, f1, sizeof f1);
        if (!strcmp(name, config))
            return atof(f1);
    }
    return NAN;
}

/* y = 1 when x0 + x1 + 0.3 e > 2.3 (about 5 % of rows): each column holds half of the signal. */
static void write_halves_table(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ll_rng rng;
    ll_rng_seed(&rng, 2027);
    fputs("id,x0,x1,buy\n", f);
    for (size_t i = 0; i < n; i++) {
        double x0 = ll_rng_normal(&rng), x1 = ll_rng_normal(&rng), e = ll_rng_normal(&rng);
        fprintf(f, "%zu,%.6f,%.6f,%d\n", i, x0, x1, x0 + x1 + 0.3 * e > 2.3);
    }
    fclose(f);
}

/* The fixture model one_column scores logistic(x[column]) and learns nothing, so either
 * config alone ranks by one half of the signal and only a combination can rank by x0 + x1.
 * On this table the members reach F1 0.3-0.5 and the stack about 0.85 (their equal weights
 * recover x0 + x1); the average of their probabilities, monotone in neither sum nor column,
 * still about 0.8. */
START_TEST(a_stack_of_two_halves_beats_both)
{
    char csv[600];
    th_write_file(dir, "halves.csv", "", csv, sizeof csv);
    write_halves_table(csv, 2000);
    th_run_spec(dir, "halves",
             "name: halves\n"
             "data: {train: halves.csv, target: buy, id: id}\n"
             "cv: {folds: 3, seed: 5}\n"
             "plugin_path: [" LL_TEST_FIXTURE_PLUGIN_DIR "]\n"
             "models: [{one_column: {column: [0, 1]}}]\n"
             "threshold: {tune: f1, folds: 3}\n"
             "importances: none\n"
             "ensembles:\n"
             "  - {method: stack, members: [\"one_column(column=0)\", \"one_column(column=1)\"],\n"
             "     name: both halves}\n"
             "  - {method: average, members: {top: 2}}\n",
             "-j 2", NULL);
    char *lb = th_read_output(dir, "halves", "leaderboard.csv");
    double a = row_f1(lb, "one_column(column=0)"), b = row_f1(lb, "one_column(column=1)");
    double stack = row_f1(lb, "both halves"), average = row_f1(lb, "average(top 2)");
    double best = a > b ? a : b;
    ck_assert_msg(stack > best + 0.2, "stack F1 %.3f, members %.3f and %.3f", stack, a, b);
    ck_assert_msg(average > best, "average F1 %.3f, members %.3f and %.3f", average, a, b);
    free(lb);
    /* Both members get a clearly positive weight in every fold. */
    char *ens = th_read_output(dir, "halves", "ensembles.csv");
    size_t weights = 0;
    for (const char *line = strchr(ens, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        char name[64], member[64], weight[64];
        th_csv_field(line, 2, name, sizeof name);
        th_csv_field(line, 4, member, sizeof member);
        th_csv_field(line, 6, weight, sizeof weight);
        if (strcmp(name, "both halves") || !strcmp(member, "(intercept)"))
            continue;
        ck_assert_msg(atof(weight) > 1.0, "%s: weight %s", member, weight);
        weights++;
    }
    ck_assert_uint_eq(weights, 2 * 3);
    free(ens);
    char *md = th_read_output(dir, "halves", "leaderboard.md");
    ck_assert_msg(strstr(md, "| – | **both halves** | – |"), "%.3000s", md);
    ck_assert_msg(strstr(md, "- **average(top 2)**: the mean probability of each outer fold's 2 "
                             "best rows by inner F1."), "%.4000s", md);
    free(md);
}
END_TEST

static int every_cell(const ll_cell *cell)
{
    (void)cell;
    return 1;
}

/* A run held in process on the product table: spec `yaml` (its data line is prepended). */
static void held_product_run(const char *name, const char *yaml, int (*keep)(const ll_cell *),
                             th_held_run *held)
{
    char csv[600], spec[600], text[2048], file[64];
    th_write_file(dir, "product.csv", "", csv, sizeof csv);
    th_write_product_table(csv, 1200);
    snprintf(text, sizeof text, "name: %s\ndata: {train: product.csv, target: buy, id: id}\n%s",
             name, yaml);
    snprintf(file, sizeof file, "%s.yaml", name);
    th_write_file(dir, file, text, spec, sizeof spec);
    th_held_run_cells(spec, keep, NULL, held);
}

static const ll_ensemble_fold *ens_fold(const ll_run_result *run, size_t ensemble, size_t k)
{
    ck_assert_ptr_nonnull(run->ensembles);
    return &run->ensembles->folds[ensemble * run->ensembles->n_folds + k];
}

/* Flipping every label of outer fold 1 changes nothing the stacker of fold 1 learns (its top 2,
 * weights, intercept and cut, bit for bit) but its outer F1; the other folds train on those
 * rows, so their weights move. */
START_TEST(the_stacker_never_sees_the_outer_test_labels)
{
    th_held_run held;
    held_product_run("leak",
                     "cv: {folds: 3, seed: 7}\n"
                     "models: [{logreg: {C: [0.1, 1]}}, {sgb: {n_estimators: 20, max_depth: 3}}]\n"
                     "threshold: {tune: f1, folds: 3}\n"
                     "importances: none\n"
                     "ensembles:\n"
                     "  - {method: stack, members: {top: 2}}\n"
                     "  - {method: stack, members: [\"logreg(C=1)\", sgb]}\n",
                     every_cell, &held);
    ll_run_result *run = &held.run;
    ll_error err;
    ck_assert_int_eq(run->inner_folds, 3); /* planned without select */
    ck_assert_ptr_null(run->selection);
    ck_assert_int_eq(ll_run_derive(&held.spec, run, &err), 0);
    ck_assert_uint_eq(run->n_derived, 2);
    ll_ensemble_fold before[2][3];
    ll_member members[2][3][2];
    for (size_t e = 0; e < 2; e++)
        for (size_t k = 0; k < 3; k++) {
            before[e][k] = *ens_fold(run, e, k);
            ck_assert_int_eq(before[e][k].status, LL_CELL_OK);
            ck_assert_uint_eq(before[e][k].n_members, 2);
            memcpy(members[e][k], before[e][k].members, sizeof members[e][k]);
            double *w = malloc(2 * sizeof *w);
            memcpy(w, before[e][k].weights, 2 * sizeof *w);
            before[e][k].weights = w;
        }
    for (size_t i = 0; i < run->n_rows; i++)
        if (run->fold_of_row[i] == 1)
            run->y[i] = !run->y[i];
    ck_assert_int_eq(ll_run_derive(&held.spec, run, &err), 0);
    for (size_t e = 0; e < 2; e++) {
        const ll_ensemble_fold *now = ens_fold(run, e, 1), *was = &before[e][1];
        ck_assert_int_eq(now->status, LL_CELL_OK);
        ck_assert_mem_eq(now->members, members[e][1], sizeof members[e][1]);
        ck_assert_mem_eq(now->weights, was->weights, 2 * sizeof *now->weights);
        ck_assert(now->intercept == was->intercept);
        ck_assert(now->cell.threshold == was->cell.threshold);
        ck_assert_msg(now->cell.metrics.f1 != was->cell.metrics.f1, "ensemble %zu", e);
        for (size_t k = 0; k < 3; k += 2)
            ck_assert_msg(ens_fold(run, e, k)->intercept != before[e][k].intercept,
                          "ensemble %zu fold %zu did not see its training labels change", e, k);
    }
    for (size_t e = 0; e < 2; e++)
        for (size_t k = 0; k < 3; k++)
            free(before[e][k].weights);
    th_held_run_free(&held);
}
END_TEST

/* average(sgb, sgb) is sgb: its scores are sgb's, (p + p) / 2 = p exactly. So each fold's F1 at
 * the fixed cut, PR-AUC and ROC-AUC are those of sgb's outer cell, and its cut (tuned on sgb's
 * pooled inner scores) and F1 at that cut are the nested selection's, which picks sgb in every
 * fold of this table. The parser refuses a member twice, so the test writes it in. */
START_TEST(the_average_of_one_member_twice_is_that_member)
{
    th_held_run held;
    held_product_run("twice",
                     "cv: {folds: 3, seed: 7}\n"
                     "models: [{sgb: {n_estimators: 20, max_depth: 3}}, logreg]\n"
                     "threshold: {tune: f1, folds: 3}\n"
                     "select: {metric: f1, inner_folds: 3}\n"
                     "importances: none\n"
                     "ensembles: [{method: average, members: [sgb, logreg]}]\n",
                     every_cell, &held);
    held.spec.ensembles[0].members[1] = held.spec.ensembles[0].members[0];
    ll_run_result *run = &held.run;
    ll_error err;
    ck_assert_int_eq(ll_run_derive(&held.spec, run, &err), 0);
    ck_assert_uint_eq(run->n_derived, 2); /* the selection, then the ensemble */
    for (size_t k = 0; k < 3; k++) {
        const ll_ensemble_fold *ef = ens_fold(run, 0, k);
        const ll_cell *sgb = &run->cells[ll_cell_index(run, 0, 0, 0, k)];
        const ll_selected_fold *sf = &run->selection->folds[k];
        ck_assert_int_eq(ef->status, LL_CELL_OK);
        ck_assert(ef->weights[0] == 0.5 && ef->weights[1] == 0.5);
        ck_assert(ef->cell.f1_fixed == sgb->f1_fixed);
        ck_assert(ef->cell.metrics.pr_auc == sgb->metrics.pr_auc);
        ck_assert(ef->cell.metrics.roc_auc == sgb->metrics.roc_auc);
        ck_assert_int_eq(sf->status, LL_CELL_OK);
        ck_assert_uint_eq(sf->model, 0);
        ck_assert(ef->cell.threshold == sf->cell.threshold);
        ck_assert(ef->cell.metrics.f1 == sf->cell.metrics.f1);
        ck_assert(run->derived[1].cells[k].metrics.f1 == ef->cell.metrics.f1);
    }
    th_held_run_free(&held);
}
END_TEST

static int outer_only(const ll_cell *cell) { return cell->inner == 0; }

/* A member whose cell failed fails that fold with the member named (flaky fails the cells
 * whose seed is even: outer and inner ones); members whose cells have not run leave it
 * pending. */
START_TEST(failed_and_unfinished_members)
{
    th_held_run held;
    held_product_run("flaky",
                     "cv: {folds: 3, repeats: 2, seed: 7}\n"
                     "plugin_path: [" LL_TEST_FIXTURE_PLUGIN_DIR "]\n"
                     "models: [{flaky: {mode: partial}}, logreg]\n"
                     "importances: none\n"
                     "ensembles: [{method: stack, members: [\"flaky(mode=partial)\", logreg]}]\n",
                     every_cell, &held);
    ll_run_result *run = &held.run;
    ll_error err;
    ck_assert_int_eq(ll_run_derive(&held.spec, run, &err), 0);
    size_t failed = 0;
    for (size_t k = 0; k < 6; k++) {
        size_t rep = k / 3, f = k % 3;
        int broken = run->cells[ll_cell_index(run, 0, 0, rep, f)].status != LL_CELL_OK;
        for (size_t g = 0; g < 3; g++)
            broken |= run->cells[ll_inner_cell_index(run, 0, 0, rep, f, 0, g)].status != LL_CELL_OK;
        const ll_ensemble_fold *ef = ens_fold(run, 0, k);
        ck_assert_int_eq(ef->status, broken ? LL_CELL_FAILED : LL_CELL_OK);
        ck_assert_int_eq(run->derived[0].cells[k].status, ef->status);
        if (broken) {
            failed++;
            ck_assert_msg(strstr(ef->error, "member flaky(mode=partial) | none: ") &&
                              strstr(ef->error, "flaky: failing this fold on purpose"),
                          "%s", ef->error);
            ck_assert_str_eq(run->derived[0].cells[k].error, ef->error);
        }
    }
    ck_assert_uint_gt(failed, 0);
    th_held_run_free(&held);

    held_product_run("unfinished",
                     "cv: {folds: 3, seed: 7}\n"
                     "models: [{logreg: {C: [0.1, 1]}}]\n"
                     "importances: none\n"
                     "ensembles: [{method: average, members: {top: 2}}]\n",
                     outer_only, &held);
    ck_assert_int_eq(ll_run_derive(&held.spec, &held.run, &err), 0);
    for (size_t k = 0; k < 3; k++)
        ck_assert_int_eq(ens_fold(&held.run, 0, k)->status, LL_CELL_PENDING);
    th_held_run_free(&held);
}
END_TEST

#define SYNTH_SPEC                                                                           \
    "name: ens\n"                                                                            \
    "data: {synth: {rows: 1500, seed: 3}, target: buy, id: id}\n"                            \
    "features: {drop: [created_at, signup_date], columns: {products_purchased: {fill: 0}}}\n" \
    "cv: {folds: 3, repeats: 2, seed: 11}\n"                                                 \
    "samplers: [none, undersample]\n"                                                        \
    "models: [{logreg: {C: [0.1, 1]}}, {sgb: {n_estimators: 20}}]\n"                         \
    "threshold: {tune: f1, folds: 3}\n"                                                      \
    "importances: none\n"                                                                    \
    "ensembles:\n"                                                                           \
    "  - {method: stack, members: {top: 3}}\n"                                               \
    "  - {method: average, members: [\"logreg(C=1) | none\", \"sgb | undersample\"]}\n"

/* leaderboard.csv without its timing columns (fit_seconds, predict_seconds). */
static char *without_timings(const char *csv)
{
    char *out = malloc(strlen(csv) + 1), header[64];
    ck_assert_ptr_nonnull(out);
    int drop[2] = {-1, -1}, n_drop = 0;
    for (int i = 0; i < 200 && n_drop < 2; i++) {
        th_csv_field(csv, i, header, sizeof header);
        if (!strcmp(header, "fit_seconds") || !strcmp(header, "predict_seconds"))
            drop[n_drop++] = i;
    }
    ck_assert_int_eq(n_drop, 2);
    size_t len = 0;
    int field = 0, quoted = 0;
    for (const char *p = csv; *p; p++) {
        if (*p == '\n') {
            field = 0;
            out[len++] = *p;
            continue;
        }
        if (*p == '"')
            quoted = !quoted;
        int boundary = *p == ',' && !quoted;
        if (field != drop[0] && field != drop[1])
            out[len++] = *p;
        field += boundary;
    }
    out[len] = '\0';
    return out;
}

/* Ensembles come from stored cells only: the same files at any -j and after a resume, which
 * reuses every inner cell. Without select, the inner cells are still planned (3 folds by
 * default) and no selection is written. */
START_TEST(ensembles_do_not_depend_on_threads_and_resume)
{
    th_run_spec(dir, "j1", SYNTH_SPEC, "-j 1", NULL);
    th_run_spec(dir, "j2", SYNTH_SPEC, "-j 2", NULL);
    const char *files[] = {"ensembles.csv", "predictions.csv"};
    for (size_t k = 0; k < 2; k++) {
        char *one = th_read_output(dir, "j1", files[k]), *two = th_read_output(dir, "j2", files[k]);
        ck_assert_msg(!strcmp(one, two), "%s differs between -j 1 and -j 2", files[k]);
        free(one);
        free(two);
    }
    char *lb1 = th_read_output(dir, "j1", "leaderboard.csv");
    char *lb2 = th_read_output(dir, "j2", "leaderboard.csv");
    char *cut1 = without_timings(lb1), *cut2 = without_timings(lb2);
    ck_assert_msg(!strcmp(cut1, cut2), "leaderboard.csv differs:\n%s\n%s", cut1, cut2);
    ck_assert_msg(strstr(cut1, "\n,stack(top 3),,6,0,"), "%s", cut1);
    ck_assert_msg(strstr(cut1, "\n,\"average(logreg(C=1) | none, sgb | undersample)\",,6,0,"),
                  "%s", cut1);
    free(lb1);
    free(lb2);
    free(cut1);
    free(cut2);
    char path[700];
    snprintf(path, sizeof path, "%s/j1/selection.csv", dir);
    ck_assert_msg(!th_read_file(path), "selection.csv written without select");
    /* 6 configs x samplers x 2 repeats x 3 folds, then 3 inner cells each. */
    char *out = NULL;
    th_run_spec(dir, "j2", SYNTH_SPEC, "-j 2", &out);
    ck_assert_msg(strstr(out, "0 cells run, 144 reused"), "%s", out);
    free(out);
    char *one = th_read_output(dir, "j1", "ensembles.csv");
    char *again = th_read_output(dir, "j2", "ensembles.csv");
    ck_assert_str_eq(one, again);
    /* 2 x 3 folds of a 3-member stack (+ intercept) and a 2-member average, and the header */
    size_t lines = 0;
    for (const char *p = one; *p; p++)
        lines += *p == '\n';
    ck_assert_uint_eq(lines, 1 + 6 * 4 + 6 * 2);
    free(one);
    free(again);
}
END_TEST

START_TEST(bad_ensembles_are_refused)
{
    const char *head = "name: bad\n"
                       "data: {synth: {rows: 300, seed: 3}, target: buy, id: id}\n"
                       "features: {drop: [created_at, signup_date], columns: {products_purchased: "
                       "{fill: 0}}}\n"
                       "models: [{logreg: {C: [0.1, 1]}}, {sgb: {n_estimators: 20}}]\n";
    const char *cases[][3] = {
        /* samplers, ensembles, expected */
        {"[none]", "[{method: stak, members: [sgb, \"logreg(C=1)\"]}]",
         "bad0.yaml:6:22: ensembles.0.method: unknown method 'stak' (did you mean 'stack'?)"},
        {"[none]", "[{method: stack, members: [sgb, \"logreg(C=2)\"]}]",
         "ensembles.0.members: unknown model config 'logreg(C=2)' (did you mean 'logreg(C=1)'?)"},
        {"[none]", "[{method: stack, members: [sgb, \"sgb | none\"]}]",
         "ensembles.0.members: 'sgb | none' is a member twice"},
        {"[none]", "[{method: average, members: [sgb]}]",
         "ensembles.0.members: an ensemble needs at least 2 members, got 1"},
        {"[none]", "[{method: average, members: {top: 1}}]",
         "ensembles.0.members.top: 1, but an ensemble needs 2 to 3 rows"},
        {"[none]", "[{method: average, members: {top: 4}}]",
         "ensembles.0.members.top: 4, but an ensemble needs 2 to 3 rows"},
        {"[none]", "[{method: average, members: {best: 2}}]",
         "ensembles.0.members: unknown key 'best'"},
        {"[none]", "[{method: average, members: [sgb, logreg], weights: [1, 2]}]",
         "ensembles.0: unknown key 'weights'"},
        {"[none]", "[{members: [sgb, \"logreg(C=1)\"]}]", "ensembles.0: 'method' is required"},
        {"[none]", "[{method: stack}]", "ensembles.0: 'members' is required"},
        {"[none]", "{method: stack}", "ensembles: expected a list, got a mapping"},
        {"[none]", "[{method: stack, members: {top: 2}}, {method: stack, members: {top: 2}}]",
         "ensembles: two ensembles are named 'stack(top 2)': give one a 'name'"},
        {"[none]", "[{method: stack, members: [sgb, \"sgb | smote\"]}]",
         "ensembles.0.members: unknown sampler 'smote'"},
        {"[none, undersample]", "[{method: stack, members: [sgb, \"logreg(C=1) | none\"]}]",
         "ensembles.0.members: 'sgb' names no sampler and the spec has 2: write 'sgb | SAMPLER'"},
        {"[none, undersample]",
         "[{method: stack, members: [\"sgb | undersampel\", \"logreg(C=1) | none\"]}]",
         "unknown sampler 'undersampel' (did you mean 'undersample'?)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char spec[2048], path[600], args[1400], file[32];
        snprintf(spec, sizeof spec, "%ssamplers: %s\nensembles: %s\n", head, cases[i][0],
                 cases[i][1]);
        snprintf(file, sizeof file, "bad%zu.yaml", i);
        th_write_file(dir, file, spec, path, sizeof path);
        snprintf(args, sizeof args, "validate %s --set output.dir=%s/bad", path, dir);
        th_assert_refused(args, cases[i][2]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ensemble");
    TCase *tc = tcase_create("ensembles");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, stacker_matches_scikit_learn);
    tcase_add_test(tc, a_stack_of_two_halves_beats_both);
    tcase_add_test(tc, the_stacker_never_sees_the_outer_test_labels);
    tcase_add_test(tc, the_average_of_one_member_twice_is_that_member);
    tcase_add_test(tc, failed_and_unfinished_members);
    tcase_add_test(tc, ensembles_do_not_depend_on_threads_and_resume);
    tcase_add_test(tc, bad_ensembles_are_refused);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
