/* leadlab feature importances (see importance.h). */
#include "importance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "spec.h"

/* The stream of permutation draws, apart from the fit's own (seed_mix 1, 2, 3, 100 + f, and
 * the cross-fitting of target encodings). */
#define IMPORTANCE_STREAM 0x696d70u /* "imp" */

/* Picks k of the n indexes in v at random: they end up in v[0..k). */
static void choose(ll_rng *rng, size_t *v, size_t n, size_t k)
{
    for (size_t i = 0; i < k && i + 1 < n; i++) {
        size_t j = i + (size_t)ll_rng_below(rng, n - i);
        size_t t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* The rows permutation importance scores: all of them, or when there are more than max_rows, a
 * sample of max_rows that keeps the fold's share of positives (each class keeps at least one
 * row when it has one, so average precision stays defined). In row order; malloc'd. */
static size_t *pick_rows(const uint8_t *y, const size_t *rows, size_t n, size_t max_rows,
                         uint64_t seed, size_t *n_out)
{
    size_t *picked = malloc((n ? n : 1) * sizeof *picked);
    if (!picked)
        return NULL;
    if (!max_rows || n <= max_rows) {
        memcpy(picked, rows, n * sizeof *rows);
        *n_out = n;
        return picked;
    }
    size_t *pos = malloc(n * sizeof *pos), *neg = malloc(n * sizeof *neg);
    unsigned char *keep = calloc(n, 1);
    if (!pos || !neg || !keep) {
        free(pos);
        free(neg);
        free(keep);
        free(picked);
        return NULL;
    }
    size_t n_pos = 0, n_neg = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[rows[i]])
            pos[n_pos++] = i;
        else
            neg[n_neg++] = i;
    }
    size_t k_pos = (size_t)llround((double)max_rows * (double)n_pos / (double)n);
    if (n_pos && !k_pos)
        k_pos = 1;
    if (n_neg && k_pos >= max_rows)
        k_pos = max_rows - 1;
    size_t k_neg = max_rows - k_pos;
    if (k_neg > n_neg) { /* only when positives are nearly all the rows */
        k_neg = n_neg;
        k_pos = max_rows - k_neg;
    }
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    choose(&rng, pos, n_pos, k_pos);
    choose(&rng, neg, n_neg, k_neg);
    for (size_t i = 0; i < k_pos; i++)
        keep[pos[i]] = 1;
    for (size_t i = 0; i < k_neg; i++)
        keep[neg[i]] = 1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            picked[m++] = rows[i];
    free(pos);
    free(neg);
    free(keep);
    *n_out = m;
    return picked;
}

static int column_constant(const double *x, size_t n_rows, size_t n_cols, size_t j)
{
    for (size_t i = 1; i < n_rows; i++)
        if (x[i * n_cols + j] != x[j])
            return 0;
    return 1;
}

/* Average precision of the model on `work` (unencoded, unscaled rows: ll_fitted_predict
 * encodes and scales them in place, which is why every caller hands it a fresh copy). */
static ll_status score_rows(const ll_fitted *fitted, double *work, const uint8_t *y, size_t n,
                            int threads, double *scores, double *ap, ll_err *err)
{
    ll_status st = ll_fitted_predict(fitted, (ll_rows){work, NULL, n}, threads, scores, err);
    if (st != LL_OK)
        return st;
    ll_metrics m;
    if (ll_metrics_compute(y, scores, n, 0.5, &m) != 0)
        return ll_fail(err, LL_ENOMEM, "out of memory");
    *ap = m.pr_auc;
    return LL_OK;
}

