/* leadlab metrics (see metrics.h): threshold and ranking metrics of one fold, best-F1 cut,
 * and the fold statistics behind the leaderboard, including Student's t tail probabilities. */
#include "metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- rows ranked by score ---------------------------------------------------------------- */

typedef struct {
    double score; /* NaN replaced by -inf, so that every score compares */
    size_t row;
} scored_row;

/* a before b: higher score first, then lower row index (keeps the order deterministic). */
static int ranks_before(const scored_row *a, const scored_row *b)
{
    return a->score > b->score || (a->score == b->score && a->row < b->row);
}

/* Rows by decreasing score: a bottom-up merge sort, O(n log n) and stable. NULL when out of
 * memory or n = 0; the caller frees. */
static scored_row *rank_by_score(const double *score, size_t n)
{
    if (n == 0)
        return NULL;
    scored_row *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    if (!a || !b) {
        free(a);
        free(b);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        a[i] = (scored_row){isnan(score[i]) ? -INFINITY : score[i], i};
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = mid + width < n ? mid + width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                b[k++] = ranks_before(&a[j], &a[i]) ? a[j++] : a[i++];
            while (i < mid)
                b[k++] = a[i++];
            while (j < hi)
                b[k++] = a[j++];
        }
        scored_row *t = a;
        a = b;
        b = t;
    }
    free(b);
    return a;
}

/* The run of rows tied with ranked[start]: returns its end and counts its two classes. */
static size_t tie_group(const scored_row *ranked, const uint8_t *y, size_t n, size_t start,
                        size_t *pos, size_t *neg)
{
    size_t end = start;
    *pos = *neg = 0;
    for (; end < n && ranked[end].score == ranked[start].score; end++) {
        if (y[ranked[end].row])
            ++*pos;
        else
            ++*neg;
    }
    return end;
}

static size_t count_positive(const uint8_t *y, size_t n)
{
    size_t n_pos = 0;
    for (size_t i = 0; i < n; i++)
        n_pos += y[i] != 0;
    return n_pos;
}

/* ---- one fold's metrics ------------------------------------------------------------------ */

static double ratio_or_zero(double num, double den) { return den > 0 ? num / den : 0.0; }

static void threshold_metrics(const ll_confusion *cm, ll_metrics *out)
{
    double tp = (double)cm->tp, fp = (double)cm->fp, tn = (double)cm->tn, fn = (double)cm->fn;
    double pos = tp + fn, neg = tn + fp, n = pos + neg;
    out->precision = ratio_or_zero(tp, tp + fp);
    out->recall = ratio_or_zero(tp, pos);
    out->f1 = ratio_or_zero(2.0 * tp, 2.0 * tp + fp + fn);
    double mcc_den = (tp + fp) * pos * neg * (tn + fn);
    out->mcc = mcc_den > 0 ? (tp * tn - fp * fn) / sqrt(mcc_den) : 0.0;
    out->accuracy = n > 0 ? (tp + tn) / n : NAN;
    /* scikit-learn averages the recall of the classes present in y only */
    int classes = (pos > 0) + (neg > 0);
    out->balanced_accuracy =
        classes ? (ratio_or_zero(tp, pos) + ratio_or_zero(tn, neg)) / classes : NAN;
}

/* ROC-AUC counts, over (positive, negative) pairs, 1 per correctly ordered pair and 1/2 per
 * tie; walking down the ranking, a group's negatives are beaten by every positive above the
 * group and tied with the group's positives. Average precision adds, per group holding
 * positives, its recall gain times the precision at its cut. */
