/* leadlab output manifest: OUTDIR/.outputs lists the files the latest run wrote there, so a
 * rerun into the same folder removes what it no longer produces (a format or predictions turned
 * off, an old report) and never touches a file leadlab did not write. */
#ifndef LL_CORE_MANIFEST_H
#define LL_CORE_MANIFEST_H

#include <stddef.h>

#include "error.h"

#define LL_MANIFEST_FILE ".outputs"

/* Call after the run's outputs are written: removes every file the previous manifest lists
 * that is not in `written` (n names, plain file names inside `dir`), except the paths in
 * `keep` (n_keep of them, may be NULL entries: the run's own inputs, compared by inode), and
 * temporaries "NAME.tmp.PID" of any listed or written NAME left by an earlier process that
 * died mid-write; then records `written` as the new manifest (atomically). Lines starting
 * with '#' are comments; names with a '/' or starting with '.' are ignored, so an edited manifest cannot reach
 * outside the folder or the store. Returns 0, or -1 with err set. */
int ll_manifest_update(const char *dir, const char *const *written, size_t n,
                       const char *const *keep, size_t n_keep, ll_error *err);

/* The names the manifest in `dir` lists (malloc'd array of malloc'd strings, *n_out of
 * them); an absent manifest is an empty list. NULL only when memory runs out. */
char **ll_manifest_read(const char *dir, size_t *n_out);

#endif
