/* leadlab ensembles (see ensemble.h): per outer fold, the members' inner out-of-fold scores of
 * the outer training rows fit the combination (and its cut); the members' outer cells, each
 * refitted on the whole outer training fold, are combined the same way and scored. */
#include "ensemble.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "select.h"

void ll_ensembles_free(ll_ensembles *e)
{
    if (!e)
        return;
    for (size_t i = 0; e->folds && i < e->n * e->n_folds; i++) {
        free(e->folds[i].members);
        free(e->folds[i].weights);
    }
    free(e->folds);
    free(e);
}

double ll_stack_logit(double p)
{
    p = p < LL_STACK_EPS ? LL_STACK_EPS : p > 1.0 - LL_STACK_EPS ? 1.0 - LL_STACK_EPS : p;
    return log(p) - log1p(-p);
}

/* log(1 + exp(t)) without overflow. */
static double log1p_exp(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }

static double linear(const double *beta, const double *row, size_t k)
{
    double eta = beta[0];
    for (size_t j = 0; j < k; j++)
        eta += beta[j + 1] * row[j];
    return eta;
}

/* The penalised negative log-likelihood the stacker minimises. */
static double stack_objective(const double *x, const uint8_t *y, size_t n, size_t k, double C,
                              const double *beta)
{
    double loss = 0, penalty = 0;
    for (size_t i = 0; i < n; i++) {
        double eta = linear(beta, x + i * k, k);
        loss += log1p_exp(eta) - (y[i] ? eta : 0.0);
    }
    for (size_t j = 1; j <= k; j++)
        penalty += beta[j] * beta[j];
    return C * loss + 0.5 * penalty;
}

/* Solves h z = g for a symmetric positive definite h (d x d, overwritten by its Cholesky
 * factor); z overwrites g. 0, or -1 when h is not positive definite. */
static int cholesky_solve(double *h, double *g, size_t d)
{
    for (size_t a = 0; a < d; a++) {
        for (size_t c = 0; c <= a; c++) {
            double sum = h[a * d + c];
            for (size_t t = 0; t < c; t++)
                sum -= h[a * d + t] * h[c * d + t];
            if (a == c) {
                if (!(sum > 0))
                    return -1;
                h[a * d + a] = sqrt(sum);
            } else {
                h[a * d + c] = sum / h[c * d + c];
            }
        }
    }
    for (size_t a = 0; a < d; a++) { /* L u = g */
        for (size_t t = 0; t < a; t++)
            g[a] -= h[a * d + t] * g[t];
        g[a] /= h[a * d + a];
    }
    for (size_t a = d; a-- > 0;) { /* L' z = u */
        for (size_t t = a + 1; t < d; t++)
            g[a] -= h[t * d + a] * g[t];
        g[a] /= h[a * d + a];
    }
    return 0;
}

int ll_stack_fit(const double *x, const uint8_t *y, size_t n, size_t k, double C,
                 double *beta, ll_error *err)
{
    size_t d = k + 1, positives = 0;
    for (size_t i = 0; i < n; i++)
        positives += y[i] != 0;
    if (positives == 0 || positives == n) {
        ll_error_set(err, "the stacker's training rows hold one class only");
        return 1;
    }
    double *grad = malloc(d * sizeof *grad), *hess = malloc(d * d * sizeof *hess);
    double *step = malloc(d * sizeof *step), *trial = malloc(d * sizeof *trial);
    double *xi = malloc(d * sizeof *xi);
    int rc = -1;
    if (!grad || !hess || !step || !trial || !xi) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    /* From the base rate, w = 0: the minimum when the members say nothing. */
    memset(beta, 0, d * sizeof *beta);
    beta[0] = log((double)positives) - log((double)(n - positives));
    double f = stack_objective(x, y, n, k, C, beta);
    rc = 1;
    for (int iter = 0; iter < 100; iter++) {
        memset(grad, 0, d * sizeof *grad);
        memset(hess, 0, d * d * sizeof *hess);
        xi[0] = 1.0;
        for (size_t i = 0; i < n; i++) {
            memcpy(xi + 1, x + i * k, k * sizeof *xi);
            double p = 1.0 / (1.0 + exp(-linear(beta, x + i * k, k)));
            double r = C * (p - (y[i] ? 1.0 : 0.0)), v = C * p * (1.0 - p);
            for (size_t a = 0; a < d; a++) {
                grad[a] += r * xi[a];
                for (size_t c = 0; c <= a; c++)
                    hess[a * d + c] += v * xi[a] * xi[c];
            }
        }
        for (size_t j = 1; j < d; j++) {
            grad[j] += beta[j];
            hess[j * d + j] += 1.0;
        }
        memcpy(step, grad, d * sizeof *step);
        if (cholesky_solve(hess, step, d) != 0) {
            ll_error_set(err, "the stacker's Hessian is singular (members' scores saturated)");
            goto out;
        }
        double decrement = 0; /* g' H^-1 g: twice the drop Newton's step expects */
        for (size_t a = 0; a < d; a++)
            decrement += grad[a] * step[a];
        /* Newton's method converges quadratically: stop once a step would change the
         * objective by less than its rounding. */
        if (decrement <= 1e-20 * (1.0 + fabs(f))) {
            rc = 0;
            goto out;
        }
        double t = 1.0, ft = f;
        int accepted = 0;
        for (int halvings = 0; halvings < 60 && !accepted; halvings++) {
            for (size_t a = 0; a < d; a++)
                trial[a] = beta[a] - t * step[a];
            ft = stack_objective(x, y, n, k, C, trial);
            accepted = ft < f && ft <= f - 1e-4 * t * decrement;
            t *= 0.5;
        }
        if (!accepted) {
            /* No step lowers the objective: the gradient is down to its rounding noise (the
             * minimum, to double precision), unless Newton still expected a real drop. */
            rc = decrement <= 1e-8 * (1.0 + fabs(f)) ? 0 : 1;
            if (rc)
                ll_error_set(err, "the stacker's line search found no descent");
            goto out;
        }
        memcpy(beta, trial, d * sizeof *beta);
        f = ft;
    }
    ll_error_set(err, "the stacker did not converge in 100 Newton steps");
out:
    free(grad);
    free(hess);
    free(step);
    free(trial);
    free(xi);
    return rc;
}

