/* leadlab experiment spec (see spec.h): every section is checked key by key, so a typo is an
 * error with a suggestion rather than a silently ignored setting. */
#include "spec.h"
#include "calibrate.h"
#include "json.h"
#include "labels.h"
#include "summary.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Context shared by the section readers: the file name for messages and the spec's folder
 * for relative paths. */
typedef struct {
    const char *file;
    char *dir;
    ll_error *err;
} reader;

static int fail_at(reader *r, const ll_ynode *node, const char *where, const char *fmt, ...)
    LL_PRINTF(4, 5);
static int fail_at(reader *r, const ll_ynode *node, const char *where, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ll_error_set(r->err, "%s: %s: %s", ll_ynode_where(node, r->file), where, msg);
}

/* Rejects keys of `map` not in `allowed` ('|'-separated), suggesting the closest one. */
static int check_keys(reader *r, const ll_ynode *map, const char *where, const char *allowed)
{
    for (size_t i = 0; i < map->n; i++) {
        const char *key = map->keys[i]->text;
        if (ll_word_in_list(key, allowed))
            continue;
        char sugg[64];
        const char *s = ll_suggest(key, allowed, sugg, sizeof sugg);
        return fail_at(r, map->keys[i], where, "unknown key '%s'%s%s%s (expected one of: %s)", key,
                       s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "", allowed);
    }
    return 0;
}

static int expect_kind(reader *r, const ll_ynode *node, ll_ynode_kind kind, const char *where)
{
    if (node->kind == kind)
        return 0;
    return fail_at(r, node, where, "expected %s, got %s", ll_ynode_kind_name(kind),
                   ll_ynode_kind_name(node->kind));
}

static int read_string(reader *r, const ll_ynode *node, const char *where, char **out)
{
    if (expect_kind(r, node, LL_Y_SCALAR, where) != 0)
        return -1;
    if (!node->text[0])
        return fail_at(r, node, where, "must not be empty");
    free(*out);
    if (!(*out = strdup(node->text)))
        return ll_error_set(r->err, "out of memory");
    return 0;
}

static int read_long(reader *r, const ll_ynode *node, const char *where, long min, long max,
                     long *out)
{
    if (expect_kind(r, node, LL_Y_SCALAR, where) != 0)
        return -1;
    if (ll_yscalar_long(node, out) != 0)
        return fail_at(r, node, where, "expected an integer, got '%s'%s", node->text,
                       ll_yscalar_number_hint(node));
    if (*out < min || *out > max)
        return fail_at(r, node, where, "%ld is out of range [%ld, %ld]", *out, min, max);
    return 0;
}

static int read_double(reader *r, const ll_ynode *node, const char *where, double *out)
{
    if (expect_kind(r, node, LL_Y_SCALAR, where) != 0)
        return -1;
    if (ll_yscalar_double(node, out) != 0)
        return fail_at(r, node, where, "expected a number, got '%s'%s", node->text,
                       ll_yscalar_number_hint(node));
    return 0;
}

/* A number that data can hold: .inf has no place in a fill or a category. */
static int read_finite(reader *r, const ll_ynode *node, const char *where, double *out)
{
    if (read_double(r, node, where, out) != 0)
        return -1;
    if (!isfinite(*out))
        return fail_at(r, node, where, "expected a finite number, got '%s'", node->text);
    return 0;
}

static int read_bool(reader *r, const ll_ynode *node, const char *where, int *out)
{
    if (expect_kind(r, node, LL_Y_SCALAR, where) != 0)
        return -1;
    if (ll_yscalar_bool(node, out) != 0)
        return fail_at(r, node, where, "expected true or false, got '%s'", node->text);
    return 0;
}

/* A list of non-empty strings (a single scalar counts as a one-item list). */
static int read_string_list(reader *r, const ll_ynode *node, const char *where, char ***out,
                            size_t *n_out)
{
    size_t n = node->kind == LL_Y_SEQ ? node->n : 1;
    if (node->kind == LL_Y_MAP)
        return fail_at(r, node, where, "expected a list of names, got a mapping");
    char **list = calloc(n + 1, sizeof *list);
    if (!list)
        return ll_error_set(r->err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const ll_ynode *item = node->kind == LL_Y_SEQ ? node->items[i] : node;
        if (read_string(r, item, where, &list[i]) != 0) {
            for (size_t j = 0; j < n; j++)
                free(list[j]);
            free(list);
            return -1;
        }
    }
    *out = list;
    *n_out = n;
    return 0;
}

/* Paths in a spec are relative to the spec file's folder. */
/* A path in the spec file is relative to the spec's folder; one given on the command line
 * (--set data.train=PATH) is relative to the working folder, as every other command-line
 * path is. */
static char *resolve_path(const reader *r, const ll_ynode *node, const char *path)
{
    if (path[0] == '/' || !r->dir[0] || (node && node->origin))
        return strdup(path);
    return ll_format("%s/%s", r->dir, path);
}

/* ---- data and features ---- */

static int read_data(reader *r, const ll_ynode *node, ll_spec *spec)
{
    if (expect_kind(r, node, LL_Y_MAP, "data") != 0 ||
        check_keys(r, node, "data", "train|synth|target|positive|negative|id") != 0)
        return -1;
    const ll_ynode *train = ll_ymap_get(node, "train"), *synth = ll_ymap_get(node, "synth");
    if (!train && !synth)
        return fail_at(r, node, "data", "give either 'train' (a CSV file) or 'synth'");
    if (train && synth)
        return fail_at(r, synth, "data", "'train' and 'synth' exclude each other");
    ll_feature_spec *fs = &spec->features;
    if (train) {
        char *rel = NULL;
        if (read_string(r, train, "data.train", &rel) != 0)
            return -1;
        spec->train_path = resolve_path(r, train, rel);
        free(rel);
    } else {
        if (expect_kind(r, synth, LL_Y_MAP, "data.synth") != 0 ||
            check_keys(r, synth, "data.synth", "rows|seed|file") != 0)
            return -1;
        long rows = 20000, seed = 7;
        const ll_ynode *v;
        if ((v = ll_ymap_get(synth, "rows")) && read_long(r, v, "data.synth.rows", 100, 10000000, &rows))
            return -1;
        if ((v = ll_ymap_get(synth, "seed")) && read_long(r, v, "data.synth.seed", 0, LONG_MAX, &seed))
            return -1;
        spec->synth = 1;
        spec->synth_rows = (size_t)rows;
        spec->synth_seed = (uint64_t)seed;
        char *file = NULL;
        if ((v = ll_ymap_get(synth, "file")) && read_string(r, v, "data.synth.file", &file))
            return -1;
        if (file) {
            spec->train_path = resolve_path(r, v, file);
            free(file);
        } /* else: written into the output folder once that is known */
    }
    const ll_ynode *v;
    if (!(v = ll_ymap_get(node, "target")))
        return fail_at(r, node, "data", "'target' (the label column) is required");
    if (read_string(r, v, "data.target", &fs->target) != 0)
        return -1;
    if ((v = ll_ymap_get(node, "positive")) ? read_string(r, v, "data.positive", &fs->positive)
                                            : !(fs->positive = strdup("1")))
        return -1;
    if ((v = ll_ymap_get(node, "negative")) && read_string(r, v, "data.negative", &fs->negative))
        return -1;
    if ((v = ll_ymap_get(node, "id")) && read_string(r, v, "data.id", &fs->id))
        return -1;
    if (!spec->train_path && !spec->synth)
        return ll_error_set(r->err, "out of memory");
    return 0;
}

