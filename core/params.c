/* leadlab plugin parameters (see params.h): validation, grid expansion and the host getters. */
#include "params.h"
#include "json.h"
#include "text.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *text;   /* the value as written, or the default */
    double real;  /* NaN when the value is one of the param's words */
    long integer;
    int boolean;
    long *list;
    size_t n_list;
} param_value;

struct ll_params {
    const ll_plugin *plugin;
    param_value *values; /* one per schema entry, in schema order */
    char *label;
};

size_t ll_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return la > lb ? la : lb;
    /* Optimal string alignment: insert, delete, substitute and swap two neighbours each cost
     * 1 ("gbn" is one step from "gnb", two from "dnn"), and case does not count ("KNN" is
     * "knn"), since both are how people mistype names. */
    size_t d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int ai = tolower((unsigned char)a[i - 1]), bj = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ai != bj);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

const char *ll_suggest(const char *word, const char *candidates, char *buf, size_t buflen)
{
    size_t best = (size_t)-1;
    const char *found = NULL;
    char cand[64];
    for (const char *p = candidates; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len < sizeof cand) {
            memcpy(cand, p, len);
            cand[len] = '\0';
            size_t d = ll_edit_distance(word, cand);
            if (d < best) {
                best = d;
                snprintf(buf, buflen, "%s", cand);
                found = buf;
            }
        }
        p = bar ? bar + 1 : NULL;
    }
    size_t limit = strlen(word) / 3 + 1;
    return found && best <= (limit > 2 ? limit : 2) ? found : NULL;
}

static int range_error(const ll_param *def, double v, const char *file, const char *where,
                       const ll_ynode *node, ll_error *err)
{
    char lo = def->flags & LL_P_MIN_EXCLUSIVE ? '(' : '[';
    char hi = def->flags & LL_P_MAX_EXCLUSIVE ? ')' : ']';
    return ll_error_set(err, "%s: %s.%s: %g is out of range %c%g, %g%c", ll_ynode_where(node, file), where, def->name, v, lo, def->min, def->max, hi);
}

static int in_range(const ll_param *def, double v)
{
    if (def->flags & LL_P_MIN_EXCLUSIVE ? !(v > def->min) : !(v >= def->min))
        return 0;
    if (def->flags & LL_P_MAX_EXCLUSIVE ? !(v < def->max) : !(v <= def->max))
        return 0;
    return 1;
}

