/* leadlab outputs (see report.h). Numbers are printed with fixed formats so that two runs
 * with the same results give byte-identical files; timings live only in the CSV and JSON. */
#include "report.h"
#include "ensemble.h"
#include "select.h"
#include "gains.h"
#include "labels.h"
#include "manifest.h"
#include "report_html.h"
#include "summary.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LL_VERSION
#define LL_VERSION "0"
#endif

int ll_output_dir_ready(const char *dir, ll_error *err)
{
    ll_error why;
    if (ll_make_dirs(dir, &why) != 0)
        return ll_error_set(err, "output.dir %s: cannot create it (%s)", dir, why.msg);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ll_error_set(err, "output.dir %s: not a folder", dir);
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.leadlab-probe-%ld", dir, (long)getpid());
    FILE *f = fopen(probe, "w");
    if (!f || fputs("probe\n", f) < 0 || fclose(f) != 0) {
        int e = errno;
        if (f)
            remove(probe);
        return ll_error_set(err, "output.dir %s: cannot write there: %s", dir, strerror(e));
    }
    remove(probe);
    return 0;
}

/* Every file a run writes into its output folder. */
static const char *const output_files[] = {
    "leaderboard.md", "leaderboard.csv", "cells.csv",    "folds.csv",    "predictions.csv",
    "run.json",       "results.db",      "results.db-wal", "results.db-shm", ".leadlab.lock",
    "report.html",    "importances.csv", "selection.csv", "search.csv", "ensembles.csv",
    LL_MANIFEST_FILE};

/* importances.csv is a CSV output of a run that asks for importances. */
static int writes_importances(const ll_spec *spec)
{
    return spec->importances != LL_IMPORTANCE_NONE && (spec->formats & LL_OUT_CSV);
}

int ll_outputs_spare_inputs(const ll_spec *spec, ll_error *err)
{
    const char *inputs[] = {spec->path, spec->synth ? NULL : spec->train_path};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        struct stat in;
        if (!inputs[i] || stat(inputs[i], &in) != 0)
            continue;
        for (size_t k = 0; k < sizeof output_files / sizeof output_files[0]; k++) {
            char path[4200];
            struct stat out;
            snprintf(path, sizeof path, "%s/%s", spec->out_dir, output_files[k]);
            if (stat(path, &out) == 0 && out.st_dev == in.st_dev && out.st_ino == in.st_ino)
                return ll_error_set(err, "output.dir %s: the run would overwrite its input %s "
                                    "(as %s): choose another output.dir", spec->out_dir,
                                    inputs[i], output_files[k]);
        }
    }
    return 0;
}

int ll_make_dirs(const char *path, ll_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ll_error_set(err, "%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return ll_error_set(err, "%s: cannot create folder: %s", buf, strerror(errno));
            *p = saved;
            if (!saved)
                break;
        }
    }
    return 0;
}

int ll_atomic_open(ll_atomic_file *af, const char *path, ll_error *err)
{
    snprintf(af->path, sizeof af->path, "%s", path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    errno = 0;
    af->f = fopen(af->tmp, "w");
    if (!af->f)
        return ll_error_io(err, "%s: cannot write: %s", af->tmp, strerror(errno));
    return 0;
}

int ll_atomic_commit(ll_atomic_file *af, ll_error *err)
{
    /* A failed fputs left its errno behind; a failed flush or close sets it now. */
    int e = errno, bad = ferror(af->f);
    if (fflush(af->f) != 0) {
        e = errno;
        bad = 1;
    }
    if (fclose(af->f) != 0 && !bad) {
        e = errno;
        bad = 1;
    }
    af->f = NULL;
    if (bad) {
        remove(af->tmp);
        return ll_error_io(err, "%s: write failed: %s", af->path, strerror(e));
    }
    if (rename(af->tmp, af->path) != 0) {
        e = errno;
        remove(af->tmp);
        return ll_error_io(err, "%s: cannot rename into place: %s", af->path, strerror(e));
    }
    return 0;
}

void ll_csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* NaN (undefined, e.g. AUC of a fold with one class) prints as an empty CSV field. */
static void csv_number(FILE *out, double v)
{
    if (!isnan(v))
        fprintf(out, "%.6f", v);
}

/* Text inside a Markdown table cell: a '|' would end the cell and a newline the row. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void md_mean_sd(FILE *out, const ll_summary_row *row, int which)
{
    if (isnan(row->mean[which]))
        fputs(" – |", out);
    else if (row->cells == 1) /* a holdout: one value, no spread to show */
        fprintf(out, " %.3f |", row->mean[which]);
    else
        fprintf(out, " %.3f ± %.3f |", row->mean[which], row->sd[which]);
}

/* Under the table: the full label of every config whose label was shortened. */
static void md_full_labels(FILE *out, const ll_spec *spec, char **model_short,
                           char **sampler_short)
{
    int any = 0;
    for (int kind = 0; kind < 2; kind++) {
        const ll_config *list = kind ? spec->samplers : spec->models;
        char **brief = kind ? sampler_short : model_short;
        for (size_t i = 0; i < (kind ? spec->n_samplers : spec->n_models); i++) {
            if (!strcmp(brief[i], list[i].label))
                continue;
            if (!any++)
                fputs("\nLabels show the parameters that vary within a plugin; in full:\n\n", out);
            fprintf(out, "- `%s` = %s\n", brief[i], list[i].label);
        }
    }
}

/* Where the importances are, and why finished cells have none when some do not. */
static void md_importances(FILE *out, const ll_spec *spec, const ll_run_result *run)
{
    if (!writes_importances(spec))
        return;
    fputs("\nFeature importances of every row, mean ± sd over folds: importances.csv.", out);
    size_t ok = 0, without = 0;
    const char *note = NULL;
    for (size_t c = 0; c < run->n_outer; c++) { /* inner cells measure none */
        const ll_cell *cell = &run->cells[c];
        if (cell->status != LL_CELL_OK)
            continue;
        ok++;
        if (!cell->n_importances) {
            without++;
            if (!note && cell->importance_note[0])
                note = cell->importance_note;
        }
    }
    if (without) {
        fprintf(out, " %zu of %zu finished cells have none", without, ok);
        if (note) {
            fputs(" (", out);
            md_cell(out, note);
            fputc(')', out);
        }
        fputc('.', out);
    }
    fputc('\n', out);
}