static int read_date_parts(reader *r, const ll_ynode *node, const char *where, unsigned *parts)
{
    char **names = NULL;
    size_t n = 0;
    if (read_string_list(r, node, where, &names, &n) != 0)
        return -1;
    /* In the order of the LL_DATE_* bits. */
    static const char *const known[] = {"year",      "month",     "day",
                                        "dayofweek", "dayofyear", "weekofyear"};
    const unsigned n_known = sizeof known / sizeof *known;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned bit = 0;
        for (unsigned k = 0; k < n_known; k++)
            if (strcmp(names[i], known[k]) == 0)
                bit = 1u << k;
        if (!bit) {
            char sugg[64];
            const char *s = ll_suggest(names[i], "year|month|day|dayofweek|dayofyear|weekofyear",
                                       sugg, sizeof sugg);
            rc = fail_at(r, node->kind == LL_Y_SEQ ? node->items[i] : node, where,
                         "unknown date part '%s'%s%s%s (expected year, month, day, dayofweek, "
                         "dayofyear, weekofyear)",
                         names[i], s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
        }
        *parts |= bit;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int read_column_transform(reader *r, const char *column, const ll_ynode *node,
                                 ll_column_transform *t)
{
    char where[256];
    snprintf(where, sizeof where, "features.columns.%s", column);
    if (!(t->column = strdup(column)))
        return ll_error_set(r->err, "out of memory");
    if (expect_kind(r, node, LL_Y_MAP, where) != 0 ||
        check_keys(r, node, where, "fill|missing_flag|onehot|date") != 0)
        return -1;
    const ll_ynode *v;
    char sub[300];
    if ((v = ll_ymap_get(node, "fill"))) {
        snprintf(sub, sizeof sub, "%s.fill", where);
        if (read_finite(r, v, sub, &t->fill) != 0)
            return -1;
        t->has_fill = 1;
    }
    if ((v = ll_ymap_get(node, "missing_flag"))) {
        snprintf(sub, sizeof sub, "%s.missing_flag", where);
        if (read_bool(r, v, sub, &t->missing_flag) != 0)
            return -1;
    }
    if ((v = ll_ymap_get(node, "onehot"))) {
        snprintf(sub, sizeof sub, "%s.onehot", where);
        if (v->kind == LL_Y_SEQ) {
            t->onehot = 1;
            t->onehot_values = calloc(v->n + 1, sizeof *t->onehot_values);
            if (!t->onehot_values)
                return ll_error_set(r->err, "out of memory");
            for (size_t i = 0; i < v->n; i++, t->n_onehot_values++)
                if (read_finite(r, v->items[i], sub, &t->onehot_values[i]) != 0)
                    return -1;
        } else if (read_bool(r, v, sub, &t->onehot) != 0) {
            return -1;
        }
    }
    if ((v = ll_ymap_get(node, "date"))) {
        snprintf(sub, sizeof sub, "%s.date", where);
        if (read_date_parts(r, v, sub, &t->date_parts) != 0)
            return -1;
        if (!t->date_parts)
            return fail_at(r, v, sub, "name at least one date part");
    }
    if (t->onehot && t->date_parts)
        return fail_at(r, node, where, "'onehot' and 'date' exclude each other");
    return 0;
}

/* A derived column names exactly one kind: days_between, sum, count, frequency or target,
 * each with a list of source columns; target may add its smoothing. */
static int read_derived(reader *r, const char *name, const ll_ynode *node, ll_derived *d)
{
    static const struct {
        const char *key;
        ll_derived_kind kind;
    } kinds[] = { { "days_between", LL_DERIVED_DAYS_BETWEEN },
                  { "sum", LL_DERIVED_SUM },
                  { "count", LL_DERIVED_COUNT },
                  { "frequency", LL_DERIVED_FREQUENCY },
                  { "target", LL_DERIVED_TARGET } };
    char where[256];
    snprintf(where, sizeof where, "features.derived.%s", name);
    if (!(d->name = strdup(name)))
        return ll_error_set(r->err, "out of memory");
    if (expect_kind(r, node, LL_Y_MAP, where) != 0 ||
        check_keys(r, node, where,
                   "days_between|sum|count|frequency|target|fill|missing_flag|smoothing") != 0)
        return -1;
    const ll_ynode *v = NULL;
    const char *kind_key = NULL;
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        const ll_ynode *found = ll_ymap_get(node, kinds[k].key);
        if (!found)
            continue;
        if (v)
            return fail_at(r, found, where, "'%s' and '%s' exclude each other", kind_key,
                           kinds[k].key);
        v = found;
        kind_key = kinds[k].key;
        d->kind = kinds[k].kind;
    }
    if (!v)
        return fail_at(r, node, where, "one of 'days_between: [from_column, to_column]', "
                       "'sum: [columns]', 'count: [columns]', 'frequency: [columns]' or "
                       "'target: [columns]' is required");
    char sub[300];
    snprintf(sub, sizeof sub, "%s.%s", where, kind_key);
    if (read_string_list(r, v, sub, &d->columns, &d->n_columns) != 0)
        return -1;
    if (d->kind == LL_DERIVED_DAYS_BETWEEN && d->n_columns != 2)
        return fail_at(r, v, sub, "expected two date columns [from, to], got %zu", d->n_columns);
    if (d->n_columns == 0)
        return fail_at(r, v, sub, "name at least one column");
    for (size_t i = 0; i < d->n_columns; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->columns[i], d->columns[j]) == 0)
                return fail_at(r, v, sub, "column '%s' is listed twice", d->columns[i]);
    if ((v = ll_ymap_get(node, "fill"))) {
        snprintf(sub, sizeof sub, "%s.fill", where);
        if (read_finite(r, v, sub, &d->fill) != 0)
            return -1;
        d->has_fill = 1;
    }
    if ((v = ll_ymap_get(node, "missing_flag"))) {
        snprintf(sub, sizeof sub, "%s.missing_flag", where);
        if (read_bool(r, v, sub, &d->missing_flag) != 0)
            return -1;
    }
    if (d->kind == LL_DERIVED_TARGET)
        d->smoothing = LL_TARGET_SMOOTHING_DEFAULT;
    if ((v = ll_ymap_get(node, "smoothing"))) {
        snprintf(sub, sizeof sub, "%s.smoothing", where);
        if (d->kind != LL_DERIVED_TARGET)
            return fail_at(r, v, sub, "goes with 'target' only, not '%s'", kind_key);
        if (read_finite(r, v, sub, &d->smoothing) != 0)
            return -1;
        if (!(d->smoothing > 0))
            return fail_at(r, v, sub, "expected a number > 0, got '%s'", v->text);
    }
    return 0;
}

static int read_features(reader *r, const ll_ynode *node, ll_spec *spec)
{
    ll_feature_spec *fs = &spec->features;
    if (expect_kind(r, node, LL_Y_MAP, "features") != 0 ||
        check_keys(r, node, "features", "drop|columns|derived") != 0)
        return -1;
    const ll_ynode *v;
    if ((v = ll_ymap_get(node, "drop")) &&
        read_string_list(r, v, "features.drop", &fs->drop, &fs->n_drop) != 0)
        return -1;
    if ((v = ll_ymap_get(node, "columns"))) {
        if (expect_kind(r, v, LL_Y_MAP, "features.columns") != 0)
            return -1;
        if (!(fs->transforms = calloc(v->n + 1, sizeof *fs->transforms)))
            return ll_error_set(r->err, "out of memory");
        for (size_t i = 0; i < v->n; i++, fs->n_transforms++) {
            const char *column = v->keys[i]->text;
            /* said here, at the spec's line, rather than when the data file is read */
            if ((fs->target && !strcmp(column, fs->target)) || (fs->id && !strcmp(column, fs->id)))
                return fail_at(r, v->keys[i], "features.columns", "'%s' is the %s column and "
                               "cannot have a transform", column,
                               fs->target && !strcmp(column, fs->target) ? "target" : "id");
            if (read_column_transform(r, column, v->items[i], &fs->transforms[i]) != 0) {
                fs->n_transforms++;
                return -1;
            }
        }
    }
    if ((v = ll_ymap_get(node, "derived"))) {
        if (expect_kind(r, v, LL_Y_MAP, "features.derived") != 0)
            return -1;
        if (!(fs->derived = calloc(v->n + 1, sizeof *fs->derived)))
            return ll_error_set(r->err, "out of memory");
        for (size_t i = 0; i < v->n; i++, fs->n_derived++)
            if (read_derived(r, v->keys[i]->text, v->items[i], &fs->derived[i]) != 0) {
                fs->n_derived++;
                return -1;
            }
    }
    return 0;
}

/* ---- plugins ---- */

/* Builds "knn(k=5)" from the plugin name and the given parameters. */
static char *config_label(const char *plugin, const char *params)
{
    return params[0] ? ll_format("%s(%s)", plugin, params) : strdup(plugin);
}

typedef struct {
    const char *digest;
    size_t index;
} digest_index;

static int by_digest_then_index(const void *a, const void *b)
{
    const digest_index *x = a, *y = b;
    int c = strcmp(x->digest, y->digest);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Two configs of one list that are the same configuration (the same plugin and every value,
 * given or default) would be run twice under two labels. Random search draws repeats by
 * chance (int and choice spaces are small): a drawn config that repeats another is dropped
 * silently, the first given config of that configuration (else the first drawn one) kept.
 * Given configs that repeat are refused at the second one. Sorted digests keep it
 * O(n log n) for grids of 100,000 configs. */
static int refuse_repeated_configs(reader *r, const char *section, ll_config *list,
                                   size_t *n_io)
{
    size_t n = *n_io;
    char **digests = calloc(n ? n : 1, sizeof *digests);
    digest_index *sorted = malloc((n ? n : 1) * sizeof *sorted);
    unsigned char *drop = calloc(n ? n : 1, 1);
    int rc = 0;
    if (!digests || !sorted || !drop)
        rc = ll_error_set(r->err, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        ll_hash h;
        ll_hash_init(&h);
        ll_params_hash_into(list[i].params, &h);
        if (!(digests[i] = malloc(33))) {
            rc = ll_error_set(r->err, "out of memory");
            break;
        }
        ll_digest_hex(ll_hash_final(&h), digests[i]);
        sorted[i] = (digest_index){digests[i], i};
    }
    if (!rc) {
        qsort(sorted, n, sizeof *sorted, by_digest_then_index);
        for (size_t g = 0, end; g < n; g = end) {
            for (end = g + 1; end < n && !strcmp(sorted[end].digest, sorted[g].digest); end++)
                ;
            size_t keep = sorted[g].index;
            for (size_t j = g; j < end; j++)
                if (!list[sorted[j].index].sampled) {
                    keep = sorted[j].index;
                    break;
                }
            for (size_t j = g; j < end; j++)
                drop[sorted[j].index] = sorted[j].index != keep && list[sorted[j].index].sampled;
        }
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
            if (drop[i]) {
                ll_params_free(list[i].params);
                free(list[i].label);
                free(digests[i]);
                continue;
            }
            list[kept] = list[i];
            digests[kept++] = digests[i];
        }
        *n_io = n = kept;
    }
    size_t first, second;
    int dup = !digests || rc ? -1 : ll_find_duplicate(digests, n, &first, &second);
    if (dup < 0 && !rc)
        rc = ll_error_set(r->err, "out of memory");
    else if (dup > 0 && !strcmp(list[first].label, list[second].label))
        rc = fail_at(r, list[second].item, section, "'%s' appears twice", list[second].label);
    else if (dup > 0)
        rc = fail_at(r, list[second].item, section, "'%s' is the same configuration as '%s'",
                     list[second].label, list[first].label);
    for (size_t i = 0; i < n && digests; i++)
        free(digests[i]);
    free(digests);
    free(sorted);
    free(drop);
    return rc;
}

