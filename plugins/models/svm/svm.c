/* leadlab model `svm`: support vector classifier, linear (dual coordinate descent, LinearSVC
 * semantics) or Gaussian kernel (SMO, SVC semantics), with Platt or logistic probabilities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leadlab/plugin.h"
#include "platt.h"
#include "svm_machine.h"
#include "svm_unique.h"

#define FINITE_POSITIVE (LL_P_MIN_EXCLUSIVE | LL_P_MAX_EXCLUSIVE) /* with (0, HUGE_VAL) */

static const ll_param svm_params[] = {
    {"kernel", LL_P_STR, "rbf", 0, 0, "linear|rbf",
     "rbf: SMO on exp(-gamma |x - x'|^2) like SVC; linear: squared hinge with a penalised bias "
     "like LinearSVC(loss='squared_hinge', dual=True, intercept_scaling=1)", 0},
    {"C", LL_P_REAL, "1.0", 0, HUGE_VAL, NULL, "penalty on margin violations", FINITE_POSITIVE},
    {"gamma", LL_P_REAL, "scale", 0, HUGE_VAL, "scale|auto",
     "rbf width; scale = 1 / (n_features * variance of all training entries), auto = "
     "1 / n_features", FINITE_POSITIVE},
    {"class_weight", LL_P_STR, "none", 0, 0, "none|balanced",
     "balanced multiplies C of class c by n / (2 n_c)", 0},
    {"tol", LL_P_REAL, "0.001", 0, HUGE_VAL, NULL,
     "stopping tolerance on the largest KKT violation (projected gradient for linear)",
     FINITE_POSITIVE},
    {"max_iter", LL_P_INT, "0", 0, 1e15, NULL,
     "solver cap: SMO pair updates (rbf) or passes over the data (linear); 0 = max(1e7, 100 n) "
     "for rbf as libsvm, 1000 for linear as LinearSVC; reaching it logs a warning", 0},
    {"probability", LL_P_STR, "platt", 0, 0, "platt|sigmoid",
     "platt: sigmoid fitted to decision values (Lin, Lin, Weng 2007); sigmoid: 1 / (1 + "
     "exp(-decision)), so the 0.5 cut is the margin", 0},
    /* Default 0: on the lead data (bench/specs/svm.yaml, rbf C=1 gamma=scale) Platt on the
     * training decision values, Platt on 5-fold internal CV values and the bare margin all gave
     * F1 = 0.6843 at 0.5; the CV costs 5 more fits (fit time x5). */
    {"platt_folds", LL_P_INT, "0", 0, 20, NULL,
     "0: fit Platt on the training decision values; k >= 2: on k-fold internal CV decision "
     "values as libsvm (k more fits)", 0},
    {"cache_mb", LL_P_REAL, "200", 1, HUGE_VAL, NULL, "kernel row cache of the rbf solver",
     LL_P_MAX_EXCLUSIVE},
};

typedef struct {
    const ll_host *host;
    ll_svm_kernel kernel;
    int balanced, platt;
    double c, gamma_value, tol, cache_mb;
    const char *gamma_rule; /* "scale", "auto" or NULL when gamma is a number */
    long max_iter, platt_folds;
    /* fitted */
    ll_svm_machine machine;
    ll_platt platt_fit;
    int fitted;
} svm_state;

static ll_status svm_create(const ll_host *host, const ll_params *params, void **state,
                            ll_err *err)
{
    svm_state *s = calloc(1, sizeof *s);
    if (!s)
        return ll_fail(err, LL_ENOMEM, "svm: out of memory");
    s->host = host;
    s->kernel = strcmp(host->string(params, "kernel"), "linear") == 0 ? LL_SVM_LINEAR : LL_SVM_RBF;
    s->c = host->real(params, "C");
    s->gamma_value = host->real(params, "gamma");
    if (isnan(s->gamma_value))
        s->gamma_rule = strcmp(host->string(params, "gamma"), "auto") == 0 ? "auto" : "scale";
    s->balanced = strcmp(host->string(params, "class_weight"), "balanced") == 0;
    s->tol = host->real(params, "tol");
    s->max_iter = host->integer(params, "max_iter");
    s->platt = strcmp(host->string(params, "probability"), "platt") == 0;
    s->platt_folds = host->integer(params, "platt_folds");
    s->cache_mb = host->real(params, "cache_mb");
    if (s->platt_folds == 1) {
        free(s);
        return ll_fail(err, LL_EINVAL, "svm: platt_folds=1 is not a cross-validation; use 0 "
                                       "(training decision values) or 2 and more");
    }
    *state = s;
    return LL_OK;
}

