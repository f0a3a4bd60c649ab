/* leadlab test harness (see harness.h). */
#include "harness.h"

#include "blob.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cell.h"
#include "fixtures.h"
#include "leadlab/rng.h"
#include "params.h"
#include "registry.h"
#include "yaml_tree.h"

static ll_registry registry;
static int registry_ready;

const ll_plugin *th_plugin(const char *name)
{
    ll_error err;
    if (!registry_ready) {
        const char *dirs[] = {LL_TEST_PLUGIN_DIR};
        ck_assert_msg(ll_registry_init(&registry, dirs, 1, &err) == 0, "%s", err.msg);
        registry_ready = 1;
    }
    const ll_plugin *p = ll_registry_get(&registry, name, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    return p;
}

const ll_host *th_host(void) { return ll_host_default(); }

/* Tests that skipped themselves (th_require_real_data). th_run_suite maps it shared, so tests
 * that Check forks (CK_FORK unset: running a suite binary by hand) count too. */
typedef struct {
    int skipped;
    char reported[4200]; /* the last reason printed, so each is printed once */
} th_skip_state;
static th_skip_state local_skips;
static th_skip_state *skips = &local_skips;

int th_run_suite(Suite *suite)
{
    th_skip_state *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared != MAP_FAILED)
        skips = shared; /* zero-filled */
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    int skipped = skips->skipped;
    if (skipped)
        fprintf(stderr, "SKIP: %d test%s skipped (data absent)\n", skipped,
                skipped == 1 ? "" : "s");
    if (shared != MAP_FAILED) {
        skips = &local_skips;
        munmap(shared, sizeof *shared);
    }
    return failed ? EXIT_FAILURE : skipped ? TH_SKIPPED : EXIT_SUCCESS;
}

int th_params_try(const ll_plugin *plugin, const char *yaml, ll_params **out, char *msg,
                  size_t msg_len)
{
    ll_error err;
    ll_ynode *root = NULL;
    *out = NULL;
    if (yaml && *yaml && ll_yaml_parse_string(yaml, "params", &root, &err) != 0) {
        snprintf(msg, msg_len, "%.*s", (int)(msg_len ? msg_len - 1 : 0), err.msg);
        return -1;
    }
    ll_params **sets = NULL;
    size_t n = 0;
    int rc = ll_params_expand(plugin, root, "params", plugin->name, &sets, &n, &err);
    ll_ynode_free(root);
    if (rc != 0) {
        snprintf(msg, msg_len, "%.*s", (int)(msg_len ? msg_len - 1 : 0), err.msg);
        return -1;
    }
    if (n != 1) {
        ll_params_free_all(sets, n);
        snprintf(msg, msg_len, "expected one configuration, the grid has %zu", n);
        return -1;
    }
    *out = sets[0];
    free(sets);
    return 0;
}

ll_params *th_params(const ll_plugin *plugin, const char *yaml)
{
    ll_params *p;
    char msg[1024];
    ck_assert_msg(th_params_try(plugin, yaml, &p, msg, sizeof msg) == 0, "%s", msg);
    return p;
}

void th_params_free(ll_params *params) { ll_params_free(params); }

void th_assert_rejected(const ll_plugin *plugin, const char *yaml, const char *expected)
{
    ll_params *params = NULL;
    char msg[1024] = "";
    ck_assert_msg(th_params_try(plugin, yaml, &params, msg, sizeof msg) != 0, "%s: %s accepted",
                  plugin->name, yaml);
    if (expected)
        ck_assert_msg(strstr(msg, expected) != NULL, "%s: message '%s' lacks '%s'", yaml, msg,
                      expected);
}

/* The model's table, failing the test for a sampler. */
static const ll_model_vt *model_vt(const ll_plugin *model)
{
    ck_assert_msg(model->model != NULL, "%s is not a model", model->name);
    return model->model;
}

