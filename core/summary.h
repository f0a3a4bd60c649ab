/* leadlab leaderboard rows: per (model config, sampler) means and standard deviations over
 * the cells, ranked by F1 (or another metric on request), each tested against the best row
 * with the corrected resampled t-test (Nadeau & Bengio 2003) on per-fold values. */
#ifndef LL_CORE_SUMMARY_H
#define LL_CORE_SUMMARY_H

#include "runner.h"

enum { LL_SUM_F1, LL_SUM_PRECISION, LL_SUM_RECALL, LL_SUM_ROC_AUC, LL_SUM_PR_AUC, LL_SUM_MCC,
       LL_SUM_BALANCED_ACCURACY, LL_SUM_F1_FIXED, LL_SUM_THRESHOLD, LL_SUM_N };

typedef struct {
    size_t model, sampler;
    size_t cells, failed, pending; /* pending: not run yet (an interrupted run) */
    const char *first_error; /* borrowed from the run result */
    double mean[LL_SUM_N], sd[LL_SUM_N];
    double fit_seconds, predict_seconds; /* sums over the cells */
    double p_vs_best;  /* two-sided p of the corrected t-test against row 0; 1 for row 0 */
    int worse_than_best; /* p < 0.05 and a lower mean of the ranking metric */
} ll_summary_row;

/* Rows sorted by mean F1 (at the applied cut), descending; rows without any finished cell
 * last. Means are over the cells that finished ok.
 * Ties keep spec order. The caller frees the array. NULL on allocation failure. */
ll_summary_row *ll_summarise(const ll_run_result *r, size_t *n_rows);

/* The same, ranked by the mean of `metric` (LL_SUM_F1 .. LL_SUM_BALANCED_ACCURACY, higher is
 * better for each), with p_vs_best from that metric's per-fold values. */
ll_summary_row *ll_summarise_by(const ll_run_result *r, int metric, size_t *n_rows);

/* The LL_SUM_* index of a ranking metric from its key ("f1", "pr_auc", ...) or label ("F1",
 * "PR-AUC", ...), case-insensitive; -1 when it names none. */
int ll_metric_index(const char *name);
/* "f1", "precision", ..., "f1_fixed", "threshold": the CSV key of LL_SUM_* `which`. */
const char *ll_metric_key(int which);
/* "F1", "precision", "recall", "ROC-AUC", "PR-AUC", "MCC", "bal. acc.", "F1 @fixed", "cut". */
const char *ll_metric_label(int which);

#endif
