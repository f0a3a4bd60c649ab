/* Tests for the experiment spec: YAML positions in errors, key and schema validation with
 * suggestions, grid expansion, --set overrides and path resolution. */
#include <check.h>
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

static void expect_error(const char *text, const char *needle)
{
    ll_spec spec;
    ll_registry reg;
    ll_error err = {{0}, 0};
    int rc = load(text, NULL, 0, &spec, &reg, &err);
    if (rc == 0) {
        ll_spec_free(&spec);
        ll_registry_free(&reg);
    }
    ck_assert_int_eq(rc, -1);
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
    expect_error(DERIVED "    g: {fill: 0}\n", "'count: [columns]' is required");
    expect_error(DERIVED "    g: {count: []}\n", "features.derived.g.count: name at least one column");
    expect_error(DERIVED "    g: {sum: [a, b, a]}\n", "column 'a' is listed twice");
    expect_error(DERIVED "    g: {count: [a], fil: 0}\n", "did you mean 'fill'");
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
    tcase_add_test(tc, edit_distance_and_suggestions);
    tcase_add_test(tc, report_sort_is_read);
    tcase_add_test(tc, top_k_and_probability_metrics_are_read);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
