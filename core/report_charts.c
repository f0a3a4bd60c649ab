/* leadlab report charts (see report_charts.h): the gains, lift and reliability sections of
 * report.html. The numbers come from core/gains; here only layout, labels and tooltips. */
#include "report_charts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "gains.h"
#include "labels.h"
#include "metrics.h"
#include "report_html.h"
#include "svg.h"

/* The share of leads the sales team calls first, as the captions and the sentence under
 * leaderboard.md's table put it. */
#define TOP_SHARE 0.10
enum { LEGEND_CHARS = 42, MAX_TWINS = 3, RELIABILITY_BINS = 10 };

/* The reference lines of every chart here, in the grey of the PR and ROC no-skill lines. */
static const ll_style random_line = {"#777", 1.4, "6 4", 0};
static const ll_style perfect_line = {"#777", 1.4, "2 3", 0};
static const ll_style guide_line = {"#555", 1.4, "5 4", 0};

static void row_label(const ll_html_charts *c, size_t model, size_t sampler, int full, char *buf,
                      size_t len)
{
    snprintf(buf, len, "%s | %s", full ? c->spec->models[model].label : c->model_short[model],
             full ? c->spec->samplers[sampler].label : c->sampler_short[sampler]);
}

/* The square frame of the page's other curve charts, with room for a legend below. */
static void frame(ll_chart_spec *sp, const char *id, const char *title, const char *x,
                  const char *y, size_t legend_items)
{
    ll_chart_square(sp, id, title, x, y, ll_legend_height(legend_items));
}

/* The scored rows of one row's first repeat (ll_scored_rows): what ll_metrics_at and ll_ece,
 * which take every row they are given, must see. */
typedef struct {
    uint8_t *y;
    double *score;
    size_t n;
} scored_set;

static void scored_free(scored_set *s)
{
    free(s->y);
    free(s->score);
    memset(s, 0, sizeof *s);
}

static int scored_of(const ll_run_result *run, size_t model, size_t sampler, scored_set *out)
{
    size_t n = run->n_rows;
    out->y = malloc(n ? n : 1);
    out->score = malloc((n ? n : 1) * sizeof *out->score);
    out->n = 0;
    if (!out->y || !out->score) {
        scored_free(out);
        return -1;
    }
    out->n = ll_scored_rows(run->y, ll_oof_scores(run, model, sampler, 0), n, out->y,
                            out->score);
    return 0;
}

static double percent(double share) { return 100.0 * share; }

/* ---- cumulative gains ---- */

