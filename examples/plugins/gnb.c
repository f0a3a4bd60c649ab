/* Example out-of-tree model `gnb`: Gaussian naive Bayes as scikit-learn's GaussianNB (per-class
 * mean and variance, a variance floor, a class prior learned or given), with save/load. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <leadlab/plugin.h>

/* Bumped when the saved layout changes, so an old file is refused rather than misread. */
#define GNB_FORMAT 1u
/* Columns a saved model may claim: far beyond any real table, far below an overflow. */
#define GNB_MAX_COLS ((size_t)1 << 24)

typedef struct {
    double var_smoothing;
    int fixed_prior; /* priors given as a parameter, not learned */
    double prior[2]; /* P(y = 0), P(y = 1) */
    size_t n_cols;   /* 0 until fitted (or loaded) */
    double *mean;    /* [class * n_cols + j] */
    double *var;     /* [class * n_cols + j], floored, > 0 */
} gnb;

static void gnb_forget(gnb *m)
{
    free(m->mean);
    free(m->var);
    m->mean = m->var = NULL;
    m->n_cols = 0;
}

static ll_status gnb_alloc(gnb *m, size_t n_cols)
{
    m->mean = malloc(2 * n_cols * sizeof *m->mean);
    m->var = malloc(2 * n_cols * sizeof *m->var);
    if (!m->mean || !m->var) {
        gnb_forget(m);
        return LL_ENOMEM;
    }
    m->n_cols = n_cols;
    return LL_OK;
}

