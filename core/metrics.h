/* leadlab metrics: the scores of one fold's predictions (confusion, F1, ROC-AUC, PR-AUC, ...)
 * and the statistics the leaderboard reports over folds (mean, sd, corrected t-test).
 * Pure functions: no printing, no exit. */
#ifndef LL_CORE_METRICS_H
#define LL_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t tp, fp, tn, fn;
} ll_confusion;

typedef struct {
    ll_confusion cm;
    double precision, recall, f1, roc_auc, pr_auc, mcc, balanced_accuracy, accuracy;
} ll_metrics;

/* Metrics of scores `score` against labels `y` (nonzero = positive), n rows.
 *
 * Threshold metrics: a row is predicted positive when score >= threshold (a NaN score never
 * is). Degenerate cases follow scikit-learn with zero_division=0:
 *   precision = 0 with no predicted positive, recall = 0 with no positive row,
 *   f1 = 2tp / (2tp + fp + fn), 0 when that denominator is 0,
 *   mcc = 0 when any of its four marginal sums is 0,
 *   balanced_accuracy = the mean recall of the classes present in y (as sklearn),
 *   accuracy and balanced_accuracy = NaN when n = 0.
 * Ranking metrics (NaN scores rank below every other score, tied with -inf):
 *   roc_auc = the Mann-Whitney statistic with ties counted 1/2 (= roc_auc_score),
 *   pr_auc = average precision sum_k (R_k - R_{k-1}) P_k over the distinct scores taken as
 *            cuts from the highest down, tied rows entering together (= average_precision_score);
 *   both NaN when y holds one class only (or n = 0).
 * Returns 0, or -1 on allocation failure (out is then unspecified). */
int ll_metrics_compute(const uint8_t *y, const double *score, size_t n, double threshold,
                       ll_metrics *out);

/* The cut maximising F1 over every distinct score s taken as threshold (predict positive when
 * score >= s), and that F1 in *f1. Ties in F1: the smallest such s (the most rows predicted
 * positive). *threshold is the mid-point between s and the next lower distinct score (s itself
 * when s is the lowest score or no double lies between them): it gives the same predictions,
 * hence *f1, on these rows, and splits the gap evenly for new rows scored in between.
 * With no positive row (or n = 0) every cut scores 0: *threshold = +inf (predict none), *f1 = 0.
 * Returns 0, or -1 on allocation failure. */
int ll_best_f1_threshold(const uint8_t *y, const double *score, size_t n, double *threshold,
                         double *f1);

/* Mean and sample standard deviation (divisor count - 1) of the non-NaN entries of v.
 * Returns the count used; mean = NaN when it is 0, sd = 0 when it is below 2. */
size_t ll_mean_sd(const double *v, size_t n, double *mean, double *sd);

/* Corrected resampled t-test (Nadeau & Bengio 2003) comparing two configurations scored on the
 * same n = k * r folds: d_j = a_j - b_j, t = mean(d) / sqrt((1/n + n2/n1) var(d)), df = n - 1,
 * where test_train_ratio = n2/n1 (1/(k-1) for k-fold CV). Pairs with a NaN are skipped.
 * Returns the two-sided p-value P(|T_df| >= |t|); 1 when var(d) = 0 and mean(d) = 0 (t = 0),
 * 0 when var(d) = 0 and mean(d) != 0 (t = +-inf); NaN (t NaN) with fewer than 2 pairs.
 * t_out (may be NULL) receives t. */
double ll_corrected_ttest_p(const double *a, const double *b, size_t n, double test_train_ratio,
                            double *t_out);

/* Welch's unpaired t-test of two samples (NaN entries skipped): t = (mean(a) - mean(b)) /
 * sqrt(var(a)/n_a + var(b)/n_b) with Welch-Satterthwaite degrees of freedom. For configurations
 * scored on different folds, where no pairing exists; it ignores that CV folds share training
 * rows, so its p is optimistic. Returns the two-sided p; 1 when both variances are 0 and the
 * means equal, 0 when they differ; NaN (t NaN) with fewer than 2 values on a side. */
double ll_welch_ttest_p(const double *a, size_t n_a, const double *b, size_t n_b, double *t_out);

/* P(T > t) for Student's t with df > 0 degrees of freedom (exposed for tests). */
double ll_student_t_sf(double t, double df);

/* ---- ranking a call list: the top k of a fold ---------------------------------------------
 * k is a fraction of the rows: the top count is round(k n), half away from zero, at least 1
 * (k in (0, 1]; callers validate it). Rows are ranked by descending score; ties in score are
 * broken by row order (the earlier row is called first), NaN scores rank last. */

/* A top-k metric the spec asks for: what it measures and its k. */
enum { LL_AT_RECALL, LL_AT_PRECISION, LL_AT_LIFT };
typedef struct {
    int kind;  /* LL_AT_* */
    double k;  /* fraction of the fold's rows, in (0, 1] */
} ll_at_metric;
#define LL_MAX_AT 12 /* top-k metrics one spec may ask for */

/* The order every top-k metric, call list and chart ranks rows in: order[0..n) = row indices
 * by descending score (ascending with `ascending`), ties by ascending row, NaN as -inf.
 * order is the caller's. Returns 0, or -1 on allocation failure. */
int ll_rank_rows(const double *score, size_t n, int ascending, size_t *order);

/* round(k n) half away from zero, at least 1 (0 when n = 0). */
size_t ll_top_count(size_t n, double k);

typedef struct {
    double precision; /* buyers among the top rows / top rows */
    double recall;    /* buyers among the top rows / all buyers (NaN with no buyer) */
    double lift;      /* precision / base rate (NaN with no buyer) */
} ll_at_k;

/* The top-k metrics of scores against labels; NaN everywhere when n = 0. Returns 0, or -1 on
 * allocation failure. */
int ll_metrics_at(const uint8_t *y, const double *score, size_t n, double k, ll_at_k *out);

/* ---- probabilities ------------------------------------------------------------------------
 * Metrics of `p` read as P(y = 1); NaN when n = 0. */

/* Mean squared error of p against y (= brier_score_loss). */
double ll_brier(const uint8_t *y, const double *p, size_t n);
/* Mean negative log-likelihood with p clipped to [1e-15, 1 - 1e-15] (= log_loss). */
double ll_log_loss(const uint8_t *y, const double *p, size_t n);
/* Expected calibration error over `bins` equal-count bins of the rows sorted by p (ascending,
 * ties by row order; the first n % bins bins hold one row more, as numpy's array_split):
 * sum over bins of (rows in bin / n) * |mean(y) - mean(p)| in the bin. Returns NaN when
 * n = 0, or -1 on allocation failure through *failed (may be NULL). */
double ll_ece(const uint8_t *y, const double *p, size_t n, size_t bins, int *failed);

/* What a cell's scores give without a cut, into out[0 .. 3 + n_at): brier, log_loss, ece (10
 * bins), then the value of each top-k metric at[i]. Returns 0, or -1 on allocation failure. */
int ll_score_metrics(const ll_at_metric *at, size_t n_at, const uint8_t *y, const double *p,
                     size_t n, double *out);

#endif