int ll_html_gains(const ll_html_charts *c, const ll_summary_row *const *top, size_t n_top)
{
    FILE *out = c->out;
    const ll_run_result *run = c->run;
    fprintf(out, "<section id=\"gains\"><h2>Cumulative gains: calling the best leads first"
                 "</h2>\n<p class=\"caption\">The share of all buyers reached (up) when the "
                 "sales team calls a share of the leads (across), best-scored first, for the "
                 "top %zu rows: their out-of-fold scores of the first repeat pooled over the "
                 "%zu test folds (equal scores called in data order). The higher and the "
                 "earlier a curve rises, the fewer calls find the buyers. Dashed: calling at "
                 "random; dotted: a perfect ranking, which has called every buyer once the "
                 "buyers' share of the leads is called.</p>\n",
            n_top, run->folds);
    ll_chart_spec sp;
    size_t n_items = n_top + 2;
    frame(&sp, "chart-gains", "Share of buyers reached against share of leads called",
          "share of leads called, best-scored first", "share of buyers reached", n_items);
    sp.x_ticks = 10;
    ll_chart ch;
    ll_chart_begin(&ch, out, &sp);
    ll_legend_item items[16];
    char labels[16][200], tips[16][800];
    /* The best row's numbers, for the perfect line, the 10 % mark and the caption. */
    double base_rate = NAN, x_top = NAN;
    ll_at_k best_at = {NAN, NAN, NAN};
    size_t best_called = 0, best_rows = 0, best_buyers = 0;
    double random_x[] = {0, 1}, random_y[] = {0, 1};
    ll_chart_line(&ch, random_x, random_y, 2, &random_line, "calling at random");
    ll_chart_vline(&ch, TOP_SHARE, &guide_line, "top 10 %");
    size_t drawn = 0;
    for (size_t i = 0; i < n_top && i < 14; i++) {
        const ll_summary_row *row = top[i];
        ll_gains g;
        scored_set s;
        if (scored_of(run, row->model, row->sampler, &s) != 0)
            return -1;
        ll_at_k at;
        if (ll_metrics_at(s.y, s.score, s.n, TOP_SHARE, &at) != 0 ||
            ll_gains_curve(run->y, ll_oof_scores(run, row->model, row->sampler, 0), run->n_rows,
                           LL_GAINS_MAX_POINTS, &g) != 0) {
            scored_free(&s);
            return -1;
        }
        if (i == 0) {
            best_rows = g.rows;
            best_buyers = g.buyers;
            best_called = ll_top_count(s.n, TOP_SHARE);
            base_rate = g.rows ? (double)g.buyers / (double)g.rows : NAN;
            x_top = g.rows ? (double)best_called / (double)g.rows : NAN;
            best_at = at;
        }
        scored_free(&s);
        if (!g.rows) {
            ll_gains_free(&g);
            continue;
        }
        char brief[160], trimmed[160], full[600];
        row_label(c, row->model, row->sampler, 0, brief, sizeof brief);
        row_label(c, row->model, row->sampler, 1, full, sizeof full);
        ll_label_trim(brief, LEGEND_CHARS, trimmed, sizeof trimmed);
        if (isnan(at.recall)) {
            snprintf(labels[drawn], sizeof labels[drawn], "%s: no buyer", trimmed);
            snprintf(tips[drawn], sizeof tips[drawn], "%.600s: no buyer among its %zu scored "
                     "leads", full, g.rows);
        } else {
            snprintf(labels[drawn], sizeof labels[drawn], "%s: top 10 %% → %.0f %%", trimmed,
                     percent(at.recall));
            snprintf(tips[drawn], sizeof tips[drawn], "%.600s: top 10 %% of leads reach %.0f %% "
                     "of buyers (%zu leads scored)", full, percent(at.recall), g.rows);
        }
        ll_style st = {ll_html_color(i), i == 0 ? 2.6 : 1.8, NULL, 0.95};
        ll_chart_line(&ch, g.called, g.reached, g.n, &st, tips[drawn]);
        items[drawn] = (ll_legend_item){labels[drawn], tips[drawn], st, LL_LEGEND_LINE};
        drawn++;
        ll_gains_free(&g);
    }
    char perfect_label[96];
    if (base_rate > 0) {
        /* Every buyer first: all of them reached once their share of the leads is called. */
        double px[] = {0, base_rate, 1}, py[] = {0, 1, 1};
        snprintf(perfect_label, sizeof perfect_label,
                 "perfect ranking: all buyers by %.1f %% of leads", percent(base_rate));
        ll_chart_line(&ch, px, py, 3, &perfect_line, perfect_label);
    }
    if (!isnan(best_at.recall)) {
        char tip[300];
        snprintf(tip, sizeof tip, "top 10 %%: %.0f %% of buyers (the best row: %zu of %zu "
                 "leads called)", percent(best_at.recall), best_called, best_rows);
        ll_style dot = {ll_html_color(0), 0, NULL, 0};
        ll_chart_dot(&ch, x_top, best_at.recall, 5, &dot, tip);
    }
    if (!drawn)
        ll_chart_text(&ch, 0.5, 0.5, "no finished cell in the first repeat yet", 0, "#b2182b");
    items[drawn++] = (ll_legend_item){"calling at random", NULL, random_line, LL_LEGEND_LINE};
    if (base_rate > 0)
        items[drawn++] = (ll_legend_item){perfect_label, NULL, perfect_line, LL_LEGEND_LINE};
    ll_chart_legend(&ch, items, drawn, LL_LEGEND_BELOW, 0);
    ll_chart_end(&ch);
    if (!isnan(best_at.recall)) {
        char brief[160];
        row_label(c, top[0]->model, top[0]->sampler, 0, brief, sizeof brief);
        fprintf(out, "<p class=\"caption\"><b>Top 10 %%: %.0f %% of buyers</b> for the best "
                     "row, ", percent(best_at.recall));
        ll_xml_text(out, brief);
        fprintf(out, ": its %zu best-scored of %zu leads hold %.0f of the %zu buyers "
                     "(precision %.2f, lift %.1f over calling at random). These pool the folds; "
                     "leaderboard.md states the mean over the folds.</p>\n",
                best_called, best_rows, best_at.recall * (double)best_buyers, best_buyers,
                best_at.precision, best_at.lift);
    }
    fputs("</section>\n", out);
    return 0;
}

