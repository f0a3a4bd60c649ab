/* leadlab YAML reader (see yaml_tree.h). Anchors and aliases are refused: experiment specs
 * stay plain, and a refused alias is clearer than a silently shared subtree. */
#include "yaml_tree.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

ll_ynode *ll_ynode_new(ll_ynode_kind kind, const char *text, size_t line, size_t col)
{
    ll_ynode *node = calloc(1, sizeof *node);
    if (!node)
        return NULL;
    node->kind = kind;
    node->line = line;
    node->col = col;
    if (text && !(node->text = strdup(text))) {
        free(node);
        return NULL;
    }
    return node;
}

void ll_ynode_free(ll_ynode *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->n; i++) {
        if (node->keys)
            ll_ynode_free(node->keys[i]);
        ll_ynode_free(node->items[i]);
    }
    free(node->keys);
    free(node->items);
    free(node->text);
    free(node);
}

ll_ynode *ll_ynode_clone(const ll_ynode *node)
{
    ll_ynode *copy = ll_ynode_new(node->kind, node->text, node->line, node->col);
    if (!copy)
        return NULL;
    copy->quoted = node->quoted;
    copy->origin = node->origin;
    if (node->n) {
        copy->items = calloc(node->n, sizeof *copy->items);
        copy->keys = node->keys ? calloc(node->n, sizeof *copy->keys) : NULL;
        if (!copy->items || (node->keys && !copy->keys)) {
            ll_ynode_free(copy);
            return NULL;
        }
        for (size_t i = 0; i < node->n; i++) {
            copy->n = i + 1;
            copy->items[i] = ll_ynode_clone(node->items[i]);
            if (node->keys)
                copy->keys[i] = ll_ynode_clone(node->keys[i]);
            if (!copy->items[i] || (node->keys && !copy->keys[i])) {
                ll_ynode_free(copy);
                return NULL;
            }
        }
    }
    return copy;
}

/* Appends (key, value) to a map or value to a sequence; key is NULL for sequences. */
static int append_child(ll_ynode *parent, ll_ynode *key, ll_ynode *value)
{
    ll_ynode **items = realloc(parent->items, (parent->n + 1) * sizeof *items);
    if (!items)
        return -1;
    parent->items = items;
    if (parent->kind == LL_Y_MAP) {
        ll_ynode **keys = realloc(parent->keys, (parent->n + 1) * sizeof *keys);
        if (!keys)
            return -1;
        parent->keys = keys;
        keys[parent->n] = key;
    }
    items[parent->n++] = value;
    return 0;
}

typedef struct {
    ll_ynode *node;
    ll_ynode *pending_key; /* maps: key read, value not yet */
} frame;

/* Line and column (1-based) of byte `offset` of text. */
static void position_of(const char *text, size_t len, size_t offset, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            ++*col;
        }
    }
}

/* A hint for the YAML mistakes newcomers make most, which libyaml reports a line late. */
static const char *syntax_hint(const char *problem)
{
    if (!problem)
        return "";
    if (strstr(problem, "mapping values are not allowed") ||
        strstr(problem, "did not find expected key") ||
        strstr(problem, "could not find expected ':'"))
        return " (check the indentation of this line and the one above it: keys of one mapping "
               "line up, and a value needs a space after its ':')";
    if (strstr(problem, "found character that cannot start any token"))
        return " (YAML indents with spaces, never tabs)";
    return "";
}

