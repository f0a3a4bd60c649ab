/* Plugin parameters under ABI v2: real and word lists (values, grids, ranges, words), the
 * declaration macros, the schema check the loader runs, and getters asked for a key the schema
 * does not declare (a logged error naming plugin and key, not a silent NaN). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "params.h"

static const ll_param list_params[] = {
    LL_PARAM_REAL_LIST("priors", "[0.95, 0.05]", 0, 1, "class prior"),
    LL_PARAM_STR_LIST("parts", "[year]", "year|month|day", "date parts"),
    LL_PARAM_INT_LIST("layers", "[8, 8]", 1, 1024, "hidden sizes"),
    LL_PARAM_REAL("alpha", "0.5", 0, 1, "mixing"),
    {.name = "gamma", .type = LL_P_REAL, .dflt = "scale", .min = 0, .max = 1e9,
     .choices = "scale|auto", .flags = LL_P_MIN_EXCLUSIVE, .doc = "kernel width"},
};

static const ll_model_vt no_model = {.struct_size = sizeof(ll_model_vt)};
static const ll_plugin lists = {LL_PLUGIN_ABI, .name = "lists", .version = "1",
                                LL_PARAMS(list_params), .model = &no_model};

static ll_params *expand_one(const char *yaml, size_t *n_out, char *msg, size_t len)
{
    ll_ynode *root = NULL;
    ll_error err = {0};
    ll_params **sets = NULL;
    size_t n = 0;
    int rc = ll_yaml_parse_string(yaml, "spec.yaml", &root, &err);
    if (rc == 0)
        rc = ll_params_expand(&lists, root, "spec.yaml", "models.lists", &sets, &n, &err);
    ll_ynode_free(root);
    snprintf(msg, len, "%s", err.msg);
    *n_out = n;
    if (rc != 0)
        return NULL;
    ll_params *first = sets[0];
    for (size_t i = 1; i < n; i++)
        ll_params_free(sets[i]);
    free(sets);
    return first;
}

START_TEST(real_and_word_lists_parse_with_defaults)
{
    const ll_host *h = ll_host_default();
    char msg[768];
    size_t n;
    ll_params *p = expand_one("{}", &n, msg, sizeof msg);
    ck_assert_msg(p != NULL, "%s", msg);
    double priors[4];
    ck_assert_uint_eq(h->real_list(p, "priors", priors, 4), 2);
    ck_assert(priors[0] == 0.95 && priors[1] == 0.05);
    const char *parts[4];
    ck_assert_uint_eq(h->string_list(p, "parts", parts, 4), 1);
    ck_assert_str_eq(parts[0], "year");
    /* an integer list reads as reals too */
    ck_assert_uint_eq(h->real_list(p, "layers", priors, 4), 2);
    ck_assert(priors[0] == 8.0);
    ck_assert(isnan(h->real(p, "gamma")));
    ck_assert_str_eq(h->string(p, "gamma"), "scale");
    ll_params_free(p);

    p = expand_one("{priors: [0.5, 0.25, 0.25], parts: [month, day]}", &n, msg, sizeof msg);
    ck_assert_msg(p != NULL, "%s", msg);
    ck_assert_uint_eq(h->real_list(p, "priors", priors, 2), 3); /* the length, even past cap */
    ck_assert(priors[0] == 0.5 && priors[1] == 0.25);
    ck_assert_uint_eq(h->string_list(p, "parts", parts, 4), 2);
    ck_assert_str_eq(parts[1], "day");
    ck_assert_str_eq(ll_params_label(p), "priors=[0.5, 0.25, 0.25],parts=[month, day]");
    ll_params_free(p);
}
END_TEST

START_TEST(list_of_lists_is_a_grid)
{
    char msg[768];
    size_t n;
    ll_params *p = expand_one("{priors: [[0.9, 0.1], [0.5, 0.5]], parts: [[year], [month]]}", &n,
                              msg, sizeof msg);
    ck_assert_msg(p != NULL, "%s", msg);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(ll_params_label(p), "priors=[0.9, 0.1],parts=[year]");
    ll_params_free(p);
}
END_TEST

START_TEST(bad_list_items_are_refused_with_their_place)
{
    char msg[768];
    size_t n;
    ck_assert_ptr_null(expand_one("{priors: [0.5, 1.5]}", &n, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "spec.yaml:1:") && strstr(msg, "models.lists.priors") &&
                  strstr(msg, "1.5 is out of range"), "%s", msg);
    ck_assert_ptr_null(expand_one("{priors: [0.5, abc]}", &n, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "expected a finite number, got 'abc'"), "%s", msg);
    ck_assert_ptr_null(expand_one("{priors: 0.5}", &n, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "expected a list of numbers"), "%s", msg);
    ck_assert_ptr_null(expand_one("{parts: [yaer]}", &n, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "'yaer' is not one of year|month|day") &&
                  strstr(msg, "did you mean 'year'"), "%s", msg);
    ck_assert_ptr_null(expand_one("{parts: [[year], {a: 1}]}", &n, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "expected a list of words"), "%s", msg);
}
END_TEST

