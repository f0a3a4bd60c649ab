/* SMO for the RBF C-SVC dual (see svm_smo.h). Variables are kept physically permuted so the
 * active (not shrunk) ones are the prefix [0, active): every hot loop is then contiguous, and a
 * cached kernel row only needs its first `active` entries.
 *
 * Instead of libsvm's gradient G we keep yg_t = y_t G_t = sum_j alpha_j y_j K_tj - y_t, so rows
 * of the plain kernel K suffice and the working-set scans need no per-element sign. */
#include "svm_smo.h"

#include <math.h>
#include <stdlib.h>

#include "svm_cache.h"
#include "svm_rbf.h"

#define TAU 1e-12 /* curvature floor for pairs of identical points (libsvm's value) */

/* The scans keep LANES independent running optima so the compiler can hold them in one vector
 * register; the lanes are merged at the end with a fixed rule, so results are deterministic. */
enum { LANES = 8 };

enum { AT_LOWER, AT_UPPER, FREE };

typedef struct {
    size_t n, active;
    int8_t *y;
    uint8_t *status;
    double *alpha, *upper;
    double *yg;     /* y_t G_t, see above */
    double *yg_bar; /* the part of yg due to variables at their upper bound: lets shrunk
                       gradients be rebuilt from the free variables alone */
    /* 0 when the variable belongs to I_up (resp. I_low) of Keerthi et al., -inf otherwise:
     * adding it to a candidate's score removes non-members without a branch. */
    double *up_mask, *low_mask;
    size_t *origin; /* origin[t]: the caller's index of variable t */
    ll_rbf_rows kernel;
    ll_svm_cache *cache;
    double eps;
    int unshrunk; /* the one full unshrink near convergence has been done */
} smo;

/* Row i of K, entries [0, len) valid. K_ii = 1 for the Gaussian kernel. */
static const float *kernel_row(smo *s, size_t i, size_t len)
{
    size_t valid;
    float *row = ll_svm_cache_get(s->cache, i, len, &valid);
    ll_rbf_rows_fill(&s->kernel, i, valid, len, row);
    return row;
}

static double gradient(const smo *s, size_t t) { return s->y[t] * s->yg[t]; }

/* I_up may still move up along y (alpha up for y = +1, down for y = -1), I_low down. */
static void set_status(smo *s, size_t t)
{
    uint8_t st = s->alpha[t] >= s->upper[t] ? AT_UPPER : s->alpha[t] <= 0.0 ? AT_LOWER : FREE;
    s->status[t] = st;
    int up = s->y[t] > 0 ? st != AT_UPPER : st != AT_LOWER;
    int low = s->y[t] > 0 ? st != AT_LOWER : st != AT_UPPER;
    s->up_mask[t] = up ? 0.0 : -INFINITY;
    s->low_mask[t] = low ? 0.0 : -INFINITY;
}

#define SWAP(type, a, b) \
    do {                 \
        type tmp_ = (a); \
        (a) = (b);       \
        (b) = tmp_;      \
    } while (0)

static void swap_vars(smo *s, size_t i, size_t j)
{
    ll_rbf_rows_swap(&s->kernel, i, j);
    ll_svm_cache_swap(s->cache, i, j);
    SWAP(int8_t, s->y[i], s->y[j]);
    SWAP(uint8_t, s->status[i], s->status[j]);
    SWAP(double, s->alpha[i], s->alpha[j]);
    SWAP(double, s->upper[i], s->upper[j]);
    SWAP(double, s->yg[i], s->yg[j]);
    SWAP(double, s->yg_bar[i], s->yg_bar[j]);
    SWAP(double, s->up_mask[i], s->up_mask[j]);
    SWAP(double, s->low_mask[i], s->low_mask[j]);
    SWAP(size_t, s->origin[i], s->origin[j]);
}

/* Rebuilds yg of the shrunk variables from yg_bar and the free variables, walking whichever set
 * of kernel rows is cheaper (libsvm's rule). */
static void reconstruct_gradient(smo *s)
{
    const size_t n = s->n, active = s->active;
    if (active == n)
        return;
    for (size_t t = active; t < n; t++)
        s->yg[t] = s->yg_bar[t] - s->y[t];
    size_t n_free = 0;
    for (size_t j = 0; j < active; j++)
        n_free += s->status[j] == FREE;
    if (n_free * n > 2 * active * (n - active)) {
        for (size_t t = active; t < n; t++) {
            const float *row = kernel_row(s, t, active);
            double sum = 0.0;
            for (size_t j = 0; j < active; j++)
                if (s->status[j] == FREE)
                    sum += s->alpha[j] * s->y[j] * row[j];
            s->yg[t] += sum;
        }
    } else {
        for (size_t j = 0; j < active; j++) {
            if (s->status[j] != FREE)
                continue;
            const float *row = kernel_row(s, j, n);
            const double a = s->alpha[j] * s->y[j];
            for (size_t t = active; t < n; t++)
                s->yg[t] += a * row[t];
        }
    }
}