static int parse(yaml_parser_t *parser, const char *name, const char *text, size_t len,
                 ll_ynode **root, ll_error *err)
{
    frame stack[64];
    size_t depth = 0;
    ll_ynode *doc = NULL;
    int rc = -1;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(parser, &ev)) {
            size_t line = parser->problem_mark.line + 1, col = parser->problem_mark.column + 1;
            /* Reader errors (bad UTF-8, a NUL or control character) carry only an offset. */
            if (parser->error == YAML_READER_ERROR)
                position_of(text, len, parser->problem_offset, &line, &col);
            ll_error_set(err, "%s:%zu:%zu: YAML syntax error: %s%s%s%s", name, line, col,
                         parser->problem ? parser->problem : "unknown",
                         parser->context ? " " : "", parser->context ? parser->context : "",
                         syntax_hint(parser->problem));
            goto out;
        }
        size_t line = ev.start_mark.line + 1, col = ev.start_mark.column + 1;
        yaml_event_type_t type = ev.type;
        ll_ynode *node = NULL;
        if (type == YAML_ALIAS_EVENT) {
            ll_error_set(err, "%s:%zu:%zu: YAML aliases are not supported in experiment specs",
                         name, line, col);
            yaml_event_delete(&ev);
            goto out;
        }
        if (type == YAML_SCALAR_EVENT) {
            node = ll_ynode_new(LL_Y_SCALAR, (const char *)ev.data.scalar.value, line, col);
            if (node)
                node->quoted = ev.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                               ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        } else if (type == YAML_SEQUENCE_START_EVENT) {
            node = ll_ynode_new(LL_Y_SEQ, NULL, line, col);
        } else if (type == YAML_MAPPING_START_EVENT) {
            node = ll_ynode_new(LL_Y_MAP, NULL, line, col);
        }
        yaml_event_delete(&ev);
        if ((type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT ||
             type == YAML_MAPPING_START_EVENT) && !node) {
            ll_error_set(err, "%s: out of memory", name);
            goto out;
        }
        if (node) {
            if (depth == 0) {
                if (doc) {
                    ll_ynode_free(node);
                    ll_error_set(err, "%s:%zu:%zu: more than one YAML document", name, line, col);
                    goto out;
                }
                doc = node;
            } else {
                frame *top = &stack[depth - 1];
                if (top->node->kind == LL_Y_MAP && !top->pending_key) {
                    if (node->kind != LL_Y_SCALAR) {
                        ll_ynode_free(node);
                        ll_error_set(err, "%s:%zu:%zu: mapping keys must be plain scalars", name,
                                     line, col);
                        goto out;
                    }
                    for (size_t i = 0; i < top->node->n; i++)
                        if (strcmp(top->node->keys[i]->text, node->text) == 0) {
                            ll_error_set(err, "%s:%zu:%zu: duplicate key '%s' (first at line %zu)",
                                         name, line, col, node->text, top->node->keys[i]->line);
                            ll_ynode_free(node);
                            goto out;
                        }
                    top->pending_key = node;
                    continue;
                }
                ll_ynode *key = top->node->kind == LL_Y_MAP ? top->pending_key : NULL;
                top->pending_key = NULL;
                if (append_child(top->node, key, node) != 0) {
                    ll_ynode_free(key);
                    ll_ynode_free(node);
                    ll_error_set(err, "%s: out of memory", name);
                    goto out;
                }
            }
            if (node->kind != LL_Y_SCALAR) {
                if (depth == sizeof stack / sizeof stack[0]) {
                    ll_error_set(err, "%s:%zu:%zu: nesting too deep", name, line, col);
                    goto out;
                }
                stack[depth].node = node;
                stack[depth].pending_key = NULL;
                depth++;
            }
        } else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
            depth--;
        } else if (type == YAML_STREAM_END_EVENT) {
            break;
        }
    }
    if (!doc)
        doc = ll_ynode_new(LL_Y_MAP, NULL, 1, 1); /* an empty file is an empty mapping */
    *root = doc;
    doc = NULL;
    rc = 0;
out:
    for (size_t i = 0; i < depth; i++)
        ll_ynode_free(stack[i].pending_key);
    ll_ynode_free(doc);
    return rc;
}

static int parse_text(const char *text, size_t len, const char *name, ll_ynode **root,
                      ll_error *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return ll_error_set(err, "%s: out of memory", name);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = parse(&parser, name, text, len, root, err);
    yaml_parser_delete(&parser);
    return rc;
}

/* Specs are small: a file beyond this is not one. */
#define LL_MAX_SPEC_BYTES (16u << 20)

