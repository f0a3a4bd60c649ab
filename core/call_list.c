/* leadlab call list (see call_list.h): ranking scored rows best first, deciles, and what
 * `--top X` means for a file of n rows. */
#include "call_list.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "text.h"

int ll_call_list_parse_top(const char *text, ll_top_request *out, ll_error *err)
{
    memset(out, 0, sizeof *out);
    out->text = text;
    /* ll_is_decimal, not strtod alone: "0x10", "inf" and "nan" are no row counts. */
    if (!ll_is_decimal(text))
        return ll_error_set(err, "--top %s: expected a count of rows (e.g. 500) or a fraction "
                                 "of them (e.g. 0.1)", text);
    double v = strtod(text, NULL);
    if (!(v > 0.0))
        return ll_error_set(err, "--top %s: expected a count of rows >= 1 or a fraction in "
                                 "(0, 1]", text);
    if (strchr(text, '.') || v < 1.0) {
        if (v > 1.0)
            return ll_error_set(err, "--top %s: a fraction of the rows must be in (0, 1] (a "
                                     "count of rows has no '.')", text);
        out->is_fraction = 1;
        out->fraction = v;
        return 0;
    }
    if (v != floor(v))
        return ll_error_set(err, "--top %s: a count of rows must be a whole number", text);
    /* Beyond any file's rows: keep it saturated so the row check refuses it, quoting the text. */
    out->count = v >= 0x1p53 ? SIZE_MAX : (size_t)v;
    return 0;
}

int ll_call_list_top_rows(const ll_top_request *top, size_t n, size_t *m, ll_error *err)
{
    if (n == 0)
        return ll_error_set(err, "--top %s: the test file has no rows", top->text);
    if (top->is_fraction) {
        *m = ll_top_count(n, top->fraction);
        return 0;
    }
    if (top->count > n)
        return ll_error_set(err, "--top %s: the test file has only %zu row%s", top->text, n,
                            n == 1 ? "" : "s");
    *m = top->count;
    return 0;
}

int ll_call_list_order(const double *score, size_t n, size_t *order, ll_error *err)
{
    if (ll_rank_rows(score, n, 0, order) != 0)
        return ll_error_set(err, "out of memory ranking %zu rows", n);
    return 0;
}

size_t ll_call_list_decile(size_t rank, size_t n)
{
    return 1 + (rank - 1) * 10 / n;
}