static int ranking_metrics(const uint8_t *y, const double *score, size_t n, size_t n_pos,
                           ll_metrics *out)
{
    out->roc_auc = out->pr_auc = NAN;
    size_t n_neg = n - n_pos;
    if (n_pos == 0 || n_neg == 0)
        return 0;
    scored_row *ranked = rank_by_score(score, n);
    if (!ranked)
        return -1;
    double pairs_won = 0.0, precision_sum = 0.0;
    size_t tp = 0, fp = 0;
    for (size_t start = 0; start < n;) {
        size_t gp, gn;
        start = tie_group(ranked, y, n, start, &gp, &gn);
        pairs_won += (double)gn * ((double)tp + 0.5 * (double)gp);
        tp += gp;
        fp += gn;
        if (gp)
            precision_sum += (double)gp * (double)tp / (double)(tp + fp);
    }
    free(ranked);
    out->roc_auc = pairs_won / ((double)n_pos * (double)n_neg);
    out->pr_auc = precision_sum / (double)n_pos;
    return 0;
}

int ll_metrics_compute(const uint8_t *y, const double *score, size_t n, double threshold,
                       ll_metrics *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        int predicted = score[i] >= threshold;
        if (y[i])
            predicted ? out->cm.tp++ : out->cm.fn++;
        else
            predicted ? out->cm.fp++ : out->cm.tn++;
    }
    threshold_metrics(&out->cm, out);
    return ranking_metrics(y, score, n, out->cm.tp + out->cm.fn, out);
}

/* A cut strictly between two distinct scores hi > lo, so that new rows falling between them are
 * split evenly; hi itself when no double lies strictly between or lo is -inf. */
static double cut_between(double hi, double lo)
{
    if (lo == -INFINITY)
        return hi;
    double mid = hi / 2 + lo / 2; /* halves first: no overflow */
    return mid > lo && mid <= hi ? mid : hi;
}

int ll_best_f1_threshold(const uint8_t *y, const double *score, size_t n, double *threshold,
                         double *f1)
{
    *threshold = INFINITY;
    *f1 = 0.0;
    size_t n_pos = count_positive(y, n);
    if (n_pos == 0)
        return 0;
    scored_row *ranked = rank_by_score(score, n);
    if (!ranked)
        return -1;
    /* The cut below group g predicts every row down to g positive: F1 = 2tp / (tp + fp + P).
     * ">=" keeps the lowest of equally good cuts. */
    double best = -1.0;
    size_t best_start = 0, best_end = 0, tp = 0, fp = 0;
    for (size_t start = 0; start < n;) {
        size_t gp, gn, end = tie_group(ranked, y, n, start, &gp, &gn);
        tp += gp;
        fp += gn;
        double f = 2.0 * (double)tp / (double)(tp + fp + n_pos);
        if (f >= best) {
            best = f;
            best_start = start;
            best_end = end;
        }
        start = end;
    }
    double cut = ranked[best_start].score;
    *threshold = best_end < n ? cut_between(cut, ranked[best_end].score) : cut;
    *f1 = best;
    free(ranked);
    return 0;
}

/* ---- statistics over folds --------------------------------------------------------------- */

size_t ll_mean_sd(const double *v, size_t n, double *mean, double *sd)
{
    size_t used = 0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) {
            sum += v[i];
            used++;
        }
    *mean = used ? sum / (double)used : NAN;
    *sd = 0.0;
    if (used < 2)
        return used;
    double ss = 0.0; /* second pass about the mean: no cancellation */
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            ss += (v[i] - *mean) * (v[i] - *mean);
    *sd = sqrt(ss / (double)(used - 1));
    return used;
}

/* Continued fraction of the regularised incomplete beta function I_x(a, b) (the expansion of
 * Abramowitz & Stegun 26.5.8), evaluated by the modified Lentz method. It converges fast for
 * x < (a + 1) / (a + b + 2); the caller uses the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) above. */