/* Parses one value node (not a grid) of parameter `def` into *pv. */
static int parse_value(const ll_param *def, const ll_ynode *node, const char *file,
                       const char *where, param_value *pv, ll_error *err)
{
    memset(pv, 0, sizeof *pv);
    pv->real = NAN;
    char sugg[64];
    if (def->type == LL_P_INT_LIST) {
        if (node->kind != LL_Y_SEQ)
            return ll_error_set(err, "%s: %s.%s: expected a list of integers, got %s",
                                ll_ynode_where(node, file), where, def->name,
                                ll_ynode_kind_name(node->kind));
        pv->list = malloc((node->n ? node->n : 1) * sizeof *pv->list);
        size_t cap = 2 + node->n * 24;
        pv->text = malloc(cap);
        if (!pv->list || !pv->text)
            return ll_error_set(err, "out of memory");
        size_t len = (size_t)snprintf(pv->text, cap, "[");
        for (size_t i = 0; i < node->n; i++) {
            const ll_ynode *item = node->items[i];
            long v;
            if (ll_yscalar_long(item, &v) != 0)
                return ll_error_set(err, "%s: %s.%s: expected an integer, got %s", ll_ynode_where(item, file), where, def->name,
                                    item->kind == LL_Y_SCALAR ? item->text : "a collection");
            if (!in_range(def, (double)v))
                return range_error(def, (double)v, file, where, item, err);
            pv->list[pv->n_list++] = v;
            len += (size_t)snprintf(pv->text + len, cap - len, "%s%ld", i ? ", " : "", v);
        }
        snprintf(pv->text + len, cap - len, "]");
        return 0;
    }
    if (node->kind != LL_Y_SCALAR)
        return ll_error_set(err, "%s: %s.%s: expected a single value, got %s", ll_ynode_where(node, file), where, def->name,
                            ll_ynode_kind_name(node->kind));
    if (!(pv->text = strdup(node->text)))
        return ll_error_set(err, "out of memory");
    switch (def->type) {
    case LL_P_INT:
    case LL_P_REAL: {
        if (def->choices && ll_word_in_list(node->text, def->choices))
            return 0;
        double v;
        long iv = 0;
        int ok = def->type == LL_P_INT ? ll_yscalar_long(node, &iv) == 0
                                       : ll_yscalar_double(node, &v) == 0;
        if (!ok) {
            const char *s = def->choices ? ll_suggest(node->text, def->choices, sugg, sizeof sugg)
                                         : NULL;
            return ll_error_set(err, "%s: %s.%s: expected %s%s%s, got '%s'%s%s%s%s",
                                ll_ynode_where(node, file), where, def->name,
                                def->type == LL_P_INT ? "an integer" : "a number",
                                def->choices ? " or one of " : "",
                                def->choices ? def->choices : "", node->text,
                                ll_yscalar_number_hint(node), s ? " (did you mean '" : "",
                                s ? s : "", s ? "'?)" : "");
        }
        if (def->type == LL_P_INT) {
            v = (double)iv;
            pv->integer = iv;
        } else {
            if (!isfinite(v) && !(def->flags & LL_P_NONFINITE))
                return ll_error_set(err, "%s: %s.%s: expected a finite number, got '%s'",
                                    ll_ynode_where(node, file), where, def->name, node->text);
            /* The integer view of a real saturates: a cast beyond long is undefined. */
            pv->integer = isnan(v) ? 0 : v >= 0x1p63 ? LONG_MAX : v < -0x1p63 ? LONG_MIN : (long)v;
        }
        if (!in_range(def, v))
            return range_error(def, v, file, where, node, err);
        pv->real = v;
        return 0;
    }
    case LL_P_STR:
        if (def->choices && !ll_word_in_list(node->text, def->choices)) {
            const char *s = ll_suggest(node->text, def->choices, sugg, sizeof sugg);
            return ll_error_set(err, "%s: %s.%s: '%s' is not one of %s%s%s%s", ll_ynode_where(node, file), where, def->name, node->text, def->choices,
                                s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
        }
        return 0;
    case LL_P_BOOL:
        if (ll_yscalar_bool(node, &pv->boolean) != 0)
            return ll_error_set(err, "%s: %s.%s: expected true or false, got '%s'", ll_ynode_where(node, file), where, def->name, node->text);
        pv->real = pv->boolean;
        pv->integer = pv->boolean;
        return 0;
    case LL_P_INT_LIST:
        break;
    }
    return 0;
}

static void value_free(param_value *pv)
{
    free(pv->text);
    free(pv->list);
}

void ll_params_free(ll_params *params)
{
    if (!params)
        return;
    for (size_t i = 0; i < params->plugin->n_params; i++)
        value_free(&params->values[i]);
    free(params->values);
    free(params->label);
    free(params);
}

void ll_params_free_all(ll_params **params, size_t n)
{
    if (!params)
        return;
    for (size_t i = 0; i < n; i++)
        ll_params_free(params[i]);
    free(params);
}

/* A grid is a list, except for INT_LIST params where only a list of lists is one. */
static int is_grid(const ll_param *def, const ll_ynode *node)
{
    if (node->kind != LL_Y_SEQ)
        return 0;
    if (def->type != LL_P_INT_LIST)
        return 1;
    return node->n > 0 && node->items[0]->kind == LL_Y_SEQ;
}

int ll_params_expand(const ll_plugin *plugin, const ll_ynode *map, const char *file,
                     const char *where, ll_params ***out, size_t *n_out, ll_error *err)
{
    *out = NULL;
    *n_out = 0;
    size_t np = plugin->n_params;
    if (map && map->kind == LL_Y_SCALAR && map->text[0] == '\0')
        map = NULL; /* `logreg:` with nothing after it */
    if (map && map->kind != LL_Y_MAP)
        return ll_error_set(err, "%s: %s: expected a mapping of parameters, got %s", ll_ynode_where(map, file), where, ll_ynode_kind_name(map->kind));
    size_t n_given = map ? map->n : 0;
    /* given[k] = schema index of the k-th key in the spec */
    size_t *given = calloc(n_given + 1, sizeof *given);
    size_t *options = calloc(n_given + 1, sizeof *options);
    param_value *defaults = calloc(np + 1, sizeof *defaults);
    param_value **choices = calloc(n_given + 1, sizeof *choices);
    char *names = NULL;
    int rc = -1;
    if (!given || !options || !defaults || !choices) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    size_t names_len = 1;
    for (size_t i = 0; i < np; i++)
        names_len += strlen(plugin->params[i].name) + 1;
    if (!(names = calloc(names_len, 1))) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < np; i++) {
        if (i)
            strcat(names, "|");
        strcat(names, plugin->params[i].name);
    }
    for (size_t k = 0; k < n_given; k++) {
        const ll_ynode *key = map->keys[k];
        size_t idx = np;
        for (size_t i = 0; i < np; i++)
            if (strcmp(plugin->params[i].name, key->text) == 0)
                idx = i;
        if (idx == np) {
            char sugg[64];
            const char *s = ll_suggest(key->text, names, sugg, sizeof sugg);
            ll_error_set(err, "%s: %s: unknown parameter '%s'%s%s%s (known: %s)", ll_ynode_where(key, file), where, key->text, s ? " (did you mean '" : "",
                         s ? s : "", s ? "'?)" : "", np ? names : "none");
            goto out;
        }
        const ll_param *def = &plugin->params[idx];
        const ll_ynode *val = map->items[k];
        given[k] = idx;
        size_t n_opt = is_grid(def, val) ? val->n : 1;
        if (n_opt == 0) {
            ll_error_set(err, "%s: %s.%s: an empty list gives no configuration", ll_ynode_where(val, file), where, def->name);
            goto out;
        }
        if (!(choices[k] = calloc(n_opt, sizeof **choices))) {
            ll_error_set(err, "out of memory");
            goto out;
        }
        options[k] = n_opt;
        for (size_t o = 0; o < n_opt; o++)
            if (parse_value(def, is_grid(def, val) ? val->items[o] : val, file, where,
                            &choices[k][o], err) != 0)
                goto out;
    }
    for (size_t i = 0; i < np; i++) {
        const ll_param *def = &plugin->params[i];
        int is_given = 0;
        for (size_t k = 0; k < n_given; k++)
            is_given |= given[k] == i;
        if (is_given)
            continue;
        if (!def->dflt) {
            ll_error_set(err, "%s: %s: parameter '%s' is required", ll_ynode_where(map, file),
                         where, def->name);
            goto out;
        }
        ll_ynode *dnode = NULL;
        ll_error derr;
        if (ll_yaml_parse_string(def->dflt, "default", &dnode, &derr) != 0 ||
            parse_value(def, dnode, plugin->name, "default", &defaults[i], &derr) != 0) {
            ll_ynode_free(dnode);
            ll_error_set(err, "plugin '%s': bad default for '%s': %s", plugin->name, def->name,
                         derr.msg);
            goto out;
        }
        ll_ynode_free(dnode);
    }
    /* Multiplied with a cap, so no product of list lengths can wrap around to a small one. */
    size_t total = 1;
    for (size_t k = 0; k < n_given && total <= 100000; k++)
        total = options[k] > 100000 ? 100001 : total * options[k];
    if (total > 100000) {
        ll_error_set(err, "%s: %s: the grid has more than 100000 configurations", ll_ynode_where(map, file), where);
        goto out;
    }
    ll_params **sets = calloc(total, sizeof *sets);
    if (!sets) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    for (size_t c = 0; c < total; c++) {
        ll_params *p = calloc(1, sizeof *p);
        sets[c] = p;
        if (!p || !(p->values = calloc(np + 1, sizeof *p->values))) {
            ll_params_free_all(sets, c + 1);
            ll_error_set(err, "out of memory");
            goto out;
        }
        p->plugin = plugin;
        /* The last key varies fastest, as in scikit-learn's ParameterGrid. */
        size_t rest = c, label_len = 1;
        size_t pick[64] = {0};
        for (size_t k = n_given; k-- > 0;) {
            pick[k % 64] = rest % options[k];
            rest /= options[k];
        }
        for (size_t i = 0; i < np; i++) {
            const param_value *src = &defaults[i];
            for (size_t k = 0; k < n_given; k++)
                if (given[k] == i)
                    src = &choices[k][pick[k % 64]];
            param_value *dst = &p->values[i];
            *dst = *src;
            dst->text = strdup(src->text ? src->text : "");
            dst->list = NULL;
            if (src->n_list) {
                dst->list = malloc(src->n_list * sizeof *dst->list);
                if (dst->list)
                    memcpy(dst->list, src->list, src->n_list * sizeof *dst->list);
            }
            if (!dst->text || (src->n_list && !dst->list)) {
                ll_params_free_all(sets, c + 1);
                ll_error_set(err, "out of memory");
                goto out;
            }
        }
        for (size_t k = 0; k < n_given; k++)
            label_len += strlen(plugin->params[given[k]].name) + strlen(p->values[given[k]].text) + 2;
        if (!(p->label = calloc(label_len, 1))) {
            ll_params_free_all(sets, c + 1);
            ll_error_set(err, "out of memory");
            goto out;
        }
        for (size_t k = 0; k < n_given; k++) {
            if (k)
                strcat(p->label, ",");
            strcat(p->label, plugin->params[given[k]].name);
            strcat(p->label, "=");
            strcat(p->label, p->values[given[k]].text);
        }
    }
    *out = sets;
    *n_out = total;
    rc = 0;
out:
    if (choices)
        for (size_t k = 0; k < n_given; k++)
            if (choices[k]) {
                for (size_t o = 0; o < options[k]; o++)
                    value_free(&choices[k][o]);
                free(choices[k]);
            }
    if (defaults)
        for (size_t i = 0; i < np; i++)
            value_free(&defaults[i]);
    free(choices);
    free(defaults);
    free(options);
    free(given);
    free(names);
    return rc;
}

