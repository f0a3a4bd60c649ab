/* leadlab spec schema (see schema.h): spec.c's rules restated as a JSON Schema document,
 * written with a small indenting writer so the file stays readable. */
#include "schema.h"
#include "json.h"
#include "text.h"
#include "yaml_tree.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* PyYAML (YAML 1.1) reads 1e-3 or 1.0e3 as text, while spec.c reads any plain decimal as a
 * number: the number schemas also take such text, so no editor's YAML flavour rejects a
 * valid spec. */
#define DECIMAL_PATTERN "^[+-]?([0-9]+(\\\\.[0-9]*)?|\\\\.[0-9]+)([eE][+-]?[0-9]+)?$"
#define DECIMAL_OR_INF_PATTERN                                                                \
    "^([+-]?([0-9]+(\\\\.[0-9]*)?|\\\\.[0-9]+)([eE][+-]?[0-9]+)?|inf)$"

typedef struct {
    FILE *out;
    int depth;
    int first[64];  /* per open container: nothing written in it yet */
    int after_key;  /* the next value follows "key": on the same line */
} writer;

static void newline(writer *w)
{
    fputc('\n', w->out);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->out);
}

/* Before a key or an array item: the comma and the line break. */
static void item(writer *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth == 0)
        return;
    if (!w->first[w->depth])
        fputc(',', w->out);
    w->first[w->depth] = 0;
    newline(w);
}

static void key(writer *w, const char *k)
{
    item(w);
    ll_json_string(w->out, k);
    fputs(": ", w->out);
    w->after_key = 1;
}

static void w_open(writer *w, char c)
{
    item(w);
    fputc(c, w->out);
    w->depth++;
    w->first[w->depth] = 1;
}

static void w_close(writer *w, char c)
{
    int empty = w->first[w->depth];
    w->depth--;
    if (!empty)
        newline(w);
    fputc(c, w->out);
}

static void string(writer *w, const char *s)
{
    item(w);
    ll_json_string(w->out, s);
}

/* JSON text written as is: a number, true, false, or a short literal object. */
static void raw(writer *w, const char *text)
{
    item(w);
    fputs(text, w->out);
}

static void number(writer *w, double v)
{
    char buf[40];
    ll_shortest_number(buf, sizeof buf, v);
    item(w);
    ll_json_number(w->out, buf, v);
}

static void kv_string(writer *w, const char *k, const char *v)
{
    key(w, k);
    string(w, v);
}

static void kv_raw(writer *w, const char *k, const char *v)
{
    key(w, k);
    raw(w, v);
}

static void kv_number(writer *w, const char *k, double v)
{
    key(w, k);
    number(w, v);
}

/* "enum": the '|'-separated words of `list`, on one line. */
static void kv_words(writer *w, const char *k, const char *list)
{
    key(w, k);
    item(w);
    fputc('[', w->out);
    for (const char *p = list; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        fputs(p == list ? "\"" : ", \"", w->out);
        /* The words come from ll_params_check_schema'd plugins: plain names, no escapes. */
        for (size_t i = 0; i < len; i++)
            if (p[i] == '"' || p[i] == '\\' || (unsigned char)p[i] < 0x20)
                fprintf(w->out, "\\u%04x", (unsigned char)p[i]);
            else
                fputc(p[i], w->out);
        fputc('"', w->out);
        p = bar ? bar + 1 : NULL;
    }
    fputc(']', w->out);
}

/* {"$ref": "#/definitions/NAME"} */
static void ref(writer *w, const char *name)
{
    item(w);
    fprintf(w->out, "{\"$ref\": \"#/definitions/%s\"}", name);
}

/* A property whose schema is a definition, with its own description beside it (draft-07
 * ignores keywords next to a $ref, so the ref goes into allOf). */
static void prop_ref(writer *w, const char *k, const char *name, const char *desc)
{
    key(w, k);
    w_open(w, '{');
    kv_string(w, "description", desc);
    key(w, "allOf");
    w_open(w, '[');
    ref(w, name);
    w_close(w, ']');
    w_close(w, '}');
}

/* An integer property in [min, max], as read_long reads it. */
static void prop_int(writer *w, const char *k, long min, long max, const char *desc)
{
    key(w, k);
    w_open(w, '{');
    kv_string(w, "description", desc);
    kv_raw(w, "type", "\"integer\"");
    key(w, "minimum");
    item(w);
    fprintf(w->out, "%ld", min);
    key(w, "maximum");
    item(w);
    fprintf(w->out, "%ld", max);
    w_close(w, '}');
}

/* Opens {"type": "object", "additionalProperties": false, ("description",) "properties": {
 * which close_object ends. */
static void open_object(writer *w, const char *desc)
{
    w_open(w, '{');
    if (desc)
        kv_string(w, "description", desc);
    kv_raw(w, "type", "\"object\"");
    kv_raw(w, "additionalProperties", "false");
    key(w, "properties");
    w_open(w, '{');
}

