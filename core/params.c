/* leadlab plugin parameters (see params.h): validation, grid expansion and the host getters. */
#include "params.h"
#include "json.h"
#include "text.h"
#include "leadlab/rng.h"

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
    /* list types: n_list items in the list of the param's type, the others NULL */
    long *list;
    double *reals;
    char **words;
    size_t n_list;
} param_value;

static int is_list_type(ll_param_type type)
{
    return type == LL_P_INT_LIST || type == LL_P_REAL_LIST || type == LL_P_STR_LIST;
}

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
    return found && ll_close_enough(word, best) ? found : NULL;
}

int ll_close_enough(const char *word, size_t distance)
{
    size_t limit = strlen(word) / 3 + 1;
    return distance <= (limit > 2 ? limit : 2);
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
    if (is_list_type(def->type)) {
        static const char *what[] = {[LL_P_INT_LIST] = "integers", [LL_P_REAL_LIST] = "numbers",
                                     [LL_P_STR_LIST] = "words"};
        if (node->kind != LL_Y_SEQ)
            return ll_error_set(err, "%s: %s.%s: expected a list of %s, got %s",
                                ll_ynode_where(node, file), where, def->name, what[def->type],
                                ll_ynode_kind_name(node->kind));
        size_t n = node->n ? node->n : 1;
        if (def->type == LL_P_INT_LIST)
            pv->list = malloc(n * sizeof *pv->list);
        else if (def->type == LL_P_REAL_LIST)
            pv->reals = malloc(n * sizeof *pv->reals);
        else
            pv->words = calloc(n, sizeof *pv->words);
        size_t cap = 3;
        for (size_t i = 0; i < node->n; i++)
            cap += 2 + (node->items[i]->kind == LL_Y_SCALAR ? strlen(node->items[i]->text) : 0) +
                   32;
        pv->text = malloc(cap);
        if ((!pv->list && !pv->reals && !pv->words) || !pv->text)
            return ll_error_set(err, "out of memory");
        size_t len = (size_t)snprintf(pv->text, cap, "[");
        for (size_t i = 0; i < node->n; i++) {
            const ll_ynode *item = node->items[i];
            const char *sep = i ? ", " : "";
            if (item->kind != LL_Y_SCALAR)
                return ll_error_set(err, "%s: %s.%s: expected one of %s, got a collection",
                                    ll_ynode_where(item, file), where, def->name, what[def->type]);
            if (def->type == LL_P_INT_LIST) {
                long v;
                if (ll_yscalar_long(item, &v) != 0)
                    return ll_error_set(err, "%s: %s.%s: expected an integer, got %s",
                                        ll_ynode_where(item, file), where, def->name, item->text);
                if (!in_range(def, (double)v))
                    return range_error(def, (double)v, file, where, item, err);
                pv->list[i] = v;
                len += (size_t)snprintf(pv->text + len, cap - len, "%s%ld", sep, v);
            } else if (def->type == LL_P_REAL_LIST) {
                double v;
                if (ll_yscalar_double(item, &v) != 0 || !isfinite(v))
                    return ll_error_set(err, "%s: %s.%s: expected a finite number, got '%s'%s",
                                        ll_ynode_where(item, file), where, def->name, item->text,
                                        ll_yscalar_number_hint(item));
                if (!in_range(def, v))
                    return range_error(def, v, file, where, item, err);
                pv->reals[i] = v;
                char shortest[32];
                ll_shortest_number(shortest, sizeof shortest, v);
                len += (size_t)snprintf(pv->text + len, cap - len, "%s%s", sep, shortest);
            } else {
                if (def->choices && !ll_word_in_list(item->text, def->choices)) {
                    const char *s = ll_suggest(item->text, def->choices, sugg, sizeof sugg);
                    return ll_error_set(err, "%s: %s.%s: '%s' is not one of %s%s%s%s",
                                        ll_ynode_where(item, file), where, def->name, item->text,
                                        def->choices, s ? " (did you mean '" : "", s ? s : "",
                                        s ? "'?)" : "");
                }
                if (!(pv->words[i] = strdup(item->text)))
                    return ll_error_set(err, "out of memory");
                len += (size_t)snprintf(pv->text + len, cap - len, "%s%s", sep, item->text);
            }
            pv->n_list = i + 1;
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
    case LL_P_REAL_LIST:
    case LL_P_STR_LIST:
        break;
    }
    return 0;
}

static void value_free(param_value *pv)
{
    free(pv->text);
    free(pv->list);
    free(pv->reals);
    if (pv->words)
        for (size_t i = 0; i < pv->n_list; i++)
            free(pv->words[i]);
    free(pv->words);
}

/* A deep copy of *src into *dst; -1 when out of memory (dst is then freeable). */
static int value_copy(param_value *dst, const param_value *src)
{
    *dst = *src;
    dst->list = NULL;
    dst->reals = NULL;
    dst->words = NULL;
    dst->text = strdup(src->text ? src->text : "");
    if (!dst->text)
        return -1;
    size_t n = src->n_list ? src->n_list : 1;
    if (src->list && (dst->list = malloc(n * sizeof *dst->list)))
        memcpy(dst->list, src->list, src->n_list * sizeof *dst->list);
    if (src->reals && (dst->reals = malloc(n * sizeof *dst->reals)))
        memcpy(dst->reals, src->reals, src->n_list * sizeof *dst->reals);
    if (src->words && (dst->words = calloc(n, sizeof *dst->words)))
        for (size_t i = 0; i < src->n_list; i++)
            if (!(dst->words[i] = strdup(src->words[i])))
                return -1;
    if ((src->list && !dst->list) || (src->reals && !dst->reals) || (src->words && !dst->words))
        return -1;
    return 0;
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

/* A grid is a list, except for list params where only a list of lists is one. */
static int is_grid(const ll_param *def, const ll_ynode *node)
{
    if (node->kind != LL_Y_SEQ)
        return 0;
    if (!is_list_type(def->type))
        return 1;
    return node->n > 0 && node->items[0]->kind == LL_Y_SEQ;
}

/* ---- distributions ---- */

/* How a key's values are used: DIST_NONE is a value or a grid; the others are drawn. */
typedef enum { DIST_NONE, DIST_UNIFORM, DIST_LOGUNIFORM, DIST_INT, DIST_CHOICE } dist_kind;
static const char *const dist_names[] = {"", "uniform", "loguniform", "int", "choice"};
#define DIST_WORDS "uniform|loguniform|int|choice"

int ll_params_has_distribution(const ll_ynode *map)
{
    if (!map || map->kind != LL_Y_MAP)
        return 0;
    for (size_t k = 0; k < map->n; k++)
        if (map->items[k]->kind == LL_Y_MAP)
            return 1;
    return 0;
}

static const char *type_words(ll_param_type type)
{
    switch (type) {
    case LL_P_INT:
        return "integers";
    case LL_P_REAL:
        return "real numbers";
    case LL_P_STR:
        return "words";
    case LL_P_BOOL:
        return "true or false";
    default:
        return "lists";
    }
}

/* What to write instead of a distribution that does not fit a parameter's type. */
static const char *type_hint(ll_param_type type)
{
    if (type == LL_P_INT)
        return "use {int: [a, b]} or {choice: [v, ...]}";
    if (type == LL_P_REAL)
        return "use {uniform: [a, b]}, {loguniform: [a, b]} or {choice: [v, ...]}";
    return "use {choice: [v, ...]}";
}

/* Parses a distribution mapping of parameter `def`: the bounds (two values) or the choices,
 * each validated as a single value of the parameter, into a malloc'd array *vals. */
static int parse_distribution(const ll_param *def, const ll_ynode *node, const char *file,
                              const char *where, dist_kind *kind, param_value **vals,
                              size_t *n_vals, ll_error *err)
{
    *vals = NULL;
    *n_vals = 0;
    if (node->n != 1)
        return ll_error_set(err, "%s: %s.%s: expected one distribution ({uniform: [a, b]}, "
                            "{loguniform: [a, b]}, {int: [a, b]} or {choice: [v, ...]}), got a "
                            "mapping of %zu keys", ll_ynode_where(node, file), where,
                            def->name, node->n);
    const ll_ynode *key = node->keys[0], *list = node->items[0];
    int k = 0;
    for (int d = DIST_UNIFORM; d <= DIST_CHOICE; d++)
        if (!strcmp(key->text, dist_names[d]))
            k = d;
    if (!k) {
        char sugg[64];
        const char *s = ll_suggest(key->text, DIST_WORDS, sugg, sizeof sugg);
        return ll_error_set(err, "%s: %s.%s: unknown distribution '%s'%s%s%s (expected one of: "
                            DIST_WORDS ")", ll_ynode_where(key, file), where, def->name,
                            key->text, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
    }
    *kind = (dist_kind)k;
    const char *name = dist_names[k];
    int wants_real = k == DIST_UNIFORM || k == DIST_LOGUNIFORM;
    if ((wants_real && def->type != LL_P_REAL) || (k == DIST_INT && def->type != LL_P_INT))
        return ll_error_set(err, "%s: %s.%s: %s draws %s, not %s: %s", ll_ynode_where(key, file),
                            where, def->name, name, wants_real ? "real numbers" : "integers",
                            type_words(def->type), type_hint(def->type));
    if (list->kind != LL_Y_SEQ)
        return ll_error_set(err, "%s: %s.%s: %s takes a list (%s), got %s",
                            ll_ynode_where(list, file), where, def->name, name,
                            k == DIST_CHOICE ? "[v, ...]" : "[low, high]",
                            ll_ynode_kind_name(list->kind));
    if (k == DIST_CHOICE && list->n == 0)
        return ll_error_set(err, "%s: %s.%s: choice: the list is empty",
                            ll_ynode_where(list, file), where, def->name);
    if (k != DIST_CHOICE && list->n != 2)
        return ll_error_set(err, "%s: %s.%s: %s takes [low, high], got a list of %zu",
                            ll_ynode_where(list, file), where, def->name, name, list->n);
    if (!(*vals = calloc(list->n, sizeof **vals)))
        return ll_error_set(err, "out of memory");
    for (size_t i = 0; i < list->n; i++) {
        const ll_ynode *item = list->items[i];
        *n_vals = i + 1; /* parse_value leaves a freeable value even when it fails */
        if (parse_value(def, item, file, where, &(*vals)[i], err) != 0)
            return -1;
        /* A bound must be a number: the words some numeric params take ("scale") have no
         * place on a scale, and .inf none in a draw. */
        if (k != DIST_CHOICE && !isfinite((*vals)[i].real))
            return ll_error_set(err, "%s: %s.%s: %s bounds are finite numbers, got '%s'",
                                ll_ynode_where(item, file), where, def->name, name, item->text);
    }
    if (k == DIST_CHOICE)
        return 0;
    double lo = (*vals)[0].real, hi = (*vals)[1].real;
    const char *a = list->items[0]->text, *b = list->items[1]->text;
    if (k == DIST_INT && lo > hi)
        return ll_error_set(err, "%s: %s.%s: int needs low <= high, got [%s, %s]",
                            ll_ynode_where(list, file), where, def->name, a, b);
    if (k == DIST_UNIFORM && !(lo < hi))
        return ll_error_set(err, "%s: %s.%s: uniform needs low < high, got [%s, %s]",
                            ll_ynode_where(list, file), where, def->name, a, b);
    if (k == DIST_LOGUNIFORM && !(lo > 0 && lo < hi))
        return ll_error_set(err, "%s: %s.%s: loguniform needs 0 < low < high, got [%s, %s]",
                            ll_ynode_where(list, file), where, def->name, a, b);
    return 0;
}

/* Trial t's value of one key, from a stream of its own (seeded by the caller from the entry,
 * the trial and the key's name): a listed value (*pick points into vals), or a drawn number
 * written into *drawn (*pick == drawn). -1 when out of memory. */
static int draw_value(dist_kind kind, const param_value *vals, size_t n_vals, uint64_t seed,
                      param_value *drawn, const param_value **pick)
{
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    if (kind == DIST_NONE || kind == DIST_CHOICE) {
        *pick = &vals[n_vals > 1 ? ll_rng_below(&rng, n_vals) : 0];
        return 0;
    }
    memset(drawn, 0, sizeof *drawn);
    char text[40];
    if (kind == DIST_INT) {
        long lo = vals[0].integer, hi = vals[1].integer;
        /* Unsigned arithmetic: the span of [LONG_MIN, LONG_MAX] does not fit a long. */
        uint64_t span = (uint64_t)hi - (uint64_t)lo;
        uint64_t r = span == UINT64_MAX ? ll_rng_next(&rng) : ll_rng_below(&rng, span + 1);
        long v = r <= (uint64_t)LONG_MAX ? lo + (long)r
                                         : (lo + LONG_MAX) + (long)(r - (uint64_t)LONG_MAX);
        snprintf(text, sizeof text, "%ld", v);
        drawn->integer = v;
        drawn->real = (double)v;
    } else {
        double lo = vals[0].real, hi = vals[1].real, u = ll_rng_uniform(&rng), v;
        if (kind == DIST_UNIFORM)
            v = lo * (1.0 - u) + hi * u; /* not lo + (hi - lo) u: hi - lo may overflow */
        else
            v = exp(log(lo) * (1.0 - u) + log(hi) * u);
        /* Rounding may step just past a bound, and the schema may exclude what lies beyond. */
        v = v < lo ? lo : v > hi ? hi : v;
        ll_shortest_number(text, sizeof text, v);
        drawn->real = v;
        drawn->integer = v >= 0x1p63 ? LONG_MAX : v < -0x1p63 ? LONG_MIN : (long)v;
    }
    if (!(drawn->text = strdup(text)))
        return -1;
    *pick = drawn;
    return 0;
}

/* ---- building parameter sets ---- */

/* A parameter mapping read once, from which the grid and random search both build sets. */
typedef struct {
    const ll_plugin *plugin;
    size_t n_given;
    size_t *given;          /* schema index of the k-th key of the mapping */
    size_t *options;        /* values in vals[k]: 1, a grid's or a choice's items, or 2 bounds */
    param_value **vals;
    dist_kind *dists;       /* per key */
    param_value *defaults;  /* schema order; those not given */
    char *names;            /* the schema's names, '|'-separated, for suggestions */
} given_map;

static void given_map_free(given_map *g)
{
    if (g->vals)
        for (size_t k = 0; k < g->n_given; k++)
            if (g->vals[k]) {
                for (size_t o = 0; o < g->options[k]; o++)
                    value_free(&g->vals[k][o]);
                free(g->vals[k]);
            }
    if (g->defaults)
        for (size_t i = 0; i < g->plugin->n_params; i++)
            value_free(&g->defaults[i]);
    free(g->vals);
    free(g->defaults);
    free(g->options);
    free(g->given);
    free(g->dists);
    free(g->names);
    memset(g, 0, sizeof *g);
}

/* Validates `map` against the schema into *g. A distribution is parsed (and so validated)
 * whether or not `sampling`, then refused without it. On failure *g is freed. */
static int given_map_read(const ll_plugin *plugin, const ll_ynode *map, const char *file,
                          const char *where, int sampling, given_map *g, ll_error *err)
{
    memset(g, 0, sizeof *g);
    g->plugin = plugin;
    size_t np = plugin->n_params;
    if (map && map->kind == LL_Y_SCALAR && map->text[0] == '\0')
        map = NULL; /* `logreg:` with nothing after it */
    if (map && map->kind != LL_Y_MAP)
        return ll_error_set(err, "%s: %s: expected a mapping of parameters, got %s", ll_ynode_where(map, file), where, ll_ynode_kind_name(map->kind));
    size_t n_given = map ? map->n : 0;
    g->given = calloc(n_given + 1, sizeof *g->given);
    g->options = calloc(n_given + 1, sizeof *g->options);
    g->defaults = calloc(np + 1, sizeof *g->defaults);
    g->vals = calloc(n_given + 1, sizeof *g->vals);
    g->dists = calloc(n_given + 1, sizeof *g->dists);
    if (!g->given || !g->options || !g->defaults || !g->vals || !g->dists) {
        ll_error_set(err, "out of memory");
        goto fail;
    }
    g->n_given = n_given;
    size_t names_len = 1;
    for (size_t i = 0; i < np; i++)
        names_len += strlen(plugin->params[i].name) + 1;
    if (!(g->names = calloc(names_len, 1))) {
        ll_error_set(err, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < np; i++) {
        if (i)
            strcat(g->names, "|");
        strcat(g->names, plugin->params[i].name);
    }
    for (size_t k = 0; k < n_given; k++) {
        const ll_ynode *key = map->keys[k];
        size_t idx = np;
        for (size_t i = 0; i < np; i++)
            if (strcmp(plugin->params[i].name, key->text) == 0)
                idx = i;
        if (idx == np) {
            char sugg[64];
            const char *s = ll_suggest(key->text, g->names, sugg, sizeof sugg);
            ll_error_set(err, "%s: %s: unknown parameter '%s'%s%s%s (known: %s)", ll_ynode_where(key, file), where, key->text, s ? " (did you mean '" : "",
                         s ? s : "", s ? "'?)" : "", np ? g->names : "none");
            goto fail;
        }
        const ll_param *def = &plugin->params[idx];
        const ll_ynode *val = map->items[k];
        g->given[k] = idx;
        if (val->kind == LL_Y_MAP) {
            if (parse_distribution(def, val, file, where, &g->dists[k], &g->vals[k],
                                   &g->options[k], err) != 0)
                goto fail;
            if (!sampling) {
                ll_error_set(err, "%s: %s.%s: a distribution needs search: {method: random "
                             "(or halving), trials: N}", ll_ynode_where(val, file), where,
                             def->name);
                goto fail;
            }
            continue;
        }
        size_t n_opt = is_grid(def, val) ? val->n : 1;
        if (n_opt == 0) {
            ll_error_set(err, "%s: %s.%s: an empty list gives no configuration", ll_ynode_where(val, file), where, def->name);
            goto fail;
        }
        if (!(g->vals[k] = calloc(n_opt, sizeof **g->vals))) {
            ll_error_set(err, "out of memory");
            goto fail;
        }
        g->options[k] = n_opt;
        for (size_t o = 0; o < n_opt; o++)
            if (parse_value(def, is_grid(def, val) ? val->items[o] : val, file, where,
                            &g->vals[k][o], err) != 0)
                goto fail;
    }
    for (size_t i = 0; i < np; i++) {
        const ll_param *def = &plugin->params[i];
        int is_given = 0;
        for (size_t k = 0; k < n_given; k++)
            is_given |= g->given[k] == i;
        if (is_given)
            continue;
        if (!def->dflt) {
            ll_error_set(err, "%s: %s: parameter '%s' is required", ll_ynode_where(map, file),
                         where, def->name);
            goto fail;
        }
        ll_ynode *dnode = NULL;
        ll_error derr;
        if (ll_yaml_parse_string(def->dflt, "default", &dnode, &derr) != 0 ||
            parse_value(def, dnode, plugin->name, "default", &g->defaults[i], &derr) != 0) {
            ll_ynode_free(dnode);
            ll_error_set(err, "plugin '%s': bad default for '%s': %s", plugin->name, def->name,
                         derr.msg);
            goto fail;
        }
        ll_ynode_free(dnode);
    }
    return 0;
fail:
    given_map_free(g);
    return -1;
}

/* A parameter set of the given values picks[k] (one per key of the mapping) and the defaults,
 * labelled with the given values in spec order; NULL when out of memory. */
static ll_params *build_set(const given_map *g, const param_value *const *picks)
{
    const ll_plugin *plugin = g->plugin;
    size_t np = plugin->n_params;
    ll_params *p = calloc(1, sizeof *p);
    if (!p || !(p->values = calloc(np + 1, sizeof *p->values))) {
        free(p);
        return NULL;
    }
    p->plugin = plugin;
    int ok = 1;
    for (size_t i = 0; i < np; i++) {
        const param_value *src = &g->defaults[i];
        for (size_t k = 0; k < g->n_given; k++)
            if (g->given[k] == i)
                src = picks[k];
        /* value_copy leaves a freeable value even when it fails */
        ok &= value_copy(&p->values[i], src) == 0;
    }
    size_t label_len = 1;
    for (size_t k = 0; k < g->n_given; k++)
        label_len += strlen(plugin->params[g->given[k]].name) + strlen(picks[k]->text) + 2;
    if (!ok || !(p->label = calloc(label_len, 1))) {
        ll_params_free(p);
        return NULL;
    }
    for (size_t k = 0; k < g->n_given; k++) {
        if (k)
            strcat(p->label, ",");
        strcat(p->label, plugin->params[g->given[k]].name);
        strcat(p->label, "=");
        strcat(p->label, picks[k]->text);
    }
    return p;
}

int ll_params_expand(const ll_plugin *plugin, const ll_ynode *map, const char *file,
                     const char *where, ll_params ***out, size_t *n_out, ll_error *err)
{
    *out = NULL;
    *n_out = 0;
    given_map g;
    if (given_map_read(plugin, map, file, where, 0, &g, err) != 0)
        return -1;
    size_t n_given = g.n_given;
    int rc = -1;
    ll_params **sets = NULL;
    const param_value **picks = calloc(n_given + 1, sizeof *picks);
    if (!picks) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    /* Multiplied with a cap, so no product of list lengths can wrap around to a small one. */
    size_t total = 1;
    for (size_t k = 0; k < n_given && total <= 100000; k++)
        total = g.options[k] > 100000 ? 100001 : total * g.options[k];
    if (total > 100000) {
        ll_error_set(err, "%s: %s: the grid has more than 100000 configurations", ll_ynode_where(map, file), where);
        goto out;
    }
    if (!(sets = calloc(total, sizeof *sets))) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    for (size_t c = 0; c < total; c++) {
        /* The last key varies fastest, as in scikit-learn's ParameterGrid. */
        size_t rest = c;
        for (size_t k = n_given; k-- > 0;) {
            picks[k] = &g.vals[k][rest % g.options[k]];
            rest /= g.options[k];
        }
        if (!(sets[c] = build_set(&g, picks))) {
            ll_params_free_all(sets, c);
            sets = NULL;
            ll_error_set(err, "out of memory");
            goto out;
        }
    }
    *out = sets;
    *n_out = total;
    rc = 0;
out:
    free(picks);
    given_map_free(&g);
    return rc;
}

int ll_params_sample(const ll_plugin *plugin, const ll_ynode *map, const char *file,
                     const char *where, size_t trials, uint64_t seed, ll_params ***out,
                     size_t *n_out, ll_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (trials == 0)
        return ll_error_set(err, "%s: %s: random search needs at least one trial",
                            ll_ynode_where(map, file), where);
    given_map g;
    if (given_map_read(plugin, map, file, where, 1, &g, err) != 0)
        return -1;
    size_t n_given = g.n_given;
    int rc = -1;
    ll_params **sets = calloc(trials, sizeof *sets);
    const param_value **picks = calloc(n_given + 1, sizeof *picks);
    param_value *drawn = calloc(n_given + 1, sizeof *drawn);
    uint64_t *key_seeds = calloc(n_given + 1, sizeof *key_seeds);
    if (!sets || !picks || !drawn || !key_seeds) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    /* Each key draws from a stream of (entry, trial, key name), so adding, removing or
     * reordering other keys leaves a key's draws as they were. */
    for (size_t k = 0; k < n_given; k++)
        key_seeds[k] = ll_hash_text(LL_HASH_INIT, plugin->params[g.given[k]].name);
    for (size_t t = 0; t < trials; t++) {
        uint64_t trial_seed = ll_seed_mix(seed, t);
        int ok = 1;
        for (size_t k = 0; k < n_given; k++)
            ok &= draw_value(g.dists[k], g.vals[k], g.options[k],
                             ll_seed_mix(trial_seed, key_seeds[k]), &drawn[k], &picks[k]) == 0;
        if (ok)
            sets[t] = build_set(&g, picks);
        for (size_t k = 0; k < n_given; k++) {
            value_free(&drawn[k]);
            memset(&drawn[k], 0, sizeof drawn[k]);
        }
        if (!sets[t]) {
            ll_params_free_all(sets, t);
            sets = NULL;
            ll_error_set(err, "out of memory");
            goto out;
        }
    }
    *out = sets;
    *n_out = trials;
    sets = NULL;
    rc = 0;
out:
    free(sets);
    free(picks);
    free(drawn);
    free(key_seeds);
    given_map_free(&g);
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

void ll_params_write_json(const ll_params *params, FILE *out)
{
    fputc('{', out);
    for (size_t i = 0; i < params->plugin->n_params; i++) {
        const ll_param *def = &params->plugin->params[i];
        const param_value *v = &params->values[i];
        fputs(i ? ", " : "", out);
        ll_json_string(out, def->name);
        fputs(": ", out);
        int numeric = def->type == LL_P_INT_LIST || def->type == LL_P_REAL_LIST ||
                      def->type == LL_P_BOOL ||
                      ((def->type == LL_P_INT || def->type == LL_P_REAL) && !isnan(v->real));
        if (def->type == LL_P_BOOL)
            fputs(v->boolean ? "true" : "false", out);
        else if (numeric && !is_list_type(def->type))
            ll_json_number(out, v->text, v->real);
        else if (numeric)
            fputs(v->text, out); /* "[64, 64]": written by leadlab from parsed numbers */
        else if (def->type == LL_P_STR_LIST) {
            fputc('[', out);
            for (size_t k = 0; k < v->n_list; k++) {
                fputs(k ? ", " : "", out);
                ll_json_string(out, v->words[k]);
            }
            fputc(']', out);
        } else
            ll_json_string(out, v->text);
    }
    fputc('}', out);
}

/* ---- host services ---- */

static int host_log_level = LL_LOG_WARN;

void ll_host_set_log_level(int max_level) { host_log_level = max_level; }

static _Thread_local char host_log_context[256];

void ll_host_set_log_context(const char *context)
{
    snprintf(host_log_context, sizeof host_log_context, "%s", context ? context : "");
}

static void host_log(int level, const char *fmt, ...) LL_PRINTF(2, 3);

/* The value of a declared key, or NULL after logging the plugin's mistake: a key its schema
 * does not declare (a typo that would otherwise read as NaN), or a getter of the wrong kind. */
static const param_value *lookup_as(const ll_params *p, const char *key, const char *getter,
                                    int (*fits)(ll_param_type))
{
    const ll_plugin *plugin = p->plugin;
    for (size_t i = 0; key && i < plugin->n_params; i++)
        if (strcmp(plugin->params[i].name, key) == 0) {
            if (fits(plugin->params[i].type))
                return &p->values[i];
            host_log(LL_LOG_ERROR, "plugin '%s' read parameter '%s' with host->%s, which does "
                     "not fit its declared type", plugin->name, key, getter);
            return NULL;
        }
    host_log(LL_LOG_ERROR, "plugin '%s' asked host->%s for '%s', which its schema does not "
             "declare", plugin->name, getter, key ? key : "(null)");
    return NULL;
}

static int fits_scalar(ll_param_type t) { return !is_list_type(t); }
static int fits_number(ll_param_type t) { return t == LL_P_INT || t == LL_P_REAL || t == LL_P_BOOL; }
static int fits_int_list(ll_param_type t) { return t == LL_P_INT_LIST; }
static int fits_real_list(ll_param_type t) { return t == LL_P_REAL_LIST || t == LL_P_INT_LIST; }
static int fits_string_list(ll_param_type t) { return t == LL_P_STR_LIST; }
static int fits_any(ll_param_type t) { (void)t; return 1; }

static double host_real(const ll_params *p, const char *key)
{
    const param_value *v = lookup_as(p, key, "real", fits_number);
    return v ? v->real : NAN;
}

static long host_integer(const ll_params *p, const char *key)
{
    const param_value *v = lookup_as(p, key, "integer", fits_number);
    return v ? v->integer : 0;
}

static const char *host_string(const ll_params *p, const char *key)
{
    const param_value *v = lookup_as(p, key, "string", fits_any);
    return v ? v->text : "";
}

static int host_boolean(const ll_params *p, const char *key)
{
    const param_value *v = lookup_as(p, key, "boolean", fits_scalar);
    return v ? v->boolean : 0;
}

static size_t host_int_list(const ll_params *p, const char *key, long *out, size_t cap)
{
    const param_value *v = lookup_as(p, key, "int_list", fits_int_list);
    if (!v)
        return 0;
    for (size_t i = 0; i < v->n_list && i < cap; i++)
        out[i] = v->list[i];
    return v->n_list;
}

static size_t host_real_list(const ll_params *p, const char *key, double *out, size_t cap)
{
    const param_value *v = lookup_as(p, key, "real_list", fits_real_list);
    if (!v)
        return 0;
    for (size_t i = 0; i < v->n_list && i < cap; i++)
        out[i] = v->reals ? v->reals[i] : (double)v->list[i];
    return v->n_list;
}

static size_t host_string_list(const ll_params *p, const char *key, const char **out,
                               size_t cap)
{
    const param_value *v = lookup_as(p, key, "string_list", fits_string_list);
    if (!v)
        return 0;
    for (size_t i = 0; i < v->n_list && i < cap; i++)
        out[i] = v->words[i];
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
    char full[900];
    snprintf(full, sizeof full, "leadlab: %s: %s%s%s%s\n", names[level & 3],
             host_log_context[0] ? "[" : "", host_log_context, host_log_context[0] ? "] " : "",
             line);
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
    .real_list = host_real_list,
    .string_list = host_string_list,
    .log = host_log,
};

const ll_host *ll_host_default(void) { return &default_host; }

/* ---- schema check ---- */

int ll_params_check_schema(const ll_plugin *plugin, ll_error *err)
{
    for (size_t i = 0; i < plugin->n_params; i++) {
        const ll_param *def = &plugin->params[i];
        if (!def->name || !def->name[0])
            return ll_error_set(err, "parameter %zu has no name", i + 1);
        for (const char *c = def->name; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_')
                return ll_error_set(err, "parameter '%s': a name is letters, digits and _",
                                    def->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(plugin->params[j].name, def->name) == 0)
                return ll_error_set(err, "parameter '%s' is declared twice", def->name);
        if ((unsigned)def->type > LL_P_STR_LIST)
            return ll_error_set(err, "parameter '%s' has unknown type %u", def->name,
                                (unsigned)def->type);
        if (def->type == LL_P_STR && !def->choices)
            return ll_error_set(err, "parameter '%s' is a word but lists no choices",
                                def->name);
        int ranged = def->type != LL_P_STR && def->type != LL_P_BOOL &&
                     def->type != LL_P_STR_LIST;
        if (ranged && !(def->min <= def->max))
            return ll_error_set(err, "parameter '%s': min %g is above max %g", def->name,
                                def->min, def->max);
        if (def->flags & ~(LL_P_MIN_EXCLUSIVE | LL_P_MAX_EXCLUSIVE | LL_P_NONFINITE))
            return ll_error_set(err, "parameter '%s' has unknown flags 0x%x", def->name,
                                def->flags);
        if (!def->dflt)
            continue; /* required */
        ll_ynode *node = NULL;
        ll_error derr;
        param_value pv;
        memset(&pv, 0, sizeof pv);
        int bad = ll_yaml_parse_string(def->dflt, "default", &node, &derr) != 0 ||
                  is_grid(def, node) ||
                  parse_value(def, node, "default", plugin->name, &pv, &derr) != 0;
        if (bad && node && is_grid(def, node))
            ll_error_set(&derr, "a default is one value, not a list of choices");
        value_free(&pv);
        ll_ynode_free(node);
        if (bad)
            return ll_error_set(err, "parameter '%s': bad default '%s': %s", def->name,
                                def->dflt, derr.msg);
    }
    return 0;
}