static double beta_continued_fraction(double a, double b, double x)
{
    const double tiny = 1e-300;
    const int max_terms = 1000;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    d = 1.0 / (fabs(d) < tiny ? tiny : d);
    double h = d;
    for (int m = 1; m <= max_terms; m++) {
        double m2 = 2.0 * m;
        /* even term d_{2m}, then odd term d_{2m+1} */
        double coef[2] = {m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)),
                          -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))};
        double delta = 1.0;
        for (int k = 0; k < 2; k++) {
            d = 1.0 + coef[k] * d;
            d = 1.0 / (fabs(d) < tiny ? tiny : d);
            c = 1.0 + coef[k] / c;
            c = fabs(c) < tiny ? tiny : c;
            delta = d * c;
            h *= delta;
        }
        if (fabs(delta - 1.0) < 4.0 * DBL_EPSILON)
            break;
    }
    return h;
}

/* I_x(a, b), with 1 - x passed separately so that x near 1 keeps its precision. */
static double incomplete_beta(double a, double b, double x, double one_minus_x)
{
    if (x <= 0.0)
        return 0.0;
    if (one_minus_x <= 0.0)
        return 1.0;
    double log_front =
        lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(one_minus_x);
    double front = exp(log_front);
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_continued_fraction(a, b, x) / a;
    return 1.0 - front * beta_continued_fraction(b, a, one_minus_x) / b;
}

/* P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2 for t >= 0, by symmetry for t < 0. */
double ll_student_t_sf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    double t2 = t * t;
    double upper_tail = isinf(t2) ? 0.0
                                  : 0.5 * incomplete_beta(0.5 * df, 0.5, df / (df + t2),
                                                          t2 / (df + t2));
    return t >= 0 ? upper_tail : 1.0 - upper_tail;
}

double ll_welch_ttest_p(const double *a, size_t n_a, const double *b, size_t n_b, double *t_out)
{
    double mean_a, sd_a, mean_b, sd_b;
    size_t ka = ll_mean_sd(a, n_a, &mean_a, &sd_a), kb = ll_mean_sd(b, n_b, &mean_b, &sd_b);
    double t = NAN, p = NAN;
    if (ka >= 2 && kb >= 2) {
        double va = sd_a * sd_a / (double)ka, vb = sd_b * sd_b / (double)kb;
        double diff = mean_a - mean_b;
        if (va + vb == 0.0) {
            t = diff == 0.0 ? 0.0 : copysign(INFINITY, diff);
            p = diff == 0.0 ? 1.0 : 0.0;
        } else {
            t = diff / sqrt(va + vb);
            double df = (va + vb) * (va + vb) /
                        (va * va / (double)(ka - 1) + vb * vb / (double)(kb - 1));
            p = 2.0 * ll_student_t_sf(fabs(t), df);
        }
    }
    if (t_out)
        *t_out = t;
    return p;
}

double ll_corrected_ttest_p(const double *a, const double *b, size_t n, double test_train_ratio,
                            double *t_out)
{
    size_t used = 0;
    double sum = 0.0;
    for (size_t j = 0; j < n; j++)
        if (!isnan(a[j]) && !isnan(b[j])) {
            sum += a[j] - b[j];
            used++;
        }
    double t = NAN, p = NAN;
    if (used >= 2) {
        double mean = sum / (double)used, ss = 0.0;
        for (size_t j = 0; j < n; j++)
            if (!isnan(a[j]) && !isnan(b[j]))
                ss += (a[j] - b[j] - mean) * (a[j] - b[j] - mean);
        double var = ss / (double)(used - 1);
        if (var == 0.0) {
            t = mean == 0.0 ? 0.0 : copysign(INFINITY, mean);
            p = mean == 0.0 ? 1.0 : 0.0;
        } else {
            t = mean / sqrt((1.0 / (double)used + test_train_ratio) * var);
            p = 2.0 * ll_student_t_sf(fabs(t), (double)(used - 1));
        }
    }
    if (t_out)
        *t_out = t;
    return p;
}