static void svm_destroy(void *state)
{
    svm_state *s = state;
    if (!s)
        return;
    ll_svm_machine_free(&s->machine);
    free(s);
}

/* scikit-learn's gamma='scale': 1 / (n_features * X.var()) over all entries, 1 if X is constant. */
static double gamma_scale(const ll_data *train)
{
    size_t cells = train->n_rows * train->n_cols;
    double mean = 0.0, ss = 0.0;
    for (size_t k = 0; k < cells; k++)
        mean += train->x[k];
    mean /= (double)cells;
    for (size_t k = 0; k < cells; k++)
        ss += (train->x[k] - mean) * (train->x[k] - mean);
    double var = ss / (double)cells;
    return var > 0.0 ? 1.0 / ((double)train->n_cols * var) : 1.0;
}

/* Stratified fold of every row for Platt's internal CV: each class shuffled, then dealt out. */
static void assign_folds(const uint8_t *y, size_t n, size_t k, uint64_t seed, size_t *scratch,
                         size_t *fold)
{
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    for (int cls = 0; cls <= 1; cls++) {
        size_t m = 0;
        for (size_t r = 0; r < n; r++)
            if ((y[r] != 0) == cls)
                scratch[m++] = r;
        ll_rng_shuffle_size(&rng, scratch, m);
        for (size_t t = 0; t < m; t++)
            fold[scratch[t]] = t % k;
    }
}

/* Decision values of the held-out rows of fold f from a model fitted on the other folds; a
 * training part with a single class gives that class's +-1, as libsvm. */
static ll_status held_out_decisions(const ll_svm_setup *setup, const ll_data *train,
                                    const size_t *fold, size_t f, uint64_t seed, int threads,
                                    size_t *rows, double *held_x, double *held_dec, double *dec,
                                    int *hit_max_iter)
{
    const size_t n = train->n_rows, d = train->n_cols;
    size_t n_fit = 0, n_held = 0, n_pos = 0;
    for (size_t r = 0; r < n; r++) {
        if (fold[r] == f) {
            memcpy(held_x + n_held++ * d, train->x + r * d, d * sizeof *held_x);
        } else {
            rows[n_fit++] = r;
            n_pos += train->y[r] != 0;
        }
    }
    ll_status st = LL_OK;
    if (n_pos == 0 || n_pos == n_fit) {
        for (size_t t = 0; t < n_held; t++)
            held_dec[t] = n_pos ? 1.0 : -1.0;
    } else {
        ll_svm_unique u;
        if (ll_svm_unique_rows(train->x, train->y, d, rows, n_fit, &u) != 0)
            return LL_ENOMEM;
        ll_svm_machine m;
        st = ll_svm_machine_fit(setup, &u, seed, threads, &m, NULL);
        if (st == LL_OK) {
            *hit_max_iter |= m.hit_max_iter;
            st = ll_svm_machine_decision(&m, held_x, n_held, threads, held_dec);
        }
        ll_svm_machine_free(&m);
        ll_svm_unique_free(&u);
    }
    for (size_t r = 0, t = 0; r < n && st == LL_OK; r++)
        if (fold[r] == f)
            dec[r] = held_dec[t++];
    return st;
}

/* libsvm's svm_binary_svc_probability: Platt fitted on k-fold internal CV decision values. */
static ll_status platt_internal_cv(const ll_svm_setup *setup, const ll_data *train, size_t k,
                                   uint64_t seed, int threads, ll_platt *fit, int *hit_max_iter)
{
    const size_t n = train->n_rows, d = train->n_cols;
    size_t *fold = malloc(n * sizeof *fold), *rows = malloc(n * sizeof *rows);
    double *held_x = malloc(n * d * sizeof *held_x), *held_dec = malloc(n * sizeof *held_dec);
    double *dec = malloc(n * sizeof *dec);
    ll_status st = fold && rows && held_x && held_dec && dec ? LL_OK : LL_ENOMEM;
    if (st == LL_OK)
        assign_folds(train->y, n, k, ll_seed_mix(seed, 1), rows, fold);
    for (size_t f = 0; f < k && st == LL_OK; f++)
        st = held_out_decisions(setup, train, fold, f, ll_seed_mix(seed, 2 + f), threads, rows,
                                held_x, held_dec, dec, hit_max_iter);
    if (st == LL_OK)
        *fit = ll_platt_fit(dec, train->y, NULL, n);
    free(fold);
    free(rows);
    free(held_x);
    free(held_dec);
    free(dec);
    return st;
}

