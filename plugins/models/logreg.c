/* leadlab model `logreg`: L2-regularised logistic regression with an unpenalised intercept
 * (scikit-learn's objective), fitted by Newton's method with Cholesky solves and a line search.
 *
 * Objective, theta = (w, b):  f = 0.5 |w|^2 + C * sum_i s_i * logloss(y_i, b + x_i.w),
 * s_i = the class weight of row i. The Hessian is (p+1) x (p+1), so each Newton step costs one
 * pass over the rows (gradient + X^T W X) and a tiny Cholesky solve. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leadlab/plugin.h"
#include "linalg.h"

/* Rows are cut into at most MAX_BLOCKS fixed blocks whose partial sums are added in block order:
 * the result depends on the row count only, never on the thread budget. */
enum { MIN_BLOCK_ROWS = 1024, MAX_BLOCKS = 32 };
/* Rows added to the Hessian per sweep over it (measured: 8 and 16 are no faster). */
enum { ROW_GROUP = 4 };

static const double ARMIJO_SLOPE = 1e-4;
static const int MAX_HALVINGS = 40;

typedef struct {
    const ll_host *host;
    double C, tol;
    long max_iter;
    int balanced;
    size_t n_cols;
    double *theta; /* n_cols weights then the intercept; NULL until fitted */
} logreg;

/* Scratch and inputs of one fit; every array is carved from `pool`. */
typedef struct {
    const double *x;
    const uint8_t *y;
    size_t n, p, d; /* rows, features, d = p + 1 unknowns */
    int threads;
    double weight[2]; /* C * class weight, for y = 0 and y = 1 */
    size_t n_blocks, block_rows;
    double *pool;
    double *z;       /* n: b + x_i.w at the current theta */
    double *z_trial; /* n: the same at the trial point theta + step */
    double *partial; /* n_blocks * block_sums(d): each block's Hessian, gradient and loss */
    double *hess, *factor, *grad, *step, *trial;
} newton;

/* Per-block partial sums: the Hessian (d*d), the gradient (d), the loss (1). */
static inline size_t block_sums(size_t d) { return d * d + d + 1; }

/* ---- row terms ------------------------------------------------------------------------- */

