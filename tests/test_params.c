/* Plugin parameters under ABI v2: real and word lists (values, grids, ranges, words), the
 * declaration macros, the schema check the loader runs, getters asked for a key the schema
 * does not declare (a logged error naming plugin and key, not a silent NaN), and random
 * search's distributions (bounds, seeds, choices, refusals). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "params.h"
#include "text.h"

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

/* ---- random search: distributions ---- */

static const ll_param search_params[] = {
    {.name = "C", .type = LL_P_REAL, .dflt = "1", .min = 0, .max = HUGE_VAL,
     .flags = LL_P_MIN_EXCLUSIVE, .doc = "inverse regularisation"},
    {.name = "rate", .type = LL_P_REAL, .dflt = "0.1", .min = 0, .max = 1,
     .flags = LL_P_MIN_EXCLUSIVE, .doc = "shrinkage"},
    LL_PARAM_INT("k", "5", 1, 100, "neighbours"),
    LL_PARAM_STR("kind", "a", "a|b|c", "a word"),
    LL_PARAM_BOOL("flag", "false", "a switch"),
    LL_PARAM_INT_LIST("layers", "[8]", 1, 1024, "hidden sizes"),
    {.name = "gamma", .type = LL_P_REAL, .dflt = "scale", .min = 0, .max = 1e9,
     .choices = "scale|auto", .flags = LL_P_MIN_EXCLUSIVE, .doc = "kernel width"},
};
static const ll_plugin searched = {LL_PLUGIN_ABI, .name = "searched", .version = "1",
                                   LL_PARAMS(search_params), .model = &no_model};

/* ll_params_sample of `yaml` (trials, seed); NULL with msg on failure. *n_out sets. */
static ll_params **sample(const char *yaml, size_t trials, uint64_t seed, size_t *n_out,
                          char *msg, size_t len)
{
    ll_ynode *root = NULL;
    ll_error err = {0};
    ll_params **sets = NULL;
    size_t n = 0;
    int rc = ll_yaml_parse_string(yaml, "spec.yaml", &root, &err);
    if (rc == 0)
        rc = ll_params_sample(&searched, root, "spec.yaml", "models.searched", trials, seed,
                              &sets, &n, &err);
    ll_ynode_free(root);
    snprintf(msg, len, "%s", err.msg);
    *n_out = n;
    return rc == 0 ? sets : NULL;
}

START_TEST(distributions_draw_within_their_bounds)
{
    char msg[768];
    size_t n;
    const size_t trials = 2000;
    ll_params **sets = sample("{C: {loguniform: [0.01, 10]}, rate: {uniform: [0.2, 0.3]}, "
                              "k: {int: [3, 7]}}", trials, 11, &n, msg, sizeof msg);
    ck_assert_msg(sets != NULL, "%s", msg);
    ck_assert_uint_eq(n, trials); /* repeats are the caller's to drop */
    const ll_host *h = ll_host_default();
    double log_sum = 0;
    size_t k_seen[8] = {0};
    for (size_t i = 0; i < n; i++) {
        double c = h->real(sets[i], "C"), rate = h->real(sets[i], "rate");
        long k = h->integer(sets[i], "k");
        ck_assert_msg(c >= 0.01 && c <= 10, "C = %g", c);
        ck_assert_msg(rate >= 0.2 && rate <= 0.3, "rate = %g", rate);
        ck_assert_msg(k >= 3 && k <= 7, "k = %ld", k);
        k_seen[k]++;
        log_sum += log(c);
        /* the label holds the shortest text that reads back as the drawn value */
        char c_text[40], rate_text[40], label[200];
        ll_shortest_number(c_text, sizeof c_text, c);
        ll_shortest_number(rate_text, sizeof rate_text, rate);
        snprintf(label, sizeof label, "C=%s,rate=%s,k=%ld", c_text, rate_text, k);
        ck_assert_str_eq(ll_params_label(sets[i]), label);
        ck_assert(strtod(c_text, NULL) == c);
    }
    for (long k = 3; k <= 7; k++) /* both ends included: each of the 5 about 400 times */
        ck_assert_msg(k_seen[k] > 300, "k = %ld drawn %zu times", k, k_seen[k]);
    /* log C is uniform on [log 0.01, log 10], width L = log 1000 = 6.91: its mean over 2000
     * draws has sd L / sqrt(12 * 2000) = 0.045 around the middle, (log 0.01 + log 10) / 2 =
     * -1.15. 0.25 is 5.6 sd; a uniform (not log) draw on [0.01, 10] would give about +1.3. */
    double middle = (log(0.01) + log(10.0)) / 2;
    ck_assert_msg(fabs(log_sum / (double)n - middle) < 0.25, "mean log C %g, middle %g",
                  log_sum / (double)n, middle);
    ll_params_free_all(sets, n);
}
END_TEST

