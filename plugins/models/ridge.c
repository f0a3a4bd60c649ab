/* leadlab model `ridge`: scikit-learn's RidgeClassifier. Least squares on targets -1/+1 with an
 * L2 penalty alpha and an unpenalised intercept, solved exactly; P(y = 1) = logistic(margin).
 *
 * Centring X and the targets on their (class-weighted) means leaves the intercept out of the
 * penalty, as scikit-learn does: (Xc^T S Xc + alpha I) w = Xc^T S tc by Cholesky, then
 * intercept = tbar - xbar.w, with S the row weights (1, or n / (2 n_c) when balanced). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leadlab/plugin.h"
#include "linalg.h"

/* At alpha = 0 a pivot that kept less than this share of its column's own centred sum of
 * squares means the column is (numerically) a combination of earlier ones: X^T X is singular. */
static const double SINGULAR_PIVOT_SHARE = 1e-10;

typedef struct {
    double alpha;
    int balanced;
    size_t n_cols;
    double *weights; /* n_cols coefficients; NULL until fitted */
    double intercept;
} ridge;

/* Sums of one fit, all carved from one allocation. */
typedef struct {
    size_t p;
    double row_weight[2]; /* for y = 0 and y = 1 */
    double *pool;
    double *xbar;    /* p weighted column means */
    double *gram;    /* p x p, lower triangle: Xc^T S Xc + alpha I, then its Cholesky factor */
    double *rhs;     /* p: Xc^T S (t - tbar), then the solution w */
    double *diag;    /* p: the diagonal of gram before factoring */
    double *centred; /* p: the row being added */
    double tbar;
} normal_eq;

static double sigmoid(double z)
{
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* ---- normal equations ------------------------------------------------------------------- */

static ll_status normal_eq_alloc(normal_eq *ne, size_t p, ll_err *err)
{
    size_t doubles = p + p * p + p + p + p;
    memset(ne, 0, sizeof *ne);
    ne->pool = calloc(doubles ? doubles : 1, sizeof *ne->pool);
    if (!ne->pool)
        return ll_fail(err, LL_ENOMEM, "ridge: out of memory for %zu features", p);
    ne->p = p;
    ne->xbar = ne->pool;
    ne->gram = ne->xbar + p;
    ne->rhs = ne->gram + p * p;
    ne->diag = ne->rhs + p;
    ne->centred = ne->diag + p;
    return LL_OK;
}

/* Row weights (balanced: n / (2 n_c)), weighted column means and weighted target mean. */
static ll_status weighted_means(normal_eq *ne, const ll_data *train, int balanced, ll_err *err)
{
    size_t n = train->n_rows, p = ne->p, n_pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (train->y[i] > 1)
            return ll_fail(err, LL_EINVAL, "ridge: label %u in row %zu is not 0 or 1",
                           (unsigned)train->y[i], i);
        n_pos += train->y[i];
    }
    ne->row_weight[0] = ne->row_weight[1] = 1.0;
    if (balanced) { /* an absent class gets no rows, so its weight never matters */
        ne->row_weight[0] = n_pos < n ? (double)n / (2.0 * (double)(n - n_pos)) : 1.0;
        ne->row_weight[1] = n_pos > 0 ? (double)n / (2.0 * (double)n_pos) : 1.0;
    }
    double total = 0.0, tsum = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *restrict x = train->x + i * p;
        double s = ne->row_weight[train->y[i]];
        total += s;
        tsum += train->y[i] ? s : -s;
        for (size_t j = 0; j < p; j++)
            ne->xbar[j] += s * x[j];
    }
    for (size_t j = 0; j < p; j++)
        ne->xbar[j] /= total;
    ne->tbar = tsum / total;
    if (!all_finite(ne->xbar, p))
        return ll_fail(err, LL_EINVAL, "ridge: the training rows hold a non-finite value");
    return LL_OK;
}

/* Adds training row i, centred, to the lower triangle of gram and to rhs. */
static void add_row(normal_eq *ne, const ll_data *train, size_t i)
{
    size_t p = ne->p;
    const double *restrict x = train->x + i * p;
    double *restrict c = ne->centred;
    for (size_t j = 0; j < p; j++)
        c[j] = x[j] - ne->xbar[j];
    uint8_t label = train->y[i];
    double s = ne->row_weight[label];
    double st = s * ((label ? 1.0 : -1.0) - ne->tbar);
    for (size_t j = 0; j < p; j++) {
        double scj = s * c[j];
        double *restrict row = ne->gram + j * p;
        for (size_t k = 0; k <= j; k++)
            row[k] += scj * c[k];
        ne->rhs[j] += st * c[j];
    }
}