/* Under the table, in the sales team's terms: what calling the best row's top 10 % of leads
 * yields, as means over its finished folds (ll_row_top_k). Nothing when the row has no
 * finished cell or no fold held a buyer. -1 when memory runs out. */
static int md_call_sentence(FILE *out, const ll_run_result *run, const ll_summary_row *best,
                            char **model_short, char **sampler_short)
{
    if (best->cells == best->failed + best->pending)
        return 0;
    ll_at_k mean;
    size_t cells;
    if (ll_row_top_k(run, best->model, best->sampler, 0.1, &mean, &cells) != 0)
        return -1;
    if (!cells || isnan(mean.recall) || isnan(mean.precision) || isnan(mean.lift))
        return 0;
    fprintf(out, "\nCalling the top 10 %% of leads by %s | %s reaches %.0f %% of buyers "
                 "(precision %.2f, lift %.1f).\n",
            model_short[best->model], sampler_short[best->sampler], 100.0 * mean.recall,
            mean.precision, mean.lift);
    return 0;
}

/* The values of one leaderboard row after its labels, and its "vs best" cell. */
static void md_row_values(FILE *out, const ll_spec *spec, const ll_summary_row *row, int best,
                          const int *shown, size_t n_shown)
{
    md_mean_sd(out, row, LL_SUM_F1);
    if (spec->tune_threshold) {
        md_mean_sd(out, row, LL_SUM_F1_FIXED);
        md_mean_sd(out, row, LL_SUM_THRESHOLD);
    }
    for (size_t k = 0; k < n_shown; k++)
        md_mean_sd(out, row, shown[k]);
    size_t folds = spec->folds * spec->repeats;
    if (row->failed) {
        fprintf(out, " FAILED %zu of %zu folds: ", row->failed, row->cells);
        md_cell(out, row->first_error);
        fputs(" |\n", out);
    } else if (row->cells < folds && row->model != SIZE_MAX) /* halving: the folds it won */
        fprintf(out, " won %zu of %zu folds |\n", row->cells, folds);
    else if (row->pending == row->cells)
        fputs(" not run yet |\n", out);
    else if (row->pending)
        fprintf(out, " partial: %zu/%zu cells |\n", row->cells - row->pending, row->cells);
    else if (best)
        fputs(" best |\n", out);
    else if (isnan(row->p_vs_best))
        fputs(" – |\n", out);
    else
        fprintf(out, row->p_vs_best < 0.001 ? " %sp < 0.001 |\n" : " %sp = %.3f |\n",
                row->worse_than_best ? "▼ " : "", row->p_vs_best);
}

/* The derived rows (the nested selection, ensembles) under the ranked ones, unranked: they
 * are procedures built from the rows above, not configs. Returns their summaries (the caller
 * frees them), as ll_summarise_derived does (*n = SIZE_MAX: out of memory). */
static ll_summary_row *md_derived_rows(FILE *out, const ll_spec *spec, const ll_run_result *run,
                                       int metric, const ll_summary_row *rows, const int *shown,
                                       size_t n_shown, size_t *n)
{
    ll_summary_row *derived = ll_summarise_derived(run, metric, &rows[0], n);
    for (size_t d = 0; derived && d < *n; d++) {
        fputs("| – | **", out);
        md_cell(out, derived[d].label);
        fputs("** | – |", out);
        md_row_values(out, spec, &derived[d], 0, shown, n_shown);
    }
    return derived;
}

/* Under successive halving: every config with the budget it reached in each outer fold. */
static void md_halving(FILE *out, const ll_spec *spec, const ll_run_result *run,
                       char **model_short, char **sampler_short)
{
    const ll_selection *sel = run->selection;
    if (sel->rungs < 2)
        return;
    char label[64], rows[32];
    fprintf(out, "\nSuccessive halving, factor %zu: %zu rungs of inner training rows (",
            run->halving_factor, sel->rungs);
    for (size_t r = 0; r < sel->rungs; r++) {
        fprintf(out, "%s%s", r ? ", " : "", ll_rung_rows_text(run, r, rows, sizeof rows));
    }
    fprintf(out, "); each rung keeps the best 1/%zu of its configs by inner %s. The rows each "
                 "config reached in each outer fold, and its inner %s there (★: the fold's "
                 "winner):\n\n| config | sampler |",
            run->halving_factor, ll_metric_label_at(sel->metric, spec->at, label, sizeof label),
            label);
    for (size_t k = 0; k < sel->n_folds; k++)
        fprintf(out, " fold %zu |", k);
    fputs("\n|---|---|", out);
    for (size_t k = 0; k < sel->n_folds; k++)
        fputs("---:|", out);
    fputc('\n', out);
    for (size_t c = 0; c < sel->n_candidates; c++) {
        size_t m = c / run->n_samplers, s = c % run->n_samplers;
        fputs("| ", out);
        md_cell(out, model_short[m]);
        fputs(" | ", out);
        md_cell(out, sampler_short[s]);
        fputs(" |", out);
        for (size_t k = 0; k < sel->n_folds; k++) {
            const ll_selected_fold *sf = &sel->folds[k];
            int rung = sf->rung_reached[c];
            if (rung < 0) {
                fputs(" – |", out);
                continue;
            }
            fprintf(out, " %s%s (%.3f) |", ll_selection_won(sf, m, s) ? "★ " : "",
                    ll_rung_rows_text(run, (size_t)rung, rows, sizeof rows), sf->rung_value[c]);
        }
        fputc('\n', out);
    }
}