/* The final decision function, and Platt's sigmoid on the training decision values (weighted
 * by row copies) or on internal CV decision values. */
static ll_status fit_all(svm_state *s, const ll_svm_setup *setup, const ll_data *train,
                         uint64_t seed, int threads, int *hit_max_iter)
{
    ll_svm_unique u;
    if (ll_svm_unique_rows(train->x, train->y, train->n_cols, NULL, train->n_rows, &u) != 0)
        return LL_ENOMEM;
    int platt_on_train = s->platt && s->platt_folds == 0;
    double *dec = platt_on_train ? malloc((u.n ? u.n : 1) * sizeof *dec) : NULL;
    ll_status st = platt_on_train && !dec ? LL_ENOMEM : LL_OK;
    if (st == LL_OK)
        st = ll_svm_machine_fit(setup, &u, ll_seed_mix(seed, 0), threads, &s->machine, dec);
    if (st == LL_OK)
        *hit_max_iter = s->machine.hit_max_iter;
    if (st == LL_OK && platt_on_train)
        s->platt_fit = ll_platt_fit(dec, u.y, u.count, u.n);
    if (st == LL_OK && s->platt && s->platt_folds >= 2)
        st = platt_internal_cv(setup, train, (size_t)s->platt_folds, seed, threads,
                               &s->platt_fit, hit_max_iter);
    free(dec);
    ll_svm_unique_free(&u);
    return st;
}

static ll_status check_training_data(const ll_data *train, size_t *n_pos, ll_err *err)
{
    if (train->n_rows < 2 || train->n_cols < 1)
        return ll_fail(err, LL_EINVAL, "svm: need at least 2 rows and 1 feature, got %zu x %zu",
                       train->n_rows, train->n_cols);
    for (size_t k = 0; k < train->n_rows * train->n_cols; k++)
        if (!isfinite(train->x[k]))
            return ll_fail(err, LL_EINVAL, "svm: training row %zu, feature %zu is not finite",
                           k / train->n_cols, k % train->n_cols);
    *n_pos = 0;
    for (size_t r = 0; r < train->n_rows; r++)
        *n_pos += train->y[r] != 0;
    if (*n_pos == 0 || *n_pos == train->n_rows)
        return ll_fail(err, LL_EINVAL,
                       "svm: all %zu training rows are of class %d; two classes are needed",
                       train->n_rows, *n_pos ? 1 : 0);
    return LL_OK;
}

static ll_status svm_fit(void *state, const ll_data *train, uint64_t seed, int threads,
                         ll_err *err)
{
    svm_state *s = state;
    ll_svm_machine_free(&s->machine);
    s->fitted = 0;
    size_t n_pos = 0;
    ll_status st = check_training_data(train, &n_pos, err);
    if (st != LL_OK)
        return st;
    const double n = (double)train->n_rows;
    ll_svm_setup setup = {
        .kernel = s->kernel,
        .c_pos = s->c * (s->balanced ? n / (2.0 * (double)n_pos) : 1.0),
        .c_neg = s->c * (s->balanced ? n / (2.0 * (n - (double)n_pos)) : 1.0),
        .tol = s->tol,
        .max_iter = s->max_iter,
        .cache_bytes = (size_t)(s->cache_mb * 1024.0 * 1024.0),
    };
    if (!s->gamma_rule)
        setup.gamma = s->gamma_value;
    else
        setup.gamma = strcmp(s->gamma_rule, "auto") == 0 ? 1.0 / (double)train->n_cols
                                                         : gamma_scale(train);
    int hit_max_iter = 0;
    st = fit_all(s, &setup, train, seed, threads > 1 ? threads : 1, &hit_max_iter);
    if (st != LL_OK) {
        ll_svm_machine_free(&s->machine);
        return ll_fail(err, st, st == LL_ENOMEM ? "svm: out of memory (%zu rows)"
                                                : "svm: the solver diverged (%zu rows)",
                       train->n_rows);
    }
    if (hit_max_iter && s->host && s->host->log)
        s->host->log(LL_LOG_WARN, "svm: the %s solver stopped at max_iter before reaching tol=%g "
                     "(%zu rows); raise max_iter or tol",
                     s->kernel == LL_SVM_LINEAR ? "linear" : "rbf", s->tol, train->n_rows);
    if (s->host && s->host->log)
        s->host->log(LL_LOG_DEBUG,
                     "svm: %zu rows, gamma=%g, %ld iterations, %zu support vectors, "
                     "platt A=%g B=%g",
                     train->n_rows, setup.gamma, s->machine.iterations, s->machine.n_sv,
                     s->platt_fit.a, s->platt_fit.b);
    s->fitted = 1;
    return LL_OK;
}