const char *ll_params_label(const ll_params *params) { return params->label; }

uint64_t ll_params_hash(const ll_params *params)
{
    uint64_t h = ll_hash_text(LL_HASH_INIT, params->plugin->name);
    for (size_t i = 0; i < params->plugin->n_params; i++) {
        h = ll_hash_text(h, "|");
        h = ll_hash_text(h, params->plugin->params[i].name);
        h = ll_hash_text(h, "=");
        const param_value *v = &params->values[i];
        ll_param_type type = params->plugin->params[i].type;
        char number[32];
        if ((type == LL_P_INT || type == LL_P_REAL) && !isnan(v->real)) {
            snprintf(number, sizeof number, "%.17g", v->real); /* "1" and "1.0" are one value */
            h = ll_hash_text(h, number);
        } else {
            h = ll_hash_text(h, v->text);
        }
    }
    return h;
}

void ll_params_hash_into(const ll_params *params, ll_hash *h)
{
    ll_hash_str(h, params->plugin->name);
    ll_hash_u64(h, params->plugin->n_params);
    for (size_t i = 0; i < params->plugin->n_params; i++) {
        ll_hash_str(h, params->plugin->params[i].name);
        const param_value *v = &params->values[i];
        ll_param_type type = params->plugin->params[i].type;
        if ((type == LL_P_INT || type == LL_P_REAL) && !isnan(v->real)) {
            ll_hash_u64(h, 1);
            ll_hash_f64(h, v->real); /* "1" and "1.0" are one value */
        } else {
            ll_hash_u64(h, 2);
            ll_hash_str(h, v->text);
        }
    }
}

