/* leadlab curves: the operating points of a scored sample (one per distinct score taken as the
 * cut), from which the report draws PR and ROC curves and F1 / precision / recall against the
 * threshold. Same definitions as ll_metrics_compute, so a curve's AP and AUC equal its PR-AUC
 * and ROC-AUC. Pure functions: no printing, no exit. */
#ifndef LL_CORE_CURVES_H
#define LL_CORE_CURVES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t n;             /* operating points, highest cut first */
    double *threshold;    /* predict positive when score >= threshold[k] */
    size_t *tp, *fp;      /* true and false positives at that cut */
    size_t positives, negatives;
} ll_curve;

/* The operating points of scores `score` against labels `y` (nonzero = positive), n rows.
 * Rows with a NaN or negative score (leadlab's mark for "not scored") are left out. Tied
 * scores enter together, as in scikit-learn's precision_recall_curve and roc_curve (with
 * drop_intermediate=False). Returns 0, or -1 when memory runs out. Free with ll_curve_free. */
int ll_curve_build(const uint8_t *y, const double *score, size_t n, ll_curve *out);
void ll_curve_free(ll_curve *c);

/* At operating point k: precision tp / (tp + fp); recall = TPR tp / positives (0 without
 * positives); FPR fp / negatives (0 without negatives); F1 2tp / (2tp + fp + fn). */
double ll_curve_precision(const ll_curve *c, size_t k);
double ll_curve_recall(const ll_curve *c, size_t k);
double ll_curve_fpr(const ll_curve *c, size_t k);
double ll_curve_f1(const ll_curve *c, size_t k);

/* Average precision sum_k (R_k - R_{k-1}) P_k (= average_precision_score), and the area under
 * the ROC curve by the trapezoid rule from (0, 0) (= roc_auc_score); NaN with one class. */
double ll_curve_average_precision(const ll_curve *c);
double ll_curve_roc_auc(const ll_curve *c);

#endif