ll_status ll_permutation_importance(const ll_fitted *fitted, const double *x, const uint8_t *y,
                                    const size_t *rows, size_t n, const ll_permutation_setup *setup,
                                    double *out, ll_err *err)
{
    size_t p = fitted->n_cols, m = 0;
    size_t repeats = setup->repeats ? setup->repeats : 1;
    uint64_t base = ll_seed_mix(setup->seed, IMPORTANCE_STREAM);
    err->msg[0] = '\0';
    size_t *picked = pick_rows(y, rows, n, setup->max_rows, ll_seed_mix(base, 0), &m);
    double *raw = NULL, *work = NULL, *scores = NULL, *column = NULL;
    uint8_t *ys = NULL;
    ll_status st = LL_OK;
    if (!picked || ll_gather_rows(x, y, p, picked, m, &raw, &ys) != 0 ||
        !(work = malloc((m * p > 0 ? m * p : 1) * sizeof *work)) ||
        !(scores = malloc((m ? m : 1) * sizeof *scores)) ||
        !(column = malloc((m ? m : 1) * sizeof *column))) {
        st = ll_fail(err, LL_ENOMEM, "out of memory");
        goto out;
    }
    double ap0 = NAN;
    memcpy(work, raw, m * p * sizeof *work);
    if ((st = score_rows(fitted, work, ys, m, setup->threads, scores, &ap0, err)) != LL_OK)
        goto out;
    if (isnan(ap0)) {
        st = ll_fail(err, LL_EINVAL, "permutation importance: the %zu test rows hold one class",
                     m);
        goto out;
    }
    for (size_t j = 0; j < p; j++) {
        if (column_constant(raw, m, p, j)) {
            out[j] = 0.0; /* a shuffle changes nothing: no need to ask the model */
            continue;
        }
        double sum = 0.0;
        for (size_t r = 0; r < repeats; r++) {
            memcpy(work, raw, m * p * sizeof *work);
            for (size_t i = 0; i < m; i++)
                column[i] = raw[i * p + j];
            ll_rng rng;
            ll_rng_seed(&rng, ll_seed_mix(ll_seed_mix(base, 1 + (uint64_t)j), r));
            for (size_t i = m; i > 1; i--) {
                size_t k = (size_t)ll_rng_below(&rng, i);
                double t = column[i - 1];
                column[i - 1] = column[k];
                column[k] = t;
            }
            for (size_t i = 0; i < m; i++)
                work[i * p + j] = column[i];
            double ap = NAN;
            if ((st = score_rows(fitted, work, ys, m, setup->threads, scores, &ap, err)) != LL_OK)
                goto out;
            sum += ap;
        }
        out[j] = ap0 - sum / (double)repeats;
    }
out:
    free(picked);
    free(raw);
    free(ys);
    free(work);
    free(scores);
    free(column);
    return st;
}

ll_status ll_model_importance(const ll_fitted *fitted, double *out, const char **kind,
                              ll_err *err)
{
    const ll_model_vt *vt = fitted->model->plugin->model;
    const char *label = fitted->model->label;
    err->msg[0] = '\0';
    if (!vt->importances)
        return ll_fail(err, LL_EINVAL, "%s has no importances of its own", label);
    /* NaN marks what the plugin did not write, so a short write is caught below. */
    for (size_t j = 0; j < fitted->n_cols; j++)
        out[j] = NAN;
    ll_status st = vt->importances(fitted->state, fitted->n_cols, out, err);
    err->msg[sizeof err->msg - 1] = '\0'; /* the plugin wrote it: bound it */
    if (st != LL_OK) {
        if (!err->msg[0])
            ll_fail(err, st, "%s: importances failed without a message", label);
        return st;
    }
    for (size_t j = 0; j < fitted->n_cols; j++)
        if (!(isfinite(out[j]) && out[j] >= 0.0))
            return ll_fail(err, LL_ENUMERIC, "%s returned importance %g for feature %zu "
                           "(expected a finite number >= 0)", label, out[j], j);
    *kind = vt->importance_kind && vt->importance_kind[0] ? vt->importance_kind : "model";
    return LL_OK;
}

ll_status ll_importances_compute(int method, const ll_fitted *fitted, const double *x,
                                 const uint8_t *y, const size_t *rows, size_t n,
                                 const ll_permutation_setup *setup, double *out,
                                 const char **kind, ll_err *err)
{
    switch (method) {
    case LL_IMPORTANCE_MODEL:
        return ll_model_importance(fitted, out, kind, err);
    case LL_IMPORTANCE_AUTO:
        if (ll_model_importance(fitted, out, kind, err) == LL_OK)
            return LL_OK;
        break; /* whatever kept the model from answering, permutation does */
    case LL_IMPORTANCE_PERMUTATION:
        break;
    default:
        return ll_fail(err, LL_EINVAL, "importances: none asked for");
    }
    ll_status st = ll_permutation_importance(fitted, x, y, rows, n, setup, out, err);
    if (st == LL_OK)
        *kind = LL_IMPORTANCE_PERMUTATION_KIND;
    return st;
}