/* Probability of the positive class, without overflow for any z. */
static inline double sigmoid(double z)
{
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* Row loss weight * log(1 + exp(-(2y-1) z)) = weight * (max(margin, 0) + log1p(exp(-|z|))),
 * computed stably from e = exp(-|z|). */
static inline double row_loss(double z, double e, int positive, double weight)
{
    return weight * (fmax(positive ? -z : z, 0.0) + log1p(e));
}

/* The row's loss, gradient factor weight * (p - y) and curvature weight * p * (1 - p). All come
 * from one exp(-|z|), so that neither p nor 1 - p loses its small value to rounding. */
static inline double row_terms(double z, int positive, double weight, double *resid,
                               double *curv)
{
    double e = exp(-fabs(z));
    double near = 1.0 / (1.0 + e), far = e * near; /* sigmoid(|z|), sigmoid(-|z|) */
    double p1 = z >= 0 ? near : far, p0 = z >= 0 ? far : near;
    *resid = weight * (positive ? -p0 : p1);
    *curv = weight * p1 * p0;
    return row_loss(z, e, positive, weight);
}

static inline double dot(const double *restrict a, const double *restrict b, size_t n)
{
    double s = 0.0;
    for (size_t j = 0; j < n; j++)
        s += a[j] * b[j];
    return s;
}

/* ---- one Newton pass: z, gradient and Hessian --------------------------------------------- */

/* Adds ROW_GROUP rows to the lower triangle of hess and to grad (index p = the intercept, whose
 * feature is 1). Several rows per sweep divide the loads and stores of hess; unused slots carry
 * zero weights. */
static void add_row_group(const double *const xr[ROW_GROUP], const double c[ROW_GROUP],
                          const double r[ROW_GROUP], size_t p, double *restrict hess,
                          double *restrict grad)
{
    size_t d = p + 1;
    for (size_t j = 0; j < p; j++) {
        double a[ROW_GROUP];
        for (int g = 0; g < ROW_GROUP; g++)
            a[g] = c[g] * xr[g][j];
        double *restrict row = hess + j * d;
        for (size_t k = 0; k <= j; k++) {
            double s = row[k];
            for (int g = 0; g < ROW_GROUP; g++)
                s += a[g] * xr[g][k];
            row[k] = s;
        }
    }
    double *restrict last = hess + p * d;
    for (size_t k = 0; k < p; k++) {
        double sh = last[k], sg = grad[k];
        for (int g = 0; g < ROW_GROUP; g++) {
            sh += c[g] * xr[g][k];
            sg += r[g] * xr[g][k];
        }
        last[k] = sh;
        grad[k] = sg;
    }
    for (int g = 0; g < ROW_GROUP; g++) {
        last[p] += c[g];
        grad[p] += r[g];
    }
}

/* One block's share: z for its rows, and its partial Hessian (lower triangle), gradient and
 * loss. */
static void pass_block(const newton *nt, const double *theta, double *z, size_t block)
{
    size_t p = nt->p, d = nt->d;
    size_t lo = block * nt->block_rows;
    size_t hi = lo + nt->block_rows < nt->n ? lo + nt->block_rows : nt->n;
    double *hess = nt->partial + block * block_sums(d), *grad = hess + d * d;
    double *loss_sum = grad + d, loss = 0.0;
    memset(hess, 0, block_sums(d) * sizeof *hess);
    for (size_t i = lo; i < hi; i += ROW_GROUP) {
        const double *xr[ROW_GROUP];
        double c[ROW_GROUP], r[ROW_GROUP];
        for (size_t k = 0; k < ROW_GROUP; k++) {
            size_t row = i + k < hi ? i + k : hi - 1;
            xr[k] = nt->x + row * p;
            c[k] = r[k] = 0.0;
            if (i + k < hi) {
                int positive = nt->y[row] != 0;
                z[row] = theta[p] + dot(xr[k], theta, p);
                loss += row_terms(z[row], positive, nt->weight[positive], &r[k], &c[k]);
            }
        }
        add_row_group(xr, c, r, p, hess, grad);
    }
    *loss_sum = loss;
}

/* The one pass over the rows of a Newton iteration: z (into `z`), gradient and Hessian of f at
 * theta (Hessian: lower triangle only, as Cholesky reads it). Returns f(theta). */
static double newton_pass(newton *nt, const double *theta, double *z)
{
    size_t d = nt->d, p = nt->p;
    int threads = nt->threads;
    long n_blocks = (long)nt->n_blocks;
#pragma omp parallel for num_threads(threads) if(threads > 1) schedule(static)
    for (long b = 0; b < n_blocks; b++)
        pass_block(nt, theta, z, (size_t)b);

    memcpy(nt->hess, nt->partial, d * d * sizeof *nt->hess);
    memcpy(nt->grad, nt->partial + d * d, d * sizeof *nt->grad);
    double loss = nt->partial[d * d + d];
    for (size_t b = 1; b < nt->n_blocks; b++) {
        const double *hb = nt->partial + b * block_sums(d), *gb = hb + d * d, *lb = gb + d;
        for (size_t k = 0; k < d * d; k++)
            nt->hess[k] += hb[k];
        for (size_t k = 0; k < d; k++)
            nt->grad[k] += gb[k];
        loss += *lb;
    }
    for (size_t j = 0; j < p; j++) { /* the penalty 0.5 |w|^2 */
        nt->grad[j] += theta[j];
        nt->hess[j * d + j] += 1.0;
    }
    return loss + 0.5 * dot(theta, theta, p);
}

/* ---- step direction and line search ------------------------------------------------------- */

/* step = -H^{-1} grad. When H is not numerically positive definite (a large-scale column nearly
 * collinear with the intercept, or curvatures underflowing to 0 on saturated rows) a growing
 * multiple of I is added: still a descent direction, bent towards the gradient's. Returns -1
 * if even that fails (non-finite H). */
static int newton_direction(newton *nt)
{
    size_t d = nt->d;
    double max_diag = 1.0;
    for (size_t j = 0; j < d; j++)
        max_diag = fmax(max_diag, nt->hess[j * d + j]);
    double damping = 0.0;
    for (int attempt = 0; attempt < 12; attempt++) {
        memcpy(nt->factor, nt->hess, d * d * sizeof *nt->factor);
        for (size_t j = 0; j < d; j++)
            nt->factor[j * d + j] += damping;
        if (ll_cholesky_factor(nt->factor, d) == 0) {
            for (size_t j = 0; j < d; j++)
                nt->step[j] = -nt->grad[j];
            ll_cholesky_solve(nt->factor, d, nt->step);
            return 0;
        }
        damping = damping == 0.0 ? 1e-10 * max_diag : damping * 100.0;
    }
    return -1;
}

/* Armijo's sufficient decrease for a step of length t, accepting a rise within the rounding
 * noise of f: near the optimum the true decrease is below what f can resolve. */
static int sufficient_decrease(double f_new, double f, double t, double slope)
{
    return f_new <= f + ARMIJO_SLOPE * t * slope + 16.0 * DBL_EPSILON * fabs(f);
}

/* After the full step failed: the largest t = 1/2, 1/4, ... giving a sufficient decrease, or 0.
 * Linear predictors are linear in t, so f(theta + t step) costs O(n) from z and z_trial. */
static double backtrack(const newton *nt, const double *theta, double f, double slope)
{
    size_t p = nt->p;
    double t = 0.5;
    for (int halving = 1; halving <= MAX_HALVINGS; halving++, t *= 0.5) {
        double loss = 0.0, w2 = 0.0;
        for (size_t i = 0; i < nt->n; i++) {
            int positive = nt->y[i] != 0;
            double zi = nt->z[i] + t * (nt->z_trial[i] - nt->z[i]);
            loss += row_loss(zi, exp(-fabs(zi)), positive, nt->weight[positive]);
        }
        for (size_t j = 0; j < p; j++)
            w2 += (theta[j] + t * nt->step[j]) * (theta[j] + t * nt->step[j]);
        if (sufficient_decrease(loss + 0.5 * w2, f, t, slope))
            return t;
    }
    return 0.0;
}

/* ---- fit --------------------------------------------------------------------------------- */

static int all_finite(const double *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(v[k]))
            return 0;
    return 1;
}

