/* leadlab show and compare (see compare.h). */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"
#include "metrics.h"
#include "report_html.h"
#include "svg.h"

/* Display columns of a UTF-8 string (every character one column: labels are Latin text). */
static size_t columns(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* s left-aligned in a field of `width` columns (longer text is not cut here). */
static void padded(FILE *out, const char *s, size_t width)
{
    fputs(s, out);
    for (size_t n = columns(s); n < width; n++)
        fputc(' ', out);
}

static void right_aligned(FILE *out, const char *s, size_t width)
{
    for (size_t n = columns(s); n < width; n++)
        fputc(' ', out);
    fputs(s, out);
}

static void mean_sd_text(char *buf, size_t len, const ll_summary_row *row, int which)
{
    if (!row || isnan(row->mean[which]))
        snprintf(buf, len, "–");
    else
        snprintf(buf, len, "%.3f ± %.3f", row->mean[which], row->sd[which]);
}

/* What the last column says of a row against the best one. */
static void vs_best_text(char *buf, size_t len, const ll_summary_row *row, size_t rank)
{
    if (row->failed)
        snprintf(buf, len, "FAILED %zu/%zu", row->failed, row->cells);
    else if (row->pending == row->cells)
        snprintf(buf, len, "not run");
    else if (row->pending)
        snprintf(buf, len, "partial %zu/%zu", row->cells - row->pending, row->cells);
    else if (rank == 0)
        snprintf(buf, len, "best");
    else if (isnan(row->p_vs_best))
        snprintf(buf, len, "–");
    else if (row->p_vs_best < 0.001)
        snprintf(buf, len, "%sp<0.001", row->worse_than_best ? "▼ " : "");
    else
        snprintf(buf, len, "%sp=%.3f", row->worse_than_best ? "▼ " : "", row->p_vs_best);
}

/* Short labels of a stored run's configs and samplers; -1 when memory runs out. */
static int run_short_labels(const ll_stored_run *r, char ***models, char ***samplers)
{
    *models = calloc(r->run.n_models ? r->run.n_models : 1, sizeof **models);
    *samplers = calloc(r->run.n_samplers ? r->run.n_samplers : 1, sizeof **samplers);
    if (*models && *samplers &&
        ll_short_labels((const char *const *)r->configs, r->run.n_models, *models) == 0) {
        if (ll_short_labels((const char *const *)r->samplers, r->run.n_samplers, *samplers) == 0)
            return 0;
        ll_labels_free(*models, r->run.n_models);
        *models = NULL;
    }
    free(*models);
    free(*samplers);
    *models = *samplers = NULL;
    return -1;
}

int ll_show(FILE *out, const char *dir, const ll_stored_run *r, int metric, size_t width)
{
    size_t n;
    ll_summary_row *rows = ll_summarise_by(&r->run, metric, &n);
    char **models = NULL, **samplers = NULL;
    if (!rows || run_short_labels(r, &models, &samplers) != 0) {
        free(rows);
        return -1;
    }
    const ll_run_result *run = &r->run;
    fprintf(out, "%s: run %lld, %s (started %s)\n%zu of %zu cells done", dir,
            (long long)r->run_id, r->status, r->started_at, run->n_ok, run->n_cells);
    if (run->n_failed)
        fprintf(out, ", %zu failed", run->n_failed);
    fprintf(out, "; ranked by %s\n", ll_metric_label(metric));
    if (run->n_pending)
        fprintf(out, "incomplete: %zu of %zu cells not run yet (rerun the run's command to "
                     "resume)\n", run->n_pending, run->n_cells);
    int extra = metric != LL_SUM_F1; /* the ranking metric's column beside F1's */
    const size_t value_w = 13, cut_w = 5, vs_w = 12;
    size_t fixed = 3 + 2 + 2 + value_w * (size_t)(1 + extra) + 2 * (size_t)extra + 2 + cut_w +
                   2 + vs_w;
    size_t longest = 5;
    char label[1200], cell[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(label, sizeof label, "%s | %s", models[rows[i].model],
                 samplers[rows[i].sampler]);
        longest = columns(label) > longest ? columns(label) : longest;
    }
    size_t label_w = width > fixed + 16 ? width - fixed : 16;
    if (label_w > longest)
        label_w = longest;
    fputs("  #  ", out);
    padded(out, "model | sampler", label_w);
    if (extra) {
        snprintf(cell, sizeof cell, "%s ± sd", ll_metric_label(metric));
        fputs("  ", out);
        right_aligned(out, cell, value_w);
    }
    fputs("  ", out);
    right_aligned(out, "F1 ± sd", value_w);
    fputs("  ", out);
    right_aligned(out, "cut", cut_w);
    fputs("  vs best\n", out);
    for (size_t i = 0; i < n; i++) {
        const ll_summary_row *row = &rows[i];
        snprintf(label, sizeof label, "%s | %s", models[row->model], samplers[row->sampler]);
        char trimmed[1200];
        ll_label_trim(label, label_w, trimmed, sizeof trimmed);
        fprintf(out, "%3zu  ", i + 1);
        padded(out, trimmed, label_w);
        if (extra) {
            mean_sd_text(cell, sizeof cell, row, metric);
            fputs("  ", out);
            right_aligned(out, cell, value_w);
        }
        mean_sd_text(cell, sizeof cell, row, LL_SUM_F1);
        fputs("  ", out);
        right_aligned(out, cell, value_w);
        if (isnan(row->mean[LL_SUM_THRESHOLD]))
            snprintf(cell, sizeof cell, "–");
        else
            snprintf(cell, sizeof cell, "%.3f", row->mean[LL_SUM_THRESHOLD]);
        fputs("  ", out);
        right_aligned(out, cell, cut_w);
        vs_best_text(cell, sizeof cell, row, i);
        fprintf(out, "  %s\n", cell);
    }
    ll_labels_free(models, run->n_models);
    ll_labels_free(samplers, run->n_samplers);
    free(rows);
    return ferror(out) ? -1 : 0;
}

/* ---- compare ---- */

void ll_comparison_free(ll_comparison *c)
{
    free(c->rows);
    free(c->sum_a);
    free(c->sum_b);
    memset(c, 0, sizeof *c);
}

static const ll_summary_row *find_row(const ll_stored_run *r, const ll_summary_row *rows,
                                      size_t n, const char *config, const char *sampler)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(r->configs[rows[i].model], config) &&
            !strcmp(r->samplers[rows[i].sampler], sampler))
            return &rows[i];
    return NULL;
}