static void close_object(writer *w)
{
    w_close(w, '}');
    w_close(w, '}');
}

/* ---- plugin parameters ---- */

/* The range keywords of a number schema; infinite bounds say nothing. */
static void range(writer *w, const ll_param *def)
{
    if (isfinite(def->min))
        kv_number(w, def->flags & LL_P_MIN_EXCLUSIVE ? "exclusiveMinimum" : "minimum", def->min);
    if (isfinite(def->max))
        kv_number(w, def->flags & LL_P_MAX_EXCLUSIVE ? "exclusiveMaximum" : "maximum", def->max);
}

/* One element of a value of `def`: a number of the param's range (or, unless `numbers_only`,
 * one of its words), a word, or a boolean. For list types, one item of the list. */
static void element_of(writer *w, const ll_param *def, int numbers_only)
{
    switch (def->type) {
    case LL_P_INT:
    case LL_P_INT_LIST:
    case LL_P_REAL:
    case LL_P_REAL_LIST: {
        int integer = def->type == LL_P_INT || def->type == LL_P_INT_LIST;
        int words = !numbers_only && def->choices &&
                    (def->type == LL_P_INT || def->type == LL_P_REAL);
        if (integer && !words) { /* the number alone: no anyOf of one */
            w_open(w, '{');
            kv_raw(w, "type", "\"integer\"");
            range(w, def);
            w_close(w, '}');
            return;
        }
        w_open(w, '{');
        key(w, "anyOf");
        w_open(w, '[');
        w_open(w, '{');
        kv_raw(w, "type", integer ? "\"integer\"" : "\"number\"");
        range(w, def);
        w_close(w, '}');
        if (!integer) {
            w_open(w, '{');
            kv_raw(w, "type", "\"string\"");
            kv_raw(w, "pattern", def->flags & LL_P_NONFINITE ? "\"" DECIMAL_OR_INF_PATTERN "\""
                                                             : "\"" DECIMAL_PATTERN "\"");
            w_close(w, '}');
        }
        if (words) {
            w_open(w, '{');
            kv_words(w, "enum", def->choices);
            w_close(w, '}');
        }
        w_close(w, ']');
        w_close(w, '}');
        return;
    }
    case LL_P_STR:
    case LL_P_STR_LIST:
        if (def->choices) {
            w_open(w, '{');
            kv_words(w, "enum", def->choices);
            w_close(w, '}');
        } else {
            ref(w, "text");
        }
        return;
    case LL_P_BOOL:
        ref(w, "boolean");
        return;
    }
    ref(w, "text"); /* a type this leadlab does not know: the registry refuses it anyway */
}

static void element(writer *w, const ll_param *def) { element_of(w, def, 0); }

static int is_list_type(ll_param_type t)
{
    return t == LL_P_INT_LIST || t == LL_P_REAL_LIST || t == LL_P_STR_LIST;
}

/* One value of `def` (not a grid): an element, or for list types a list of elements. */
static void single_value(writer *w, const ll_param *def)
{
    if (!is_list_type(def->type)) {
        element(w, def);
        return;
    }
    w_open(w, '{');
    kv_raw(w, "type", "\"array\"");
    key(w, "items");
    element(w, def);
    w_close(w, '}');
}

/* One scalar of a default as JSON of the param's type: a word stays a string. */
static void default_scalar(writer *w, const ll_param *def, const ll_ynode *node)
{
    double d;
    int b;
    int numeric = def->type == LL_P_INT || def->type == LL_P_REAL ||
                  def->type == LL_P_INT_LIST || def->type == LL_P_REAL_LIST;
    if (numeric && !(def->choices && ll_word_in_list(node->text, def->choices)) &&
        ll_yscalar_double(node, &d) == 0) {
        item(w);
        ll_json_number(w->out, node->text, d);
    } else if (def->type == LL_P_BOOL && ll_yscalar_bool(node, &b) == 0) {
        raw(w, b ? "true" : "false");
    } else {
        string(w, node->text);
    }
}

/* "default": the plugin's default, parsed as the host parses it; nothing when there is none
 * or it does not parse (the registry refuses such a plugin before this runs). */
static void kv_default(writer *w, const ll_param *def)
{
    ll_ynode *node = NULL;
    ll_error err;
    if (!def->dflt || ll_yaml_parse_string(def->dflt, "default", &node, &err) != 0)
        return;
    if (node->kind == LL_Y_SCALAR) {
        key(w, "default");
        default_scalar(w, def, node);
    } else if (node->kind == LL_Y_SEQ) {
        key(w, "default");
        w_open(w, '[');
        for (size_t i = 0; i < node->n; i++)
            if (node->items[i]->kind == LL_Y_SCALAR)
                default_scalar(w, def, node->items[i]);
        w_close(w, ']');
    }
    ll_ynode_free(node);
}

