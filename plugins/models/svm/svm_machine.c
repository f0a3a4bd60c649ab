/* Training and evaluating one SVM decision function (see svm_machine.h). */
#include "svm_machine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svm_linear_dcd.h"
#include "svm_rbf.h"
#include "svm_smo.h"

enum { LINEAR_DEFAULT_EPOCHS = 1000 }; /* LinearSVC's max_iter */

void ll_svm_machine_free(ll_svm_machine *m)
{
    free(m->w);
    free(m->sv_t);
    free(m->coef);
    memset(m, 0, sizeof *m);
}

ll_status ll_svm_machine_decision(const ll_svm_machine *m, const double *x, size_t n_rows,
                                  int threads, double *out)
{
    if (m->kernel == LL_SVM_RBF)
        return ll_rbf_decision(m->sv_t, m->coef, m->n_sv, m->d, m->gamma, m->rho, x, n_rows,
                               threads, out) == 0 ? LL_OK : LL_ENOMEM;
    const size_t d = m->d;
    const double *w = m->w;
    for (size_t r = 0; r < n_rows; r++) {
        double sum = w[d];
        for (size_t f = 0; f < d; f++)
            sum += w[f] * x[r * d + f];
        out[r] = sum;
    }
    return LL_OK;
}

/* Per-row box of the dual: C of the row's class times its number of copies. */
static double *row_bounds(const ll_svm_setup *setup, const ll_svm_unique *u)
{
    double *bound = malloc((u->n ? u->n : 1) * sizeof *bound);
    if (bound)
        for (size_t i = 0; i < u->n; i++)
            bound[i] = (u->y[i] ? setup->c_pos : setup->c_neg) * u->count[i];
    return bound;
}

static ll_status fit_linear(const ll_svm_setup *setup, const ll_svm_unique *u, uint64_t seed,
                            ll_svm_machine *m, double *train_dec)
{
    double *cost = row_bounds(setup, u);
    m->w = malloc((u->d + 1) * sizeof *m->w);
    if (!cost || !m->w) {
        free(cost);
        return LL_ENOMEM;
    }
    long epochs = setup->max_iter > 0 ? setup->max_iter : LINEAR_DEFAULT_EPOCHS;
    ll_dcd_result res;
    ll_status st = ll_dcd_l2loss(u->x, u->y, cost, u->n, u->d, setup->tol, epochs, seed, m->w,
                                 &res);
    free(cost);
    m->iterations = res.epochs;
    m->hit_max_iter = res.hit_max_iter;
    if (st == LL_OK && train_dec)
        st = ll_svm_machine_decision(m, u->x, u->n, 1, train_dec);
    return st;
}

/* Keeps the points with alpha > 0 as support vectors, stored feature-major for prediction. */
static ll_status keep_support_vectors(const ll_svm_unique *u, const double *alpha,
                                      ll_svm_machine *m)
{
    size_t n_sv = 0;
    for (size_t i = 0; i < u->n; i++)
        n_sv += alpha[i] > 0.0;
    size_t cap = n_sv ? n_sv : 1;
    m->sv_t = malloc(cap * u->d * sizeof *m->sv_t);
    m->coef = malloc(cap * sizeof *m->coef);
    if (!m->sv_t || !m->coef)
        return LL_ENOMEM;
    size_t s = 0;
    for (size_t i = 0; i < u->n; i++) {
        if (!(alpha[i] > 0.0))
            continue;
        for (size_t f = 0; f < u->d; f++)
            m->sv_t[f * n_sv + s] = u->x[i * u->d + f];
        m->coef[s++] = u->y[i] ? alpha[i] : -alpha[i];
    }
    m->n_sv = n_sv;
    return LL_OK;
}

static ll_status fit_rbf(const ll_svm_setup *setup, const ll_svm_unique *u, int threads,
                         ll_svm_machine *m, double *train_dec)
{
    double *upper = row_bounds(setup, u);
    double *alpha = malloc((u->n ? u->n : 1) * sizeof *alpha);
    if (!upper || !alpha) {
        free(upper);
        free(alpha);
        return LL_ENOMEM;
    }
    ll_smo_options opt = {setup->tol, setup->max_iter, setup->cache_bytes, threads};
    ll_smo_result res;
    ll_status st = ll_smo_rbf(u->x, u->y, upper, u->n, u->d, setup->gamma, &opt, alpha,
                              train_dec, &res);
    if (st == LL_OK) {
        m->gamma = setup->gamma;
        m->rho = res.rho;
        m->iterations = res.iterations;
        m->hit_max_iter = res.hit_max_iter;
        st = keep_support_vectors(u, alpha, m);
    }
    free(upper);
    free(alpha);
    return st;
}

