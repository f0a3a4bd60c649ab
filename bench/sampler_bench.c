/* Times one sampler plugin in-process on the training rows of each fold of the real data, for
 * bench/samplers.py: loads the CSV through core, z-scores each fold's training rows like the
 * runner, calls resample once per fold and prints one CSV line per fold on stdout.
 *
 *   sampler_bench --train train.csv --folds folds.csv --sampler smote [--params "{k: 5}"]
 *                 [--seed 42] [--repeat 1] [--dump DIR]
 *
 * folds.csv has leadlab's layout (row,id,y,repeat,fold; a row is in the test part of `fold`);
 * only repeat 0 is used. --repeat N resamples each fold N times and prints the fastest (a
 * shared machine is noisy; the output is the same every time). --dump writes each fold's
 * output as DIR/fold<F>.x.f64 (row-major doubles) and DIR/fold<F>.y.u8. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "params.h"
#include "registry.h"
#include "scaler.h"
#include "yaml_tree.h"

typedef struct {
    const char *train, *folds, *sampler, *params, *dump;
    uint64_t seed;
    int repeat;
} options;

static int usage(void)
{
    fprintf(stderr, "usage: sampler_bench --train CSV --folds CSV --sampler NAME "
                    "[--params YAML] [--seed N] [--repeat N] [--dump DIR]\n");
    return 2;
}

static int parse_options(int argc, char **argv, options *o)
{
    *o = (options){.params = "", .seed = 42, .repeat = 1};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *key = argv[i], *value = argv[i + 1];
        if (strcmp(key, "--train") == 0)
            o->train = value;
        else if (strcmp(key, "--folds") == 0)
            o->folds = value;
        else if (strcmp(key, "--sampler") == 0)
            o->sampler = value;
        else if (strcmp(key, "--params") == 0)
            o->params = value;
        else if (strcmp(key, "--dump") == 0)
            o->dump = value;
        else if (strcmp(key, "--seed") == 0)
            o->seed = strtoull(value, NULL, 10);
        else if (strcmp(key, "--repeat") == 0)
            o->repeat = atoi(value);
        else
            return -1;
    }
    return argc % 2 == 1 && o->train && o->folds && o->sampler && o->repeat >= 1 ? 0 : -1;
}

/* The benchmark protocol's features: 15 raw columns, dates dropped, empty purchases read as 0. */
static int load_lead_data(const char *path, ll_dataset *ds)
{
    char *drop[] = {"created_at", "signup_date"};
    ll_column_transform fill = {.column = "products_purchased", .has_fill = 1, .fill = 0.0};
    ll_feature_spec spec = {.target = "buy", .positive = "1", .id = "id", .drop = drop,
                            .n_drop = 2, .transforms = &fill, .n_transforms = 1};
    ll_encoder *enc = NULL;
    ll_error err;
    if (ll_dataset_load_train(path, &spec, &enc, ds, &err) != 0) {
        fprintf(stderr, "sampler_bench: %s\n", err.msg);
        return -1;
    }
    ll_encoder_free(enc);
    return 0;
}

/* fold_of[row] from a folds.csv (repeat 0); returns the number of folds, or -1. */
static int read_folds(const char *path, size_t n_rows, int *fold_of)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "sampler_bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    int n_folds = 0;
    size_t seen = 0;
    if (!fgets(line, sizeof line, f) || strncmp(line, "row,id,y,repeat,fold", 20) != 0) {
        fprintf(stderr, "sampler_bench: %s: expected the header row,id,y,repeat,fold\n", path);
        fclose(f);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        size_t row;
        int repeat, fold;
        char id[128];
        unsigned y;
        if (sscanf(line, "%zu,%127[^,],%u,%d,%d", &row, id, &y, &repeat, &fold) != 5 ||
            row >= n_rows || fold < 0) {
            fprintf(stderr, "sampler_bench: %s: bad line '%s'\n", path, line);
            fclose(f);
            return -1;
        }
        if (repeat != 0)
            continue;
        fold_of[row] = fold;
        seen++;
        if (fold + 1 > n_folds)
            n_folds = fold + 1;
    }
    fclose(f);
    if (seen != n_rows) {
        fprintf(stderr, "sampler_bench: %s: %zu rows for %zu data rows\n", path, seen, n_rows);
        return -1;
    }
    return n_folds;
}

/* The training rows of `fold`, in data order, z-scored with their own mean and standard
 * deviation by core's scaler, as the runner scales them. Returns the row count, or 0 when out
 * of memory. */