/* Runs `fn` with stderr captured; returns what it wrote (caller frees). */
static char *capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/leadlab-params-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    char *text = th_read_file(path);
    unlink(path);
    return text;
}

static double typo_value, wrong_kind_length;

static void ask_for_a_typo(void)
{
    char msg[768];
    size_t n;
    ll_params *p = expand_one("{alpha: 0.25}", &n, msg, sizeof msg);
    const ll_host *h = ll_host_default();
    typo_value = h->real(p, "alhpa");
    long out[2];
    wrong_kind_length = (double)h->int_list(p, "priors", out, 2);
    ll_params_free(p);
}

START_TEST(undeclared_keys_are_logged_errors)
{
    char *log = capture_stderr(ask_for_a_typo);
    ck_assert_ptr_nonnull(log);
    ck_assert(isnan(typo_value));
    ck_assert(wrong_kind_length == 0.0);
    ck_assert_msg(strstr(log, "error: plugin 'lists' asked host->real for 'alhpa', which its "
                              "schema does not declare"), "%s", log);
    ck_assert_msg(strstr(log, "plugin 'lists' read parameter 'priors' with host->int_list"),
                  "%s", log);
    free(log);
}
END_TEST

/* A plugin descriptor around one parameter, for the schema check. */
static int check_one(const ll_param *defs, size_t n, char *msg, size_t len)
{
    ll_plugin p = {LL_PLUGIN_ABI, .name = "schema", .version = "1", .params = defs,
                   .n_params = n, .model = &no_model};
    ll_error err = {0};
    int rc = ll_params_check_schema(&p, &err);
    snprintf(msg, len, "%s", err.msg);
    return rc;
}

START_TEST(broken_schemas_are_caught)
{
    char msg[768];
    ck_assert_int_eq(check_one(list_params, 5, msg, sizeof msg), 0);
    const ll_param out_of_range[] = {LL_PARAM_INT("k", "0", 1, 10, "")};
    ck_assert_int_ne(check_one(out_of_range, 1, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "'k'") && strstr(msg, "bad default '0'") &&
                  strstr(msg, "out of range"), "%s", msg);
    const ll_param twice[] = {LL_PARAM_INT("k", "1", 1, 10, ""), LL_PARAM_BOOL("k", "true", "")};
    ck_assert_int_ne(check_one(twice, 2, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "parameter 'k' is declared twice"), "%s", msg);
    const ll_param word[] = {LL_PARAM_STR("w", "c", "a|b", "")};
    ck_assert_int_ne(check_one(word, 1, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "'c' is not one of a|b"), "%s", msg);
    const ll_param no_words[] = {{.name = "w", .type = LL_P_STR, .dflt = "a"}};
    ck_assert_int_ne(check_one(no_words, 1, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "lists no choices"), "%s", msg);
    const ll_param upside_down[] = {LL_PARAM_REAL("r", "1", 2, 1, "")};
    ck_assert_int_ne(check_one(upside_down, 1, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "min 2 is above max 1"), "%s", msg);
    const ll_param grid_default[] = {LL_PARAM_INT("k", "[1, 2]", 1, 10, "")};
    ck_assert_int_ne(check_one(grid_default, 1, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "not a list of choices"), "%s", msg);
    const ll_param bad_name[] = {LL_PARAM_INT("k k", "1", 1, 10, "")};
    ck_assert_int_ne(check_one(bad_name, 1, msg, sizeof msg), 0);
    const ll_param bad_list[] = {LL_PARAM_REAL_LIST("p", "[0.5, 2]", 0, 1, "")};
    ck_assert_int_ne(check_one(bad_list, 1, msg, sizeof msg), 0);
    ck_assert_msg(strstr(msg, "2 is out of range"), "%s", msg);
    const ll_param required[] = {{.name = "r", .type = LL_P_REAL, .min = 0, .max = 1}};
    ck_assert_int_eq(check_one(required, 1, msg, sizeof msg), 0); /* no default: required */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("params");
    TCase *tc = tcase_create("params");
    tcase_add_test(tc, real_and_word_lists_parse_with_defaults);
    tcase_add_test(tc, list_of_lists_is_a_grid);
    tcase_add_test(tc, bad_list_items_are_refused_with_their_place);
    tcase_add_test(tc, undeclared_keys_are_logged_errors);
    tcase_add_test(tc, broken_schemas_are_caught);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