ll_status th_fit_predict(const ll_plugin *model, const char *yaml, const ll_data *train,
                         const ll_data *test, uint64_t seed, int threads, double *proba,
                         ll_err *err)
{
    const ll_model_vt *vt = model_vt(model);
    ll_params *params = th_params(model, yaml);
    void *state = NULL;
    ll_status st = vt->create(th_host(), params, &state, err);
    if (st == LL_OK)
        st = vt->fit(state, train, seed, threads, err);
    if (st == LL_OK)
        st = vt->predict_proba(state, test, threads, proba, err);
    vt->destroy(state);
    th_params_free(params);
    return st;
}

void th_fit_predict_ok(const ll_plugin *model, const char *yaml, const ll_data *train,
                       const ll_data *test, uint64_t seed, int threads, double *proba)
{
    ll_err err = {{0}};
    ll_status st = th_fit_predict(model, yaml, train, test, seed, threads, proba, &err);
    ck_assert_msg(st == LL_OK, "%s %s: %s", model->name, yaml, err.msg);
}

void th_margins(const ll_plugin *model, const char *yaml, const ll_data *train,
                const ll_data *test, uint64_t seed, int threads, double *margin)
{
    th_fit_predict_ok(model, yaml, train, test, seed, threads, margin);
    for (size_t r = 0; r < test->n_rows; r++) {
        ck_assert_msg(margin[r] > 0.0 && margin[r] < 1.0, "%s: P = %g saturated", yaml,
                      margin[r]);
        margin[r] = th_logit(margin[r]);
    }
}

void th_save_load_roundtrip(const ll_plugin *model, const char *yaml, const ll_data *train,
                            const ll_data *test, uint64_t seed)
{
    const ll_model_vt *vt = model_vt(model);
    ck_assert_msg(vt->save && vt->load, "%s has no save/load", model->name);
    ll_params *params = th_params(model, yaml);
    ll_err err = {{0}};
    void *state = NULL;
    ll_status st = vt->create(th_host(), params, &state, &err);
    if (st == LL_OK)
        st = vt->fit(state, train, seed, 2, &err);
    ck_assert_msg(st == LL_OK, "%s %s: fit: %s", model->name, yaml, err.msg);
    size_t n = test->n_rows;
    double *before = malloc((n ? n : 1) * sizeof *before);
    double *after = malloc((n ? n : 1) * sizeof *after);
    ck_assert(before && after);
    st = vt->predict_proba(state, test, 1, before, &err);
    ck_assert_msg(st == LL_OK, "%s %s: predict: %s", model->name, yaml, err.msg);
    ll_blob blob = {0};
    ll_writer w = ll_blob_writer(&blob);
    st = vt->save(state, &w, &err);
    ck_assert_msg(st == LL_OK && !blob.failed, "%s %s: save: %s", model->name, yaml, err.msg);
    vt->destroy(state);
    th_params_free(params); /* a loaded model must not need the params it was created from */

    ll_span span = {blob.data, blob.len, 0};
    ll_reader r = ll_span_reader(&span);
    void *loaded = NULL;
    st = vt->load(th_host(), &r, &loaded, &err);
    ck_assert_msg(st == LL_OK, "%s %s: load: %s", model->name, yaml, err.msg);
    ck_assert_msg(span.pos == span.len, "%s %s: load read %zu of %zu bytes", model->name, yaml,
                  span.pos, span.len);
    st = vt->predict_proba(loaded, test, 2, after, &err);
    ck_assert_msg(st == LL_OK, "%s %s: predict after load: %s", model->name, yaml, err.msg);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(&before[i], &after[i], sizeof before[i]) == 0,
                      "%s %s: row %zu scores %.17g before save, %.17g after load", model->name,
                      yaml, i, before[i], after[i]);
    vt->destroy(loaded);

    /* Every truncation (a sample of them for big models) is refused cleanly, never a crash. */
    size_t step = blob.len > 4096 ? blob.len / 2048 : 1;
    for (size_t cut = 0; cut < blob.len; cut += step) {
        ll_span part = {blob.data, cut, 0};
        ll_reader pr = ll_span_reader(&part);
        void *bad = NULL;
        ll_err perr = {{0}};
        st = vt->load(th_host(), &pr, &bad, &perr);
        ck_assert_msg(st != LL_OK, "%s %s: load accepted %zu of %zu bytes", model->name, yaml,
                      cut, blob.len);
        ck_assert_msg(bad == NULL || st == LL_OK, "%s: a failed load left a state", model->name);
        ck_assert_msg(perr.msg[0] != '\0', "%s: a failed load gave no message", model->name);
    }
    ll_blob_free(&blob);
    free(before);
    free(after);
}

