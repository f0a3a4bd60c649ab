/* leadlab report charts: the sections of report.html that show what calling leads best-first
 * yields (cumulative gains, lift by decile) and how far the scores can be read as
 * probabilities (reliability diagram), drawn with core/svg from the numbers of core/gains. */
#ifndef LL_CORE_REPORT_CHARTS_H
#define LL_CORE_REPORT_CHARTS_H

#include <stdio.h>

#include "runner.h"
#include "spec.h"
#include "summary.h"

/* What the charts draw from; everything borrowed from the page being written. */
typedef struct {
    FILE *out;
    const ll_spec *spec;
    const ll_run_result *run;     /* scores: run->oof of repeat 0; labels: run->y */
    char *const *model_short;     /* ll_spec_short_labels: what the page's tables show */
    char *const *sampler_short;
} ll_html_charts;

/* Each writes one <section> (ids "gains", "lift", "reliability"; charts "chart-gains",
 * "chart-lift", "chart-reliability") from the pooled out-of-fold scores of the first repeat,
 * which score every data row once; rows whose cell failed or has not run (score -1) are left
 * out. A section whose rows have no score says so instead of drawing. Each returns 0, or -1
 * when memory runs out. */

/* Cumulative gains of the leaderboard's top rows (top[0] the best; those the PR curves show),
 * with the random and perfect lines and the share of buyers in the top 10 %. */
int ll_html_gains(const ll_html_charts *c, const ll_summary_row *const *top, size_t n_top);
/* Lift by decile of the best row (may be NULL: nothing finished yet). */
int ll_html_lift(const ll_html_charts *c, const ll_summary_row *best);
/* Reliability diagram of the best row (may be NULL), beside its calibrated or uncalibrated
 * twins when the run has them (the same plugin and parameters under another calibration, with
 * the same sampler), each with its ECE. */
int ll_html_reliability(const ll_html_charts *c, const ll_summary_row *best);

#endif
