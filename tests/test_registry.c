/* Tests for plugin loading: refusals (no entry symbol, ABI mismatch), the search path and
 * the descriptors of the built-in plugins. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "registry.h"

START_TEST(shared_object_without_entry_is_refused)
{
    ll_registry reg;
    ll_error err;
    ck_assert_int_eq(ll_registry_init(&reg, NULL, 0, &err), 0);
    const ll_plugin *p =
        ll_registry_load_file(&reg, LL_TEST_FIXTURE_PLUGIN_DIR "/no_entry.so", &err);
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(err.msg, "no 'leadlab_plugin' symbol") != NULL, "%s", err.msg);
    ll_registry_free(&reg);
}
END_TEST

START_TEST(abi_mismatch_names_both_versions)
{
    ll_registry reg;
    ll_error err;
    ck_assert_int_eq(ll_registry_init(&reg, NULL, 0, &err), 0);
    const ll_plugin *p =
        ll_registry_load_file(&reg, LL_TEST_FIXTURE_PLUGIN_DIR "/abi_mismatch.so", &err);
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(err.msg, "ABI version 1,") && strstr(err.msg, "speaks version 2"), "%s",
                  err.msg);
    ll_registry_free(&reg);
}
END_TEST

START_TEST(search_path_order_and_environment)
{
    ll_registry reg;
    ll_error err;
    setenv("LEADLAB_PLUGIN_PATH", "/nonexistent:" LL_TEST_FIXTURE_PLUGIN_DIR, 1);
    ck_assert_int_eq(ll_registry_init(&reg, NULL, 0, &err), 0);
    unsetenv("LEADLAB_PLUGIN_PATH");
    ck_assert_str_eq(reg.dirs[0], "/nonexistent");
    const ll_plugin *flaky = ll_registry_get(&reg, "flaky", &err);
    ck_assert_msg(flaky != NULL, "%s", err.msg);
    ck_assert_ptr_nonnull(flaky->model);
    /* the built-in folder comes last and still resolves the shipped plugins */
    const ll_plugin *none = ll_registry_get(&reg, "none", &err);
    ck_assert_msg(none != NULL && none->sampler != NULL, "%s", err.msg);
    ck_assert_ptr_null(ll_registry_get(&reg, "nonne", &err));
    ck_assert_msg(strstr(err.msg, "did you mean 'none'"), "%s", err.msg);
    ll_registry_free(&reg);
}
END_TEST

START_TEST(built_in_plugins_have_valid_descriptors)
{
    const char *names[] = {"none", "smote", "undersample", "logreg", "ridge", "knn",
                           "svm", "bagging", "sgb", "dnn"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const ll_plugin *p = th_plugin(names[i]);
        ck_assert_str_eq(p->name, names[i]);
        ck_assert_uint_eq(p->abi_version, LL_ABI_VERSION);
        /* every declared default must itself pass validation */
        ll_params *params = th_params(p, NULL);
        th_params_free(params);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, shared_object_without_entry_is_refused);
    tcase_add_test(tc, abi_mismatch_names_both_versions);
    tcase_add_test(tc, search_path_order_and_environment);
    tcase_add_test(tc, built_in_plugins_have_valid_descriptors);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