/* Labels of a sample, joined by ";" (caller frees). */
static char *sample_labels(const char *yaml, size_t trials, uint64_t seed)
{
    char msg[768];
    size_t n;
    ll_params **sets = sample(yaml, trials, seed, &n, msg, sizeof msg);
    ck_assert_msg(sets != NULL, "%s", msg);
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += strlen(ll_params_label(sets[i])) + 1;
    char *all = calloc(cap, 1);
    ck_assert_ptr_nonnull(all);
    for (size_t i = 0; i < n; i++) {
        strcat(all, ll_params_label(sets[i]));
        strcat(all, ";");
    }
    ll_params_free_all(sets, n);
    return all;
}

START_TEST(draws_follow_the_seed_key_by_key)
{
    const char *yaml = "{C: {loguniform: [0.01, 10]}, k: {int: [1, 100]}}";
    char *a = sample_labels(yaml, 20, 7), *b = sample_labels(yaml, 20, 7);
    char *other = sample_labels(yaml, 20, 8);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, other);
    /* each key draws from its own stream: another key beside it, or the keys in another
     * order, leave C's draws as they were */
    char *c_alone = sample_labels("{C: {loguniform: [0.01, 10]}}", 20, 7);
    char *c_last = sample_labels("{kind: {choice: [a, b, c]}, C: {loguniform: [0.01, 10]}}",
                                 20, 7);
    const char *p = a, *q = c_alone, *r = c_last;
    for (int t = 0; t < 20; t++) {
        size_t len = strcspn(q, ";");
        ck_assert_msg(!strncmp(p, q, len) && p[len] == ',', "trial %d: %.40s vs %.40s", t, p, q);
        const char *c_in_r = strstr(r, "C=");
        ck_assert_msg(!strncmp(c_in_r, q, len), "trial %d: %.40s vs %.40s", t, c_in_r, q);
        p = strchr(p, ';') + 1;
        q = strchr(q, ';') + 1;
        r = strchr(r, ';') + 1;
    }
    free(a);
    free(b);
    free(other);
    free(c_alone);
    free(c_last);
}
END_TEST

START_TEST(lists_and_choices_are_drawn_from)
{
    char msg[768];
    size_t n;
    /* a grid list is a {choice: list} under random search; words, booleans and list values
     * are choices too */
    ll_params **sets = sample("{kind: [a, c], flag: {choice: [true, false]}, "
                              "layers: {choice: [[8], [4, 4]]}, gamma: {choice: [scale, 0.5]}}",
                              400, 3, &n, msg, sizeof msg);
    ck_assert_msg(sets != NULL, "%s", msg);
    const ll_host *h = ll_host_default();
    int seen[2][2][2][2] = {{{{0}}}};
    for (size_t i = 0; i < n; i++) {
        const char *kind = h->string(sets[i], "kind");
        ck_assert_msg(!strcmp(kind, "a") || !strcmp(kind, "c"), "%s", kind);
        long layers[4];
        size_t n_layers = h->int_list(sets[i], "layers", layers, 4);
        ck_assert(n_layers == 1 || (n_layers == 2 && layers[0] == 4 && layers[1] == 4));
        int scale = isnan(h->real(sets[i], "gamma"));
        ck_assert(scale ? !strcmp(h->string(sets[i], "gamma"), "scale")
                        : h->real(sets[i], "gamma") == 0.5);
        seen[kind[0] == 'c'][h->boolean(sets[i], "flag")][n_layers - 1][scale]++;
    }
    for (int i = 0; i < 16; i++) /* 400 draws of 16 equally likely sets: each about 25 */
        ck_assert_msg((&seen[0][0][0][0])[i] > 5, "set %d drawn %d times", i,
                      (&seen[0][0][0][0])[i]);
    /* a drawn list value is labelled as written; words as they are */
    ck_assert_str_eq(ll_params_label(sets[0]), "kind=c,flag=true,layers=[8],gamma=0.5");
    ll_params_free_all(sets, n);
}
END_TEST

/* ll_params_sample (or, with trials 0, ll_params_expand) of `yaml` must fail with exactly
 * `expected` as its one-line message. */