/* ---- lift by decile ---- */

int ll_html_lift(const ll_html_charts *c, const ll_summary_row *best)
{
    FILE *out = c->out;
    const ll_run_result *run = c->run;
    ll_decile dec[LL_DECILES];
    double base_rate = NAN;
    if (best && ll_decile_lift(run->y, ll_oof_scores(run, best->model, best->sampler, 0),
                               run->n_rows, dec, &base_rate) != 0)
        return -1;
    int any = best && !isnan(base_rate) && base_rate > 0;
    fputs("<section id=\"lift\"><h2>Lift by decile</h2>\n<p class=\"caption\">", out);
    if (best) {
        char brief[160], full[600];
        row_label(c, best->model, best->sampler, 0, brief, sizeof brief);
        row_label(c, best->model, best->sampler, 1, full, sizeof full);
        fputs("The best row's leads (<span title=\"", out);
        ll_xml_text(out, full);
        fputs("\">", out);
        ll_xml_text(out, brief);
        fputs("</span>) cut into ten tenths of equal size by score, decile 1 the best-scored; "
              "a bar is the decile's buyer rate over the buyer rate of all leads", out);
        if (any)
            fprintf(out, " (%.1f %%)", percent(base_rate));
        fputs(", so 3 means three times as many buyers per call as calling at random. Pooled "
              "out-of-fold scores of the first repeat; hover a bar for its counts.", out);
    }
    fputs("</p>\n", out);
    double y_max = 1.2;
    if (any)
        for (size_t d = 0; d < LL_DECILES; d++)
            if (!isnan(dec[d].lift))
                y_max = fmax(y_max, dec[d].lift * 1.12); /* room for the value over the bar */
    double step = ll_nice_step(y_max, 5);
    y_max = ceil(y_max / step - 1e-9) * step;
    ll_chart_spec sp;
    frame(&sp, "chart-lift", "Lift of each tenth of the leads, best-scored first",
          "decile of leads by score (1 = the best-scored tenth)", "lift (buyer rate ÷ overall)",
          2);
    sp.x_min = 0.5;
    sp.x_max = 10.5;
    sp.x_ticks = 10;
    sp.y_max = y_max;
    ll_chart ch;
    ll_chart_begin(&ch, out, &sp);
    ll_style bar = {ll_html_color(0), 0, NULL, 0.85};
    if (any) {
        for (size_t d = 0; d < LL_DECILES; d++) {
            if (!dec[d].rows)
                continue;
            double x = (double)(d + 1);
            char tip[300], value[32];
            snprintf(tip, sizeof tip, "decile %zu (scores %.3f – %.3f): %zu leads, %zu buyers "
                     "(%.1f %%), lift %.2f", d + 1, dec[d].min_score, dec[d].max_score,
                     dec[d].rows, dec[d].buyers, percent(dec[d].rate), dec[d].lift);
            ll_chart_rect(&ch, x - 0.38, 0, x + 0.38, dec[d].lift, &bar, tip);
            snprintf(value, sizeof value, "%.1f", dec[d].lift);
            ll_chart_text(&ch, x, dec[d].lift + 0.035 * y_max, value, 0, "#333");
        }
    } else {
        ll_chart_text(&ch, 5.5, y_max / 2, best ? "no buyer among the scored leads"
                                                : "no finished cell in the first repeat yet",
                      0, "#b2182b");
    }
    double lx[] = {0.5, 10.5}, ly[] = {1, 1};
    ll_chart_line(&ch, lx, ly, 2, &random_line, "lift 1: the buyer rate of all leads");
    char bar_label[96];
    if (any)
        snprintf(bar_label, sizeof bar_label, "buyer rate in the decile ÷ %.1f %% overall",
                 percent(base_rate));
    else
        snprintf(bar_label, sizeof bar_label, "buyer rate in the decile ÷ overall");
    ll_legend_item items[] = {{bar_label, NULL, bar, LL_LEGEND_BOX},
                              {"lift 1: calling at random", NULL, random_line, LL_LEGEND_LINE}};
    ll_chart_legend(&ch, items, 2, LL_LEGEND_BELOW, 0);
    ll_chart_end(&ch);
    fputs("</section>\n", out);
    return 0;
}

/* ---- reliability ---- */

