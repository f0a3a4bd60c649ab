/* leadlab output manifest (see manifest.h). */
#include "manifest.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

/* A file name the manifest may hold: not a comment, hidden file (the store's lock, the
 * manifest itself) or path. */
static int plain_name(const char *s)
{
    return s[0] && s[0] != '.' && s[0] != '#' && !strchr(s, '/');
}

char **ll_manifest_read(const char *dir, size_t *n_out)
{
    *n_out = 0;
    size_t cap = 16;
    char **names = malloc(cap * sizeof *names);
    if (!names)
        return NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, LL_MANIFEST_FILE);
    FILE *f = fopen(path, "r");
    if (!f)
        return names;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!plain_name(line))
            continue;
        if (*n_out == cap) {
            char **grown = realloc(names, 2 * cap * sizeof *grown);
            if (!grown)
                break;
            names = grown;
            cap *= 2;
        }
        if (!(names[*n_out] = strdup(line)))
            break;
        (*n_out)++;
    }
    fclose(f);
    return names;
}

static int listed(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(name, list[i]))
            return 1;
    return 0;
}

static int is_input(const char *path, const char *const *keep, size_t n_keep)
{
    struct stat a, b;
    if (stat(path, &a) != 0)
        return 0;
    for (size_t i = 0; i < n_keep; i++)
        if (keep[i] && stat(keep[i], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return 1;
    return 0;
}

/* "NAME.tmp.PID" of a name in either list, from a process other than this one. */
static int stale_temporary(const char *entry, char **old, size_t n_old,
                           const char *const *written, size_t n)
{
    const char *tag = strstr(entry, ".tmp.");
    if (!tag || tag == entry)
        return 0;
    const char *pid = tag + 5;
    if (!*pid || strspn(pid, "0123456789") != strlen(pid) || atol(pid) == (long)getpid())
        return 0;
    char name[1024];
    size_t len = (size_t)(tag - entry);
    if (len >= sizeof name)
        return 0;
    memcpy(name, entry, len);
    name[len] = '\0';
    return listed(name, written, n) || listed(name, (const char *const *)old, n_old);
}

int ll_manifest_update(const char *dir, const char *const *written, size_t n,
                       const char *const *keep, size_t n_keep, ll_error *err)
{
    size_t n_old;
    char **old = ll_manifest_read(dir, &n_old);
    if (!old)
        return ll_error_set(err, "out of memory");
    int rc = 0;
    char path[4200];
    for (size_t i = 0; i < n_old && rc == 0; i++) {
        if (listed(old[i], written, n))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, old[i]);
        if (is_input(path, keep, n_keep))
            continue;
        if (remove(path) != 0 && errno != ENOENT)
            rc = ll_error_set(err, "%s: cannot remove the stale output: %s", path,
                              strerror(errno));
    }
    DIR *d = rc == 0 ? opendir(dir) : NULL;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (stale_temporary(e->d_name, old, n_old, written, n)) {
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                remove(path); /* best effort: a leftover temporary harms nobody */
            }
        closedir(d);
    }
    for (size_t i = 0; i < n_old; i++)
        free(old[i]);
    free(old);
    if (rc != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s", dir, LL_MANIFEST_FILE);
    ll_atomic_file af;
    if (ll_atomic_open(&af, path, err) != 0)
        return -1;
    fputs("# Files the latest leadlab run wrote here; the next run removes those it no longer "
          "writes.\n", af.f);
    for (size_t i = 0; i < n; i++)
        if (plain_name(written[i]))
            fprintf(af.f, "%s\n", written[i]);
    return ll_atomic_commit(&af, err);
}