/* {NAME: [low, high]} (numbers of the param's range, no words), or {choice: [value, ...]}:
 * a distribution for random search (params.c's parse_distribution). low < high is not said:
 * JSON Schema cannot compare two items. */
static void distribution(writer *w, const ll_param *def, const char *name, const char *desc)
{
    int choice = !strcmp(name, "choice");
    open_object(w, desc);
    key(w, name);
    w_open(w, '{');
    kv_raw(w, "type", "\"array\"");
    kv_raw(w, "minItems", choice ? "1" : "2");
    if (!choice)
        kv_raw(w, "maxItems", "2");
    key(w, "items");
    if (choice)
        single_value(w, def);
    else
        element_of(w, def, 1);
    w_close(w, '}');
    w_close(w, '}');
    key(w, "required");
    w_open(w, '[');
    string(w, name);
    w_close(w, ']');
    w_close(w, '}');
}

/* A parameter as a spec may give it: one value, a list of values (a grid; for list types
 * a list of lists), as params.c's is_grid tells them apart, or a distribution. */
static void param(writer *w, const ll_param *def)
{
    key(w, def->name);
    w_open(w, '{');
    if (def->doc)
        kv_string(w, "description", def->doc);
    kv_default(w, def);
    key(w, "anyOf");
    w_open(w, '[');
    single_value(w, def);
    w_open(w, '{');
    kv_string(w, "description", "a grid: one configuration per value");
    kv_raw(w, "type", "\"array\"");
    kv_raw(w, "minItems", "1");
    key(w, "items");
    single_value(w, def);
    w_close(w, '}');
    if (def->type == LL_P_REAL) {
        distribution(w, def, "uniform", "random search: a number drawn uniformly from [low, "
                     "high], low < high");
        distribution(w, def, "loguniform", "random search: a number whose log is drawn "
                     "uniformly, 0 < low < high");
    } else if (def->type == LL_P_INT) {
        distribution(w, def, "int", "random search: an integer drawn uniformly from [low, "
                     "high], both included");
    }
    distribution(w, def, "choice", "random search: one of these values, drawn uniformly");
    w_close(w, ']');
    w_close(w, '}');
}

static int has_required(const ll_plugin *p)
{
    for (size_t i = 0; i < p->n_params; i++)
        if (!p->params[i].dflt)
            return 1;
    return 0;
}

/* The parameter mapping of one plugin; `name:` with nothing after it (null) takes every
 * default, unless a parameter has none. */
static void plugin_params(writer *w, const ll_plugin *p)
{
    key(w, p->name);
    w_open(w, '{');
    if (p->summary)
        kv_string(w, "description", p->summary);
    key(w, "anyOf");
    w_open(w, '[');
    open_object(w, NULL);
    for (size_t i = 0; i < p->n_params; i++)
        param(w, &p->params[i]);
    w_close(w, '}');
    if (has_required(p)) {
        key(w, "required");
        w_open(w, '[');
        for (size_t i = 0; i < p->n_params; i++)
            if (!p->params[i].dflt)
                string(w, p->params[i].name);
        w_close(w, ']');
    }
    w_close(w, '}');
    if (!has_required(p)) {
        w_open(w, '{');
        kv_raw(w, "type", "\"null\"");
        w_close(w, '}');
    }
    w_close(w, ']');
    w_close(w, '}');
}

/* definitions.sampler / definitions.model: an item of the list, `- name` or
 * `- name: {params}`, one of the loaded plugins of that kind. */
static void plugin_item(writer *w, const ll_registry *reg, int models)
{
    const char *kind = models ? "model" : "sampler";
    key(w, kind);
    w_open(w, '{');
    kv_string(w, "description", models ? "a model plugin: '- name' or '- name: {params}'"
                                       : "a sampler plugin: '- name' or '- name: {params}'");
    key(w, "anyOf");
    w_open(w, '[');
    size_t n_bare = 0;
    for (size_t i = 0; i < reg->n_loaded; i++) {
        const ll_plugin *p = &reg->loaded[i]->desc;
        n_bare += !!p->model == models && !has_required(p);
    }
    if (n_bare) {
        w_open(w, '{');
        kv_raw(w, "type", "\"string\"");
        key(w, "enum");
        w_open(w, '[');
        for (size_t i = 0; i < reg->n_loaded; i++) {
            const ll_plugin *p = &reg->loaded[i]->desc;
            if (!!p->model == models && !has_required(p))
                string(w, p->name);
        }
        w_close(w, ']');
        w_close(w, '}');
    }
    w_open(w, '{');
    kv_raw(w, "type", "\"object\"");
    kv_raw(w, "minProperties", "1");
    kv_raw(w, "maxProperties", "1");
    kv_raw(w, "additionalProperties", "false");
    key(w, "properties");
    w_open(w, '{');
    for (size_t i = 0; i < reg->n_loaded; i++) {
        const ll_plugin *p = &reg->loaded[i]->desc;
        if (!!p->model == models)
            plugin_params(w, p);
    }
    w_close(w, '}');
    w_close(w, '}');
    w_close(w, ']');
    w_close(w, '}');
}