/* Scratch shared by every ensemble and fold of a run. */
typedef struct {
    const ll_spec *spec;
    const ll_run_result *run;
    size_t width;          /* the most members an ensemble has */
    double *pooled;        /* n_rows: one member's inner scores, by row */
    double *x_train;       /* n_rows x width: members' inner scores, outer training rows */
    uint8_t *y_train;
    double *p_train;       /* the ensemble's scores of those rows */
    double *x_test;        /* n_rows x width: members' outer scores, outer test rows */
    uint8_t *y_test;
    double *p_test;
    ll_inner_result *results; /* n_models x n_samplers: the fold's ranking (top K) */
    size_t *order;
    size_t n_ok;
    int pending;           /* a row of the ranking has not finished its inner cells */
} builder;

/* A member's label for messages: "logreg | none". */
static void member_name(const builder *b, ll_member m, char *buf, size_t len)
{
    snprintf(buf, len, "%.120s | %.60s", b->spec->models[m.model].label,
             b->spec->samplers[m.sampler].label);
}

/* Whether every cell the member contributes to outer fold (rep, f) finished ok: 1; 2 when one
 * has not run; 0 when one failed, with why in `why`. */
static int member_ready(const builder *b, ll_member m, size_t rep, size_t f, char *why,
                        size_t len)
{
    const ll_run_result *run = b->run;
    char name[200];
    int failed = 0;
    size_t last_rung = run->rungs - 1;
    for (size_t g = 0; g <= run->inner_folds; g++) {
        const ll_cell *c =
            g < run->inner_folds
                ? &run->cells[ll_inner_cell_index(run, m.model, m.sampler, rep, f, last_rung, g)]
                : &run->cells[ll_cell_index(run, m.model, m.sampler, rep, f)];
        if (c->status == LL_CELL_PENDING)
            return 2;
        if (c->status == LL_CELL_FAILED && !failed) {
            failed = 1;
            member_name(b, m, name, sizeof name);
            if (g < run->inner_folds)
                snprintf(why, len, "member %s: inner fold %zu failed: %.100s", name, g, c->error);
            else
                snprintf(why, len, "member %s: its outer cell failed: %.100s", name, c->error);
        }
    }
    return failed ? 0 : 1;
}

/* The members' scores, side by side: inner out-of-fold scores of the outer training rows
 * (x_train) and outer-cell scores of the outer test rows (x_test), with their labels.
 * Every member is ready. -1 when memory runs out, 1 (why filled) when the members' outer
 * cells disagree on the test rows. */
