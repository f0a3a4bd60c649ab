/* leadlab HTML report (see report_html.h). Every number on the page is computed here from the
 * run's cells and out-of-fold scores; the charts go through core/svg. */
#include "report_html.h"
#include "select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "curves.h"
#include "labels.h"
#include "params.h"
#include "report.h"
#include "report_charts.h"
#include "summary.h"
#include "svg.h"

#ifndef LL_VERSION
#define LL_VERSION "0"
#endif

enum { TOP_CURVES = 5, LEGEND_CHARS = 42 };

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                      "#b07aa1", "#9c755f", "#ff9da7", "#edc948", "#bab0ac"};

const char *ll_html_color(size_t i) { return palette[i % (sizeof palette / sizeof *palette)]; }

static const char style_sheet[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f4f5f7;color:#222;font:14px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif}"
    "main{max-width:1280px;margin:0 auto;padding:12px 24px 48px}"
    "h1{font-size:22px;margin:10px 0 2px}h2{font-size:17px;margin:0 0 6px}"
    "h3{font-size:14px;margin:12px 0 4px}"
    "section{background:#fff;border:1px solid #dfe2e6;border-radius:6px;padding:12px 16px;"
    "margin:12px 0;min-width:0}"
    ".grid2{display:grid;grid-template-columns:1fr 1fr;gap:0 12px}"
    ".grid2>section{margin:12px 0 0}"
    "@media (max-width:960px){.grid2{grid-template-columns:1fr}}"
    "svg.chart{display:block;width:100%;height:auto;font-family:inherit}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13px}"
    "th,td{padding:3px 6px;border-bottom:1px solid #eceef1;text-align:right;white-space:nowrap}"
    "th{background:#f7f8fa;font-weight:600}th.l,td.l{text-align:left}"
    "tbody tr:hover{background:#f4f8ff}"
    ".sd{color:#888;font-size:11px}.worse{color:#b2182b}.best{color:#1a7f37;font-weight:600}"
    ".muted,.caption{color:#5a6270}.caption{font-size:13px;margin:4px 0 8px}"
    ".banner{border:1px solid;border-radius:6px;padding:10px 14px;margin:12px 0;font-weight:500}"
    ".banner.warn{background:#fff5e6;border-color:#e8a33d}"
    ".banner.fail{background:#fdecec;border-color:#d9534f}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}"
    "dt{color:#5a6270}dd{margin:0;overflow-wrap:anywhere}"
    "code,pre{font:12px/1.4 ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace}"
    "pre{background:#f7f8fa;border:1px solid #eceef1;border-radius:4px;padding:8px;"
    "overflow-x:auto;max-height:420px}"
    "table.cm td{text-align:center;padding:8px 16px}table.cm td.tp,table.cm td.tn{background:"
    "#e6f2ea}table.cm td.fp,table.cm td.fn{background:#fbeaea}"
    "details summary{cursor:pointer;color:#2a5db0}";

void ll_html_begin(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"leadlab " LL_VERSION "\">\n<title>",
          out);
    ll_xml_text(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", style_sheet);
}

void ll_html_end(FILE *out) { fputs("</main>\n</body>\n</html>\n", out); }

/* ---- the page's shared state ---- */

typedef struct {
    FILE *out;
    const ll_spec *spec;
    const ll_dataset *data;
    const ll_run_result *run;
    const ll_report_context *ctx;
    ll_summary_row *rows;
    size_t n_rows;
    char **model_short, **sampler_short;
    int metric;
    ll_summary_row *derived; /* the derived rows' summaries (the selection's first) */
    size_t n_derived;
} page;

static void row_label(const page *p, const ll_summary_row *row, int full, char *buf, size_t len)
{
    snprintf(buf, len, "%s | %s",
             full ? p->spec->models[row->model].label : p->model_short[row->model],
             full ? p->spec->samplers[row->sampler].label : p->sampler_short[row->sampler]);
}

static size_t ok_cells(const ll_summary_row *row) { return row->cells - row->failed - row->pending; }

static void number(FILE *out, double v, int decimals)
{
    if (isnan(v))
        fputs("–", out);
    else
        fprintf(out, "%.*f", decimals, v);
}

static void td_mean_sd(FILE *out, const ll_summary_row *row, int which)
{
    fputs("<td>", out);
    number(out, row->mean[which], 3);
    if (!isnan(row->mean[which]))
        fprintf(out, "<span class=\"sd\"> ± %.3f</span>", row->sd[which]);
    fputs("</td>", out);
}

/* ---- header and status ---- */

static void write_header(const page *p)
{
    FILE *out = p->out;
    const ll_spec *spec = p->spec;
    const ll_dataset *data = p->data;
    fputs("<header id=\"summary\"><h1>leadlab report: ", out);
    ll_xml_text(out, spec->name);
    char cv[256];
    fprintf(out, "</h1>\n<p class=\"muted\">%zu rows, %zu positives (%.1f %%), %zu features · "
                 "CV: ", data->n_rows, data->n_positive,
            100.0 * (double)data->n_positive / (double)(data->n_rows ? data->n_rows : 1),
            data->n_cols);
    ll_xml_text(out, ll_spec_cv_label(spec, cv, sizeof cv));
    fputs(" · ", out);
    if (spec->tune_threshold)
        fprintf(out, "cut tuned for F1 on %zu inner folds (F1 @%.2g beside it)", spec->tune_folds,
                spec->threshold);
    else
        fprintf(out, "cut %.2g", spec->threshold);
    const ll_run_result *r = p->run;
    fprintf(out, " · %zu model configs × %zu samplers = %zu rows, %zu cells", spec->n_models,
            spec->n_samplers, spec->n_models * spec->n_samplers,
            r->n_ok + r->n_failed + r->n_pending);
    if (r->inner_folds)
        fprintf(out, " (with the nested selection's inner cells%s)",
                r->rungs > 1 ? "; successive halving ran only the ones it needed" : "");
    fputs("</p>\n", out);
    fputs("</header>\n", out);
    const ll_run_result *run = p->run;
    if (run->n_pending) {
        fprintf(out, "<div class=\"banner warn\" id=\"status\">Incomplete run: %zu of %zu cells "
                     "finished. The run stopped before every cell ran; rows marked partial "
                     "average the cells that did. Rerun the same command to resume.</div>\n",
                run->n_ok + run->n_failed, run->n_ok + run->n_failed + run->n_pending);
    }
    if (run->n_failed)
        fprintf(out, "<div class=\"banner fail\" id=\"failures\">%zu of %zu cells failed: their "
                     "rows say why (all errors in cells.csv).</div>\n",
                run->n_failed, run->n_ok + run->n_failed + run->n_pending);
}

/* ---- the leaderboard table ---- */

static void write_status_cell(FILE *out, const ll_summary_row *row, size_t rank)
{
    if (row->failed) {
        fputs("<td class=\"l worse\" title=\"", out);
        ll_xml_text(out, row->first_error ? row->first_error : "");
        fprintf(out, "\">FAILED %zu of %zu folds: ", row->failed, row->cells);
        char brief[72];
        snprintf(brief, sizeof brief, "%s", row->first_error ? row->first_error : "");
        if (row->first_error && strlen(row->first_error) >= sizeof brief)
            memcpy(brief + sizeof brief - 4, "...", 4);
        ll_xml_text(out, brief);
        fputs("</td>", out);
    } else if (row->pending == row->cells) {
        fputs("<td class=\"l muted\">not run yet</td>", out);
    } else if (row->pending) {
        fprintf(out, "<td class=\"l muted\">partial: %zu of %zu cells</td>", ok_cells(row),
                row->cells);
    } else if (rank == 0) {
        fputs("<td class=\"l best\">best</td>", out);
    } else if (isnan(row->p_vs_best)) {
        fputs("<td class=\"l\">–</td>", out);
    } else {
        fprintf(out, "<td class=\"l%s\">%s", row->worse_than_best ? " worse" : "",
                row->worse_than_best ? "▼ " : "");
        if (row->p_vs_best < 0.001)
            fputs("p &lt; 0.001</td>", out);
        else
            fprintf(out, "p = %.3f</td>", row->p_vs_best);
    }
}

/* A leaderboard row's cells after its labels, to the end of the row; rank SIZE_MAX for a
 * derived row. */
static void write_row_values(FILE *out, const ll_spec *spec, const ll_summary_row *row,
                             size_t rank, const int *shown, size_t n_shown)
{
    td_mean_sd(out, row, LL_SUM_F1);
    if (spec->tune_threshold) {
        td_mean_sd(out, row, LL_SUM_F1_FIXED);
        td_mean_sd(out, row, LL_SUM_THRESHOLD);
    }
    write_status_cell(out, row, rank);
    for (size_t k = 0; k < n_shown; k++)
        td_mean_sd(out, row, shown[k]);
    fputs("</tr>\n", out);
}

static void write_leaderboard(const page *p)
{
    FILE *out = p->out;
    const ll_spec *spec = p->spec;
    char metric_label[64], label[64];
    ll_metric_label_at(p->metric, spec->at, metric_label, sizeof metric_label);
    int shown[LL_SUM_N];
    size_t n_shown = ll_shown_metrics(spec, shown);
    fputs("<section id=\"leaderboard\"><h2>Leaderboard</h2>\n<p class=\"caption\">", out);
    fprintf(out, "Ranked by mean %s over the cells of each row (mean <span class=\"sd\">± sd"
                 "</span>). ▼: %s significantly below the best row (corrected resampled t-test, "
                 "Nadeau &amp; Bengio 2003, p &lt; 0.05). Labels show the parameters that vary; "
                 "hover a label for the full configuration.</p>\n",
            metric_label, metric_label);
    fputs("<div class=\"scroll\"><table>\n<thead><tr><th>#</th><th class=\"l\">model</th>"
          "<th class=\"l\">sampler</th>",
          out);
    if (spec->tune_threshold)
        fprintf(out, "<th>F1 (tuned cut)</th><th>F1 @%.2g</th><th>cut</th>", spec->threshold);
    else
        fprintf(out, "<th>F1 @%.2g</th>", spec->threshold);
    /* Significance beside F1, where it is seen first; the other metrics after it. */
    fputs("<th class=\"l\">vs best</th>", out);
    for (size_t k = 0; k < n_shown; k++)
        fprintf(out, "<th>%s</th>", ll_metric_label_at(shown[k], spec->at, label, sizeof label));
    fputs("</tr></thead>\n<tbody>\n", out);
    for (size_t i = 0; i < p->n_rows; i++) {
        const ll_summary_row *row = &p->rows[i];
        fprintf(out, "<tr><td>%zu</td><td class=\"l\" title=\"", i + 1);
        ll_xml_text(out, spec->models[row->model].label);
        fputs("\">", out);
        ll_xml_text(out, p->model_short[row->model]);
        fputs("</td><td class=\"l\" title=\"", out);
        ll_xml_text(out, spec->samplers[row->sampler].label);
        fputs("\">", out);
        ll_xml_text(out, p->sampler_short[row->sampler]);
        fputs("</td>", out);
        write_row_values(out, spec, row, i, shown, n_shown);
    }
    for (size_t d = 0; d < p->n_derived; d++) {
        const ll_summary_row *row = &p->derived[d];
        fputs("<tr class=\"derived\"><td>–</td><td class=\"l\"><b>", out);
        if (p->run->selection && d == 0) /* the selection's row comes first */
            fputs("<a href=\"#selection\">", out);
        ll_xml_text(out, row->label);
        fputs(p->run->selection && d == 0 ? "</a></b></td>" : "</b></td>", out);
        fputs("<td class=\"l\">–</td>", out);
        write_row_values(out, spec, row, SIZE_MAX, shown, n_shown);
    }
    fputs("</tbody></table></div>\n</section>\n", out);
}

/* ---- the nested selection: each outer fold's winner ---- */

/* Under successive halving: the rows each config reached in each outer fold. */
static void write_halving(const page *p, const char *metric)
{
    const ll_run_result *run = p->run;
    const ll_selection *sel = run->selection;
    if (sel->rungs < 2)
        return;
    FILE *out = p->out;
    fprintf(out, "<p class=\"caption\">Successive halving, factor %zu: %zu rungs of inner "
                 "training rows (", run->halving_factor, sel->rungs);
    char rows[32];
    for (size_t r = 0; r < sel->rungs; r++)
        fprintf(out, "%s%s", r ? ", " : "", ll_rung_rows_text(run, r, rows, sizeof rows));
    fprintf(out, "); the rows each config reached in each outer fold, and its inner %s there "
                 "(★: the fold's winner).</p>\n<div class=\"scroll\"><table>\n<thead><tr>"
                 "<th class=\"l\">config</th><th class=\"l\">sampler</th>", metric);
    for (size_t k = 0; k < sel->n_folds; k++)
        fprintf(out, "<th>fold %zu</th>", k);
    fputs("</tr></thead>\n<tbody>\n", out);
    for (size_t c = 0; c < sel->n_candidates; c++) {
        size_t m = c / run->n_samplers, s = c % run->n_samplers;
        fputs("<tr><td class=\"l\" title=\"", out);
        ll_xml_text(out, p->spec->models[m].label);
        fputs("\">", out);
        ll_xml_text(out, p->model_short[m]);
        fputs("</td><td class=\"l\">", out);
        ll_xml_text(out, p->sampler_short[s]);
        fputs("</td>", out);
        for (size_t k = 0; k < sel->n_folds; k++) {
            const ll_selected_fold *sf = &sel->folds[k];
            int rung = sf->rung_reached[c];
            if (rung < 0) {
                fputs("<td class=\"muted\">–</td>", out);
                continue;
            }
            int won = ll_selection_won(sf, m, s);
            fprintf(out, "<td%s>%s%s (", won ? " class=\"best\"" : "", won ? "★ " : "",
                    ll_rung_rows_text(run, (size_t)rung, rows, sizeof rows));
            number(out, sf->rung_value[c], 3);
            fputs(")</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table></div>\n", out);
}

static void write_selection(const page *p)
{
    const ll_selection *sel = p->run->selection;
    if (!sel || !p->n_derived)
        return;
    const ll_summary_row *selected = &p->derived[0];
    FILE *out = p->out;
    char label[64];
    const char *metric = ll_metric_label_at(sel->metric, p->spec->at, label, sizeof label);
    fprintf(out, "<section id=\"selection\"><h2>Nested selection</h2>\n<p class=\"caption\">"
                 "Inside each outer training fold, the %zu rows are compared by %s on %zu-fold "
                 "inner CV of its training rows; the winner's cut is %s those inner scores, and "
                 "the winner is scored on the outer test fold. F1 ",
            p->run->n_models * p->run->n_samplers, metric, sel->inner_folds,
            p->spec->tune_threshold ? "tuned for F1 on" : "the fixed one, not chosen on");
    number(out, selected->mean[LL_SUM_F1], 3);
    fputs(" is what choosing this way can be expected to give; the top row's ", out);
    number(out, p->n_rows ? p->rows[0].mean[LL_SUM_F1] : NAN, 3);
    fputs(" was chosen on the folds that report it.</p>\n<div class=\"scroll\"><table>\n"
          "<thead><tr><th>repeat</th><th>outer fold</th><th class=\"l\">winner</th>", out);
    fprintf(out, "<th>inner %s</th><th>cut</th><th>F1</th></tr></thead>\n<tbody>\n", metric);
    for (size_t k = 0; k < sel->n_folds; k++) {
        const ll_selected_fold *sf = &sel->folds[k];
        fprintf(out, "<tr><td>%zu</td><td>%zu</td>", k / p->run->folds, k % p->run->folds);
        if (sf->status != LL_CELL_OK) {
            fputs("<td class=\"l muted\" colspan=\"4\">", out);
            ll_xml_text(out, sf->status == LL_CELL_PENDING ? "not run yet" : sf->error);
            fputs("</td></tr>\n", out);
            continue;
        }
        fputs("<td class=\"l\" title=\"", out);
        ll_xml_text(out, p->spec->models[sf->model].label);
        fputs(" | ", out);
        ll_xml_text(out, p->spec->samplers[sf->sampler].label);
        fputs("\">", out);
        ll_xml_text(out, p->model_short[sf->model]);
        fputs(" | ", out);
        ll_xml_text(out, p->sampler_short[sf->sampler]);
        fputs("</td><td>", out);
        number(out, sf->inner_value, 4);
        fputs("</td><td>", out);
        number(out, sf->cell.threshold, 3);
        fputs("</td><td>", out);
        number(out, sf->cell.metrics.f1, 4);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table></div>\n", out);
    write_halving(p, metric);
    fputs("</section>\n", out);
}

/* ---- F1 per row: bars, sd error bars and per-fold dots ---- */

static void write_f1_chart(const page *p)
{
    FILE *out = p->out;
    const ll_run_result *run = p->run;
    size_t n = p->n_rows;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    const char **titles = malloc((n ? n : 1) * sizeof *titles);
    char (*name_buf)[160] = malloc((n ? n : 1) * sizeof *name_buf);
    char (*title_buf)[600] = malloc((n ? n : 1) * sizeof *title_buf);
    if (!names || !titles || !name_buf || !title_buf) {
        free(names);
        free(titles);
        free(name_buf);
        free(title_buf);
        return;
    }
    double x_max = 0.1, label_w = 0;
    for (size_t i = 0; i < n; i++) {
        const ll_summary_row *row = &p->rows[i];
        row_label(p, row, 0, name_buf[i], sizeof name_buf[i]);
        row_label(p, row, 1, title_buf[i], sizeof title_buf[i]);
        names[i] = name_buf[i];
        titles[i] = title_buf[i];
        label_w = fmax(label_w, ll_text_width(names[i], 12));
        if (!isnan(row->mean[LL_SUM_F1]))
            x_max = fmax(x_max, row->mean[LL_SUM_F1] + row->sd[LL_SUM_F1]);
        for (size_t c = 0; c < run->n_outer; c++) {
            const ll_cell *cell = &run->cells[c];
            if (cell->model == row->model && cell->sampler == row->sampler &&
                cell->status == LL_CELL_OK)
                x_max = fmax(x_max, cell->metrics.f1);
        }
    }
    double step = ll_nice_step(x_max, 8);
    x_max = fmin(1.0, ceil(x_max / step - 1e-9) * step);
    fprintf(out, "<section id=\"f1-bars\"><h2>F1 per row</h2>\n<p class=\"caption\">Mean F1 at "
                 "the applied cut over the %zu cells of each row (bar), ± one standard deviation "
                 "(whiskers), and each cell's F1 (dots), so the spread across folds is visible. "
                 "Bars are coloured by sampler.</p>\n",
            run->repeats * run->folds);
    ll_chart_spec sp = {0};
    sp.id = "chart-f1";
    sp.title = "Mean F1 per row, with sd and per-fold values";
    sp.left = fmin(380, fmax(140, label_w + 24));
    sp.right = 190;
    sp.top = 34;
    sp.bottom = 52;
    sp.width = 1200;
    sp.height = sp.top + sp.bottom + 24.0 * (double)(n ? n : 1);
    sp.x_label = "F1 (out-of-fold, at the applied cut)";
    sp.x_min = 0;
    sp.x_max = x_max;
    sp.x_ticks = 8;
    sp.rows = names;
    sp.row_titles = titles;
    sp.n_rows = n;
    ll_chart ch;
    ll_chart_begin(&ch, out, &sp);
    for (size_t i = 0; i < n; i++) {
        const ll_summary_row *row = &p->rows[i];
        double y = (double)i;
        if (isnan(row->mean[LL_SUM_F1])) {
            ll_chart_text(&ch, 0.005 * x_max, y + 0.5,
                          row->failed ? "failed" : row->pending ? "not run yet" : "no value", -1,
                          "#b2182b");
            continue;
        }
        char tip[800];
        snprintf(tip, sizeof tip, "%s: F1 %.3f ± %.3f over %zu cell%s%s", titles[i],
                 row->mean[LL_SUM_F1], row->sd[LL_SUM_F1], ok_cells(row),
                 ok_cells(row) == 1 ? "" : "s", ok_cells(row) < row->cells ? " (partial)" : "");
        ll_style bar = {ll_html_color(row->sampler), 0, NULL, ok_cells(row) < row->cells ? 0.35 : 0.8};
        ll_chart_rect(&ch, 0, y + 0.18, row->mean[LL_SUM_F1], y + 0.82, &bar, tip);
        ll_style whisker = {"#222", 1.5, NULL, 0};
        ll_chart_error_bar(&ch, y + 0.5, fmax(0, row->mean[LL_SUM_F1] - row->sd[LL_SUM_F1]),
                           row->mean[LL_SUM_F1] + row->sd[LL_SUM_F1], 9, &whisker);
        size_t k = 0;
        for (size_t c = 0; c < run->n_outer; c++) {
            const ll_cell *cell = &run->cells[c];
            if (cell->model != row->model || cell->sampler != row->sampler ||
                cell->status != LL_CELL_OK)
                continue;
            /* a small vertical offset per fold keeps equal values apart */
            double jitter = ((double)(k++ % 5) - 2.0) * 0.07;
            char dot_tip[64];
            snprintf(dot_tip, sizeof dot_tip, "repeat %u, fold %u: F1 %.3f", cell->repeat,
                     cell->fold, cell->metrics.f1);
            ll_style dot = {"#1b1b1b", 0, NULL, 0.75};
            ll_chart_dot(&ch, cell->metrics.f1, y + 0.5 + jitter, 2.6, &dot, dot_tip);
        }
    }
    ll_legend_item items[12];
    size_t n_items = 0;
    for (size_t s = 0; s < p->spec->n_samplers && n_items < 10; s++)
        items[n_items++] = (ll_legend_item){p->sampler_short[s], p->spec->samplers[s].label,
                                            {ll_html_color(s), 0, NULL, 0.8}, LL_LEGEND_BOX};
    items[n_items++] = (ll_legend_item){"± 1 sd", NULL, {"#222", 1.5, NULL, 0}, LL_LEGEND_LINE};
    items[n_items++] = (ll_legend_item){"one cell (fold)", NULL, {"#1b1b1b", 0, NULL, 0.75},
                                        LL_LEGEND_DOT};
    ll_chart_legend(&ch, items, n_items, LL_LEGEND_OUTSIDE_RIGHT, 22);
    ll_chart_end(&ch);
    fputs("</section>\n", out);
    free(names);
    free(titles);
    free(name_buf);
    free(title_buf);
}

/* ---- PR and ROC curves of the top rows ---- */

/* The curve of a row's pooled out-of-fold scores of repeat 0 (rows of unfinished cells left
 * out). Returns 0, -1 when memory runs out. */
static int row_curve(const page *p, const ll_summary_row *row, ll_curve *curve)
{
    const double *scores = ll_oof_scores(p->run, row->model, row->sampler, 0);
    return ll_curve_build(p->data->y, scores, p->run->n_rows, curve);
}

/* Rows of the top of the ranking that have a finished cell in repeat 0. */
static size_t top_rows(const page *p, const ll_summary_row **top, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_rows && n < cap; i++) {
        const ll_summary_row *row = &p->rows[i];
        int any = 0;
        for (size_t f = 0; f < p->run->folds && !any; f++)
            any = p->run->cells[ll_cell_index(p->run, row->model, row->sampler, 0, f)].status ==
                  LL_CELL_OK;
        if (any)
            top[n++] = row;
    }
    return n;
}

static void chart_frame(ll_chart_spec *sp, const char *id, const char *title, const char *x,
                        const char *y)
{
    ll_chart_square(sp, id, title, x, y, 0);
}

static int write_curves(const page *p, int roc)
{
    FILE *out = p->out;
    const ll_summary_row *top[TOP_CURVES];
    size_t n_top = top_rows(p, top, TOP_CURVES);
    fprintf(out, "<section id=\"%s\"><h2>%s</h2>\n<p class=\"caption\">", roc ? "roc-curves"
                                                                          : "pr-curves",
            roc ? "ROC curves" : "Precision–recall curves");
    fprintf(out, "The top %zu rows, each from its out-of-fold scores of the first repeat pooled over "
                 "the %zu test folds (every data row scored once%s). %s in the legend are of "
                 "these pooled scores, so they can differ slightly from the leaderboard's "
                 "per-fold mean.</p>\n",
            n_top, p->run->folds,
            p->run->forward ? ", but the earliest block, which no time-ordered fold tests" : "",
            roc ? "AUCs" : "APs (average precision)");
    ll_chart_spec sp;
    /* Room for the legend under the axis in both charts, so the two stay aligned. */
    double legend_h = ll_legend_height(TOP_CURVES + 1);
    if (roc)
        chart_frame(&sp, "chart-roc", "ROC: true positive rate against false positive rate",
                    "false positive rate (share of non-buyers flagged)",
                    "true positive rate = recall");
    else
        chart_frame(&sp, "chart-pr", "Precision against recall", "recall (share of buyers found)",
                    "precision (share of flagged who buy)");
    sp.bottom += legend_h;
    sp.height += legend_h;
    ll_chart ch;
    ll_chart_begin(&ch, out, &sp);
    ll_legend_item items[TOP_CURVES + 1];
    char labels[TOP_CURVES][200], tips[TOP_CURVES][1024];
    size_t prevalence_pos = 0, prevalence_all = 0;
    for (size_t i = 0; i < n_top; i++) {
        ll_curve c;
        if (row_curve(p, top[i], &c) != 0)
            return -1;
        size_t m = c.n;
        double *x = malloc((2 * m + 2) * sizeof *x), *y = malloc((2 * m + 2) * sizeof *y);
        if (!x || !y) {
            free(x);
            free(y);
            ll_curve_free(&c);
            return -1;
        }
        size_t k = 0;
        if (roc) {
            x[k] = 0;
            y[k++] = 0;
            for (size_t j = 0; j < m; j++) {
                x[k] = ll_curve_fpr(&c, j);
                y[k++] = ll_curve_recall(&c, j);
            }
        } else {
            /* Steps: precision P_j holds over recall (R_{j-1}, R_j], the area being AP. */
            double r_prev = 0;
            for (size_t j = 0; j < m; j++) {
                double pr = ll_curve_precision(&c, j), r = ll_curve_recall(&c, j);
                x[k] = r_prev;
                y[k++] = pr;
                x[k] = r;
                y[k++] = pr;
                r_prev = r;
            }
        }
        double area = roc ? ll_curve_roc_auc(&c) : ll_curve_average_precision(&c);
        char short_label[160], full[600];
        row_label(p, top[i], 0, short_label, sizeof short_label);
        row_label(p, top[i], 1, full, sizeof full);
        char trimmed[160];
        ll_label_trim(short_label, LEGEND_CHARS, trimmed, sizeof trimmed);
        snprintf(labels[i], sizeof labels[i], "%s: %s %.3f", trimmed, roc ? "AUC" : "AP", area);
        snprintf(tips[i], sizeof tips[i], "#%zu %.600s: %s %.3f (pooled out-of-fold scores, %zu "
                 "rows)", (size_t)(top[i] - p->rows) + 1, full, roc ? "AUC" : "AP", area,
                 c.positives + c.negatives);
        ll_style st = {ll_html_color(i), i == 0 ? 2.6 : 1.8, NULL, 0.95};
        ll_chart_line(&ch, x, y, k, &st, tips[i]);
        items[i] = (ll_legend_item){labels[i], tips[i], st, LL_LEGEND_LINE};
        if (i == 0) {
            prevalence_pos = c.positives;
            prevalence_all = c.positives + c.negatives;
        }
        free(x);
        free(y);
        ll_curve_free(&c);
    }
    ll_style base = {"#777", 1.4, "6 4", 0};
    char base_label[96];
    if (roc) {
        double bx[] = {0, 1}, by[] = {0, 1};
        ll_chart_line(&ch, bx, by, 2, &base, "no skill: random scores");
        snprintf(base_label, sizeof base_label, "no skill (random scores): AUC 0.500");
    } else {
        double prevalence = prevalence_all ? (double)prevalence_pos / (double)prevalence_all : 0;
        double bx[] = {0, 1}, by[] = {prevalence, prevalence};
        ll_chart_line(&ch, bx, by, 2, &base, "no skill: precision = share of buyers");
        snprintf(base_label, sizeof base_label, "no skill (precision = prevalence): AP %.3f",
                 prevalence);
    }
    items[n_top] = (ll_legend_item){base_label, NULL, base, LL_LEGEND_LINE};
    if (!n_top)
        ll_chart_text(&ch, 0.5, 0.5, "no finished cell in the first repeat yet", 0, "#b2182b");
    ll_chart_legend(&ch, items, n_top + 1, LL_LEGEND_BELOW, 0);
    ll_chart_end(&ch);
    fputs("</section>\n", out);
    return 0;
}

/* ---- the best row: F1, precision and recall against the cut; confusion matrix ---- */

static int write_threshold_chart(const page *p, const ll_summary_row *best)
{
    FILE *out = p->out;
    const ll_spec *spec = p->spec;
    char label[600];
    if (best)
        row_label(p, best, 1, label, sizeof label);
    fputs("<section id=\"threshold\"><h2>Choosing the cut</h2>\n<p class=\"caption\">", out);
    if (best) {
        fputs("F1, precision and recall of the best row (<span title=\"", out);
        ll_xml_text(out, label);
        fputs("\">", out);
        row_label(p, best, 0, label, sizeof label);
        ll_xml_text(out, label);
        fputs("</span>) for every cut on its pooled out-of-fold scores of the first repeat. ", out);
        if (spec->tune_threshold)
            fputs("The shaded band spans the cuts tuned on each fold's inner folds, the solid "
                  "line is their mean; the dashed line is the fixed cut.", out);
        else
            fputs("The dashed line is the cut applied.", out);
    }
    fputs("</p>\n", out);
    ll_chart_spec sp;
    chart_frame(&sp, "chart-threshold", "F1, precision and recall against the cut",
                "cut (predict buy when P(buy) ≥ cut)", "F1, precision or recall");
    sp.right = 130;
    sp.width = 640;
    ll_chart ch;
    ll_chart_begin(&ch, out, &sp);
    ll_curve c = {0};
    if (best && row_curve(p, best, &c) != 0)
        return -1;
    const char *names[] = {"F1", "precision", "recall"};
    ll_legend_item items[5];
    size_t n_items = 0;
    if (c.n) {
        double *x = malloc(c.n * sizeof *x), *y = malloc(c.n * sizeof *y);
        if (!x || !y) {
            free(x);
            free(y);
            ll_curve_free(&c);
            return -1;
        }
        for (int which = 0; which < 3; which++) {
            for (size_t j = 0; j < c.n; j++) {
                x[j] = c.threshold[j];
                y[j] = which == 0   ? ll_curve_f1(&c, j)
                       : which == 1 ? ll_curve_precision(&c, j)
                                    : ll_curve_recall(&c, j);
            }
            ll_style st = {ll_html_color((size_t)which), which == 0 ? 2.6 : 1.8, NULL, 0};
            ll_chart_line(&ch, x, y, c.n, &st, names[which]);
            items[n_items++] = (ll_legend_item){names[which], NULL, st, LL_LEGEND_LINE};
        }
        free(x);
        free(y);
    } else {
        ll_chart_text(&ch, 0.5, 0.5, "no finished cell in the first repeat yet", 0, "#b2182b");
    }
    char tuned_label[64], fixed_label[64];
    if (best && spec->tune_threshold && !isnan(best->mean[LL_SUM_THRESHOLD])) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t k = 0; k < p->run->n_outer; k++) {
            const ll_cell *cell = &p->run->cells[k];
            if (cell->model == best->model && cell->sampler == best->sampler &&
                cell->status == LL_CELL_OK) {
                lo = fmin(lo, cell->threshold);
                hi = fmax(hi, cell->threshold);
            }
        }
        ll_style band = {"#59a14f", 0, NULL, 0.15};
        ll_chart_rect(&ch, lo, 0, fmax(hi, lo + 0.002), 1, &band, "tuned cuts of the folds");
        ll_style tuned = {"#2e7d32", 1.6, NULL, 0};
        snprintf(tuned_label, sizeof tuned_label, "tuned %.3f", best->mean[LL_SUM_THRESHOLD]);
        /* the two cuts label away from each other, so close cuts keep legible labels */
        ll_chart_vline_side(&ch, best->mean[LL_SUM_THRESHOLD], &tuned, tuned_label,
                            best->mean[LL_SUM_THRESHOLD] < spec->threshold ? -1 : 1);
        items[n_items++] = (ll_legend_item){"tuned cut", NULL, tuned, LL_LEGEND_LINE};
    }
    ll_style fixed = {"#555", 1.4, "5 4", 0};
    snprintf(fixed_label, sizeof fixed_label, "%s %.2g", spec->tune_threshold ? "fixed" : "cut",
             spec->threshold);
    ll_chart_vline_side(&ch, spec->threshold, &fixed, fixed_label,
                        best && spec->tune_threshold &&
                                best->mean[LL_SUM_THRESHOLD] > spec->threshold ? -1 : 1);
    items[n_items++] = (ll_legend_item){spec->tune_threshold ? "fixed cut" : "cut", NULL, fixed,
                                        LL_LEGEND_LINE};
    ll_chart_legend(&ch, items, n_items, LL_LEGEND_OUTSIDE_RIGHT, 16);
    ll_chart_end(&ch);
    ll_curve_free(&c);
    fputs("</section>\n", out);
    return 0;
}

static void write_confusion(const page *p, const ll_summary_row *best)
{
    FILE *out = p->out;
    fputs("<section id=\"confusion\"><h2>Confusion matrix of the best row</h2>\n", out);
    if (!best) {
        fputs("<p class=\"caption\">No finished cell yet.</p></section>\n", out);
        return;
    }
    ll_confusion cm = {0};
    size_t cells = 0;
    for (size_t k = 0; k < p->run->n_outer; k++) {
        const ll_cell *cell = &p->run->cells[k];
        if (cell->model != best->model || cell->sampler != best->sampler ||
            cell->status != LL_CELL_OK)
            continue;
        cm.tp += cell->metrics.cm.tp;
        cm.fp += cell->metrics.cm.fp;
        cm.tn += cell->metrics.cm.tn;
        cm.fn += cell->metrics.cm.fn;
        cells++;
    }
    char label[600];
    row_label(p, best, 0, label, sizeof label);
    fputs("<p class=\"caption\">", out);
    ll_xml_text(out, label);
    fprintf(out, ": test rows of its %zu finished cell%s summed, each at the cut its fold "
                 "applied%s.</p>\n",
            cells, cells == 1 ? "" : "s",
            p->run->repeats > 1 ? " (every data row counted once per repeat)" : "");
    size_t pos = cm.tp + cm.fn, neg = cm.fp + cm.tn;
    double pp = pos ? 100.0 / (double)pos : 0, pn = neg ? 100.0 / (double)neg : 0;
    fprintf(out, "<table class=\"cm\"><thead><tr><th></th><th>predicted buy</th>"
                 "<th>predicted no buy</th><th>total</th></tr></thead><tbody>\n"
                 "<tr><th class=\"l\">bought</th><td class=\"tp\">%zu<br><span class=\"sd\">"
                 "%.1f %% found</span></td><td class=\"fn\">%zu<br><span class=\"sd\">%.1f %% "
                 "missed</span></td><td>%zu</td></tr>\n"
                 "<tr><th class=\"l\">did not buy</th><td class=\"fp\">%zu<br><span class=\"sd\">"
                 "%.1f %% false alarms</span></td><td class=\"tn\">%zu<br><span class=\"sd\">"
                 "%.1f %%</span></td><td>%zu</td></tr>\n</tbody></table>\n",
            cm.tp, (double)cm.tp * pp, cm.fn, (double)cm.fn * pp, pos, cm.fp,
            (double)cm.fp * pn, cm.tn, (double)cm.tn * pn, neg);
    size_t flagged = cm.tp + cm.fp;
    fprintf(out, "<p class=\"caption\">Of %zu rows flagged, %zu bought (precision %.3f); "
                 "recall %.3f; F1 of the pooled matrix %.3f.</p>\n",
            flagged, cm.tp, flagged ? (double)cm.tp / (double)flagged : 0.0,
            pos ? (double)cm.tp / (double)pos : 0.0,
            2 * cm.tp + cm.fp + cm.fn ? 2.0 * (double)cm.tp / (double)(2 * cm.tp + cm.fp + cm.fn)
                                      : 0.0);
    fputs("</section>\n", out);
}

/* ---- samplers, timings, provenance ---- */

/* ---- which features mattered ---- */

enum { SHOWN_FEATURES = 15 };

typedef struct {
    const page *p;
    const char *row_label;
    size_t rank; /* 1-based place of the row on the leaderboard */
    int drawn;   /* the row's first kind only: one chart */
} importance_chart;

static const char *kind_meaning(const char *kind)
{
    if (!strcmp(kind, "gain"))
        return "share of the trees' total split gain";
    if (!strcmp(kind, "abs_coef"))
        return "|coefficient| on the features as the model saw them (z-scored when the spec "
               "scales)";
    if (!strcmp(kind, "permutation_ap"))
        return "drop in average precision (PR-AUC) when the feature is shuffled among the "
               "fold's test rows";
    return "the model's own measure";
}

static void draw_importances(const char *kind, const ll_importance_stat *stats, size_t n,
                             void *ctx)
{
    importance_chart *ic = ctx;
    if (ic->drawn++)
        return;
    const page *p = ic->p;
    FILE *out = p->out;
    size_t shown = n < SHOWN_FEATURES ? n : SHOWN_FEATURES;
    const char *names[SHOWN_FEATURES];
    double x_max = 1e-12, x_min = 0, label_w = 0;
    for (size_t i = 0; i < shown; i++) {
        names[i] = p->data->col_names[stats[i].feature];
        label_w = fmax(label_w, ll_text_width(names[i], 12));
        x_max = fmax(x_max, stats[i].mean + (isnan(stats[i].sd) ? 0 : stats[i].sd));
        x_min = fmin(x_min, stats[i].mean - (isnan(stats[i].sd) ? 0 : stats[i].sd));
    }
    fprintf(out, "<section id=\"importances\"><h2>Which features mattered</h2>\n<p class=\"caption\">"
                 "The %zu most important of %zu features for %s, <b>", shown, n,
            ic->rank == 1 ? "the best row" : "the best row that measured importances");
    ll_xml_text(out, ic->row_label);
    fprintf(out, "</b>: %s (<code>", kind_meaning(kind));
    ll_xml_text(out, kind);
    fputs("</code>), mean ± sd over the folds that measured it. Every row's values are in "
          "<code>importances.csv</code>.</p>\n", out);
    ll_chart_spec sp = {0};
    sp.id = "chart-importances";
    char title[64];
    snprintf(title, sizeof title, "Feature importance of row %zu", ic->rank);
    sp.title = title;
    sp.left = fmin(320, fmax(120, label_w + 24));
    sp.right = 40;
    sp.top = 34;
    sp.bottom = 52;
    sp.width = 1200;
    sp.height = sp.top + sp.bottom + 24.0 * (double)(shown ? shown : 1);
    sp.x_label = kind;
    sp.x_min = x_min;
    sp.x_max = x_max * 1.05;
    sp.x_ticks = 8;
    sp.rows = names;
    sp.n_rows = shown;
    ll_chart ch;
    ll_chart_begin(&ch, out, &sp);
    for (size_t i = 0; i < shown; i++) {
        const ll_importance_stat *st = &stats[i];
        char tip[300];
        snprintf(tip, sizeof tip, "%s: %.4g ± %.2g over %zu fold%s", names[i], st->mean,
                 isnan(st->sd) ? 0.0 : st->sd, st->folds, st->folds == 1 ? "" : "s");
        ll_style bar = {"#4e79a7", 0, NULL, 0.8};
        ll_chart_rect(&ch, fmin(0, st->mean), (double)i + 0.18, fmax(0, st->mean),
                      (double)i + 0.82, &bar, tip);
        if (!isnan(st->sd)) {
            ll_style whisker = {"#222", 1.5, NULL, 0};
            ll_chart_error_bar(&ch, (double)i + 0.5, st->mean - st->sd, st->mean + st->sd, 9,
                               &whisker);
        }
    }
    ll_chart_end(&ch);
    fputs("</section>\n", out);
}

/* The importances of the best row that measured any (rows without, such as an rbf svm under
 * `importances: model`, are passed over), when the run measured any at all. */
static int write_importances(const page *p)
{
    if (p->spec->importances == LL_IMPORTANCE_NONE)
        return 0;
    for (size_t i = 0; i < p->n_rows; i++) {
        char label[600];
        row_label(p, &p->rows[i], 1, label, sizeof label);
        importance_chart ic = {p, label, i + 1, 0};
        if (ll_row_importances(p->run, p->rows[i].model, p->rows[i].sampler, p->data->n_cols,
                               draw_importances, &ic) != 0)
            return -1;
        if (ic.drawn)
            return 0;
    }
    return 0;
}

static void write_samplers(const page *p)
{
    FILE *out = p->out;
    const ll_run_result *run = p->run;
    fputs("<section id=\"samplers\"><h2>Class counts before and after each sampler</h2>\n"
          "<p class=\"caption\">Training rows of one fold handed to the sampler and what the "
          "model was trained on, as a mean over the finished cells (test folds are never "
          "resampled).</p>\n<table><thead><tr><th class=\"l\">sampler</th><th>rows before</th>"
          "<th>buyers before</th><th>rows after</th><th>buyers after</th><th>buyer share "
          "after</th><th>cells</th></tr></thead><tbody>\n",
          out);
    for (size_t s = 0; s < p->spec->n_samplers; s++) {
        double sum[4] = {0};
        size_t n = 0;
        for (size_t k = 0; k < run->n_outer; k++) {
            const ll_cell *c = &run->cells[k];
            if (c->sampler != s || c->status != LL_CELL_OK)
                continue;
            sum[0] += (double)c->fit.rows_before;
            sum[1] += (double)c->fit.positives_before;
            sum[2] += (double)c->fit.rows_after;
            sum[3] += (double)c->fit.positives_after;
            n++;
        }
        fputs("<tr><td class=\"l\" title=\"", out);
        ll_xml_text(out, p->spec->samplers[s].label);
        fputs("\">", out);
        ll_xml_text(out, p->sampler_short[s]);
        fputs("</td>", out);
        if (!n) {
            fputs("<td>–</td><td>–</td><td>–</td><td>–</td><td>–</td><td>0</td></tr>\n", out);
            continue;
        }
        for (int k = 0; k < 4; k++)
            fprintf(out, "<td>%.0f</td>", sum[k] / (double)n);
        fprintf(out, "<td>%.1f %%</td><td>%zu</td></tr>\n",
                sum[2] > 0 ? 100.0 * sum[3] / sum[2] : 0.0, n);
    }
    fputs("</tbody></table>\n</section>\n", out);
}

static void write_timings(const page *p)
{
    FILE *out = p->out;
    double cell_seconds = 0;
    for (size_t k = 0; k < p->run->n_cells; k++)
        if (p->run->cells[k].status != LL_CELL_PENDING && !isnan(p->run->cells[k].seconds))
            cell_seconds += p->run->cells[k].seconds;
    /* Cells may come from earlier runs (resume), so the run's own wall time says little. */
    fprintf(out, "<section id=\"timings\"><h2>Fit and predict time</h2>\n<p class=\"caption\">"
                 "Seconds summed over each row's cells (sampler and model fit, threshold tuning "
                 "excluded; model predict), in leaderboard order. All cells together took "
                 "%.1f s (tuning included), whichever run computed them.</p>\n"
                 "<div class=\"scroll\"><table><thead><tr><th>#</th>"
                 "<th class=\"l\">model | sampler</th><th>fit s</th><th>predict s</th>"
                 "<th>cells</th></tr></thead><tbody>\n",
            cell_seconds);
    for (size_t i = 0; i < p->n_rows; i++) {
        const ll_summary_row *row = &p->rows[i];
        char full[600], brief[160];
        row_label(p, row, 1, full, sizeof full);
        row_label(p, row, 0, brief, sizeof brief);
        fprintf(out, "<tr><td>%zu</td><td class=\"l\" title=\"", i + 1);
        ll_xml_text(out, full);
        fputs("\">", out);
        ll_xml_text(out, brief);
        fprintf(out, "</td><td>%.2f</td><td>%.3f</td><td>%zu</td></tr>\n", row->fit_seconds,
                row->predict_seconds, row->cells - row->pending);
    }
    fputs("</tbody></table></div>\n</section>\n", out);
}

/* The spec file's text, as the user wrote it (the resolved spec follows as JSON). */
static void write_file_text(FILE *out, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fputs("(the spec file could not be read)", out);
        return;
    }
    char buf[4096];
    size_t total = 0;
    while (fgets(buf, sizeof buf, f) && total < (1u << 20)) {
        ll_xml_text(out, buf);
        total += strlen(buf);
    }
    fclose(f);
}