static double max_abs(const double *v, size_t n)
{
    double m = 0.0;
    for (size_t k = 0; k < n; k++)
        m = fmax(m, fabs(v[k]));
    return m;
}

static int newton_init(newton *nt, const logreg *m, const ll_data *train, int threads,
                       const size_t class_count[2])
{
    size_t n = train->n_rows, p = train->n_cols, d = p + 1;
    *nt = (newton){.x = train->x, .y = train->y, .n = n, .p = p, .d = d, .threads = threads};
    for (int c = 0; c < 2; c++) /* balanced: n / (2 n_c), scikit-learn's "balanced" */
        nt->weight[c] = m->C * (m->balanced ? (double)n / (2.0 * (double)class_count[c]) : 1.0);
    nt->n_blocks = (n + MIN_BLOCK_ROWS - 1) / MIN_BLOCK_ROWS;
    if (nt->n_blocks > MAX_BLOCKS)
        nt->n_blocks = MAX_BLOCKS;
    nt->block_rows = (n + nt->n_blocks - 1) / nt->n_blocks;
    size_t doubles = 2 * n + nt->n_blocks * block_sums(d) + 2 * d * d + 3 * d;
    if (!(nt->pool = malloc(doubles * sizeof *nt->pool)))
        return -1;
    double *next = nt->pool;
    nt->z = next, next += n;
    nt->z_trial = next, next += n;
    nt->partial = next, next += nt->n_blocks * block_sums(d);
    nt->hess = next, next += d * d;
    nt->factor = next, next += d * d;
    nt->grad = next, next += d;
    nt->step = next, next += d;
    nt->trial = next;
    return 0;
}

