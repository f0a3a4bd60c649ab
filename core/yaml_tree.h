/* leadlab YAML reader: libyaml events folded into a small tree whose nodes remember their
 * line and column, so every later error can point at file:line:col. */
#ifndef LL_CORE_YAML_TREE_H
#define LL_CORE_YAML_TREE_H

#include <stddef.h>

#include "error.h"

typedef enum { LL_Y_SCALAR, LL_Y_SEQ, LL_Y_MAP } ll_ynode_kind;

typedef struct ll_ynode {
    ll_ynode_kind kind;
    char *text;   /* scalars only */
    int quoted;   /* scalar was quoted: never a number, bool or null */
    size_t line, col; /* 1-based position of the node in its source */
    const char *origin; /* NULL: the spec file; else the "--set key=value" argument it came
                           from (borrowed: command-line arguments outlive the tree) */
    struct ll_ynode **keys;  /* maps: n keys (scalars) */
    struct ll_ynode **items; /* maps: n values; sequences: n items */
    size_t n;
} ll_ynode;

/* Parses a YAML file (one document) into *root. `name` is used in messages. Errors are
 * "NAME:LINE:COL: message". */
int ll_yaml_parse_file(const char *path, ll_ynode **root, ll_error *err);
int ll_yaml_parse_string(const char *text, const char *name, ll_ynode **root, ll_error *err);
void ll_ynode_free(ll_ynode *node);
ll_ynode *ll_ynode_clone(const ll_ynode *node);

/* The value of `key` in a map, or NULL. */
ll_ynode *ll_ymap_get(const ll_ynode *map, const char *key);
/* Sets map[key] = value (taking ownership of value), replacing an existing value. */
int ll_ymap_set(ll_ynode *map, const char *key, ll_ynode *value);
ll_ynode *ll_ynode_new(ll_ynode_kind kind, const char *text, size_t line, size_t col);

/* Where a node came from, for messages: "FILE:LINE:COL", or "--set KEY=VALUE" for a node a
 * --set argument made (a NULL node: "FILE:1:1"). The text lives in one of four static
 * buffers used in turn, so up to four may appear in one message (not thread-safe). */
const char *ll_ynode_where(const ll_ynode *node, const char *file);
/* Marks node and everything under it as coming from `origin` (a --set argument). */
void ll_ynode_set_origin(ll_ynode *node, const char *origin);

/* Scalar helpers; return -1 when the scalar is not of that type. */
int ll_yscalar_double(const ll_ynode *node, double *out);
int ll_yscalar_long(const ll_ynode *node, long *out);
int ll_yscalar_bool(const ll_ynode *node, int *out);
const char *ll_ynode_kind_name(ll_ynode_kind kind);
/* Why a scalar that looks numeric was not read as one, as text to append to "expected a
 * number" messages: " (it is quoted, so it is text: write it without quotes)", " (too large
 * for an integer)", or "" when neither applies. */
const char *ll_yscalar_number_hint(const ll_ynode *node);

#endif
