/* leadlab small string helpers shared by the core modules. */
#ifndef LL_CORE_TEXT_H
#define LL_CORE_TEXT_H

#include "leadlab/plugin.h"

/* A malloc'd printf result, or NULL when memory runs out. The caller frees it. */
char *ll_format(const char *fmt, ...) LL_PRINTF(1, 2);

/* Strips spaces and tabs at both ends in place; returns the first kept character. */
char *ll_trim(char *s);

#endif