static void write_provenance(const page *p)
{
    FILE *out = p->out;
    const ll_spec *spec = p->spec;
    const ll_report_context *ctx = p->ctx;
    fputs("<section id=\"provenance\"><h2>Provenance</h2>\n<dl>\n<dt>regenerate with</dt><dd>"
          "<code>",
          out);
    ll_xml_text(out, ctx && ctx->command ? ctx->command : "(unknown)");
    fputs("</code></dd>\n<dt>leadlab</dt><dd>" LL_VERSION "</dd>\n<dt>machine</dt><dd>", out);
    ll_xml_text(out, ctx && ctx->machine ? ctx->machine : "(unknown)");
    fputs("</dd>\n<dt>spec file</dt><dd>", out);
    ll_xml_text(out, spec->path);
    fputs("</dd>\n<dt>data file</dt><dd>", out);
    ll_xml_text(out, spec->train_path);
    fputs("</dd>\n<dt>data hash</dt><dd><code>", out);
    ll_xml_text(out, ctx && ctx->data_hash ? ctx->data_hash : "(not recorded)");
    fprintf(out, "</code></dd>\n<dt>cv seed</dt><dd>%llu (each cell's seed derives from it, "
                 "the repeat, the fold and both configurations: see below and cells.csv)</dd>\n"
                 "<dt>cells</dt><dd>%zu planned, %zu finished, %zu failed, %zu not run</dd>\n"
                 "</dl>\n",
            (unsigned long long)spec->seed, p->run->n_cells, p->run->n_ok, p->run->n_failed,
            p->run->n_pending);
    fputs("<h3>Plugins</h3>\n<div class=\"scroll\"><table><thead><tr><th class=\"l\">kind</th>"
          "<th class=\"l\">label</th><th class=\"l\">plugin</th><th class=\"l\">version</th>"
          "<th class=\"l\">parameters (given or default)</th></tr></thead><tbody>\n",
          out);
    for (int kind = 0; kind < 2; kind++) {
        const ll_config *list = kind ? spec->samplers : spec->models;
        size_t n = kind ? spec->n_samplers : spec->n_models;
        for (size_t i = 0; i < n; i++) {
            fprintf(out, "<tr><td class=\"l\">%s</td><td class=\"l\">", kind ? "sampler" : "model");
            ll_xml_text(out, list[i].label);
            fputs("</td><td class=\"l\">", out);
            ll_xml_text(out, list[i].plugin->name);
            fputs("</td><td class=\"l\">", out);
            ll_xml_text(out, list[i].plugin->version);
            fputs("</td><td class=\"l\"><code>", out);
            for (size_t k = 0; k < list[i].plugin->n_params; k++) {
                const char *name = list[i].plugin->params[k].name;
                if (k)
                    fputs(", ", out);
                ll_xml_text(out, name);
                fputc('=', out);
                ll_xml_text(out, ll_host_default()->string(list[i].params, name));
            }
            fputs("</code></td></tr>\n", out);
        }
    }
    fputs("</tbody></table></div>\n<h3>Cell seeds</h3>\n<details><summary>seed of every cell "
          "(repeat.fold: seed, numbered from 0 as in cells.csv)</summary>\n<pre>",
          out);
    for (size_t m = 0; m < p->run->n_models; m++)
        for (size_t s = 0; s < p->run->n_samplers; s++) {
            ll_xml_text(out, spec->models[m].label);
            fputs(" | ", out);
            ll_xml_text(out, spec->samplers[s].label);
            fputc('\n', out);
            for (size_t r = 0; r < p->run->repeats; r++)
                for (size_t f = 0; f < p->run->folds; f++)
                    fprintf(out, "  %zu.%zu: %llu\n", r, f,
                            (unsigned long long)p->run->cells[ll_cell_index(p->run, m, s, r, f)]
                                .seed);
        }
    fputs("</pre></details>\n<h3>Spec file</h3>\n<pre>", out);
    write_file_text(out, spec->path);
    fputs("</pre>\n<details><summary>the resolved spec (after --set), as run</summary>\n<pre>",
          out);
    char *json = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&json, &len);
    if (mem) {
        ll_ynode_write_json(spec->tree, mem);
        if (fclose(mem) == 0 && json)
            ll_xml_text(out, json);
        free(json);
    }
    fputs("</pre></details>\n</section>\n", out);
}

