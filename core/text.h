/* leadlab small string helpers shared by the core modules. */
#ifndef LL_CORE_TEXT_H
#define LL_CORE_TEXT_H

#include <stdint.h>

#include "leadlab/plugin.h"

/* A malloc'd printf result, or NULL when memory runs out. The caller frees it. */
char *ll_format(const char *fmt, ...) LL_PRINTF(1, 2);

/* Strips spaces and tabs at both ends in place; returns the first kept character. */
char *ll_trim(char *s);

/* FNV-1a over s, continuing from h (start from LL_HASH_INIT): stable across runs and
 * machines, for seeds derived from names. */
#define LL_HASH_INIT 0xcbf29ce484222325ull
uint64_t ll_hash_text(uint64_t h, const char *s);

/* Whether s is a plain decimal number: [+-] digits [. digits] [e [+-] digits], at least one
 * digit. strtod also reads hex ("0x10"), hex floats, "inf" and "nan", which leadlab's documented
 * number format excludes. */
int ll_is_decimal(const char *s);

/* Whether two of the n names are equal, in O(n log n) (headers may have 100,000 columns):
 * returns 1 with *first < *second the pair whose second occurrence comes earliest, 0 when all
 * differ, -1 when out of memory. */
int ll_find_duplicate(char *const *names, size_t n, size_t *first, size_t *second);

/* Whether word is one of the '|'-separated words of list, compared whole: "a|b" matches "a"
 * and "b", never "a|b" or "". */
int ll_word_in_list(const char *word, const char *list);

/* The shortest text that reads back as exactly v: a plain decimal when |v| is in [1e-4, 1e15)
 * ("10", "0.1", not "1e+01" or "0.10000000000000001"), else %g's form ("1e-07"). */
void ll_shortest_number(char *buf, size_t cap, double v);

#endif
