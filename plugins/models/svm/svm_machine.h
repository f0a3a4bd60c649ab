/* One trained SVM decision function for the svm plugin, linear (dual coordinate descent) or
 * Gaussian (SMO), fitted on distinct weighted rows (svm_unique.h), and its decision values. */
#ifndef LL_PLUGIN_SVM_MACHINE_H
#define LL_PLUGIN_SVM_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/plugin.h"
#include "svm_unique.h"

typedef enum { LL_SVM_LINEAR, LL_SVM_RBF } ll_svm_kernel;

/* The plugin's parameters resolved for one training set (gamma and class weights are numbers). */
typedef struct {
    ll_svm_kernel kernel;
    double gamma;        /* rbf */
    double c_pos, c_neg; /* C times the class weight */
    double tol;
    long max_iter;       /* <= 0: the solver's default (libsvm's for rbf, LinearSVC's for linear) */
    size_t cache_bytes;  /* rbf */
} ll_svm_setup;

typedef struct {
    ll_svm_kernel kernel;
    size_t d;
    double *w;           /* linear: d weights, then the bias (the penalised constant feature) */
    double *sv_t, *coef; /* rbf: support vectors feature-major (d x n_sv), alpha_i y_i */
    size_t n_sv;
    double gamma, rho;   /* rbf: decision = sum_s coef_s K(sv_s, x) - rho */
    long iterations;     /* SMO pair updates or DCD passes */
    int hit_max_iter;    /* stopped by max_iter before reaching tol */
} ll_svm_machine;

/* Trains on the distinct rows u (row i counts u->count[i] times). train_dec[u->n] (NULL = not
 * wanted) receives the decision values of those rows. `seed` orders the linear solver's passes;
 * `threads` is the OpenMP budget. On failure m is left empty. */
ll_status ll_svm_machine_fit(const ll_svm_setup *setup, const ll_svm_unique *u, uint64_t seed,
                             int threads, ll_svm_machine *m, double *train_dec);

/* out[r] = decision value of row r of x (n_rows x m->d, row-major). LL_ENOMEM on failure. */
ll_status ll_svm_machine_decision(const ll_svm_machine *m, const double *x, size_t n_rows,
                                  int threads, double *out);

void ll_svm_machine_free(ll_svm_machine *m); /* NULL-safe members; m itself is not freed */

/* Writes what ll_svm_machine_decision reads (not the fit's diagnostics); nonzero when the
 * writer fails. */
int ll_svm_machine_save(const ll_svm_machine *m, ll_writer *out);
/* Reads what ll_svm_machine_save wrote into m: LL_OK, LL_EINVAL on bytes that are short or out
 * of range, LL_ENOMEM. Counts are checked against the bytes left before anything is allocated.
 * On failure m is left empty. */
ll_status ll_svm_machine_load(ll_reader *in, ll_svm_machine *m);

#endif
