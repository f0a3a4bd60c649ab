/* leadlab init (see init.h): one pass over each column decides its role, the spec is written
 * with a comment on every guess, and the result is loaded back as `leadlab run` loads it. */
#include "init.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "dataset.h"
#include "registry.h"
#include "runner.h"
#include "spec.h"
#include "text.h"

/* Integer codes become one-hot only up to this many distinct values: beyond it the indicators
 * outnumber what a fold's positives can support. */
#define MAX_CODES 20

typedef enum { ROLE_NUMBER, ROLE_FLAG, ROLE_CODES, ROLE_DATE, ROLE_ID, ROLE_DROP } role;

typedef struct {
    const char *name;
    role role;
    size_t n_missing, n_distinct;
    int all_numbers, all_integers, all_dates, increasing, id_named;
    size_t bad_row;        /* first row whose value is neither a number nor a date, or SIZE_MAX */
    double fill;           /* numbers: the median of the present values */
    double *codes;         /* ROLE_CODES: the sorted distinct values */
    size_t n_codes;
    unsigned parts;        /* ROLE_DATE: LL_DATE_* */
    long first_day, last_day;
    char why[320];         /* the comment for a dropped column */
} column;

/* The same missing spellings as the dataset reader (README: empty, NA, NaN). */
static int is_missing(const char *text)
{
    return text[0] == '\0' || !strcmp(text, "NA") || !strcmp(text, "NaN") || !strcmp(text, "nan");
}

static int parse_number(const char *text, double *v)
{
    char *end;
    if (!ll_is_decimal(text))
        return -1;
    *v = strtod(text, &end);
    return *end == '\0' && isfinite(*v) ? 0 : -1;
}

/* As the dataset compares labels: "1" and "1.0" are one value. */
static int same_label(const char *a, const char *b)
{
    double x, y;
    return !strcmp(a, b) || (parse_number(a, &x) == 0 && parse_number(b, &y) == 0 && x == y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* id, uuid, guid, *_id, *-id, *.id, * id, or camelCase *Id / *ID: not "paid" or "valid". */
static int named_like_id(const char *name)
{
    size_t n = strlen(name);
    if (!strcasecmp(name, "id") || !strcasecmp(name, "uuid") || !strcasecmp(name, "guid"))
        return 1;
    if (n >= 3 && !strcasecmp(name + n - 2, "id") && strchr("_-. ", name[n - 3]))
        return 1;
    if (n >= 5 && !strcasecmp(name + n - 4, "uuid") && strchr("_-. ", name[n - 5]))
        return 1;
    return n >= 3 && name[n - 2] == 'I' && (name[n - 1] == 'd' || name[n - 1] == 'D') &&
           islower((unsigned char)name[n - 3]);
}

/* Count-like: starts at 0 and each value is at least as frequent as the next larger one (most
 * rows 0, fewer at each step), as activity counters are; `sorted` holds the present values. */
static int count_like(const double *sorted, size_t n)
{
    if (n == 0 || sorted[0] != 0.0)
        return 0;
    size_t prev = SIZE_MAX;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && sorted[j] == sorted[i])
            j++;
        if (j - i > prev)
            return 0;
        prev = j - i;
        i = j;
    }
    return 1;
}

static size_t distinct_doubles(const double *sorted, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += i == 0 || sorted[i] != sorted[i - 1];
    return d;
}