/* Newton iterations from theta = 0 until max|grad f| <= tol * C * sum_i s_i (the gradient of
 * the mean weighted loss below tol), max_iter steps, or no further decrease. The full step is
 * tried with the pass that also yields the next gradient and Hessian, so an iteration whose
 * full step is accepted (nearly all) reads the rows once. */
static ll_status newton_solve(const logreg *m, newton *nt, double *theta, ll_err *err)
{
    size_t d = nt->d;
    double weight_sum = 0.0;
    for (size_t i = 0; i < nt->n; i++)
        weight_sum += nt->weight[nt->y[i] != 0];
    double grad_tol = m->tol * weight_sum;
    memset(theta, 0, d * sizeof *theta);
    double f = newton_pass(nt, theta, nt->z);
    for (long iter = 0;; iter++) {
        if (!isfinite(f) || !all_finite(nt->grad, d) || !all_finite(nt->hess, d * d))
            return ll_fail(err, LL_ENUMERIC,
                           "logreg: non-finite gradient at Newton iteration %ld "
                           "(non-finite or huge feature values?)",
                           iter);
        double grad_max = max_abs(nt->grad, d);
        if (grad_max <= grad_tol) {
            m->host->log(LL_LOG_DEBUG, "logreg: converged in %ld Newton iterations", iter);
            return LL_OK;
        }
        if (iter == m->max_iter) {
            m->host->log(LL_LOG_WARN,
                         "logreg: not converged after %ld Newton iterations "
                         "(max|gradient| %.3g > %.3g); raise max_iter or tol",
                         iter, grad_max, grad_tol);
            return LL_OK;
        }
        if (newton_direction(nt) != 0)
            return ll_fail(err, LL_ENUMERIC,
                           "logreg: Hessian not positive definite at iteration %ld", iter);
        double slope = dot(nt->grad, nt->step, d);
        for (size_t j = 0; j < d; j++)
            nt->trial[j] = theta[j] + nt->step[j];
        double f_trial = newton_pass(nt, nt->trial, nt->z_trial);
        if (sufficient_decrease(f_trial, f, 1.0, slope)) {
            memcpy(theta, nt->trial, d * sizeof *theta);
            double *z = nt->z;
            nt->z = nt->z_trial;
            nt->z_trial = z;
            f = f_trial;
            continue;
        }
        double t = backtrack(nt, theta, f, slope);
        if (t == 0.0) {
            m->host->log(LL_LOG_DEBUG,
                         "logreg: line search stalled at iteration %ld (max|gradient| %.3g, "
                         "tolerance %.3g): at the limit of double precision",
                         iter, grad_max, grad_tol);
            return LL_OK;
        }
        for (size_t j = 0; j < d; j++)
            theta[j] += t * nt->step[j];
        f = newton_pass(nt, theta, nt->z);
    }
}

static ll_status logreg_fit(void *state, const ll_data *train, uint64_t seed, int threads,
                            ll_err *err)
{
    (void)seed; /* the objective is strictly convex: the solution does not depend on it */
    logreg *m = state;
    size_t class_count[2] = {0, 0};
    for (size_t i = 0; i < train->n_rows; i++)
        class_count[train->y[i] != 0]++;
    if (class_count[0] == 0 || class_count[1] == 0)
        return ll_fail(err, LL_EINVAL,
                       "logreg: the %zu training rows hold one class only (%zu positives)",
                       train->n_rows, class_count[1]);

    free(m->theta);
    m->theta = NULL;
    double *theta = malloc((train->n_cols + 1) * sizeof *theta);
    newton nt;
    if (!theta || newton_init(&nt, m, train, threads > 1 ? threads : 1, class_count) != 0) {
        free(theta);
        return ll_fail(err, LL_ENOMEM, "logreg: out of memory for %zu x %zu rows",
                       train->n_rows, train->n_cols);
    }
    ll_status st = newton_solve(m, &nt, theta, err);
    free(nt.pool);
    if (st == LL_OK && !all_finite(theta, train->n_cols + 1))
        st = ll_fail(err, LL_ENUMERIC, "logreg: non-finite coefficients");
    if (st != LL_OK) {
        free(theta);
        return st;
    }
    m->theta = theta;
    m->n_cols = train->n_cols;
    return LL_OK;
}

