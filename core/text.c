/* leadlab small string helpers (see text.h). */
#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ll_format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

char *ll_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

uint64_t ll_hash_text(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h;
}

int ll_is_decimal(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    size_t digits = 0;
    while (*s >= '0' && *s <= '9')
        s++, digits++;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9')
            s++, digits++;
    }
    if (!digits)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

typedef struct {
    const char *name;
    size_t index;
} named_index;

static int by_name_then_index(const void *a, const void *b)
{
    const named_index *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

int ll_find_duplicate(char *const *names, size_t n, size_t *first, size_t *second)
{
    named_index *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return -1;
    for (size_t i = 0; i < n; i++)
        sorted[i] = (named_index){names[i], i};
    qsort(sorted, n, sizeof *sorted, by_name_then_index);
    int found = 0;
    for (size_t i = 1; i < n; i++)
        if (!strcmp(sorted[i].name, sorted[i - 1].name) && (!found || sorted[i].index < *second)) {
            *first = sorted[i - 1].index;
            *second = sorted[i].index;
            found = 1;
        }
    free(sorted);
    return found;
}

int ll_word_in_list(const char *word, const char *list)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0)
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

void ll_shortest_number(char *buf, size_t cap, double v)
{
    /* Plain decimals where they are exact and short enough to read ("10", "0.25", not
     * "1e+01"): these texts become feature names people read. */
    if (isfinite(v) && fabs(v) < 1e15 && (v == 0.0 || fabs(v) >= 1e-4))
        for (int decimals = 0; decimals <= 17; decimals++) {
            snprintf(buf, cap, "%.*f", decimals, v);
            if (strtod(buf, NULL) == v)
                return;
        }
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, cap, "%.*g", precision, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}