/* First index of the pair: argmax over I_up of -yg (ties: the last index, as libsvm's >=).
 * Returns SIZE_MAX when I_up is empty. */
static size_t select_first(const smo *s, double *gmax_out)
{
    const double *restrict yg = s->yg, *restrict up_mask = s->up_mask;
    double best[LANES];
    size_t where[LANES];
    for (int l = 0; l < LANES; l++) {
        best[l] = -INFINITY;
        where[l] = SIZE_MAX;
    }
    size_t t = 0;
    for (; t + LANES <= s->active; t += LANES) {
#pragma omp simd
        for (int l = 0; l < LANES; l++) {
            double v = up_mask[t + l] - yg[t + l];
            if (v >= best[l]) {
                best[l] = v;
                where[l] = t + (size_t)l;
            }
        }
    }
    for (int l = 0; t < s->active; t++, l++) {
        double v = up_mask[t] - yg[t];
        if (v >= best[l]) {
            best[l] = v;
            where[l] = t;
        }
    }
    double gmax = -INFINITY;
    size_t i = SIZE_MAX;
    for (int l = 0; l < LANES; l++)
        if (best[l] > gmax || (best[l] == gmax && where[l] != SIZE_MAX && where[l] > i)) {
            gmax = best[l];
            i = where[l];
        }
    *gmax_out = gmax;
    return gmax == -INFINITY ? SIZE_MAX : i;
}

/* Objective decrease of the pair step with partner t (value v = yg_t, -inf outside I_low):
 * -(violation^2) / curvature, or +inf when t does not violate with i. */
static inline double pair_decrease(double gmax, double v, float k_it)
{
    double violation = gmax + v;
    double curvature = 2.0 - 2.0 * (double)k_it; /* K_ii + K_tt - 2 K_it */
    curvature = curvature > 0.0 ? curvature : TAU;
    return violation > 0.0 ? -(violation * violation) / curvature : INFINITY;
}

/* Second index (WSS3 of Fan, Chen, Lin 2005): over I_low members violating with i, the one
 * whose pair step decreases the objective most (ties: the last index). Also returns
 * gmax2 = max over I_low of yg, for the stopping rule. SIZE_MAX when no pair violates. */
static size_t select_second(const smo *s, const float *row_i, double gmax, double *gmax2_out)
{
    const double *restrict yg = s->yg, *restrict low_mask = s->low_mask;
    double best[LANES], top[LANES];
    size_t where[LANES];
    for (int l = 0; l < LANES; l++) {
        best[l] = INFINITY;
        top[l] = -INFINITY;
        where[l] = SIZE_MAX;
    }
    size_t t = 0;
    for (; t + LANES <= s->active; t += LANES) {
#pragma omp simd
        for (int l = 0; l < LANES; l++) {
            double v = yg[t + l] + low_mask[t + l];
            double decrease = pair_decrease(gmax, v, row_i[t + l]);
            top[l] = v > top[l] ? v : top[l];
            if (decrease <= best[l]) {
                best[l] = decrease;
                where[l] = t + (size_t)l;
            }
        }
    }
    for (int l = 0; t < s->active; t++, l++) {
        double v = yg[t] + low_mask[t];
        double decrease = pair_decrease(gmax, v, row_i[t]);
        top[l] = v > top[l] ? v : top[l];
        if (decrease <= best[l]) {
            best[l] = decrease;
            where[l] = t;
        }
    }
    double gmax2 = -INFINITY, best_decrease = INFINITY;
    size_t j = SIZE_MAX;
    for (int l = 0; l < LANES; l++) {
        gmax2 = top[l] > gmax2 ? top[l] : gmax2;
        if (best[l] < best_decrease ||
            (best[l] == best_decrease && where[l] != SIZE_MAX && where[l] > j)) {
            best_decrease = best[l];
            j = where[l];
        }
    }
    *gmax2_out = gmax2;
    return best_decrease == INFINITY ? SIZE_MAX : j;
}

/* Returns 1 when the maximal violation is below eps (optimal on the active set). */
static int select_pair(smo *s, size_t *out_i, size_t *out_j)
{
    double gmax, gmax2;
    size_t i = select_first(s, &gmax);
    if (i == SIZE_MAX)
        return 1;
    size_t j = select_second(s, kernel_row(s, i, s->active), gmax, &gmax2);
    if (gmax + gmax2 < s->eps || j == SIZE_MAX)
        return 1;
    *out_i = i;
    *out_j = j;
    return 0;
}