/* Under the table: what the selected row is, and the winner of every outer fold. */
static void md_selection(FILE *out, const ll_spec *spec, const ll_run_result *run,
                         const ll_summary_row *selected, const ll_summary_row *top,
                         char **model_short, char **sampler_short)
{
    const ll_selection *sel = run->selection;
    char label[64];
    const char *metric = ll_metric_label_at(sel->metric, spec->at, label, sizeof label);
    fprintf(out, "\n**selected (nested)** estimates the whole procedure of choosing among these "
                 "%zu rows: inside each outer training fold, every row is scored by %s on "
                 "%zu-fold inner CV of that fold's training rows, the winner's cut is %s the same "
                 "inner scores, and the winner is scored on the outer test fold. Its F1, %.3f, "
                 "is the figure to expect from choosing this way; the top row's, %.3f, was "
                 "chosen on the folds that report it.\n\n",
            run->n_models * run->n_samplers, metric, sel->inner_folds,
            spec->tune_threshold ? "tuned for F1 on" : "the fixed one, not chosen on",
            selected->mean[LL_SUM_F1], top->mean[LL_SUM_F1]);
    fprintf(out, "| repeat | outer fold | winner | inner %s | cut | F1 |\n"
                 "|---:|---:|---|---:|---:|---:|\n",
            metric);
    for (size_t k = 0; k < sel->n_folds; k++) {
        const ll_selected_fold *sf = &sel->folds[k];
        fprintf(out, "| %zu | %zu | ", k / run->folds, k % run->folds);
        if (sf->status == LL_CELL_OK) {
            md_cell(out, model_short[sf->model]);
            fputs(" \\| ", out);
            md_cell(out, sampler_short[sf->sampler]);
            fprintf(out, " | %.4f | %.3f | %.4f |\n", sf->inner_value, sf->cell.threshold,
                    sf->cell.metrics.f1);
        } else {
            fputs(sf->status == LL_CELL_PENDING ? "not run yet" : "FAILED: ", out);
            md_cell(out, sf->error);
            fputs(" | | | |\n", out);
        }
    }
}

/* Under the header of a time-ordered run: the days and rows each fold trains and tests on. */
static void md_time_folds(FILE *out, const ll_dataset *data, const ll_run_result *run)
{
    if (!run->forward || !data->order_days)
        return;
    fputs("| fold | trains on | rows | positives | tests on | rows | positives |\n"
          "|---:|---|---:|---:|---|---:|---:|\n", out);
    for (size_t f = 0; f < run->folds; f++) {
        ll_split split = ll_plan_outer_split(run, 0, f);
        ll_split_span span;
        ll_split_describe(&split, run->y, data->order_days, run->n_rows, &span);
        char a[16], b[16], c[16], d[16];
        fprintf(out, "| %zu | %s .. %s | %zu | %zu | %s .. %s | %zu | %zu |\n", f,
                ll_format_date(span.train_first, a, sizeof a),
                ll_format_date(span.train_last, b, sizeof b), span.n_train,
                span.train_positives, ll_format_date(span.test_first, c, sizeof c),
                ll_format_date(span.test_last, d, sizeof d), span.n_test, span.test_positives);
    }
    fputc('\n', out);
}

/* Under the table: what each ensemble combines (ensembles.csv has every fold's weights). */
static void md_ensembles(FILE *out, const ll_spec *spec, const ll_run_result *run,
                         char **model_short, char **sampler_short)
{
    if (!run->ensembles)
        return;
    char label[64];
    fprintf(out, "\n**Ensembles** are fitted inside each outer training fold on %zu-fold inner "
                 "out-of-fold scores of its rows (their cut too), then applied to the members' "
                 "outer cells; `ensembles.csv` has every fold's members and weights.\n\n",
            run->inner_folds);
    for (size_t i = 0; i < spec->n_ensembles; i++) {
        const ll_ensemble_spec *e = &spec->ensembles[i];
        fputs("- **", out);
        md_cell(out, e->name);
        fputs(e->method == LL_ENSEMBLE_STACK
                  ? "**: a logistic regression (L2, C = 1) on the logits of "
                  : "**: the mean probability of ", out);
        if (e->top) {
            fprintf(out, "each outer fold's %zu best rows by inner %s.\n", e->top,
                    ll_metric_label_at(spec->select_metric, spec->at, label, sizeof label));
            continue;
        }
        for (size_t k = 0; k < e->n_members; k++) {
            fputs(k ? ", " : "", out);
            md_cell(out, model_short[e->members[k].model]);
            fputs(" \\| ", out);
            md_cell(out, sampler_short[e->members[k].sampler]);
        }
        fputs(".\n", out);
    }
}