/* Reads a list of `- name` or `- name: {params}` items into expanded configs. */
static int read_plugin_list(reader *r, const ll_ynode *node, const char *section, int want_model,
                            const ll_spec *spec, ll_registry *reg, ll_config **out,
                            size_t *n_out)
{
    if (node->kind == LL_Y_MAP)
        return fail_at(r, node, section,
                       "expected a list (- name: {params}), got a mapping; write each plugin as "
                       "a list item");
    if (expect_kind(r, node, LL_Y_SEQ, section) != 0)
        return -1;
    if (node->n == 0)
        return fail_at(r, node, section, "the list is empty");
    for (size_t i = 0; i < node->n; i++) {
        const ll_ynode *item = node->items[i];
        const ll_ynode *name_node = item, *params = NULL;
        if (item->kind == LL_Y_MAP) {
            if (item->n != 1)
                return fail_at(r, item, section,
                               "each item is one plugin: '- name' or '- name: {params}'");
            name_node = item->keys[0];
            params = item->items[0];
        } else if (item->kind != LL_Y_SCALAR) {
            return fail_at(r, item, section, "expected a plugin name, got a list");
        }
        ll_error perr;
        const ll_plugin *plugin = ll_registry_get(reg, name_node->text, &perr);
        if (!plugin)
            return fail_at(r, name_node, section, "%s", perr.msg);
        if (!!plugin->model != want_model)
            return fail_at(r, name_node, section, "'%s' is a %s plugin, not a %s",
                           plugin->name, plugin->model ? "model" : "sampler",
                           want_model ? "model" : "sampler");
        char where[192];
        snprintf(where, sizeof where, "%s.%s", section, plugin->name);
        ll_params **sets = NULL;
        size_t n_sets = 0;
        int draws = spec->search == LL_SEARCH_RANDOM ||
                    (spec->search == LL_SEARCH_HALVING && spec->search_trials);
        int sampled = draws && ll_params_has_distribution(params);
        if (sampled) {
            /* An entry's draws follow from the search seed, the list, the plugin and which of
             * that plugin's entries it is, so entries added or removed around it (of other
             * plugins) leave them as they were. */
            uint64_t occurrence = 0;
            for (size_t j = 0; j < i; j++) {
                const ll_ynode *other = node->items[j];
                const ll_ynode *other_name = other->kind == LL_Y_MAP ? other->keys[0] : other;
                occurrence += !strcmp(other_name->text, name_node->text);
            }
            uint64_t seed = ll_seed_mix(spec->search_seed, ll_hash_text(LL_HASH_INIT, section));
            seed = ll_seed_mix(seed, ll_hash_text(LL_HASH_INIT, plugin->name));
            seed = ll_seed_mix(seed, occurrence);
            if (ll_params_sample(plugin, params, r->file, where, spec->search_trials, seed,
                                 &sets, &n_sets, r->err) != 0)
                return -1;
        } else if (ll_params_expand(plugin, params, r->file, where, &sets, &n_sets,
                                    r->err) != 0) {
            return -1;
        }
        ll_config *grown = realloc(*out, (*n_out + n_sets) * sizeof *grown);
        if (!grown) {
            ll_params_free_all(sets, n_sets);
            return ll_error_set(r->err, "out of memory");
        }
        *out = grown;
        for (size_t s = 0; s < n_sets; s++) {
            ll_config *c = &grown[(*n_out)++];
            memset(c, 0, sizeof *c); /* uncalibrated, owning its params */
            c->plugin = plugin;
            c->params = sets[s];
            c->label = config_label(plugin->name, ll_params_label(sets[s]));
            if (!c->label) {
                for (size_t t = s + 1; t < n_sets; t++)
                    ll_params_free(sets[t]);
                free(sets);
                return ll_error_set(r->err, "out of memory");
            }
            c->item = item;
            c->sampled = sampled;
        }
        free(sets);
    }
    return refuse_repeated_configs(r, section, *out, n_out);
}

/* calibrate: {method: M or [M, ...], folds: N}: every model config once per method, in
 * that order, labelled "logreg [isotonic]" (none keeps the plain label). The calibrator is
 * fitted inside each training fold on inner out-of-fold scores; the cut, when tuned, is
 * chosen on those scores calibrated, so both use the same inner folds. */
static int read_calibrate(reader *r, const ll_ynode *node, ll_spec *spec)
{
    const char *all = "none|isotonic|sigmoid";
    if (expect_kind(r, node, LL_Y_MAP, "calibrate") != 0 ||
        check_keys(r, node, "calibrate", "method|folds") != 0)
        return -1;
    const ll_ynode *v = ll_ymap_get(node, "folds");
    long folds = (long)spec->tune_folds;
    if (v && read_long(r, v, "calibrate.folds", 2, 20, &folds) != 0)
        return -1;
    const ll_ynode *folds_node = v;
    if (!(v = ll_ymap_get(node, "method")))
        return fail_at(r, node, "calibrate", "'method' is required (%s, or a list of them)", all);
    size_t n = v->kind == LL_Y_SEQ ? v->n : 1;
    int methods[3];
    if (n == 0 || n > 3)
        return fail_at(r, v, "calibrate.method", "expected 1 to 3 of %s", all);
    for (size_t i = 0; i < n; i++) {
        const ll_ynode *m = v->kind == LL_Y_SEQ ? v->items[i] : v;
        if (expect_kind(r, m, LL_Y_SCALAR, "calibrate.method") != 0)
            return -1;
        methods[i] = ll_calibration_parse(m->text);
        if (methods[i] < 0) {
            char sugg[64];
            const char *s = ll_suggest(m->text, all, sugg, sizeof sugg);
            return fail_at(r, m, "calibrate.method", "unknown method '%s'%s%s%s (expected one "
                           "of: %s)", m->text, s ? " (did you mean '" : "", s ? s : "",
                           s ? "'?)" : "", all);
        }
        for (size_t j = 0; j < i; j++)
            if (methods[j] == methods[i])
                return fail_at(r, m, "calibrate.method", "'%s' appears twice", m->text);
    }
    int calibrates = 0;
    for (size_t i = 0; i < n; i++)
        calibrates |= methods[i] != LL_CALIBRATE_NONE;
    const ll_ynode *th = ll_ymap_get(spec->tree, "threshold");
    const ll_ynode *t = th && th->kind == LL_Y_MAP ? ll_ymap_get(th, "folds") : NULL;
    if (calibrates && folds_node && t && spec->tune_threshold &&
        (size_t)folds != spec->tune_folds)
        return fail_at(r, folds_node, "calibrate.folds", "%ld, but threshold.folds is %zu: the "
                       "cut is chosen on the calibrated inner scores, so both use the same folds",
                       folds, spec->tune_folds);
    spec->calibrate_folds = (size_t)folds;
    if (calibrates)
        spec->tune_folds = (size_t)folds;
    size_t n_models = spec->n_models;
    ll_config *grown = calloc(n_models * n, sizeof *grown);
    if (!grown)
        return ll_error_set(r->err, "out of memory");
    for (size_t c = 0; c < n_models; c++)
        for (size_t i = 0; i < n; i++) {
            ll_config *to = &grown[c * n + i];
            *to = spec->models[c];
            to->calibration = methods[i];
            to->params_borrowed = i > 0;
            to->label = methods[i] == LL_CALIBRATE_NONE
                            ? strdup(spec->models[c].label)
                            : ll_format("%s [%s]", spec->models[c].label,
                                        ll_calibration_name(methods[i]));
        }
    int ok = 1;
    for (size_t c = 0; c < n_models * n; c++)
        ok &= grown[c].label != NULL;
    if (!ok) {
        for (size_t c = 0; c < n_models * n; c++)
            free(grown[c].label);
        free(grown);
        return ll_error_set(r->err, "out of memory");
    }
    for (size_t c = 0; c < n_models; c++)
        free(spec->models[c].label);
    free(spec->models);
    spec->models = grown;
    spec->n_models = n_models * n;
    return 0;
}

/* ---- the rest ---- */

/* cv: stratified k-fold by default; method: time orders the rows by a date column instead,
 * into forward-chaining folds or one final-period holdout. */