static const param_value *lookup(const ll_params *params, const char *key)
{
    for (size_t i = 0; i < params->plugin->n_params; i++)
        if (strcmp(params->plugin->params[i].name, key) == 0)
            return &params->values[i];
    return NULL;
}

void ll_params_write_json(const ll_params *params, FILE *out)
{
    fputc('{', out);
    for (size_t i = 0; i < params->plugin->n_params; i++) {
        const ll_param *def = &params->plugin->params[i];
        const param_value *v = &params->values[i];
        fputs(i ? ", " : "", out);
        ll_json_string(out, def->name);
        fputs(": ", out);
        int numeric = def->type == LL_P_INT_LIST || def->type == LL_P_BOOL ||
                      ((def->type == LL_P_INT || def->type == LL_P_REAL) && !isnan(v->real));
        if (def->type == LL_P_BOOL)
            fputs(v->boolean ? "true" : "false", out);
        else if (numeric && def->type != LL_P_INT_LIST)
            ll_json_number(out, v->text, v->real);
        else if (numeric)
            fputs(v->text, out); /* "[64, 64]": written by leadlab from parsed integers */
        else
            ll_json_string(out, v->text);
    }
    fputc('}', out);
}

/* ---- host services ---- */

static int host_log_level = LL_LOG_WARN;

void ll_host_set_log_level(int max_level) { host_log_level = max_level; }

static double host_real(const ll_params *p, const char *key)
{
    const param_value *v = lookup(p, key);
    return v ? v->real : NAN;
}

static long host_integer(const ll_params *p, const char *key)
{
    const param_value *v = lookup(p, key);
    return v ? v->integer : 0;
}

static const char *host_string(const ll_params *p, const char *key)
{
    const param_value *v = lookup(p, key);
    return v ? v->text : "";
}

static int host_boolean(const ll_params *p, const char *key)
{
    const param_value *v = lookup(p, key);
    return v ? v->boolean : 0;
}

static size_t host_int_list(const ll_params *p, const char *key, long *out, size_t cap)
{
    const param_value *v = lookup(p, key);
    if (!v)
        return 0;
    for (size_t i = 0; i < v->n_list && i < cap; i++)
        out[i] = v->list[i];
    return v->n_list;
}

static void host_log(int level, const char *fmt, ...) LL_PRINTF(2, 3);
static void host_log(int level, const char *fmt, ...)
{
    if (level > host_log_level)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    static const char *names[] = {"error", "warning", "info", "debug"};
    /* One fputs per line keeps lines from concurrent cells whole. */
    char full[600];
    snprintf(full, sizeof full, "leadlab: %s: %s\n", names[level & 3], line);
    fputs(full, stderr);
}

static const ll_host default_host = {
    .abi_version = LL_ABI_VERSION,
    .struct_size = sizeof(ll_host),
    .real = host_real,
    .integer = host_integer,
    .string = host_string,
    .boolean = host_boolean,
    .int_list = host_int_list,
    .log = host_log,
};

const ll_host *ll_host_default(void) { return &default_host; }
