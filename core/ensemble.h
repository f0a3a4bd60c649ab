/* leadlab ensembles: leaderboard rows that average, or stack with a penalised logistic
 * regression, the probabilities of other rows. Everything an ensemble learns in an outer fold
 * (its members when it takes the top K, the stacker's weights, the cut) comes from the
 * members' inner out-of-fold scores of that outer training fold, so it never sees a label of
 * the outer test fold it is scored on. */
#ifndef LL_CORE_ENSEMBLE_H
#define LL_CORE_ENSEMBLE_H

#include "runner.h"

/* The stacker's penalty: 0.5 |w|^2 + C x (sum of log losses), intercept not penalised
 * (scikit-learn's LogisticRegression(C=1), whose lbfgs solver leaves the intercept alone). */
#define LL_STACK_C 1.0
/* Members' probabilities are clipped to [LL_STACK_EPS, 1 - LL_STACK_EPS] before the logit. */
#define LL_STACK_EPS 1e-6

/* One ensemble inside one outer fold of one repeat. */
typedef struct {
    ll_cell_status status;  /* ok: combined and scored on the outer test fold; pending: a
                               member's (or, for top K, a candidate's) cells have not run */
    char error[256];        /* failed: why */
    size_t n_members;       /* the members of this fold: the given ones, or its top K */
    ll_member *members;     /* n_members, owned (set when status is ok) */
    double intercept;       /* stack: the stacker's intercept; average: 0 */
    double *weights;        /* n_members, owned: stack: the coefficient of each member's logit;
                               average: 1 / n_members */
    /* The combination of the members' outer cells scored at `cell.threshold`, the cut chosen
     * on the combination of their inner scores; owns no scores. */
    ll_cell cell;
} ll_ensemble_fold;

/* The ensembles of a run, in spec order, each with repeats x folds folds, repeat-major. */
typedef struct ll_ensembles {
    size_t n, n_folds;
    ll_ensemble_fold *folds; /* n x n_folds */
} ll_ensembles;

/* Builds every ensemble of the spec from the run's finished cells (after ll_run_collect and
 * the selection), keeps the outcome in run->ensembles (replacing an earlier one) and adds
 * one derived row per ensemble, labelled with its name. Nothing to do without `ensembles`.
 * -1 when memory runs out (err filled); a fold that cannot be combined fails, not the call. */
int ll_run_ensembles(const ll_spec *spec, ll_run_result *run, ll_error *err);

void ll_ensembles_free(ll_ensembles *e); /* NULL-safe */

/* Fits the stacker: P(y = 1) = 1 / (1 + exp(-(b + sum_j w_j x_ij))) on n rows of k features
 * (x row-major, n x k) minimising 0.5 |w|^2 + C sum_i logloss_i, b not penalised, by Newton's
 * method (IRLS) with a backtracking line search. weights[0] = b, weights[1..k] = w. 0 when it
 * converged; 1 with err filled when it cannot be fitted (y holds one class only, so b would run
 * off to infinity; a singular Hessian; no convergence in 100 steps); -1 when memory runs out. */
int ll_stack_fit(const double *x, const uint8_t *y, size_t n, size_t k, double C,
                 double *weights, ll_error *err);

/* logit(p) with p clipped to [LL_STACK_EPS, 1 - LL_STACK_EPS]: the stacker's features. */
double ll_stack_logit(double p);

#endif
