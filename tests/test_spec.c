/* Tests for the experiment spec: YAML positions in errors, key and schema validation with
 * suggestions, grid expansion, random search (deterministic draws, repeats, refusals, a run
 * end to end), --set overrides and path resolution. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "spec.h"
#include "summary.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

/* Loads spec text (with the fixture plugin folder on its plugin_path); returns rc and keeps
 * the message. */
static int load(const char *text, const char *const *sets, size_t n_sets, ll_spec *spec,
                ll_registry *reg, ll_error *err)
{
    char path[512];
    th_write_file(dir, "spec.yaml", text, path, sizeof path);
    return ll_spec_load(path, sets, n_sets, reg, spec, err);
}

#define BASE "data: {train: train.csv, target: buy}\n"

/* Loading `text` must fail: its message into *err. */
static void load_fails(const char *text, ll_error *err)
{
    ll_spec spec;
    ll_registry reg;
    int rc = load(text, NULL, 0, &spec, &reg, err);
    if (rc == 0) {
        ll_spec_free(&spec);
        ll_registry_free(&reg);
    }
    ck_assert_int_eq(rc, -1);
}

static void expect_error(const char *text, const char *needle)
{
    ll_error err = {{0}, 0};
    load_fails(text, &err);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "expected '%s' in: %s", needle, err.msg);
    ck_assert_msg(strchr(err.msg, '\n') == NULL, "error must be one line: %s", err.msg);
}

START_TEST(yaml_syntax_error_has_file_line_col)
{
    /* the unclosed flow sequence on line 3 */
    expect_error(BASE "models:\n  - logreg: {C: [1, 2}\n", "spec.yaml:3:");
    expect_error(BASE "models:\n  - logreg: {C: [1, 2}\n", "YAML syntax error");
}
END_TEST

START_TEST(unknown_keys_are_suggested)
{
    expect_error(BASE "modles:\n  - logreg\n", "did you mean 'models'");
    expect_error(BASE "models:\n  - logreg\ncv: {fold: 3}\n", "spec.yaml:4:6: cv: unknown key 'fold'");
    expect_error(BASE "models:\n  - logreg: {CC: 1}\n", "did you mean 'C'");
    expect_error(BASE "models:\n  - logreg: {class_weight: balancd}\n", "did you mean 'balanced'");
}
END_TEST

START_TEST(wrong_types_and_ranges)
{
    expect_error(BASE "models: [logreg]\ncv: {folds: five}\n", "cv.folds: expected an integer");
    expect_error(BASE "models: [logreg]\ncv: {folds: 1}\n", "out of range");
    expect_error(BASE "models:\n  - logreg: {C: -1}\n", "models.logreg.C: -1 is out of range (0");
    expect_error(BASE "models:\n  - logreg: {C: abc}\n", "expected a number, got 'abc'");
    expect_error(BASE "models:\n  - logreg: {max_iter: 2.5}\n", "expected an integer");
    expect_error(BASE "models: [logreg]\nthreshold: 1.5\n", "threshold: 1.5 is out of range");
    expect_error(BASE "models: [logreg]\nmetrics: [f1, aucc]\n", "unknown metric 'aucc'");
    expect_error(BASE "models: {logreg: {}}\n", "expected a list");
}
END_TEST

START_TEST(unknown_plugin_and_wrong_kind)
{
    expect_error(BASE "models:\n  - logreggg\n", "unknown plugin 'logreggg' (did you mean 'logreg'?)");
    expect_error(BASE "models:\n  - none\n", "'none' is a sampler plugin, not a model");
}
END_TEST

