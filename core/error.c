/* leadlab core error reporting (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int ll_error_set(ll_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->io = 0;
    }
    return -1;
}

int ll_error_io(ll_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->io = 1;
    }
    return -1;
}
