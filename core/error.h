/* leadlab core error reporting: library code fills one line and returns -1; the CLI prints it. */
#ifndef LL_CORE_ERROR_H
#define LL_CORE_ERROR_H

#include "leadlab/plugin.h"

typedef struct {
    char msg[768];
} ll_error;

/* Formats one line into err (NULL-safe) and returns -1, so callers can `return ll_error_set(...)`. */
int ll_error_set(ll_error *err, const char *fmt, ...) LL_PRINTF(2, 3);

#endif