START_TEST(grid_expands_in_order)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err;
    ck_assert_msg(load(BASE "models:\n  - logreg: {C: [0.1, 1, 10], class_weight: [none, balanced]}\n"
                            "  - logreg: {max_iter: 50}\n",
                       NULL, 0, &spec, &reg, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(spec.n_models, 7);
    /* the last key varies fastest, as scikit-learn's ParameterGrid */
    ck_assert_str_eq(spec.models[0].label, "logreg(C=0.1,class_weight=none)");
    ck_assert_str_eq(spec.models[1].label, "logreg(C=0.1,class_weight=balanced)");
    ck_assert_str_eq(spec.models[5].label, "logreg(C=10,class_weight=balanced)");
    ck_assert_str_eq(spec.models[6].label, "logreg(max_iter=50)");
    const ll_host *h = ll_host_default();
    ck_assert_double_eq(h->real(spec.models[4].params, "C"), 10.0);
    ck_assert_str_eq(h->string(spec.models[1].params, "class_weight"), "balanced");
    ck_assert_int_eq(h->integer(spec.models[0].params, "max_iter"), 100); /* the default */
    ck_assert_uint_eq(spec.n_samplers, 1);
    ck_assert_str_eq(spec.samplers[0].label, "none");
    ll_spec_free(&spec);
    ll_registry_free(&reg);
}
END_TEST

START_TEST(duplicate_configs_are_refused)
{
    expect_error(BASE "models:\n  - logreg: {C: [1, 1]}\n", "appears twice");
}
END_TEST

START_TEST(set_overrides_values_and_grids)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err;
    const char *sets[] = {"cv.folds=3", "models.logreg.C=[1, 2]", "threshold=0.3",
                          "output.dir=/tmp/elsewhere"};
    ck_assert_msg(load(BASE "models:\n  - logreg\ncv: {folds: 5, seed: 9}\n", sets, 4, &spec,
                       &reg, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(spec.folds, 3);
    ck_assert_uint_eq(spec.seed, 9);
    ck_assert_double_eq(spec.threshold, 0.3);
    ck_assert_uint_eq(spec.n_models, 2);
    ck_assert_str_eq(spec.models[1].label, "logreg(C=2)");
    ck_assert_str_eq(spec.out_dir, "/tmp/elsewhere");
    ll_spec_free(&spec);
    ll_registry_free(&reg);
    const char *bad[] = {"cv.folds"};
    ck_assert_int_eq(load(BASE "models: [logreg]\n", bad, 1, &spec, &reg, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "expected key.path=value"));
    const char *typo[] = {"cv.fols=3"};
    ck_assert_int_eq(load(BASE "models: [logreg]\n", typo, 1, &spec, &reg, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "did you mean 'folds'"));
    /* an index selects the list item as its plugin's name does, bare or with parameters */
    const char *by_index[] = {"models.1.C=2", "models.0.k=7"};
    ck_assert_msg(load(BASE "models: [{knn: {k: 5}}, logreg]\n", by_index, 2, &spec, &reg,
                       &err) == 0, "%s", err.msg);
    ck_assert_str_eq(spec.models[0].label, "knn(k=7)");
    ck_assert_str_eq(spec.models[1].label, "logreg(C=2)");
    ll_spec_free(&spec);
    ll_registry_free(&reg);
}
END_TEST

START_TEST(paths_resolve_relative_to_the_spec)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err;
    ck_assert_msg(load(BASE "models: [logreg]\noutput: {dir: out}\n", NULL, 0, &spec, &reg,
                       &err) == 0, "%s", err.msg);
    char expected[600];
    snprintf(expected, sizeof expected, "%s/train.csv", dir);
    ck_assert_str_eq(spec.train_path, expected);
    snprintf(expected, sizeof expected, "%s/out", dir);
    ck_assert_str_eq(spec.out_dir, expected);
    ll_spec_free(&spec);
    ll_registry_free(&reg);
}
END_TEST

START_TEST(transforms_are_read)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err;
    ck_assert_msg(load(BASE "models: [logreg]\nfeatures:\n  drop: [a]\n  columns:\n"
                            "    p: {fill: 0, missing_flag: true}\n"
                            "    d: {date: [year, dayofweek], fill: -1}\n"
                            "    c: {onehot: [1, 2, 3]}\n"
                            "  derived:\n    gap: {days_between: [d, e], fill: 0}\n",
                       NULL, 0, &spec, &reg, &err) == 0, "%s", err.msg);
    const ll_feature_spec *fs = &spec.features;
    ck_assert_uint_eq(fs->n_drop, 1);
    ck_assert_uint_eq(fs->n_transforms, 3);
    ck_assert_int_eq(fs->transforms[0].has_fill, 1);
    ck_assert_int_eq(fs->transforms[0].missing_flag, 1);
    ck_assert_uint_eq(fs->transforms[1].date_parts, LL_DATE_YEAR | LL_DATE_DAYOFWEEK);
    ck_assert_uint_eq(fs->transforms[2].n_onehot_values, 3);
    ck_assert_str_eq(fs->derived[0].columns[1], "e");
    ck_assert_str_eq(fs->positive, "1");
    ll_spec_free(&spec);
    ll_registry_free(&reg);
    expect_error(BASE "models: [logreg]\nfeatures:\n  columns:\n    d: {date: [weekday]}\n",
                 "unknown date part 'weekday'");
    expect_error(BASE "models: [logreg]\nfeatures:\n  derived:\n    g: {days_between: [a]}\n",
                 "expected two date columns");
}
END_TEST

START_TEST(new_date_parts_and_derived_kinds_are_read)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err;
    ck_assert_msg(load(BASE "models: [logreg]\nfeatures:\n  columns:\n"
                            "    d: {date: [weekofyear, dayofyear]}\n"
                            "  derived:\n"
                            "    total: {sum: [a, b, c], fill: -1, missing_flag: true}\n"
                            "    pattern_n: {count: [a, b]}\n"
                            "    a_n: {count: a}\n"
                            "    gap: {days_between: [d, e]}\n",
                       NULL, 0, &spec, &reg, &err) == 0, "%s", err.msg);
    const ll_feature_spec *fs = &spec.features;
    ck_assert_uint_eq(fs->transforms[0].date_parts, LL_DATE_WEEKOFYEAR | LL_DATE_DAYOFYEAR);
    ck_assert_uint_eq(fs->n_derived, 4);
    ck_assert_int_eq(fs->derived[0].kind, LL_DERIVED_SUM);
    ck_assert_uint_eq(fs->derived[0].n_columns, 3);
    ck_assert_str_eq(fs->derived[0].columns[2], "c");
    ck_assert_int_eq(fs->derived[0].has_fill, 1);
    ck_assert_double_eq(fs->derived[0].fill, -1);
    ck_assert_int_eq(fs->derived[0].missing_flag, 1);
    ck_assert_int_eq(fs->derived[1].kind, LL_DERIVED_COUNT);
    ck_assert_uint_eq(fs->derived[1].n_columns, 2);
    ck_assert_int_eq(fs->derived[1].has_fill, 0);
    ck_assert_int_eq(fs->derived[2].kind, LL_DERIVED_COUNT); /* a scalar is a one-item list */
    ck_assert_uint_eq(fs->derived[2].n_columns, 1);
    ck_assert_str_eq(fs->derived[2].columns[0], "a");
    ck_assert_int_eq(fs->derived[3].kind, LL_DERIVED_DAYS_BETWEEN);
    ck_assert_str_eq(fs->derived[3].columns[0], "d");
    ll_spec_free(&spec);
    ll_registry_free(&reg);