/* Factors gram + alpha I and overwrites rhs with w. */
static ll_status solve_weights(normal_eq *ne, double alpha, ll_err *err)
{
    size_t p = ne->p;
    for (size_t j = 0; j < p; j++) {
        ne->gram[j * p + j] += alpha;
        ne->diag[j] = ne->gram[j * p + j];
    }
    int failed = ll_cholesky_factor(ne->gram, p) != 0;
    for (size_t j = 0; j < p && !failed && alpha == 0.0; j++) {
        double pivot = ne->gram[j * p + j];
        failed = pivot * pivot < SINGULAR_PIVOT_SHARE * ne->diag[j];
    }
    if (failed && alpha == 0.0)
        return ll_fail(err, LL_ENUMERIC, "ridge: X^T X is singular at alpha=0 (constant or "
                                         "duplicate columns); use alpha > 0");
    if (failed)
        return ll_fail(err, LL_ENUMERIC,
                       "ridge: X^T X + alpha I is not numerically positive definite at "
                       "alpha=%g; use a larger alpha",
                       alpha);
    ll_cholesky_solve(ne->gram, p, ne->rhs);
    return LL_OK;
}

/* ---- the plugin ------------------------------------------------------------------------- */

static ll_status ridge_create(const ll_host *host, const ll_params *params, void **state,
                              ll_err *err)
{
    ridge *m = calloc(1, sizeof *m);
    if (!m)
        return ll_fail(err, LL_ENOMEM, "ridge: out of memory");
    m->alpha = host->real(params, "alpha");
    m->balanced = strcmp(host->string(params, "class_weight"), "balanced") == 0;
    *state = m;
    return LL_OK;
}

static ll_status ridge_fit(void *state, const ll_data *train, uint64_t seed, int threads,
                           ll_err *err)
{
    (void)seed;    /* the solution is exact: nothing random */
    (void)threads; /* one pass of n p^2 / 2 multiply-adds: milliseconds, not worth threads */
    ridge *m = state;
    free(m->weights);
    m->weights = NULL;
    if (train->n_rows == 0)
        return ll_fail(err, LL_EINVAL, "ridge: no training rows");
    size_t p = train->n_cols;
    normal_eq ne;
    ll_status st = normal_eq_alloc(&ne, p, err);
    if (st != LL_OK)
        return st;
    st = weighted_means(&ne, train, m->balanced, err);
    for (size_t i = 0; st == LL_OK && i < train->n_rows; i++)
        add_row(&ne, train, i);
    if (st == LL_OK)
        st = solve_weights(&ne, m->alpha, err);
    double intercept = ne.tbar;
    for (size_t j = 0; st == LL_OK && j < p; j++)
        intercept -= ne.xbar[j] * ne.rhs[j];
    if (st == LL_OK && (!all_finite(ne.rhs, p) || !isfinite(intercept)))
        st = ll_fail(err, LL_ENUMERIC, "ridge: the solution is not finite (alpha=%g)", m->alpha);
    if (st == LL_OK) {
        m->weights = malloc((p ? p : 1) * sizeof *m->weights);
        if (!m->weights)
            st = ll_fail(err, LL_ENOMEM, "ridge: out of memory");
    }
    if (st == LL_OK) {
        memcpy(m->weights, ne.rhs, p * sizeof *m->weights);
        m->n_cols = p;
        m->intercept = intercept;
    }
    free(ne.pool);
    return st;
}

static ll_status ridge_predict(const void *state, const ll_data *x, int threads, double *out,
                     ll_err *err)
{
    (void)threads; /* single-threaded: one dot product per row */
    const ridge *m = state;
    if (!m->weights)
        return ll_fail(err, LL_EINVAL, "ridge: predict before a successful fit");
    if (x->n_cols != m->n_cols)
        return ll_fail(err, LL_EINVAL, "ridge: %zu columns at prediction, %zu at fit", x->n_cols,
                       m->n_cols);
    const double *restrict w = m->weights;
    for (size_t i = 0; i < x->n_rows; i++) {
        const double *restrict row = x->x + i * m->n_cols;
        double margin = m->intercept;
        for (size_t j = 0; j < m->n_cols; j++)
            margin += row[j] * w[j];
        if (!isfinite(margin))
            return ll_fail(err, LL_EINVAL, "ridge: row %zu holds a non-finite value", i);
        out[i] = sigmoid(margin);
    }
    return LL_OK;
}

static void ridge_destroy(void *state)
{
    ridge *m = state;
    if (!m)
        return;
    free(m->weights);
    free(m);
}

/* ---- saved models and importances --------------------------------------------------------
 * Format 1, little-endian through plugin.h's helpers: u64 tag, f64 alpha, u64 balanced,
 * size n_cols, n_cols f64 weights, f64 intercept. alpha and class_weight are saved too, so a
 * loaded state is the fitted one in full and even refits like it. */
