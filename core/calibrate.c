/* leadlab probability calibration: isotonic (pool adjacent violators) and Platt sigmoid fits
 * that reproduce scikit-learn 1.2.1's CalibratedClassifierCV, their application and their bytes. */
#include "calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *ll_calibration_name(int method)
{
    switch (method) {
    case LL_CALIBRATE_NONE:
        return "none";
    case LL_CALIBRATE_ISOTONIC:
        return "isotonic";
    case LL_CALIBRATE_SIGMOID:
        return "sigmoid";
    default:
        return "unknown"; /* never NULL, so a caller can print it unchecked */
    }
}

int ll_calibration_parse(const char *name)
{
    if (!name)
        return -1;
    for (int m = LL_CALIBRATE_NONE; m <= LL_CALIBRATE_SIGMOID; m++)
        if (strcmp(name, ll_calibration_name(m)) == 0)
            return m;
    return -1;
}

void ll_calibrator_free(ll_calibrator *c)
{
    if (!c)
        return;
    free(c->x);
    free(c->y);
    *c = (ll_calibrator){0};
}

/* ---- isotonic ------------------------------------------------------------------------------ */

typedef struct {
    double s;
    uint8_t y;
} scored_row;

/* Stable bottom-up merge sort by score; O(n log n) whatever the input order (qsort promises
 * neither). Ties keep their order, although the result does not depend on it: tied rows are
 * pooled into counts of 0/1 labels, which add up exactly in any order. Returns the sorted array,
 * which is either a or tmp. */