#define DERIVED BASE "models: [logreg]\nfeatures:\n  derived:\n"
    expect_error(BASE "models: [logreg]\nfeatures:\n  columns:\n    d: {date: [weekofyr]}\n",
                 "did you mean 'weekofyear'");
    expect_error(DERIVED "    g: {sum: [a], count: [b]}\n", "'sum' and 'count' exclude each other");
    expect_error(DERIVED "    g: {fill: 0}\n", "'target: [columns]' is required");
    expect_error(DERIVED "    g: {count: []}\n", "features.derived.g.count: name at least one column");
    expect_error(DERIVED "    g: {sum: [a, b, a]}\n", "column 'a' is listed twice");
    expect_error(DERIVED "    g: {count: [a], fil: 0}\n", "did you mean 'fill'");
#undef DERIVED
}
END_TEST

/* frequency and target read like count; target's smoothing defaults to 10, and smoothing is
 * a number > 0 that goes with target only. */
START_TEST(learned_encodings_are_read)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err;
    ck_assert_msg(load(BASE "models: [logreg]\nfeatures:\n  derived:\n"
                            "    a_share: {frequency: a}\n"
                            "    ab_rate: {target: [a, b], fill: -1, missing_flag: true}\n"
                            "    b_rate: {target: b, smoothing: 2.5}\n"
                            "    ab_n: {count: [a, b]}\n",
                       NULL, 0, &spec, &reg, &err) == 0, "%s", err.msg);
    const ll_feature_spec *fs = &spec.features;
    ck_assert_uint_eq(fs->n_derived, 4);
    ck_assert_int_eq(fs->derived[0].kind, LL_DERIVED_FREQUENCY);
    ck_assert_uint_eq(fs->derived[0].n_columns, 1);
    ck_assert_double_eq(fs->derived[0].smoothing, 0);
    ck_assert_int_eq(fs->derived[1].kind, LL_DERIVED_TARGET);
    ck_assert_str_eq(fs->derived[1].columns[1], "b");
    ck_assert_double_eq(fs->derived[1].smoothing, 10);
    ck_assert_int_eq(fs->derived[1].has_fill, 1);
    ck_assert_int_eq(fs->derived[1].missing_flag, 1);
    ck_assert_double_eq(fs->derived[2].smoothing, 2.5);
    ck_assert_int_eq(fs->derived[3].kind, LL_DERIVED_COUNT);
    ck_assert_double_eq(fs->derived[3].smoothing, 0);
    ll_spec_free(&spec);
    ll_registry_free(&reg);

#define DERIVED BASE "models: [logreg]\nfeatures:\n  derived:\n"
    /* each names the file, the line and column of the value, and the field */
    expect_error(DERIVED "    g: {count: [a], smoothing: 5}\n",
                 "spec.yaml:5:32: features.derived.g.smoothing: goes with 'target' only, not "
                 "'count'");
    expect_error(DERIVED "    g: {frequency: a, smoothing: 5}\n",
                 "features.derived.g.smoothing: goes with 'target' only, not 'frequency'");
    expect_error(DERIVED "    g: {target: a, smoothing: 0}\n",
                 "spec.yaml:5:31: features.derived.g.smoothing: expected a number > 0, got '0'");
    expect_error(DERIVED "    g: {target: a, smoothing: -2}\n", "expected a number > 0, got '-2'");
    expect_error(DERIVED "    g: {target: a, smoothing: .inf}\n",
                 "features.derived.g.smoothing: expected a finite number, got '.inf'");
    expect_error(DERIVED "    g: {target: a, smoothing: lots}\n",
                 "features.derived.g.smoothing: expected a number, got 'lots'");
    expect_error(DERIVED "    g: {target: a, smothing: 5}\n",
                 "unknown key 'smothing' (did you mean 'smoothing'?)");
    expect_error(DERIVED "    g: {target: a, frequency: a}\n",
                 "'frequency' and 'target' exclude each other");
    expect_error(DERIVED "    g: {target: []}\n",
                 "features.derived.g.target: name at least one column");
    expect_error(DERIVED "    g: {frequency: [a, a]}\n", "column 'a' is listed twice");
#undef DERIVED
}
END_TEST