static ll_status svm_predict_proba(const void *state, const ll_data *x, int threads, double *out,
                     ll_err *err)
{
    const svm_state *s = state;
    if (!s->fitted)
        return ll_fail(err, LL_EINVAL, "svm: predict before a successful fit");
    if (x->n_cols != s->machine.d)
        return ll_fail(err, LL_EINVAL, "svm: %zu features at prediction, %zu at fit", x->n_cols,
                       s->machine.d);
    if (ll_svm_machine_decision(&s->machine, x->x, x->n_rows, threads > 1 ? threads : 1, out) !=
        LL_OK)
        return ll_fail(err, LL_ENOMEM, "svm: out of memory predicting %zu rows", x->n_rows);
    /* `sigmoid` is the Platt form with A = -1, B = 0: 1 / (1 + exp(-decision)). */
    const ll_platt squash = s->platt ? s->platt_fit : (ll_platt){-1.0, 0.0};
    for (size_t r = 0; r < x->n_rows; r++) {
        if (!isfinite(out[r]))
            return ll_fail(err, LL_ENUMERIC, "svm: non-finite decision value for row %zu", r);
        out[r] = ll_platt_prob(squash, out[r]);
    }
    return LL_OK;
}

/* ---- saved models and importances --------------------------------------------------------
 * Format 1, little-endian through plugin.h's helpers: u64 tag; the parameters: u64 kernel
 * (0 linear, 1 rbf), f64 C, u64 gamma rule (0 a number, 1 scale, 2 auto), f64 gamma (the
 * number; NaN for a rule), u64 balanced, f64 tol, u64 max_iter, u64 probability (0 sigmoid,
 * 1 platt), u64 platt_folds, f64 cache_mb; then Platt's f64 A and B; then the decision function
 * (ll_svm_machine_save). The parameters are saved too, so a loaded state is the fitted one in
 * full and even refits like it. */
enum { SVM_FORMAT = 1 };

static ll_status svm_save(const void *state, ll_writer *out, ll_err *err)
{
    const svm_state *s = state;
    if (!s->fitted)
        return ll_fail(err, LL_EINVAL, "svm: save before fit");
    uint64_t rule = !s->gamma_rule ? 0 : strcmp(s->gamma_rule, "scale") == 0 ? 1 : 2;
    int failed = ll_write_u64(out, SVM_FORMAT) || ll_write_u64(out, s->kernel == LL_SVM_RBF) ||
                 ll_write_f64(out, s->c) || ll_write_u64(out, rule) ||
                 ll_write_f64(out, s->gamma_value) || ll_write_u64(out, (uint64_t)s->balanced) ||
                 ll_write_f64(out, s->tol) || ll_write_u64(out, (uint64_t)s->max_iter) ||
                 ll_write_u64(out, (uint64_t)s->platt) ||
                 ll_write_u64(out, (uint64_t)s->platt_folds) || ll_write_f64(out, s->cache_mb) ||
                 ll_write_f64(out, s->platt_fit.a) || ll_write_f64(out, s->platt_fit.b) ||
                 ll_svm_machine_save(&s->machine, out);
    return failed ? ll_fail(err, LL_EFAIL, "svm: could not write the model bytes") : LL_OK;
}

static int finite_positive(double v) { return v > 0.0 && isfinite(v); }

/* The parameters and Platt's sigmoid into s; 0, or -1 when short or outside the schema's
 * ranges (so a loaded state holds only values create could give). */