int ll_report_markdown(FILE *out, const ll_spec *spec, const ll_dataset *data,
                       const ll_run_result *run, const ll_report_context *ctx)
{
    size_t n_rows;
    int metric = spec->sort_metric;
    ll_summary_row *rows = ll_summarise_by(run, metric, &n_rows);
    char **model_short = NULL, **sampler_short = NULL;
    if (!rows || ll_spec_short_labels(spec, &model_short, &sampler_short) != 0) {
        free(rows);
        return -1;
    }
    /* Dormant cells (halving never needed them) are neither planned work nor done. */
    size_t finished = run->n_ok + run->n_failed, planned = finished + run->n_pending;
    if (run->n_pending)
        fprintf(out, "# Leaderboard: %s (incomplete: %zu of %zu cells)\n\n"
                     "**incomplete: %zu of %zu cells.** The run stopped before every cell ran; "
                     "rows marked partial average the cells that did. Rerun the same command "
                     "to resume.\n\n", spec->name, finished, planned, finished, planned);
    else
        fprintf(out, "# Leaderboard: %s\n\n", spec->name);
    if (ctx && ctx->command) {
        fprintf(out, "Regenerate with `%s`", ctx->command);
        if (ctx->machine)
            fprintf(out, " (ran on %s)", ctx->machine);
        fputs(".\n\n", out);
    }
    char cv[256];
    fprintf(out, "Data: %zu rows, %zu positives (%.1f %%), %zu features. CV: %s. ",
            data->n_rows, data->n_positive, 100.0 * (double)data->n_positive / (double)data->n_rows,
            data->n_cols, ll_spec_cv_label(spec, cv, sizeof cv));
    if (spec->tune_threshold)
        fprintf(out, "Cut: tuned per outer fold for F1 on %zu-fold inner out-of-fold scores of "
                     "its training rows (F1 @%.2g shown beside it).\n\n",
                spec->tune_folds, spec->threshold);
    else
        fprintf(out, "Cut: %.2g.\n\n", spec->threshold);
    md_time_folds(out, data, run);
    fputs("| # | model | sampler |", out);
    if (spec->tune_threshold)
        fprintf(out, " F1 (tuned cut) | F1 @%.2g | cut |", spec->threshold);
    else
        fputs(" F1 |", out);
    int shown[LL_SUM_N];
    size_t n_shown = ll_shown_metrics(spec, shown);
    char label[64];
    for (size_t k = 0; k < n_shown; k++)
        fprintf(out, " %s |", ll_metric_label_at(shown[k], spec->at, label, sizeof label));
    fputs(" vs best |\n|---:|---|---|", out);
    size_t cols = (spec->tune_threshold ? 3 : 1) + 1 + n_shown;
    for (size_t k = 0; k < cols; k++)
        fputs("---:|", out);
    fputc('\n', out);
    for (size_t i = 0; i < n_rows; i++) {
        const ll_summary_row *row = &rows[i];
        fprintf(out, "| %zu | ", i + 1);
        md_cell(out, model_short[row->model]);
        fputs(" | ", out);
        md_cell(out, sampler_short[row->sampler]);
        fputs(" |", out);
        md_row_values(out, spec, row, i == 0, shown, n_shown);
    }
    size_t n_derived;
    ll_summary_row *derived = md_derived_rows(out, spec, run, metric, rows, shown, n_shown,
                                              &n_derived);
    const char *halving = run->rungs > 1 ? " (under successive halving, a config's row holds "
                                           "only the outer folds it won: the others never "
                                           "fitted it on all their rows)"
                                         : "";
    if (run->folds * run->repeats == 1)
        fprintf(out, "\nOne cell per row (a holdout): no sd, and no significance test.%s%s%s\n",
                metric ? " Ranked by " : "",
                metric ? ll_metric_label_at(metric, spec->at, label, sizeof label) : "",
                metric ? "." : "");
    else if (run->forward)
        /* The folds train on more and more rows: the correction takes their mean ratio. */
        fprintf(out, "\nmean ± sd over %zu cells per row%s. %s%s%s▼: %s significantly below the "
                     "best row (corrected resampled t-test, Nadeau & Bengio 2003, with the "
                     "folds' mean test/train ratio %.3f, p < 0.05).\n",
                spec->folds * spec->repeats, halving, metric ? "Ranked by " : "",
                metric ? ll_metric_label_at(metric, spec->at, label, sizeof label) : "",
                metric ? ". " : "", ll_metric_label_at(metric, spec->at, label, sizeof label),
                ll_run_test_train_ratio(run));
    else
        fprintf(out, "\nmean ± sd over %zu cells per row%s. %s%s%s▼: %s significantly below the "
                     "best row (corrected resampled t-test, Nadeau & Bengio 2003, p < 0.05).\n",
                spec->folds * spec->repeats, halving, metric ? "Ranked by " : "",
                metric ? ll_metric_label_at(metric, spec->at, label, sizeof label) : "",
                metric ? ". " : "", ll_metric_label_at(metric, spec->at, label, sizeof label));
    if (run->selection && derived) { /* the selection's row comes first */
        md_selection(out, spec, run, &derived[0], &rows[0], model_short, sampler_short);
        md_halving(out, spec, run, model_short, sampler_short);
    }
    md_ensembles(out, spec, run, model_short, sampler_short);
    int sentence = md_call_sentence(out, run, &rows[0], model_short, sampler_short);
    md_full_labels(out, spec, model_short, sampler_short);
    md_importances(out, spec, run);
    ll_labels_free(model_short, spec->n_models);
    ll_labels_free(sampler_short, spec->n_samplers);
    free(rows);
    free(derived);
    return ferror(out) || sentence != 0 || n_derived == SIZE_MAX ? -1 : 0;
}

/* One row of leaderboard.csv: rank 0 for a derived row (the selection, an ensemble), which
 * has no rank and no parameters of its own. */
static void csv_row(FILE *out, const ll_spec *spec, const ll_summary_row *row, size_t rank,
                    const int *cols, size_t n_cols, char **mcols, size_t n_mcols, char **scols,
                    size_t n_scols)
{
    int config_row = row->model != SIZE_MAX;
    if (rank)
        fprintf(out, "%zu", rank);
    fputc(',', out);
    ll_csv_field(out, config_row ? spec->models[row->model].label : row->label);
    fputc(',', out);
    ll_csv_field(out, config_row ? spec->samplers[row->sampler].label : "");
    fprintf(out, ",%zu,%zu", row->cells, row->failed);
    for (size_t k = 0; k < n_cols; k++) {
        fputc(',', out);
        csv_number(out, row->mean[cols[k]]);
        fputc(',', out);
        csv_number(out, row->sd[cols[k]]);
    }
    fprintf(out, ",%.6f,%.6f,", row->fit_seconds, row->predict_seconds);
    csv_number(out, row->mean[LL_SUM_F1_FIXED]);
    fputc(',', out);
    csv_number(out, row->sd[LL_SUM_F1_FIXED]);
    fputc(',', out);
    csv_number(out, row->mean[LL_SUM_THRESHOLD]);
    fputc(',', out);
    csv_number(out, row->p_vs_best);
    fputc(',', out);
    ll_csv_field(out, row->first_error ? row->first_error : "");
    fprintf(out, ",%zu", row->pending);
    for (size_t k = 0; k < n_mcols + n_scols; k++) {
        const char *v = !config_row ? NULL
                        : k < n_mcols ? ll_param_value(&spec->models[row->model], mcols[k])
                                      : ll_param_value(&spec->samplers[row->sampler],
                                                       scols[k - n_mcols]);
        fputc(',', out);
        ll_csv_field(out, v ? v : ""); /* empty: this row's plugin has no such parameter */
    }
    fputc('\n', out);
}