/* A bounded variable whose gradient says it will stay bounded leaves the active set. */
static int can_shrink(const smo *s, size_t t, double gmax1, double gmax2)
{
    double g = gradient(s, t);
    if (s->status[t] == AT_UPPER)
        return s->y[t] > 0 ? -g > gmax1 : -g > gmax2;
    if (s->status[t] == AT_LOWER)
        return s->y[t] > 0 ? g > gmax2 : g > gmax1;
    return 0;
}

static void shrink(smo *s)
{
    double gmax1 = -INFINITY, gmax2 = -INFINITY; /* max over I_up of -yg, over I_low of yg */
    for (size_t t = 0; t < s->active; t++) {
        double up = s->up_mask[t] - s->yg[t], low = s->low_mask[t] + s->yg[t];
        gmax1 = up > gmax1 ? up : gmax1;
        gmax2 = low > gmax2 ? low : gmax2;
    }
    /* Near the end, bring every variable back once so none was shrunk by mistake. */
    if (!s->unshrunk && gmax1 + gmax2 <= s->eps * 10.0) {
        s->unshrunk = 1;
        reconstruct_gradient(s);
        s->active = s->n;
    }
    for (size_t t = 0; t < s->active; t++) {
        if (!can_shrink(s, t, gmax1, gmax2))
            continue;
        s->active--;
        while (s->active > t) {
            if (!can_shrink(s, s->active, gmax1, gmax2)) {
                swap_vars(s, t, s->active);
                break;
            }
            s->active--;
        }
    }
}

/* Solves the two-variable subproblem analytically and clips it to the box (libsvm's cases). */
static void step_pair(smo *s, size_t i, size_t j, double k_ij)
{
    double *alpha = s->alpha;
    const double ci = s->upper[i], cj = s->upper[j];
    const double gi = gradient(s, i), gj = gradient(s, j);
    double curvature = 2.0 - 2.0 * k_ij;
    if (curvature <= 0.0)
        curvature = TAU;
    if (s->y[i] != s->y[j]) {
        double delta = (-gi - gj) / curvature;
        double diff = alpha[i] - alpha[j];
        alpha[i] += delta;
        alpha[j] += delta;
        if (diff > 0.0 && alpha[j] < 0.0) {
            alpha[j] = 0.0;
            alpha[i] = diff;
        } else if (diff <= 0.0 && alpha[i] < 0.0) {
            alpha[i] = 0.0;
            alpha[j] = -diff;
        }
        if (diff > ci - cj && alpha[i] > ci) {
            alpha[i] = ci;
            alpha[j] = ci - diff;
        } else if (diff <= ci - cj && alpha[j] > cj) {
            alpha[j] = cj;
            alpha[i] = cj + diff;
        }
    } else {
        double delta = (gi - gj) / curvature;
        double sum = alpha[i] + alpha[j];
        alpha[i] -= delta;
        alpha[j] += delta;
        if (sum > ci && alpha[i] > ci) {
            alpha[i] = ci;
            alpha[j] = sum - ci;
        } else if (sum <= ci && alpha[j] < 0.0) {
            alpha[j] = 0.0;
            alpha[i] = sum;
        }
        if (sum > cj && alpha[j] > cj) {
            alpha[j] = cj;
            alpha[i] = sum - cj;
        } else if (sum <= cj && alpha[i] < 0.0) {
            alpha[i] = 0.0;
            alpha[j] = sum;
        }
    }
}

/* yg_bar follows variables entering or leaving their upper bound, over all n entries. */
static void track_upper(smo *s, size_t t, int was_upper)
{
    int is_upper = s->status[t] == AT_UPPER;
    if (was_upper == is_upper)
        return;
    const float *row = kernel_row(s, t, s->n);
    const double c = (is_upper ? s->upper[t] : -s->upper[t]) * s->y[t];
    double *restrict yg_bar = s->yg_bar;
    for (size_t k = 0; k < s->n; k++)
        yg_bar[k] += c * row[k];
}

static void update_pair(smo *s, size_t i, size_t j)
{
    const size_t active = s->active;
    const float *row_i = kernel_row(s, i, active);
    const float *row_j = kernel_row(s, j, active);
    const double old_i = s->alpha[i], old_j = s->alpha[j];
    step_pair(s, i, j, row_i[j]);
    const double ci = (s->alpha[i] - old_i) * s->y[i], cj = (s->alpha[j] - old_j) * s->y[j];
    double *restrict yg = s->yg;
    for (size_t k = 0; k < active; k++)
        yg[k] += row_i[k] * ci + row_j[k] * cj;
    int was_upper_i = s->status[i] == AT_UPPER, was_upper_j = s->status[j] == AT_UPPER;
    set_status(s, i);
    set_status(s, j);
    track_upper(s, i, was_upper_i);
    track_upper(s, j, was_upper_j);
}