/* Per-cell F1 of a row in (repeat, fold) order, NaN where the cell did not finish ok. */
static void fold_f1(const ll_stored_run *r, const ll_summary_row *row, double *out)
{
    size_t k = 0;
    for (size_t rep = 0; rep < r->run.repeats; rep++)
        for (size_t f = 0; f < r->run.folds; f++, k++) {
            const ll_cell *c = &r->run.cells[ll_cell_index(&r->run, row->model, row->sampler,
                                                           rep, f)];
            out[k] = c->status == LL_CELL_OK ? c->metrics.f1 : NAN;
        }
}

/* Whether the two runs cut the same data into the same test folds; note says why not. */
static int same_folds(const ll_stored_run *a, const ll_stored_run *b, char *note, size_t len)
{
    if (strcmp(a->data_hash, b->data_hash)) {
        snprintf(note, len, "The folds differ: the runs read different data (content hash "
                 "%.12s vs %.12s).", a->data_hash, b->data_hash);
        return 0;
    }
    if (a->run.folds != b->run.folds || a->run.repeats != b->run.repeats) {
        snprintf(note, len, "The folds differ: A has %zu folds × %zu repeats, B %zu × %zu.",
                 a->run.folds, a->run.repeats, b->run.folds, b->run.repeats);
        return 0;
    }
    static const ll_digest none = {0, 0};
    for (size_t i = 0; i < a->run.folds * a->run.repeats; i++) {
        ll_digest x = a->fold_rows[i], y = b->fold_rows[i];
        size_t rep = i / a->run.folds, f = i % a->run.folds;
        if ((x.hi == none.hi && x.lo == none.lo) || (y.hi == none.hi && y.lo == none.lo)) {
            snprintf(note, len, "The folds cannot be matched: %s has no finished cell in repeat "
                     "%zu, fold %zu.", x.hi == none.hi && x.lo == none.lo ? "A" : "B", rep, f);
            return 0;
        }
        if (x.hi != y.hi || x.lo != y.lo) {
            snprintf(note, len, "The folds differ: the same data, but repeat %zu, fold %zu "
                     "tests other rows in A than in B (another cv seed or fold count).", rep, f);
            return 0;
        }
    }
    snprintf(note, len, "The folds are the same: the same data and, in each of the %zu folds × "
             "%zu repeat%s, the same test rows.", a->run.folds, a->run.repeats,
             a->run.repeats == 1 ? "" : "s");
    return 1;
}

