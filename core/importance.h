/* leadlab feature importances of one fitted model: the model's own measure (its importances
 * entry), or permutation importance, the drop in average precision when one column of the
 * fold's test rows is shuffled. What every cell records, as the spec's `importances` asks. */
#ifndef LL_CORE_IMPORTANCE_H
#define LL_CORE_IMPORTANCE_H

#include <stddef.h>
#include <stdint.h>

#include "fit.h"

/* The kind permutation importance reports. */
#define LL_IMPORTANCE_PERMUTATION_KIND "permutation_ap"

/* How permutation importance draws. */
typedef struct {
    size_t repeats;  /* shuffles per column (< 1 counts as 1); the importance is their mean */
    size_t max_rows; /* at most this many test rows, a class-stratified sample when the fold
                        has more (0 = every row) */
    uint64_t seed;   /* every draw derives from it, so the values are the same at any -j */
    int threads;     /* budget handed to predict_proba */
} ll_permutation_setup;

/* Permutation importance of `fitted` on the test rows `rows` (n of them) of the unscaled
 * matrix x (fitted->n_cols wide) with labels y: out[j] = AP(unshuffled) - mean over repeats of
 * AP(column j shuffled among the rows), AP being average precision (PR-AUC). A column that is
 * constant over the rows used gets exactly 0 without predicting. Values may be negative (a
 * shuffle that happened to help). Fails (err says why) when the rows hold one class, or when
 * the model fails to predict. x is not modified. */
ll_status ll_permutation_importance(const ll_fitted *fitted, const double *x, const uint8_t *y,
                                    const size_t *rows, size_t n, const ll_permutation_setup *setup,
                                    double *out, ll_err *err);

/* The model's own importances (its optional entry) into out[fitted->n_cols], checked to be
 * finite and non-negative, and the kind it names (the plugin's importance_kind, "model" when it
 * names none; static). LL_EINVAL with err filled when the model has no entry, or when the
 * entry declines this configuration; the entry's status otherwise. */
ll_status ll_model_importance(const ll_fitted *fitted, double *out, const char **kind,
                              ll_err *err);

/* What the spec's `importances` asks of one fitted model: method is LL_IMPORTANCE_* (spec.h).
 * AUTO takes the model's own importances when it has them and they succeed, else permutes;
 * MODEL takes only the model's own; PERMUTATION always permutes; NONE computes nothing (and
 * returns LL_EINVAL). On LL_OK, out[fitted->n_cols] holds the values and *kind names them
 * (static storage); otherwise err says why there are none. */
ll_status ll_importances_compute(int method, const ll_fitted *fitted, const double *x,
                                 const uint8_t *y, const size_t *rows, size_t n,
                                 const ll_permutation_setup *setup, double *out,
                                 const char **kind, ll_err *err);

#endif
