/* leadlab curves (see curves.h). */
#include "curves.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double score;
    uint8_t y;
} scored;

static int higher_first(const void *a, const void *b)
{
    double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return x > y ? -1 : x < y;
}

void ll_curve_free(ll_curve *c)
{
    free(c->threshold);
    free(c->tp);
    free(c->fp);
    memset(c, 0, sizeof *c);
}

int ll_curve_build(const uint8_t *y, const double *score, size_t n, ll_curve *out)
{
    memset(out, 0, sizeof *out);
    scored *rows = malloc((n ? n : 1) * sizeof *rows);
    if (!rows)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (score[i] >= 0.0) { /* false for NaN too */
            rows[m].score = score[i];
            rows[m++].y = y[i] != 0;
        }
    qsort(rows, m, sizeof *rows, higher_first);
    size_t distinct = 0;
    for (size_t i = 0; i < m; i++)
        distinct += i == 0 || rows[i].score != rows[i - 1].score;
    out->threshold = malloc((distinct ? distinct : 1) * sizeof *out->threshold);
    out->tp = malloc((distinct ? distinct : 1) * sizeof *out->tp);
    out->fp = malloc((distinct ? distinct : 1) * sizeof *out->fp);
    if (!out->threshold || !out->tp || !out->fp) {
        free(rows);
        ll_curve_free(out);
        return -1;
    }
    size_t tp = 0, fp = 0;
    for (size_t i = 0; i < m; i++) {
        tp += rows[i].y;
        fp += !rows[i].y;
        /* a point once every row of this score is in: ties enter together */
        if (i + 1 == m || rows[i + 1].score != rows[i].score) {
            out->threshold[out->n] = rows[i].score;
            out->tp[out->n] = tp;
            out->fp[out->n++] = fp;
        }
    }
    out->positives = tp;
    out->negatives = fp;
    free(rows);
    return 0;
}

double ll_curve_precision(const ll_curve *c, size_t k)
{
    size_t predicted = c->tp[k] + c->fp[k];
    return predicted ? (double)c->tp[k] / (double)predicted : 0.0;
}

double ll_curve_recall(const ll_curve *c, size_t k)
{
    return c->positives ? (double)c->tp[k] / (double)c->positives : 0.0;
}

double ll_curve_fpr(const ll_curve *c, size_t k)
{
    return c->negatives ? (double)c->fp[k] / (double)c->negatives : 0.0;
}

double ll_curve_f1(const ll_curve *c, size_t k)
{
    size_t fn = c->positives - c->tp[k];
    size_t denominator = 2 * c->tp[k] + c->fp[k] + fn;
    return denominator ? 2.0 * (double)c->tp[k] / (double)denominator : 0.0;
}

double ll_curve_average_precision(const ll_curve *c)
{
    if (!c->positives || !c->negatives)
        return NAN;
    double ap = 0.0, previous_recall = 0.0;
    for (size_t k = 0; k < c->n; k++) {
        double r = ll_curve_recall(c, k);
        ap += (r - previous_recall) * ll_curve_precision(c, k);
        previous_recall = r;
    }
    return ap;
}

double ll_curve_roc_auc(const ll_curve *c)
{
    if (!c->positives || !c->negatives)
        return NAN;
    /* In counts, then scaled once: the trapezoids of tied rows give the 1/2 of Mann-Whitney. */
    double area = 0.0;
    size_t tp = 0, fp = 0;
    for (size_t k = 0; k < c->n; k++) {
        area += (double)(c->fp[k] - fp) * (double)(c->tp[k] + tp) / 2.0;
        tp = c->tp[k];
        fp = c->fp[k];
    }
    return area / ((double)c->positives * (double)c->negatives);
}