int ll_rank_rows(const double *score, size_t n, int ascending, size_t *order)
{
    if (n == 0)
        return 0;
    const double *by = score;
    double *negated = NULL;
    if (ascending) { /* negated scores keep ties in ascending row order */
        if (!(negated = malloc(n * sizeof *negated)))
            return -1;
        for (size_t i = 0; i < n; i++)
            negated[i] = isnan(score[i]) ? NAN : -score[i];
        by = negated;
    }
    scored_row *ranked = rank_by_score(by, n);
    free(negated);
    if (!ranked)
        return -1;
    for (size_t i = 0; i < n; i++)
        order[i] = ranked[i].row;
    free(ranked);
    return 0;
}

/* ---- the top k of a fold ----------------------------------------------------------------- */

size_t ll_top_count(size_t n, double k)
{
    if (n == 0)
        return 0;
    double m = floor(k * (double)n + 0.5); /* k n >= 0: half away from zero */
    if (!(m >= 1.0))
        return 1;
    return m >= (double)n ? n : (size_t)m;
}

int ll_metrics_at(const uint8_t *y, const double *score, size_t n, double k, ll_at_k *out)
{
    out->precision = out->recall = out->lift = NAN;
    if (n == 0)
        return 0;
    scored_row *ranked = rank_by_score(score, n);
    if (!ranked)
        return -1;
    size_t m = ll_top_count(n, k), hits = 0, n_pos = count_positive(y, n);
    for (size_t i = 0; i < m; i++)
        hits += y[ranked[i].row] != 0;
    free(ranked);
    out->precision = (double)hits / (double)m;
    if (n_pos) {
        out->recall = (double)hits / (double)n_pos;
        out->lift = out->precision / ((double)n_pos / (double)n);
    }
    return 0;
}

/* ---- probabilities ----------------------------------------------------------------------- */

double ll_brier(const uint8_t *y, const double *p, size_t n)
{
    if (n == 0)
        return NAN;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = p[i] - (y[i] ? 1.0 : 0.0);
        sum += d * d;
    }
    return sum / (double)n;
}

double ll_log_loss(const uint8_t *y, const double *p, size_t n)
{
    if (n == 0)
        return NAN;
    const double eps = 1e-15;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double q = fmin(fmax(p[i], eps), 1.0 - eps);
        sum -= y[i] ? log(q) : log1p(-q);
    }
    return sum / (double)n;
}

double ll_ece(const uint8_t *y, const double *p, size_t n, size_t bins, int *failed)
{
    if (failed)
        *failed = 0;
    if (n == 0 || bins == 0)
        return NAN;
    size_t *order = malloc(n * sizeof *order);
    if (!order || ll_rank_rows(p, n, 1, order) != 0) {
        free(order);
        if (failed)
            *failed = 1;
        return -1.0;
    }
    if (bins > n)
        bins = n;
    double ece = 0.0;
    size_t start = 0, base = n / bins, extra = n % bins;
    for (size_t b = 0; b < bins; b++) {
        size_t size = base + (b < extra), end = start + size;
        double sum_y = 0.0, sum_p = 0.0;
        for (size_t i = start; i < end; i++) {
            sum_y += y[order[i]] != 0;
            sum_p += p[order[i]];
        }
        ece += fabs(sum_y - sum_p) / (double)n; /* (size / n) |mean y - mean p| */
        start = end;
    }
    free(order);
    return ece;
}

int ll_score_metrics(const ll_at_metric *at, size_t n_at, const uint8_t *y, const double *p,
                     size_t n, double *out)
{
    int failed = 0;
    out[0] = ll_brier(y, p, n);
    out[1] = ll_log_loss(y, p, n);
    out[2] = ll_ece(y, p, n, 10, &failed);
    for (size_t i = 0; i < n_at && !failed; i++) {
        ll_at_k v;
        if (ll_metrics_at(y, p, n, at[i].k, &v) != 0)
            return -1;
        out[3 + i] = at[i].kind == LL_AT_RECALL      ? v.recall
                     : at[i].kind == LL_AT_PRECISION ? v.precision
                                                     : v.lift;
    }
    return failed ? -1 : 0;
}