static double row_f1(const ll_summary_row *r) { return r ? r->mean[LL_SUM_F1] : NAN; }

static int by_f1_in_b(const void *x, const void *y)
{
    const ll_compare_row *a = x, *b = y;
    int a_only = !a->b || !a->a, b_only = !b->b || !b->a;
    if (a_only != b_only)
        return a_only - b_only;
    if (a_only && (a->a == NULL) != (b->a == NULL)) /* rows only in A before rows only in B */
        return (a->a == NULL) - (b->a == NULL);
    double fa = row_f1(a_only ? (a->b ? a->b : a->a) : a->b);
    double fb = row_f1(b_only ? (b->b ? b->b : b->a) : b->b);
    if (isnan(fa) != isnan(fb))
        return isnan(fa) ? 1 : -1;
    if (fa != fb && !isnan(fa))
        return fa > fb ? -1 : 1;
    int by_config = strcmp(a->config, b->config); /* ties: a fixed order, whatever qsort does */
    return by_config ? by_config : strcmp(a->sampler, b->sampler);
}

int ll_compare_runs(const ll_stored_run *a, const ll_stored_run *b, ll_comparison *out,
                    ll_error *err)
{
    memset(out, 0, sizeof *out);
    out->sum_a = ll_summarise(&a->run, &out->n_sum_a);
    out->sum_b = ll_summarise(&b->run, &out->n_sum_b);
    out->rows = calloc(out->n_sum_a + out->n_sum_b + 1, sizeof *out->rows);
    size_t per_a = a->run.repeats * a->run.folds, per_b = b->run.repeats * b->run.folds;
    double *fa = malloc((per_a + 1) * sizeof *fa), *fb = malloc((per_b + 1) * sizeof *fb);
    if (!out->sum_a || !out->sum_b || !out->rows || !fa || !fb) {
        free(fa);
        free(fb);
        ll_comparison_free(out);
        return ll_error_set(err, "out of memory");
    }
    out->same_folds = same_folds(a, b, out->folds_note, sizeof out->folds_note);
    for (size_t i = 0; i < out->n_sum_a; i++) {
        const ll_summary_row *ra = &out->sum_a[i];
        const char *config = a->configs[ra->model], *sampler = a->samplers[ra->sampler];
        const ll_summary_row *rb = find_row(b, out->sum_b, out->n_sum_b, config, sampler);
        ll_compare_row *row = &out->rows[out->n_rows++];
        *row = (ll_compare_row){config, sampler, ra, rb, NAN};
        if (!rb) {
            out->n_only_a++;
            continue;
        }
        out->n_both++;
        fold_f1(a, ra, fa);
        fold_f1(b, rb, fb);
        int complete = ra->failed + ra->pending == 0 && rb->failed + rb->pending == 0;
        if (out->same_folds && complete && a->run.folds > 1)
            row->p = ll_corrected_ttest_p(fb, fa, per_a, ll_run_test_train_ratio(&a->run),
                                          NULL);
        else if (!out->same_folds)
            row->p = ll_welch_ttest_p(fb, per_b, fa, per_a, NULL);
    }
    for (size_t i = 0; i < out->n_sum_b; i++) {
        const ll_summary_row *rb = &out->sum_b[i];
        const char *config = b->configs[rb->model], *sampler = b->samplers[rb->sampler];
        if (find_row(a, out->sum_a, out->n_sum_a, config, sampler))
            continue;
        out->rows[out->n_rows++] = (ll_compare_row){config, sampler, NULL, rb, NAN};
        out->n_only_b++;
    }
    qsort(out->rows, out->n_rows, sizeof *out->rows, by_f1_in_b);
    free(fa);
    free(fb);
    return 0;
}

/* Short labels over both runs' configs (one list) and samplers (another), so a row is named
 * alike in both. */
typedef struct {
    const char **full;
    char **brief;
    size_t n;
} label_set;

static void label_set_free(label_set *s)
{
    free(s->full);
    ll_labels_free(s->brief, s->n);
    memset(s, 0, sizeof *s);
}