ll_blob th_saved_model(const ll_plugin *model, const char *yaml, const ll_data *train,
                       uint64_t seed)
{
    const ll_model_vt *vt = model_vt(model);
    ck_assert_msg(vt->save != NULL, "%s has no save", model->name);
    ll_params *params = th_params(model, yaml);
    void *state = NULL;
    ll_err err = {{0}};
    ck_assert_msg(vt->create(th_host(), params, &state, &err) == LL_OK, "%s %s: create: %s",
                  model->name, yaml, err.msg);
    ck_assert_msg(vt->fit(state, train, seed, 1, &err) == LL_OK, "%s %s: fit: %s", model->name,
                  yaml, err.msg);
    ll_blob blob = {0};
    ll_writer w = ll_blob_writer(&blob);
    ck_assert_msg(vt->save(state, &w, &err) == LL_OK && !blob.failed, "%s %s: save: %s",
                  model->name, yaml, err.msg);
    vt->destroy(state);
    th_params_free(params);
    return blob;
}

ll_status th_load_bytes(const ll_plugin *model, const uint8_t *bytes, size_t len, void **state,
                        ll_err *err)
{
    const ll_model_vt *vt = model_vt(model);
    ck_assert_msg(vt->load != NULL, "%s has no load", model->name);
    ll_span span = {bytes, len, 0};
    ll_reader r = ll_span_reader(&span);
    return vt->load(th_host(), &r, state, err);
}

void th_put_u64(uint8_t *at, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        at[i] = (uint8_t)(v >> (8 * i));
}

void th_assert_load_refused(const ll_plugin *model, const uint8_t *bytes, size_t len,
                            const char *message, const char *what)
{
    uint8_t *copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, bytes, len);
    static int poison;
    void *state = &poison; /* load must reset it */
    ll_err err = {{0}};
    ll_status st = th_load_bytes(model, copy, len, &state, &err);
    ck_assert_msg(st == LL_EINVAL, "%s %s: load returned %d (expected LL_EINVAL): %s",
                  model->name, what, (int)st, err.msg);
    ck_assert_msg(state == NULL, "%s %s: a refused load left a state", model->name, what);
    size_t name_len = strlen(model->name);
    ck_assert_msg(strncmp(err.msg, model->name, name_len) == 0 && err.msg[name_len] == ':' &&
                      err.msg[name_len + 1] == ' ' && strstr(err.msg, message) != NULL,
                  "%s %s: '%s' is not '%s: ...%s...'", model->name, what, err.msg, model->name,
                  message);
    free(copy);
}

void th_assert_corruptions_refused(const ll_plugin *model, const ll_blob *saved,
                                   const th_corruption *cases, size_t n_cases)
{
    uint8_t *bad = malloc(saved->len ? saved->len : 1);
    ck_assert_ptr_nonnull(bad);
    for (size_t c = 0; c < n_cases; c++) {
        ck_assert_msg(cases[c].offset + 8 <= saved->len, "case %zu: offset %zu past %zu bytes",
                      c, cases[c].offset, saved->len);
        memcpy(bad, saved->data, saved->len);
        th_put_u64(bad + cases[c].offset, cases[c].value);
        char what[64];
        snprintf(what, sizeof what, "case %zu", c);
        th_assert_load_refused(model, bad, saved->len, cases[c].message, what);
    }
    free(bad);
}