static int read_cv(reader *r, const ll_ynode *node, ll_spec *spec)
{
    if (expect_kind(r, node, LL_Y_MAP, "cv") != 0 ||
        check_keys(r, node, "cv", "method|column|folds|holdout|repeats|seed|stratified") != 0)
        return -1;
    const ll_ynode *v;
    long folds = 5, repeats = 1, seed = 42;
    if ((v = ll_ymap_get(node, "folds")) && read_long(r, v, "cv.folds", 2, 1000, &folds))
        return -1;
    if ((v = ll_ymap_get(node, "repeats")) && read_long(r, v, "cv.repeats", 1, 1000, &repeats))
        return -1;
    if ((v = ll_ymap_get(node, "seed")) && read_long(r, v, "cv.seed", 0, LONG_MAX, &seed))
        return -1;
    int time = 0;
    if ((v = ll_ymap_get(node, "method"))) {
        if (expect_kind(r, v, LL_Y_SCALAR, "cv.method") != 0)
            return -1;
        if (strcmp(v->text, "stratified") && strcmp(v->text, "time")) {
            char sugg[64];
            const char *s = ll_suggest(v->text, "stratified|time", sugg, sizeof sugg);
            return fail_at(r, v, "cv.method", "unknown method '%s'%s%s%s (expected one of: "
                           "stratified|time)", v->text, s ? " (did you mean '" : "", s ? s : "",
                           s ? "'?)" : "");
        }
        time = !strcmp(v->text, "time");
    }
    const ll_ynode *column = ll_ymap_get(node, "column"), *holdout = ll_ymap_get(node, "holdout");
    if (!time && (column || holdout))
        return fail_at(r, column ? column : holdout, column ? "cv.column" : "cv.holdout",
                       "only time-ordered folds use it: add method: time");
    if ((v = ll_ymap_get(node, "stratified"))) {
        if (time)
            return fail_at(r, v, "cv.stratified", "time-ordered folds are not stratified: "
                           "drop this key");
        int strat;
        if (read_bool(r, v, "cv.stratified", &strat) != 0)
            return -1;
        if (!strat)
            return fail_at(r, v, "cv.stratified", "folds are always stratified in leadlab, "
                           "unless ordered by date (method: time)");
    }
    if (time) {
        if (!column)
            return fail_at(r, node, "cv", "method: time needs 'column', the YYYY-MM-DD column "
                           "of the data that orders the rows");
        if (read_string(r, column, "cv.column", &spec->features.order_column) != 0)
            return -1;
        if ((v = ll_ymap_get(node, "repeats")) && repeats > 1)
            return fail_at(r, v, "cv.repeats", "time-ordered folds are the same in every "
                           "repeat: use repeats: 1");
        if (holdout) {
            if (ll_ymap_get(node, "folds"))
                return fail_at(r, holdout, "cv.holdout", "a holdout is one split (train on the "
                               "earlier rows, test on the latest), so it excludes cv.folds");
            if (read_double(r, holdout, "cv.holdout", &spec->cv_holdout) != 0)
                return -1;
            if (!(spec->cv_holdout > 0.0 && spec->cv_holdout < 1.0))
                return fail_at(r, holdout, "cv.holdout", "%g is out of range (0, 1): the share "
                               "of the latest rows to test on", spec->cv_holdout);
            folds = 1;
        }
        spec->cv_method = LL_CV_TIME;
    }
    spec->folds = (size_t)folds;
    spec->repeats = (size_t)repeats;
    spec->seed = (uint64_t)seed;
    return 0;
}

static int read_threshold(reader *r, const ll_ynode *node, ll_spec *spec)
{
    if (node->kind == LL_Y_SCALAR) {
        if (read_double(r, node, "threshold", &spec->threshold) != 0)
            return -1;
        if (!(spec->threshold > 0.0 && spec->threshold < 1.0))
            return fail_at(r, node, "threshold", "%g is out of range (0, 1)", spec->threshold);
        return 0;
    }
    if (expect_kind(r, node, LL_Y_MAP, "threshold") != 0 ||
        check_keys(r, node, "threshold", "tune|folds|fixed") != 0)
        return -1;
    const ll_ynode *v;
    if ((v = ll_ymap_get(node, "fixed")) && read_threshold(r, v, spec) != 0)
        return -1;
    if ((v = ll_ymap_get(node, "tune"))) {
        if (expect_kind(r, v, LL_Y_SCALAR, "threshold.tune") != 0)
            return -1;
        if (strcmp(v->text, "f1") != 0)
            return fail_at(r, v, "threshold.tune", "'%s' is not a tuning target (expected f1)",
                           v->text);
        spec->tune_threshold = 1;
    }
    long folds = 3;
    if ((v = ll_ymap_get(node, "folds")) && read_long(r, v, "threshold.folds", 2, 20, &folds))
        return -1;
    spec->tune_folds = (size_t)folds;
    return 0;
}

/* The slot of a top-k metric in spec->at, added when new; -1 (err set) when they are full. */
static int at_slot(reader *r, const ll_ynode *node, const char *where, ll_spec *spec,
                   ll_at_metric m)
{
    for (size_t i = 0; i < spec->n_at; i++)
        if (spec->at[i].kind == m.kind && spec->at[i].k == m.k)
            return (int)i;
    if (spec->n_at == LL_MAX_AT)
        return fail_at(r, node, where, "at most %d top-k metrics", LL_MAX_AT);
    spec->at[spec->n_at] = m;
    return (int)spec->n_at++;
}

/* {recall_at: 0.1} or {recall_at: [0.05, 0.1]} (and precision_at, lift_at). */
static int read_at_metrics(reader *r, const ll_ynode *item, ll_spec *spec)
{
    static const char *const kinds[] = {"recall_at", "precision_at", "lift_at"};
    if (item->n != 1)
        return fail_at(r, item, "metrics",
                       "each item is one metric: a name or {recall_at|precision_at|lift_at: k}");
    const ll_ynode *key = item->keys[0], *value = item->items[0];
    int kind = -1;
    for (int k = 0; k < 3; k++)
        if (!strcmp(key->text, kinds[k]))
            kind = k;
    char where[64];
    snprintf(where, sizeof where, "metrics.%s", key->text);
    if (kind < 0)
        return fail_at(r, key, "metrics", "unknown top-k metric '%s' (expected one of: "
                       "recall_at|precision_at|lift_at)", key->text);
    size_t n = value->kind == LL_Y_SEQ ? value->n : 1;
    if (n == 0)
        return fail_at(r, value, where, "the list of k is empty");
    for (size_t i = 0; i < n; i++) {
        const ll_ynode *v = value->kind == LL_Y_SEQ ? value->items[i] : value;
        double k;
        if (read_double(r, v, where, &k) != 0)
            return -1;
        if (!(k > 0.0 && k <= 1.0))
            return fail_at(r, v, where, "k is the fraction of a fold's rows called, in (0, 1]; "
                           "got %s", v->text);
        if (at_slot(r, v, where, spec, (ll_at_metric){kind, k}) < 0)
            return -1;
    }
    return 0;
}

/* metrics: [f1, brier, {recall_at: [0.05, 0.1]}, ...]: the leaderboard's columns. */
static int read_metrics(reader *r, const ll_ynode *node, ll_spec *spec)
{
    const char *all = "f1|precision|recall|roc_auc|pr_auc|mcc|balanced_accuracy|brier|log_loss|"
                      "ece|{recall_at: k}|{precision_at: k}|{lift_at: k}";
    if (node->kind == LL_Y_MAP)
        return read_at_metrics(r, node, spec);
    size_t n = node->kind == LL_Y_SEQ ? node->n : 1;
    spec->metrics = LL_METRIC_F1; /* the leaderboard is sorted by F1: always shown */
    for (size_t i = 0; i < n; i++) {
        const ll_ynode *item = node->kind == LL_Y_SEQ ? node->items[i] : node;
        if (item->kind == LL_Y_MAP) {
            if (read_at_metrics(r, item, spec) != 0)
                return -1;
            continue;
        }
        if (expect_kind(r, item, LL_Y_SCALAR, "metrics") != 0)
            return -1;
        /* Only keys: labels such as "PR-AUC" are for --sort. */
        int k = ll_metric_index(item->text);
        if (k < 0 || strcmp(item->text, ll_metric_key(k)) != 0) {
            char sugg[64];
            const char *s = ll_suggest(item->text, all, sugg, sizeof sugg);
            return fail_at(r, item, "metrics", "unknown metric '%s'%s%s%s (expected one of: %s)",
                           item->text, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "",
                           all);
        }
        spec->metrics |= 1u << k;
    }
    return 0;
}

static int read_output(reader *r, const ll_ynode *node, ll_spec *spec)
{
    if (expect_kind(r, node, LL_Y_MAP, "output") != 0 ||
        check_keys(r, node, "output", "dir|formats|predictions") != 0)
        return -1;
    const ll_ynode *v;
    if ((v = ll_ymap_get(node, "dir"))) {
        char *rel = NULL;
        if (read_string(r, v, "output.dir", &rel) != 0)
            return -1;
        free(spec->out_dir);
        spec->out_dir = resolve_path(r, v, rel);
        free(rel);
        if (!spec->out_dir)
            return ll_error_set(r->err, "out of memory");
    }
    if ((v = ll_ymap_get(node, "formats"))) {
        char **list = NULL;
        size_t n = 0;
        if (read_string_list(r, v, "output.formats", &list, &n) != 0)
            return -1;
        int rc = 0;
        spec->formats = 0;
        for (size_t i = 0; i < n; i++) {
            if (rc == 0) {
                unsigned bit = !strcmp(list[i], "md") ? LL_OUT_MD
                             : !strcmp(list[i], "csv") ? LL_OUT_CSV
                             : !strcmp(list[i], "json") ? LL_OUT_JSON : 0;
                if (!bit)
                    rc = fail_at(r, v->kind == LL_Y_SEQ ? v->items[i] : v, "output.formats",
                                 "unknown format '%s' (expected md, csv, json)", list[i]);
                spec->formats |= bit;
            }
            free(list[i]);
        }
        free(list);
        if (rc != 0)
            return -1;
    }
    if ((v = ll_ymap_get(node, "predictions")) &&
        read_bool(r, v, "output.predictions", &spec->write_predictions) != 0)
        return -1;
    return 0;
}