START_TEST(edit_distance_and_suggestions)
{
    /* kitten -> sitting: substitute k/s, e/i, insert g = 3 (the textbook example) */
    ck_assert_uint_eq(ll_edit_distance("kitten", "sitting"), 3);
    ck_assert_uint_eq(ll_edit_distance("", "abc"), 3);
    char buf[64];
    ck_assert_str_eq(ll_suggest("smot", "none|smote|undersample", buf, sizeof buf), "smote");
    ck_assert_ptr_null(ll_suggest("xgboost", "none|smote|undersample", buf, sizeof buf));
    /* a swap of neighbours is one edit (optimal string alignment), and case does not count:
     * "gbn" is 1 from "gnb" but 2 from "dnn"; "KNN" is "knn" */
    ck_assert_uint_eq(ll_edit_distance("gbn", "gnb"), 1);
    ck_assert_uint_eq(ll_edit_distance("gbn", "dnn"), 2);
    ck_assert_uint_eq(ll_edit_distance("KNN", "knn"), 0);
    ck_assert_str_eq(ll_suggest("gbn", "dnn|gnb|knn", buf, sizeof buf), "gnb");
}
END_TEST

START_TEST(report_sort_is_read)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err = {{0}, 0};
    ck_assert_msg(load(BASE "models: [logreg]\nreport: {sort: pr_auc}\n", NULL, 0, &spec, &reg,
                       &err) == 0, "%s", err.msg);
    ck_assert_int_eq(spec.sort_metric, 4); /* f1, precision, recall, roc_auc, pr_auc */
    ll_spec_free(&spec);
    ll_registry_free(&reg);
    expect_error(BASE "models: [logreg]\nreport: {sort: auc}\n",
                 "report.sort: unknown metric 'auc'");
}
END_TEST

/* metrics: names and {recall_at|precision_at|lift_at: k or [k...]}; each top-k metric gets a
 * slot once, and report.sort may name one the list does not (it is added). */
START_TEST(top_k_and_probability_metrics_are_read)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err = {{0}, 0};
    ck_assert_msg(load(BASE "models: [logreg]\nmetrics: [f1, brier, ece, {recall_at: [0.05, 0.1]},"
                            " {precision_at: 0.1}, {lift_at: 0.1}, {recall_at: 0.1}]\n"
                            "report: {sort: lift@5%}\n",
                       NULL, 0, &spec, &reg, &err) == 0, "%s", err.msg);
    ck_assert(spec.metrics & LL_METRIC_BRIER && spec.metrics & LL_METRIC_ECE);
    ck_assert(!(spec.metrics & LL_METRIC_LOG_LOSS) && !(spec.metrics & LL_METRIC_PR_AUC));
    ck_assert_uint_eq(spec.n_at, 5); /* recall 0.05, 0.1, precision 0.1, lift 0.1, lift 0.05 */
    ck_assert_int_eq(spec.at[1].kind, LL_AT_RECALL);
    ck_assert(spec.at[1].k == 0.1);
    ck_assert_int_eq(spec.at[4].kind, LL_AT_LIFT);
    ck_assert_int_eq(spec.sort_metric, LL_SUM_AT + 4);
    char buf[64];
    ck_assert_str_eq(ll_metric_key_at(LL_SUM_AT + 1, spec.at, buf, sizeof buf), "recall_at_0.1");
    ck_assert_str_eq(ll_metric_label_at(LL_SUM_AT + 0, spec.at, buf, sizeof buf), "recall@5%");
    int cols[LL_SUM_N];
    size_t n = ll_shown_metrics(&spec, cols);
    ck_assert_uint_eq(n, 2 + 5);
    ck_assert_int_eq(cols[0], LL_SUM_BRIER);
    ck_assert_int_eq(cols[1], LL_SUM_ECE);
    ck_assert_int_eq(cols[2], LL_SUM_AT);
    ll_spec_free(&spec);
    ll_registry_free(&reg);
    expect_error(BASE "models: [logreg]\nmetrics: [{recall_at: 0}]\n",
                 "metrics.recall_at: k is the fraction of a fold's rows called, in (0, 1]; got 0");
    expect_error(BASE "models: [logreg]\nmetrics: [{precision_at: 1.5}]\n",
                 "metrics.precision_at: k is the fraction");
    expect_error(BASE "models: [logreg]\nmetrics: [{lift_at: [0.1, -2]}]\n", "got -2");
    expect_error(BASE "models: [logreg]\nmetrics: [{recal_at: 0.1}]\n",
                 "unknown top-k metric 'recal_at'");
    expect_error(BASE "models: [logreg]\nmetrics: [brire]\n", "(did you mean 'brier'?)");
    expect_error(BASE "models: [logreg]\nreport: {sort: recall_at_0}\n",
                 "report.sort: unknown metric 'recall_at_0'");
}
END_TEST

/* ---- random search ---- */

#define RANDOM "search: {method: random, trials: 6, seed: 4}\n"