void th_assert_refit_after_load(const ll_plugin *model, const char *yaml, const ll_data *first,
                                const ll_data *train, const ll_data *test, uint64_t seed)
{
    const ll_model_vt *vt = model_vt(model);
    ll_blob blob = th_saved_model(model, yaml, first, seed);
    void *loaded = NULL;
    ll_err err = {{0}};
    ck_assert_msg(th_load_bytes(model, blob.data, blob.len, &loaded, &err) == LL_OK,
                  "%s %s: load: %s", model->name, yaml, err.msg);
    size_t n = test->n_rows;
    double *refit = malloc((n ? n : 1) * sizeof *refit);
    double *fresh = malloc((n ? n : 1) * sizeof *fresh);
    ck_assert(refit && fresh);
    ck_assert_msg(vt->fit(loaded, train, seed, 1, &err) == LL_OK, "%s %s: refit: %s",
                  model->name, yaml, err.msg);
    ck_assert_msg(vt->predict_proba(loaded, test, 1, refit, &err) == LL_OK,
                  "%s %s: predict after refit: %s", model->name, yaml, err.msg);
    th_fit_predict_ok(model, yaml, train, test, seed, 1, fresh);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(&refit[i], &fresh[i], sizeof refit[i]) == 0,
                      "%s %s: row %zu scores %.17g refitted after load, %.17g fresh",
                      model->name, yaml, i, refit[i], fresh[i]);
    vt->destroy(loaded);
    ll_blob_free(&blob);
    free(refit);
    free(fresh);
}

void th_assert_unfitted_refuses(const ll_plugin *model, const char *yaml, size_t n_cols)
{
    const ll_model_vt *vt = model_vt(model);
    ll_params *params = th_params(model, yaml);
    void *state = NULL;
    ll_err err = {{0}};
    char want[128];
    ck_assert_msg(vt->create(th_host(), params, &state, &err) == LL_OK, "%s %s: create: %s",
                  model->name, yaml, err.msg);
    ll_blob blob = {0};
    ll_writer w = ll_blob_writer(&blob);
    ck_assert_int_eq(vt->save(state, &w, &err), LL_EINVAL);
    snprintf(want, sizeof want, "%s: save before fit", model->name);
    ck_assert_str_eq(err.msg, want);
    if (vt->importances) {
        double *imp = malloc((n_cols ? n_cols : 1) * sizeof *imp);
        ck_assert_ptr_nonnull(imp);
        ck_assert_int_eq(vt->importances(state, n_cols, imp, &err), LL_EINVAL);
        snprintf(want, sizeof want, "%s: importances before fit", model->name);
        ck_assert_str_eq(err.msg, want);
        free(imp);
    }
    vt->destroy(state);
    th_params_free(params);
    ll_blob_free(&blob);
}

ll_status th_fit_importances(const ll_plugin *model, const char *yaml, const ll_data *train,
                             uint64_t seed, size_t n_cols, double *out, ll_err *err)
{
    const ll_model_vt *vt = model_vt(model);
    ck_assert_msg(vt->importances != NULL, "%s has no importances", model->name);
    ll_params *params = th_params(model, yaml);
    void *state = NULL;
    ll_status st = vt->create(th_host(), params, &state, err);
    if (st == LL_OK)
        st = vt->fit(state, train, seed, 1, err);
    if (st == LL_OK)
        st = vt->importances(state, n_cols, out, err);
    vt->destroy(state);
    th_params_free(params);
    return st;
}

void th_fit_importances_ok(const ll_plugin *model, const char *yaml, const ll_data *train,
                           uint64_t seed, double *out)
{
    ll_err err = {{0}};
    ll_status st = th_fit_importances(model, yaml, train, seed, train->n_cols, out, &err);
    ck_assert_msg(st == LL_OK, "%s %s: %s", model->name, yaml, err.msg);
}

void th_assert_importances_follow_the_signal(const ll_plugin *model, const char *yaml)
{
    enum { N = 400, P = 3 };
    double x[N * P], imp[P];
    uint8_t y[N];
    ll_rng rng;
    ll_rng_seed(&rng, 17);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < P; j++)
            x[i * P + j] = ll_rng_normal(&rng);
        y[i] = x[i * P] + 0.5 * ll_rng_normal(&rng) > 0.0;
    }
    ll_data train = {.x = x, .y = y, .n_rows = N, .n_cols = P};
    th_fit_importances_ok(model, yaml, &train, 1, imp);
    ck_assert_msg(imp[0] > 5.0 * imp[1] && imp[0] > 5.0 * imp[2], "%s %s: importances %g %g %g",
                  model->name, yaml, imp[0], imp[1], imp[2]);
}

