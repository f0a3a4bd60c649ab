/* leadlab plugin registry (see registry.h). */
#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "params.h"
#include "text.h"

/* The plugin folder relative to the folder of the installed executable (or absolute). */
#ifndef LL_PLUGIN_INSTALL_REL
#define LL_PLUGIN_INSTALL_REL "../lib/leadlab/plugins"
#endif

static int add_dir(ll_registry *reg, const char *dir)
{
    if (!dir || !*dir)
        return 0;
    char **dirs = realloc(reg->dirs, (reg->n_dirs + 1) * sizeof *dirs);
    if (!dirs)
        return -1;
    reg->dirs = dirs;
    if (!(dirs[reg->n_dirs] = strdup(dir)))
        return -1;
    reg->n_dirs++;
    return 0;
}

/* The built-in plugins: an executable of the build tree (leadlab, a test) uses the build's
 * plugins/ folder; any other, such as an installed PREFIX/bin/leadlab, uses the install layout
 * relative to itself (PREFIX/LIBDIR/leadlab/plugins), never a plugins/ folder that merely
 * happens to sit near it. */
static int add_builtin_dir(ll_registry *reg)
{
    char exe[PATH_MAX], dir[PATH_MAX], build[PATH_MAX];
    if (!realpath("/proc/self/exe", exe))
        return 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    snprintf(dir, sizeof dir, "%s", exe);
#if defined(LL_BUILD_TREE_DIR) && defined(LL_BUILD_PLUGIN_DIR)
    size_t n = realpath(LL_BUILD_TREE_DIR, build) ? strlen(build) : 0;
    if (n && strncmp(dir, build, n) == 0 && (dir[n] == '/' || dir[n] == '\0'))
        return add_dir(reg, LL_BUILD_PLUGIN_DIR);
#else
    (void)build;
#endif
    if (LL_PLUGIN_INSTALL_REL[0] == '/')
        return add_dir(reg, LL_PLUGIN_INSTALL_REL);
    char cand[2 * PATH_MAX];
    snprintf(cand, sizeof cand, "%s/%s", dir, LL_PLUGIN_INSTALL_REL);
    char resolved[PATH_MAX]; /* PREFIX/lib/..., not PREFIX/bin/../lib/... */
    return add_dir(reg, realpath(cand, resolved) ? resolved : cand);
}

static void entry_free(ll_plugin_entry *e)
{
    if (!e)
        return;
    free(e->params);
    free(e->path);
    free(e);
}

int ll_registry_init(ll_registry *reg, const char *const *extra, size_t n_extra, ll_error *err)
{
    memset(reg, 0, sizeof *reg);
    for (size_t i = 0; i < n_extra; i++)
        if (add_dir(reg, extra[i]) != 0)
            goto oom;
    const char *env = getenv("LEADLAB_PLUGIN_PATH");
    if (env) {
        char *copy = strdup(env);
        if (!copy)
            goto oom;
        char *save = NULL;
        for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
            if (add_dir(reg, tok) != 0) {
                free(copy);
                goto oom;
            }
        free(copy);
    }
    if (add_builtin_dir(reg) != 0)
        goto oom;
    return 0;
oom:
    ll_registry_free(reg);
    return ll_error_set(err, "out of memory");
}

void ll_registry_free(ll_registry *reg)
{
    /* Keep the code mapped: descriptors and vtables point into it until exit, and
     * sanitizers report leaks with unknown frames after dlclose. */
    for (size_t i = 0; i < reg->n_loaded; i++)
        entry_free(reg->loaded[i]);
    free(reg->loaded);
    for (size_t i = 0; i < reg->n_dirs; i++)
        free(reg->dirs[i]);
    free(reg->dirs);
    memset(reg, 0, sizeof *reg);
}

/* Copies a table of `have` bytes into `size` bytes, zero-filling the members the plugin's
 * older header did not have (a NULL function, a NULL string). */
static void copy_table(void *dst, size_t size, const void *src, size_t have)
{
    memset(dst, 0, size);
    memcpy(dst, src, have < size ? have : size);
}