static ll_status gnb_create(const ll_host *host, const ll_params *params, void **state,
                            ll_err *err)
{
    double priors[2];
    size_t n = host->real_list(params, "priors", priors, 2);
    if (n != 0 && n != 2)
        return ll_fail(err, LL_EINVAL, "gnb: priors takes two values [P(y=0), P(y=1)], got %zu",
                       n);
    /* The tolerance of numpy's isclose, which scikit-learn applies to the sum. */
    if (n == 2 && fabs(priors[0] + priors[1] - 1.0) > 1e-8 + 1e-5)
        return ll_fail(err, LL_EINVAL, "gnb: priors [%g, %g] sum to %.17g, not 1", priors[0],
                       priors[1], priors[0] + priors[1]);
    gnb *m = calloc(1, sizeof *m);
    if (!m)
        return ll_fail(err, LL_ENOMEM, "gnb: out of memory");
    m->var_smoothing = host->real(params, "var_smoothing");
    m->fixed_prior = n == 2;
    if (m->fixed_prior) {
        m->prior[0] = priors[0];
        m->prior[1] = priors[1];
    }
    *state = m;
    return LL_OK;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static ll_status gnb_fit(void *state, const ll_data *train, uint64_t seed, int threads,
                         ll_err *err)
{
    (void)seed;    /* nothing random */
    (void)threads; /* two passes over the data: threads would cost more than they save */
    gnb *m = state;
    size_t d = train->n_cols, count[2] = {0, 0};
    gnb_forget(m);
    for (size_t i = 0; i < train->n_rows; i++) {
        if (train->y[i] > 1)
            return ll_fail(err, LL_EINVAL, "gnb: label %u in row %zu is not 0 or 1",
                           (unsigned)train->y[i], i);
        count[train->y[i]]++;
    }
    if (count[0] == 0 || count[1] == 0)
        return ll_fail(err, LL_EINVAL, "gnb: the training rows hold only class %d",
                       count[1] > 0);
    if (d == 0)
        return ll_fail(err, LL_EINVAL, "gnb: the training rows have no feature");
    if (!all_finite(train->x, train->n_rows * d))
        return ll_fail(err, LL_EINVAL, "gnb: the training rows hold a non-finite value");
    if (gnb_alloc(m, d) != LL_OK)
        return ll_fail(err, LL_ENOMEM, "gnb: out of memory for %zu columns", d);

    /* Two passes (mean, then squared deviations) keep the variance exact where the one-pass
     * formula E[x^2] - E[x]^2 cancels. */
    double *mean = m->mean, *var = m->var;
    memset(mean, 0, 2 * d * sizeof *mean);
    memset(var, 0, 2 * d * sizeof *var);
    for (size_t i = 0; i < train->n_rows; i++)
        for (size_t j = 0; j < d; j++)
            mean[train->y[i] * d + j] += train->x[i * d + j];
    for (size_t c = 0; c < 2; c++)
        for (size_t j = 0; j < d; j++)
            mean[c * d + j] /= (double)count[c];
    for (size_t i = 0; i < train->n_rows; i++)
        for (size_t j = 0; j < d; j++) {
            double dev = train->x[i * d + j] - mean[train->y[i] * d + j];
            var[train->y[i] * d + j] += dev * dev;
        }

    /* The floor: var_smoothing times the largest variance of a feature over all rows. */
    double n = (double)train->n_rows, largest = 0.0;
    for (size_t j = 0; j < d; j++) {
        double all_mean = (mean[j] * (double)count[0] + mean[d + j] * (double)count[1]) / n;
        double ss = 0.0;
        for (size_t i = 0; i < train->n_rows; i++) {
            double dev = train->x[i * d + j] - all_mean;
            ss += dev * dev;
        }
        if (ss / n > largest)
            largest = ss / n;
    }
    /* Where scikit-learn would divide by zero: with every feature constant the floor is
     * var_smoothing itself, and with var_smoothing = 0 the smallest normal double (then a row
     * off a class-constant feature's value scores 0 for that class, or fails if both do). */
    double var_floor = m->var_smoothing * (largest > 0.0 ? largest : 1.0);
    if (var_floor < DBL_MIN)
        var_floor = DBL_MIN;
    for (size_t c = 0; c < 2; c++)
        for (size_t j = 0; j < d; j++)
            var[c * d + j] = var[c * d + j] / (double)count[c] + var_floor;
    if (!m->fixed_prior) {
        m->prior[0] = (double)count[0] / n;
        m->prior[1] = (double)count[1] / n;
    }
    return LL_OK;
}

/* log P(x | class) + log P(class), dropping the 2 pi term both classes share. */
static double joint_log_likelihood(const gnb *m, size_t c, const double *x)
{
    const double *mean = m->mean + c * m->n_cols, *var = m->var + c * m->n_cols;
    double jll = log(m->prior[c]);
    for (size_t j = 0; j < m->n_cols; j++) {
        double dev = x[j] - mean[j];
        jll -= 0.5 * (log(var[j]) + dev * dev / var[j]);
    }
    return jll;
}

static ll_status gnb_predict(const void *state, const ll_data *x, int threads, double *out,
                             ll_err *err)
{
    (void)threads; /* one pass over the rows */
    const gnb *m = state;
    if (!m->n_cols)
        return ll_fail(err, LL_EINVAL, "gnb: predict before a successful fit");
    if (x->n_cols != m->n_cols)
        return ll_fail(err, LL_EINVAL, "gnb: %zu columns at prediction, %zu at fit", x->n_cols,
                       m->n_cols);
    for (size_t i = 0; i < x->n_rows; i++) {
        const double *row = x->x + i * x->n_cols;
        /* P(1) = 1 / (1 + exp(jll0 - jll1)): a zero prior gives exactly 0 or 1, and no
         * exp() of a large positive log-likelihood overflows. */
        double p = 1.0 / (1.0 + exp(joint_log_likelihood(m, 0, row) -
                                    joint_log_likelihood(m, 1, row)));
        if (!(p >= 0.0 && p <= 1.0))
            return ll_fail(err, LL_ENUMERIC, "gnb: row %zu scores NaN (a non-finite value?)", i);
        out[i] = p;
    }
    return LL_OK;
}

static void gnb_destroy(void *state)
{
    gnb *m = state;
    if (!m)
        return;
    gnb_forget(m);
    free(m);
}

/* Layout: format, n_cols, the two priors, the means, the variances (little-endian). */
static ll_status gnb_save(const void *state, ll_writer *out, ll_err *err)
{
    const gnb *m = state;
    if (!m->n_cols)
        return ll_fail(err, LL_EINVAL, "gnb: save before a successful fit");
    if (ll_write_u64(out, GNB_FORMAT) || ll_write_size(out, m->n_cols) ||
        ll_write_f64s(out, m->prior, 2) || ll_write_f64s(out, m->mean, 2 * m->n_cols) ||
        ll_write_f64s(out, m->var, 2 * m->n_cols))
        return ll_fail(err, LL_EFAIL, "gnb: could not write the model");
    return LL_OK;
}

/* Rebuilds a fitted state, refusing anything predict could not use: a corrupt file fails here
 * with a reason, not later with NaN scores. */
static ll_status gnb_load(const ll_host *host, ll_reader *in, void **state, ll_err *err)
{
    (void)host;
    uint64_t format;
    size_t d;
    if (ll_read_u64(in, &format) != 0)
        return ll_fail(err, LL_EINVAL, "gnb: the saved model is truncated");
    if (format != GNB_FORMAT)
        return ll_fail(err, LL_EINVAL, "gnb: saved model format %llu, this gnb reads %u",
                       (unsigned long long)format, GNB_FORMAT);
    /* 4 doubles per column (two means, two variances) must follow. */
    if (ll_read_size(in, 4 * sizeof(double), GNB_MAX_COLS, &d) != 0 || d == 0)
        return ll_fail(err, LL_EINVAL, "gnb: the saved model's column count is corrupt");
    gnb *m = calloc(1, sizeof *m);
    if (!m || gnb_alloc(m, d) != LL_OK) {
        free(m);
        return ll_fail(err, LL_ENOMEM, "gnb: out of memory for %zu columns", d);
    }
    m->fixed_prior = 1;
    const char *why = NULL;
    if (ll_read_f64s(in, m->prior, 2) || ll_read_f64s(in, m->mean, 2 * d) ||
        ll_read_f64s(in, m->var, 2 * d))
        why = "is truncated";
    else if (in->remaining(in->ctx) != 0)
        why = "has bytes after its end";
    else if (!(m->prior[0] >= 0.0 && m->prior[1] >= 0.0 &&
               fabs(m->prior[0] + m->prior[1] - 1.0) <= 1e-8 + 1e-5))
        why = "holds invalid priors";
    else if (!all_finite(m->mean, 2 * d))
        why = "holds a non-finite mean";
    for (size_t k = 0; !why && k < 2 * d; k++)
        if (!(m->var[k] > 0.0 && isfinite(m->var[k])))
            why = "holds a variance that is not positive and finite";
    if (why) {
        gnb_destroy(m);
        return ll_fail(err, LL_EINVAL, "gnb: the saved model %s", why);
    }
    *state = m;
    return LL_OK;
}

/* How far apart the class means are in pooled standard deviations (Cohen's d): large for a
 * feature that separates the classes on its own. */
static ll_status gnb_importances(const void *state, size_t n_cols, double *out, ll_err *err)
{
    const gnb *m = state;
    if (!m->n_cols || n_cols != m->n_cols)
        return ll_fail(err, LL_EINVAL, "gnb: importances for %zu columns, fitted on %zu", n_cols,
                       m->n_cols);
    for (size_t j = 0; j < n_cols; j++)
        out[j] = fabs(m->mean[n_cols + j] - m->mean[j]) /
                 sqrt(0.5 * (m->var[j] + m->var[n_cols + j]));
    return LL_OK;
}

static const ll_param gnb_params[] = {
    LL_PARAM_REAL("var_smoothing", "1e-9", 0, 1,
                  "added to every variance, as a share of the largest feature variance "
                  "(scikit-learn's var_smoothing)"),
    LL_PARAM_REAL_LIST("priors", "[]", 0, 1,
                       "class prior [P(y=0), P(y=1)], summing to 1, e.g. [0.95, 0.05]; "
                       "[] = the class shares of the training rows"),
};

static const ll_model_vt gnb_vt = {
    .struct_size = sizeof(ll_model_vt),
    .create = gnb_create,
    .fit = gnb_fit,
    .predict_proba = gnb_predict,
    .destroy = gnb_destroy,
    .save = gnb_save,
    .load = gnb_load,
    .importances = gnb_importances,
    .importance_kind = "cohens_d",
};

static const ll_plugin gnb_plugin = {
    LL_PLUGIN_ABI,
    .name = "gnb",
    .version = "1.0.0",
    .summary = "Gaussian naive Bayes (scikit-learn's GaussianNB)",
    LL_PARAMS(gnb_params),
    .model = &gnb_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &gnb_plugin; }
