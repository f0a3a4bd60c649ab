/* leadlab svg (see svg.h). Coordinates are printed with one decimal: a tenth of a pixel is
 * below what a screen shows and keeps long curves small. */
#include "svg.h"

#include <math.h>
#include <string.h>

enum { FONT_PX = 12, TITLE_PX = 14 };

ll_scale ll_scale_linear(double d0, double d1, double r0, double r1)
{
    if (d1 == d0) /* a degenerate domain maps everything to the middle, not to NaN */
        d1 = d0 + 1.0;
    return (ll_scale){d0, d1, r0, r1};
}

double ll_scale_map(const ll_scale *s, double v)
{
    return s->r0 + (v - s->d0) / (s->d1 - s->d0) * (s->r1 - s->r0);
}

double ll_nice_step(double span, size_t target)
{
    if (!(span > 0.0) || !isfinite(span))
        return 1.0;
    double raw = span / (double)(target ? target : 5);
    double power = pow(10.0, floor(log10(raw)));
    double f = raw / power;
    /* Switch at the geometric means of 1, 2, 5 and 10 (as d3 does), so the step chosen is the
     * nice one closest to the raw step in ratio. */
    double nice = f < M_SQRT2 ? 1.0 : f < sqrt(10.0) ? 2.0 : f < sqrt(50.0) ? 5.0 : 10.0;
    return nice * power;
}

size_t ll_nice_ticks(double lo, double hi, size_t target, double *ticks, size_t cap)
{
    double step = ll_nice_step(hi - lo, target);
    double slack = 1e-9 * fmax(fabs(hi - lo), 1e-300);
    size_t n = 0;
    for (double k = ceil((lo - slack) / step); n < cap; k++) {
        double v = k * step;
        if (v > hi + slack)
            break;
        ticks[n++] = fabs(v) < slack ? 0.0 : v; /* no "-0.0" */
    }
    return n;
}

int ll_tick_decimals(double step)
{
    int d = (int)ceil(-log10(step) - 1e-9);
    return d < 0 ? 0 : d > 9 ? 9 : d;
}

void ll_xml_text(FILE *out, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
}

double ll_text_width(const char *s, double px)
{
    double w = 0.0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) /* one per character, not per byte */
            w += strchr("il.,:;|!'()[] ", *s) ? 0.32 : strchr("mwMW@%", *s) ? 0.9 : 0.6;
    return w * px;
}

/* Writes at most `max_chars` characters of s, the last one an ellipsis when s is longer. */
static void write_trimmed(FILE *out, const char *s, size_t max_chars)
{
    size_t chars = 0;
    for (const char *p = s; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    if (!max_chars || chars <= max_chars) {
        ll_xml_text(out, s);
        return;
    }
    char buf[512];
    size_t len = 0, kept = 0;
    for (const char *p = s; *p && len + 4 < sizeof buf; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && kept++ == max_chars - 1)
            break;
        buf[len++] = *p;
    }
    memcpy(buf + len, "…", strlen("…") + 1);
    ll_xml_text(out, buf);
}

static void style_attrs(FILE *out, const ll_style *st, int fill)
{
    const char *color = st && st->color ? st->color : "#333";
    if (fill)
        fprintf(out, " fill=\"%s\"", color);
    else
        fprintf(out, " fill=\"none\" stroke=\"%s\" stroke-width=\"%g\"", color,
                st && st->width > 0 ? st->width : 2.0);
    if (st && st->dash)
        fprintf(out, " stroke-dasharray=\"%s\"", st->dash);
    if (st && st->opacity > 0 && st->opacity < 1)
        fprintf(out, " opacity=\"%g\"", st->opacity);
}

static void tooltip(FILE *out, const char *text)
{
    if (text) {
        fputs("<title>", out);
        ll_xml_text(out, text);
        fputs("</title>", out);
    }
}