/* ---- create / predict / destroy ---------------------------------------------------------- */

static ll_status logreg_create(const ll_host *host, const ll_params *params, void **state,
                               ll_err *err)
{
    logreg *m = calloc(1, sizeof *m);
    if (!m)
        return ll_fail(err, LL_ENOMEM, "logreg: out of memory");
    m->host = host;
    m->C = host->real(params, "C");
    m->max_iter = host->integer(params, "max_iter");
    m->tol = host->real(params, "tol");
    m->balanced = strcmp(host->string(params, "class_weight"), "balanced") == 0;
    *state = m;
    return LL_OK;
}

static ll_status logreg_predict(const void *state, const ll_data *x, int threads, double *out,
                     ll_err *err)
{
    (void)threads; /* single-threaded: one dot product per row */
    const logreg *m = state;
    if (!m->theta)
        return ll_fail(err, LL_EINVAL, "logreg: predict_proba before fit");
    if (x->n_cols != m->n_cols)
        return ll_fail(err, LL_EINVAL, "logreg: fitted on %zu columns, asked to predict %zu",
                       m->n_cols, x->n_cols);
    size_t p = m->n_cols;
    for (size_t i = 0; i < x->n_rows; i++) {
        out[i] = sigmoid(m->theta[p] + dot(x->x + i * p, m->theta, p));
        if (isnan(out[i]))
            return ll_fail(err, LL_EINVAL, "logreg: non-finite feature value in row %zu", i);
    }
    return LL_OK;
}

static void logreg_destroy(void *state)
{
    logreg *m = state;
    if (m)
        free(m->theta);
    free(m);
}

/* ---- saved models and importances --------------------------------------------------------
 * Format 1, little-endian through plugin.h's helpers: u64 tag, f64 C, f64 tol, u64 max_iter,
 * u64 balanced, size n_cols, then n_cols + 1 f64 (weights, intercept). The parameters are
 * saved too, so a loaded state is the fitted one in full and even refits like it. */
enum { LOGREG_FORMAT = 1 };
/* Far above any real feature count; keeps (n_cols + 1) * 8 far from overflow. */
static const size_t MAX_SAVED_COLS = (size_t)1 << 24;

static ll_status logreg_save(const void *state, ll_writer *out, ll_err *err)
{
    const logreg *m = state;
    if (!m->theta)
        return ll_fail(err, LL_EINVAL, "logreg: save before fit");
    int failed = ll_write_u64(out, LOGREG_FORMAT) || ll_write_f64(out, m->C) ||
                 ll_write_f64(out, m->tol) || ll_write_u64(out, (uint64_t)m->max_iter) ||
                 ll_write_u64(out, (uint64_t)m->balanced) || ll_write_size(out, m->n_cols) ||
                 ll_write_f64s(out, m->theta, m->n_cols + 1);
    return failed ? ll_fail(err, LL_EFAIL, "logreg: could not write the model bytes") : LL_OK;
}