static int read_settings(ll_reader *in, svm_state *s)
{
    uint64_t kernel, rule, balanced, max_iter, platt, folds;
    if (ll_read_u64(in, &kernel) != 0 || ll_read_f64(in, &s->c) != 0 ||
        ll_read_u64(in, &rule) != 0 || ll_read_f64(in, &s->gamma_value) != 0 ||
        ll_read_u64(in, &balanced) != 0 || ll_read_f64(in, &s->tol) != 0 ||
        ll_read_u64(in, &max_iter) != 0 || ll_read_u64(in, &platt) != 0 ||
        ll_read_u64(in, &folds) != 0 || ll_read_f64(in, &s->cache_mb) != 0 ||
        ll_read_f64(in, &s->platt_fit.a) != 0 || ll_read_f64(in, &s->platt_fit.b) != 0)
        return -1;
    if (kernel > 1 || rule > 2 || (rule == 0 && !finite_positive(s->gamma_value)) ||
        balanced > 1 || platt > 1 || max_iter > 1000000000000000u || folds == 1 || folds > 20 ||
        !finite_positive(s->c) || !finite_positive(s->tol) || !(s->cache_mb >= 1.0) ||
        !isfinite(s->cache_mb) || !isfinite(s->platt_fit.a) || !isfinite(s->platt_fit.b))
        return -1;
    s->kernel = kernel ? LL_SVM_RBF : LL_SVM_LINEAR;
    s->gamma_rule = rule == 0 ? NULL : rule == 1 ? "scale" : "auto";
    if (s->gamma_rule)
        s->gamma_value = NAN; /* as create leaves it for a rule */
    s->balanced = (int)balanced;
    s->max_iter = (long)max_iter;
    s->platt = (int)platt;
    s->platt_folds = (long)folds;
    return 0;
}

static ll_status svm_load(const ll_host *host, ll_reader *in, void **state, ll_err *err)
{
    *state = NULL;
    uint64_t format;
    if (ll_read_u64(in, &format) != 0)
        return ll_fail(err, LL_EINVAL, "svm: model bytes truncated or corrupt");
    if (format != SVM_FORMAT)
        return ll_fail(err, LL_EINVAL, "svm: saved model format %llu unknown (this plugin reads "
                       "format %d)", (unsigned long long)format, SVM_FORMAT);
    svm_state *s = calloc(1, sizeof *s);
    if (!s)
        return ll_fail(err, LL_ENOMEM, "svm: out of memory");
    s->host = host;
    ll_status st = read_settings(in, s) == 0 ? ll_svm_machine_load(in, &s->machine) : LL_EINVAL;
    if (st == LL_OK && s->machine.kernel != s->kernel)
        st = LL_EINVAL;
    if (st != LL_OK) {
        svm_destroy(s);
        return st == LL_ENOMEM ? ll_fail(err, st, "svm: out of memory loading the model")
                               : ll_fail(err, st, "svm: model bytes truncated or corrupt");
    }
    s->fitted = 1;
    *state = s;
    return LL_OK;
}

/* |w_f| of the linear kernel's weights (the bias excluded). They act on the features as the
 * model was given them: when the spec scales, the runner has standardised them, and these are
 * weights per standard deviation of the raw feature. An RBF machine has no weight per feature:
 * the host then permutes. */
static ll_status svm_importances(const void *state, size_t n_cols, double *out, ll_err *err)
{
    const svm_state *s = state;
    if (!s->fitted)
        return ll_fail(err, LL_EINVAL, "svm: importances before fit");
    if (s->machine.kernel != LL_SVM_LINEAR)
        return ll_fail(err, LL_EINVAL, "svm: an rbf kernel has no per-feature weights");
    if (n_cols != s->machine.d)
        return ll_fail(err, LL_EINVAL, "svm: fitted on %zu features, asked for %zu importances",
                       s->machine.d, n_cols);
    for (size_t f = 0; f < n_cols; f++)
        out[f] = fabs(s->machine.w[f]);
    return LL_OK;
}

static const ll_model_vt svm_vt = {
    .struct_size = sizeof(ll_model_vt),
    .create = svm_create,
    .fit = svm_fit,
    .predict_proba = svm_predict_proba,
    .destroy = svm_destroy,
    .save = svm_save,
    .load = svm_load,
    .importances = svm_importances,
    .importance_kind = "abs_coef",
};

static const ll_plugin svm_plugin = {
    LL_PLUGIN_ABI,
    .name = "svm",
    .version = "1.1.0",
    .summary = "support vector classifier: linear (dual coordinate descent) or RBF (SMO)",
    LL_PARAMS(svm_params),
    .model = &svm_vt,
};

LL_EXPORT const ll_plugin *leadlab_plugin(void) { return &svm_plugin; }