void ll_chart_begin(ll_chart *c, FILE *out, const ll_chart_spec *sp)
{
    memset(c, 0, sizeof *c);
    c->out = out;
    c->width = sp->width;
    c->height = sp->height;
    snprintf(c->id, sizeof c->id, "%s", sp->id ? sp->id : "chart");
    c->plot_left = sp->left;
    c->plot_top = sp->top;
    c->plot_right = sp->width - sp->right;
    c->plot_bottom = sp->height - sp->bottom;
    c->x = ll_scale_linear(sp->x_min, sp->x_max, c->plot_left, c->plot_right);
    if (sp->n_rows)
        c->y = ll_scale_linear(0.0, (double)sp->n_rows, c->plot_top, c->plot_bottom);
    else
        c->y = ll_scale_linear(sp->y_min, sp->y_max, c->plot_bottom, c->plot_top);
    /* A viewBox and no fixed size: the page's CSS scales the chart to its column. */
    fprintf(out, "<svg id=\"%s\" class=\"chart\" viewBox=\"0 0 %g %g\" role=\"img\" "
                 "aria-labelledby=\"%s-title\" xmlns=\"http://www.w3.org/2000/svg\">\n",
            c->id, sp->width, sp->height, c->id);
    fprintf(out, "<title id=\"%s-title\">", c->id);
    ll_xml_text(out, sp->title ? sp->title : "");
    fputs("</title>\n", out);
    fprintf(out, "<defs><clipPath id=\"%s-clip\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                 "height=\"%.1f\"/></clipPath></defs>\n",
            c->id, c->plot_left, c->plot_top - 1, c->plot_right - c->plot_left,
            c->plot_bottom - c->plot_top + 2);
    if (sp->title) {
        fprintf(out, "<text class=\"chart-title\" x=\"%.1f\" y=\"%d\" font-size=\"%d\" "
                     "font-weight=\"600\">", c->plot_left, TITLE_PX + 4, TITLE_PX);
        ll_xml_text(out, sp->title);
        fputs("</text>\n", out);
    }
    /* Grid and tick labels of x. */
    double ticks[64];
    size_t n = ll_nice_ticks(sp->x_min, sp->x_max, sp->x_ticks, ticks, 64);
    int dx = ll_tick_decimals(ll_nice_step(sp->x_max - sp->x_min, sp->x_ticks));
    fprintf(out, "<g class=\"axis x\" font-size=\"%d\" fill=\"#444\" text-anchor=\"middle\">",
            FONT_PX);
    for (size_t i = 0; i < n; i++) {
        double px = ll_scale_map(&c->x, ticks[i]);
        fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
                     "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#666\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\">%.*f</text>",
                px, px, c->plot_top, c->plot_bottom, px, px, c->plot_bottom, c->plot_bottom + 5,
                px, c->plot_bottom + 5 + FONT_PX + 2, dx, ticks[i]);
    }
    fputs("</g>\n", out);
    /* Grid and tick labels of y, or the row names of a categorical axis. */
    fprintf(out, "<g class=\"axis y\" font-size=\"%d\" fill=\"#444\" text-anchor=\"end\">",
            FONT_PX);
    if (sp->n_rows) {
        double room = sp->left - 12;
        for (size_t i = 0; i < sp->n_rows; i++) {
            double py = ll_scale_map(&c->y, (double)i + 0.5);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\">",
                    c->plot_left - 8, py);
            tooltip(out, sp->row_titles && sp->row_titles[i] ? sp->row_titles[i] : sp->rows[i]);
            /* trimmed only when too wide, then to what the widest characters would fill */
            size_t max_chars = ll_text_width(sp->rows[i], FONT_PX) <= room
                                   ? 0
                                   : (size_t)(room / (0.6 * FONT_PX));
            write_trimmed(out, sp->rows[i], max_chars);
            fputs("</text>", out);
        }
    } else {
        n = ll_nice_ticks(sp->y_min, sp->y_max, sp->y_ticks, ticks, 64);
        int dy = ll_tick_decimals(ll_nice_step(sp->y_max - sp->y_min, sp->y_ticks));
        for (size_t i = 0; i < n; i++) {
            double py = ll_scale_map(&c->y, ticks[i]);
            fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                         "stroke=\"#e3e3e3\"/><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                         "y2=\"%.1f\" stroke=\"#666\"/><text x=\"%.1f\" y=\"%.1f\" "
                         "dominant-baseline=\"middle\">%.*f</text>",
                    c->plot_left, c->plot_right, py, py, c->plot_left - 5, c->plot_left, py, py,
                    c->plot_left - 8, py, dy, ticks[i]);
        }
    }
    fputs("</g>\n", out);
    /* The frame's left and bottom edges: the axes. */
    fprintf(out, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#666\"/>\n",
            c->plot_left, c->plot_top, c->plot_bottom, c->plot_right);
    if (sp->x_label) {
        fprintf(out, "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" "
                     "text-anchor=\"middle\" fill=\"#222\">",
                (c->plot_left + c->plot_right) / 2, c->plot_bottom + 2 * FONT_PX + 14,
                FONT_PX + 1);
        ll_xml_text(out, sp->x_label);
        fputs("</text>\n", out);
    }
    if (sp->y_label && !sp->n_rows) {
        double cy = (c->plot_top + c->plot_bottom) / 2;
        fprintf(out, "<text class=\"axis-title\" transform=\"translate(%d %.1f) rotate(-90)\" "
                     "font-size=\"%d\" text-anchor=\"middle\" fill=\"#222\">",
                FONT_PX + 4, cy, FONT_PX + 1);
        ll_xml_text(out, sp->y_label);
        fputs("</text>\n", out);
    }
    fprintf(out, "<g clip-path=\"url(#%s-clip)\">\n", c->id);
}

