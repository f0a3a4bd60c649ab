/* leadlab leaderboard rows: per (model config, sampler) means and standard deviations over
 * the cells, ranked by F1 (or another metric on request), each tested against the best row
 * with the corrected resampled t-test (Nadeau & Bengio 2003) on per-fold values. */
#ifndef LL_CORE_SUMMARY_H
#define LL_CORE_SUMMARY_H

#include "runner.h"

/* The columns of a leaderboard row. BRIER .. ECE and the LL_MAX_AT top-k slots after LL_SUM_AT
 * (run->at[slot] says which) are computed from the cells' scores by ll_run_collect. */
enum { LL_SUM_F1, LL_SUM_PRECISION, LL_SUM_RECALL, LL_SUM_ROC_AUC, LL_SUM_PR_AUC, LL_SUM_MCC,
       LL_SUM_BALANCED_ACCURACY, LL_SUM_F1_FIXED, LL_SUM_THRESHOLD, LL_SUM_BRIER,
       LL_SUM_LOG_LOSS, LL_SUM_ECE, LL_SUM_AT, LL_SUM_N = LL_SUM_AT + LL_MAX_AT };

typedef struct {
    size_t model, sampler;   /* SIZE_MAX for a derived row */
    const char *label;       /* a derived row's label (borrowed from the run); NULL otherwise */
    size_t cells, failed, pending; /* pending: not run yet (an interrupted run) */
    const char *first_error; /* borrowed from the run result */
    double mean[LL_SUM_N], sd[LL_SUM_N];
    double fit_seconds, predict_seconds; /* sums over the cells */
    double p_vs_best;  /* two-sided p of the corrected t-test against row 0; 1 for row 0 */
    int worse_than_best; /* p < 0.05 and a lower mean of the ranking metric */
} ll_summary_row;

/* The test rows / training rows ratio the corrected t-test's variance correction takes:
 * 1 / (k - 1) for k-fold CV; for time-ordered folds, whose training rows grow fold by fold,
 * the mean over the folds (run->test_train_ratio). NaN with one fold (a holdout: no test). */
double ll_run_test_train_ratio(const ll_run_result *r);

/* The value of LL_SUM_* column `which` in one cell. */
double ll_cell_value(const ll_cell *c, int which);

/* Rows sorted by mean F1 (at the applied cut), descending; rows without any finished cell
 * last. Means are over the cells that finished ok.
 * Ties keep spec order. The caller frees the array. NULL on allocation failure. */
ll_summary_row *ll_summarise(const ll_run_result *r, size_t *n_rows);

/* The same, ranked by the mean of `metric` (a ranking metric: LL_SUM_F1 ..
 * LL_SUM_BALANCED_ACCURACY, BRIER .. ECE, or a top-k slot of the run), best first (lower is
 * better for brier, log_loss and ece), with p_vs_best from that metric's per-fold values. */
ll_summary_row *ll_summarise_by(const ll_run_result *r, int metric, size_t *n_rows);

/* The rows of the run's derived rows (r->derived, in order), each tested against `best` (a row
 * of ll_summarise_by with the same metric) on the same folds. The caller frees the array;
 * NULL when there are none (*n = 0) or memory runs out (*n = SIZE_MAX). */
ll_summary_row *ll_summarise_derived(const ll_run_result *r, int metric,
                                     const ll_summary_row *best, size_t *n);

/* The LL_SUM_* index of a ranking metric that is not top-k from its key ("f1", "pr_auc",
 * "brier", ...) or label ("F1", "PR-AUC", "Brier", ...), case-insensitive; -1 when it names
 * none. */
int ll_metric_index(const char *name);
/* Any ranking metric: its LL_SUM_* index, or LL_SUM_AT with *at filled for a top-k one
 * ("recall_at_0.1", "recall@10%", "precision_at_0.05", "lift@5%"); -1 when it names none or
 * its k is not a fraction in (0, 1]. */
int ll_metric_parse(const char *name, ll_at_metric *at);
/* Whether a higher mean of LL_SUM_* `which` is the better one. */
int ll_metric_higher_is_better(int which);
/* "f1", "precision", ..., "f1_fixed", "threshold", "brier", "log_loss", "ece": the CSV key of
 * LL_SUM_* `which` below LL_SUM_AT. */
const char *ll_metric_key(int which);
/* "F1", "precision", "recall", "ROC-AUC", "PR-AUC", "MCC", "bal. acc.", "F1 @fixed", "cut",
 * "Brier", "log loss", "ECE". */
const char *ll_metric_label(int which);
/* Key or label of any column, top-k slots named from at[] ("recall_at_0.1" / "recall@10%"),
 * written into buf; returns buf. */
const char *ll_metric_key_at(int which, const ll_at_metric *at, char *buf, size_t len);
const char *ll_metric_label_at(int which, const ll_at_metric *at, char *buf, size_t len);
/* The LL_SUM_* columns a leaderboard of `spec` shows after F1 (and after F1 @fixed and cut
 * when the cut is tuned), in order: the classic metrics it asks for, brier, log_loss, ece,
 * then its top-k slots; the ranking metric always among them. Returns the count (at most
 * LL_SUM_N). */
size_t ll_shown_metrics(const ll_spec *spec, int *cols);

#endif