/* Reads one column's values and decides its role (the id is chosen later among candidates). */
static int analyse(const ll_csv *csv, size_t at, column *c, double *nums, long *days,
                   char **texts)
{
    size_t n = 0;
    c->name = csv->header[at];
    c->all_numbers = c->all_dates = c->all_integers = c->increasing = 1;
    c->bad_row = SIZE_MAX;
    c->id_named = named_like_id(c->name);
    for (size_t i = 0; i < csv->n_rows; i++) {
        char *text = ll_trim(ll_csv_field(csv, i, at));
        if (is_missing(text)) {
            c->n_missing++;
            continue;
        }
        texts[n] = text;
        double v;
        long d;
        int num = parse_number(text, &v) == 0, date = ll_parse_date(text, &d) == 0;
        if (num && c->all_numbers) { /* nums[0..n) hold the values so far */
            nums[n] = v;
            c->all_integers &= v == floor(v) && fabs(v) < 1e15;
            c->increasing &= n == 0 || v > nums[n - 1];
        }
        if (date)
            days[n] = d;
        c->all_numbers &= num;
        c->all_dates &= date;
        if (!num && !date && c->bad_row == SIZE_MAX)
            c->bad_row = i;
        n++;
    }
    if (n == 0) {
        c->role = ROLE_DROP;
        snprintf(c->why, sizeof c->why, "every value is missing");
        return 0;
    }
    if (c->all_numbers) {
        qsort(nums, n, sizeof *nums, cmp_double);
        c->n_distinct = distinct_doubles(nums, n);
        c->fill = n % 2 ? nums[n / 2] : (nums[n / 2 - 1] + nums[n / 2]) / 2;
    } else if (c->all_dates) {
        qsort(days, n, sizeof *days, cmp_long);
        c->n_distinct = 0;
        for (size_t i = 0; i < n; i++)
            c->n_distinct += i == 0 || days[i] != days[i - 1];
        c->first_day = days[0];
        c->last_day = days[n - 1];
    } else {
        qsort(texts, n, sizeof *texts, cmp_text);
        c->n_distinct = 0;
        for (size_t i = 0; i < n; i++)
            c->n_distinct += i == 0 || strcmp(texts[i], texts[i - 1]) != 0;
    }
    int unique = c->n_missing == 0 && c->n_distinct == csv->n_rows && csv->n_rows >= 2;
    /* Unique reals or dates are measurements unless named like an id; unique integers that
     * run in file order or fill a range (1..n in any order) are row numbers; unique text is
     * a key (and could not be a feature anyway). */
    int shaped = c->all_numbers ? c->all_integers &&
                                      (c->increasing || nums[n - 1] - nums[0] + 1 == (double)n)
                                : !c->all_dates;
    if (unique && (c->id_named || shaped)) {
        c->role = ROLE_ID;
        return 0;
    }
    if (c->all_dates) {
        int years = 0, months = 0, weekdays = 0, y0, m0, d0, y, m, dd;
        ll_civil_from_days(days[0], &y0, &m0, &d0);
        for (size_t i = 1; i < n; i++) {
            ll_civil_from_days(days[i], &y, &m, &dd);
            years |= y != y0;
            months |= m != m0;
            weekdays |= ll_weekday_from_days(days[i]) != ll_weekday_from_days(days[0]);
        }
        c->parts = (years ? LL_DATE_YEAR : 0u) | (months ? LL_DATE_MONTH : 0u) |
                   (weekdays ? LL_DATE_DAYOFWEEK : 0u);
        c->role = c->parts ? ROLE_DATE : ROLE_DROP;
        if (!c->parts)
            snprintf(c->why, sizeof c->why, "a single date (%s), nothing to learn from", texts[0]);
        return 0;
    }
    if (!c->all_numbers) {
        c->role = ROLE_DROP;
        if (c->bad_row != SIZE_MAX)
            snprintf(c->why, sizeof c->why,
                     "text: '%.40s' (line %zu) is neither a number nor a YYYY-MM-DD date; %zu "
                     "distinct values (one-hot takes integer codes only)",
                     ll_csv_field(csv, c->bad_row, at), csv->lines[c->bad_row], c->n_distinct);
        else
            snprintf(c->why, sizeof c->why, "mixes numbers and YYYY-MM-DD dates");
        return 0;
    }
    if (c->n_distinct == 1 && c->n_missing == 0) {
        c->role = ROLE_DROP;
        snprintf(c->why, sizeof c->why, "constant: every value is %.40s", texts[0]);
        return 0;
    }
    int dense = nums[n - 1] - nums[0] + 1 <= 2.0 * (double)c->n_distinct;
    if (c->all_integers && c->n_distinct >= 3 && c->n_distinct <= MAX_CODES && dense &&
        !count_like(nums, n)) {
        c->role = ROLE_CODES;
        if (!(c->codes = malloc(c->n_distinct * sizeof *c->codes)))
            return -1;
        for (size_t i = 0; i < n; i++)
            if (i == 0 || nums[i] != nums[i - 1])
                c->codes[c->n_codes++] = nums[i];
        return 0;
    }
    if (c->id_named && c->all_integers) { /* a key shared by rows: its number means nothing */
        c->role = ROLE_DROP;
        snprintf(c->why, sizeof c->why, "named like an id but not unique (%zu distinct values): "
                 "an identifier's number is no feature", c->n_distinct);
        return 0;
    }
    c->role = nums[0] >= 0.0 && nums[n - 1] <= 1.0 && c->all_integers ? ROLE_FLAG : ROLE_NUMBER;
    return 0;
}

/* ---- YAML output ---- */