static size_t training_rows(const ll_dataset *ds, const int *fold_of, int fold, double *x,
                            uint8_t *y)
{
    size_t d = ds->n_cols, n = 0;
    for (size_t i = 0; i < ds->n_rows; i++) {
        if (fold_of[i] == fold)
            continue;
        memcpy(x + n * d, ds->x + i * d, d * sizeof *x);
        y[n++] = ds->y[i];
    }
    ll_scaler scaler;
    if (ll_scaler_fit(&scaler, x, n, d) != 0)
        return 0;
    ll_scaler_apply(&scaler, x, n);
    ll_scaler_free(&scaler);
    return n;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int dump_fold(const char *dir, int fold, const ll_owned_data *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/fold%d.x.f64", dir, fold);
    FILE *fx = fopen(path, "wb");
    snprintf(path, sizeof path, "%s/fold%d.y.u8", dir, fold);
    FILE *fy = fopen(path, "wb");
    int ok = fx && fy &&
             fwrite(out->x, sizeof *out->x, out->n_rows * out->n_cols, fx) ==
                 out->n_rows * out->n_cols &&
             fwrite(out->y, 1, out->n_rows, fy) == out->n_rows;
    if (fx && fclose(fx) != 0)
        ok = 0;
    if (fy && fclose(fy) != 0)
        ok = 0;
    if (!ok)
        fprintf(stderr, "sampler_bench: cannot write fold %d into %s\n", fold, dir);
    return ok ? 0 : -1;
}

static ll_params *make_params(const ll_plugin *plugin, const char *yaml)
{
    ll_error err;
    ll_ynode *root = NULL;
    if (*yaml && ll_yaml_parse_string(yaml, "--params", &root, &err) != 0) {
        fprintf(stderr, "sampler_bench: %s\n", err.msg);
        return NULL;
    }
    ll_params **sets = NULL;
    size_t n = 0;
    int rc = ll_params_expand(plugin, root, "--params", plugin->name, &sets, &n, &err);
    ll_ynode_free(root);
    if (rc != 0 || n != 1) {
        fprintf(stderr, "sampler_bench: %s\n", rc ? err.msg : "--params must give one config");
        ll_params_free_all(sets, n);
        return NULL;
    }
    ll_params *p = sets[0];
    free(sets);
    return p;
}

/* Resamples `in` o->repeat times and returns the fastest wall-clock time, keeping the last
 * output in *out; -1 on a plugin error. */
static double time_resample(const options *o, const ll_plugin *plugin, const ll_params *params,
                            const ll_data *in, uint64_t seed, ll_owned_data *out)
{
    double best = HUGE_VAL;
    memset(out, 0, sizeof *out);
    for (int r = 0; r < o->repeat; r++) {
        free(out->x);
        free(out->y);
        ll_err err = {{0}};
        double t0 = now_seconds();
        ll_status st = plugin->sampler->resample(ll_host_default(), params, in, seed, 1, out,
                                                 &err);
        double seconds = now_seconds() - t0;
        if (st != LL_OK) {
            fprintf(stderr, "sampler_bench: %s\n", err.msg);
            return -1.0;
        }
        best = seconds < best ? seconds : best;
    }
    return best;
}

/* Resamples every fold and prints fold,rows_in,rows_out,positive_out,seconds. */
static int run_folds(const options *o, const ll_plugin *plugin, const ll_params *params,
                     const ll_dataset *ds, const int *fold_of, int n_folds)
{
    double *x = malloc(ds->n_rows * ds->n_cols * sizeof *x);
    uint8_t *y = malloc(ds->n_rows);
    int rc = x && y ? 0 : -1;
    printf("fold,rows_in,rows_out,positive_out,seconds\n");
    for (int fold = 0; fold < n_folds && rc == 0; fold++) {
        size_t n = training_rows(ds, fold_of, fold, x, y);
        if (n == 0) {
            fprintf(stderr, "sampler_bench: out of memory while scaling fold %d\n", fold);
            rc = -1;
            break;
        }
        ll_data in = {x, y, n, ds->n_cols, ds->col_binary, (const char *const *)ds->col_names};
        ll_owned_data out;
        double seconds = time_resample(o, plugin, params, &in,
                                       ll_seed_mix(o->seed, (uint64_t)fold), &out);
        if (seconds < 0.0) {
            rc = -1;
            break;
        }
        size_t positive = 0;
        for (size_t i = 0; i < out.n_rows; i++)
            positive += out.y[i];
        printf("%d,%zu,%zu,%zu,%.6f\n", fold, n, out.n_rows, positive, seconds);
        if (o->dump)
            rc = dump_fold(o->dump, fold, &out);
        free(out.x);
        free(out.y);
    }
    free(x);
    free(y);
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    if (parse_options(argc, argv, &o) != 0)
        return usage();
    ll_registry reg;
    ll_error err;
    const char *dirs[] = {LL_BENCH_PLUGIN_DIR};
    if (ll_registry_init(&reg, dirs, 1, &err) != 0) {
        fprintf(stderr, "sampler_bench: %s\n", err.msg);
        return 1;
    }
    const ll_plugin *plugin = ll_registry_get(&reg, o.sampler, &err);
    ll_params *params = NULL;
    ll_dataset ds = {0};
    int *fold_of = NULL;
    int rc = 1;
    if (!plugin || !plugin->sampler) {
        fprintf(stderr, "sampler_bench: %s\n", plugin ? "not a sampler" : err.msg);
        goto done;
    }
    if (!(params = make_params(plugin, o.params)) || load_lead_data(o.train, &ds) != 0)
        goto done;
    fold_of = malloc(ds.n_rows * sizeof *fold_of);
    int n_folds = fold_of ? read_folds(o.folds, ds.n_rows, fold_of) : -1;
    if (n_folds > 0 && run_folds(&o, plugin, params, &ds, fold_of, n_folds) == 0)
        rc = 0;
done:
    free(fold_of);
    ll_dataset_free(&ds);
    ll_params_free(params);
    ll_registry_free(&reg);
    return rc;
}