/* ---- the spec's own sections ---- */

static void definitions(writer *w, const ll_registry *reg)
{
    key(w, "definitions");
    w_open(w, '{');

    /* read_string: any non-empty scalar, a number or a boolean included (as text). */
    key(w, "text");
    w_open(w, '{');
    key(w, "anyOf");
    w_open(w, '[');
    raw(w, "{\"type\": \"string\", \"minLength\": 1}");
    raw(w, "{\"type\": [\"number\", \"boolean\"]}");
    w_close(w, ']');
    w_close(w, '}');

    /* A derived feature's sources (read_derived): a name, or a list of distinct names. */
    key(w, "source_columns");
    raw(w, "{\"anyOf\": [{\"$ref\": \"#/definitions/text\"}, {\"type\": \"array\", "
           "\"minItems\": 1, \"uniqueItems\": true, \"items\": {\"$ref\": "
           "\"#/definitions/text\"}}]}");

    /* read_string_list: one scalar counts as a one-item list. */
    key(w, "text_list");
    w_open(w, '{');
    key(w, "anyOf");
    w_open(w, '[');
    ref(w, "text");
    raw(w, "{\"type\": \"array\", \"items\": {\"$ref\": \"#/definitions/text\"}}");
    w_close(w, ']');
    w_close(w, '}');

    /* ll_yscalar_bool takes yes/no/on/off too, which YAML 1.2 editors read as text. */
    key(w, "boolean");
    w_open(w, '{');
    key(w, "anyOf");
    w_open(w, '[');
    raw(w, "{\"type\": \"boolean\"}");
    raw(w, "{\"enum\": [\"yes\", \"no\", \"on\", \"off\"]}");
    w_close(w, ']');
    w_close(w, '}');

    /* read_finite: a number (its finiteness is not said: JSON has no infinity). */
    key(w, "number");
    w_open(w, '{');
    key(w, "anyOf");
    w_open(w, '[');
    raw(w, "{\"type\": \"number\"}");
    raw(w, "{\"type\": \"string\", \"pattern\": \"" DECIMAL_PATTERN "\"}");
    w_close(w, ']');
    w_close(w, '}');

    key(w, "metric");
    w_open(w, '{');
    kv_words(w, "enum", "f1|precision|recall|roc_auc|pr_auc|mcc|balanced_accuracy|brier|"
             "log_loss|ece");
    w_close(w, '}');
    /* {recall_at: k} or {recall_at: [k, ...]}, k a fraction of the fold's rows in (0, 1]. */
    key(w, "fraction");
    raw(w, "{\"anyOf\": [{\"type\": \"number\", \"exclusiveMinimum\": 0, \"maximum\": 1}, "
           "{\"type\": \"string\", \"pattern\": \"" DECIMAL_PATTERN "\"}]}");
    key(w, "top_k");
    raw(w, "{\"description\": \"a top-k metric: k is the fraction of each fold's rows "
           "called, best first\", \"type\": \"object\", \"minProperties\": 1, "
           "\"maxProperties\": 1, \"additionalProperties\": false, \"patternProperties\": "
           "{\"^(recall|precision|lift)_at$\": {\"anyOf\": [{\"$ref\": "
           "\"#/definitions/fraction\"}, {\"type\": \"array\", \"minItems\": 1, \"items\": "
           "{\"$ref\": \"#/definitions/fraction\"}}]}}}");

    key(w, "date_part");
    w_open(w, '{');
    kv_words(w, "enum", "year|month|day|dayofweek|dayofyear|weekofyear");
    w_close(w, '}');

    key(w, "column");
    open_object(w, "how one raw column becomes features");
    prop_ref(w, "fill", "number", "the value of a missing field (else a missing value is an "
             "error)");
    prop_ref(w, "missing_flag", "boolean", "add a 0/1 column: was the field missing");
    key(w, "onehot");
    w_open(w, '{');
    kv_string(w, "description", "one 0/1 column per category: true (the categories of the "
              "training file) or a fixed list of values");
    key(w, "anyOf");
    w_open(w, '[');
    ref(w, "boolean");
    raw(w, "{\"type\": \"array\", \"items\": {\"$ref\": \"#/definitions/number\"}}");
    w_close(w, ']');
    w_close(w, '}');
    key(w, "date");
    w_open(w, '{');
    kv_string(w, "description", "parse as a date into these parts");
    key(w, "anyOf");
    w_open(w, '[');
    ref(w, "date_part");
    raw(w, "{\"type\": \"array\", \"minItems\": 1, \"items\": "
           "{\"$ref\": \"#/definitions/date_part\"}}");
    w_close(w, ']');
    w_close(w, '}');
    w_close(w, '}');
    /* onehot (true or a list) and date exclude each other. */
    key(w, "not");
    raw(w, "{\"required\": [\"onehot\", \"date\"], \"properties\": {\"onehot\": {\"anyOf\": "
           "[{\"const\": true}, {\"type\": \"array\"}]}}}");
    w_close(w, '}');

    key(w, "derived");
    open_object(w, "a feature computed from raw columns: exactly one of days_between, sum, "
                "count, frequency, target");
    key(w, "days_between");
    raw(w, "{\"description\": \"days from the first date column to the second\", "
           "\"type\": \"array\", \"minItems\": 2, \"maxItems\": 2, \"uniqueItems\": true, "
           "\"items\": {\"$ref\": \"#/definitions/text\"}}");
    key(w, "sum");
    raw(w, "{\"description\": \"the sum of these columns\", \"allOf\": [{\"$ref\": "
           "\"#/definitions/source_columns\"}]}");
    key(w, "count");
    raw(w, "{\"description\": \"training rows with these values, learned on each fit's "
           "training rows (unseen: 0)\", \"allOf\": [{\"$ref\": "
           "\"#/definitions/source_columns\"}]}");
    key(w, "frequency");
    raw(w, "{\"description\": \"the share of training rows with these values, learned on each "
           "fit's training rows (unseen: 0)\", \"allOf\": [{\"$ref\": "
           "\"#/definitions/source_columns\"}]}");
    key(w, "target");
    raw(w, "{\"description\": \"the smoothed positive rate of training rows with these "
           "values, learned on each fit's training rows, cross-fitted on them (unseen: the "
           "positive rate)\", \"allOf\": [{\"$ref\": \"#/definitions/source_columns\"}]}");
    prop_ref(w, "fill", "number", "the value when a source column is missing");
    prop_ref(w, "missing_flag", "boolean", "add a 0/1 column: was a source missing");
    key(w, "smoothing");
    raw(w, "{\"description\": \"target only: m of (positives + m * rate) / (rows + m), "
           "default 10\", \"anyOf\": [{\"type\": \"number\", \"exclusiveMinimum\": 0}, "
           "{\"type\": \"string\", \"pattern\": \"" DECIMAL_PATTERN "\"}]}");
    w_close(w, '}');
    key(w, "oneOf");
    raw(w, "[{\"required\": [\"days_between\"]}, {\"required\": [\"sum\"]}, "
           "{\"required\": [\"count\"]}, {\"required\": [\"frequency\"]}, "
           "{\"required\": [\"target\"]}]");
    key(w, "dependencies");
    raw(w, "{\"smoothing\": [\"target\"]}");
    w_close(w, '}');

    /* threshold: a cut in (0, 1), or {tune, folds, fixed} where fixed is read as a
     * threshold again. */
    key(w, "threshold");
    w_open(w, '{');
    kv_string(w, "description", "the cut on P(positive): a number in (0, 1), or {tune: f1, "
              "folds, fixed} to tune it by inner cross-validation");
    key(w, "anyOf");
    w_open(w, '[');
    raw(w, "{\"type\": \"number\", \"exclusiveMinimum\": 0, \"exclusiveMaximum\": 1}");
    raw(w, "{\"type\": \"string\", \"pattern\": \"" DECIMAL_PATTERN "\"}");
    open_object(w, NULL);
    kv_raw(w, "tune", "{\"description\": \"the metric the cut maximises\", \"const\": \"f1\"}");
    prop_int(w, "folds", 2, 20, "inner folds on each outer training fold");
    prop_ref(w, "fixed", "threshold", "the fixed cut reported beside the tuned one");
    close_object(w);
    w_close(w, ']');
    w_close(w, '}');

    plugin_item(w, reg, 0);
    plugin_item(w, reg, 1);

    /* With a plugin_path, plugins the schema never saw may be used (and may shadow the
     * built-ins): any name, any parameters. */
    key(w, "any_plugin");
    raw(w, "{\"anyOf\": [{\"type\": \"string\", \"minLength\": 1}, {\"type\": \"object\", "
           "\"minProperties\": 1, \"maxProperties\": 1, \"additionalProperties\": "
           "{\"anyOf\": [{\"type\": \"object\"}, {\"type\": \"null\"}]}}]}");
    w_close(w, '}');
}