static int write_leaderboard_csv(FILE *out, const ll_spec *spec, const ll_run_result *run)
{
    size_t n_rows, n_mcols = 0, n_scols = 0;
    ll_summary_row *rows = ll_summarise_by(run, spec->sort_metric, &n_rows);
    /* One column per plugin parameter, after the fixed ones, so F1 can be plotted against C. */
    char **mcols = ll_param_columns(spec->models, spec->n_models, "model", &n_mcols);
    char **scols = ll_param_columns(spec->samplers, spec->n_samplers, "sampler", &n_scols);
    if (!rows || !mcols || !scols) {
        free(rows);
        ll_labels_free(mcols, n_mcols);
        ll_labels_free(scols, n_scols);
        return -1;
    }
    fputs("rank,config,sampler,cells,failed", out);
    /* The classic metrics, then what the scores give: brier, log_loss, ece, top-k. */
    int cols[LL_SUM_N];
    size_t n_cols = 0;
    char key[64];
    for (int k = 0; k < LL_SUM_AT + (int)spec->n_at; k++)
        if (k != LL_SUM_F1_FIXED && k != LL_SUM_THRESHOLD)
            cols[n_cols++] = k;
    for (size_t k = 0; k < n_cols; k++) {
        ll_metric_key_at(cols[k], spec->at, key, sizeof key);
        fprintf(out, ",%s_mean,%s_sd", key, key);
    }
    fputs(",fit_seconds,predict_seconds,f1_fixed_mean,f1_fixed_sd,threshold_mean,"
          "p_vs_best,error,pending", out);
    for (size_t k = 0; k < n_mcols + n_scols; k++) {
        fputc(',', out);
        ll_csv_field(out, k < n_mcols ? mcols[k] : scols[k - n_mcols]);
    }
    fputc('\n', out);
    for (size_t i = 0; i < n_rows; i++)
        csv_row(out, spec, &rows[i], i + 1, cols, n_cols, mcols, n_mcols, scols, n_scols);
    size_t n_derived;
    ll_summary_row *derived = ll_summarise_derived(run, spec->sort_metric, &rows[0], &n_derived);
    for (size_t d = 0; derived && d < n_derived; d++)
        csv_row(out, spec, &derived[d], 0, cols, n_cols, mcols, n_mcols, scols, n_scols);
    free(derived);
    if (n_derived == SIZE_MAX) {
        ll_labels_free(mcols, n_mcols);
        ll_labels_free(scols, n_scols);
        free(rows);
        return -1;
    }
    ll_labels_free(mcols, n_mcols);
    ll_labels_free(scols, n_scols);
    free(rows);
    return 0;
}

/* The nested selection's outer folds: who won, on what inner value and cut, and how the
 * winner scored on the outer test fold. */
static void write_selection_csv(FILE *out, const ll_spec *spec, const ll_run_result *run)
{
    const ll_selection *sel = run->selection;
    char key[64];
    fprintf(out, "repeat,fold,status,config,sampler,candidates,inner_%s,threshold,f1,precision,"
                 "recall,pr_auc,error\n",
            ll_metric_key_at(sel->metric, spec->at, key, sizeof key));
    for (size_t k = 0; k < sel->n_folds; k++) {
        const ll_selected_fold *sf = &sel->folds[k];
        int ok = sf->status == LL_CELL_OK;
        fprintf(out, "%zu,%zu,%s,", k / run->folds, k % run->folds,
                ok ? "ok" : sf->status == LL_CELL_PENDING ? "pending" : "failed");
        ll_csv_field(out, ok ? spec->models[sf->model].label : "");
        fputc(',', out);
        ll_csv_field(out, ok ? spec->samplers[sf->sampler].label : "");
        fprintf(out, ",%zu,", sf->candidates);
        const double v[] = {sf->inner_value, sf->cell.threshold, sf->cell.metrics.f1,
                            sf->cell.metrics.precision, sf->cell.metrics.recall,
                            sf->cell.metrics.pr_auc};
        for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
            if (ok)
                csv_number(out, v[j]);
            fputc(',', out);
        }
        ll_csv_field(out, ok ? "" : sf->error);
        fputc('\n', out);
    }
}

/* Every config in every outer fold: the successive-halving rung it reached, the training rows
 * of that rung (empty: all) and its inner value there. */
static void write_search_csv(FILE *out, const ll_spec *spec, const ll_run_result *run)
{
    const ll_selection *sel = run->selection;
    char key[64];
    fprintf(out, "repeat,fold,config,sampler,rung,rows,inner_%s,winner\n",
            ll_metric_key_at(sel->metric, spec->at, key, sizeof key));
    for (size_t k = 0; k < sel->n_folds; k++)
        for (size_t c = 0; c < sel->n_candidates; c++) {
            const ll_selected_fold *sf = &sel->folds[k];
            size_t m = c / run->n_samplers, s = c % run->n_samplers;
            int rung = sf->rung_reached[c];
            fprintf(out, "%zu,%zu,", k / run->folds, k % run->folds);
            ll_csv_field(out, spec->models[m].label);
            fputc(',', out);
            ll_csv_field(out, spec->samplers[s].label);
            if (rung < 0) {
                fputs(",,,,0\n", out);
                continue;
            }
            fprintf(out, ",%d,", rung);
            if (run->rung_rows[rung])
                fprintf(out, "%zu", run->rung_rows[rung]);
            fputc(',', out);
            csv_number(out, sf->rung_value[c]);
            fprintf(out, ",%d\n", ll_selection_won(sf, m, s));
        }
}

/* The ensembles' outer folds: each member with its weight (the stacker's coefficient on the
 * member's logit, or 1/K for an average) and the stacker's intercept as a member of its own;
 * one line with the status and why for a fold that could not be combined. */
static void write_ensembles_csv(FILE *out, const ll_spec *spec, const ll_run_result *run)
{
    const ll_ensembles *all = run->ensembles;
    fputs("repeat,fold,ensemble,status,member,sampler,weight,error\n", out);
    for (size_t i = 0; i < all->n; i++)
        for (size_t k = 0; k < all->n_folds; k++) {
            const ll_ensemble_fold *ef = &all->folds[i * all->n_folds + k];
            const char *name = spec->ensembles[i].name;
            if (ef->status != LL_CELL_OK) {
                fprintf(out, "%zu,%zu,", k / run->folds, k % run->folds);
                ll_csv_field(out, name);
                fputs(ef->status == LL_CELL_PENDING ? ",pending,,,," : ",failed,,,,", out);
                ll_csv_field(out, ef->error);
                fputc('\n', out);
                continue;
            }
            int stack = spec->ensembles[i].method == LL_ENSEMBLE_STACK;
            for (size_t j = 0; j < ef->n_members + (size_t)stack; j++) {
                fprintf(out, "%zu,%zu,", k / run->folds, k % run->folds);
                ll_csv_field(out, name);
                fputs(",ok,", out);
                if (j == ef->n_members) {
                    fputs("(intercept),,", out);
                    csv_number(out, ef->intercept);
                } else {
                    ll_csv_field(out, spec->models[ef->members[j].model].label);
                    fputc(',', out);
                    ll_csv_field(out, spec->samplers[ef->members[j].sampler].label);
                    fputc(',', out);
                    csv_number(out, ef->weights[j]);
                }
                fputs(",\n", out);
            }
        }
}