static scored_row *sort_rows(scored_row *a, scored_row *tmp, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = width < n - lo ? lo + width : n;
            size_t hi = 2 * width < n - lo ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = a[j].s < a[i].s ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        scored_row *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* np.finfo(np.float64).resolution: sklearn's _make_unique starts a new point only when a score
 * exceeds the first of the current group by at least this much (an absolute distance), so
 * scores within it of that first one are pooled as ties. */
static const double UNIQUE_EPS = 1e-15;

/* A run of pooled points: its row and positive counts, and its first point. */
typedef struct {
    size_t w, pos, first;
} pav_block;

static double block_mean(const pav_block *b) { return (double)b->pos / (double)b->w; }

static ll_status fit_isotonic(const double *score, const uint8_t *y, size_t n, ll_calibrator *out,
                              ll_err *err)
{
    scored_row *rows = malloc(n * sizeof *rows), *tmp = malloc(n * sizeof *tmp);
    double *gx = NULL;
    pav_block *blocks = NULL;
    if (!rows || !tmp)
        goto oom;
    for (size_t i = 0; i < n; i++)
        rows[i] = (scored_row){score[i], y[i]};
    scored_row *sorted = sort_rows(rows, tmp, n);
    gx = malloc(n * sizeof *gx);
    blocks = malloc(n * sizeof *blocks);
    if (!gx || !blocks)
        goto oom;

    /* One point per distinct score (sklearn's _make_unique), then pool adjacent violators with
     * the points' row counts as weights, in one pass over a stack of blocks; each point is
     * pushed once and merged away at most once, so O(n). A block merges into the one before it
     * when that one's mean is >= its own (sklearn pools on >= too), so the surviving blocks have
     * strictly increasing means, and each is one constant run of the fitted values. Means are
     * exact counts divided once: equal fractions give equal doubles. Blocks live in the same
     * array as the points (block k <= point g always), overwriting only points already read. */
    size_t n_points = 0, n_blocks = 0;
    for (size_t i = 0; i < n; i++) {
        if (n_points == 0 || sorted[i].s - gx[n_points - 1] >= UNIQUE_EPS) {
            gx[n_points] = sorted[i].s;
            blocks[n_points] = (pav_block){0, 0, n_points};
            n_points++;
        }
        blocks[n_points - 1].w++;
        blocks[n_points - 1].pos += sorted[i].y;
    }
    free(rows);
    free(tmp);
    rows = tmp = NULL;
    for (size_t g = 0; g < n_points; g++) {
        blocks[n_blocks++] = blocks[g];
        while (n_blocks > 1 &&
               block_mean(&blocks[n_blocks - 2]) >= block_mean(&blocks[n_blocks - 1])) {
            blocks[n_blocks - 2].w += blocks[n_blocks - 1].w;
            blocks[n_blocks - 2].pos += blocks[n_blocks - 1].pos;
            n_blocks--;
        }
    }

    /* sklearn's keep_data trimming: of each constant run only its first and last point are
     * knots, which interpolate to the same values as all of them. */
    size_t n_knots = 0;
    for (size_t k = 0; k < n_blocks; k++) {
        size_t last = k + 1 < n_blocks ? blocks[k + 1].first - 1 : n_points - 1;
        n_knots += last > blocks[k].first ? 2 : 1;
    }
    out->x = malloc(n_knots * sizeof *out->x);
    out->y = malloc(n_knots * sizeof *out->y);
    if (!out->x || !out->y)
        goto oom;
    size_t j = 0;
    for (size_t k = 0; k < n_blocks; k++) {
        size_t first = blocks[k].first;
        size_t last = k + 1 < n_blocks ? blocks[k + 1].first - 1 : n_points - 1;
        double mean = block_mean(&blocks[k]);
        out->x[j] = gx[first];
        out->y[j++] = mean;
        if (last > first) {
            out->x[j] = gx[last];
            out->y[j++] = mean;
        }
    }
    free(gx);
    free(blocks);
    out->n_points = n_knots;
    out->method = LL_CALIBRATE_ISOTONIC;
    return LL_OK;

oom:
    free(rows);
    free(tmp);
    free(gx);
    free(blocks);
    ll_calibrator_free(out);
    return ll_fail(err, LL_ENOMEM, "out of memory calibrating on %zu rows", n);
}

/* np.interp between the knots, clamped to the end values outside them (sklearn's
 * out_of_bounds="clip"). The value is also clamped to the segment's two ends, which only ever
 * moves it by a rounding error and makes the whole map non-decreasing and inside [0, 1]. */
static double isotonic_at(const ll_calibrator *c, double t)
{
    const double *x = c->x, *y = c->y;
    size_t last = c->n_points - 1;
    if (isnan(t))
        return t;
    if (last == 0 || t <= x[0])
        return y[0];
    if (t >= x[last])
        return y[last];
    size_t lo = 0, hi = last; /* x[lo] <= t < x[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    if (t == x[lo])
        return y[lo];
    double dx = x[hi] - x[lo], v;
    if (isfinite(dx)) {
        v = (y[hi] - y[lo]) / dx * (t - x[lo]) + y[lo];
    } else { /* knots more than DBL_MAX apart: halve everything so the differences fit */
        double frac = (0.5 * t - 0.5 * x[lo]) / (0.5 * x[hi] - 0.5 * x[lo]);
        v = y[lo] + frac * (y[hi] - y[lo]);
    }
    return v < y[lo] ? y[lo] : v > y[hi] ? y[hi] : v;
}

/* ---- sigmoid ------------------------------------------------------------------------------- */

/* Lin, Lin and Weng's limits: at most 100 Newton steps, line-search steps down to 1e-10, and the
 * Armijo constant 1e-4. */
enum { PLATT_MAX_ITER = 100 };
static const double PLATT_MIN_STEP = 1e-10;
static const double PLATT_ARMIJO = 1e-4;
/* Converged when a full Newton step moves no row's logit a * s + b by more than this: far
 * tighter than sklearn's fmin_bfgs (gtol 1e-5 on the gradient), well above rounding. */
static const double PLATT_STEP_TOL = 1e-10;
/* When no step shorter than PLATT_MIN_STEP lowers the loss, rounding has the last word; the point
 * counts as the optimum if the Newton step left is this small (relative to the logits). */
static const double PLATT_STALL_TOL = 1e-6;

typedef struct {
    const double *s;
    const uint8_t *y;
    size_t n;
    double t_pos, t_neg; /* Platt's smoothed targets */
    double s_max;        /* max |s| */
    int constant;        /* every score equals s[0] */
} platt_problem;

/* The log loss of p = 1 / (1 + exp(z)), z = a s + b, against the targets, written so that no
 * exp overflows (Lin et al.'s form). */