void th_assert_importances_led_by_column_0(const ll_plugin *model, const char *yaml,
                                           const ll_data *train, uint64_t seed)
{
    size_t n_cols = train->n_cols;
    double *imp = malloc((n_cols ? n_cols : 1) * sizeof *imp), sum = 0.0;
    ck_assert_ptr_nonnull(imp);
    th_fit_importances_ok(model, yaml, train, seed, imp);
    for (size_t j = 0; j < n_cols; j++) {
        ck_assert_msg(imp[j] >= 0.0, "%s: column %zu: %g", yaml, j, imp[j]);
        sum += imp[j];
        if (j > 0)
            ck_assert_msg(imp[0] > imp[j], "%s: column 0 %g, column %zu %g", yaml, imp[0], j,
                          imp[j]);
    }
    ck_assert_double_eq_tol(sum, 1.0, 1e-12);
    free(imp);
}

ll_status th_resample(const ll_plugin *sampler, const char *yaml, const ll_data *in,
                      uint64_t seed, ll_owned_data *out, ll_err *err)
{
    ck_assert_msg(sampler->sampler != NULL, "%s is not a sampler", sampler->name);
    ll_params *params = th_params(sampler, yaml);
    ll_status st = sampler->sampler->resample(th_host(), params, in, seed, 1, out, err);
    th_params_free(params);
    return st;
}

ll_owned_data th_resample_ok(const ll_plugin *sampler, const char *yaml, const ll_data *in,
                             uint64_t seed)
{
    ll_owned_data out;
    ll_err err = {{0}};
    ll_status st = th_resample(sampler, yaml, in, seed, &out, &err);
    ck_assert_msg(st == LL_OK, "%s %s: %s", sampler->name, yaml, err.msg);
    return out;
}

void th_owned_free(ll_owned_data *data)
{
    free(data->x);
    free(data->y);
}

static char real_data_path[4096];

const char *th_real_data(const char *name)
{
    snprintf(real_data_path, sizeof real_data_path, "%s/%s", LL_TEST_DATA_DIR, name);
    return access(real_data_path, R_OK) == 0 ? real_data_path : NULL;
}

const char *th_require_real_data(const char *name)
{
    const char *path = th_real_data(name);
    if (path)
        return path;
    const char *required = getenv("LL_REQUIRE_REAL_DATA");
    if (required && *required && strcmp(required, "0") != 0)
        ck_abort_msg("%s not found, and LL_REQUIRE_REAL_DATA=%s forbids skipping the test",
                     real_data_path, required);
    char reason[sizeof skips->reported];
    snprintf(reason, sizeof reason, "%s not found", real_data_path);
    if (strcmp(reason, skips->reported) != 0) {
        fprintf(stderr, "SKIP: %s\n", reason);
        snprintf(skips->reported, sizeof skips->reported, "%s", reason);
    }
    skips->skipped++;
    return NULL;
}

const char *th_tmpdir(void)
{
    static char dir[256];
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/leadlab-test-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp failed");
    return dir;
}

const char *th_write_file(const char *dir, const char *name, const char *text, char *path,
                          size_t path_len)
{
    snprintf(path, path_len, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    return path;
}

void th_csv_field(const char *line, int index, char *out, size_t cap)
{
    int f = 0, quoted = 0;
    size_t len = 0;
    for (const char *p = line; *p && *p != '\n'; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == ',' && !quoted) {
            if (f++ == index)
                break;
        } else if (f == index && len + 1 < cap)
            out[len++] = *p;
    }
    out[len] = '\0';
}

size_t th_split_fields(char *line, char **fields, size_t cap)
{
    size_t n = 0;
    for (char *p = line; n < cap;) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

void th_write_product_table(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ll_rng rng;
    ll_rng_seed(&rng, 2026);
    fputs("id,x0,x1,x2,buy\n", f);
    for (size_t i = 0; i < n; i++) {
        double x0 = ll_rng_normal(&rng), x1 = ll_rng_normal(&rng), x2 = ll_rng_normal(&rng);
        fprintf(f, "%zu,%.6f,%.6f,%.6f,%d\n", i, x0, x1, x2, x0 * x1 > 1.2);
    }
    fclose(f);
}

char *th_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                buf = NULL;
            }
            buf = grown;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