static int plain_ok(const char *s)
{
    static const char *const reserved[] = {"true", "false", "yes", "no", "on", "off",
                                           "null", "y", "n", "~"};
    if (!s[0] || !(isalnum((unsigned char)s[0]) || s[0] == '_' || s[0] == '.' || s[0] == '/'))
        return 0;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("_./-", *p)))
            return 0;
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (!strcasecmp(s, reserved[i]))
            return 0;
    return 1;
}

/* A name or path as a YAML scalar: plain when that reads back as the same text, else quoted. */
static void put_scalar(FILE *f, const char *s, int force_quotes)
{
    if (!force_quotes && plain_ok(s)) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Text inside a comment: a line break there would end the comment and become YAML. */
static const char *comment_safe(const char *text, char *buf, size_t cap)
{
    size_t n = 0;
    for (; text[n] && n + 1 < cap; n++)
        buf[n] = (unsigned char)text[n] < 0x20 || text[n] == 0x7f ? ' ' : text[n];
    buf[n] = '\0';
    return buf;
}

static void put_number(FILE *f, double v)
{
    char buf[40];
    ll_shortest_number(buf, sizeof buf, v);
    fputs(buf, f);
}

static void put_rate(FILE *f, size_t part, size_t whole)
{
    double pct = 100.0 * (double)part / (double)whole;
    fprintf(f, pct >= 0.1 ? "%.1f %%" : "%.2g %%", pct);
}

static void put_date(FILE *f, long days)
{
    int y, m, d;
    ll_civil_from_days(days, &y, &m, &d);
    fprintf(f, "%04d-%02d-%02d", y, m, d);
}

/* The default study; its run time is estimated from the scheduler's cost priors
 * (ll_plan_prior_cost in core/plan.c). */
static const struct {
    const char *name, *params;
    size_t configs;
} study_models[] = {
    {"logreg", "{C: [0.1, 1.0]}", 2},
    {"ridge", "{alpha: [1.0, 10.0]}", 2},
    {"knn", "{k: [5, 15]}", 2},
    {"svm", "{kernel: rbf, C: 1.0}", 1},
    {"bagging", "{n_estimators: 100, max_features: sqrt}", 1},
    {"sgb", "{n_estimators: [100, 300], learning_rate: 0.1, max_depth: [3, 5], subsample: 0.8}",
     4},
    {"dnn", "{hidden: [64, 64], dropout: 0.2, epochs: 30}", 1},
};
static const struct {
    const char *name, *item;
} study_samplers[] = {
    {"none", "none"}, {"smote", "smote"},
    {"undersample", "undersample: {method: random, ratio: 1.0}"}};

typedef struct {
    const char *data_rel, *name, *target, *positive, *negative, *positive_why;
    size_t rows, positives, folds;
    int tune;
    size_t smote_k, n_samplers; /* smote_k 0: too few positives for SMOTE, left out */
    column *cols;
    size_t n_cols;
    const column *id;
    const column *date_from, *date_to;
    char derived_name[300];
    double derived_fill;
    int derived_needs_fill;
    size_t cells;
    double seconds;
    int slots;
} plan;

static void format_duration(double seconds, char *buf, size_t cap)
{
    if (seconds < 90)
        snprintf(buf, cap, "%.0f s", ceil(seconds));
    else if (seconds < 5400)
        snprintf(buf, cap, "%.0f min", ceil(seconds / 60));
    else
        snprintf(buf, cap, "%.1f h", seconds / 3600);
}

static void write_spec(FILE *f, const plan *p)
{
    char safe[400], safe2[400];
    fputs("# Starter spec written by `leadlab init`: every choice below is a guess from the data,\n"
          "# explained beside it. Edit, then `leadlab validate` and `leadlab run` this file.\n",
          f);
    fprintf(f, "# Class balance: %zu rows, %zu positive (", p->rows, p->positives);
    put_rate(f, p->positives, p->rows);
    fprintf(f, "), %zu negative.\n", p->rows - p->positives);
    fprintf(f, "name: %s\ndata:\n  train: ", p->name);
    put_scalar(f, p->data_rel, 0);
    fputs("\n  target: ", f);
    put_scalar(f, p->target, 0);
    fputs("\n  positive: ", f);
    put_scalar(f, p->positive, 1);
    fprintf(f, "  # %s\n", comment_safe(p->positive_why, safe, sizeof safe));
    if (p->id) {
        fputs("  id: ", f);
        put_scalar(f, p->id->name, 0);
        fputs("  # unique per row: kept for predictions, not a feature\n", f);
    }
    size_t n_drop = 0, n_transform = 0, n_plain = 0;
    for (size_t i = 0; i < p->n_cols; i++) {
        const column *c = &p->cols[i];
        n_drop += c->role == ROLE_DROP || (c->role == ROLE_ID && c != p->id);
        n_transform += c->role == ROLE_CODES || c->role == ROLE_DATE ||
                       ((c->role == ROLE_NUMBER || c->role == ROLE_FLAG) && c->n_missing);
        n_plain += (c->role == ROLE_NUMBER || c->role == ROLE_FLAG) && !c->n_missing;
    }
    if (n_drop || n_transform || p->date_from)
        fputs("features:\n", f);
    else
        fputs("# features: none needs a transform\n", f);
    if (n_drop) {
        fputs("  drop:\n", f);
        for (size_t i = 0; i < p->n_cols; i++) {
            const column *c = &p->cols[i];
            if (c->role == ROLE_ID && c != p->id) {
                fprintf(f, "    # unique per row like an id; only one id is kept (%s)\n",
                        comment_safe(p->id->name, safe, sizeof safe));
            } else if (c->role == ROLE_DROP) {
                fprintf(f, "    # %s\n", comment_safe(c->why, safe, sizeof safe));
            } else {
                continue;
            }
            fputs("    - ", f);
            put_scalar(f, c->name, 0);
            fputc('\n', f);
        }
    }
    if (n_transform) {
        fputs("  columns:\n", f);
        for (size_t i = 0; i < p->n_cols; i++) {
            const column *c = &p->cols[i];
            int missing = c->n_missing > 0;
            if (c->role == ROLE_CODES) {
                fprintf(f, "    # %zu integer codes: one-hot proposed (delete the line to read "
                        "them as one number)", c->n_codes);
            } else if (c->role == ROLE_DATE) {
                fputs("    # YYYY-MM-DD dates from ", f);
                put_date(f, c->first_day);
                fputs(" to ", f);
                put_date(f, c->last_day);
                fputs(": date parts (a part that never changes is left out)", f);
            } else if (missing && (c->role == ROLE_NUMBER || c->role == ROLE_FLAG)) {
                fprintf(f, "    # %s", c->role == ROLE_FLAG ? "a 0/1 flag: missing reads as 0"
                                                            : "a number: missing reads as the "
                                                              "median");
            } else {
                continue;
            }
            if (missing) {
                fputs("; ", f);
                put_rate(f, c->n_missing, p->rows);
                fprintf(f, " missing (%zu rows), flagged in %s_missing", c->n_missing,
                        comment_safe(c->name, safe, sizeof safe));
                if (c->role == ROLE_CODES)
                    fputs(" (a missing code sets no indicator)", f);
            }
            fputs("\n    ", f);
            put_scalar(f, c->name, 0);
            fputs(": {", f);
            const char *sep = "";
            if (c->role == ROLE_CODES) {
                fputs("onehot: [", f);
                for (size_t k = 0; k < c->n_codes; k++) {
                    if (k)
                        fputs(", ", f);
                    put_number(f, c->codes[k]);
                }
                fputc(']', f);
                sep = ", ";
            } else if (c->role == ROLE_DATE) {
                fputs("date: [", f);
                const char *names[] = {"year", "month", "dayofweek"};
                const unsigned bits[] = {LL_DATE_YEAR, LL_DATE_MONTH, LL_DATE_DAYOFWEEK};
                const char *s = "";
                for (int k = 0; k < 3; k++)
                    if (c->parts & bits[k]) {
                        fprintf(f, "%s%s", s, names[k]);
                        s = ", ";
                    }
                fputc(']', f);
                sep = ", ";
            }
            /* One-hot needs no fill: a missing code sets no indicator, the flag says why. */
            if (missing && c->role != ROLE_CODES) {
                fprintf(f, "%sfill: ", sep);
                put_number(f, c->role == ROLE_NUMBER ? c->fill : 0.0);
                sep = ", ";
            }
            if (missing)
                fprintf(f, "%smissing_flag: true", sep);
            fputs("}\n", f);
        }
    }
    if (n_plain) {
        fputs("  # read as numbers as they are (z-scored in each fold):", f);
        size_t width = 60;
        for (size_t i = 0; i < p->n_cols; i++) {
            const column *c = &p->cols[i];
            if (!((c->role == ROLE_NUMBER || c->role == ROLE_FLAG) && !c->n_missing))
                continue;
            if (width + strlen(c->name) > 96) {
                fputs("\n  #", f);
                width = 3;
            }
            fprintf(f, " %s", comment_safe(c->name, safe, sizeof safe));
            width += strlen(c->name) + 1;
        }
        fputc('\n', f);
    }
    if (p->date_from) {
        fputs("  derived:\n", f);
        fprintf(f, "    # days from %s to %s (the first two date columns, earlier first)%s\n",
                comment_safe(p->date_from->name, safe, sizeof safe),
                comment_safe(p->date_to->name, safe2, sizeof safe2),
                p->derived_needs_fill ? "; the median when either is missing" : "");
        fputs("    ", f);
        put_scalar(f, p->derived_name, 0);
        fputs(": {days_between: [", f);
        put_scalar(f, p->date_from->name, 0);
        fputs(", ", f);
        put_scalar(f, p->date_to->name, 0);
        fputc(']', f);
        if (p->derived_needs_fill) {
            fputs(", fill: ", f);
            put_number(f, p->derived_fill);
        }
        fputs("}\n", f);
    }
    fputs("preprocess: {scale: zscore}  # fitted on each fold's training rows\n", f);
    fprintf(f, "cv: {folds: %zu, repeats: 1, seed: 42}  # stratified; by date: {method: time, "
               "column: COLUMN}\n", p->folds);
    fputs("samplers:\n", f);
    for (size_t s = 0; s < sizeof study_samplers / sizeof *study_samplers; s++) {
        if (strcmp(study_samplers[s].item, "smote"))
            fprintf(f, "  - %s\n", study_samplers[s].item);
        else if (p->smote_k == 5)
            fputs("  - smote: {k: 5, ratio: 1.0}\n", f);
        else if (p->smote_k)
            fprintf(f, "  - smote: {k: %zu, ratio: 1.0}  # k < 5: a fold's training rows hold "
                    "only %zu positives\n", p->smote_k, p->smote_k + 1);
        else
            fputs("  # smote left out: a fold's training rows hold too few positives\n", f);
    }
    fputs("models:\n", f);
    for (size_t m = 0; m < sizeof study_models / sizeof *study_models; m++)
        fprintf(f, "  - %s: %s\n", study_models[m].name, study_models[m].params);
    if (p->tune)
        fputs("threshold: {tune: f1, folds: 3, fixed: 0.5}  # the cut maximising F1 on inner "
              "out-of-fold scores\n", f);
    else
        fputs("threshold: 0.5  # too few positives for a nested tuning of the cut\n", f);
    fputs("# beside F1: the share of positives in the top 10 % of scores, and how honest the\n"
          "# probabilities are (lower Brier is better; add calibrate: {method: [none, "
          "isotonic]})\n"
          "metrics: [f1, pr_auc, brier, {recall_at: 0.1}, {lift_at: 0.1}]\n", f);
    fprintf(f, "output: {dir: results/%s}\n", p->name);
    size_t configs = 0;
    for (size_t m = 0; m < sizeof study_models / sizeof *study_models; m++)
        configs += study_models[m].configs;
    char about[32];
    format_duration(p->seconds, about, sizeof about);
    fprintf(f, "# %zu configs x %zu samplers x %zu folds = %zu cells; about %s", configs,
            p->n_samplers, p->folds, p->cells, about);
    fprintf(f, " with %d cells at once on this machine\n"
               "# (a rough estimate from per-plugin costs; the progress line's ETA learns the "
               "real ones)\n", p->slots);
}

/* ---- paths ---- */

/* The path of `to` from the folder `from`, both absolute and resolved (realpath). */
static char *relative_path(const char *from, const char *to)
{
    size_t i = 0, last = 0; /* last: just after the last '/' both share */
    while (from[i] && from[i] == to[i]) {
        if (from[i] == '/')
            last = i + 1;
        i++;
    }
    size_t ups = 0;
    const char *rest;
    if (from[i] == '\0' && to[i] == '/') { /* `to` is inside `from` */
        rest = to + i + 1;
    } else if (from[i] == '\0' && i > 0 && from[i - 1] == '/') { /* from is "/" */
        rest = to + i;
    } else {
        ups = 1;
        for (const char *q = from + last; *q; q++)
            ups += *q == '/';
        rest = to + last;
    }
    char *out = malloc(3 * ups + strlen(rest) + 1);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (size_t k = 0; k < ups; k++)
        strcat(out, "../");
    strcat(out, rest);
    return out;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* The spec's name: the spec file's stem in the characters a spec name may use. */
static void spec_name(const char *out, char *name, size_t cap)
{
    const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
    size_t n = 0;
    for (const char *p = base; *p && n + 1 < cap; p++) {
        if (!strcmp(p, ".yaml") || !strcmp(p, ".yml"))
            break;
        name[n++] = isalnum((unsigned char)*p) || *p == '-' || *p == '_' ? *p : '_';
    }
    name[n] = '\0';
    if (n == 0 || name[0] == '.')
        snprintf(name, cap, "experiment");
}

/* ---- the whole command ---- */

/* The two labels: exactly two distinct values, none missing; positive chosen or inferred. */
static int read_target(const char *path, const ll_csv *csv, size_t at, const char *given,
                       plan *p, char *why, size_t why_cap, ll_error *err)
{
    const char *label[3] = {NULL, NULL, NULL};
    size_t count[2] = {0, 0};
    for (size_t i = 0; i < csv->n_rows; i++) {
        char *text = ll_trim(ll_csv_field(csv, i, at));
        if (is_missing(text))
            return ll_error_set(err, "%s:%zu: column '%s': missing label ('%s'): every row "
                                "needs one", path, csv->lines[i], p->target, text);
        size_t k = 0;
        while (k < 2 && label[k] && !same_label(label[k], text))
            k++;
        if (k == 2)
            return ll_error_set(err, "%s:%zu: column '%s': a third value '%.40s' besides '%.40s' "
                                "and '%.40s': the target must have exactly two", path,
                                csv->lines[i], p->target, text, label[0], label[1]);
        label[k] = label[k] ? label[k] : text;
        count[k]++;
    }
    if (!label[1])
        return ll_error_set(err, "%s: column '%s': one value only ('%.40s'): the target must "
                            "have exactly two", path, p->target, label[0]);
    size_t pos;
    double a, b;
    if (given) {
        if (!same_label(given, label[0]) && !same_label(given, label[1]))
            return ll_error_set(err, "%s: column '%s': --positive '%s' is not one of its values "
                                "('%.40s', '%.40s')", path, p->target, given, label[0], label[1]);
        pos = same_label(given, label[0]) ? 0 : 1;
        p->positive = given;
        snprintf(why, why_cap, "given with --positive; the other value is '%s'", label[1 - pos]);
    } else if (parse_number(label[0], &a) == 0 && parse_number(label[1], &b) == 0 &&
               ((a == 0 && b == 1) || (a == 1 && b == 0))) {
        pos = a == 1 ? 0 : 1;
        p->positive = "1";
        snprintf(why, why_cap, "the values are 0 and 1: 1 is the positive class");
    } else {
        /* The minority is what imbalanced studies look for; a tie takes the later in text
         * order, so the choice does not depend on row order. */
        pos = count[0] < count[1] ? 0 : count[1] < count[0] ? 1
              : strcmp(label[0], label[1]) > 0 ? 0 : 1;
        p->positive = label[pos];
        snprintf(why, why_cap, "inferred: the minority value (%zu of %zu rows; the other is "
                 "'%.40s'); --positive V chooses", count[pos], csv->n_rows, label[1 - pos]);
    }
    p->positives = count[pos];
    return 0;
}

/* Days from one date column to another in the rows where both are present: *median gets
 * their median; returns how many rows had the first after the second minus the reverse. */
static long compare_dates(const ll_csv *csv, size_t a, size_t b, long *diffs, double *median,
                          int *any_missing)
{
    size_t n = 0;
    long later = 0;
    *any_missing = 0;
    for (size_t i = 0; i < csv->n_rows; i++) {
        long da, db;
        const char *ta = ll_trim(ll_csv_field(csv, i, a)), *tb = ll_trim(ll_csv_field(csv, i, b));
        if (is_missing(ta) || is_missing(tb) || ll_parse_date(ta, &da) || ll_parse_date(tb, &db)) {
            *any_missing = 1;
            continue;
        }
        diffs[n++] = db - da;
        later += (da > db) - (da < db);
    }
    qsort(diffs, n, sizeof *diffs, cmp_long);
    *median = n == 0 ? 0 : n % 2 ? (double)diffs[n / 2]
                                 : ((double)diffs[n / 2 - 1] + (double)diffs[n / 2]) / 2;
    return later;
}

/* Written to a temporary sibling and renamed, so a failed write leaves any old spec whole.
 * (report.h's ll_atomic_file does the same, but its ll_csv_field clashes with csv.h's.) */
static int write_file(const char *path, const plan *p, ll_error *err)
{
    char *tmp = ll_format("%s.%ld.tmp", path, (long)getpid());
    if (!tmp)
        return ll_error_set(err, "out of memory");
    FILE *f = fopen(tmp, "w");
    if (!f) {
        ll_error_io(err, "%s: cannot write: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    write_spec(f, p);
    int bad = ferror(f), e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        remove(tmp);
        ll_error_io(err, "%s: write failed: %s", path, strerror(e));
    }
    free(tmp);
    return bad ? -1 : 0;
}

static int validate_written(const char *out, ll_error *err)
{
    ll_registry reg;
    ll_spec spec;
    ll_error e;
    if (ll_spec_load(out, NULL, 0, &reg, &spec, &e) != 0)
        return ll_error_set(err, "%s was written but does not validate (a bug in leadlab init; "
                            "please report it): %s", out, e.msg);
    ll_encoder *enc = NULL;
    ll_dataset data;
    int rc = ll_dataset_load_train(spec.train_path, &spec.features, &enc, &data, &e);
    if (rc != 0)
        ll_error_set(err, "%s was written but its data does not load (a bug in leadlab init; "
                     "please report it): %s", out, e.msg);
    else
        ll_dataset_free(&data);
    ll_encoder_free(enc);
    ll_spec_free(&spec);
    ll_registry_free(&reg);
    return rc;
}

int ll_init_spec(const ll_init_options *opt, ll_init_summary *summary, ll_error *err)
{
    memset(summary, 0, sizeof *summary);
    if (!opt->data || !opt->target || !opt->out)
        return ll_error_set(err, "init needs a data file, --target and an output path");
    struct stat st;
    if (same_file(opt->out, opt->data))
        return ll_error_set(err, "--out %s is the data file; choose another name", opt->out);
    if (stat(opt->out, &st) == 0 && S_ISDIR(st.st_mode))
        return ll_error_set(err, "--out %s is a folder; name the spec file", opt->out);
    if (stat(opt->out, &st) == 0 && !opt->force)
        return ll_error_set(err, "%s exists; --force overwrites it", opt->out);
    ll_csv csv;
    if (ll_csv_read(opt->data, &csv, err) != 0)
        return -1;
    plan p = {.target = opt->target, .rows = csv.n_rows};
    column *cols = calloc(csv.n_cols, sizeof *cols);
    double *nums = malloc(csv.n_rows * sizeof *nums);
    long *days = malloc(csv.n_rows * sizeof *days);
    char **texts = malloc(csv.n_rows * sizeof *texts);
    char *data_abs = NULL, *dir_abs = NULL, *rel = NULL, *dir = NULL;
    char why[256], name[128];
    int rc = -1;
    if (!cols || !nums || !days || !texts) {
        ll_error_set(err, "%s: out of memory", opt->data);
        goto out;
    }
    long target_at = ll_csv_column(&csv, opt->target);
    if (target_at < 0) {
        ll_error_set(err, "%s: --target: no column '%s'", opt->data, opt->target);
        goto out;
    }
    if (read_target(opt->data, &csv, (size_t)target_at, opt->positive, &p, why, sizeof why,
                    err) != 0)
        goto out;
    p.positive_why = why;
    size_t minority = p.positives < p.rows - p.positives ? p.positives : p.rows - p.positives;
    if (minority < 2) {
        ll_error_set(err, "%s: column '%s': %zu row%s of one class: cross-validation needs at "
                     "least 2 of each", opt->data, opt->target, minority, minority == 1 ? "" : "s");
        goto out;
    }
    p.folds = minority < 5 ? minority : 5;
    /* The cut is tuned on inner folds of each outer training fold: each needs positives. */
    /* The cut is tuned on 3 inner folds of each outer training fold; SMOTE's k neighbours
     * must be fewer than the positives of the rows it resamples (the inner training rows
     * when the cut is tuned). Tuning needs 6 there, else the cut stays fixed at 0.5. */
    size_t outer = minority - (minority + p.folds - 1) / p.folds;
    size_t inner = outer - (outer + 2) / 3;
    p.tune = inner >= 6;
    size_t avail = p.tune ? inner : outer;
    p.smote_k = avail > 5 ? 5 : avail > 1 ? avail - 1 : 0;
    for (size_t j = 0; j < csv.n_cols; j++) {
        if (j == (size_t)target_at)
            continue;
        column *c = &cols[p.n_cols++];
        if (analyse(&csv, j, c, nums, days, texts) != 0) {
            ll_error_set(err, "%s: out of memory", opt->data);
            goto out;
        }
    }
    p.cols = cols;
    /* One id: the first named like one, else the first shaped like one. */
    for (int pass = 0; pass < 2 && !p.id; pass++)
        for (size_t i = 0; i < p.n_cols && !p.id; i++)
            if (cols[i].role == ROLE_ID && (pass || cols[i].id_named))
                p.id = &cols[i];
    const column *dates[2] = {NULL, NULL};
    for (size_t i = 0; i < p.n_cols; i++) {
        if (cols[i].role == ROLE_DATE && (!dates[0] || !dates[1]))
            dates[dates[0] ? 1 : 0] = &cols[i];
        summary->features += cols[i].role <= ROLE_DATE;
        summary->dropped += cols[i].role == ROLE_DROP || (cols[i].role == ROLE_ID && &cols[i] != p.id);
    }
    if (summary->features == 0) {
        ll_error_set(err, "%s: no usable feature column: every column is the target, an id or "
                     "dropped (text, constant or empty)", opt->data);
        goto out;
    }
    if (dates[1]) {
        int any_missing;
        size_t a = (size_t)ll_csv_column(&csv, dates[0]->name);
        size_t b = (size_t)ll_csv_column(&csv, dates[1]->name);
        long later = compare_dates(&csv, a, b, days, &p.derived_fill, &any_missing);
        p.date_from = later > 0 ? dates[1] : dates[0];
        p.date_to = later > 0 ? dates[0] : dates[1];
        if (later > 0)
            compare_dates(&csv, b, a, days, &p.derived_fill, &any_missing);
        p.derived_needs_fill = any_missing;
        snprintf(p.derived_name, sizeof p.derived_name, "days_%s_to_%s", p.date_from->name,
                 p.date_to->name);
        for (int k = 2; ll_csv_column(&csv, p.derived_name) >= 0; k++)
            snprintf(p.derived_name, sizeof p.derived_name, "days_%s_to_%s_%d",
                     p.date_from->name, p.date_to->name, k);
    }
    /* The estimate: the cells' prior seconds shared among the cells that run at once. */
    p.slots = opt->threads > 0 ? opt->threads : omp_get_num_procs();
    size_t configs = 0, n_train = p.rows - p.rows / p.folds;
    double per_fold = 0;
    for (size_t m = 0; m < sizeof study_models / sizeof *study_models; m++)
        configs += study_models[m].configs;
    for (size_t s = 0; s < sizeof study_samplers / sizeof *study_samplers; s++) {
        if (!p.smote_k && !strcmp(study_samplers[s].name, "smote"))
            continue;
        p.n_samplers++;
        for (size_t m = 0; m < sizeof study_models / sizeof *study_models; m++)
            per_fold += (double)study_models[m].configs *
                        ll_plan_prior_cost(study_models[m].name, study_samplers[s].name, n_train);
    }
    p.cells = configs * p.n_samplers * p.folds;
    p.seconds = per_fold * (double)p.folds / (double)(p.slots > 0 ? p.slots : 1);
    /* data.train relative to the spec's folder, as in every spec */
    const char *slash = strrchr(opt->out, '/');
    dir = slash ? strndup(opt->out, (size_t)(slash - opt->out) + (slash == opt->out))
                : strdup(".");
    if (!dir) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    if (!(data_abs = realpath(opt->data, NULL))) {
        ll_error_set(err, "%s: %s", opt->data, strerror(errno));
        goto out;
    }
    if (!(dir_abs = realpath(dir, NULL))) {
        ll_error_set(err, "--out %s: folder %s: %s", opt->out, dir, strerror(errno));
        goto out;
    }
    if (!(rel = relative_path(dir_abs, data_abs))) {
        ll_error_set(err, "out of memory");
        goto out;
    }
    p.data_rel = rel;
    spec_name(opt->out, name, sizeof name);
    p.name = name;
    if (write_file(opt->out, &p, err) != 0)
        goto out;
    if (validate_written(opt->out, err) != 0)
        goto out;
    summary->rows = p.rows;
    summary->positives = p.positives;
    summary->cells = p.cells;
    summary->seconds = p.seconds;
    format_duration(p.seconds, summary->estimate, sizeof summary->estimate);
    snprintf(summary->positive, sizeof summary->positive, "%s", p.positive);
    rc = 0;
out:
    for (size_t i = 0; cols && i < csv.n_cols; i++)
        free(cols[i].codes);
    free(cols);
    free(nums);
    free(days);
    free(texts);
    free(data_abs);
    free(dir_abs);
    free(rel);
    free(dir);
    ll_csv_free(&csv);
    return rc;
}