static double platt_loss(const platt_problem *pp, double a, double b)
{
    double f = 0.0;
    for (size_t i = 0; i < pp->n; i++) {
        double z = a * pp->s[i] + b, t = pp->y[i] ? pp->t_pos : pp->t_neg;
        f += z >= 0.0 ? t * z + log1p(exp(-z)) : (t - 1.0) * z + log1p(exp(z));
    }
    return f;
}

/* The Newton step (*da, *db) at (a, b) and the loss gradient along it. With W = sum p(1-p) and m
 * the p(1-p)-weighted mean score, the 2x2 system solves as da = -sum (s - m)(t - p) / S,
 * S = sum p(1-p) (s - m)^2, db = -sum (t - p) / W - m da: centring keeps the direction exact
 * when the scores barely spread (Lin et al.'s determinant with a 1e-12 ridge loses it to
 * rounding there). With every score equal to c the Hessian has rank one, and the step is its
 * minimum-norm solution, along (c, 1): the path stays on the line through the start that
 * gradient methods (sklearn's BFGS) follow, and ends at the start's projection onto the optimal
 * line a c + b = const. Returns 0, or -1 when the step is not finite. */
static int platt_newton_step(const platt_problem *pp, double a, double b, double *d1, double *d2,
                             double *da, double *db, double *slope)
{
    double w = 0.0, ws = 0.0, g_a = 0.0, g_b = 0.0;
    for (size_t i = 0; i < pp->n; i++) {
        double z = a * pp->s[i] + b, p, q;
        if (z >= 0.0) {
            double e = exp(-z);
            p = e / (1.0 + e);
            q = 1.0 / (1.0 + e);
        } else {
            double e = exp(z);
            p = 1.0 / (1.0 + e);
            q = e / (1.0 + e);
        }
        d2[i] = p * q;
        d1[i] = (pp->y[i] ? pp->t_pos : pp->t_neg) - p;
        w += d2[i];
        ws += d2[i] * pp->s[i];
        g_a += pp->s[i] * d1[i];
        g_b += d1[i];
    }
    if (!(w > 0.0))
        return -1; /* every probability saturated */
    if (pp->constant) {
        /* c / (1 + c^2) and 1 / (1 + c^2) without overflowing c^2 */
        double c = pp->s[0], ic = fabs(c) > 1.0 ? 1.0 / c : 0.0;
        double along_a = fabs(c) > 1.0 ? 1.0 / (c + ic) : c / (1.0 + c * c);
        double along_b = fabs(c) > 1.0 ? ic / (c + ic) : 1.0 / (1.0 + c * c);
        double r = -g_b / w;
        *da = r * along_a;
        *db = r * along_b;
    } else {
        double m = ws / w, spread = 0.0, g_c = 0.0;
        for (size_t i = 0; i < pp->n; i++) {
            double dev = pp->s[i] - m;
            spread += d2[i] * dev * dev;
            g_c += dev * d1[i];
        }
        if (!(spread > 0.0) || !isfinite(spread))
            return -1;
        *da = -g_c / spread;
        *db = -g_b / w - m * *da;
    }
    *slope = g_a * *da + g_b * *db;
    return isfinite(*da) && isfinite(*db) && isfinite(*slope) ? 0 : -1;
}