static int gather(builder *b, const ll_member *members, size_t k, size_t rep, size_t f,
                  size_t *n_train, size_t *n_test, char *why, size_t len)
{
    const ll_run_result *run = b->run;
    const uint32_t *inner = run->inner_fold_of_row + (rep * run->folds + f) * run->n_rows;
    const ll_cell *first = &run->cells[ll_cell_index(run, members[0].model, members[0].sampler,
                                                     rep, f)];
    size_t n;
    uint32_t *rows = ll_plan_test_rows(run, first, &n);
    if (!rows)
        return -1;
    for (size_t t = 0; t < n; t++)
        b->y_test[t] = run->y[rows[t]];
    free(rows);
    *n_test = n;
    for (size_t j = 0; j < k; j++) {
        ll_inner_pooled_scores(run, members[j].model, members[j].sampler, rep, f, b->pooled);
        size_t r = 0;
        for (size_t i = 0; i < run->n_rows; i++)
            if (inner[i] != LL_FOLD_NONE) {
                b->x_train[r * k + j] = b->pooled[i];
                b->y_train[r++] = run->y[i];
            }
        *n_train = r;
        const ll_cell *c =
            &run->cells[ll_cell_index(run, members[j].model, members[j].sampler, rep, f)];
        if (c->n_test != n) {
            char name[200];
            member_name(b, members[j], name, sizeof name);
            snprintf(why, len, "member %s scored %zu test rows, not %zu", name, c->n_test, n);
            return 1;
        }
        for (size_t t = 0; t < n; t++)
            b->x_test[t * k + j] = c->scores[t];
    }
    return 0;
}

/* The ensemble's score of each of n rows from its k members' (x, row-major): the mean, or the
 * stacker's probability on their logits. */
static void combine(int method, const double *x, size_t n, size_t k, double intercept,
                    const double *weights, double *p)
{
    for (size_t i = 0; i < n; i++) {
        const double *row = x + i * k;
        double sum = method == LL_ENSEMBLE_STACK ? intercept : 0.0;
        for (size_t j = 0; j < k; j++)
            sum += method == LL_ENSEMBLE_STACK ? weights[j] * ll_stack_logit(row[j]) : row[j];
        p[i] = method == LL_ENSEMBLE_STACK ? 1.0 / (1.0 + exp(-sum)) : sum / (double)k;
    }
}

/* Fits the stacker on the outer training rows' logits. 0, 1 when it cannot be fitted (why
 * filled), -1 when memory runs out. */
static int fit_stacker(builder *b, size_t n, size_t k, ll_ensemble_fold *out, char *why,
                       size_t len)
{
    double *logits = malloc((n * k > 0 ? n * k : 1) * sizeof *logits);
    double *beta = malloc((k + 1) * sizeof *beta);
    int rc = -1;
    ll_error err;
    if (logits && beta) {
        for (size_t i = 0; i < n * k; i++)
            logits[i] = ll_stack_logit(b->x_train[i]);
        rc = ll_stack_fit(logits, b->y_train, n, k, LL_STACK_C, beta, &err);
        if (rc == 1)
            snprintf(why, len, "%.255s", err.msg);
        if (rc == 0) {
            out->intercept = beta[0];
            memcpy(out->weights, beta + 1, k * sizeof *beta);
        }
    }
    free(logits);
    free(beta);
    return rc;
}

/* One ensemble inside outer fold (rep, f). The fold's ranking is in b (for top K). -1 when
 * memory runs out; a fold that cannot be combined is marked failed. */
static int ensemble_fold(builder *b, const ll_ensemble_spec *e, size_t rep, size_t f,
                         ll_ensemble_fold *out)
{
    const ll_run_result *run = b->run;
    size_t k = e->top ? e->top : e->n_members;
    out->status = LL_CELL_FAILED;
    if (!(out->members = malloc(k * sizeof *out->members)) ||
        !(out->weights = malloc(k * sizeof *out->weights)))
        return -1;
    if (e->top && b->pending) {
        out->status = LL_CELL_PENDING;
        return 0;
    }
    if (e->top && b->n_ok < k) {
        snprintf(out->error, sizeof out->error, "only %zu rows finished all their inner folds; "
                 "top %zu needs %zu", b->n_ok, k, k);
        return 0;
    }
    for (size_t j = 0; j < k; j++)
        out->members[j] = e->top ? (ll_member){(uint32_t)(b->order[j] / run->n_samplers),
                                               (uint32_t)(b->order[j] % run->n_samplers)}
                                 : e->members[j];
    out->n_members = k;
    int pending = 0, failed = 0;
    for (size_t j = 0; j < k; j++) {
        char why[512];
        int ready = member_ready(b, out->members[j], rep, f, why, sizeof why);
        pending |= ready == 2;
        if (ready == 0 && !failed++)
            snprintf(out->error, sizeof out->error, "%.255s", why);
    }
    if (pending) {
        out->status = LL_CELL_PENDING;
        out->error[0] = '\0';
        return 0;
    }
    if (failed)
        return 0;
    size_t n_train = 0, n_test = 0;
    int rc = gather(b, out->members, k, rep, f, &n_train, &n_test, out->error, sizeof out->error);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    out->intercept = 0;
    for (size_t j = 0; j < k; j++)
        out->weights[j] = 1.0 / (double)k;
    if (e->method == LL_ENSEMBLE_STACK &&
        (rc = fit_stacker(b, n_train, k, out, out->error, sizeof out->error)) != 0)
        return rc < 0 ? -1 : 0;
    combine(e->method, b->x_train, n_train, k, out->intercept, out->weights, b->p_train);
    combine(e->method, b->x_test, n_test, k, out->intercept, out->weights, b->p_test);
    double cut;
    memset(&out->cell, 0, sizeof out->cell);
    out->cell.repeat = (uint32_t)rep;
    out->cell.fold = (uint32_t)f;
    out->cell.n_test = n_test;
    for (size_t t = 0; t < n_test; t++)
        out->cell.positives_test += b->y_test[t];
    for (size_t j = 0; j < k; j++) { /* the members' cost: every one is fitted and scored */
        const ll_cell *c =
            &run->cells[ll_cell_index(run, out->members[j].model, out->members[j].sampler, rep, f)];
        out->cell.fit.fit_seconds += c->fit.fit_seconds;
        out->cell.fit.predict_seconds += c->fit.predict_seconds;
        out->cell.seconds += c->seconds;
    }
    if (ll_choose_cut(b->spec, b->y_train, b->p_train, n_train, &cut) != 0 ||
        ll_score_cell(b->spec, run, b->y_test, b->p_test, n_test, cut, &out->cell) != 0)
        return -1;
    out->status = out->cell.status = LL_CELL_OK;
    out->error[0] = '\0';
    return 0;
}