static int label_set_build(label_set *s, char **a, size_t na, char **b, size_t nb)
{
    memset(s, 0, sizeof *s);
    s->full = malloc((na + nb + 1) * sizeof *s->full);
    s->brief = calloc(na + nb + 1, sizeof *s->brief);
    if (!s->full || !s->brief) {
        free(s->full);
        free(s->brief);
        return -1;
    }
    for (size_t i = 0; i < na + nb; i++) {
        const char *l = i < na ? a[i] : b[i - na];
        size_t j = 0;
        while (j < s->n && strcmp(s->full[j], l))
            j++;
        if (j == s->n)
            s->full[s->n++] = l;
    }
    if (ll_short_labels(s->full, s->n, s->brief) != 0) {
        free(s->full);
        free(s->brief);
        memset(s, 0, sizeof *s);
        return -1;
    }
    return 0;
}

static const char *brief_of(const label_set *s, const char *full)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->full[i], full))
            return s->brief[i];
    return full;
}

typedef struct {
    label_set configs, samplers;
} compare_labels;

static int compare_labels_build(compare_labels *l, const ll_stored_run *a,
                                const ll_stored_run *b)
{
    if (label_set_build(&l->configs, a->configs, a->run.n_models, b->configs,
                        b->run.n_models) != 0)
        return -1;
    if (label_set_build(&l->samplers, a->samplers, a->run.n_samplers, b->samplers,
                        b->run.n_samplers) != 0) {
        label_set_free(&l->configs);
        return -1;
    }
    return 0;
}

static void compare_labels_free(compare_labels *l)
{
    label_set_free(&l->configs);
    label_set_free(&l->samplers);
}

/* The metrics compared beside F1, as B - A. */
static const int delta_metrics[] = {LL_SUM_PR_AUC, LL_SUM_ROC_AUC, LL_SUM_MCC,
                                    LL_SUM_PRECISION, LL_SUM_RECALL, LL_SUM_BALANCED_ACCURACY,
                                    LL_SUM_THRESHOLD};
enum { N_DELTA = sizeof delta_metrics / sizeof delta_metrics[0] };

static double delta(const ll_compare_row *r, int which)
{
    return r->a && r->b ? r->b->mean[which] - r->a->mean[which] : NAN;
}

static void signed_number(FILE *out, double v)
{
    if (isnan(v))
        fputs("–", out);
    else if (fabs(v) < 0.0005)
        fputs("0.000", out); /* neither "+0.000" nor "-0.000": no difference at this precision */
    else
        fprintf(out, "%+.3f", v);
}

static void p_text(char *buf, size_t len, const ll_compare_row *r)
{
    if (isnan(r->p)) {
        snprintf(buf, len, "–");
        return;
    }
    const char *mark = r->p < 0.05 ? (delta(r, LL_SUM_F1) > 0 ? "▲ " : "▼ ") : "";
    if (r->p < 0.001)
        snprintf(buf, len, "%sp < 0.001", mark);
    else
        snprintf(buf, len, "%sp = %.3f", mark, r->p);
}

static void md_run_line(FILE *out, const char *letter, const char *name, const ll_stored_run *r)
{
    fprintf(out, "- **%s**: `%s`, run %lld, %s (started %s, leadlab %s), %zu of %zu cells done",
            letter, name, (long long)r->run_id, r->status, r->started_at, r->leadlab_version,
            r->run.n_ok, r->run.n_cells);
    if (r->run.n_failed)
        fprintf(out, ", %zu failed", r->run.n_failed);
    fprintf(out, ". Command: `%s`\n", r->command);
}

/* Text in a Markdown table cell: '|' escaped. */
static void md_text(FILE *out, const char *s)
{
    for (; *s; s++)
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s, out);
}