static ll_status fit_sigmoid(const double *score, const uint8_t *y, size_t n, size_t n_pos,
                             ll_calibrator *out, ll_err *err)
{
    size_t n_neg = n - n_pos;
    platt_problem pp = {score, y, n, ((double)n_pos + 1.0) / ((double)n_pos + 2.0),
                        1.0 / ((double)n_neg + 2.0), 0.0, 1};
    for (size_t i = 0; i < n; i++) {
        if (fabs(score[i]) > pp.s_max)
            pp.s_max = fabs(score[i]);
        if (score[i] != score[0])
            pp.constant = 0;
    }
    double *d1 = malloc(n * sizeof *d1), *d2 = malloc(n * sizeof *d2);
    if (!d1 || !d2) {
        free(d1);
        free(d2);
        return ll_fail(err, LL_ENOMEM, "out of memory calibrating on %zu rows", n);
    }
    /* Platt's (and sklearn's) start: a flat calibrator at the smoothed prior */
    double a = 0.0, b = log(((double)n_neg + 1.0) / ((double)n_pos + 1.0));
    double f = platt_loss(&pp, a, b);
    const char *why = NULL;
    int converged = 0;
    for (int iter = 0; iter < PLATT_MAX_ITER && !converged && !why; iter++) {
        double da, db, slope;
        if (platt_newton_step(&pp, a, b, d1, d2, &da, &db, &slope) != 0) {
            why = "its Newton step is not finite";
            break;
        }
        double move = fabs(da) * pp.s_max + fabs(db); /* the most any logit moves */
        if (move <= PLATT_STEP_TOL) {
            a += da;
            b += db;
            converged = 1;
            break;
        }
        double step = 1.0, na = a, nb = b, nf = f;
        for (; step >= PLATT_MIN_STEP; step *= 0.5) {
            na = a + step * da;
            nb = b + step * db;
            nf = platt_loss(&pp, na, nb);
            if (nf < f + PLATT_ARMIJO * step * slope)
                break;
        }
        if (step < PLATT_MIN_STEP) {
            if (move <= PLATT_STALL_TOL * (1.0 + fabs(a) * pp.s_max + fabs(b)))
                converged = 1;
            else
                why = "its line search found no lower loss";
            break;
        }
        a = na;
        b = nb;
        f = nf;
    }
    free(d1);
    free(d2);
    if (!converged && !why)
        why = "it did not converge in 100 Newton steps";
    if (!why && !(isfinite(a) && isfinite(b)))
        why = "its parameters are not finite";
    if (why)
        return ll_fail(err, LL_EINVAL, "the sigmoid calibration failed on %zu rows: %s", n, why);
    out->method = LL_CALIBRATE_SIGMOID;
    out->a = a;
    out->b = b;
    return LL_OK;
}

/* p = 1 / (1 + exp(z)) without overflow; NaN stays NaN. */
static double sigmoid_at(const ll_calibrator *c, double s)
{
    double z = c->a * s + c->b;
    if (z >= 0.0) {
        double e = exp(-z);
        return e / (1.0 + e);
    }
    return 1.0 / (1.0 + exp(z));
}

/* ---- fit and apply ------------------------------------------------------------------------- */

ll_status ll_calibrator_fit(int method, const double *score, const uint8_t *y, size_t n,
                            ll_calibrator *out, ll_err *err)
{
    *out = (ll_calibrator){0};
    if (method == LL_CALIBRATE_NONE)
        return LL_OK;
    if (method != LL_CALIBRATE_ISOTONIC && method != LL_CALIBRATE_SIGMOID)
        return ll_fail(err, LL_EINVAL, "unknown calibration method %d", method);
    if (n == 0)
        return ll_fail(err, LL_EINVAL, "no calibration rows to fit the %s calibration on",
                       ll_calibration_name(method));
    size_t n_pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(score[i]))
            return ll_fail(err, LL_EINVAL, "the calibration score of row %zu is %g, not a finite "
                           "number", i, score[i]);
        if (y[i] > 1)
            return ll_fail(err, LL_EINVAL, "the calibration label of row %zu is %u, not 0 or 1",
                           i, (unsigned)y[i]);
        n_pos += y[i];
    }
    if (n_pos == 0 || n_pos == n)
        return ll_fail(err, LL_EINVAL,
                       "the calibration rows hold only one class (%zu rows, %zu buyers)", n, n_pos);
    return method == LL_CALIBRATE_ISOTONIC ? fit_isotonic(score, y, n, out, err)
                                           : fit_sigmoid(score, y, n, n_pos, out, err);
}

void ll_calibrator_apply(const ll_calibrator *c, const double *in, double *out, size_t n)
{
    switch (c->method) {
    case LL_CALIBRATE_ISOTONIC:
        for (size_t i = 0; i < n; i++)
            out[i] = isotonic_at(c, in[i]);
        break;
    case LL_CALIBRATE_SIGMOID:
        for (size_t i = 0; i < n; i++)
            out[i] = sigmoid_at(c, in[i]);
        break;
    default:
        if (out != in)
            memmove(out, in, n * sizeof *out);
        break;
    }
}

/* ---- saved models -------------------------------------------------------------------------- */

/* Only bounds the arithmetic: ll_read_size already refuses a count the bytes left cannot hold. */
static const size_t MAX_SAVED_KNOTS = SIZE_MAX / (2 * sizeof(double));