static void properties(writer *w)
{
    key(w, "properties");
    w_open(w, '{');

    key(w, "name");
    raw(w, "{\"description\": \"names the output folder by default (results/NAME): letters, "
           "digits, '_', '-', '.', not starting with '.'\", \"anyOf\": [{\"type\": \"string\", "
           "\"pattern\": \"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$\"}, {\"type\": [\"number\", "
           "\"boolean\"]}]}");

    key(w, "data");
    w_open(w, '{');
    kv_string(w, "description", "the training rows: a CSV file (train) or generated ones "
              "(synth)");
    kv_raw(w, "type", "\"object\"");
    kv_raw(w, "additionalProperties", "false");
    kv_raw(w, "required", "[\"target\"]");
    kv_raw(w, "oneOf", "[{\"required\": [\"train\"]}, {\"required\": [\"synth\"]}]");
    key(w, "properties");
    w_open(w, '{');
    prop_ref(w, "train", "text", "the CSV file, relative to the spec");
    key(w, "synth");
    open_object(w, "a synthetic lead table with the real file's schema");
    prop_int(w, "rows", 100, 10000000, "rows to generate (default 20000)");
    prop_int(w, "seed", 0, LONG_MAX, "seed of the generator (default 7)");
    prop_ref(w, "file", "text", "where to write the table (default: in the output folder)");
    close_object(w);
    prop_ref(w, "target", "text", "the label column");
    prop_ref(w, "positive", "text", "the positive label (default \"1\")");
    prop_ref(w, "negative", "text", "the negative label (default: the other one)");
    prop_ref(w, "id", "text", "the id column, kept for predictions");
    w_close(w, '}');
    w_close(w, '}');

    key(w, "features");
    open_object(w, "raw columns dropped, transformed, and derived features");
    prop_ref(w, "drop", "text_list", "raw columns not used as features");
    key(w, "columns");
    raw(w, "{\"description\": \"per-column transforms; other columns are read as numbers\", "
           "\"type\": \"object\", \"additionalProperties\": {\"$ref\": "
           "\"#/definitions/column\"}}");
    key(w, "derived");
    raw(w, "{\"description\": \"features computed from raw columns, dropped ones too\", "
           "\"type\": \"object\", \"additionalProperties\": {\"$ref\": "
           "\"#/definitions/derived\"}}");
    close_object(w);

    key(w, "preprocess");
    open_object(w, "fitted on each fold's training rows");
    kv_raw(w, "scale", "{\"description\": \"default zscore\", \"enum\": [\"zscore\", "
           "\"none\"]}");
    close_object(w);

    /* method: time needs column, takes holdout or folds (not both) and one repeat; column
     * and holdout mean nothing to stratified folds. */
    key(w, "cv");
    open_object(w, "cross-validation: stratified k-fold (default), or time-ordered folds by a "
                "date column (method: time): forward chaining, or a final-period holdout");
    kv_raw(w, "method", "{\"description\": \"stratified (default) or time\", \"enum\": "
           "[\"stratified\", \"time\"]}");
    prop_ref(w, "column", "text", "time: the YYYY-MM-DD column of the data that orders the rows");
    prop_int(w, "folds", 2, 1000, "folds (default 5); time: forward-chaining folds");
    key(w, "holdout");
    raw(w, "{\"description\": \"time: test once on this share of the latest rows, train on the "
           "earlier ones (instead of folds)\", \"anyOf\": [{\"type\": \"number\", "
           "\"exclusiveMinimum\": 0, \"exclusiveMaximum\": 1}, {\"type\": \"string\", "
           "\"pattern\": \"" DECIMAL_PATTERN "\"}]}");
    prop_int(w, "repeats", 1, 1000, "reshuffled repeats (default 1; time: 1)");
    prop_int(w, "seed", 0, LONG_MAX, "seed of the folds and cells (default 42)");
    kv_raw(w, "stratified", "{\"description\": \"always true: folds are always stratified "
           "(omit it with method: time)\", \"anyOf\": [{\"const\": true}, {\"enum\": "
           "[\"yes\", \"on\"]}]}");
    w_close(w, '}');
    kv_raw(w, "if", "{\"required\": [\"method\"], \"properties\": {\"method\": {\"const\": "
           "\"time\"}}}");
    kv_raw(w, "then", "{\"required\": [\"column\"], \"properties\": {\"repeats\": "
           "{\"maximum\": 1}}, \"not\": {\"anyOf\": [{\"required\": [\"stratified\"]}, "
           "{\"required\": [\"holdout\", \"folds\"]}]}}");
    kv_raw(w, "else", "{\"not\": {\"anyOf\": [{\"required\": [\"column\"]}, {\"required\": "
           "[\"holdout\"]}]}}");
    w_close(w, '}');

    key(w, "samplers");
    raw(w, "{\"description\": \"resamplers of each fold's training rows (default: [none])\", "
           "\"type\": \"array\", \"minItems\": 1}");
    key(w, "models");
    raw(w, "{\"description\": \"the models; a list value of a parameter is a grid\", "
           "\"type\": \"array\", \"minItems\": 1}");

    /* method: random needs trials; trials and seed mean nothing to a grid; factor and
     * min_rows only to halving. */
    key(w, "search");
    open_object(w, "grid (default): every combination of list values; random: `trials` draws "
                "of each model or sampler entry that gives a distribution ({uniform: [a, b]}, "
                "{loguniform: [a, b]}, {int: [a, b]}, {choice: [...]}); halving: those configs "
                "raced by successive halving inside the nested selection (needs select)");
    kv_raw(w, "method", "{\"enum\": [\"grid\", \"random\", \"halving\"]}");
    prop_int(w, "trials", 1, 100000, "random, halving: draws per entry (repeated draws are run "
             "once)");
    prop_int(w, "seed", 0, LONG_MAX, "random, halving: the seed of every draw (default 0)");
    prop_int(w, "factor", 2, 100, "halving: 1/factor of a rung's configs go on to factor "
             "times the rows (default 3)");
    prop_int(w, "min_rows", 10, 1000000000, "halving: training rows of the first rung "
             "(default: as many rungs as the configs allow, the last on all rows)");
    w_close(w, '}');
    kv_raw(w, "allOf", "[{\"if\": {\"required\": [\"method\"], \"properties\": {\"method\": "
           "{\"const\": \"random\"}}}, \"then\": {\"required\": [\"trials\"]}}, {\"if\": {\"not\": "
           "{\"required\": [\"method\"], \"properties\": {\"method\": {\"enum\": [\"random\", "
           "\"halving\"]}}}}, \"then\": {\"not\": {\"anyOf\": [{\"required\": [\"trials\"]}, "
           "{\"required\": [\"seed\"]}]}}}, {\"if\": {\"not\": {\"required\": [\"method\"], "
           "\"properties\": {\"method\": {\"const\": \"halving\"}}}}, \"then\": {\"not\": "
           "{\"anyOf\": [{\"required\": [\"factor\"]}, {\"required\": [\"min_rows\"]}]}}}]");
    w_close(w, '}');

    key(w, "metrics");
    raw(w, "{\"description\": \"metrics to report (f1 always)\", \"anyOf\": [{\"$ref\": "
           "\"#/definitions/metric\"}, {\"$ref\": \"#/definitions/top_k\"}, {\"type\": "
           "\"array\", \"items\": {\"anyOf\": [{\"$ref\": \"#/definitions/metric\"}, "
           "{\"$ref\": \"#/definitions/top_k\"}]}}]}");
    key(w, "calibrate");
    raw(w, "{\"description\": \"calibrate each model's scores on inner out-of-fold scores of "
           "its training fold; a list of methods is a grid\", \"type\": \"object\", "
           "\"additionalProperties\": false, \"required\": [\"method\"], \"properties\": "
           "{\"method\": {\"anyOf\": [{\"enum\": [\"none\", \"isotonic\", \"sigmoid\"]}, "
           "{\"type\": \"array\", \"minItems\": 1, \"maxItems\": 3, \"uniqueItems\": true, "
           "\"items\": {\"enum\": [\"none\", \"isotonic\", \"sigmoid\"]}}]}, \"folds\": "
           "{\"description\": \"inner folds (default: threshold.folds, 3)\", \"type\": "
           "\"integer\", \"minimum\": 2, \"maximum\": 20}}}");
    prop_ref(w, "threshold", "threshold", "the cut on P(positive) (default 0.5)");

    key(w, "output");
    open_object(w, "where and what to write");
    prop_ref(w, "dir", "text", "the output folder, relative to the spec (default "
             "results/NAME)");
    kv_raw(w, "formats", "{\"anyOf\": [{\"enum\": [\"md\", \"csv\", \"json\"]}, "
           "{\"type\": \"array\", \"items\": {\"enum\": [\"md\", \"csv\", \"json\"]}}]}");
    prop_ref(w, "predictions", "boolean", "write predictions.csv (default true)");
    close_object(w);

    prop_int(w, "threads", 1, 1024, "threads (default: all processors; -j overrides)");
    prop_ref(w, "plugin_path", "text_list", "plugin folders searched first, relative to the "
             "spec");
    kv_raw(w, "isolation", "{\"description\": \"process (default): each cell in a worker "
           "process; none: in threads\", \"enum\": [\"process\", \"none\"]}");

    key(w, "limits");
    open_object(w, "per-cell limits; they need isolation: process");
    kv_raw(w, "cell_seconds", "{\"description\": \"seconds a cell may run\", \"anyOf\": "
           "[{\"type\": \"number\", \"exclusiveMinimum\": 0}, {\"type\": \"string\", "
           "\"pattern\": \"" DECIMAL_PATTERN "\"}]}");
    kv_raw(w, "cell_memory_mb", "{\"description\": \"memory a cell may use, in MB\", "
           "\"anyOf\": [{\"type\": \"number\", \"exclusiveMinimum\": 0}, {\"type\": "
           "\"string\", \"pattern\": \"" DECIMAL_PATTERN "\"}]}");
    close_object(w);

    key(w, "report");
    open_object(w, NULL);
    kv_raw(w, "sort", "{\"description\": \"the metric the leaderboards rank by (default "
           "f1)\", \"anyOf\": [{\"$ref\": \"#/definitions/metric\"}, {\"type\": "
           "\"string\", \"pattern\": \"^(recall|precision|lift)(_at_[0-9.]+|@[0-9.]+%)$\"}]}");
    close_object(w);

    key(w, "select");
    open_object(w, "nested selection: inside each outer training fold the rows are compared on "
                "inner CV and the winner is scored on the outer test fold (a 'selected "
                "(nested)' row)");
    kv_raw(w, "metric", "{\"description\": \"what the inner CV compares (default f1)\", "
           "\"anyOf\": [{\"$ref\": \"#/definitions/metric\"}, {\"type\": \"string\", "
           "\"pattern\": \"^(recall|precision|lift)(_at_[0-9.]+|@[0-9.]+%)$\"}]}");
    prop_int(w, "inner_folds", 2, 20, "inner folds inside each outer training fold (default 3)");
    close_object(w);

    key(w, "ensembles");
    raw(w, "{\"description\": \"rows that average, or stack with a logistic regression, other "
           "rows' probabilities, fitted inside each outer training fold on inner CV scores\", "
           "\"type\": \"array\", \"minItems\": 1, \"items\": {\"type\": \"object\", "
           "\"additionalProperties\": false, \"required\": [\"method\", \"members\"], "
           "\"properties\": {\"method\": {\"enum\": [\"average\", \"stack\"]}, "
           "\"members\": {\"description\": \"rows as the leaderboard labels them ('LABEL', or "
           "'LABEL | SAMPLER' with several samplers), or {top: K}: each outer fold's K best by "
           "select.metric on inner CV\", \"anyOf\": [{\"type\": \"array\", \"minItems\": 2, "
           "\"uniqueItems\": true, \"items\": {\"type\": \"string\", \"minLength\": 1}}, "
           "{\"type\": \"object\", \"additionalProperties\": false, \"required\": "
           "[\"top\"], \"properties\": {\"top\": {\"type\": \"integer\", \"minimum\": "
           "2}}}]}, \"name\": {\"description\": \"the row's label (default: "
           "'stack(logreg, sgb)', 'average(top 3)')\", \"type\": \"string\", \"minLength\": 1, "
           "\"maxLength\": 100}}}}");

    key(w, "importances");
    w_open(w, '{');
    kv_string(w, "description", "feature importances: auto (default), model, permutation, "
              "none, or {method, repeats, max_rows}");
    key(w, "anyOf");
    w_open(w, '[');
    raw(w, "{\"enum\": [\"auto\", \"model\", \"permutation\", \"none\"]}");
    open_object(w, NULL);
    kv_raw(w, "method", "{\"enum\": [\"auto\", \"model\", \"permutation\", \"none\"]}");
    prop_int(w, "repeats", 1, 100, "shuffles per feature (default 1)");
    prop_int(w, "max_rows", 100, 100000000, "test rows permuted at most (default 500)");
    close_object(w);
    w_close(w, ']');
    w_close(w, '}');

    w_close(w, '}');
}