int ll_compare_markdown(FILE *out, const char *name_a, const ll_stored_run *a,
                        const char *name_b, const ll_stored_run *b, const ll_comparison *c)
{
    compare_labels l;
    if (compare_labels_build(&l, a, b) != 0)
        return -1;
    fprintf(out, "# Compare: A = %s, B = %s\n\n", name_a, name_b);
    md_run_line(out, "A", name_a, a);
    md_run_line(out, "B", name_b, b);
    fprintf(out, "\n%zu rows in both, %zu only in A, %zu only in B. %s ", c->n_both, c->n_only_a,
            c->n_only_b, c->folds_note);
    if (c->same_folds)
        fputs("p: corrected resampled t-test on the paired per-fold F1 (Nadeau & Bengio "
              "2003).\n\n", out);
    else
        fputs("p: Welch's unpaired t-test on per-fold F1 (it ignores that folds share training "
              "rows, so it is optimistic).\n\n", out);
    fputs("| # | model | sampler | F1 A | F1 B | ΔF1 | p |", out);
    for (int k = 0; k < N_DELTA; k++)
        fprintf(out, " Δ%s |", ll_metric_label(delta_metrics[k]));
    fputs("\n|---:|---|---|---:|---:|---:|---:|", out);
    for (int k = 0; k < N_DELTA; k++)
        fputs("---:|", out);
    fputc('\n', out);
    char buf[64];
    for (size_t i = 0; i < c->n_both; i++) {
        const ll_compare_row *r = &c->rows[i];
        fprintf(out, "| %zu | ", i + 1);
        md_text(out, brief_of(&l.configs, r->config));
        fputs(" | ", out);
        md_text(out, brief_of(&l.samplers, r->sampler));
        mean_sd_text(buf, sizeof buf, r->a, LL_SUM_F1);
        fprintf(out, " | %s | ", buf);
        mean_sd_text(buf, sizeof buf, r->b, LL_SUM_F1);
        fprintf(out, "%s | ", buf);
        signed_number(out, delta(r, LL_SUM_F1));
        p_text(buf, sizeof buf, r);
        fprintf(out, " | %s |", buf);
        for (int k = 0; k < N_DELTA; k++) {
            fputc(' ', out);
            signed_number(out, delta(r, delta_metrics[k]));
            fputs(" |", out);
        }
        fputc('\n', out);
    }
    fputs("\nΔ = B − A of the means over each run's cells. ▲ / ▼: F1 significantly higher / "
          "lower in B (p < 0.05).\n", out);
    for (int side = 0; side < 2; side++) {
        size_t n = side ? c->n_only_b : c->n_only_a;
        if (!n)
            continue;
        fprintf(out, "\nOnly in %s (%zu):\n\n", side ? "B" : "A", n);
        for (size_t i = c->n_both; i < c->n_rows; i++) {
            const ll_compare_row *r = &c->rows[i];
            const ll_summary_row *row = side ? r->b : r->a;
            if ((side && r->a) || (!side && r->b))
                continue;
            mean_sd_text(buf, sizeof buf, row, LL_SUM_F1);
            fprintf(out, "- `%s | %s`: F1 %s\n", r->config, r->sampler, buf);
        }
    }
    int any = 0;
    for (int kind = 0; kind < 2; kind++) {
        const label_set *s = kind ? &l.samplers : &l.configs;
        for (size_t i = 0; i < s->n; i++) {
            if (!strcmp(s->brief[i], s->full[i]))
                continue;
            if (!any++)
                fputs("\nLabels show the parameters that vary; in full:\n\n", out);
            fprintf(out, "- `%s` = %s\n", s->brief[i], s->full[i]);
        }
    }
    compare_labels_free(&l);
    return ferror(out) ? -1 : 0;
}

/* ---- compare as HTML ---- */

static void html_run_item(FILE *out, const char *letter, const char *name,
                          const ll_stored_run *r)
{
    fprintf(out, "<dt>%s</dt><dd><code>", letter);
    ll_xml_text(out, name);
    fprintf(out, "</code>: run %lld, ", (long long)r->run_id);
    ll_xml_text(out, r->status);
    fputs(" (started ", out);
    ll_xml_text(out, r->started_at);
    fputs(", leadlab ", out);
    ll_xml_text(out, r->leadlab_version);
    fprintf(out, "), %zu of %zu cells done%s<br><code>", r->run.n_ok, r->run.n_cells,
            r->run.n_failed ? ", some failed" : "");
    ll_xml_text(out, r->command);
    fputs("</code></dd>\n", out);
}

static void td_signed(FILE *out, double v)
{
    fputs("<td>", out);
    signed_number(out, v);
    fputs("</td>", out);
}