ll_status ll_calibrator_save(const ll_calibrator *c, ll_writer *w, ll_err *err)
{
    int failed;
    switch (c->method) {
    case LL_CALIBRATE_NONE:
        failed = ll_write_u64(w, LL_CALIBRATE_NONE);
        break;
    case LL_CALIBRATE_ISOTONIC:
        if (c->n_points == 0 || !c->x || !c->y)
            return ll_fail(err, LL_EINVAL, "cannot save an isotonic calibration without knots");
        failed = ll_write_u64(w, LL_CALIBRATE_ISOTONIC) || ll_write_size(w, c->n_points) ||
                 ll_write_f64s(w, c->x, c->n_points) || ll_write_f64s(w, c->y, c->n_points);
        break;
    case LL_CALIBRATE_SIGMOID:
        failed = ll_write_u64(w, LL_CALIBRATE_SIGMOID) || ll_write_f64(w, c->a) ||
                 ll_write_f64(w, c->b);
        break;
    default:
        return ll_fail(err, LL_EINVAL, "cannot save unknown calibration method %d", c->method);
    }
    return failed ? ll_fail(err, LL_EFAIL, "could not write the calibration bytes") : LL_OK;
}

/* Why knots fit could not have made are refused, or NULL. */
static const char *check_knots(const double *x, const double *y, size_t n, size_t *at)
{
    for (size_t i = 0; i < n; i++) {
        *at = i;
        if (!isfinite(x[i]))
            return "score is not finite";
        if (!(y[i] >= 0.0 && y[i] <= 1.0))
            return "probability is not in [0, 1]";
        if (i > 0 && !(x[i] > x[i - 1]))
            return "score is not above the one before";
        if (i > 0 && y[i] < y[i - 1])
            return "probability is below the one before";
    }
    return NULL;
}

ll_status ll_calibrator_load(ll_reader *r, ll_calibrator *c, ll_err *err)
{
    *c = (ll_calibrator){0};
    uint64_t method;
    if (ll_read_u64(r, &method) != 0)
        return ll_fail(err, LL_EINVAL, "the saved calibration is truncated");
    switch (method) {
    case LL_CALIBRATE_NONE:
        return LL_OK;
    case LL_CALIBRATE_SIGMOID: {
        double a, b;
        if (ll_read_f64(r, &a) != 0 || ll_read_f64(r, &b) != 0)
            return ll_fail(err, LL_EINVAL, "the saved calibration is truncated");
        if (!isfinite(a) || !isfinite(b))
            return ll_fail(err, LL_EINVAL, "the saved sigmoid calibration has a non-finite "
                           "parameter (a = %g, b = %g)", a, b);
        c->method = LL_CALIBRATE_SIGMOID;
        c->a = a;
        c->b = b;
        return LL_OK;
    }
    case LL_CALIBRATE_ISOTONIC:
        break;
    default:
        return ll_fail(err, LL_EINVAL, "the saved calibration names unknown method %llu",
                       (unsigned long long)method);
    }
    size_t n;
    if (ll_read_size(r, 2 * sizeof(double), MAX_SAVED_KNOTS, &n) != 0)
        return ll_fail(err, LL_EINVAL, "the saved isotonic calibration's knot count is truncated "
                       "or larger than the bytes left");
    if (n == 0)
        return ll_fail(err, LL_EINVAL, "the saved isotonic calibration has no knots");
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return ll_fail(err, LL_ENOMEM, "out of memory for %zu calibration knots", n);
    }
    if (ll_read_f64s(r, x, n) != 0 || ll_read_f64s(r, y, n) != 0) {
        free(x);
        free(y);
        return ll_fail(err, LL_EINVAL, "the saved calibration is truncated");
    }
    size_t at = 0;
    const char *why = check_knots(x, y, n, &at);
    if (why) {
        free(x);
        free(y);
        return ll_fail(err, LL_EINVAL, "the saved isotonic calibration's knot %zu of %zu: its %s",
                       at, n, why);
    }
    *c = (ll_calibrator){.method = LL_CALIBRATE_ISOTONIC, .x = x, .y = y, .n_points = n};
    return LL_OK;
}