/* isolation: process | none, and limits: {cell_seconds, cell_memory_mb}. Limits are enforced
 * by killing a worker process, so they need process isolation. */
static int read_execution(reader *r, const ll_ynode *root, ll_spec *spec)
{
    const ll_ynode *v = ll_ymap_get(root, "isolation");
    if (v) {
        if (expect_kind(r, v, LL_Y_SCALAR, "isolation") != 0)
            return -1;
        if (strcmp(v->text, "process") && strcmp(v->text, "none"))
            return fail_at(r, v, "isolation", "'%s' is not one of process, none", v->text);
        spec->isolation = strcmp(v->text, "none") == 0;
    }
    const ll_ynode *limits = ll_ymap_get(root, "limits");
    if (!limits)
        return 0;
    if (expect_kind(r, limits, LL_Y_MAP, "limits") != 0 ||
        check_keys(r, limits, "limits", "cell_seconds|cell_memory_mb") != 0)
        return -1;
    const char *names[] = {"cell_seconds", "cell_memory_mb"};
    double *slots[] = {&spec->cell_seconds, &spec->cell_memory_mb};
    for (int i = 0; i < 2; i++) {
        const ll_ynode *n = ll_ymap_get(limits, names[i]);
        char where[64];
        snprintf(where, sizeof where, "limits.%s", names[i]);
        if (!n)
            continue;
        if (read_double(r, n, where, slots[i]) != 0)
            return -1;
        if (!isfinite(*slots[i]) || *slots[i] <= 0)
            return fail_at(r, n, where, "expected a positive number, got '%s'", n->text);
        if (spec->isolation == 1)
            return fail_at(r, n, where, "limits need isolation: process (a thread cannot be "
                           "stopped from outside)");
    }
    return 0;
}

/* A metric rows are ranked by (report.sort, select.metric): its LL_SUM_* column into *which,
 * a top-k one added to spec->at when it is not there yet. */
static int read_ranking_metric(reader *r, const ll_ynode *v, const char *where, ll_spec *spec,
                               int *which)
{
    const char *all = "f1|precision|recall|roc_auc|pr_auc|mcc|balanced_accuracy|brier|log_loss|"
                      "ece|recall_at_K|precision_at_K|lift_at_K";
    if (expect_kind(r, v, LL_Y_SCALAR, where) != 0)
        return -1;
    ll_at_metric at;
    int k = ll_metric_parse(v->text, &at);
    if (k == LL_SUM_AT) {
        int slot = at_slot(r, v, where, spec, at);
        if (slot < 0)
            return -1;
        *which = LL_SUM_AT + slot;
        return 0;
    }
    if (k >= 0) {
        *which = k;
        return 0;
    }
    char sugg[64];
    const char *s = ll_suggest(v->text, all, sugg, sizeof sugg);
    return fail_at(r, v, where, "unknown metric '%s'%s%s%s (expected one of: %s, K a fraction "
                   "in (0, 1])", v->text, s ? " (did you mean '" : "", s ? s : "",
                   s ? "'?)" : "", all);
}

/* report: {sort: METRIC}: the metric the leaderboards rank by (default f1); a top-k metric
 * not among `metrics` is added to them. */
static int read_report(reader *r, const ll_ynode *node, ll_spec *spec)
{
    if (expect_kind(r, node, LL_Y_MAP, "report") != 0 ||
        check_keys(r, node, "report", "sort") != 0)
        return -1;
    const ll_ynode *v = ll_ymap_get(node, "sort");
    return v ? read_ranking_metric(r, v, "report.sort", spec, &spec->sort_metric) : 0;
}

/* select: {metric: M, inner_folds: K}: nested selection. Inside each outer training fold the
 * configs and samplers are compared by M on K-fold inner CV and the winner is scored on the
 * outer test fold (select.c). A top-k metric not among `metrics` is added to them. */
static int read_select(reader *r, const ll_ynode *node, ll_spec *spec)
{
    if (expect_kind(r, node, LL_Y_MAP, "select") != 0 ||
        check_keys(r, node, "select", "metric|inner_folds") != 0)
        return -1;
    long folds = 3;
    const ll_ynode *v = ll_ymap_get(node, "inner_folds");
    if (v && read_long(r, v, "select.inner_folds", 2, 20, &folds) != 0)
        return -1;
    spec->select_inner_folds = (size_t)folds;
    spec->select_metric = LL_SUM_F1;
    if ((v = ll_ymap_get(node, "metric")) &&
        read_ranking_metric(r, v, "select.metric", spec, &spec->select_metric) != 0)
        return -1;
    spec->select = 1;
    return 0;
}

/* ---- ensembles ---- */

/* The label among labels[0..n) (full or short) closest to `word` when it is close enough to
 * be a typo (ll_suggest's rule, for labels too long for it), else NULL. */
static const char *closest_label(const char *word, char *const *full, char *const *brief,
                                 size_t n)
{
    size_t best = (size_t)-1;
    const char *found = NULL;
    for (size_t i = 0; i < 2 * n; i++) {
        const char *cand = i < n ? full[i] : brief[i - n];
        size_t d = ll_edit_distance(word, cand);
        if (d < best) {
            best = d;
            found = cand;
        }
    }
    return found && ll_close_enough(word, best) ? found : NULL;
}

/* The config whose full or short label (as leaderboard.md shows it) is `text`, or -1. */
static long find_label(const char *text, char *const *full, char *const *brief, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(text, full[i]) || !strcmp(text, brief[i]))
            return (long)i;
    return -1;
}

/* The labels an ensemble's members are resolved against. */
typedef struct {
    char **models, **samplers;             /* full labels (the spec's, borrowed) */
    char **short_models, **short_samplers; /* as leaderboard.md shows them (owned) */
} member_labels;

/* "LABEL" (with a single sampler in the spec) or "LABEL | SAMPLER" into *m. Every '|' is tried
 * as the separator, so labels that hold one still resolve. */