/* The spec's model labels joined by ";" (caller frees); fails the test if it does not load. */
static char *model_labels(const char *text, const char *const *sets, size_t n_sets,
                          size_t *n_out)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err = {{0}, 0};
    ck_assert_msg(load(text, sets, n_sets, &spec, &reg, &err) == 0, "%s", err.msg);
    size_t cap = 1;
    for (size_t i = 0; i < spec.n_models; i++)
        cap += strlen(spec.models[i].label) + 1;
    char *all = calloc(cap, 1);
    ck_assert_ptr_nonnull(all);
    for (size_t i = 0; i < spec.n_models; i++) {
        strcat(all, spec.models[i].label);
        strcat(all, ";");
    }
    *n_out = spec.n_models;
    ll_spec_free(&spec);
    ll_registry_free(&reg);
    return all;
}

START_TEST(random_search_draws_the_same_configs_every_time)
{
    const char *text = BASE "models:\n"
                            "  - sgb: {learning_rate: {uniform: [0.01, 0.3]}, max_depth: [2, 3]}\n"
                            "  - logreg: {C: [0.1, 1]}\n" RANDOM;
    size_t n1, n2, n3;
    char *a = model_labels(text, NULL, 0, &n1), *b = model_labels(text, NULL, 0, &n2);
    /* 6 draws of a real never repeat; the entry without a distribution stays a grid */
    ck_assert_uint_eq(n1, 6 + 2);
    ck_assert_uint_eq(n2, n1);
    ck_assert_str_eq(a, b);
    ck_assert_msg(!strncmp(a, "sgb(learning_rate=0.", 20) && strstr(a, ",max_depth="), "%s", a);
    ck_assert_msg(strstr(a, ";logreg(C=0.1);logreg(C=1);"), "%s", a);
    const char *reseed[] = {"search.seed=5"};
    char *c = model_labels(text, reseed, 1, &n3);
    ck_assert_uint_eq(n3, n1);
    ck_assert_str_ne(a, c);
    free(a);
    free(b);
    free(c);

    ll_spec spec;
    ll_registry reg;
    ll_error err;
    ck_assert_msg(load(BASE "models:\n  - logreg: {C: {loguniform: [0.01, 10]}}\n"
                            "samplers:\n  - smote: {k: {int: [1, 3]}}\n" RANDOM,
                       NULL, 0, &spec, &reg, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(spec.search, LL_SEARCH_RANDOM);
    ck_assert_uint_eq(spec.search_trials, 6);
    ck_assert_uint_eq(spec.n_models, 6);
    /* samplers are searched too: k in {1, 2, 3}, each kept once */
    ck_assert_uint_ge(spec.n_samplers, 1);
    ck_assert_uint_le(spec.n_samplers, 3);
    const ll_host *h = ll_host_default();
    for (size_t i = 0; i < spec.n_models; i++) {
        double c_value = h->real(spec.models[i].params, "C");
        ck_assert(c_value >= 0.01 && c_value <= 10);
        ck_assert(spec.models[i].sampled);
    }
    for (size_t i = 0; i < spec.n_samplers; i++)
        ck_assert_msg(!strncmp(spec.samplers[i].label, "smote(k=", 8), "%s",
                      spec.samplers[i].label);
    ll_spec_free(&spec);
    ll_registry_free(&reg);
}
END_TEST

START_TEST(repeated_draws_are_kept_once)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err;
    /* {int: [1, 2]} x {choice: [uniform, distance]} has 2 x 2 = 4 configurations; 50 trials
     * draw each of them (missing one has probability 4 (3/4)^50 = 2e-6, and the seed fixes
     * the draws), so exactly 4 remain, each once, the rest dropped without an error. */
    const char *space = "  - knn: {k: {int: [1, 2]}, weights: {choice: [uniform, distance]}}\n";
    char text[512];
    snprintf(text, sizeof text, BASE "models:\n%ssearch: {method: random, trials: 50, seed: 2}\n",
             space);
    ck_assert_msg(load(text, NULL, 0, &spec, &reg, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(spec.n_models, 4);
    const char *all[] = {"knn(k=1,weights=uniform)", "knn(k=1,weights=distance)",
                         "knn(k=2,weights=uniform)", "knn(k=2,weights=distance)"};
    for (size_t a = 0; a < 4; a++) {
        int found = 0;
        for (size_t i = 0; i < 4; i++)
            found += !strcmp(spec.models[i].label, all[a]);
        ck_assert_msg(found == 1, "%s found %d times", all[a], found);
    }
    ll_spec_free(&spec);
    ll_registry_free(&reg);
    /* a given config that a draw repeats stays, and the draw goes, wherever it is listed */
    snprintf(text, sizeof text, BASE "models:\n%s  - knn: {k: 2, weights: distance}\n"
             "search: {method: random, trials: 50, seed: 2}\n", space);
    ck_assert_msg(load(text, NULL, 0, &spec, &reg, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(spec.n_models, 4);
    ck_assert_str_eq(spec.models[3].label, "knn(k=2,weights=distance)");
    ck_assert(!spec.models[3].sampled);
    ll_spec_free(&spec);
    ll_registry_free(&reg);
    /* given configs that repeat each other are still refused */
    expect_error(BASE "models:\n  - knn: {k: 2}\n  - knn: {k: 2}\n" RANDOM, "appears twice");
}
END_TEST

START_TEST(an_entry_draws_the_same_beside_other_entries)
{
    const char *logreg = "  - logreg: {C: {loguniform: [0.01, 10]}}\n";
    char text[512];
    size_t n_alone, n_after, n_twice;
    snprintf(text, sizeof text, BASE "models:\n%s" RANDOM, logreg);
    char *alone = model_labels(text, NULL, 0, &n_alone);
    /* another plugin's entry before it (with draws of its own) leaves its draws alone */
    snprintf(text, sizeof text, BASE "models:\n  - knn: {k: {int: [1, 50]}}\n  - sgb\n%s" RANDOM,
             logreg);
    char *after = model_labels(text, NULL, 0, &n_after);
    ck_assert_uint_eq(n_alone, 6);
    ck_assert_uint_ge(n_after, 6 + 1 + 1);
    ck_assert_msg(!strncmp(after, "knn(k=", 6), "%s", after);
    ck_assert_msg(strlen(after) > strlen(alone) &&
                      !strcmp(after + strlen(after) - strlen(alone), alone),
                  "%s\nshould end with\n%s", after, alone);
    /* a second entry of the same plugin draws its own values, not the first one's again */
    snprintf(text, sizeof text, BASE "models:\n%s%s" RANDOM, logreg, logreg);
    char *twice = model_labels(text, NULL, 0, &n_twice);
    ck_assert_uint_eq(n_twice, 12);
    ck_assert(!strncmp(twice, alone, strlen(alone)));
    free(alone);
    free(after);
    free(twice);
}
END_TEST

START_TEST(calibrate_expands_drawn_configs)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err;
    ck_assert_msg(load(BASE "models:\n  - logreg: {C: {loguniform: [0.01, 10]}}\n" RANDOM
                            "calibrate: {method: [none, isotonic]}\n",
                       NULL, 0, &spec, &reg, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(spec.n_models, 12);
    for (size_t i = 0; i < 12; i += 2) {
        char expected[256];
        snprintf(expected, sizeof expected, "%s [isotonic]", spec.models[i].label);
        ck_assert_str_eq(spec.models[i + 1].label, expected);
        ck_assert_ptr_eq(spec.models[i + 1].params, spec.models[i].params);
    }
    ll_spec_free(&spec);
    ll_registry_free(&reg);
}
END_TEST

/* Loading `text` fails with one line ending in `expected` (after the spec's folder). */
static void expect_exact_error(const char *text, const char *expected)
{
    ll_error err = {{0}, 0};
    load_fails(text, &err);
    char full[700];
    snprintf(full, sizeof full, "%s/%s", dir, expected);
    ck_assert_str_eq(err.msg, full);
}

START_TEST(bad_searches_are_refused_naming_the_key)
{
    expect_exact_error(BASE "models:\n  - logreg: {C: {uniform: [2, 1]}}\n" RANDOM,
                       "spec.yaml:3:27: models.logreg.C: uniform needs low < high, got [2, 1]");
    expect_exact_error(BASE "models:\n  - logreg: {tol: {loguniform: [0, 0.1]}}\n" RANDOM,
                       "spec.yaml:3:32: models.logreg.tol: loguniform needs 0 < low < high, "
                       "got [0, 0.1]");
    expect_exact_error(BASE "models:\n  - sgb: {learning_rate: {uniform: [0.1, 2]}}\n" RANDOM,
                       "spec.yaml:3:42: models.sgb.learning_rate: 2 is out of range (0, 1]");
    expect_exact_error(BASE "models:\n  - logreg: {class_weight: {uniform: [0, 1]}}\n" RANDOM,
                       "spec.yaml:3:29: models.logreg.class_weight: uniform draws real numbers, "
                       "not words: use {choice: [v, ...]}");
    expect_exact_error(BASE "models:\n  - sgb: {learning_rate: {uniform: [0.01, 0.3]}}\n",
                       "spec.yaml:3:26: models.sgb.learning_rate: a distribution needs search: "
                       "{method: random (or halving), trials: N}");
    expect_exact_error(BASE "models:\n  - sgb: {learning_rate: {uniform: [0.01, 0.3]}}\n"
                            "search: {method: grid}\n",
                       "spec.yaml:3:26: models.sgb.learning_rate: a distribution needs search: "
                       "{method: random (or halving), trials: N}");
    expect_exact_error(BASE "models:\n  - logreg: {C: {logunifrom: [1, 2]}}\n" RANDOM,
                       "spec.yaml:3:18: models.logreg.C: unknown distribution 'logunifrom' (did "
                       "you mean 'loguniform'?) (expected one of: uniform|loguniform|int|choice)");
    expect_exact_error(BASE "models: [logreg]\nsearch: {method: random, trials: 0}\n",
                       "spec.yaml:3:34: search.trials: 0 is out of range [1, 100000]");
    expect_exact_error(BASE "models: [logreg]\nsearch: {method: random}\n",
                       "spec.yaml:3:9: search: 'trials' is required with method: random (the "
                       "draws per model or sampler entry)");
    expect_exact_error(BASE "models: [logreg]\nsearch: {trials: 5}\n",
                       "spec.yaml:3:18: search.trials: only method: random or halving takes it "
                       "(a grid tries each configuration once)");
    expect_exact_error(BASE "models: [logreg]\nsearch: {method: halving}\n",
                       "spec.yaml:3:18: search.method: halving needs select: {metric, "
                       "inner_folds}: it halves the configs inside each outer training fold");
    expect_exact_error(BASE "models: [logreg]\nsearch: {method: random, trials: 3, factor: 3}\n",
                       "spec.yaml:3:45: search.factor: only method: halving takes it");
    expect_exact_error(BASE "models: [logreg]\nselect: {}\nsearch: {method: halving, factor: 1}\n",
                       "spec.yaml:4:35: search.factor: 1 is out of range [2, 100]");
    expect_exact_error(BASE "models: [logreg, ridge]\nselect: {}\nsearch: {method: halving}\n"
                            "ensembles: [{method: average, members: [logreg, ridge]}]\n",
                       "spec.yaml:5:12: ensembles: not available with search: {method: "
                       "halving}, which fits most configs on part of the rows only");
    expect_exact_error(BASE "models: [logreg]\nselect: {}\nsearch: {method: halving, min_rows: 5}\n",
                       "spec.yaml:4:37: search.min_rows: 5 is out of range [10, 1000000000]");
    expect_exact_error(BASE "models:\n  - sgb: {learning_rate: {uniform: [0.01, 0.3]}}\n"
                            "select: {}\nsearch: {method: halving}\n",
                       "spec.yaml:3:26: models.sgb.learning_rate: a distribution needs search: "
                       "{method: random (or halving), trials: N}");
    expect_exact_error(BASE "models: [logreg]\nsearch: {method: randon}\n",
                       "spec.yaml:3:18: search.method: unknown method 'randon' (did you mean "
                       "'random'?) (expected one of: grid|random|halving)");
}
END_TEST

/* Counts the lines of text. */
static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

START_TEST(random_search_runs_end_to_end)
{
    const char *text = "data: {synth: {rows: 1500, seed: 3}, target: buy, id: id}\n"
                       "features: {drop: [created_at, signup_date], columns: "
                       "{products_purchased: {fill: 0}}}\n"
                       "models: [{logreg: {C: {loguniform: [0.01, 10]}}}]\n"
                       "search: {method: random, trials: 4, seed: 1}\n"
                       "cv: {folds: 3}\nimportances: none\n";
    char path[600], args[1600], csv_path[700];
    th_write_file(dir, "random.yaml", text, path, sizeof path);
    snprintf(args, sizeof args, "run %s -j 2 --set output.dir=%s/random", path, dir);
    char *out = NULL, *err = NULL;
    ck_assert_msg(th_run_leadlab(args, &out, &err) == 0, "%s", err);
    ck_assert_msg(strstr(out, "12 cells run, 0 reused"), "%s", out);
    free(out);
    free(err);
    snprintf(csv_path, sizeof csv_path, "%s/random/leaderboard.csv", dir);
    char *csv = th_read_file(csv_path);
    ck_assert_ptr_nonnull(csv);
    ck_assert_msg(count_lines(csv) == 1 + 4, "%s", csv); /* the header and 4 draws */
    /* the rows are the configs the spec loads to */
    size_t n;
    char *labels = model_labels(text, NULL, 0, &n);
    ck_assert_uint_eq(n, 4);
    for (char *label = labels, *end; (end = strchr(label, ';')); label = end + 1) {
        char row[256];
        snprintf(row, sizeof row, ",%.*s,none,3,0,", (int)(end - label), label);
        ck_assert_msg(strstr(csv, row), "no row %s in\n%s", row, csv);
    }
    free(labels);
    free(csv);
    /* the same draws give the same cell keys: a rerun reuses every cell */
    ck_assert_msg(th_run_leadlab(args, &out, &err) == 0, "%s", err);
    ck_assert_msg(strstr(out, "0 cells run, 12 reused from results.db"), "%s", out);
    free(out);
    free(err);
}
END_TEST

/* cv: {method: time, ...}: read into the spec (the column becomes the loader's order column),
 * described in words, and each misuse refused in one line at its key. */
START_TEST(time_cv_is_read)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err;
    char label[256];
    ck_assert_msg(load(BASE "models: [logreg]\ncv: {method: time, column: created_at, folds: 4}\n",
                       NULL, 0, &spec, &reg, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(spec.cv_method, LL_CV_TIME);
    ck_assert_uint_eq(spec.folds, 4);
    ck_assert_str_eq(spec.features.order_column, "created_at");
    ck_assert(spec.cv_holdout == 0.0);
    ck_assert_str_eq(ll_spec_cv_label(&spec, label, sizeof label),
                     "4 forward-chaining folds by created_at (train on earlier rows only), "
                     "seed 42");
    /* where a refusal found later points: the key, else its section */
    char expected[600];
    snprintf(expected, sizeof expected, "%s/spec.yaml:3:47", dir);
    ck_assert_str_eq(ll_spec_where(&spec, "cv.folds"), expected);
    snprintf(expected, sizeof expected, "%s/spec.yaml:3:5", dir);
    ck_assert_str_eq(ll_spec_where(&spec, "cv.holdout"), expected);
    ll_spec_free(&spec);
    ll_registry_free(&reg);

    /* the holdout is one fold; --set switches a stratified spec to time */
    const char *sets[] = {"cv.method=time", "cv.column=created_at"};
    ck_assert_msg(load(BASE "models: [logreg]\ncv: {holdout: 0.2}\n", sets, 2, &spec, &reg,
                       &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(spec.folds, 1);
    ck_assert_double_eq(spec.cv_holdout, 0.2);
    ck_assert_str_eq(ll_spec_cv_label(&spec, label, sizeof label),
                     "final-period holdout: the latest 20 % of rows by created_at, seed 42");
    ll_spec_free(&spec);
    ll_registry_free(&reg);

    /* stratified stays the default, with no order column for the loader to read */
    ck_assert_msg(load(BASE "models: [logreg]\ncv: {folds: 3, repeats: 2}\n", NULL, 0, &spec,
                       &reg, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(spec.cv_method, LL_CV_STRATIFIED);
    ck_assert_ptr_null(spec.features.order_column);
    ck_assert_str_eq(ll_spec_cv_label(&spec, label, sizeof label),
                     "3-fold stratified × 2 repeats, seed 42");
    ll_spec_free(&spec);
    ll_registry_free(&reg);
}
END_TEST

START_TEST(time_cv_mistakes_are_refused_at_their_key)
{
#define M BASE "models: [logreg]\ncv: "
    expect_exact_error(M "{method: tme}\n", "spec.yaml:3:14: cv.method: unknown method 'tme' "
                       "(did you mean 'time'?) (expected one of: stratified|time)");
    expect_exact_error(M "{column: created_at}\n", "spec.yaml:3:14: cv.column: only "
                       "time-ordered folds use it: add method: time");
    expect_exact_error(M "{folds: 3, holdout: 0.2}\n", "spec.yaml:3:25: cv.holdout: only "
                       "time-ordered folds use it: add method: time");
    expect_exact_error(M "{method: time}\n", "spec.yaml:3:5: cv: method: time needs 'column', "
                       "the YYYY-MM-DD column of the data that orders the rows");
    expect_exact_error(M "{method: time, column: created_at, holdout: 0.2, folds: 3}\n",
                       "spec.yaml:3:49: cv.holdout: a holdout is one split (train on the "
                       "earlier rows, test on the latest), so it excludes cv.folds");
    expect_exact_error(M "{method: time, column: created_at, holdout: 1}\n",
                       "spec.yaml:3:49: cv.holdout: 1 is out of range (0, 1): the share of the "
                       "latest rows to test on");
    expect_exact_error(M "{method: time, column: created_at, repeats: 3}\n",
                       "spec.yaml:3:49: cv.repeats: time-ordered folds are the same in every "
                       "repeat: use repeats: 1");
    expect_exact_error(M "{method: time, column: created_at, stratified: true}\n",
                       "spec.yaml:3:52: cv.stratified: time-ordered folds are not stratified: "
                       "drop this key");
    expect_exact_error(M "{stratified: false}\n", "spec.yaml:3:18: cv.stratified: folds are "
                       "always stratified in leadlab, unless ordered by date (method: time)");
#undef M
    /* an override that makes the mistake is named as the override */
    ll_spec spec;
    ll_registry reg;
    ll_error err;
    const char *sets[] = {"cv.holdout=0.3"};
    ck_assert_int_eq(load(BASE "models: [logreg]\ncv: {method: time, column: created_at, "
                               "folds: 4}\n", sets, 1, &spec, &reg, &err), -1);
    ck_assert_str_eq(err.msg, "--set cv.holdout=0.3: cv.holdout: a holdout is one split (train "
                              "on the earlier rows, test on the latest), so it excludes cv.folds");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("spec");
    TCase *tc = tcase_create("spec");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, yaml_syntax_error_has_file_line_col);
    tcase_add_test(tc, unknown_keys_are_suggested);
    tcase_add_test(tc, wrong_types_and_ranges);
    tcase_add_test(tc, unknown_plugin_and_wrong_kind);
    tcase_add_test(tc, grid_expands_in_order);
    tcase_add_test(tc, duplicate_configs_are_refused);
    tcase_add_test(tc, set_overrides_values_and_grids);
    tcase_add_test(tc, paths_resolve_relative_to_the_spec);
    tcase_add_test(tc, transforms_are_read);
    tcase_add_test(tc, new_date_parts_and_derived_kinds_are_read);
    tcase_add_test(tc, learned_encodings_are_read);
    tcase_add_test(tc, edit_distance_and_suggestions);
    tcase_add_test(tc, report_sort_is_read);
    tcase_add_test(tc, top_k_and_probability_metrics_are_read);
    tcase_add_test(tc, random_search_draws_the_same_configs_every_time);
    tcase_add_test(tc, repeated_draws_are_kept_once);
    tcase_add_test(tc, an_entry_draws_the_same_beside_other_entries);
    tcase_add_test(tc, calibrate_expands_drawn_configs);
    tcase_add_test(tc, bad_searches_are_refused_naming_the_key);
    tcase_add_test(tc, random_search_runs_end_to_end);
    tcase_add_test(tc, time_cv_is_read);
    tcase_add_test(tc, time_cv_mistakes_are_refused_at_their_key);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
