/* leadlab plugin registry (see registry.h). */
#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "params.h"

#ifndef LL_PLUGIN_INSTALL_DIR
#define LL_PLUGIN_INSTALL_DIR "lib/leadlab/plugins"
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

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* plugins/ beside the executable (build tree), ../plugins (tests), else the install layout:
 * PREFIX/bin/leadlab finds PREFIX/LIBDIR/leadlab/plugins. */
static int add_builtin_dir(ll_registry *reg)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char cand[PATH_MAX + 64];
            snprintf(cand, sizeof cand, "%s/plugins", exe);
            if (is_dir(cand))
                return add_dir(reg, cand);
            /* tests live in build/tests/, plugins in build/plugins/ */
            snprintf(cand, sizeof cand, "%s/../plugins", exe);
            if (is_dir(cand))
                return add_dir(reg, cand);
            snprintf(cand, sizeof cand, "%s/../%s", exe, LL_PLUGIN_INSTALL_DIR);
            char resolved[PATH_MAX]; /* PREFIX/lib/..., not PREFIX/bin/../lib/... */
            return add_dir(reg, realpath(cand, resolved) ? resolved : cand);
        }
    }
    return 0;
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
    for (size_t i = 0; i < reg->n_loaded; i++) {
        /* Keep the code mapped: descriptors and vtables point into it until exit, and
         * sanitizers report leaks with unknown frames after dlclose. */
        free(reg->loaded[i].path);
    }
    free(reg->loaded);
    for (size_t i = 0; i < reg->n_dirs; i++)
        free(reg->dirs[i]);
    free(reg->dirs);
    memset(reg, 0, sizeof *reg);
}

const ll_plugin *ll_registry_load_file(ll_registry *reg, const char *path, ll_error *err)
{
    for (size_t i = 0; i < reg->n_loaded; i++)
        if (strcmp(reg->loaded[i].path, path) == 0)
            return reg->loaded[i].plugin;
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
    const ll_plugin *p = entry();
    const char *why = NULL;
    char buf[256];
    if (!p)
        why = "its entry returned NULL";
    else if (p->abi_version != LL_ABI_VERSION) {
        snprintf(buf, sizeof buf, "it was built for plugin ABI version %u, this leadlab speaks %u",
                 p->abi_version, LL_ABI_VERSION);
        why = buf;
    } else if (p->struct_size < sizeof(ll_plugin))
        why = "its descriptor is smaller than ABI version 1's";
    else if (!p->name || !p->version)
        why = "its descriptor has no name or version";
    else if (!p->model == !p->sampler)
        why = "it must set exactly one of model and sampler";
    else if (p->model && (!p->model->create || !p->model->fit || !p->model->predict_proba ||
                          !p->model->destroy))
        why = "its model table has a NULL function";
    else if (p->sampler && !p->sampler->resample)
        why = "its sampler table has a NULL function";
    if (why) {
        dlclose(handle);
        return ll_error_set(err, "%s: refused: %s", path, why), NULL;
    }
    ll_plugin_entry *loaded = realloc(reg->loaded, (reg->n_loaded + 1) * sizeof *loaded);
    if (!loaded) {
        dlclose(handle);
        return ll_error_set(err, "out of memory"), NULL;
    }
    reg->loaded = loaded;
    loaded[reg->n_loaded].plugin = p;
    loaded[reg->n_loaded].handle = handle;
    if (!(loaded[reg->n_loaded].path = strdup(path))) {
        dlclose(handle);
        return ll_error_set(err, "out of memory"), NULL;
    }
    reg->n_loaded++;
    return p;
}

const ll_plugin *ll_registry_get(ll_registry *reg, const char *name, ll_error *err)
{
    for (size_t i = 0; i < reg->n_loaded; i++)
        if (strcmp(reg->loaded[i].plugin->name, name) == 0)
            return reg->loaded[i].plugin;
    int plain = name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
    for (size_t d = 0; plain && d < reg->n_dirs; d++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s.so", reg->dirs[d], name);
        if (access(path, F_OK) == 0) {
            const ll_plugin *p = ll_registry_load_file(reg, path, err);
            if (p && strcmp(p->name, name) != 0)
                return ll_error_set(err, "%s: declares the name '%s', expected '%s'", path,
                                    p->name, name), NULL;
            return p;
        }
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