/* Why a descriptor cannot be used, or NULL; fills the entry's host-side copies when it can.
 * The smallest sizes accepted are ABI 2.0's: every member up to the 2.0 tables' last. */
static const char *adopt(ll_plugin_entry *e, const ll_plugin *p, char *buf, size_t len)
{
    if (!p)
        return "its entry returned NULL";
    if (p->abi_version != LL_ABI_VERSION) {
        snprintf(buf, len, "it was built for plugin ABI version %u, this leadlab speaks version "
                 "%u (rebuild it against this leadlab's leadlab/plugin.h)",
                 p->abi_version, LL_ABI_VERSION);
        return buf;
    }
    if (p->struct_size < offsetof(ll_plugin, sampler) + sizeof p->sampler)
        return "its descriptor is smaller than ABI 2.0's";
    if (p->abi_minor > LL_ABI_MINOR) {
        snprintf(buf, len, "it was built for plugin ABI 2.%u, newer than this leadlab's 2.%u "
                 "(update leadlab)", p->abi_minor, LL_ABI_MINOR);
        return buf;
    }
    copy_table(&e->desc, sizeof e->desc, p, p->struct_size);
    if (!e->desc.name || !e->desc.name[0] || !e->desc.version)
        return "its descriptor has no name or version";
    if (!e->desc.model == !e->desc.sampler)
        return "it must set exactly one of model and sampler";
    if (e->desc.model) {
        const ll_model_vt *m = e->desc.model;
        if (m->struct_size < offsetof(ll_model_vt, load) + sizeof m->load)
            return "its model table is smaller than ABI 2.0's";
        copy_table(&e->model, sizeof e->model, m, m->struct_size);
        if (!e->model.create || !e->model.fit || !e->model.predict_proba || !e->model.destroy)
            return "its model table has a NULL create, fit, predict_proba or destroy";
        if (!e->model.save != !e->model.load)
            return "its model table sets only one of save and load";
        e->desc.model = &e->model;
    } else {
        const ll_sampler_vt *sv = e->desc.sampler;
        if (sv->struct_size < offsetof(ll_sampler_vt, resample) + sizeof sv->resample)
            return "its sampler table is smaller than ABI 2.0's";
        copy_table(&e->sampler, sizeof e->sampler, sv, sv->struct_size);
        if (!e->sampler.resample)
            return "its sampler table has a NULL resample";
        e->desc.sampler = &e->sampler;
    }
    if (e->desc.n_params) {
        if (!e->desc.params)
            return "it declares parameters but gives no array";
        if (e->desc.param_size < offsetof(ll_param, flags) + sizeof(unsigned))
            return "its parameter entries are smaller than ABI 2.0's";
        if (e->desc.n_params > 1024)
            return "it declares more than 1024 parameters";
        if (!(e->params = calloc(e->desc.n_params, sizeof *e->params)))
            return "out of memory";
        const unsigned char *at = (const unsigned char *)e->desc.params;
        for (size_t i = 0; i < e->desc.n_params; i++)
            copy_table(&e->params[i], sizeof e->params[i], at + i * e->desc.param_size,
                       e->desc.param_size);
        e->desc.params = e->params;
    }
    e->desc.param_size = sizeof(ll_param);
    e->desc.struct_size = sizeof(ll_plugin);
    ll_error schema;
    if (ll_params_check_schema(&e->desc, &schema) != 0) {
        snprintf(buf, len, "its parameter schema is broken: %.200s", schema.msg);
        return buf;
    }
    return NULL;
}

