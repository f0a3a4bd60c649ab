/* leadlab plugin registry: finds NAME.so on the search path, dlopens it and checks its
 * descriptor (entry symbol, ABI version and table sizes, exactly one of model/sampler, its
 * parameter schema). */
#ifndef LL_CORE_REGISTRY_H
#define LL_CORE_REGISTRY_H

#include <stddef.h>

#include "error.h"
#include "leadlab/plugin.h"

/* One loaded plugin. The host works on its own copies of the plugin's tables, zero-extended to
 * this leadlab's sizes: a plugin built against an older 2.x header then simply has NULL in the
 * members appended since, and nothing reads past the end of what it declared. */
typedef struct {
    ll_plugin desc;        /* params, model and sampler point at the copies below */
    ll_model_vt model;
    ll_sampler_vt sampler;
    ll_param *params;
    void *handle;
    char *path;
} ll_plugin_entry;

typedef struct {
    char **dirs; /* search path, first match wins */
    size_t n_dirs;
    ll_plugin_entry **loaded;
    size_t n_loaded;
} ll_registry;

/* Search path: `extra` dirs (e.g. the spec's plugin_path, may be NULL), then every dir in
 * $LEADLAB_PLUGIN_PATH (':'-separated), then the built-in folder (plugins/ next to the
 * executable in a build tree, else the install folder). */
int ll_registry_init(ll_registry *reg, const char *const *extra, size_t n_extra, ll_error *err);
void ll_registry_free(ll_registry *reg);

/* Loads (once) and returns the plugin called `name`; NULL with a message if it is not found
 * or is refused. */
const ll_plugin *ll_registry_get(ll_registry *reg, const char *name, ll_error *err);
/* The path of NAME.so in the first search-path folder holding one (malloc'd), or NULL when
 * none does or `name` is not a plain file name. Loads nothing. */
char *ll_registry_find(const ll_registry *reg, const char *name);
/* Loads one .so file and validates it. */
const ll_plugin *ll_registry_load_file(ll_registry *reg, const char *path, ll_error *err);
/* Loads every *.so on the search path; refusals are reported through `on_refused`. */
void ll_registry_load_all(ll_registry *reg, void (*on_refused)(const char *msg, void *ctx),
                          void *ctx);
/* '|'-separated names of every NAME.so on the search path, for suggestions; caller frees. */
char *ll_registry_available(const ll_registry *reg);

#endif
