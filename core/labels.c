/* leadlab labels (see labels.h). Short labels are computed from the label text alone, so the
 * reports of a run and `leadlab show` / `compare` (which read labels back from results.db)
 * shorten alike. */
#include "labels.h"

#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "text.h"

/* One label split into its plugin name and "key=value" items (pointers into `buf`). */
typedef struct {
    char *buf;
    const char *name;
    const char *suffix; /* " [isotonic]" of a calibrated config, kept as is; "" when none */
    const char **keys, **values;
    size_t n;
} parsed_label;

static void parsed_free(parsed_label *p)
{
    free(p->buf);
    free(p->keys);
    free(p->values);
}

/* "name(k=v,l=[1, 2])": items are split at commas outside brackets, since list values print
 * as "[64, 64]". A label without parentheses has no items. */
static int parse_label(const char *label, parsed_label *p)
{
    memset(p, 0, sizeof *p);
    size_t len = strlen(label), cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += label[i] == ',';
    p->buf = strdup(label);
    p->keys = malloc(cap * sizeof *p->keys);
    p->values = malloc(cap * sizeof *p->values);
    if (!p->buf || !p->keys || !p->values) {
        parsed_free(p);
        return -1;
    }
    p->name = p->buf;
    p->suffix = "";
    /* "knn(k=5) [isotonic]": the calibration follows the parameters (spec.c) */
    char *tag = strrchr(p->buf, '[');
    if (len > 3 && p->buf[len - 1] == ']' && tag && tag > p->buf && tag[-1] == ' ' &&
        !strchr(tag, ')')) {
        p->suffix = label + (tag - 1 - p->buf);
        tag[-1] = '\0';
        len = strlen(p->buf);
    }
    char *open = strchr(p->buf, '(');
    if (!open || len < 2 || p->buf[len - 1] != ')')
        return 0;
    *open = '\0';
    p->buf[len - 1] = '\0';
    char *item = open + 1;
    int depth = 0;
    for (char *c = item;; c++) {
        if (*c == '[')
            depth++;
        else if (*c == ']' && depth > 0)
            depth--;
        if (*c == '\0' || (*c == ',' && depth == 0)) {
            int end = *c == '\0';
            *c = '\0';
            if (*item) {
                char *eq = strchr(item, '=');
                if (eq)
                    *eq = '\0';
                p->keys[p->n] = item;
                p->values[p->n++] = eq ? eq + 1 : "";
            }
            if (end)
                break;
            item = c + 1;
        }
    }
    return 0;
}

static const char *value_of(const parsed_label *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->keys[i], key))
            return p->values[i];
    return NULL;
}

/* Whether `key` takes more than one value (absent being a value) among the configs of
 * plugin `name`. */
static int varies(const parsed_label *all, size_t n, const char *name, const char *key)
{
    const char *first = NULL;
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].name, name))
            continue;
        const char *v = value_of(&all[i], key);
        if (!seen) {
            first = v;
            seen = 1;
        } else if ((first == NULL) != (v == NULL) || (v && strcmp(first, v))) {
            return 1;
        }
    }
    return 0;
}

static char *short_label(const parsed_label *all, size_t n, const parsed_label *p)
{
    size_t cap = strlen(p->name) + strlen(p->suffix) + 3;
    for (size_t k = 0; k < p->n; k++)
        cap += strlen(p->keys[k]) + strlen(p->values[k]) + 2;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t len = (size_t)snprintf(s, cap, "%s", p->name);
    size_t kept = 0;
    for (size_t k = 0; k < p->n; k++)
        if (varies(all, n, p->name, p->keys[k]))
            len += (size_t)snprintf(s + len, cap - len, "%s%s=%s", kept++ ? "," : "(",
                                    p->keys[k], p->values[k]);
    if (kept)
        len += (size_t)snprintf(s + len, cap - len, ")");
    snprintf(s + len, cap - len, "%s", p->suffix);
    return s;
}

void ll_labels_free(char **labels, size_t n)
{
    if (!labels)
        return;
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
}