const ll_plugin *ll_registry_load_file(ll_registry *reg, const char *path, ll_error *err)
{
    for (size_t i = 0; i < reg->n_loaded; i++)
        if (strcmp(reg->loaded[i]->path, path) == 0)
            return &reg->loaded[i]->desc;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return ll_error_set(err, "%s: cannot load plugin: %s", path, dlerror()), NULL;
    ll_plugin_entry_fn entry;
    void *sym = dlsym(handle, LL_PLUGIN_ENTRY);
    if (!sym) {
        dlclose(handle);
        return ll_error_set(err, "%s: not a leadlab plugin: no '%s' symbol", path,
                            LL_PLUGIN_ENTRY), NULL;
    }
    memcpy(&entry, &sym, sizeof entry); /* ISO C forbids casting object to function pointers */
    ll_plugin_entry *e = calloc(1, sizeof *e);
    ll_plugin_entry **grown = realloc(reg->loaded, (reg->n_loaded + 1) * sizeof *grown);
    if (grown)
        reg->loaded = grown;
    if (!e || !grown || !(e->path = strdup(path))) {
        entry_free(e);
        dlclose(handle);
        return ll_error_set(err, "out of memory"), NULL;
    }
    char buf[512];
    const char *why = adopt(e, entry(), buf, sizeof buf);
    if (why) {
        ll_error_set(err, "%s: refused: %s", path, why);
        entry_free(e);
        dlclose(handle);
        return NULL;
    }
    e->handle = handle;
    reg->loaded[reg->n_loaded++] = e;
    return &e->desc;
}

char *ll_registry_find(const ll_registry *reg, const char *name)
{
    int plain = name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
    for (size_t d = 0; plain && d < reg->n_dirs; d++) {
        char *path = ll_format("%s/%s.so", reg->dirs[d], name);
        if (!path || access(path, F_OK) == 0)
            return path;
        free(path);
    }
    return NULL;
}

const ll_plugin *ll_registry_get(ll_registry *reg, const char *name, ll_error *err)
{
    for (size_t i = 0; i < reg->n_loaded; i++)
        if (strcmp(reg->loaded[i]->desc.name, name) == 0)
            return &reg->loaded[i]->desc;
    char *path = ll_registry_find(reg, name);
    if (path) {
        const ll_plugin *p = ll_registry_load_file(reg, path, err);
        if (p && strcmp(p->name, name) != 0) {
            ll_error_set(err, "%s: declares the name '%s', expected '%s'", path, p->name, name);
            p = NULL;
        }
        free(path);
        return p;
    }
    char *avail = ll_registry_available(reg);
    char sugg[64];
    const char *s = avail ? ll_suggest(name, avail, sugg, sizeof sugg) : NULL;
    ll_error_set(err, "unknown plugin '%s'%s%s%s (available: %s)", name,
                 s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "",
                 avail && *avail ? avail : "none found");
    free(avail);
    return NULL;
}

static int compare_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, de-duplicated NAME of every NAME.so on the search path. */
static size_t list_names(const ll_registry *reg, char ***out)
{
    char **names = NULL;
    size_t n = 0;
    for (size_t d = 0; d < reg->n_dirs; d++) {
        DIR *dir = opendir(reg->dirs[d]);
        if (!dir)
            continue;
        struct dirent *ent;
        while ((ent = readdir(dir))) {
            size_t len = strlen(ent->d_name);
            if (len < 4 || strcmp(ent->d_name + len - 3, ".so") != 0)
                continue;
            char **grown = realloc(names, (n + 1) * sizeof *names);
            if (!grown)
                break;
            names = grown;
            if (!(names[n] = strdup(ent->d_name)))
                break;
            names[n++][len - 3] = '\0';
        }
        closedir(dir);
    }
    if (n)
        qsort(names, n, sizeof *names, compare_str);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (kept && strcmp(names[kept - 1], names[i]) == 0)
            free(names[i]);
        else
            names[kept++] = names[i];
    }
    *out = names;
    return kept;
}

char *ll_registry_available(const ll_registry *reg)
{
    char **names;
    size_t n = list_names(reg, &names);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + 1;
    char *joined = calloc(len, 1);
    for (size_t i = 0; i < n; i++) {
        if (joined) {
            if (i)
                strcat(joined, "|");
            strcat(joined, names[i]);
        }
        free(names[i]);
    }
    free(names);
    return joined;
}

void ll_registry_load_all(ll_registry *reg, void (*on_refused)(const char *msg, void *ctx),
                          void *ctx)
{
    char **names;
    size_t n = list_names(reg, &names);
    for (size_t i = 0; i < n; i++) {
        ll_error err;
        if (!ll_registry_get(reg, names[i], &err) && on_refused)
            on_refused(err.msg, ctx);
        free(names[i]);
    }
    free(names);
}