void ll_chart_end(ll_chart *c)
{
    fputs("</g>\n</svg>\n", c->out);
}

void ll_chart_line(ll_chart *c, const double *x, const double *y, size_t n,
                   const ll_style *style, const char *tip)
{
    FILE *out = c->out;
    fputs("<path d=\"", out);
    double last_x = NAN, last_y = NAN;
    int pen_down = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i])) {
            pen_down = 0;
            continue;
        }
        double px = ll_scale_map(&c->x, x[i]), py = ll_scale_map(&c->y, y[i]);
        int last = i + 1 == n || isnan(x[i + 1]) || isnan(y[i + 1]);
        if (pen_down && !last && fabs(px - last_x) < 1.0 && fabs(py - last_y) < 1.0)
            continue; /* within a pixel of the last point drawn */
        fprintf(out, "%c%.1f %.1f", pen_down ? 'L' : 'M', px, py);
        pen_down = 1;
        last_x = px;
        last_y = py;
    }
    fputc('"', out);
    style_attrs(out, style, 0);
    fputs(" stroke-linejoin=\"round\">", out);
    tooltip(out, tip);
    fputs("</path>\n", out);
}

void ll_chart_rect(ll_chart *c, double x0, double y0, double x1, double y1,
                   const ll_style *style, const char *tip)
{
    double a = ll_scale_map(&c->x, x0), b = ll_scale_map(&c->x, x1);
    double p = ll_scale_map(&c->y, y0), q = ll_scale_map(&c->y, y1);
    fprintf(c->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"", fmin(a, b),
            fmin(p, q), fabs(b - a), fabs(q - p));
    style_attrs(c->out, style, 1);
    fputc('>', c->out);
    tooltip(c->out, tip);
    fputs("</rect>\n", c->out);
}

void ll_chart_dot(ll_chart *c, double x, double y, double radius, const ll_style *style,
                  const char *tip)
{
    fprintf(c->out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%g\"", ll_scale_map(&c->x, x),
            ll_scale_map(&c->y, y), radius);
    style_attrs(c->out, style, 1);
    fputc('>', c->out);
    tooltip(c->out, tip);
    fputs("</circle>\n", c->out);
}

void ll_chart_error_bar(ll_chart *c, double y, double lo, double hi, double cap,
                        const ll_style *style)
{
    double py = ll_scale_map(&c->y, y);
    double a = ll_scale_map(&c->x, lo), b = ll_scale_map(&c->x, hi);
    fprintf(c->out, "<path d=\"M%.1f %.1fH%.1fM%.1f %.1fv%.1fM%.1f %.1fv%.1f\"", a, py, b, a,
            py - cap / 2, cap, b, py - cap / 2, cap);
    ll_style st = style ? *style : (ll_style){0};
    if (st.width <= 0)
        st.width = 1.5;
    style_attrs(c->out, &st, 0);
    fputs("/>\n", c->out);
}

void ll_chart_vline(ll_chart *c, double x, const ll_style *style, const char *label)
{
    ll_chart_vline_side(c, x, style, label, 1);
}

void ll_chart_vline_side(ll_chart *c, double x, const ll_style *style, const char *label,
                         int side)
{
    double px = ll_scale_map(&c->x, x);
    fprintf(c->out, "<path d=\"M%.1f %.1fV%.1f\"", px, c->plot_top, c->plot_bottom);
    style_attrs(c->out, style, 0);
    fputs("/>\n", c->out);
    if (label) {
        /* The side asked for, or the other one where the label would leave the plot. */
        double width = ll_text_width(label, FONT_PX) + 8;
        int flip = side < 0 ? px - width >= c->plot_left : px + width > c->plot_right;
        fprintf(c->out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" fill=\"%s\" "
                        "text-anchor=\"%s\" paint-order=\"stroke\" stroke=\"#fff\" "
                        "stroke-width=\"3\">",
                flip ? px - 4 : px + 4, c->plot_top + FONT_PX + 2, FONT_PX,
                style && style->color ? style->color : "#333", flip ? "end" : "start");
        ll_xml_text(c->out, label);
        fputs("</text>\n", c->out);
    }
}