ll_status ll_svm_machine_fit(const ll_svm_setup *setup, const ll_svm_unique *u, uint64_t seed,
                             int threads, ll_svm_machine *m, double *train_dec)
{
    memset(m, 0, sizeof *m);
    m->kernel = setup->kernel;
    m->d = u->d;
    ll_status st = setup->kernel == LL_SVM_LINEAR ? fit_linear(setup, u, seed, m, train_dec)
                                                  : fit_rbf(setup, u, threads, m, train_dec);
    if (st != LL_OK)
        ll_svm_machine_free(m);
    return st;
}

/* ---- saved machines ---------------------------------------------------------------------------
 * u64 kernel (0 linear, 1 rbf), size d, then for linear the d + 1 f64 of w (weights, bias);
 * for rbf f64 gamma, f64 rho, size n_sv, the d x n_sv f64 of sv_t (feature-major, as held)
 * and the n_sv f64 of coef. */
static const size_t MAX_SAVED_FEATURES = (size_t)1 << 24; /* far above any real feature count */

int ll_svm_machine_save(const ll_svm_machine *m, ll_writer *out)
{
    int failed = ll_write_u64(out, m->kernel == LL_SVM_RBF) || ll_write_size(out, m->d);
    if (m->kernel == LL_SVM_LINEAR)
        return failed || ll_write_f64s(out, m->w, m->d + 1);
    return failed || ll_write_f64(out, m->gamma) || ll_write_f64(out, m->rho) ||
           ll_write_size(out, m->n_sv) || ll_write_f64s(out, m->sv_t, m->d * m->n_sv) ||
           ll_write_f64s(out, m->coef, m->n_sv);
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

ll_status ll_svm_machine_load(ll_reader *in, ll_svm_machine *m)
{
    memset(m, 0, sizeof *m);
    uint64_t kernel;
    if (ll_read_u64(in, &kernel) != 0 || kernel > 1 ||
        ll_read_size(in, sizeof(double), MAX_SAVED_FEATURES, &m->d) != 0 || m->d == 0)
        return LL_EINVAL;
    m->kernel = kernel ? LL_SVM_RBF : LL_SVM_LINEAR;
    ll_status st = LL_OK;
    if (m->kernel == LL_SVM_LINEAR) {
        m->w = malloc((m->d + 1) * sizeof *m->w);
        if (!m->w)
            st = LL_ENOMEM;
        else if (ll_read_f64s(in, m->w, m->d + 1) != 0 || !all_finite(m->w, m->d + 1))
            st = LL_EINVAL;
    } else {
        /* each support vector needs its d features and its coefficient still to come */
        int ok = ll_read_f64(in, &m->gamma) == 0 && ll_read_f64(in, &m->rho) == 0 &&
                 m->gamma > 0.0 && isfinite(m->gamma) && isfinite(m->rho) &&
                 ll_read_size(in, (m->d + 1) * sizeof(double), SIZE_MAX, &m->n_sv) == 0;
        size_t cap = m->n_sv ? m->n_sv : 1;
        if (ok) {
            m->sv_t = malloc(cap * m->d * sizeof *m->sv_t);
            m->coef = malloc(cap * sizeof *m->coef);
        }
        if (!ok)
            st = LL_EINVAL;
        else if (!m->sv_t || !m->coef)
            st = LL_ENOMEM;
        else if (ll_read_f64s(in, m->sv_t, m->d * m->n_sv) != 0 ||
                 ll_read_f64s(in, m->coef, m->n_sv) != 0 ||
                 !all_finite(m->sv_t, m->d * m->n_sv) || !all_finite(m->coef, m->n_sv))
            st = LL_EINVAL;
    }
    if (st != LL_OK)
        ll_svm_machine_free(m);
    return st;
}