int ll_short_labels(const char *const *labels, size_t n, char **out)
{
    parsed_label *all = calloc(n ? n : 1, sizeof *all);
    if (!all)
        return -1;
    memset(out, 0, n * sizeof *out);
    size_t parsed = 0;
    while (parsed < n && parse_label(labels[parsed], &all[parsed]) == 0)
        parsed++;
    int rc = parsed < n ? -1 : 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!(out[i] = short_label(all, n, &all[i])))
            rc = -1;
    /* Keys written in another order shorten two configs alike: keep that plugin's full labels. */
    for (size_t i = 0; i < n && rc == 0; i++)
        for (size_t j = i + 1; j < n && rc == 0; j++) {
            if (strcmp(out[i], out[j]) || strcmp(all[i].name, all[j].name))
                continue;
            for (size_t k = 0; k < n && rc == 0; k++) {
                if (strcmp(all[k].name, all[i].name))
                    continue;
                char *full = strdup(labels[k]);
                if (!full)
                    rc = -1;
                free(out[k]);
                out[k] = full;
            }
        }
    if (rc != 0)
        for (size_t i = 0; i < n; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    for (size_t i = 0; i < parsed; i++)
        parsed_free(&all[i]);
    free(all);
    return rc;
}

/* Short labels of one list of configs, malloc'd; NULL when memory runs out. */
static char **config_short_labels(const ll_config *list, size_t n)
{
    const char **labels = malloc((n ? n : 1) * sizeof *labels);
    char **out = calloc(n ? n : 1, sizeof *out);
    if (labels && out) {
        for (size_t i = 0; i < n; i++)
            labels[i] = list[i].label;
        if (ll_short_labels(labels, n, out) == 0) {
            free(labels);
            return out;
        }
    }
    free(labels);
    free(out);
    return NULL;
}

int ll_spec_short_labels(const ll_spec *spec, char ***models, char ***samplers)
{
    *models = config_short_labels(spec->models, spec->n_models);
    *samplers = config_short_labels(spec->samplers, spec->n_samplers);
    if (*models && *samplers)
        return 0;
    ll_labels_free(*models, spec->n_models);
    ll_labels_free(*samplers, spec->n_samplers);
    *models = *samplers = NULL;
    return -1;
}

size_t ll_label_trim(const char *s, size_t max_chars, char *buf, size_t len)
{
    size_t chars = 0;
    for (const char *c = s; *c; c++)
        chars += ((unsigned char)*c & 0xC0) != 0x80;
    int cut = chars > max_chars;
    size_t keep = cut ? (max_chars ? max_chars - 1 : 0) : chars;
    size_t reserve = cut && max_chars ? 3 : 0; /* the ellipsis, 3 bytes */
    size_t used = 0, kept = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && kept < keep) {
        size_t n = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
        if (used + n + reserve + 1 > len)
            break; /* whole characters only */
        for (size_t i = 0; i < n && *p; i++)
            buf[used++] = (char)*p++;
        kept++;
    }
    if (reserve && used + reserve + 1 <= len) {
        memcpy(buf + used, "\xe2\x80\xa6", 3);
        used += 3;
        kept++;
    }
    if (len)
        buf[used] = '\0';
    return kept;
}

char **ll_param_columns(const ll_config *list, size_t n, const char *prefix, size_t *n_out)
{
    *n_out = 0;
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += list[i].plugin->n_params;
    char **cols = malloc(cap * sizeof *cols);
    if (!cols)
        return NULL;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < list[i].plugin->n_params; k++) {
            char *name = ll_format("%s.%s", prefix, list[i].plugin->params[k].name);
            if (!name) {
                ll_labels_free(cols, *n_out);
                *n_out = 0;
                return NULL;
            }
            size_t j = 0;
            while (j < *n_out && strcmp(cols[j], name))
                j++;
            if (j < *n_out)
                free(name);
            else
                cols[(*n_out)++] = name;
        }
    return cols;
}

const char *ll_param_value(const ll_config *config, const char *column)
{
    const char *dot = strchr(column, '.');
    const char *name = dot ? dot + 1 : column;
    for (size_t k = 0; k < config->plugin->n_params; k++)
        if (!strcmp(config->plugin->params[k].name, name))
            return ll_host_default()->string(config->params, name);
    return NULL;
}