void ll_chart_text(ll_chart *c, double x, double y, const char *text, int anchor,
                   const char *color)
{
    fprintf(c->out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" fill=\"%s\" "
                    "text-anchor=\"%s\" dominant-baseline=\"middle\">",
            ll_scale_map(&c->x, x), ll_scale_map(&c->y, y), FONT_PX, color ? color : "#333",
            anchor < 0 ? "start" : anchor > 0 ? "end" : "middle");
    ll_xml_text(c->out, text);
    fputs("</text>\n", c->out);
}

enum { LEGEND_LINE = FONT_PX + 7, LEGEND_PAD = 8 };

double ll_legend_height(size_t n) { return 2 * LEGEND_PAD + LEGEND_LINE * (double)n - 6; }

void ll_chart_square(ll_chart_spec *sp, const char *id, const char *title, const char *x_label,
                     const char *y_label, double extra_bottom)
{
    memset(sp, 0, sizeof *sp);
    sp->id = id;
    sp->title = title;
    sp->width = 600;
    sp->left = 62;
    sp->right = 18;
    sp->top = 34;
    sp->bottom = 56 + extra_bottom;
    sp->height = 394 + sp->bottom;
    sp->x_label = x_label;
    sp->y_label = y_label;
    sp->x_max = 1;
    sp->y_max = 1;
}

void ll_chart_legend(ll_chart *c, const ll_legend_item *items, size_t n, int where,
                     size_t max_chars)
{
    FILE *out = c->out;
    const double line_h = LEGEND_LINE, swatch = 22, pad = LEGEND_PAD;
    double text_w = 0;
    for (size_t i = 0; i < n; i++) {
        double w = ll_text_width(items[i].label, FONT_PX);
        if (max_chars)
            w = fmin(w, 0.6 * FONT_PX * (double)max_chars);
        text_w = fmax(text_w, w);
    }
    double box_w = pad + swatch + 6 + text_w + pad, box_h = ll_legend_height(n);
    double x0, y0;
    switch (where) {
    case LL_LEGEND_TOP_LEFT: x0 = c->plot_left + 8; y0 = c->plot_top + 8; break;
    case LL_LEGEND_TOP_RIGHT: x0 = c->plot_right - 8 - box_w; y0 = c->plot_top + 8; break;
    case LL_LEGEND_BOTTOM_LEFT: x0 = c->plot_left + 8; y0 = c->plot_bottom - 8 - box_h; break;
    case LL_LEGEND_BOTTOM_RIGHT:
        x0 = c->plot_right - 8 - box_w;
        y0 = c->plot_bottom - 8 - box_h;
        break;
    case LL_LEGEND_BELOW: x0 = c->plot_left; y0 = c->plot_bottom + 52; break;
    default: x0 = c->plot_right + 12; y0 = c->plot_top; break;
    }
    /* The legend is outside the clipped group: it may sit in the margin. */
    fprintf(out, "</g>\n<g class=\"legend\" font-size=\"%d\" fill=\"#222\">"
                 "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" "
                 "fill-opacity=\"0.88\" stroke=\"#ccc\" rx=\"3\"/>\n",
            FONT_PX, x0, y0, box_w, box_h);
    for (size_t i = 0; i < n; i++) {
        double cy = y0 + pad + line_h * (double)i + FONT_PX / 2.0;
        double sx = x0 + pad;
        fputs("<g>", out);
        tooltip(out, items[i].tooltip ? items[i].tooltip : items[i].label);
        if (items[i].kind == LL_LEGEND_BOX)
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\"", sx,
                    cy - 5, swatch);
        else if (items[i].kind == LL_LEGEND_DOT)
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\"", sx + swatch / 2, cy);
        else
            fprintf(out, "<path d=\"M%.1f %.1fh%.1f\"", sx, cy, swatch);
        style_attrs(out, &items[i].style, items[i].kind != LL_LEGEND_LINE);
        fprintf(out, "/><text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\">",
                sx + swatch + 6, cy);
        write_trimmed(out, items[i].label, max_chars);
        fputs("</text></g>\n", out);
    }
    fprintf(out, "</g>\n<g clip-path=\"url(#%s-clip)\">\n", c->id);
}