int ll_report_html(FILE *out, const ll_spec *spec, const ll_dataset *data,
                   const ll_run_result *run, const ll_report_context *ctx)
{
    page p = {out, spec, data, run, ctx, NULL, 0, NULL, NULL, spec->sort_metric, NULL, 0};
    if (p.metric < 0 || p.metric >= LL_SUM_AT + (int)spec->n_at ||
        p.metric == LL_SUM_F1_FIXED || p.metric == LL_SUM_THRESHOLD)
        p.metric = LL_SUM_F1;
    int rc = -1;
    if (ll_spec_short_labels(spec, &p.model_short, &p.sampler_short) != 0)
        return -1;
    if (!(p.rows = ll_summarise_by(run, p.metric, &p.n_rows)))
        goto out;
    p.derived = ll_summarise_derived(run, p.metric, &p.rows[0], &p.n_derived);
    if (p.n_derived == SIZE_MAX) {
        p.n_derived = 0;
        goto out;
    }
    char title[300];
    snprintf(title, sizeof title, "leadlab: %s%s", spec->name, run->n_pending ? " (incomplete)" : "");
    ll_html_begin(out, title);
    write_header(&p);
    write_leaderboard(&p);
    write_selection(&p);
    write_f1_chart(&p);
    fputs("<div class=\"grid2\">\n", out);
    if (write_curves(&p, 0) != 0 || write_curves(&p, 1) != 0)
        goto out;
    fputs("</div>\n<div class=\"grid2\">\n", out);
    /* What calling best-first yields, then how far the scores are probabilities beside the
     * cut chosen on them, then what that cut gives. */
    const ll_summary_row *top[TOP_CURVES];
    size_t n_top = top_rows(&p, top, TOP_CURVES);
    const ll_summary_row *best = n_top ? top[0] : NULL;
    ll_html_charts charts = {out, spec, run, p.model_short, p.sampler_short};
    if (ll_html_gains(&charts, top, n_top) != 0 || ll_html_lift(&charts, best) != 0)
        goto out;
    fputs("</div>\n<div class=\"grid2\">\n", out);
    if (ll_html_reliability(&charts, best) != 0 || write_threshold_chart(&p, best) != 0)
        goto out;
    fputs("</div>\n", out);
    write_confusion(&p, best);
    if (write_importances(&p) != 0)
        goto out;
    write_samplers(&p);
    write_timings(&p);
    write_provenance(&p);
    fprintf(out, "<p class=\"muted\">Written by leadlab " LL_VERSION
                 " from results.db. Self-contained: no script, no network.</p>\n");
    ll_html_end(out);
    rc = ferror(out) ? -1 : 0;
out:
    ll_labels_free(p.model_short, spec->n_models);
    ll_labels_free(p.sampler_short, spec->n_samplers);
    free(p.rows);
    free(p.derived);
    return rc;
}