static int read_member(reader *r, const ll_ynode *item, const char *where, const ll_spec *spec,
                       const member_labels *l, ll_member *m)
{
    if (expect_kind(r, item, LL_Y_SCALAR, where) != 0)
        return -1;
    char text[1024];
    snprintf(text, sizeof text, "%s", item->text);
    char *whole = ll_trim(text);
    long model = find_label(whole, l->models, l->short_models, spec->n_models), sampler = -1;
    if (model >= 0) {
        if (spec->n_samplers != 1)
            return fail_at(r, item, where, "'%s' names no sampler and the spec has %zu: write "
                           "'%s | SAMPLER' (e.g. '%s | %s')", whole, spec->n_samplers, whole,
                           whole, l->short_samplers[0]);
        *m = (ll_member){(uint32_t)model, 0};
        return 0;
    }
    for (char *bar = strchr(whole, '|'); bar; bar = strchr(bar + 1, '|')) {
        char left[1024];
        snprintf(left, sizeof left, "%.*s", (int)(bar - whole), whole);
        model = find_label(ll_trim(left), l->models, l->short_models, spec->n_models);
        sampler = find_label(ll_trim(bar + 1), l->samplers, l->short_samplers, spec->n_samplers);
        if (model >= 0 && sampler >= 0) {
            *m = (ll_member){(uint32_t)model, (uint32_t)sampler};
            return 0;
        }
    }
    /* Not found: say which half is wrong, with the closest label. */
    char *bar = strrchr(whole, '|');
    if (bar)
        *bar = '\0';
    const char *name = ll_trim(whole), *sampler_name = bar ? ll_trim(bar + 1) : NULL;
    const char *what = "model config", *s;
    if (find_label(name, l->models, l->short_models, spec->n_models) < 0) {
        s = closest_label(name, l->models, l->short_models, spec->n_models);
    } else {
        what = "sampler";
        name = sampler_name;
        s = closest_label(name, l->samplers, l->short_samplers, spec->n_samplers);
    }
    return fail_at(r, item, where, "unknown %s '%s'%s%s%s (a member is a model config's label "
                   "as the leaderboard shows it, with '| SAMPLER' when the spec has several)",
                   what, name, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
}

/* The row's label when the spec gives none: "stack(logreg, sgb)", "average(top 3)", or, when
 * the members' labels are too long for a table, "stack(5 rows)". */
static char *default_ensemble_name(const ll_spec *spec, const ll_ensemble_spec *e,
                                   const member_labels *l)
{
    const char *method = e->method == LL_ENSEMBLE_STACK ? "stack" : "average";
    if (e->top)
        return ll_format("%s(top %zu)", method, e->top);
    char buf[LL_ENSEMBLE_NAME_MAX + 2];
    size_t len = (size_t)snprintf(buf, sizeof buf, "%s(", method);
    for (size_t k = 0; k < e->n_members && len < sizeof buf; k++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s%s%s", k ? ", " : "",
                                l->short_models[e->members[k].model],
                                spec->n_samplers > 1 ? " | " : "",
                                spec->n_samplers > 1 ? l->short_samplers[e->members[k].sampler]
                                                     : "");
    if (len + 1 < sizeof buf && len + 1 <= LL_ENSEMBLE_NAME_MAX)
        return ll_format("%s)", buf);
    return ll_format("%s(%zu rows)", method, e->n_members);
}

static int read_ensemble(reader *r, const ll_ynode *node, size_t index, ll_spec *spec,
                         const member_labels *l, ll_ensemble_spec *e)
{
    char where[96];
    snprintf(where, sizeof where, "ensembles.%zu", index);
    if (expect_kind(r, node, LL_Y_MAP, where) != 0 ||
        check_keys(r, node, where, "method|members|name") != 0)
        return -1;
    char field[128];
    const ll_ynode *v = ll_ymap_get(node, "method");
    snprintf(field, sizeof field, "%s.method", where);
    if (!v)
        return fail_at(r, node, where, "'method' is required (average or stack)");
    if (expect_kind(r, v, LL_Y_SCALAR, field) != 0)
        return -1;
    if (!strcmp(v->text, "average") || !strcmp(v->text, "stack")) {
        e->method = !strcmp(v->text, "stack") ? LL_ENSEMBLE_STACK : LL_ENSEMBLE_AVERAGE;
    } else {
        char sugg[64];
        const char *s = ll_suggest(v->text, "average|stack", sugg, sizeof sugg);
        return fail_at(r, v, field, "unknown method '%s'%s%s%s (expected one of: average|stack)",
                       v->text, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
    }
    size_t rows = spec->n_models * spec->n_samplers;
    snprintf(field, sizeof field, "%s.members", where);
    if (!(v = ll_ymap_get(node, "members")))
        return fail_at(r, node, where, "'members' is required: a list of rows ('LABEL' or "
                       "'LABEL | SAMPLER') or {top: K}");
    if (v->kind == LL_Y_MAP) {
        long top;
        char top_field[160];
        snprintf(top_field, sizeof top_field, "%s.top", field);
        if (check_keys(r, v, field, "top") != 0)
            return -1;
        const ll_ynode *k = ll_ymap_get(v, "top");
        if (!k)
            return fail_at(r, v, field, "expected {top: K}");
        if (read_long(r, k, top_field, LONG_MIN, LONG_MAX, &top) != 0)
            return -1;
        if (top < 2 || (size_t)top > rows)
            return fail_at(r, k, top_field, "%ld, but an ensemble needs 2 to %zu rows (the "
                           "spec's configs x samplers)", top, rows);
        e->top = (size_t)top;
    } else if (v->kind == LL_Y_SEQ) {
        if (v->n < 2)
            return fail_at(r, v, field, "an ensemble needs at least 2 members, got %zu", v->n);
        if (!(e->members = calloc(v->n, sizeof *e->members)))
            return ll_error_set(r->err, "out of memory");
        for (size_t i = 0; i < v->n; i++) {
            ll_member *m = &e->members[i];
            if (read_member(r, v->items[i], field, spec, l, m) != 0)
                return -1;
            e->n_members++;
            for (size_t j = 0; j < i; j++)
                if (e->members[j].model == m->model && e->members[j].sampler == m->sampler)
                    return fail_at(r, v->items[i], field, "'%s' is a member twice",
                                   v->items[i]->text);
        }
    } else {
        return fail_at(r, v, field, "expected a list of rows ('LABEL' or 'LABEL | SAMPLER') "
                       "or {top: K}, got %s", ll_ynode_kind_name(v->kind));
    }
    if ((v = ll_ymap_get(node, "name"))) {
        snprintf(field, sizeof field, "%s.name", where);
        if (read_string(r, v, field, &e->name) != 0)
            return -1;
        if (strlen(e->name) > LL_ENSEMBLE_NAME_MAX)
            return fail_at(r, v, field, "%zu characters, at most %d (it labels a leaderboard "
                           "row)", strlen(e->name), LL_ENSEMBLE_NAME_MAX);
    } else if (!(e->name = default_ensemble_name(spec, e, l))) {
        return ll_error_set(r->err, "out of memory");
    }
    return 0;
}

/* ensembles: [{method: average | stack, members: [LABEL, ...] | {top: K}, name: TEXT}]:
 * rows combining other rows inside each outer fold (ensemble.c). Read after the models (and
 * their calibration), whose labels the members name. */
static int read_ensembles(reader *r, const ll_ynode *node, ll_spec *spec)
{
    if (expect_kind(r, node, LL_Y_SEQ, "ensembles") != 0)
        return -1;
    if (node->n == 0)
        return fail_at(r, node, "ensembles", "expected at least one ensemble");
    /* A stacker needs every member's inner scores on all rows; a halving race leaves most
     * configs without them. */
    if (spec->search == LL_SEARCH_HALVING)
        return fail_at(r, node, "ensembles", "not available with search: {method: halving}, "
                       "which fits most configs on part of the rows only");
    member_labels l = {NULL, NULL, NULL, NULL};
    if (!(spec->ensembles = calloc(node->n, sizeof *spec->ensembles)) ||
        !(l.models = malloc(spec->n_models * sizeof *l.models)) ||
        !(l.samplers = malloc(spec->n_samplers * sizeof *l.samplers)) ||
        ll_spec_short_labels(spec, &l.short_models, &l.short_samplers) != 0) {
        free(l.models);
        free(l.samplers);
        return ll_error_set(r->err, "out of memory");
    }
    for (size_t i = 0; i < spec->n_models; i++)
        l.models[i] = spec->models[i].label;
    for (size_t i = 0; i < spec->n_samplers; i++)
        l.samplers[i] = spec->samplers[i].label;
    int rc = 0;
    for (size_t i = 0; i < node->n && !rc; i++) {
        rc = read_ensemble(r, node->items[i], i, spec, &l, &spec->ensembles[i]);
        spec->n_ensembles++;
        for (size_t j = 0; j < i && !rc; j++)
            if (!strcmp(spec->ensembles[j].name, spec->ensembles[i].name))
                rc = fail_at(r, node->items[i], "ensembles", "two ensembles are named '%s': "
                             "give one a 'name'", spec->ensembles[i].name);
        if (!rc && !strcmp(spec->ensembles[i].name, "selected (nested)"))
            rc = fail_at(r, node->items[i], "ensembles", "'selected (nested)' names the nested "
                         "selection's row: choose another name");
    }
    free(l.models);
    free(l.samplers);
    ll_labels_free(l.short_models, spec->n_models);
    ll_labels_free(l.short_samplers, spec->n_samplers);
    return rc;
}

int ll_spec_sort_by(ll_spec *spec, const char *name, ll_error *err)
{
    ll_at_metric at;
    int k = ll_metric_parse(name, &at);
    if (k < 0)
        return ll_error_set(err, "--sort: unknown metric '%s' (expected f1, precision, recall, "
                            "roc_auc, pr_auc, mcc, balanced_accuracy, brier, log_loss, ece, or "
                            "recall_at_K, precision_at_K, lift_at_K with K in (0, 1])", name);
    if (k == LL_SUM_AT) {
        size_t i = 0;
        while (i < spec->n_at && !(spec->at[i].kind == at.kind && spec->at[i].k == at.k))
            i++;
        if (i == LL_MAX_AT)
            return ll_error_set(err, "--sort %s: the spec already has %d top-k metrics", name,
                                LL_MAX_AT);
        if (i == spec->n_at)
            spec->at[spec->n_at++] = at;
        k = LL_SUM_AT + (int)i;
    }
    spec->sort_metric = k;
    return 0;
}

/* importances: METHOD, or {method: METHOD, repeats: N, max_rows: N}. */
static int read_importance_method(reader *r, const ll_ynode *v, const char *where, ll_spec *spec)
{
    static const char *const names[] = {"none", "auto", "model", "permutation"};
    const char *all = "auto|model|permutation|none";
    if (expect_kind(r, v, LL_Y_SCALAR, where) != 0)
        return -1;
    for (int k = 0; k < 4; k++)
        if (!strcmp(v->text, names[k])) {
            spec->importances = k; /* in the order of LL_IMPORTANCE_* */
            return 0;
        }
    char sugg[64];
    const char *s = ll_suggest(v->text, all, sugg, sizeof sugg);
    return fail_at(r, v, where, "unknown method '%s'%s%s%s (expected one of: %s)", v->text,
                   s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "", all);
}

static int read_importances(reader *r, const ll_ynode *node, ll_spec *spec)
{
    if (node->kind == LL_Y_SCALAR)
        return read_importance_method(r, node, "importances", spec);
    if (node->kind != LL_Y_MAP)
        return fail_at(r, node, "importances", "expected a method (auto, model, permutation, "
                       "none) or a mapping {method, repeats, max_rows}, got %s",
                       ll_ynode_kind_name(node->kind));
    if (check_keys(r, node, "importances", "method|repeats|max_rows") != 0)
        return -1;
    const ll_ynode *v;
    if ((v = ll_ymap_get(node, "method")) &&
        read_importance_method(r, v, "importances.method", spec) != 0)
        return -1;
    long repeats = (long)spec->importance_repeats, max_rows = (long)spec->importance_max_rows;
    if ((v = ll_ymap_get(node, "repeats")) &&
        read_long(r, v, "importances.repeats", 1, 100, &repeats) != 0)
        return -1;
    /* Fewer rows than this leave too few positives for average precision to mean much. */
    if ((v = ll_ymap_get(node, "max_rows")) &&
        read_long(r, v, "importances.max_rows", 100, 100000000, &max_rows) != 0)
        return -1;
    spec->importance_repeats = (size_t)repeats;
    spec->importance_max_rows = (size_t)max_rows;
    return 0;
}

/* search: {method: grid | random, trials: N, seed: S}. The seed defaults to 0, not cv.seed:
 * reshuffling the folds should not change which configurations are tried. */
static int read_search(reader *r, const ll_ynode *node, ll_spec *spec)
{
    if (expect_kind(r, node, LL_Y_MAP, "search") != 0 ||
        check_keys(r, node, "search", "method|trials|seed|factor|min_rows") != 0)
        return -1;
    const ll_ynode *v = ll_ymap_get(node, "method");
    if (v) {
        if (expect_kind(r, v, LL_Y_SCALAR, "search.method") != 0)
            return -1;
        if (!strcmp(v->text, "grid")) {
            spec->search = LL_SEARCH_GRID;
        } else if (!strcmp(v->text, "random")) {
            spec->search = LL_SEARCH_RANDOM;
        } else if (!strcmp(v->text, "halving")) {
            if (!spec->select)
                return fail_at(r, v, "search.method", "halving needs select: {metric, "
                               "inner_folds}: it halves the configs inside each outer training "
                               "fold");
            spec->search = LL_SEARCH_HALVING;
        } else {
            char sugg[64];
            const char *s = ll_suggest(v->text, "grid|random|halving", sugg, sizeof sugg);
            return fail_at(r, v, "search.method", "unknown method '%s'%s%s%s (expected one of: "
                           "grid|random|halving)", v->text, s ? " (did you mean '" : "",
                           s ? s : "", s ? "'?)" : "");
        }
    }
    static const char *const halving_only[] = {"search.factor", "search.min_rows"};
    for (int i = 0; i < 2 && spec->search != LL_SEARCH_HALVING; i++)
        if ((v = ll_ymap_get(node, halving_only[i] + strlen("search."))))
            return fail_at(r, v, halving_only[i], "only method: halving takes it");
    static const char *const draw_keys[] = {"search.trials", "search.seed"};
    for (int i = 0; i < 2 && spec->search == LL_SEARCH_GRID; i++)
        if ((v = ll_ymap_get(node, draw_keys[i] + strlen("search."))))
            return fail_at(r, v, draw_keys[i], "only method: random or halving takes it (a "
                           "grid tries each configuration once)");
    long trials = 0, seed = 0, factor = 3, min_rows = 0;
    if (spec->search == LL_SEARCH_HALVING) {
        if ((v = ll_ymap_get(node, "factor")) && read_long(r, v, "search.factor", 2, 100, &factor))
            return -1;
        if ((v = ll_ymap_get(node, "min_rows")) &&
            read_long(r, v, "search.min_rows", 10, 1000000000, &min_rows))
            return -1;
        spec->halving_factor = (size_t)factor;
        spec->halving_min_rows = (size_t)min_rows;
    }
    if (spec->search == LL_SEARCH_GRID)
        return 0;
    if (!(v = ll_ymap_get(node, "trials"))) {
        if (spec->search == LL_SEARCH_HALVING)
            return 0; /* the configs of the grid; a distribution is refused where it is */
        return fail_at(r, node, "search", "'trials' is required with method: random (the "
                       "draws per model or sampler entry)");
    }
    if (read_long(r, v, "search.trials", 1, 100000, &trials) != 0)
        return -1;
    if ((v = ll_ymap_get(node, "seed")) && read_long(r, v, "search.seed", 0, LONG_MAX, &seed))
        return -1;
    spec->search_trials = (size_t)trials;
    spec->search_seed = (uint64_t)seed;
    return 0;
}

/* ---- overrides ---- */

/* The item of a samplers/models list that `seg` names: an index, or a plugin name. For a
 * plugin item the result is its parameter mapping, created when the item was a bare name. */
static ll_ynode *find_list_item(ll_ynode *list, const char *seg)
{
    /* An index selects that item as its name would (models.0.C = the first plugin's C). */
    char *end;
    long idx = strtol(seg, &end, 10);
    size_t from = 0, to = list->n;
    if (!*end && idx >= 0 && (size_t)idx < list->n) {
        const ll_ynode *item = list->items[idx];
        if (item->kind == LL_Y_SCALAR)
            seg = item->text;
        else if (item->kind == LL_Y_MAP && item->n == 1)
            seg = item->keys[0]->text;
        else
            return list->items[idx];
        from = (size_t)idx;
        to = from + 1;
    }
    for (size_t i = from; i < to; i++) {
        ll_ynode *item = list->items[i];
        if (item->kind == LL_Y_SCALAR && strcmp(item->text, seg) == 0) {
            ll_ynode *map = ll_ynode_new(LL_Y_MAP, NULL, item->line, item->col);
            ll_ynode *params = ll_ynode_new(LL_Y_MAP, NULL, item->line, item->col);
            if (!map || !params || ll_ymap_set(map, seg, params) != 0) {
                ll_ynode_free(map);
                ll_ynode_free(params);
                return NULL;
            }
            ll_ynode_free(item);
            list->items[i] = map;
            return params;
        }
        if (item->kind == LL_Y_MAP && item->n == 1 && strcmp(item->keys[0]->text, seg) == 0) {
            ll_ynode *params = item->items[0];
            if (params->kind == LL_Y_SCALAR && !params->text[0]) {
                ll_ynode *map = ll_ynode_new(LL_Y_MAP, NULL, params->line, params->col);
                if (!map)
                    return NULL;
                ll_ynode_free(params);
                item->items[0] = params = map;
            }
            return params;
        }
    }
    return NULL;
}

int ll_spec_apply_set(ll_ynode *root, const char *assignment, ll_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return ll_error_set(err, "--set %s: expected key.path=value", assignment);
    char path[512];
    size_t plen = (size_t)(eq - assignment);
    if (plen >= sizeof path)
        return ll_error_set(err, "--set: key path too long");
    memcpy(path, assignment, plen);
    path[plen] = '\0';
    ll_ynode *value = NULL;
    ll_error perr;
    /* The value is YAML too, so `--set models.knn.k=[5,15]` gives a grid. */
    if (ll_yaml_parse_string(eq + 1, "--set", &value, &perr) != 0)
        return ll_error_set(err, "--set %s: %s", assignment, perr.msg);
    if (value->kind == LL_Y_MAP && value->n == 0) { /* an empty value parses as an empty map */
        ll_ynode_free(value);
        value = ll_ynode_new(LL_Y_SCALAR, "", 1, 1);
        if (!value)
            return ll_error_set(err, "out of memory");
    }
    /* Errors about the value name the --set argument, not a line of the file. */
    ll_ynode_set_origin(value, assignment);
    ll_ynode *node = root;
    char *save = NULL;
    char *seg = strtok_r(path, ".", &save);
    while (seg) {
        char *next = strtok_r(NULL, ".", &save);
        if (node->kind == LL_Y_SEQ) {
            ll_ynode *item = find_list_item(node, seg);
            if (!item || !next) {
                ll_ynode_free(value);
                return ll_error_set(err, item ? "--set %s: cannot replace a whole list item"
                                              : "--set %s: no list item '%s'", assignment, seg);
            }
            node = item;
            seg = next;
            continue;
        }
        if (node->kind != LL_Y_MAP) {
            ll_ynode_free(value);
            return ll_error_set(err, "--set %s: '%s' is inside %s, not a mapping", assignment,
                                seg, ll_ynode_kind_name(node->kind));
        }
        if (!next) {
            if (ll_ymap_set(node, seg, value) != 0) {
                ll_ynode_free(value);
                return ll_error_set(err, "out of memory");
            }
            return 0;
        }
        ll_ynode *child = ll_ymap_get(node, seg);
        if (!child || (child->kind == LL_Y_SCALAR && !child->text[0])) {
            child = ll_ynode_new(LL_Y_MAP, NULL, node->line, node->col);
            if (!child || ll_ymap_set(node, seg, child) != 0) {
                ll_ynode_free(child);
                ll_ynode_free(value);
                return ll_error_set(err, "out of memory");
            }
        }
        node = child;
        seg = next;
    }
    ll_ynode_free(value);
    return ll_error_set(err, "--set %s: empty key path", assignment);
}

/* ---- the whole spec ---- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup("");
    size_t n = (size_t)(slash - path);
    char *dir = malloc(n + 2);
    if (dir) {
        memcpy(dir, path, n ? n : 1);
        dir[n ? n : 1] = '\0';
    }
    return dir;
}

int ll_spec_load(const char *path, const char *const *sets, size_t n_sets, ll_registry *reg,
                 ll_spec *spec, ll_error *err)
{
    memset(spec, 0, sizeof *spec);
    memset(reg, 0, sizeof *reg);
    spec->scale_zscore = 1;
    spec->folds = 5;
    spec->repeats = 1;
    spec->seed = 42;
    spec->threshold = 0.5;
    spec->tune_folds = 3;
    spec->calibrate_folds = 3;
    spec->metrics = LL_METRIC_ALL;
    spec->formats = LL_OUT_MD | LL_OUT_CSV | LL_OUT_JSON;
    spec->write_predictions = 1;
    spec->importances = LL_IMPORTANCE_AUTO;
    spec->importance_repeats = 1;
    spec->importance_max_rows = 500;
    spec->select_inner_folds = 3;
    reader r = {.file = path, .dir = dir_of(path), .err = err};
    char **plugin_dirs = NULL;
    size_t n_plugin_dirs = 0;
    int rc = -1;
    if (!r.dir || !(spec->path = strdup(path))) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    if (ll_yaml_parse_file(path, &spec->tree, err) != 0)
        goto out;
    for (size_t i = 0; i < n_sets; i++)
        if (ll_spec_apply_set(spec->tree, sets[i], err) != 0)
            goto out;
    const ll_ynode *root = spec->tree, *v;
    if (expect_kind(&r, root, LL_Y_MAP, "spec") != 0 ||
        check_keys(&r, root, "spec",
                   "name|data|features|preprocess|cv|samplers|models|metrics|threshold|output|"
                   "threads|plugin_path|isolation|limits|report|importances|calibrate|search|"
                   "select|ensembles") != 0)
        goto out;
    if ((v = ll_ymap_get(root, "name")) ? read_string(&r, v, "name", &spec->name) != 0
                                        : !(spec->name = strdup("experiment")))
        goto out;
    for (const char *c = spec->name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.') {
            fail_at(&r, v, "name", "use letters, digits, '_', '-', '.' only (it names files)");
            goto out;
        }
    if (spec->name[0] == '.') { /* ".." would name the folder above results/ */
        fail_at(&r, v, "name", "must not start with '.' (it names the output folder)");
        goto out;
    }
    if (!(v = ll_ymap_get(root, "data"))) {
        fail_at(&r, root, "spec", "the 'data' section is required");
        goto out;
    }
    if (read_data(&r, v, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "features")) && read_features(&r, v, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "preprocess"))) {
        if (expect_kind(&r, v, LL_Y_MAP, "preprocess") != 0 ||
            check_keys(&r, v, "preprocess", "scale") != 0)
            goto out;
        const ll_ynode *s = ll_ymap_get(v, "scale");
        if (s) {
            if (expect_kind(&r, s, LL_Y_SCALAR, "preprocess.scale") != 0)
                goto out;
            if (strcmp(s->text, "zscore") && strcmp(s->text, "none")) {
                fail_at(&r, s, "preprocess.scale", "'%s' is not one of zscore, none", s->text);
                goto out;
            }
            spec->scale_zscore = strcmp(s->text, "zscore") == 0;
        }
    }
    if ((v = ll_ymap_get(root, "cv")) && read_cv(&r, v, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "threshold")) && read_threshold(&r, v, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "metrics")) && read_metrics(&r, v, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "threads"))) {
        long threads;
        if (read_long(&r, v, "threads", 1, 1024, &threads) != 0)
            goto out;
        spec->threads = (int)threads;
    }
    if (read_execution(&r, root, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "output")) && read_output(&r, v, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "report")) && read_report(&r, v, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "importances")) && read_importances(&r, v, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "select")) && read_select(&r, v, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "search")) && read_search(&r, v, spec) != 0)
        goto out;
    if (!spec->out_dir) {
        if (!(spec->out_dir = ll_format("results/%s", spec->name))) {
            ll_error_set(err, "out of memory");
            goto out;
        }
    }
    if (spec->synth && !spec->train_path) {
        if (!(spec->train_path = ll_format("%s/synthetic_train.csv", spec->out_dir))) {
            ll_error_set(err, "out of memory");
            goto out;
        }
    }
    if ((v = ll_ymap_get(root, "plugin_path"))) {
        if (read_string_list(&r, v, "plugin_path", &plugin_dirs, &n_plugin_dirs) != 0)
            goto out;
        for (size_t i = 0; i < n_plugin_dirs; i++) {
            const ll_ynode *pp = ll_ymap_get(root, "plugin_path");
            char *full = resolve_path(&r, pp && pp->kind == LL_Y_SEQ && i < pp->n ? pp->items[i] : pp,
                                      plugin_dirs[i]);
            if (!full) {
                ll_error_set(err, "out of memory");
                goto out;
            }
            free(plugin_dirs[i]);
            plugin_dirs[i] = full;
        }
    }
    if (ll_registry_init(reg, (const char *const *)plugin_dirs, n_plugin_dirs, err) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "samplers"))) {
        if (read_plugin_list(&r, v, "samplers", 0, spec, reg, &spec->samplers,
                             &spec->n_samplers) != 0)
            goto out;
    } else {
        ll_ynode *none = ll_ynode_new(LL_Y_SEQ, NULL, root->line, root->col);
        ll_ynode *item = ll_ynode_new(LL_Y_SCALAR, "none", root->line, root->col);
        int ok = none && item && (none->items = malloc(sizeof *none->items));
        if (ok) {
            none->items[0] = item;
            none->n = 1;
            item = NULL;
            ok = read_plugin_list(&r, none, "samplers", 0, spec, reg, &spec->samplers,
                                  &spec->n_samplers) == 0;
        } else {
            ll_error_set(err, "out of memory");
        }
        ll_ynode_free(item);
        ll_ynode_free(none);
        if (!ok)
            goto out;
    }
    if (!(v = ll_ymap_get(root, "models"))) {
        fail_at(&r, root, "spec", "the 'models' section is required");
        goto out;
    }
    if (read_plugin_list(&r, v, "models", 1, spec, reg, &spec->models, &spec->n_models) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "calibrate")) && read_calibrate(&r, v, spec) != 0)
        goto out;
    if ((v = ll_ymap_get(root, "ensembles")) && read_ensembles(&r, v, spec) != 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < n_plugin_dirs; i++)
        free(plugin_dirs[i]);
    free(plugin_dirs);
    free(r.dir);
    if (rc != 0) {
        ll_spec_free(spec);
        ll_registry_free(reg);
    }
    return rc;
}