int ll_yaml_parse_file(const char *path, ll_ynode **root, ll_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ll_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return ll_error_set(err, "%s: is a folder, not a spec file", path);
    }
    /* Read whole, so an error the reader reports as a byte offset gets its line. */
    size_t cap = 1 << 12, len = 0;
    char *text = malloc(cap);
    while (text) {
        len += fread(text + len, 1, cap - len, f);
        if (len < cap || cap >= LL_MAX_SPEC_BYTES)
            break;
        char *grown = realloc(text, cap * 2);
        if (!grown) {
            free(text);
            text = NULL;
            break;
        }
        text = grown;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!text)
        return ll_error_set(err, "%s: out of memory", path);
    if (bad || len >= LL_MAX_SPEC_BYTES) {
        free(text);
        return bad ? ll_error_io(err, "%s: read error", path)
                   : ll_error_set(err, "%s: larger than %u MiB: not a spec", path,
                                  LL_MAX_SPEC_BYTES >> 20);
    }
    int rc = parse_text(text, len, path, root, err);
    free(text);
    return rc;
}

int ll_yaml_parse_string(const char *text, const char *name, ll_ynode **root, ll_error *err)
{
    return parse_text(text, strlen(text), name, root, err);
}

ll_ynode *ll_ymap_get(const ll_ynode *map, const char *key)
{
    if (!map || map->kind != LL_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return map->items[i];
    return NULL;
}

int ll_ymap_set(ll_ynode *map, const char *key, ll_ynode *value)
{
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0) {
            ll_ynode_free(map->items[i]);
            map->items[i] = value;
            return 0;
        }
    ll_ynode *k = ll_ynode_new(LL_Y_SCALAR, key, value->line, value->col);
    if (k)
        k->origin = value->origin;
    if (!k || append_child(map, k, value) != 0) {
        ll_ynode_free(k);
        return -1;
    }
    return 0;
}

int ll_yscalar_double(const ll_ynode *node, double *out)
{
    if (!node || node->kind != LL_Y_SCALAR || node->quoted || !node->text[0])
        return -1;
    const char *s = node->text;
    if (strcmp(s, ".inf") == 0 || strcmp(s, "inf") == 0) {
        *out = INFINITY;
        return 0;
    }
    if (!ll_is_decimal(s))
        return -1; /* 0x10, 1_000, nan: not numbers in a spec either */
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || (errno == ERANGE && v != 0) || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int ll_yscalar_long(const ll_ynode *node, long *out)
{
    if (!node || node->kind != LL_Y_SCALAR || node->quoted || !node->text[0])
        return -1;
    char *end;
    errno = 0;
    long v = strtol(node->text, &end, 10);
    if (*end || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

int ll_yscalar_bool(const ll_ynode *node, int *out)
{
    if (!node || node->kind != LL_Y_SCALAR || node->quoted)
        return -1;
    const char *s = node->text;
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "yes") || !strcmp(s, "on")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "no") || !strcmp(s, "off")) {
        *out = 0;
        return 0;
    }
    return -1;
}

const char *ll_yscalar_number_hint(const ll_ynode *node)
{
    if (!node || node->kind != LL_Y_SCALAR || !ll_is_decimal(node->text))
        return "";
    if (node->quoted)
        return " (it is quoted, so it is text: write it without quotes)";
    if (!strpbrk(node->text, ".eE")) {
        errno = 0;
        (void)strtol(node->text, NULL, 10);
        if (errno == ERANGE)
            return " (too large for an integer)";
    }
    return "";
}

const char *ll_ynode_where(const ll_ynode *node, const char *file)
{
    static char buf[4][4352];
    static unsigned next;
    char *out = buf[next++ % 4];
    /* A long path keeps its tail, so the reason after it is never cut off the message. */
    const char *src = node && node->origin ? node->origin : file;
    size_t len = strlen(src);
    const char *cut = len > 160 ? "…" : "";
    if (len > 160)
        src += len - 160;
    if (node && node->origin)
        snprintf(out, sizeof buf[0], "--set %s%s", cut, src);
    else
        snprintf(out, sizeof buf[0], "%s%s:%zu:%zu", cut, src, node ? node->line : 1,
                 node ? node->col : 1);
    return out;
}

void ll_ynode_set_origin(ll_ynode *node, const char *origin)
{
    if (!node)
        return;
    node->origin = origin;
    for (size_t i = 0; i < node->n; i++) {
        if (node->keys)
            ll_ynode_set_origin(node->keys[i], origin);
        ll_ynode_set_origin(node->items[i], origin);
    }
}

const char *ll_ynode_kind_name(ll_ynode_kind kind)
{
    return kind == LL_Y_SCALAR ? "a scalar" : kind == LL_Y_SEQ ? "a list" : "a mapping";
}
