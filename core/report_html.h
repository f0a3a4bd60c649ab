/* leadlab HTML report: report.html, one self-contained page per run (inline CSS and SVG, no
 * script, no network) with the leaderboard, charts drawn by core/svg, and provenance. */
#ifndef LL_CORE_REPORT_HTML_H
#define LL_CORE_REPORT_HTML_H

#include <stdio.h>

#include "dataset.h"
#include "report.h"
#include "runner.h"
#include "spec.h"

/* Writes the page of a run (complete, interrupted or with failed cells) to out. Numbers come
 * from `run` (its cells and out-of-fold scores); `ctx` adds the provenance. Returns 0, or -1
 * when memory runs out. */
int ll_report_html(FILE *out, const ll_spec *spec, const ll_dataset *data,
                   const ll_run_result *run, const ll_report_context *ctx);

/* The page frame shared with `leadlab compare --html`: doctype, head with the inline style
 * sheet, and <body><main>; ll_html_end closes them. */
void ll_html_begin(FILE *out, const char *title);
void ll_html_end(FILE *out);

/* A colour of the report's palette (Tableau 10, distinguishable for most colour vision). */
const char *ll_html_color(size_t i);

#endif
