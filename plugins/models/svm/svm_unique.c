/* Identical-row collapsing for the SVM solvers (see svm_unique.h): a stable merge sort of row
 * indices by (label, features), then one pass merging equal neighbours. */
#include "svm_unique.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const double *x;
    const uint8_t *y;
    size_t d;
} row_order;

/* -1 / 0 / +1 ordering rows by label, then features (NaN-free input). */
static int compare_rows(const row_order *o, size_t a, size_t b)
{
    int ya = o->y[a] != 0, yb = o->y[b] != 0;
    if (ya != yb)
        return ya < yb ? -1 : 1;
    const double *xa = o->x + a * o->d, *xb = o->x + b * o->d;
    for (size_t f = 0; f < o->d; f++) {
        if (xa[f] < xb[f])
            return -1;
        if (xa[f] > xb[f])
            return 1;
    }
    return 0;
}

/* Bottom-up merge sort of idx[0, n) with scratch tmp[n]; stable, so the output is deterministic. */
static void sort_rows(const row_order *o, size_t *idx, size_t *tmp, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = compare_rows(o, idx[b], idx[a]) < 0 ? idx[b++] : idx[a++];
            while (a < mid)
                tmp[k++] = idx[a++];
            while (b < hi)
                tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

void ll_svm_unique_free(ll_svm_unique *u)
{
    free(u->x);
    free(u->y);
    free(u->count);
    memset(u, 0, sizeof *u);
}

int ll_svm_unique_rows(const double *x, const uint8_t *y, size_t d, const size_t *rows, size_t n,
                       ll_svm_unique *out)
{
    memset(out, 0, sizeof *out);
    size_t m = n ? n : 1;
    size_t *idx = malloc(m * sizeof *idx);
    size_t *tmp = malloc(m * sizeof *tmp);
    out->x = malloc(m * (d ? d : 1) * sizeof *out->x);
    out->y = malloc(m * sizeof *out->y);
    out->count = malloc(m * sizeof *out->count);
    if (!idx || !tmp || !out->x || !out->y || !out->count) {
        free(idx);
        free(tmp);
        ll_svm_unique_free(out);
        return -1;
    }
    for (size_t r = 0; r < n; r++)
        idx[r] = rows ? rows[r] : r;
    row_order order = {x, y, d};
    sort_rows(&order, idx, tmp, n);
    size_t u = 0;
    for (size_t r = 0; r < n; r++) {
        if (u > 0 && compare_rows(&order, idx[r - 1], idx[r]) == 0) {
            out->count[u - 1] += 1.0;
            continue;
        }
        memcpy(out->x + u * d, x + idx[r] * d, d * sizeof *out->x);
        out->y[u] = y[idx[r]] != 0;
        out->count[u] = 1.0;
        u++;
    }
    free(idx);
    free(tmp);
    out->n = u;
    out->d = d;
    return 0;
}