int ll_schema_write(FILE *out, const ll_registry *reg)
{
    writer w = {.out = out};
    w_open(&w, '{');
    kv_string(&w, "$schema", "http://json-schema.org/draft-07/schema#");
    kv_string(&w, "title", "leadlab experiment spec");
    kv_string(&w, "description", "written by `leadlab schema` with the plugins it found");
    kv_raw(&w, "type", "\"object\"");
    kv_raw(&w, "additionalProperties", "false");
    kv_raw(&w, "required", "[\"data\", \"models\"]");
    properties(&w);
    /* Rules across sections: limits need process isolation; halving needs select; the plugin
     * lists check names and parameters against the loaded plugins, or loosely when
     * plugin_path adds others. */
    key(&w, "allOf");
    raw(&w, "[{\"if\": {\"required\": [\"search\"], \"properties\": {\"search\": "
            "{\"required\": [\"method\"], \"properties\": {\"method\": {\"const\": "
            "\"halving\"}}}}}, \"then\": {\"required\": [\"select\"]}}, "
            "{\"if\": {\"required\": [\"isolation\"], \"properties\": {\"isolation\": "
            "{\"const\": \"none\"}}}, \"then\": {\"properties\": {\"limits\": "
            "{\"maxProperties\": 0}}}}, {\"if\": {\"required\": [\"plugin_path\"]}, "
            "\"then\": {\"properties\": {\"samplers\": {\"items\": {\"anyOf\": [{\"$ref\": "
            "\"#/definitions/sampler\"}, {\"$ref\": \"#/definitions/any_plugin\"}]}}, "
            "\"models\": {\"items\": {\"anyOf\": [{\"$ref\": \"#/definitions/model\"}, "
            "{\"$ref\": \"#/definitions/any_plugin\"}]}}}}, \"else\": {\"properties\": "
            "{\"samplers\": {\"items\": {\"$ref\": \"#/definitions/sampler\"}}, \"models\": "
            "{\"items\": {\"$ref\": \"#/definitions/model\"}}}}}]");
    definitions(&w, reg);
    w_close(&w, '}');
    fputc('\n', out);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}

void ll_schema_report_refusal(const char *msg, void *stream)
{
    fprintf(stream, "leadlab: %s\n", msg);
}