static void write_cells_csv(FILE *out, const ll_spec *spec, const ll_run_result *run)
{
    fputs("config,sampler,repeat,fold,status,seed,train_rows,train_positives,resampled_rows,"
          "resampled_positives,test_rows,test_positives,threshold,tp,fp,tn,fn,precision,recall,"
          "f1,f1_fixed,roc_auc,pr_auc,mcc,balanced_accuracy,brier,log_loss,ece", out);
    char key[64];
    for (size_t k = 0; k < spec->n_at; k++)
        fprintf(out, ",%s", ll_metric_key_at(LL_SUM_AT + (int)k, spec->at, key, sizeof key));
    fputs(",fit_seconds,predict_seconds,error\n", out);
    for (size_t m = 0; m < run->n_models; m++)
        for (size_t s = 0; s < run->n_samplers; s++)
            for (size_t rep = 0; rep < run->repeats; rep++)
                for (size_t f = 0; f < run->folds; f++) {
                    const ll_cell *c = &run->cells[ll_cell_index(run, m, s, rep, f)];
                    ll_csv_field(out, spec->models[m].label);
                    fputc(',', out);
                    ll_csv_field(out, spec->samplers[s].label);
                    fprintf(out, ",%zu,%zu,%s,%llu,%zu,%zu,%zu,%zu,%zu,%zu,", rep, f,
                            c->status == LL_CELL_OK       ? "ok"
                            : c->status == LL_CELL_FAILED ? "failed"
                                                          : "pending",
                            (unsigned long long)c->seed,
                            c->fit.rows_before, c->fit.positives_before, c->fit.rows_after,
                            c->fit.positives_after, c->n_test, c->positives_test);
                    if (c->status == LL_CELL_OK)
                        csv_number(out, c->threshold);
                    const ll_metrics *mt = &c->metrics;
                    fprintf(out, ",%zu,%zu,%zu,%zu", mt->cm.tp, mt->cm.fp, mt->cm.tn, mt->cm.fn);
                    double v[] = {mt->precision, mt->recall, mt->f1, c->f1_fixed, mt->roc_auc,
                                  mt->pr_auc, mt->mcc, mt->balanced_accuracy};
                    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
                        fputc(',', out);
                        if (c->status == LL_CELL_OK)
                            csv_number(out, v[k]);
                    }
                    for (size_t k = 0; k < 3 + spec->n_at; k++) {
                        fputc(',', out);
                        if (c->status == LL_CELL_OK)
                            csv_number(out, c->score_metrics[k]);
                    }
                    fprintf(out, ",%.6f,%.6f,", c->fit.fit_seconds, c->fit.predict_seconds);
                    ll_csv_field(out, c->error);
                    fputc('\n', out);
                }
}

/* ",y,repeat,fold" of a row; the fold is empty for a row no cell tests (the earliest block of
 * time-ordered folds, which every fold trains on). */
static void csv_row_fold(FILE *out, const ll_dataset *data, const ll_run_result *run,
                         size_t rep, size_t i)
{
    uint32_t fold = run->fold_of_row[rep * run->n_rows + i];
    fprintf(out, ",%u,%zu,", data->y[i], rep);
    if (fold != LL_FOLD_EARLIEST && fold != LL_FOLD_NONE)
        fprintf(out, "%u", fold);
}

/* Time-ordered runs add the date column the folds were ordered by, so every split can be
 * checked from this file. */
static void write_folds_csv(FILE *out, const ll_spec *spec, const ll_dataset *data,
                            const ll_run_result *run)
{
    const char *date_column = run->forward && data->order_days ? spec->features.order_column
                                                               : NULL;
    fputs("row,id,y,repeat,fold", out);
    if (date_column) {
        fputc(',', out);
        ll_csv_field(out, date_column);
    }
    fputc('\n', out);
    for (size_t rep = 0; rep < run->repeats; rep++)
        for (size_t i = 0; i < run->n_rows; i++) {
            fprintf(out, "%zu,", i);
            if (data->ids)
                ll_csv_field(out, data->ids[i]);
            csv_row_fold(out, data, run, rep, i);
            if (date_column) {
                char date[16];
                fprintf(out, ",%s", ll_format_date(data->order_days[i], date, sizeof date));
            }
            fputc('\n', out);
        }
}

static void write_predictions_csv(FILE *out, const ll_spec *spec, const ll_dataset *data,
                                  const ll_run_result *run)
{
    fputs("row,id,y,repeat,fold", out);
    for (size_t m = 0; m < run->n_models; m++)
        for (size_t s = 0; s < run->n_samplers; s++) {
            /* Whole labels, never cut: they are unique, and so are the columns. */
            char *name = ll_format("%s|%s", spec->models[m].label, spec->samplers[s].label);
            fputc(',', out);
            ll_csv_field(out, name ? name : "?");
            free(name);
        }
    const ll_selection *sel = run->selection;
    if (sel) /* the selection's own out-of-fold scores: each fold's winner's */
        fputs(",selected (nested)", out);
    fputc('\n', out);
    for (size_t rep = 0; rep < run->repeats; rep++)
        for (size_t i = 0; i < run->n_rows; i++) {
            fprintf(out, "%zu,", i);
            if (data->ids)
                ll_csv_field(out, data->ids[i]);
            csv_row_fold(out, data, run, rep, i);
            for (size_t m = 0; m < run->n_models; m++)
                for (size_t s = 0; s < run->n_samplers; s++) {
                    double v = ll_oof_scores(run, m, s, rep)[i];
                    if (v >= 0.0)
                        fprintf(out, ",%.9g", v);
                    else
                        fputc(',', out); /* the cell that should have scored it failed or
                                            did not run, or no cell tests it */
                }
            uint32_t f = run->fold_of_row[rep * run->n_rows + i];
            if (sel) {
                /* rows no fold tests (time-ordered folds' earliest block) have no winner */
                const ll_selected_fold *sf = f < run->folds ? &sel->folds[rep * run->folds + f]
                                                            : NULL;
                fputc(',', out);
                if (sf && sf->status == LL_CELL_OK)
                    fprintf(out, "%.9g", ll_oof_scores(run, sf->model, sf->sampler, rep)[i]);
            }
            fputc('\n', out);
        }
}