enum { RIDGE_FORMAT = 1 };
/* Far above any real feature count; keeps n_cols * 8 far from overflow. */
static const size_t MAX_SAVED_COLS = (size_t)1 << 24;

static ll_status ridge_save(const void *state, ll_writer *out, ll_err *err)
{
    const ridge *m = state;
    if (!m->weights)
        return ll_fail(err, LL_EINVAL, "ridge: save before fit");
    int failed = ll_write_u64(out, RIDGE_FORMAT) || ll_write_f64(out, m->alpha) ||
                 ll_write_u64(out, (uint64_t)m->balanced) || ll_write_size(out, m->n_cols) ||
                 ll_write_f64s(out, m->weights, m->n_cols) || ll_write_f64(out, m->intercept);
    return failed ? ll_fail(err, LL_EFAIL, "ridge: could not write the model bytes") : LL_OK;
}

static ll_status ridge_load(const ll_host *host, ll_reader *in, void **state, ll_err *err)
{
    (void)host; /* ridge logs nothing */
    *state = NULL;
    uint64_t format;
    if (ll_read_u64(in, &format) != 0)
        return ll_fail(err, LL_EINVAL, "ridge: model bytes truncated or corrupt");
    if (format != RIDGE_FORMAT)
        return ll_fail(err, LL_EINVAL, "ridge: saved model format %llu unknown (this plugin "
                       "reads format %d)", (unsigned long long)format, RIDGE_FORMAT);
    ridge *m = calloc(1, sizeof *m);
    if (!m)
        return ll_fail(err, LL_ENOMEM, "ridge: out of memory");
    uint64_t balanced;
    size_t p = 0;
    /* alpha's range is the schema's, so a loaded state holds only values create could give. */
    int ok = ll_read_f64(in, &m->alpha) == 0 && ll_read_u64(in, &balanced) == 0 &&
             ll_read_size(in, sizeof(double), MAX_SAVED_COLS, &p) == 0 && m->alpha >= 0.0 &&
             isfinite(m->alpha) && balanced <= 1;
    if (ok) {
        m->balanced = (int)balanced;
        if (!(m->weights = malloc((p ? p : 1) * sizeof *m->weights))) {
            ridge_destroy(m);
            return ll_fail(err, LL_ENOMEM, "ridge: out of memory for %zu weights", p);
        }
        ok = ll_read_f64s(in, m->weights, p) == 0 && ll_read_f64(in, &m->intercept) == 0 &&
             all_finite(m->weights, p) && isfinite(m->intercept);
    }
    if (!ok) {
        ridge_destroy(m);
        return ll_fail(err, LL_EINVAL, "ridge: model bytes truncated or corrupt");
    }
    m->n_cols = p;
    *state = m;
    return LL_OK;
}

/* |w_j| per feature. The weights act on the features as the model was given them: when the
 * spec scales, the runner has standardised them, and these are coefficients per standard
 * deviation of the raw feature. */
static ll_status ridge_importances(const void *state, size_t n_cols, double *out, ll_err *err)
{
    const ridge *m = state;
    if (!m->weights)
        return ll_fail(err, LL_EINVAL, "ridge: importances before fit");
    if (n_cols != m->n_cols)
        return ll_fail(err, LL_EINVAL, "ridge: fitted on %zu columns, asked for %zu importances",
                       m->n_cols, n_cols);
    for (size_t j = 0; j < n_cols; j++)
        out[j] = fabs(m->weights[j]);
    return LL_OK;
}

static const ll_param ridge_params[] = {
    {.name = "alpha", .type = LL_P_REAL, .dflt = "1.0", .min = 0.0, .max = HUGE_VAL,
     .doc = "L2 penalty on the coefficients (not the intercept); 0 = ordinary least squares, "
            "which fails on constant or duplicate columns"},
    {.name = "class_weight", .type = LL_P_STR, .dflt = "none", .choices = "none|balanced",
     .doc = "balanced: rows of class c weigh n / (2 n_c), as scikit-learn's 'balanced'"},
};

static const ll_model_vt ridge_vt = {
    .struct_size = sizeof(ll_model_vt),
    .create = ridge_create,
    .fit = ridge_fit,
    .predict_proba = ridge_predict,
    .destroy = ridge_destroy,
    .save = ridge_save,
    .load = ridge_load,
    .importances = ridge_importances,
    .importance_kind = "abs_coef",
};

static const ll_plugin ridge_plugin = {
    LL_PLUGIN_ABI,
    .name = "ridge",
    .version = "1.1.0",
    .summary = "ridge classifier (scikit-learn's RidgeClassifier): least squares on -1/+1, "
               "P = logistic(margin)",
    LL_PARAMS(ridge_params),
    .model = &ridge_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &ridge_plugin; }