static void write_compare_chart(FILE *out, const ll_comparison *c, const compare_labels *l)
{
    size_t n = c->n_both;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    const char **titles = malloc((n ? n : 1) * sizeof *titles);
    char (*nb)[200] = malloc((n ? n : 1) * sizeof *nb);
    char (*tb)[800] = malloc((n ? n : 1) * sizeof *tb);
    if (!names || !titles || !nb || !tb) {
        free(names);
        free(titles);
        free(nb);
        free(tb);
        return;
    }
    double lo = INFINITY, hi = -INFINITY, label_w = 0;
    for (size_t i = 0; i < n; i++) {
        const ll_compare_row *r = &c->rows[i];
        snprintf(nb[i], sizeof nb[i], "%s | %s", brief_of(&l->configs, r->config),
                 brief_of(&l->samplers, r->sampler));
        snprintf(tb[i], sizeof tb[i], "%s | %s", r->config, r->sampler);
        names[i] = nb[i];
        titles[i] = tb[i];
        label_w = fmax(label_w, ll_text_width(names[i], 12));
        const ll_summary_row *both[] = {r->a, r->b};
        for (int k = 0; k < 2; k++)
            if (!isnan(both[k]->mean[LL_SUM_F1])) {
                lo = fmin(lo, both[k]->mean[LL_SUM_F1] - both[k]->sd[LL_SUM_F1]);
                hi = fmax(hi, both[k]->mean[LL_SUM_F1] + both[k]->sd[LL_SUM_F1]);
            }
    }
    if (!(lo <= hi)) {
        lo = 0;
        hi = 1;
    }
    double step = ll_nice_step(fmax(hi - lo, 0.02), 6);
    lo = fmax(0, floor(lo / step) * step);
    hi = fmin(1, ceil(hi / step) * step);
    ll_chart_spec sp = {0};
    sp.id = "chart-compare";
    sp.title = "Mean F1 per row in A and B (whiskers: ± 1 sd over the cells)";
    sp.width = 1200;
    sp.left = fmin(380, fmax(140, label_w + 24));
    sp.right = 150;
    sp.top = 34;
    sp.bottom = 52;
    sp.height = sp.top + sp.bottom + 26.0 * (double)(n ? n : 1);
    sp.x_label = "F1 (out-of-fold, at the applied cut)";
    sp.x_min = lo;
    sp.x_max = hi;
    sp.x_ticks = 8;
    sp.rows = names;
    sp.row_titles = titles;
    sp.n_rows = n;
    ll_chart ch;
    ll_chart_begin(&ch, out, &sp);
    ll_style colours[2] = {{"#8c8c8c", 1.5, NULL, 0}, {ll_html_color(0), 1.5, NULL, 0}};
    for (size_t i = 0; i < n; i++) {
        const ll_compare_row *r = &c->rows[i];
        double y = (double)i + 0.5;
        const ll_summary_row *both[] = {r->a, r->b};
        if (!isnan(r->a->mean[LL_SUM_F1]) && !isnan(r->b->mean[LL_SUM_F1])) {
            double xs[] = {r->a->mean[LL_SUM_F1], r->b->mean[LL_SUM_F1]}, ys[] = {y, y};
            ll_style link = {"#c8ccd2", 4, NULL, 0};
            ll_chart_line(&ch, xs, ys, 2, &link, NULL);
        }
        for (int k = 0; k < 2; k++) {
            const ll_summary_row *row = both[k];
            if (isnan(row->mean[LL_SUM_F1]))
                continue;
            double dy = k ? 0.14 : -0.14; /* A above B, so whiskers do not overlap */
            ll_chart_error_bar(&ch, y + dy, row->mean[LL_SUM_F1] - row->sd[LL_SUM_F1],
                               row->mean[LL_SUM_F1] + row->sd[LL_SUM_F1], 6, &colours[k]);
            char tip[900];
            char ptext[48];
            p_text(ptext, sizeof ptext, r);
            snprintf(tip, sizeof tip, "%s: F1 %.3f ± %.3f in %s (%s)", titles[i],
                     row->mean[LL_SUM_F1], row->sd[LL_SUM_F1], k ? "B" : "A", ptext);
            ll_chart_dot(&ch, row->mean[LL_SUM_F1], y + dy, 5, &colours[k], tip);
        }
    }
    ll_legend_item items[] = {{"A", NULL, colours[0], LL_LEGEND_DOT},
                              {"B", NULL, colours[1], LL_LEGEND_DOT}};
    ll_chart_legend(&ch, items, 2, LL_LEGEND_OUTSIDE_RIGHT, 0);
    ll_chart_end(&ch);
    free(names);
    free(titles);
    free(nb);
    free(tb);
}

