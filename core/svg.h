/* leadlab svg: a small chart module that writes inline SVG text: linear scales with nice ticks,
 * a plot frame with grid, tick labels and axis titles, polylines, bars, error bars, dots,
 * reference lines and a legend. It knows nothing of leaderboards; colours are the caller's. */
#ifndef LL_CORE_SVG_H
#define LL_CORE_SVG_H

#include <stddef.h>
#include <stdio.h>

/* A linear map from data [d0, d1] to pixels [r0, r1] (r1 < r0 for a y axis growing upward). */
typedef struct {
    double d0, d1, r0, r1;
} ll_scale;

ll_scale ll_scale_linear(double d0, double d1, double r0, double r1);
double ll_scale_map(const ll_scale *s, double v);

/* The "nice" tick step (1, 2 or 5 times a power of ten) nearest, in ratio, to span / target
 * (target 0 means 5): span 1 gives 0.2, span 0.074 gives 0.02, span 7 gives 1. */
double ll_nice_step(double span, size_t target);
/* The multiples of ll_nice_step(hi - lo, target) within [lo, hi] (with a 1e-9 relative slack
 * at both ends), ascending, at most `cap`; returns how many were written. */
size_t ll_nice_ticks(double lo, double hi, size_t target, double *ticks, size_t cap);
/* Decimals that print every multiple of `step` exactly enough: 0 for 1, 1 for 0.2, 2 for 0.05. */
int ll_tick_decimals(double step);

/* Writes s with &, <, >, " and ' escaped, for XML and HTML text and attributes. */
void ll_xml_text(FILE *out, const char *s);
/* Rough rendered width of s in px at font size `px` (sans-serif; UTF-8 counted per character),
 * for laying out labels without a font engine. */
double ll_text_width(const char *s, double px);

typedef struct {
    const char *id;            /* the <svg> element's id (unique in the page) */
    const char *title;         /* drawn above the plot and used as the accessible name */
    double width, height;      /* the whole chart, px */
    double left, right, top, bottom; /* margins around the plot area, px */
    const char *x_label, *y_label;   /* axis titles, with units */
    double x_min, x_max, y_min, y_max;
    size_t x_ticks, y_ticks;   /* target tick counts; 0 means 5 */
    /* A categorical y axis (bar charts) when n_rows > 0: rows 0 .. n_rows - 1 from the top,
     * row i spanning y in [i, i + 1] (its centre at i + 0.5), named by rows[i] (trimmed with an
     * ellipsis to the left margin; row_titles[i], may be NULL, is the tooltip). y_min, y_max
     * and y_ticks are then unused. */
    const char *const *rows;
    const char *const *row_titles;
    size_t n_rows;
} ll_chart_spec;

typedef struct {
    FILE *out;
    ll_scale x, y;
    double plot_left, plot_top, plot_right, plot_bottom; /* the plot area, px */
    double width, height;
    char id[64];
} ll_chart;

typedef struct {
    const char *color; /* any CSS colour */
    double width;      /* stroke width in px; 0 means 2 */
    const char *dash;  /* stroke-dasharray, e.g. "6 4"; NULL for solid */
    double opacity;    /* 0 means 1 */
} ll_style;

/* Opens <svg>, draws the title, grid, axes, ticks and axis titles. Everything drawn until
 * ll_chart_end is in data coordinates and clipped to the plot area (the legend excepted). */
void ll_chart_begin(ll_chart *c, FILE *out, const ll_chart_spec *spec);
void ll_chart_end(ll_chart *c);

/* A polyline through (x[i], y[i]); points closer than a pixel to the last one drawn are
 * skipped (the last point never is), so a curve of 40,000 points stays a few kB. NaN points
 * break the line. `tooltip` (may be NULL) shows on hover. */
void ll_chart_line(ll_chart *c, const double *x, const double *y, size_t n,
                   const ll_style *style, const char *tooltip);
/* A filled rectangle between (x0, y0) and (x1, y1), e.g. a bar. */
void ll_chart_rect(ll_chart *c, double x0, double y0, double x1, double y1,
                   const ll_style *style, const char *tooltip);
/* A dot of radius `radius` px at (x, y). */
void ll_chart_dot(ll_chart *c, double x, double y, double radius, const ll_style *style,
                  const char *tooltip);
/* A horizontal error bar from lo to hi at height y, with end caps `cap` px tall. */
void ll_chart_error_bar(ll_chart *c, double y, double lo, double hi, double cap,
                        const ll_style *style);
/* A vertical reference line across the plot at x, labelled at its top (label may be NULL),
 * right of the line unless that would leave the plot. */
void ll_chart_vline(ll_chart *c, double x, const ll_style *style, const char *label);
/* The same with the label on a chosen side (-1 left, +1 right) where it fits, so that two
 * lines close together can label away from each other. */
void ll_chart_vline_side(ll_chart *c, double x, const ll_style *style, const char *label,
                         int side);

/* Text at (x, y), vertically centred; anchor -1 start, 0 middle, 1 end; colour may be NULL. */
void ll_chart_text(ll_chart *c, double x, double y, const char *text, int anchor,
                   const char *color);

enum { LL_LEGEND_LINE, LL_LEGEND_BOX, LL_LEGEND_DOT };
enum { LL_LEGEND_TOP_LEFT, LL_LEGEND_TOP_RIGHT, LL_LEGEND_BOTTOM_LEFT, LL_LEGEND_BOTTOM_RIGHT,
       LL_LEGEND_OUTSIDE_RIGHT, LL_LEGEND_BELOW };
/* Height in px a legend of n items takes (for the bottom margin of LL_LEGEND_BELOW). */
double ll_legend_height(size_t n);

/* The report's square chart frame (600 wide, a 394-high plot area plus the axis labels and
 * `extra_bottom` below it, say a legend's ll_legend_height), over [0, 1] x [0, 1], so charts
 * side by side in a grid row scale alike. */
void ll_chart_square(ll_chart_spec *sp, const char *id, const char *title, const char *x_label,
                     const char *y_label, double extra_bottom);

typedef struct {
    const char *label;
    const char *tooltip; /* may be NULL */
    ll_style style;
    int kind;            /* LL_LEGEND_* swatch */
} ll_legend_item;

/* A legend box in a corner of the plot area (on a white, slightly transparent background),
 * in the right margin (LL_LEGEND_OUTSIDE_RIGHT), or under the x axis title (LL_LEGEND_BELOW:
 * the bottom margin must be 56 px plus ll_legend_height(n)), where no curve can hide it. Labels longer than `max_chars`
 * characters are trimmed with an ellipsis (0: no limit). */
void ll_chart_legend(ll_chart *c, const ll_legend_item *items, size_t n, int where,
                     size_t max_chars);

#endif
