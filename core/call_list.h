/* leadlab call list: the scored rows of a test file ranked for a sales team (best first), with
 * their decile, and how many of them `predict --top X` keeps. Never prints; see error.h. */
#ifndef LL_CORE_CALL_LIST_H
#define LL_CORE_CALL_LIST_H

#include <stddef.h>

#include "error.h"

/* --top as given, before the test file's row count is known. */
typedef struct {
    const char *text; /* borrowed: the option's value, quoted back in error messages */
    int is_fraction;  /* the text has a '.' or is below 1: a share of the rows */
    double fraction;  /* in (0, 1] when is_fraction */
    size_t count;     /* >= 1 when !is_fraction */
} ll_top_request;

/* Reads --top's value: a fraction of the rows when it contains a '.' or is below 1 (it must
 * then be in (0, 1]), else a whole count of rows (>= 1). Refuses what is wrong whatever the
 * file: not a plain decimal number, 0, negative, a fraction above 1, a count with a fractional
 * part. Returns 0, or -1 with err naming the option and its value. */
int ll_call_list_parse_top(const char *text, ll_top_request *out, ll_error *err);

/* How many of n rows the list keeps: a fraction becomes round(fraction n) half away from zero,
 * at least 1 (ll_top_count in metrics.h); a count must not exceed n. Returns 0 with *m in
 * 1..n, or -1 with err ("--top 5000: the test file has only 120 rows"), also when n = 0. */
int ll_call_list_top_rows(const ll_top_request *top, size_t n, size_t *m, ll_error *err);

/* order[0..n) = the row indices by descending score, ties by input order (the earlier row
 * first), NaN scores ranked as -infinity (last, as ll_metrics_at ranks them). order is the
 * caller's. Returns 0, or -1 with err when out of memory. */
int ll_call_list_order(const double *score, size_t n, size_t *order, ll_error *err);

/* The decile of the row ranked `rank` (1 = best) out of n >= rank: 1 + floor((rank-1) 10 / n),
 * so decile 1 is the best tenth; with n < 10 some deciles have no row. */
size_t ll_call_list_decile(size_t rank, size_t n);

#endif