void ll_report_configs_json(FILE *out, const ll_spec *spec, const char *separator)
{
    fputc('[', out);
    for (int kind = 0; kind < 2; kind++) {
        const ll_config *list = kind ? spec->samplers : spec->models;
        size_t n = kind ? spec->n_samplers : spec->n_models;
        for (size_t i = 0; i < n; i++) {
            fprintf(out, "%s%s{\"kind\": \"%s\", \"label\": ", kind || i ? "," : "", separator,
                    kind ? "sampler" : "model");
            ll_json_string(out, list[i].label);
            fputs(", \"plugin\": ", out);
            ll_json_string(out, list[i].plugin->name);
            fputs(", \"plugin_version\": ", out);
            ll_json_string(out, list[i].plugin->version);
            fputs(", \"params\": ", out);
            ll_params_write_json(list[i].params, out);
            fputc('}', out);
        }
    }
    fputs(separator[0] == '\n' ? "\n  ]" : "]", out);
}

/* The nested selection in run.json: the metric, and each outer fold's winner and F1. */
static void write_selection_json(FILE *out, const ll_spec *spec, const ll_run_result *run)
{
    const ll_selection *sel = run->selection;
    char key[64];
    fputs(",\n  \"selection\": {\"metric\": ", out);
    ll_json_string(out, ll_metric_key_at(sel->metric, spec->at, key, sizeof key));
    fprintf(out, ", \"inner_folds\": %zu, \"folds\": [", sel->inner_folds);
    for (size_t k = 0; k < sel->n_folds; k++) {
        const ll_selected_fold *sf = &sel->folds[k];
        fprintf(out, "%s\n    {\"repeat\": %zu, \"fold\": %zu, ", k ? "," : "", k / run->folds,
                k % run->folds);
        if (sf->status != LL_CELL_OK) {
            fputs("\"status\": ", out);
            ll_json_string(out, sf->status == LL_CELL_PENDING ? "pending" : "failed");
            fputs(", \"error\": ", out);
            ll_json_string(out, sf->error);
            fputc('}', out);
            continue;
        }
        fputs("\"status\": \"ok\", \"config\": ", out);
        ll_json_string(out, spec->models[sf->model].label);
        fputs(", \"sampler\": ", out);
        ll_json_string(out, spec->samplers[sf->sampler].label);
        fprintf(out, ", \"inner_value\": %.17g, \"threshold\": %.17g, \"f1\": %.17g}",
                sf->inner_value, sf->cell.threshold, sf->cell.metrics.f1);
    }
    fputs("]}", out);
}

static void write_run_json(FILE *out, const ll_spec *spec, const ll_dataset *data,
                           const ll_run_result *run, const ll_report_context *ctx)
{
    fputs("{\n  \"leadlab_version\": ", out);
    ll_json_string(out, LL_VERSION);
    fputs(",\n  \"spec_file\": ", out);
    ll_json_string(out, spec->path);
    fputs(",\n  \"command\": ", out);
    ll_json_string(out, ctx && ctx->command ? ctx->command : "");
    fputs(",\n  \"machine\": ", out);
    ll_json_string(out, ctx && ctx->machine ? ctx->machine : "");
    fprintf(out, ",\n  \"status\": \"%s\",\n  \"threads\": %d,\n  \"wall_seconds\": %.3f,\n"
                 "  \"cells\": %zu,\n  \"failed_cells\": %zu,\n  \"pending_cells\": %zu,\n"
                 "  \"cv_seed\": %llu,\n  \"data_hash\": ",
            run->n_pending ? "incomplete" : "complete", run->threads, run->wall_seconds,
            run->n_ok + run->n_failed + run->n_pending, run->n_failed, run->n_pending,
            (unsigned long long)spec->seed);
    ll_json_string(out, ctx && ctx->data_hash ? ctx->data_hash : "");
    fputs(",\n  \"spec\": ", out);
    ll_ynode_write_json(spec->tree, out);
    fputs(",\n  \"data\": {\"file\": ", out);
    ll_json_string(out, spec->train_path);
    fprintf(out, ", \"rows\": %zu, \"positives\": %zu, \"features\": [", data->n_rows,
            data->n_positive);
    for (size_t j = 0; j < data->n_cols; j++) {
        if (j)
            fputs(", ", out);
        ll_json_string(out, data->col_names[j]);
    }
    fputs("]},\n  \"configs\": ", out);
    ll_report_configs_json(out, spec, "\n    ");
    if (run->selection)
        write_selection_json(out, spec, run);
    fputs("\n}\n", out);
}

/* Descending mean; the feature's column order breaks ties, so the order is total. */
static int by_mean_desc(const void *a, const void *b)
{
    const ll_importance_stat *x = a, *y = b;
    if (x->mean != y->mean)
        return x->mean > y->mean ? -1 : 1;
    return x->feature < y->feature ? -1 : x->feature > y->feature;
}

/* Whether a finished cell holds importances of the data's features. */
static int has_importances(const ll_cell *c, size_t n_cols)
{
    return c->status == LL_CELL_OK && c->importances && c->n_importances == n_cols &&
           c->importance_kind[0];
}

int ll_row_importances(const ll_run_result *run, size_t model, size_t sampler, size_t n_cols,
                       ll_importance_fn fn, void *ctx)
{
    size_t p = n_cols, per = run->repeats * run->folds;
    double *column = malloc((per ? per : 1) * sizeof *column);
    ll_importance_stat *stats = malloc((p ? p : 1) * sizeof *stats);
    const ll_cell **of_kind = malloc((per ? per : 1) * sizeof *of_kind);
    if (!column || !stats || !of_kind) {
        free(column);
        free(stats);
        free(of_kind);
        return -1;
    }
    const ll_cell *first = &run->cells[ll_cell_index(run, model, sampler, 0, 0)];
    /* Each kind once, in the order the row's cells first name it. */
    for (size_t k = 0; k < per; k++) {
        const ll_cell *lead = first + k;
        if (!has_importances(lead, p))
            continue;
        int seen = 0;
        for (size_t e = 0; e < k && !seen; e++)
            seen = has_importances(first + e, p) &&
                   !strcmp(first[e].importance_kind, lead->importance_kind);
        if (seen)
            continue;
        size_t n = 0;
        for (size_t e = k; e < per; e++)
            if (has_importances(first + e, p) &&
                !strcmp(first[e].importance_kind, lead->importance_kind))
                of_kind[n++] = first + e;
        for (size_t j = 0; j < p; j++) {
            for (size_t e = 0; e < n; e++)
                column[e] = of_kind[e]->importances[j];
            stats[j].feature = j;
            stats[j].folds = ll_mean_sd(column, n, &stats[j].mean, &stats[j].sd);
        }
        qsort(stats, p, sizeof *stats, by_mean_desc);
        fn(lead->importance_kind, stats, p, ctx);
    }
    free(column);
    free(stats);
    free(of_kind);
    return 0;
}