static void assert_refused(const char *yaml, size_t trials, const char *expected)
{
    char msg[768];
    size_t n;
    if (trials) {
        ck_assert_msg(sample(yaml, trials, 1, &n, msg, sizeof msg) == NULL, "%s accepted", yaml);
    } else {
        ll_ynode *root = NULL;
        ll_error err = {0};
        ll_params **sets = NULL;
        ck_assert_int_eq(ll_yaml_parse_string(yaml, "spec.yaml", &root, &err), 0);
        int rc = ll_params_expand(&searched, root, "spec.yaml", "models.searched", &sets, &n,
                                  &err);
        ll_ynode_free(root);
        ck_assert_msg(rc != 0, "%s accepted", yaml);
        snprintf(msg, sizeof msg, "%s", err.msg);
    }
    ck_assert_str_eq(msg, expected);
}

START_TEST(bad_distributions_are_refused_naming_the_key)
{
    assert_refused("{C: {uniform: [2, 1]}}", 5,
                   "spec.yaml:1:15: models.searched.C: uniform needs low < high, got [2, 1]");
    assert_refused("{rate: {uniform: [0.5, 0.5]}}", 5,
                   "spec.yaml:1:18: models.searched.rate: uniform needs low < high, got [0.5, "
                   "0.5]");
    assert_refused("{k: {int: [5, 2]}}", 5,
                   "spec.yaml:1:11: models.searched.k: int needs low <= high, got [5, 2]");
    assert_refused("{rate: {loguniform: [0, 0.5]}}", 5,
                   "spec.yaml:1:22: models.searched.rate: 0 is out of range (0, 1]");
    assert_refused("{C: {loguniform: [-1, 10]}}", 5,
                   "spec.yaml:1:19: models.searched.C: -1 is out of range (0, inf]");
    assert_refused("{rate: {uniform: [0.5, 1.5]}}", 5,
                   "spec.yaml:1:24: models.searched.rate: 1.5 is out of range (0, 1]");
    assert_refused("{k: {int: [0, 10]}}", 5,
                   "spec.yaml:1:12: models.searched.k: 0 is out of range [1, 100]");
    assert_refused("{kind: {uniform: [0, 1]}}", 5,
                   "spec.yaml:1:9: models.searched.kind: uniform draws real numbers, not words: "
                   "use {choice: [v, ...]}");
    assert_refused("{k: {loguniform: [1, 10]}}", 5,
                   "spec.yaml:1:6: models.searched.k: loguniform draws real numbers, not "
                   "integers: use {int: [a, b]} or {choice: [v, ...]}");
    assert_refused("{C: {int: [1, 10]}}", 5,
                   "spec.yaml:1:6: models.searched.C: int draws integers, not real numbers: use "
                   "{uniform: [a, b]}, {loguniform: [a, b]} or {choice: [v, ...]}");
    assert_refused("{C: {unifrom: [1, 2]}}", 5,
                   "spec.yaml:1:6: models.searched.C: unknown distribution 'unifrom' (did you "
                   "mean 'uniform'?) (expected one of: uniform|loguniform|int|choice)");
    assert_refused("{kind: {choice: [a, zzz]}}", 5,
                   "spec.yaml:1:21: models.searched.kind: 'zzz' is not one of a|b|c");
    assert_refused("{kind: {choice: []}}", 5,
                   "spec.yaml:1:17: models.searched.kind: choice: the list is empty");
    assert_refused("{gamma: {uniform: [scale, 2]}}", 5,
                   "spec.yaml:1:20: models.searched.gamma: uniform bounds are finite numbers, "
                   "got 'scale'");
    assert_refused("{rate: {uniform: [0.1, 0.2, 0.3]}}", 5,
                   "spec.yaml:1:18: models.searched.rate: uniform takes [low, high], got a list "
                   "of 3");
    /* without random search (ll_params_expand), a valid distribution is still refused */
    assert_refused("{rate: {uniform: [0.1, 0.2]}}", 0,
                   "spec.yaml:1:8: models.searched.rate: a distribution needs search: {method: "
                   "random (or halving), trials: N}");
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
    tcase_add_test(tc, distributions_draw_within_their_bounds);
    tcase_add_test(tc, draws_follow_the_seed_key_by_key);
    tcase_add_test(tc, lists_and_choices_are_drawn_from);
    tcase_add_test(tc, bad_distributions_are_refused_naming_the_key);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