static ll_status logreg_load(const ll_host *host, ll_reader *in, void **state, ll_err *err)
{
    *state = NULL;
    uint64_t format;
    if (ll_read_u64(in, &format) != 0)
        return ll_fail(err, LL_EINVAL, "logreg: model bytes truncated or corrupt");
    if (format != LOGREG_FORMAT)
        return ll_fail(err, LL_EINVAL, "logreg: saved model format %llu unknown (this plugin "
                       "reads format %d)", (unsigned long long)format, LOGREG_FORMAT);
    logreg *m = calloc(1, sizeof *m);
    if (!m)
        return ll_fail(err, LL_ENOMEM, "logreg: out of memory");
    m->host = host;
    uint64_t max_iter, balanced;
    size_t p = 0;
    /* The ranges are the schema's, so a loaded state holds only values create could give. */
    int ok = ll_read_f64(in, &m->C) == 0 && ll_read_f64(in, &m->tol) == 0 &&
             ll_read_u64(in, &max_iter) == 0 && ll_read_u64(in, &balanced) == 0 &&
             ll_read_size(in, sizeof(double), MAX_SAVED_COLS, &p) == 0 && m->C > 0.0 &&
             isfinite(m->C) && m->tol >= 0.0 && m->tol <= 1.0 && max_iter >= 1 &&
             max_iter <= 100000 && balanced <= 1;
    if (ok) {
        m->max_iter = (long)max_iter;
        m->balanced = (int)balanced;
        if (!(m->theta = malloc((p + 1) * sizeof *m->theta))) {
            logreg_destroy(m);
            return ll_fail(err, LL_ENOMEM, "logreg: out of memory for %zu coefficients", p + 1);
        }
        ok = ll_read_f64s(in, m->theta, p + 1) == 0 && all_finite(m->theta, p + 1);
    }
    if (!ok) {
        logreg_destroy(m);
        return ll_fail(err, LL_EINVAL, "logreg: model bytes truncated or corrupt");
    }
    m->n_cols = p;
    *state = m;
    return LL_OK;
}

/* |w_j| per feature. The weights act on the features as the model was given them: when the
 * spec scales, the runner has standardised them, and these are coefficients per standard
 * deviation of the raw feature. */
static ll_status logreg_importances(const void *state, size_t n_cols, double *out, ll_err *err)
{
    const logreg *m = state;
    if (!m->theta)
        return ll_fail(err, LL_EINVAL, "logreg: importances before fit");
    if (n_cols != m->n_cols)
        return ll_fail(err, LL_EINVAL, "logreg: fitted on %zu columns, asked for %zu importances",
                       m->n_cols, n_cols);
    for (size_t j = 0; j < n_cols; j++)
        out[j] = fabs(m->theta[j]);
    return LL_OK;
}

static const ll_param logreg_params[] = {
    {.name = "C", .type = LL_P_REAL, .dflt = "1.0", .min = 0.0, .max = HUGE_VAL,
     .flags = LL_P_MIN_EXCLUSIVE,
     .doc = "inverse regularisation: minimises 0.5 |w|^2 + C * sum of class-weighted log-losses "
            "(intercept not penalised)"},
    {.name = "max_iter", .type = LL_P_INT, .dflt = "100", .min = 1, .max = 100000,
     .doc = "Newton iterations at most (a warning is logged when they run out)"},
    {.name = "tol", .type = LL_P_REAL, .dflt = "1e-8", .min = 0.0, .max = 1.0,
     .doc = "stop when max |gradient of f| <= tol * C * sum of row weights, i.e. the gradient "
            "of the mean weighted loss falls below tol"},
    {.name = "class_weight", .type = LL_P_STR, .dflt = "none", .choices = "none|balanced",
     .doc = "balanced: rows of class c weigh n / (2 n_c), as scikit-learn's 'balanced'"},
};

static const ll_model_vt logreg_vt = {
    .struct_size = sizeof(ll_model_vt),
    .create = logreg_create,
    .fit = logreg_fit,
    .predict_proba = logreg_predict,
    .destroy = logreg_destroy,
    .save = logreg_save,
    .load = logreg_load,
    .importances = logreg_importances,
    .importance_kind = "abs_coef",
};

static const ll_plugin logreg_plugin = {
    LL_PLUGIN_ABI,
    .name = "logreg",
    .version = "1.1.0",
    .summary = "L2-regularised logistic regression (Newton-Cholesky), as scikit-learn's "
               "LogisticRegression",
    LL_PARAMS(logreg_params),
    .model = &logreg_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &logreg_plugin; }