int ll_compare_html(FILE *out, const char *name_a, const ll_stored_run *a, const char *name_b,
                    const ll_stored_run *b, const ll_comparison *c)
{
    compare_labels l;
    if (compare_labels_build(&l, a, b) != 0)
        return -1;
    ll_html_begin(out, "leadlab compare");
    fputs("<header id=\"summary\"><h1>leadlab compare</h1>\n<dl>\n", out);
    html_run_item(out, "A", name_a, a);
    html_run_item(out, "B", name_b, b);
    fputs("</dl>\n<p>", out);
    fprintf(out, "%zu rows in both runs, %zu only in A, %zu only in B. ", c->n_both, c->n_only_a,
            c->n_only_b);
    ll_xml_text(out, c->folds_note);
    fputs(c->same_folds ? " p is the corrected resampled t-test on the paired per-fold F1 "
                          "(Nadeau &amp; Bengio 2003)."
                        : " p is Welch's unpaired t-test on per-fold F1 (it ignores that folds "
                          "share training rows, so it is optimistic).",
          out);
    fputs("</p></header>\n", out);
    if (a->run.n_pending || b->run.n_pending)
        fputs("<div class=\"banner warn\" id=\"status\">At least one run is incomplete: rows "
              "with missing cells are compared on the cells they have, without a p-value."
              "</div>\n", out);
    fputs("<section id=\"comparison\"><h2>Rows in both runs</h2>\n<p class=\"caption\">Δ = B − A "
          "of the means over each run's cells, sorted by F1 in B. ▲ / ▼: F1 significantly "
          "higher / lower in B (p &lt; 0.05). Hover a label for the full configuration.</p>\n"
          "<div class=\"scroll\"><table><thead><tr><th>#</th><th class=\"l\">model</th>"
          "<th class=\"l\">sampler</th><th>F1 A</th><th>F1 B</th><th>ΔF1</th>"
          "<th class=\"l\">p</th>",
          out);
    for (int k = 0; k < N_DELTA; k++)
        fprintf(out, "<th>Δ%s</th>", ll_metric_label(delta_metrics[k]));
    fputs("</tr></thead><tbody>\n", out);
    char buf[64];
    for (size_t i = 0; i < c->n_both; i++) {
        const ll_compare_row *r = &c->rows[i];
        fprintf(out, "<tr><td>%zu</td><td class=\"l\" title=\"", i + 1);
        ll_xml_text(out, r->config);
        fputs("\">", out);
        ll_xml_text(out, brief_of(&l.configs, r->config));
        fputs("</td><td class=\"l\" title=\"", out);
        ll_xml_text(out, r->sampler);
        fputs("\">", out);
        ll_xml_text(out, brief_of(&l.samplers, r->sampler));
        mean_sd_text(buf, sizeof buf, r->a, LL_SUM_F1);
        fprintf(out, "</td><td>%s</td>", buf);
        mean_sd_text(buf, sizeof buf, r->b, LL_SUM_F1);
        fprintf(out, "<td>%s</td>", buf);
        td_signed(out, delta(r, LL_SUM_F1));
        p_text(buf, sizeof buf, r);
        int significant = !isnan(r->p) && r->p < 0.05;
        fprintf(out, "<td class=\"l%s\">",
                !significant ? "" : delta(r, LL_SUM_F1) > 0 ? " best" : " worse");
        ll_xml_text(out, buf);
        fputs("</td>", out);
        for (int k = 0; k < N_DELTA; k++)
            td_signed(out, delta(r, delta_metrics[k]));
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table></div>\n</section>\n<section id=\"compare-chart\"><h2>F1 in A and B"
          "</h2>\n",
          out);
    write_compare_chart(out, c, &l);
    fputs("</section>\n<section id=\"only\"><h2>Rows in one run only</h2>\n", out);
    for (int side = 0; side < 2; side++) {
        size_t n = side ? c->n_only_b : c->n_only_a;
        fprintf(out, "<h3>Only in %s (%zu)</h3>\n<ul>\n", side ? "B" : "A", n);
        for (size_t i = c->n_both; i < c->n_rows; i++) {
            const ll_compare_row *r = &c->rows[i];
            if ((side && r->a) || (!side && r->b))
                continue;
            mean_sd_text(buf, sizeof buf, side ? r->b : r->a, LL_SUM_F1);
            fputs("<li><code>", out);
            ll_xml_text(out, r->config);
            fputs(" | ", out);
            ll_xml_text(out, r->sampler);
            fprintf(out, "</code>: F1 %s</li>\n", buf);
        }
        fputs("</ul>\n", out);
    }
    fputs("</section>\n", out);
    ll_html_end(out);
    compare_labels_free(&l);
    return ferror(out) ? -1 : 0;
}
