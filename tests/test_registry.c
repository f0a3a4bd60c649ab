/* Tests for plugin loading: refusals (no entry symbol, ABI mismatch, broken schemas), a plugin
 * built against ABI 2.0, the search path and the descriptors of the built-in plugins. */
#include <check.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
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

/* Loading the fixture NAME must fail with a message holding every one of `needles`. */
static void assert_refused(const char *name, const char *const *needles, size_t n)
{
    ll_registry reg;
    ll_error err;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.so", LL_TEST_FIXTURE_PLUGIN_DIR, name);
    ck_assert_int_eq(ll_registry_init(&reg, NULL, 0, &err), 0);
    ck_assert_ptr_null(ll_registry_load_file(&reg, path, &err));
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strstr(err.msg, needles[i]) != NULL, "'%s' lacks '%s'", err.msg,
                      needles[i]);
    ll_registry_free(&reg);
}

START_TEST(default_outside_its_range_is_refused)
{
    const char *needles[] = {"bad_schema_default.so: refused", "parameter 'neighbours'",
                             "bad default '50'", "out of range [1, 10]"};
    assert_refused("bad_schema_default", needles, sizeof needles / sizeof needles[0]);
}
END_TEST

START_TEST(duplicate_parameter_is_refused)
{
    const char *needles[] = {"bad_schema_dup.so: refused", "parameter 'ratio' is declared twice"};
    assert_refused("bad_schema_dup", needles, sizeof needles / sizeof needles[0]);
}
END_TEST

/* A plugin built against the frozen 2.0 header: its model table ends before 2.1's importances,
 * and the memory after it holds non-NULL pointers, which the host must not take for them. */
START_TEST(abi_2_0_plugin_loads_and_runs)
{
    const char *path = LL_TEST_FIXTURE_PLUGIN_DIR "/abi_v2_0.so";
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(handle != NULL, "%s", dlerror());
    ll_plugin_entry_fn entry;
    void *sym = dlsym(handle, LL_PLUGIN_ENTRY);
    ck_assert_ptr_nonnull(sym);
    memcpy(&entry, &sym, sizeof entry);
    const ll_plugin *raw = entry();
    ck_assert_uint_eq(raw->abi_minor, 0);
    ck_assert_uint_lt(raw->model->struct_size, offsetof(ll_model_vt, importances) + 1);
    void *after;
    memcpy(&after, (const char *)raw->model + raw->model->struct_size, sizeof after);
    ck_assert_msg(after != NULL, "the fixture lost the pointer it keeps after its table");

    ll_registry reg;
    ll_error err;
    ck_assert_int_eq(ll_registry_init(&reg, NULL, 0, &err), 0);
    const ll_plugin *p = ll_registry_load_file(&reg, path, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    ck_assert_str_eq(p->name, "abi_v2_0");
    ck_assert_uint_eq(p->abi_minor, 0);
    ck_assert_ptr_ne(p->model, raw->model); /* the host's zero-extended copy */
    ck_assert_msg(!LL_HAS(ll_model_vt, p->model, importances), "struct_size %u",
                  p->model->struct_size);
    ck_assert_msg(p->model->importances == NULL, "the host took memory past the table for it");
    ck_assert_ptr_null(p->model->importance_kind);
    ck_assert(p->model->save != NULL && p->model->load != NULL);

    /* Positives are 2 of 10 rows at x = 0 and 8 of 10 at x = 1: P must rise with x. */
    double x[20], xt[2] = {0.0, 1.0}, proba[2];
    uint8_t y[20];
    th_two_groups(x, y, 2, 8);
    ll_data train = {.x = x, .y = y, .n_rows = 20, .n_cols = 1};
    ll_data test = {.x = xt, .n_rows = 2, .n_cols = 1};
    th_fit_predict_ok(p, NULL, &train, &test, 7, 2, proba);
    ck_assert_msg(proba[0] > 0.0 && proba[0] < 0.5 && proba[1] > 0.5 && proba[1] < 1.0,
                  "P = %g at x = 0, %g at x = 1", proba[0], proba[1]);
    th_save_load_roundtrip(p, "{shrink: 0.5}", &train, &test, 7);
    ll_registry_free(&reg);
    dlclose(handle);
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
    tcase_add_test(tc, default_outside_its_range_is_refused);
    tcase_add_test(tc, duplicate_parameter_is_refused);
    tcase_add_test(tc, abi_2_0_plugin_loads_and_runs);
    tcase_add_test(tc, search_path_order_and_environment);
    tcase_add_test(tc, built_in_plugins_have_valid_descriptors);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
