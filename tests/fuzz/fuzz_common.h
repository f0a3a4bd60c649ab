/* Shared by leadlab's libFuzzer harnesses: one private temporary folder per fuzzing process
 * (the readers take paths, not buffers), file writing, and failing loudly. Header-only so each
 * harness stays one translation unit. */
#ifndef LL_FUZZ_COMMON_H
#define LL_FUZZ_COMMON_H

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leadlab/plugin.h" /* LL_PRINTF */

#ifndef LL_FUZZ_PLUGIN_DIR
#error "LL_FUZZ_PLUGIN_DIR (the build's plugins folder) must be defined by tests/fuzz/CMakeLists.txt"
#endif

static char fz_dir[512];
static int fz_verbose; /* LL_FUZZ_VERBOSE=1: print why each input was refused (corpus checks) */

static void fz_note(const char *what, const char *msg)
{
    if (fz_verbose)
        fprintf(stderr, "leadlab fuzz: %s: %s\n", what, msg);
}

/* A harness invariant broke: that is a finding, so crash where libFuzzer sees it. */
static void fz_die(const char *fmt, ...) LL_PRINTF(1, 2);
static void fz_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("leadlab fuzz: invariant violated: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* A path inside the process's temporary folder; a small ring so a caller can hold a few. */
static const char *fz_path(const char *name)
{
    static char paths[4][640];
    static unsigned next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/%s", fz_dir, name);
    return path;
}

static void fz_write(const char *path, const void *data, size_t size)
{
    FILE *file = fopen(path, "wb");
    if (!file || (size && fwrite(data, 1, size, file) != size) || fclose(file) != 0)
        fz_die("cannot write %s", path);
}

static void fz_cleanup(void)
{
    DIR *dir = opendir(fz_dir);
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
            unlink(fz_path(entry->d_name));
    }
    closedir(dir);
    rmdir(fz_dir);
}

/* Points the plugin registry at the build's plugins and makes the temporary folder. */
static void fz_init(const char *tag)
{
    setenv("LEADLAB_PLUGIN_PATH", LL_FUZZ_PLUGIN_DIR, 1);
    const char *verbose = getenv("LL_FUZZ_VERBOSE");
    fz_verbose = verbose && *verbose && strcmp(verbose, "0") != 0;
    const char *base = getenv("TMPDIR");
    snprintf(fz_dir, sizeof fz_dir, "%s/leadlab-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(fz_dir))
        fz_die("mkdtemp %s failed", fz_dir);
    atexit(fz_cleanup);
}

#endif