/* rho is the mean of yg over free variables; without any, the middle of the feasible interval
 * left by the bounded ones. */
static double compute_rho(const smo *s)
{
    double ub = INFINITY, lb = -INFINITY, sum_free = 0.0;
    size_t n_free = 0;
    for (size_t t = 0; t < s->active; t++) {
        double v = s->yg[t];
        if (s->status[t] == FREE) {
            n_free++;
            sum_free += v;
        } else if ((s->status[t] == AT_UPPER) == (s->y[t] < 0)) {
            ub = v < ub ? v : ub;
        } else {
            lb = v > lb ? v : lb;
        }
    }
    return n_free > 0 ? sum_free / (double)n_free : (ub + lb) / 2.0;
}

static void smo_free(smo *s)
{
    free(s->y);
    free(s->status);
    free(s->alpha);
    free(s->upper);
    free(s->yg);
    free(s->yg_bar);
    free(s->up_mask);
    free(s->low_mask);
    free(s->origin);
    ll_rbf_rows_free(&s->kernel);
    ll_svm_cache_free(s->cache);
}

static int smo_init(smo *s, const double *x, const uint8_t *y, const double *upper, size_t n,
                    size_t d, double gamma, const ll_smo_options *opt)
{
    size_t m = n ? n : 1;
    s->n = s->active = n;
    s->eps = opt->eps;
    s->y = malloc(m * sizeof *s->y);
    s->status = malloc(m * sizeof *s->status);
    s->alpha = calloc(m, sizeof *s->alpha);
    s->upper = malloc(m * sizeof *s->upper);
    s->yg = malloc(m * sizeof *s->yg);
    s->yg_bar = calloc(m, sizeof *s->yg_bar);
    s->up_mask = malloc(m * sizeof *s->up_mask);
    s->low_mask = malloc(m * sizeof *s->low_mask);
    s->origin = malloc(m * sizeof *s->origin);
    s->cache = ll_svm_cache_new(n, opt->cache_bytes);
    if (!s->y || !s->status || !s->alpha || !s->upper || !s->yg || !s->yg_bar || !s->up_mask ||
        !s->low_mask || !s->origin || !s->cache ||
        ll_rbf_rows_init(&s->kernel, x, n, d, gamma, opt->threads) != 0)
        return -1;
    for (size_t t = 0; t < n; t++) {
        s->y[t] = y[t] ? 1 : -1;
        s->upper[t] = upper[t];
        s->origin[t] = t;
        s->yg[t] = -s->y[t]; /* alpha = 0: the gradient of 1/2 a'Qa - e'a is -1 */
        set_status(s, t);
    }
    return 0;
}

ll_status ll_smo_rbf(const double *x, const uint8_t *y, const double *upper, size_t n, size_t d,
                     double gamma, const ll_smo_options *opt, double *alpha, double *decision,
                     ll_smo_result *out)
{
    smo s = {0};
    if (smo_init(&s, x, y, upper, n, d, gamma, opt) != 0) {
        smo_free(&s);
        return LL_ENOMEM;
    }
    long max_iter = opt->max_iter;
    if (max_iter <= 0)
        max_iter = n > 100000 ? (long)(100 * n) : 10000000;
    const long shrink_every = n < 1000 ? (long)n : 1000;
    long iter = 0, countdown = shrink_every + 1;
    int converged = 0;
    while (iter < max_iter) {
        if (--countdown == 0) {
            countdown = shrink_every;
            shrink(&s);
        }
        size_t i, j;
        if (select_pair(&s, &i, &j)) {
            /* optimal on the active set: check again on all variables */
            reconstruct_gradient(&s);
            s.active = n;
            if ((converged = select_pair(&s, &i, &j)))
                break;
            countdown = 1; /* shrink again at the next iteration */
        }
        iter++;
        update_pair(&s, i, j);
    }
    out->hit_max_iter = !converged;
    if (!converged) {
        reconstruct_gradient(&s);
        s.active = n;
    }
    out->iterations = iter;
    out->rho = compute_rho(&s);
    int finite = isfinite(out->rho);
    for (size_t t = 0; t < n; t++) {
        alpha[s.origin[t]] = s.alpha[t];
        finite &= isfinite(s.alpha[t]);
        if (decision) /* yg_t + y_t = sum_j alpha_j y_j K_tj (the gradient is whole again) */
            decision[s.origin[t]] = s.yg[t] + s.y[t] - out->rho;
    }
    smo_free(&s);
    return finite ? LL_OK : LL_ENUMERIC;
}