/* A config's label without its calibration suffix (" [isotonic]"), into buf. */
static void uncalibrated_label(const ll_config *m, char *buf, size_t len)
{
    snprintf(buf, len, "%s", m->label);
    char *open = strrchr(buf, '[');
    size_t n = strlen(buf);
    if (m->calibration != LL_CALIBRATE_NONE && open && open > buf && open[-1] == ' ' &&
        buf[n - 1] == ']')
        open[-1] = '\0';
}

/* How the legend names a series: "uncalibrated", "isotonic", "sigmoid". */
static const char *calibration_name(const ll_config *m)
{
    return m->calibration == LL_CALIBRATE_NONE ? "uncalibrated"
                                               : ll_calibration_name(m->calibration);
}

static int has_scores(const ll_run_result *run, size_t model, size_t sampler)
{
    const double *s = ll_oof_scores(run, model, sampler, 0);
    for (size_t i = 0; i < run->n_rows; i++)
        if (s[i] >= 0.0)
            return 1;
    return 0;
}

/* The models to plot: the best row's, and when the run holds the same plugin and parameters
 * both without calibration and with one (same sampler, scored in the first repeat), every such
 * version; the uncalibrated first, then by calibration, the best row's kept whatever the cap. */
static size_t reliability_series(const ll_html_charts *c, const ll_summary_row *best,
                                 size_t *models)
{
    const ll_spec *spec = c->spec;
    const ll_config *own = &spec->models[best->model];
    char base[600], other[600];
    uncalibrated_label(own, base, sizeof base);
    size_t n = 0, uncalibrated = 0, calibrated = 0;
    for (int pass = 0; pass < 2; pass++) /* the uncalibrated version first */
        for (size_t m = 0; m < spec->n_models && n < MAX_TWINS; m++) {
            const ll_config *cfg = &spec->models[m];
            if ((pass == 0) != (cfg->calibration == LL_CALIBRATE_NONE) ||
                cfg->plugin != own->plugin)
                continue;
            uncalibrated_label(cfg, other, sizeof other);
            if (strcmp(base, other) ||
                (m != best->model && !has_scores(c->run, m, best->sampler)))
                continue;
            models[n++] = m;
            uncalibrated += cfg->calibration == LL_CALIBRATE_NONE;
            calibrated += cfg->calibration != LL_CALIBRATE_NONE;
        }
    int kept = 0;
    for (size_t i = 0; i < n; i++)
        kept |= models[i] == best->model;
    if (!uncalibrated || !calibrated || !kept) {
        models[0] = best->model;
        return 1;
    }
    return n;
}