static void builder_free(builder *b)
{
    free(b->pooled);
    free(b->x_train);
    free(b->y_train);
    free(b->p_train);
    free(b->x_test);
    free(b->y_test);
    free(b->p_test);
    free(b->results);
    free(b->order);
}

int ll_run_ensembles(const ll_spec *spec, ll_run_result *run, ll_error *err)
{
    ll_ensembles_free(run->ensembles);
    run->ensembles = NULL;
    if (!spec->n_ensembles || !run->inner_folds)
        return 0;
    builder b = {.spec = spec, .run = run};
    int any_top = 0;
    for (size_t i = 0; i < spec->n_ensembles; i++) {
        const ll_ensemble_spec *e = &spec->ensembles[i];
        size_t k = e->top ? e->top : e->n_members;
        b.width = k > b.width ? k : b.width;
        any_top |= e->top > 0;
    }
    size_t n = run->n_rows ? run->n_rows : 1, grid = run->n_models * run->n_samplers;
    ll_ensembles *all = calloc(1, sizeof *all);
    int rc = -1;
    if (!all || !(b.pooled = malloc(n * sizeof(double))) ||
        !(b.x_train = malloc(n * b.width * sizeof(double))) || !(b.y_train = malloc(n)) ||
        !(b.p_train = malloc(n * sizeof(double))) ||
        !(b.x_test = malloc(n * b.width * sizeof(double))) || !(b.y_test = malloc(n)) ||
        !(b.p_test = malloc(n * sizeof(double))) ||
        !(b.results = malloc((grid ? grid : 1) * sizeof *b.results)) ||
        !(b.order = malloc((grid ? grid : 1) * sizeof *b.order)))
        goto out;
    all->n = spec->n_ensembles;
    all->n_folds = run->repeats * run->folds;
    if (!(all->folds = calloc(all->n * all->n_folds > 0 ? all->n * all->n_folds : 1,
                              sizeof *all->folds)))
        goto out;
    for (size_t rep = 0; rep < run->repeats; rep++)
        for (size_t f = 0; f < run->folds; f++) {
            /* One ranking per outer fold serves every top-K ensemble. */
            if (any_top) {
                if (ll_inner_rank(spec, run, rep, f, b.results, b.order, &b.n_ok) != 0)
                    goto out;
                b.pending = 0;
                for (size_t k = 0; k < grid; k++)
                    b.pending |= b.results[k].status == 2;
            }
            for (size_t i = 0; i < all->n; i++) {
                ll_ensemble_fold *ef = &all->folds[i * all->n_folds + rep * run->folds + f];
                if (ensemble_fold(&b, &spec->ensembles[i], rep, f, ef) != 0)
                    goto out;
                if (ef->status != LL_CELL_OK) { /* the row's cell says why, as a cell does */
                    ef->cell.status = ef->status;
                    memcpy(ef->cell.error, ef->error, sizeof ef->cell.error);
                }
            }
        }
    for (size_t i = 0; i < all->n; i++) {
        ll_derived_row *row = ll_run_add_derived(run, spec->ensembles[i].name);
        if (!row)
            goto out;
        for (size_t k = 0; k < all->n_folds; k++)
            row->cells[k] = all->folds[i * all->n_folds + k].cell;
    }
    run->ensembles = all;
    all = NULL;
    rc = 0;
out:
    ll_ensembles_free(all);
    builder_free(&b);
    return rc == 0 ? 0 : ll_error_set(err, "out of memory");
}
