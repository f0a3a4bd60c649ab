/* leadlab nested fit (see fit.h): the inner cross-validation of one training set, which
 * learns the calibrator and the cut from out-of-fold scores before the final fit. */
#include <stdlib.h>
#include <string.h>

#include "cv.h"
#include "fit.h"
#include "metrics.h"

/* Scores of every training row from `folds`-fold stratified CV inside the given training rows
 * only (each row scored by a model fitted on the other inner folds; train.x is not modified),
 * into oof (train.n values). */
static ll_status inner_oof_scores(const ll_fit_setup *setup, size_t folds, ll_rows train,
                                  double *oof, ll_err *err)
{
    const double *x_train = train.x;
    const uint8_t *y_train = train.y;
    size_t n_train = train.n, n_cols = setup->n_cols;
    uint64_t seed = setup->seed;
    uint32_t *fold_of = malloc((n_train ? n_train : 1) * sizeof *fold_of);
    size_t *rows = malloc((n_train ? n_train : 1) * sizeof *rows);
    ll_status st = LL_OK;
    if (!fold_of || !rows) {
        st = ll_fail(err, LL_ENOMEM, "out of memory");
        goto out;
    }
    ll_error cv_err;
    if (ll_cv_stratified_folds(y_train, n_train, folds, ll_seed_mix(seed, 3), fold_of,
                               &cv_err) != 0) {
        st = ll_fail(err, LL_EINVAL, "inner cross-validation: %s", cv_err.msg);
        goto out;
    }
    for (uint32_t f = 0; f < folds && st == LL_OK; f++) {
        size_t n_in = 0, n_out = 0;
        for (size_t i = 0; i < n_train; i++)
            if (fold_of[i] != f)
                rows[n_in++] = i;
        for (size_t i = 0; i < n_train; i++)
            if (fold_of[i] == f)
                rows[n_in + n_out++] = i;
        double *xi = NULL, *xo = NULL, *so = NULL;
        uint8_t *yi = NULL;
        if (ll_gather_rows(x_train, y_train, n_cols, rows, n_in, &xi, &yi) != 0 ||
            ll_gather_rows(x_train, NULL, n_cols, rows + n_in, n_out, &xo, NULL) != 0 ||
            !(so = malloc((n_out ? n_out : 1) * sizeof *so))) {
            st = ll_fail(err, LL_ENOMEM, "out of memory");
        } else {
            ll_fit_stats stats;
            ll_fit_setup inner = *setup;
            inner.seed = ll_seed_mix(seed, 100 + f);
            st = ll_fit_predict(&inner, (ll_rows){xi, yi, n_in}, (ll_rows){xo, NULL, n_out}, so,
                                &stats, err);
            for (size_t j = 0; st == LL_OK && j < n_out; j++)
                oof[rows[n_in + j]] = so[j];
        }
        free(xi);
        free(yi);
        free(xo);
        free(so);
    }
out:
    free(fold_of);
    free(rows);
    return st;
}

/* The calibrator (when the model config has one) and the cut, from inner out-of-fold scores
 * of train. The inner models see their sampler's rows; the calibrator sees the true labels,
 * which is what brings resampled scores back to the real base rate. */
static ll_status learn_from_inner_folds(const ll_fit_setup *setup, const ll_nested_setup *nested,
                                        ll_rows train, ll_calibrator *calibrator, double *cut,
                                        ll_err *err)
{
    int method = setup->model->calibration;
    double *oof = malloc((train.n ? train.n : 1) * sizeof *oof);
    if (!oof)
        return ll_fail(err, LL_ENOMEM, "out of memory");
    ll_status st = inner_oof_scores(setup, nested->folds, train, oof, err);
    if (st == LL_OK && method != LL_CALIBRATE_NONE) {
        ll_err cal_err = {{0}};
        st = ll_calibrator_fit(method, oof, train.y, train.n, calibrator, &cal_err);
        if (st != LL_OK)
            ll_fail(err, st, "%s calibration: %s", ll_calibration_name(method), cal_err.msg);
        else
            ll_calibrator_apply(calibrator, oof, oof, train.n);
    }
    if (st == LL_OK && nested->tune) {
        double f1;
        if (ll_best_f1_threshold(train.y, oof, train.n, cut, &f1) != 0)
            st = ll_fail(err, LL_ENOMEM, "out of memory");
    }
    if (st != LL_OK)
        ll_calibrator_free(calibrator);
    free(oof);
    return st;
}

ll_status ll_fit_nested(const ll_fit_setup *setup, const ll_nested_setup *nested, ll_rows train,
                        ll_fitted *fitted, double *cut, ll_fit_stats *stats, ll_err *err)
{
    ll_calibrator calibrator;
    memset(&calibrator, 0, sizeof calibrator);
    *cut = nested->fixed_cut;
    if (setup->model->calibration != LL_CALIBRATE_NONE || nested->tune) {
        ll_status st = learn_from_inner_folds(setup, nested, train, &calibrator, cut, err);
        if (st != LL_OK) {
            memset(fitted, 0, sizeof *fitted);
            memset(stats, 0, sizeof *stats);
            return st;
        }
    }
    ll_status st = ll_fit_model(setup, train, fitted, stats, err);
    if (st != LL_OK) {
        ll_calibrator_free(&calibrator);
        return st;
    }
    fitted->calibrator = calibrator; /* the fitted model owns it now */
    return LL_OK;
}
