/* leadlab core error reporting: library code fills one line and returns -1; the CLI prints it. */
#ifndef LL_CORE_ERROR_H
#define LL_CORE_ERROR_H

#include "leadlab/plugin.h"

typedef struct {
    char msg[768];
    int io; /* the failure is the system's (a read or write failed), not the input's */
} ll_error;

/* Formats one line into err (NULL-safe) and returns -1, so callers can `return ll_error_set(...)`. */
int ll_error_set(ll_error *err, const char *fmt, ...) LL_PRINTF(2, 3);
/* The same for a failed read or write (disk full, I/O error): the CLI exits 3 for these. */
int ll_error_io(ll_error *err, const char *fmt, ...) LL_PRINTF(2, 3);

#endif