int th_run_leadlab(const char *args, char **out, char **err)
{
    static int counter;
    char dir[256], cmd[8192], out_path[300], err_path[300];
    snprintf(dir, sizeof dir, "%s", th_tmpdir());
    snprintf(out_path, sizeof out_path, "%s/stdout.%d", dir, counter);
    snprintf(err_path, sizeof err_path, "%s/stderr.%d", dir, counter++);
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", LL_TEST_LEADLAB_EXE, args, out_path, err_path);
    int status = system(cmd);
    ck_assert_msg(status != -1 && WIFEXITED(status), "could not run: %s", cmd);
    if (out)
        *out = th_read_file(out_path);
    if (err)
        *err = th_read_file(err_path);
    remove(out_path);
    remove(err_path);
    rmdir(dir);
    return WEXITSTATUS(status);
}

void th_held_run_cells(const char *spec_path, int (*keep)(const ll_cell *),
                       void (*check)(const ll_cell *, const ll_dataset *), th_held_run *out)
{
    ll_error err;
    memset(out, 0, sizeof *out);
    ck_assert_msg(ll_spec_load(spec_path, NULL, 0, &out->reg, &out->spec, &err) == 0, "%s",
                  err.msg);
    ck_assert_msg(ll_dataset_load_train(out->spec.train_path, &out->spec.features, &out->enc,
                                        &out->data, &err) == 0, "%s", err.msg);
    ll_run_result *run = &out->run;
    ck_assert_int_eq(ll_plan_build(&out->spec, &out->data, (ll_digest){1, 2}, run, &err), 0);
    run->threads = 1;
    for (size_t i = 0; i < run->n_cells; i++) {
        ll_cell *cell = &run->cells[i];
        if (!keep(cell))
            continue;
        ll_split split = ll_plan_split(run, cell);
        ll_cell_run(&out->spec, &out->data, &split, cell, 1);
        if (check)
            check(cell, &out->data);
    }
    ck_assert_int_eq(ll_run_collect(run, &err), 0);
}

void th_held_run_free(th_held_run *r)
{
    ll_run_result_free(&r->run);
    ll_dataset_free(&r->data);
    ll_encoder_free(r->enc);
    ll_spec_free(&r->spec);
    ll_registry_free(&r->reg);
}

void th_assert_refused(const char *args, const char *needle)
{
    char *out = NULL, *err = NULL;
    int rc = th_run_leadlab(args, &out, &err);
    ck_assert_msg(rc == 2, "leadlab %s: exit %d (expected 2): %s", args, rc, err ? err : "");
    ck_assert_msg(out && !*out, "leadlab %s: wrote to stdout: %s", args, out ? out : "");
    ck_assert_msg(err && strstr(err, needle), "leadlab %s: expected '%s' in: %s", args, needle,
                  err ? err : "(none)");
    char *nl = strchr(err, '\n');
    ck_assert_msg(nl && nl[1] == '\0', "leadlab %s: expected one line on stderr: %s", args, err);
    free(out);
    free(err);
}

int th_run_spec(const char *dir, const char *name, const char *spec, const char *extra,
                char **out)
{
    char path[600], args[2048], file[128];
    snprintf(file, sizeof file, "%s.yaml", name);
    th_write_file(dir, file, spec, path, sizeof path);
    snprintf(args, sizeof args, "run %s --set output.dir=%s/%s %s", path, dir, name, extra);
    char *err = NULL;
    int rc = th_run_leadlab(args, out, &err);
    ck_assert_msg(rc == 0 || rc == 1, "%s: exit %d: %s", args, rc, err);
    free(err);
    return rc;
}

char *th_read_output(const char *dir, const char *run, const char *file)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s/%s", dir, run, file);
    char *text = th_read_file(path);
    ck_assert_msg(text != NULL, "%s is missing", path);
    return text;
}