static void free_configs(ll_config *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!c[i].params_borrowed)
            ll_params_free(c[i].params);
        free(c[i].label);
    }
    free(c);
}

void ll_spec_free(ll_spec *spec)
{
    free(spec->path);
    free(spec->name);
    free(spec->train_path);
    ll_feature_spec_free(&spec->features);
    free_configs(spec->samplers, spec->n_samplers);
    free_configs(spec->models, spec->n_models);
    for (size_t i = 0; i < spec->n_ensembles; i++) {
        free(spec->ensembles[i].name);
        free(spec->ensembles[i].members);
    }
    free(spec->ensembles);
    free(spec->out_dir);
    ll_ynode_free(spec->tree);
    memset(spec, 0, sizeof *spec);
}

const char *ll_spec_cv_label(const ll_spec *spec, char *buf, size_t len)
{
    unsigned long long seed = (unsigned long long)spec->seed;
    if (spec->cv_method != LL_CV_TIME)
        snprintf(buf, len, "%zu-fold stratified × %zu repeat%s, seed %llu", spec->folds,
                 spec->repeats, spec->repeats == 1 ? "" : "s", seed);
    else if (spec->cv_holdout > 0)
        snprintf(buf, len, "final-period holdout: the latest %g %% of rows by %s, seed %llu",
                 100.0 * spec->cv_holdout, spec->features.order_column, seed);
    else
        snprintf(buf, len, "%zu forward-chaining folds by %s (train on earlier rows only), "
                 "seed %llu", spec->folds, spec->features.order_column, seed);
    return buf;
}