int ll_html_reliability(const ll_html_charts *c, const ll_summary_row *best)
{
    FILE *out = c->out;
    const ll_run_result *run = c->run;
    size_t models[MAX_TWINS], n_series = best ? reliability_series(c, best, models) : 0;
    ll_reliability_bin bins[MAX_TWINS][RELIABILITY_BINS];
    size_t n_bins[MAX_TWINS] = {0};
    double ece[MAX_TWINS];
    double top = 0;
    size_t bin_rows = 0;
    for (size_t k = 0; k < n_series; k++) {
        const double *oof = ll_oof_scores(run, models[k], best->sampler, 0);
        scored_set s;
        int failed = 0;
        if (ll_reliability_bins(run->y, oof, run->n_rows, RELIABILITY_BINS, bins[k],
                                &n_bins[k]) != 0 ||
            scored_of(run, models[k], best->sampler, &s) != 0)
            return -1;
        ece[k] = ll_ece(s.y, s.score, s.n, RELIABILITY_BINS, &failed);
        scored_free(&s);
        if (failed)
            return -1;
        for (size_t b = 0; b < n_bins[k]; b++)
            top = fmax(top, fmax(bins[k][b].mean_score, bins[k][b].observed));
        if (models[k] == best->model && n_bins[k])
            bin_rows = bins[k][0].rows;
    }
    /* The axes end at the largest bin value rounded up, not at 1: a rare class keeps its
     * points out of the corner; both axes alike, so the diagonal stays the diagonal. */
    double step = ll_nice_step(top > 0 ? top : 1, 5);
    double range = top > 0 ? ceil(top / step - 1e-9) * step : 1;
    fputs("<section id=\"reliability\"><h2>Are the scores probabilities?</h2>\n"
          "<p class=\"caption\">", out);
    if (best) {
        char brief[160], full[600];
        row_label(c, best->model, best->sampler, 0, brief, sizeof brief);
        row_label(c, best->model, best->sampler, 1, full, sizeof full);
        fputs("The observed buyer rate against the mean predicted P(buy) in ten equal-count "
              "bins", out);
        if (bin_rows)
            fprintf(out, " (about %zu leads each)", bin_rows);
        fputs(" of the best row's pooled out-of-fold scores of the first repeat (<span title=\"",
              out);
        ll_xml_text(out, full);
        fputs("\">", out);
        ll_xml_text(out, brief);
        fputs("</span>)", out);
        if (n_series > 1)
            fputs(", beside the same model under another calibration", out);
        fprintf(out, ". On the dotted diagonal a predicted 5 %% means 5 %% buy; below it the "
                     "scores promise more buyers than come. ECE (expected calibration error): "
                     "the gap averaged over the bins, lower is better. Both axes end at %g.",
                range);
    }
    fputs("</p>\n", out);
    ll_chart_spec sp;
    frame(&sp, "chart-reliability", "Observed buyer rate against predicted probability",
          "mean predicted P(buy) in the bin", "observed buyer rate in the bin", n_series + 1);
    sp.x_max = sp.y_max = range;
    ll_chart ch;
    ll_chart_begin(&ch, out, &sp);
    double dx[] = {0, range}, dy[] = {0, range};
    ll_chart_line(&ch, dx, dy, 2, &perfect_line, "perfectly calibrated: observed = predicted");
    ll_legend_item items[MAX_TWINS + 1];
    char labels[MAX_TWINS][700];
    size_t n_items = 0, twins = 0;
    for (size_t k = 0; k < n_series; k++) {
        if (!n_bins[k])
            continue;
        /* The best row in its colour on the other charts; a twin in the next ones. */
        size_t colour = models[k] == best->model ? 0 : ++twins;
        ll_style line = {ll_html_color(colour), 1.4, NULL, 0.7};
        ll_style dot = {ll_html_color(colour), 0, NULL, 0.95}, halo = {"#fff", 0, NULL, 0};
        const char *name = calibration_name(&c->spec->models[models[k]]);
        double x[RELIABILITY_BINS], y[RELIABILITY_BINS];
        for (size_t b = 0; b < n_bins[k]; b++) {
            x[b] = bins[k][b].mean_score;
            y[b] = bins[k][b].observed;
        }
        ll_chart_line(&ch, x, y, n_bins[k], &line, NULL);
        for (size_t b = 0; b < n_bins[k]; b++) {
            char tip[200];
            int n = snprintf(tip, sizeof tip, "bin %zu: %zu leads, mean P %.3f, observed %.3f",
                             b + 1, bins[k][b].rows, bins[k][b].mean_score, bins[k][b].observed);
            if (n_series > 1 && n > 0 && (size_t)n < sizeof tip)
                snprintf(tip + n, sizeof tip - (size_t)n, " (%s)", name);
            /* a white ring keeps the low bins, often a pixel apart, told apart */
            ll_chart_dot(&ch, x[b], y[b], 6, &halo, NULL);
            ll_chart_dot(&ch, x[b], y[b], 4.5, &dot, tip);
        }
        if (n_series > 1) {
            snprintf(labels[n_items], sizeof labels[n_items], "%s%s: ECE %.3f", name,
                     models[k] == best->model ? " (the best row)" : "", ece[k]);
        } else {
            char brief[160], trimmed[160];
            row_label(c, models[k], best->sampler, 0, brief, sizeof brief);
            ll_label_trim(brief, LEGEND_CHARS, trimmed, sizeof trimmed);
            snprintf(labels[n_items], sizeof labels[n_items], "%s: ECE %.3f", trimmed, ece[k]);
        }
        items[n_items] = (ll_legend_item){labels[n_items], NULL, dot, LL_LEGEND_DOT};
        n_items++;
    }
    if (!n_items)
        ll_chart_text(&ch, range / 2, range / 2, "no finished cell in the first repeat yet", 0,
                      "#b2182b");
    items[n_items++] = (ll_legend_item){"perfectly calibrated", NULL, perfect_line,
                                        LL_LEGEND_LINE};
    ll_chart_legend(&ch, items, n_items, LL_LEGEND_BELOW, 0);
    ll_chart_end(&ch);
    fputs("</section>\n", out);
    return 0;
}