typedef struct {
    FILE *out;
    const char *config, *sampler;
    char *const *names;
} csv_rows;

static void write_importance_rows(const char *kind, const ll_importance_stat *stats, size_t n,
                                  void *ctx)
{
    const csv_rows *c = ctx;
    for (size_t j = 0; j < n; j++) {
        ll_csv_field(c->out, c->config);
        fputc(',', c->out);
        ll_csv_field(c->out, c->sampler);
        fputc(',', c->out);
        ll_csv_field(c->out, c->names[stats[j].feature]);
        fputc(',', c->out);
        ll_csv_field(c->out, kind);
        /* + 0.0 prints a mean of -0 as 0 */
        fprintf(c->out, ",%.6f,%.6f,%zu\n", stats[j].mean + 0.0, stats[j].sd, stats[j].folds);
    }
}

/* importances.csv: per config x sampler (plan order) and kind of importance, one row per
 * feature with its mean and sd (n - 1) over the cells that measured it, by descending mean.
 * A row's kinds are kept apart: a mean of gains and permutation drops would mean nothing. */
static int write_importances_csv(FILE *out, const ll_spec *spec, const ll_dataset *data,
                                 const ll_run_result *run)
{
    fputs("config,sampler,feature,kind,mean,sd,folds\n", out);
    for (size_t m = 0; m < run->n_models; m++)
        for (size_t s = 0; s < run->n_samplers; s++) {
            csv_rows rows = {out, spec->models[m].label, spec->samplers[s].label,
                             data->col_names};
            if (ll_row_importances(run, m, s, data->n_cols, write_importance_rows, &rows) != 0)
                return -1;
        }
    return 0;
}

typedef enum {
    OUT_LB_MD, OUT_LB_CSV, OUT_CELLS, OUT_FOLDS, OUT_PRED, OUT_JSON, OUT_HTML, OUT_IMPORTANCES,
    OUT_SELECTION, OUT_SEARCH, OUT_ENSEMBLES
} output_kind;

static int write_one(const ll_spec *spec, const ll_dataset *data, const ll_run_result *run,
                     const ll_report_context *ctx, output_kind kind, const char *file,
                     ll_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", spec->out_dir, file);
    ll_atomic_file af;
    if (ll_atomic_open(&af, path, err) != 0)
        return -1;
    int rc = 0;
    switch (kind) {
    case OUT_LB_MD: rc = ll_report_markdown(af.f, spec, data, run, ctx); break;
    case OUT_LB_CSV: rc = write_leaderboard_csv(af.f, spec, run); break;
    case OUT_CELLS: write_cells_csv(af.f, spec, run); break;
    case OUT_FOLDS: write_folds_csv(af.f, spec, data, run); break;
    case OUT_PRED: write_predictions_csv(af.f, spec, data, run); break;
    case OUT_JSON: write_run_json(af.f, spec, data, run, ctx); break;
    case OUT_HTML: rc = ll_report_html(af.f, spec, data, run, ctx); break;
    case OUT_IMPORTANCES: rc = write_importances_csv(af.f, spec, data, run); break;
    case OUT_SELECTION: write_selection_csv(af.f, spec, run); break;
    case OUT_SEARCH: write_search_csv(af.f, spec, run); break;
    case OUT_ENSEMBLES: write_ensembles_csv(af.f, spec, run); break;
    }
    if (rc != 0 && !ferror(af.f)) { /* a write error is the commit's to report */
        fclose(af.f);
        remove(af.tmp);
        return ll_error_set(err, "%s: out of memory", path);
    }
    return ll_atomic_commit(&af, err);
}

int ll_report_write(const ll_spec *spec, const ll_dataset *data, const ll_run_result *run,
                    const ll_report_context *ctx, ll_error *err)
{
    if (ll_make_dirs(spec->out_dir, err) != 0)
        return -1;
    struct {
        unsigned need;
        output_kind kind;
        const char *file;
    } outputs[] = {
        {LL_OUT_MD, OUT_LB_MD, "leaderboard.md"},   {LL_OUT_CSV, OUT_LB_CSV, "leaderboard.csv"},
        {LL_OUT_CSV, OUT_CELLS, "cells.csv"},       {LL_OUT_CSV, OUT_FOLDS, "folds.csv"},
        {0, OUT_PRED, "predictions.csv"},           {LL_OUT_JSON, OUT_JSON, "run.json"},
        {~0u, OUT_HTML, "report.html"},
        {LL_OUT_CSV, OUT_IMPORTANCES, "importances.csv"},
        {LL_OUT_CSV, OUT_SELECTION, "selection.csv"},
        {LL_OUT_CSV, OUT_SEARCH, "search.csv"},
        {LL_OUT_CSV, OUT_ENSEMBLES, "ensembles.csv"},
    };
    const char *written[sizeof outputs / sizeof outputs[0] + 1];
    size_t n_written = 0;
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        int wanted = outputs[i].need == ~0u ? 1
                     : outputs[i].need      ? (spec->formats & outputs[i].need) != 0
                                            : spec->write_predictions;
        if (outputs[i].kind == OUT_IMPORTANCES)
            wanted = writes_importances(spec);
        if (outputs[i].kind == OUT_SELECTION)
            wanted = wanted && run->selection;
        if (outputs[i].kind == OUT_SEARCH)
            wanted = wanted && run->selection && run->selection->rungs > 1;
        if (outputs[i].kind == OUT_ENSEMBLES)
            wanted = wanted && run->ensembles;
        if (!wanted)
            continue;
        if (write_one(spec, data, run, ctx, outputs[i].kind, outputs[i].file, err) != 0)
            return -1;
        written[n_written++] = outputs[i].file;
    }
    /* Generated data inside the folder is the run's output too (and goes when it stops being). */
    const char *slash = spec->synth ? strrchr(spec->train_path, '/') : NULL;
    if (slash && (size_t)(slash - spec->train_path) == strlen(spec->out_dir) &&
        !strncmp(spec->train_path, spec->out_dir, strlen(spec->out_dir)))
        written[n_written++] = slash + 1;
    const char *inputs[] = {spec->path, spec->train_path};
    return ll_manifest_update(spec->out_dir, written, n_written, inputs, 2, err);
}
