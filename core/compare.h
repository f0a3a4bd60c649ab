/* leadlab show and compare: an output folder's leaderboard compact enough for a terminal, and
 * two runs side by side (rows matched by label; a paired test where the folds are the same,
 * an unpaired one where they are not), as Markdown and as a self-contained HTML page. Reads
 * only what ll_store_read_run returns; never prints on its own. */
#ifndef LL_CORE_COMPARE_H
#define LL_CORE_COMPARE_H

#include <stdio.h>

#include "store.h"
#include "summary.h"

/* The leaderboard of a stored run ranked by `metric` (LL_SUM_F1 .. LL_SUM_BALANCED_ACCURACY):
 * rank, label (shortened, then trimmed with an ellipsis so each line fits `width` display
 * columns), the metric's mean ± sd (and F1's when ranked by another), the mean cut, and the
 * comparison with the best row. `dir` names the folder in the heading. Returns 0, or -1 when
 * memory runs out. */
int ll_show(FILE *out, const char *dir, const ll_stored_run *run, int metric, size_t width);

typedef struct {
    const char *config, *sampler; /* labels, borrowed from the runs */
    const ll_summary_row *a, *b;  /* this row in each run; NULL where it is absent */
    double p;                     /* two-sided p of F1, B against A; NaN when untestable */
} ll_compare_row;

typedef struct {
    /* Rows in both runs (by B's mean F1, descending), then rows only in A, then only in B. */
    ll_compare_row *rows;
    size_t n_rows, n_both, n_only_a, n_only_b;
    /* 1: the same data and, in every (repeat, fold), the same test rows, so folds pair up and
     * p is the corrected paired t-test; 0: p is Welch's unpaired t-test. */
    int same_folds;
    char folds_note[512]; /* one sentence: what the folds share, or how they differ */
    ll_summary_row *sum_a, *sum_b;
    size_t n_sum_a, n_sum_b;
} ll_comparison;

/* Matches the rows of a and b by label and tests each pair. Returns 0, or -1 (err set). */
int ll_compare_runs(const ll_stored_run *a, const ll_stored_run *b, ll_comparison *out,
                    ll_error *err);
void ll_comparison_free(ll_comparison *c);

/* The comparison as Markdown, and as an HTML page (with a chart of F1 in A and B per row).
 * name_a / name_b are the folders as the user gave them. Return 0, or -1 when memory runs
 * out. */
int ll_compare_markdown(FILE *out, const char *name_a, const ll_stored_run *a,
                        const char *name_b, const ll_stored_run *b, const ll_comparison *c);
int ll_compare_html(FILE *out, const char *name_a, const ll_stored_run *a, const char *name_b,
                    const ll_stored_run *b, const ll_comparison *c);

#endif