const char *ll_spec_where(const ll_spec *spec, const char *key_path)
{
    const ll_ynode *node = NULL, *at = spec->tree;
    char path[256];
    snprintf(path, sizeof path, "%s", key_path);
    char *save = NULL;
    for (char *seg = strtok_r(path, ".", &save); seg && at && at->kind == LL_Y_MAP;
         seg = strtok_r(NULL, ".", &save))
        if ((at = ll_ymap_get(at, seg)))
            node = at;
    return ll_ynode_where(node, spec->path);
}

/* ---- JSON ---- */

void ll_ynode_write_json(const ll_ynode *node, FILE *out)
{
    if (node->kind == LL_Y_SCALAR) {
        double d;
        int b;
        if (ll_yscalar_double(node, &d) == 0)
            ll_json_number(out, node->text, d);
        else if (ll_yscalar_bool(node, &b) == 0)
            fputs(b ? "true" : "false", out);
        else
            ll_json_string(out, node->text);
        return;
    }
    fputc(node->kind == LL_Y_MAP ? '{' : '[', out);
    for (size_t i = 0; i < node->n; i++) {
        if (i)
            fputs(", ", out);
        if (node->kind == LL_Y_MAP) {
            ll_json_string(out, node->keys[i]->text);
            fputs(": ", out);
        }
        ll_ynode_write_json(node->items[i], out);
    }
    fputc(node->kind == LL_Y_MAP ? '}' : ']', out);
}
