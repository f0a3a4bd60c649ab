/* leadlab dataset (see dataset.h): validates the spec against a CSV header, learns the encoder
 * from the training file and turns any file of the same schema into a dense feature matrix. */
#include "dataset.h"

#include "csv.h"
#include "encoder.h"
#include "params.h"
#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEARNED_CATEGORIES 64
#define NOT_FOUND ((size_t)-1)
#define MAX_SHOWN_TEXT 60 /* characters of a bad value quoted in an error */

/* Where each column the encoder needs sits in one particular file. */
typedef struct {
    size_t *raw_at;
    size_t *source_at; /* every derived column's sources, one after the other */
    size_t target_at, id_at;
} column_map;

/* A growable text, reused row after row to build keys without a malloc per row. */
typedef struct {
    char *text;
    size_t len, cap;
} key_buffer;

/* ---- calendar ---------------------------------------------------------------------------- */

long ll_days_from_civil(int year, int month, int day)
{
    long y = (long)year - (month <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned year_of_era = (unsigned)(y - era * 400);
    unsigned m = (unsigned)month, d = (unsigned)day;
    unsigned day_of_year = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + (long)day_of_era - 719468;
}

void ll_civil_from_days(long days, int *year, int *month, int *day)
{
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned day_of_era = (unsigned)(z - era * 146097);
    unsigned year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    unsigned mp = (5 * day_of_year + 2) / 153;
    unsigned d = day_of_year - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)((long)year_of_era + era * 400 + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

int ll_weekday_from_days(long days)
{
    long r = days % 7; /* 1970-01-01 was a Thursday, which is 3 counting Monday as 0 */
    if (r < 0)
        r += 7;
    return (int)((r + 3) % 7);
}

static long day_of_year(long days)
{
    int year, month, day;
    ll_civil_from_days(days, &year, &month, &day);
    return days - ll_days_from_civil(year, 1, 1) + 1;
}

/* ISO 8601: a Monday-to-Sunday week belongs to the year holding its Thursday. */
static long iso_week(long days)
{
    long thursday = days - ll_weekday_from_days(days) + 3;
    return (day_of_year(thursday) - 1) / 7 + 1;
}

static int is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int ll_parse_date(const char *text, long *days)
{
    static const int month_length[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (text[i] != '-')
                return -1;
        } else if (text[i] < '0' || text[i] > '9') {
            return -1;
        }
    }
    if (text[10] != '\0')
        return -1;
    int year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    int month = (text[5] - '0') * 10 + (text[6] - '0');
    int day = (text[8] - '0') * 10 + (text[9] - '0');
    if (month < 1 || month > 12 || day < 1)
        return -1;
    int length = month_length[month - 1] + (month == 2 && is_leap_year(year));
    if (day > length)
        return -1;
    *days = ll_days_from_civil(year, month, day);
    return 0;
}

char *ll_format_date(long days, char *buf, size_t len)
{
    int year, month, day;
    ll_civil_from_days(days, &year, &month, &day);
    snprintf(buf, len, "%04d-%02d-%02d", year, month, day);
    return buf;
}

/* ---- small helpers ----------------------------------------------------------------------- */

static char *copy_string(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int is_missing(const char *text)
{
    return text[0] == '\0' || strcmp(text, "NA") == 0 || strcmp(text, "NaN") == 0 ||
           strcmp(text, "nan") == 0;
}

/* The whole text must be a finite decimal number: "2.0" yes, "2 kg", "inf", "0x10" and "" no. */
static int parse_number(const char *text, double *value)
{
    char *end;
    if (!ll_is_decimal(text))
        return -1;
    double v = strtod(text, &end);
    if (*end != '\0' || !isfinite(v))
        return -1;
    *value = v;
    return 0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Index of v in the ascending array, or NOT_FOUND; *insert_at receives where it would go. */
static size_t search_sorted(const double *values, size_t n, double v, size_t *insert_at)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (values[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (insert_at)
        *insert_at = lo;
    return lo < n && values[lo] == v ? lo : NOT_FOUND;
}

/* "a, b, c, ... (12 more)", kept short enough to leave room in a one-line error. */
static void join_names(char *buf, size_t cap, char *const *names, size_t n)
{
    const size_t reserve = 24; /* room for ", ... (N more)" */
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t need = strlen(names[i]) + (i ? 2 : 0);
        if (used + need + reserve >= cap) {
            snprintf(buf + used, cap - used, "%s... (%zu more)", i ? ", " : "", n - i);
            return;
        }
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", names[i]);
    }
}

/* Numbers compare numerically so a label "1" matches "1.0" in the file. */
static int label_matches(const char *text, const char *label)
{
    if (strcmp(text, label) == 0)
        return 1;
    double a, b;
    return parse_number(text, &a) == 0 && parse_number(label, &b) == 0 && a == b;
}

static int in_list(const char *name, char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

/* ---- encoder ----------------------------------------------------------------------------- */

void ll_encoder_free(ll_encoder *enc)
{
    if (!enc)
        return;
    free(enc->target);
    free(enc->positive);
    free(enc->negative);
    free(enc->id);
    for (size_t c = 0; c < enc->n_columns; c++) {
        free(enc->columns[c].name);
        free(enc->columns[c].categories);
    }
    free(enc->columns);
    for (size_t d = 0; d < enc->n_derived; d++) {
        derived_column *dc = &enc->derived[d];
        free(dc->name);
        for (size_t j = 0; j < dc->n_sources; j++)
            free(dc->sources[j]);
        free(dc->sources);
        for (size_t k = 0; k < dc->keys.n; k++)
            free(dc->keys.keys[k]);
        free(dc->keys.keys);
    }
    free(enc->derived);
    for (size_t f = 0; f < enc->n_features; f++)
        free(enc->feature_names[f]);
    free(enc->feature_names);
    free(enc);
}

/* Collects names that are absent from a file, for one error that lists them all. */
typedef struct {
    char text[400];
    size_t used, count;
} missing_names;

static void note_if_missing(const ll_csv *csv, const char *name, const char *role,
                            missing_names *missing)
{
    if (ll_csv_column(csv, name) >= 0 || missing->used >= sizeof missing->text)
        return;
    char quoted[160];
    snprintf(quoted, sizeof quoted, "'%s'", name);
    if (!role && strstr(missing->text, quoted))
        return; /* needed twice (e.g. by two days_between): say it once */
    int n = snprintf(missing->text + missing->used, sizeof missing->text - missing->used,
                     "%s%s%s%s%s", missing->count ? ", " : "", quoted, role ? " (" : "",
                     role ? role : "", role ? ")" : "");
    missing->used += n > 0 ? (size_t)n : 0;
    missing->count++;
}

static int report_missing(const char *path, const ll_csv *csv, const char *what,
                          const missing_names *missing, ll_error *err)
{
    char columns[300];
    join_names(columns, sizeof columns, csv->header, csv->n_cols);
    return ll_error_set(err, "%s: %s not found: %s (columns: %s)", path, what, missing->text,
                        columns);
}

/* The name among `names` closest to `word` when it is close enough to be a typo, else NULL. */
static const char *nearest_name(const char *word, char *const *names, size_t n, char *buf,
                                size_t len)
{
    size_t best = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = ll_edit_distance(word, names[i]);
        if (d < best) {
            best = d;
            snprintf(buf, len, "%s", names[i]);
        }
    }
    size_t limit = strlen(word) / 3 > 1 ? strlen(word) / 3 : 1; /* 'b' is no typo of 'buy' */
    return best <= limit ? buf : NULL;
}

static const char *derived_kind_name(ll_derived_kind kind)
{
    switch (kind) {
    case LL_DERIVED_DAYS_BETWEEN:
        return "days_between";
    case LL_DERIVED_SUM:
        return "sum";
    case LL_DERIVED_COUNT:
        return "count";
    case LL_DERIVED_FREQUENCY:
        return "frequency";
    case LL_DERIVED_TARGET:
        return "target";
    }
    return NULL;
}

int ll_derived_is_learned(ll_derived_kind kind)
{
    return kind == LL_DERIVED_COUNT || kind == LL_DERIVED_FREQUENCY || kind == LL_DERIVED_TARGET;
}

static const char *source_role(ll_derived_kind kind, size_t j)
{
    if (kind == LL_DERIVED_DAYS_BETWEEN)
        return j == 0 ? "days_between from" : "days_between to";
    return derived_kind_name(kind);
}

/* Every column the spec names must be in the file; one error lists all that are not. */
static int check_spec_columns(const char *path, const ll_csv *csv, const ll_feature_spec *spec,
                              ll_error *err)
{
    missing_names missing = { .used = 0 };
    if (spec->id)
        note_if_missing(csv, spec->id, "id", &missing);
    for (size_t i = 0; i < spec->n_drop; i++)
        note_if_missing(csv, spec->drop[i], "drop", &missing);
    for (size_t i = 0; i < spec->n_transforms; i++)
        note_if_missing(csv, spec->transforms[i].column, "transform", &missing);
    for (size_t i = 0; i < spec->n_derived; i++)
        for (size_t j = 0; j < spec->derived[i].n_columns; j++)
            note_if_missing(csv, spec->derived[i].columns[j],
                            source_role(spec->derived[i].kind, j), &missing);
    if (spec->order_column)
        note_if_missing(csv, spec->order_column, "cv.column", &missing);
    if (missing.count == 0)
        return 0;
    return report_missing(path, csv, missing.count > 1 ? "columns named in the spec"
                                                       : "column named in the spec",
                          &missing, err);
}

static int check_spec_shape(const char *path, const ll_feature_spec *spec, ll_error *err)
{
    if (!spec->target || !spec->positive)
        return ll_error_set(err, "%s: the spec gives no target column or positive label", path);
    if (spec->negative && label_matches(spec->negative, spec->positive))
        return ll_error_set(err, "%s: column '%s': positive and negative labels are both '%s'",
                            path, spec->target, spec->positive);
    for (size_t i = 0; i < spec->n_transforms; i++) {
        const ll_column_transform *t = &spec->transforms[i];
        if (!t->column)
            return ll_error_set(err, "%s: transform %zu names no column", path, i + 1);
        if (strcmp(t->column, spec->target) == 0 || (spec->id && strcmp(t->column, spec->id) == 0))
            return ll_error_set(err, "%s: column '%s' is the %s and cannot have a transform", path,
                                t->column, strcmp(t->column, spec->target) == 0 ? "target" : "id");
        if (t->onehot && t->date_parts)
            return ll_error_set(err, "%s: column '%s': onehot and date parts exclude each other",
                                path, t->column);
        if (in_list(t->column, spec->drop, spec->n_drop)) /* else the transform does nothing */
            return ll_error_set(err, "%s: column '%s' is dropped and has a transform", path,
                                t->column);
        if (t->has_fill && !isfinite(t->fill))
            return ll_error_set(err, "%s: column '%s': fill must be a finite number", path,
                                t->column);
        for (size_t k = 0; k < t->n_onehot_values; k++)
            if (t->onehot_values && !isfinite(t->onehot_values[k]))
                return ll_error_set(err, "%s: column '%s': one-hot values must be finite", path,
                                    t->column);
        for (size_t j = 0; j < i; j++)
            if (strcmp(spec->transforms[j].column, t->column) == 0)
                return ll_error_set(err, "%s: column '%s' has two transforms", path, t->column);
    }
    for (size_t i = 0; i < spec->n_derived; i++) {
        const ll_derived *d = &spec->derived[i];
        const char *kind = derived_kind_name(d->kind);
        if (!d->name || !kind)
            return ll_error_set(err, "%s: derived column %zu needs a name and a kind", path,
                                i + 1);
        if (d->kind == LL_DERIVED_DAYS_BETWEEN ? d->n_columns != 2 : d->n_columns == 0)
            return ll_error_set(err, "%s: column '%s': %s needs %s, got %zu", path, d->name,
                                kind, d->kind == LL_DERIVED_DAYS_BETWEEN ? "two date columns"
                                                                         : "at least one column",
                                d->n_columns);
        for (size_t j = 0; j < d->n_columns; j++)
            if (!d->columns[j])
                return ll_error_set(err, "%s: column '%s': source %zu has no name", path,
                                    d->name, j + 1);
        if (d->has_fill && !isfinite(d->fill))
            return ll_error_set(err, "%s: column '%s': fill must be a finite number", path,
                                d->name);
        if (d->kind == LL_DERIVED_TARGET && !(d->smoothing > 0 && isfinite(d->smoothing)))
            return ll_error_set(err, "%s: column '%s': target smoothing must be a finite number "
                                "> 0", path, d->name);
        if (d->kind != LL_DERIVED_TARGET && d->smoothing != 0)
            return ll_error_set(err, "%s: column '%s': smoothing goes with target only", path,
                                d->name);
    }
    return 0;
}

static const ll_column_transform *find_transform(const ll_feature_spec *spec, const char *column)
{
    for (size_t i = 0; i < spec->n_transforms; i++)
        if (strcmp(spec->transforms[i].column, column) == 0)
            return &spec->transforms[i];
    return NULL;
}

/* Copies the explicit category list, sorted and without repeats (repeats would give two
 * features of the same name). */
static int copy_categories(raw_column *col, const ll_column_transform *t)
{
    col->categories = malloc(t->n_onehot_values * sizeof *col->categories);
    if (!col->categories)
        return -1;
    memcpy(col->categories, t->onehot_values, t->n_onehot_values * sizeof *col->categories);
    qsort(col->categories, t->n_onehot_values, sizeof *col->categories, compare_doubles);
    size_t n = 0;
    for (size_t k = 0; k < t->n_onehot_values; k++)
        if (n == 0 || col->categories[n - 1] != col->categories[k])
            col->categories[n++] = col->categories[k];
    col->n_categories = n;
    return 0;
}

/* Lays out the raw columns of the training file and copies what the spec says about them. */
static int build_columns(const char *path, const ll_csv *csv, const ll_feature_spec *spec,
                         ll_encoder *enc, ll_error *err)
{
    enc->columns = calloc(csv->n_cols, sizeof *enc->columns);
    if (!enc->columns)
        return ll_error_set(err, "%s: out of memory", path);
    for (size_t j = 0; j < csv->n_cols; j++) {
        const char *name = csv->header[j];
        if (strcmp(name, spec->target) == 0 || (spec->id && strcmp(name, spec->id) == 0) ||
            in_list(name, spec->drop, spec->n_drop))
            continue;
        raw_column *col = &enc->columns[enc->n_columns++];
        col->name = copy_string(name);
        if (!col->name)
            return ll_error_set(err, "%s: out of memory", path);
        col->kind = RAW_NUMBER;
        const ll_column_transform *t = find_transform(spec, name);
        if (!t)
            continue;
        col->has_fill = t->has_fill;
        col->fill = t->fill;
        col->missing_flag = t->missing_flag;
        if (t->date_parts) {
            col->kind = RAW_DATE;
            col->date_parts = t->date_parts;
        } else if (t->onehot) {
            col->kind = RAW_ONEHOT;
            if (t->onehot_values && t->n_onehot_values > 0 && copy_categories(col, t) != 0)
                return ll_error_set(err, "%s: out of memory", path);
        }
    }
    enc->derived = calloc(spec->n_derived ? spec->n_derived : 1, sizeof *enc->derived);
    if (!enc->derived)
        return ll_error_set(err, "%s: out of memory", path);
    for (size_t i = 0; i < spec->n_derived; i++) {
        const ll_derived *d = &spec->derived[i];
        derived_column *out = &enc->derived[enc->n_derived++];
        out->name = copy_string(d->name);
        out->kind = d->kind;
        out->sources = calloc(d->n_columns, sizeof *out->sources);
        if (!out->name || !out->sources)
            return ll_error_set(err, "%s: out of memory", path);
        for (; out->n_sources < d->n_columns; out->n_sources++)
            if (!(out->sources[out->n_sources] = copy_string(d->columns[out->n_sources])))
                return ll_error_set(err, "%s: out of memory", path);
        out->first_source = enc->n_sources;
        enc->n_sources += out->n_sources;
        out->has_fill = d->has_fill;
        out->fill = d->fill;
        out->missing_flag = d->missing_flag;
        out->smoothing = d->smoothing;
    }
    return 0;
}

/* Categories of a one-hot column without an explicit list: its distinct numeric values. */
static int learn_categories(const char *path, const ll_csv *csv, size_t at, raw_column *col,
                            ll_error *err)
{
    double seen[MAX_LEARNED_CATEGORIES];
    size_t n = 0;
    for (size_t i = 0; i < csv->n_rows; i++) {
        char *text = ll_trim(ll_csv_field(csv, i, at));
        double v;
        if (is_missing(text))
            continue;
        if (parse_number(text, &v) != 0)
            return ll_error_set(err, "%s:%zu: column '%s': '%.*s' is not a number", path,
                                csv->lines[i], col->name, MAX_SHOWN_TEXT, text);
        size_t insert_at;
        if (search_sorted(seen, n, v, &insert_at) != NOT_FOUND)
            continue;
        if (n == MAX_LEARNED_CATEGORIES)
            return ll_error_set(err, "%s:%zu: column '%s': too many categories for one-hot "
                                "(more than %d distinct values; list them in the spec)",
                                path, csv->lines[i], col->name, MAX_LEARNED_CATEGORIES);
        memmove(seen + insert_at + 1, seen + insert_at, (n - insert_at) * sizeof *seen);
        seen[insert_at] = v;
        n++;
    }
    col->categories = malloc((n ? n : 1) * sizeof *col->categories);
    if (!col->categories)
        return ll_error_set(err, "%s: out of memory", path);
    if (n)
        memcpy(col->categories, seen, n * sizeof *seen);
    col->n_categories = n;
    return 0;
}

size_t ll_encoder_feature_count(const ll_encoder *enc)
{
    size_t n = 0;
    for (size_t c = 0; c < enc->n_columns; c++) {
        const raw_column *col = &enc->columns[c];
        if (col->kind == RAW_NUMBER)
            n += 1;
        else if (col->kind == RAW_ONEHOT)
            n += col->n_categories;
        else
            for (unsigned parts = col->date_parts; parts; parts &= parts - 1)
                n++;
        n += col->missing_flag != 0;
    }
    for (size_t d = 0; d < enc->n_derived; d++)
        n += 1 + (enc->derived[d].missing_flag != 0);
    return n;
}

/* Names in exactly the order encode_raw and encode_derived write the values. */
static int name_features(const char *path, ll_encoder *enc, ll_error *err)
{
    static const struct {
        unsigned part;
        const char *suffix;
    } date_suffixes[] = { { LL_DATE_YEAR, "year" }, { LL_DATE_MONTH, "month" },
                          { LL_DATE_DAY, "day" }, { LL_DATE_DAYOFWEEK, "dayofweek" },
                          { LL_DATE_DAYOFYEAR, "dayofyear" },
                          { LL_DATE_WEEKOFYEAR, "weekofyear" } };
    size_t total = ll_encoder_feature_count(enc);
    if (total == 0)
        return ll_error_set(err, "%s: no feature columns (every column is the target, the id or "
                            "dropped)", path);
    enc->feature_names = calloc(total, sizeof *enc->feature_names);
    if (!enc->feature_names)
        return ll_error_set(err, "%s: out of memory", path);
    char **names = enc->feature_names;
    size_t k = 0;
    for (size_t c = 0; c < enc->n_columns; c++) {
        const raw_column *col = &enc->columns[c];
        if (col->kind == RAW_NUMBER) {
            names[k++] = copy_string(col->name);
        } else if (col->kind == RAW_DATE) {
            for (size_t p = 0; p < sizeof date_suffixes / sizeof *date_suffixes; p++)
                if (col->date_parts & date_suffixes[p].part)
                    names[k++] = ll_format("%s_%s", col->name, date_suffixes[p].suffix);
        } else {
            for (size_t v = 0; v < col->n_categories; v++) {
                char value[32];
                ll_shortest_number(value, sizeof value, col->categories[v]);
                names[k++] = ll_format("%s=%s", col->name, value);
            }
        }
        if (col->missing_flag)
            names[k++] = ll_format("%s_missing", col->name);
    }
    for (size_t d = 0; d < enc->n_derived; d++) {
        names[k++] = copy_string(enc->derived[d].name);
        if (enc->derived[d].missing_flag)
            names[k++] = ll_format("%s_missing", enc->derived[d].name);
    }
    enc->n_features = k;
    for (size_t f = 0; f < k; f++)
        if (!names[f])
            return ll_error_set(err, "%s: out of memory", path);
    /* A raw column "a_missing" next to a flagged "a", or a derived name reusing a column name,
     * would make two features indistinguishable by name. */
    size_t first, second;
    int dup = ll_find_duplicate(names, k, &first, &second);
    if (dup < 0)
        return ll_error_set(err, "%s: out of memory", path);
    if (dup)
        return ll_error_set(err, "%s: feature name '%s' would be produced twice; rename or drop "
                            "one of its sources", path, names[second]);
    return 0;
}

/* ---- encoding ---------------------------------------------------------------------------- */

static void free_column_map(column_map *map)
{
    free(map->raw_at);
    free(map->source_at);
    memset(map, 0, sizeof *map);
}

static size_t locate(const ll_csv *csv, const char *name, missing_names *missing)
{
    long at = ll_csv_column(csv, name);
    if (at < 0)
        note_if_missing(csv, name, NULL, missing);
    return at < 0 ? NOT_FOUND : (size_t)at;
}

/* The encoder finds its columns by name, so another file may order them differently. */
static int map_columns(const char *path, const ll_csv *csv, const ll_encoder *enc,
                       column_map *map, ll_error *err)
{
    memset(map, 0, sizeof *map);
    map->raw_at = malloc((enc->n_columns ? enc->n_columns : 1) * sizeof *map->raw_at);
    map->source_at = malloc((enc->n_sources ? enc->n_sources : 1) * sizeof *map->source_at);
    if (!map->raw_at || !map->source_at) {
        free_column_map(map);
        return ll_error_set(err, "%s: out of memory", path);
    }
    missing_names missing = { .used = 0 };
    for (size_t c = 0; c < enc->n_columns; c++)
        map->raw_at[c] = locate(csv, enc->columns[c].name, &missing);
    for (size_t d = 0; d < enc->n_derived; d++)
        for (size_t j = 0; j < enc->derived[d].n_sources; j++)
            map->source_at[enc->derived[d].first_source + j] =
                locate(csv, enc->derived[d].sources[j], &missing);
    map->id_at = enc->id ? locate(csv, enc->id, &missing) : NOT_FOUND;
    long target_at = ll_csv_column(csv, enc->target);
    map->target_at = target_at < 0 ? NOT_FOUND : (size_t)target_at;
    if (missing.count == 0)
        return 0;
    free_column_map(map);
    return report_missing(path, csv, missing.count > 1 ? "columns needed by the encoder"
                                                       : "column needed by the encoder",
                          &missing, err);
}

typedef struct {
    const char *path;
    ll_csv *csv;
    const ll_encoder *enc;
    const column_map *map;
    const char *negative; /* the negative label's text; learned from the first row if NULL */
    key_buffer key;       /* scratch for learned features' keys; the creator frees key.text */
} encode_job;

static int not_a_number(const encode_job *job, size_t line, const char *column, const char *text,
                        ll_error *err)
{
    long days;
    /* A date left raw is the commonest cause: say what to do with it. */
    int date = ll_parse_date(text, &days) == 0;
    return ll_error_set(err, "%s:%zu: column '%s': '%.*s' is not a number%s%s%s", job->path, line,
                        column, MAX_SHOWN_TEXT, text,
                        date ? " (a date: give it features.columns." : "", date ? column : "",
                        date ? ": {date: [year, month, day]}, or list it in features.drop)" : "");
}

static int not_a_date(const encode_job *job, size_t line, const char *column, const char *text,
                      ll_error *err)
{
    return ll_error_set(err, "%s:%zu: column '%s': '%.*s' is not a YYYY-MM-DD date", job->path,
                        line, column, MAX_SHOWN_TEXT, text);
}

static int no_fill(const encode_job *job, size_t line, const char *column, ll_error *err)
{
    return ll_error_set(err, "%s:%zu: column '%s': missing value and no fill given", job->path,
                        line, column);
}

/* Writes one raw column's features at *k and advances it. A one-hot value outside the
 * categories (possible in apply, or with an explicit list) gets all-zero indicators, the same
 * as a missing value; a one-hot fill, when given, is encoded like an observed value. */
static int encode_raw(const encode_job *job, size_t row, const raw_column *col, size_t at,
                      double *x, size_t *k, ll_error *err)
{
    size_t line = job->csv->lines[row];
    char *text = ll_trim(ll_csv_field(job->csv, row, at));
    int missing = is_missing(text);
    double v = 0.0;
    if (missing && col->has_fill)
        v = col->fill;
    switch (col->kind) {
    case RAW_NUMBER:
        if (missing && !col->has_fill)
            return no_fill(job, line, col->name, err);
        if (!missing && parse_number(text, &v) != 0)
            return not_a_number(job, line, col->name, text, err);
        x[(*k)++] = v;
        break;
    case RAW_DATE: {
        double parts[6] = { v, v, v, v, v, v };
        if (missing && !col->has_fill)
            return no_fill(job, line, col->name, err);
        if (!missing) {
            long days;
            int year, month, day;
            if (ll_parse_date(text, &days) != 0)
                return not_a_date(job, line, col->name, text, err);
            ll_civil_from_days(days, &year, &month, &day);
            parts[0] = year;
            parts[1] = month;
            parts[2] = day;
            parts[3] = ll_weekday_from_days(days);
            parts[4] = (double)day_of_year(days);
            parts[5] = (double)iso_week(days);
        }
        for (unsigned p = 0; p < 6; p++) /* LL_DATE_YEAR..WEEKOFYEAR are bits 0..5, in order */
            if (col->date_parts & (1u << p))
                x[(*k)++] = parts[p];
        break;
    }
    case RAW_ONEHOT: {
        for (size_t c = 0; c < col->n_categories; c++)
            x[*k + c] = 0.0;
        if (!missing && parse_number(text, &v) != 0)
            return not_a_number(job, line, col->name, text, err);
        if (!missing || col->has_fill) {
            size_t hit = search_sorted(col->categories, col->n_categories, v, NULL);
            if (hit != NOT_FOUND)
                x[*k + hit] = 1.0;
        }
        *k += col->n_categories;
        break;
    }
    }
    if (col->missing_flag)
        x[(*k)++] = missing;
    return 0;
}

/* The derive_* helpers compute one derived value from the row's sources (at[j] is where
 * sources[j] sits in the file) and say whether any source was missing, in which case the
 * value is not used. A malformed source is an error even when another one is missing. */

static int derive_days_between(const encode_job *job, size_t row, const derived_column *d,
                               const size_t *at, double *value, int *missing, ll_error *err)
{
    long days[2] = { 0, 0 };
    for (size_t j = 0; j < 2; j++) {
        char *text = ll_trim(ll_csv_field(job->csv, row, at[j]));
        if (is_missing(text))
            *missing = 1;
        else if (ll_parse_date(text, &days[j]) != 0)
            return not_a_date(job, job->csv->lines[row], d->sources[j], text, err);
    }
    *value = (double)(days[1] - days[0]);
    return 0;
}

static int derive_sum(const encode_job *job, size_t row, const derived_column *d,
                      const size_t *at, double *value, int *missing, ll_error *err)
{
    double sum = 0.0;
    for (size_t j = 0; j < d->n_sources; j++) {
        char *text = ll_trim(ll_csv_field(job->csv, row, at[j]));
        double v;
        if (is_missing(text))
            *missing = 1;
        else if (parse_number(text, &v) != 0)
            return not_a_number(job, job->csv->lines[row], d->sources[j], text, err);
        else
            sum += v;
    }
    if (!isfinite(sum))
        return ll_error_set(err, "%s:%zu: column '%s': the sum overflows", job->path,
                            job->csv->lines[row], d->name);
    *value = sum;
    return 0;
}

static int key_append(key_buffer *key, const char *text, size_t n)
{
    if (key->len + n + 1 > key->cap) {
        size_t cap = key->cap ? key->cap : 64;
        while (cap < key->len + n + 1)
            cap *= 2;
        char *grown = realloc(key->text, cap);
        if (!grown)
            return -1;
        key->text = grown;
        key->cap = cap;
    }
    memcpy(key->text + key->len, text, n);
    key->len += n;
    key->text[key->len] = '\0';
    return 0;
}

/* The row's values in d's sources as one text, each prefixed by its length ("4:2021") so no
 * two tuples share a key whatever the values hold. Numbers are written in their shortest form
 * (2.0 and 2 agree) and every missing spelling as the empty value. Fails only out of memory. */
static int row_key(const ll_csv *csv, size_t row, const derived_column *d,
                   const size_t *source_at, key_buffer *key, int *missing)
{
    key->len = 0;
    for (size_t j = 0; j < d->n_sources; j++) {
        const char *text = ll_trim(ll_csv_field(csv, row, source_at[d->first_source + j]));
        char number[32], prefix[24];
        double v;
        if (is_missing(text)) {
            text = "";
            *missing = 1;
        } else if (parse_number(text, &v) == 0) {
            ll_shortest_number(number, sizeof number, v == 0 ? 0.0 : v); /* -0 is 0 */
            text = number;
        }
        size_t n = strlen(text);
        int p = snprintf(prefix, sizeof prefix, "%zu:", n);
        if (key_append(key, prefix, (size_t)p) != 0 || key_append(key, text, n) != 0)
            return -1;
    }
    return 0;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A learned feature's key code (fold_encoding.h): the key's index among the training file's,
 * or the unseen code. */
static int derive_code(encode_job *job, size_t row, const derived_column *d, double *value,
                       int *missing, ll_error *err)
{
    if (row_key(job->csv, row, d, job->map->source_at, &job->key, missing) != 0)
        return ll_error_set(err, "%s: out of memory", job->path);
    const char *needle = job->key.text;
    char **hit = bsearch(&needle, d->keys.keys, d->keys.n, sizeof *d->keys.keys, compare_keys);
    *value = (double)(hit ? (size_t)(hit - d->keys.keys) : d->keys.n);
    return 0;
}

static int encode_derived(encode_job *job, size_t row, const derived_column *d, double *x,
                          size_t *k, ll_error *err)
{
    const size_t *at = job->map->source_at + d->first_source;
    double value = 0.0;
    int missing = 0, rc = 0;
    switch (d->kind) {
    case LL_DERIVED_DAYS_BETWEEN:
        rc = derive_days_between(job, row, d, at, &value, &missing, err);
        break;
    case LL_DERIVED_SUM:
        rc = derive_sum(job, row, d, at, &value, &missing, err);
        break;
    case LL_DERIVED_COUNT:
    case LL_DERIVED_FREQUENCY:
    case LL_DERIVED_TARGET:
        rc = derive_code(job, row, d, &value, &missing, err);
        break;
    }
    if (rc != 0)
        return rc;
    int learned = ll_derived_is_learned(d->kind);
    if (missing && d->has_fill) /* a learned feature's fill comes with the fit: a code says so */
        value = learned ? (double)(d->keys.n + 1) : d->fill;
    else if (missing && !learned) /* learned kinds keep missing as a key */
        return no_fill(job, job->csv->lines[row], d->name, err);
    x[(*k)++] = value;
    if (d->missing_flag)
        x[(*k)++] = missing;
    return 0;
}

/* The distinct keys a learned column finds among the training file's rows, ascending. Labels
 * and counts stay out of it: each fit learns those from its own training rows. */
static int learn_keys(const char *path, const ll_csv *csv, const column_map *map,
                      derived_column *d, ll_error *err)
{
    key_table *t = &d->keys;
    if (!(t->keys = calloc(csv->n_rows ? csv->n_rows : 1, sizeof *t->keys)))
        return ll_error_set(err, "%s: out of memory", path);
    key_buffer key = { 0 };
    for (size_t i = 0; i < csv->n_rows; i++) {
        int missing = 0;
        if (row_key(csv, i, d, map->source_at, &key, &missing) != 0 ||
            !(t->keys[i] = strdup(key.text))) {
            free(key.text);
            return ll_error_set(err, "%s: out of memory", path);
        }
        t->n = i + 1;
    }
    free(key.text);
    qsort(t->keys, t->n, sizeof *t->keys, compare_keys);
    size_t distinct = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (distinct > 0 && strcmp(t->keys[distinct - 1], t->keys[i]) == 0)
            free(t->keys[i]);
        else
            t->keys[distinct++] = t->keys[i];
    }
    t->n = distinct;
    return 0;
}

int ll_encoder_fold_encoding(const ll_encoder *enc, ll_fold_encoding *out)
{
    memset(out, 0, sizeof *out);
    size_t n = 0;
    for (size_t d = 0; d < enc->n_derived; d++)
        n += ll_derived_is_learned(enc->derived[d].kind);
    if (n == 0)
        return 0;
    if (!(out->columns = calloc(n, sizeof *out->columns)))
        return -1;
    /* Derived features follow every raw column's, each with its missing flag, if any. */
    size_t column = ll_encoder_feature_count(enc);
    for (size_t d = 0; d < enc->n_derived; d++)
        column -= 1 + (enc->derived[d].missing_flag != 0);
    for (size_t d = 0; d < enc->n_derived; d++) {
        const derived_column *dc = &enc->derived[d];
        if (ll_derived_is_learned(dc->kind)) {
            ll_fold_column *c = &out->columns[out->n++];
            c->column = column;
            c->kind = dc->kind == LL_DERIVED_COUNT       ? LL_FOLD_COUNT
                      : dc->kind == LL_DERIVED_FREQUENCY ? LL_FOLD_FREQUENCY
                                                         : LL_FOLD_TARGET;
            c->n_keys = dc->keys.n;
            c->smoothing = dc->kind == LL_DERIVED_TARGET ? dc->smoothing : 0.0;
            c->has_fill = dc->has_fill;
            c->fill = dc->has_fill ? dc->fill : 0.0;
        }
        column += 1 + (dc->missing_flag != 0);
    }
    return 0;
}

static int encode_label(encode_job *job, size_t row, uint8_t *label, ll_error *err)
{
    size_t line = job->csv->lines[row];
    const char *target = job->enc->target, *positive = job->enc->positive;
    char *text = ll_trim(ll_csv_field(job->csv, row, job->map->target_at));
    if (text[0] == '\0')
        return ll_error_set(err, "%s:%zu: column '%s': missing label", job->path, line, target);
    if (label_matches(text, positive)) {
        *label = 1;
        return 0;
    }
    if (!job->negative)
        job->negative = text;
    if (label_matches(text, job->negative)) {
        *label = 0;
        return 0;
    }
    return ll_error_set(err, "%s:%zu: column '%s': value '%.*s' is neither positive label '%s' "
                        "nor negative label '%s'", job->path, line, target, MAX_SHOWN_TEXT, text,
                        positive, job->negative);
}

void ll_dataset_free(ll_dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->y);
    if (ds->col_names)
        for (size_t j = 0; j < ds->n_cols; j++)
            free(ds->col_names[j]);
    free(ds->col_names);
    free(ds->col_binary);
    if (ds->ids)
        for (size_t i = 0; i < ds->n_rows; i++)
            free(ds->ids[i]);
    free(ds->ids);
    free(ds->order_days);
    ll_fold_encoding_free(&ds->encoding);
    memset(ds, 0, sizeof *ds);
}

static int encode_file(encode_job *job, ll_dataset *out, ll_error *err)
{
    const ll_encoder *enc = job->enc;
    const ll_csv *csv = job->csv;
    size_t n_rows = csv->n_rows, n_cols = enc->n_features;
    ll_dataset ds = { 0 };
    ds.n_rows = n_rows;
    ds.n_cols = n_cols;
    if (n_cols > SIZE_MAX / sizeof *ds.x / n_rows)
        return ll_error_set(err, "%s: too many rows and columns for memory", job->path);
    ds.x = malloc(n_rows * n_cols * sizeof *ds.x);
    ds.col_names = calloc(n_cols, sizeof *ds.col_names);
    ds.col_binary = malloc(n_cols);
    if (job->map->target_at != NOT_FOUND)
        ds.y = malloc(n_rows);
    if (enc->id)
        ds.ids = calloc(n_rows, sizeof *ds.ids);
    if (!ds.x || !ds.col_names || !ds.col_binary ||
        (job->map->target_at != NOT_FOUND && !ds.y) || (enc->id && !ds.ids))
        goto out_of_memory;
    for (size_t j = 0; j < n_cols; j++)
        if (!(ds.col_names[j] = copy_string(enc->feature_names[j])))
            goto out_of_memory;

    for (size_t i = 0; i < n_rows; i++) {
        double *x = ds.x + i * n_cols;
        size_t k = 0;
        for (size_t c = 0; c < enc->n_columns; c++)
            if (encode_raw(job, i, &enc->columns[c], job->map->raw_at[c], x, &k, err) != 0)
                goto fail;
        for (size_t d = 0; d < enc->n_derived; d++)
            if (encode_derived(job, i, &enc->derived[d], x, &k, err) != 0)
                goto fail;
        if (ds.y) {
            if (encode_label(job, i, &ds.y[i], err) != 0)
                goto fail;
            ds.n_positive += ds.y[i];
        }
        if (ds.ids && !(ds.ids[i] = copy_string(ll_trim(ll_csv_field(csv, i, job->map->id_at)))))
            goto out_of_memory;
    }

    for (size_t j = 0; j < n_cols; j++) {
        uint8_t binary = 1;
        for (size_t i = 0; i < n_rows && binary; i++) {
            double v = ds.x[i * n_cols + j];
            binary = v == 0.0 || v == 1.0;
        }
        ds.col_binary[j] = binary;
    }
    if (ll_encoder_fold_encoding(enc, &ds.encoding) != 0)
        goto out_of_memory;
    for (size_t c = 0; c < ds.encoding.n; c++)
        ds.col_binary[ds.encoding.columns[c].column] = 0;
    *out = ds;
    return 0;

out_of_memory:
    ll_error_set(err, "%s: out of memory", job->path);
fail:
    ll_dataset_free(&ds);
    return -1;
}

/* The date of every row in the order column: what time-ordered folds sort by, read from the
 * raw text whether the features use the column, transform it or drop it. */
static int read_order_days(const char *path, const ll_csv *csv, const char *column,
                           long **out, ll_error *err)
{
    size_t at = (size_t)ll_csv_column(csv, column); /* present: check_spec_columns said so */
    long *days = malloc((csv->n_rows ? csv->n_rows : 1) * sizeof *days);
    if (!days)
        return ll_error_set(err, "%s: out of memory", path);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const char *text = ll_trim(ll_csv_field(csv, i, at));
        int missing = is_missing(text);
        if (missing || ll_parse_date(text, &days[i]) != 0) {
            if (missing)
                ll_error_set(err, "%s:%zu: column '%s': missing date (cv.column orders the rows "
                             "by it: every row needs one)", path, csv->lines[i], column);
            else
                ll_error_set(err, "%s:%zu: column '%s': '%.*s' is not a YYYY-MM-DD date "
                             "(cv.column orders the rows by it)", path, csv->lines[i], column,
                             MAX_SHOWN_TEXT, text);
            free(days);
            return -1;
        }
    }
    *out = days;
    return 0;
}

/* ---- public entry points ----------------------------------------------------------------- */

/* Labels are compared as trimmed text, so " 1" in the spec means "1". */
static char *copy_trimmed(const char *s)
{
    if (!s)
        return NULL;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return strndup(s, n);
}

int ll_dataset_load_train(const char *path, const ll_feature_spec *spec, ll_encoder **encoder,
                          ll_dataset *out, ll_error *err)
{
    *encoder = NULL;
    memset(out, 0, sizeof *out);
    if (check_spec_shape(path, spec, err) != 0)
        return -1;
    ll_csv csv;
    if (ll_csv_read(path, &csv, err) != 0)
        return -1;

    ll_encoder *enc = NULL;
    column_map map = { 0 };
    if (ll_csv_column(&csv, spec->target) < 0) {
        char columns[300], sugg[128] = "";
        join_names(columns, sizeof columns, csv.header, csv.n_cols);
        /* The likeliest name first, so a long header cut short never hides it. */
        const char *near = nearest_name(spec->target, csv.header, csv.n_cols, sugg, sizeof sugg);
        ll_error_set(err, "%s: target column '%s' not found%s%s%s (columns: %s)", path,
                     spec->target, near ? " (did you mean '" : "", near ? near : "",
                     near ? "'?)" : "", columns);
        goto fail;
    }
    if (check_spec_columns(path, &csv, spec, err) != 0)
        goto fail;

    enc = calloc(1, sizeof *enc);
    if (!enc || !(enc->target = copy_string(spec->target)) ||
        !(enc->positive = copy_trimmed(spec->positive)) ||
        (spec->negative && !(enc->negative = copy_trimmed(spec->negative))) ||
        (spec->id && !(enc->id = copy_string(spec->id)))) {
        ll_error_set(err, "%s: out of memory", path);
        goto fail;
    }
    if (build_columns(path, &csv, spec, enc, err) != 0)
        goto fail;
    for (size_t c = 0; c < enc->n_columns; c++) {
        raw_column *col = &enc->columns[c];
        if (col->kind == RAW_ONEHOT && !col->categories &&
            learn_categories(path, &csv, (size_t)ll_csv_column(&csv, col->name), col, err) != 0)
            goto fail;
    }
    if (name_features(path, enc, err) != 0)
        goto fail;
    if (map_columns(path, &csv, enc, &map, err) != 0)
        goto fail;
    for (size_t d = 0; d < enc->n_derived; d++)
        if (ll_derived_is_learned(enc->derived[d].kind) &&
            learn_keys(path, &csv, &map, &enc->derived[d], err) != 0)
            goto fail;

    encode_job job = { path, &csv, enc, &map, enc->negative, { 0 } };
    int rc = encode_file(&job, out, err);
    free(job.key.text);
    if (rc != 0)
        goto fail;
    if (spec->order_column &&
        read_order_days(path, &csv, spec->order_column, &out->order_days, err) != 0) {
        ll_dataset_free(out);
        goto fail;
    }
    /* Remember the negative label the file showed, so apply() holds other files to it. */
    if (!enc->negative && job.negative && !(enc->negative = copy_string(job.negative))) {
        ll_dataset_free(out);
        ll_error_set(err, "%s: out of memory", path);
        goto fail;
    }
    free_column_map(&map);
    ll_csv_free(&csv);
    *encoder = enc;
    return 0;

fail:
    free_column_map(&map);
    ll_encoder_free(enc);
    ll_csv_free(&csv);
    return -1;
}

int ll_dataset_load_apply(const char *path, const ll_encoder *encoder, ll_dataset *out,
                          ll_error *err)
{
    memset(out, 0, sizeof *out);
    ll_csv csv;
    if (ll_csv_read(path, &csv, err) != 0)
        return -1;
    column_map map;
    if (map_columns(path, &csv, encoder, &map, err) != 0) {
        ll_csv_free(&csv);
        return -1;
    }
    encode_job job = { path, &csv, encoder, &map, encoder->negative, { 0 } };
    int rc = encode_file(&job, out, err);
    free(job.key.text);
    free_column_map(&map);
    ll_csv_free(&csv);
    return rc;
}

void ll_feature_spec_free(ll_feature_spec *spec)
{
    if (!spec)
        return;
    free(spec->target);
    free(spec->positive);
    free(spec->negative);
    free(spec->id);
    if (spec->drop)
        for (size_t i = 0; i < spec->n_drop; i++)
            free(spec->drop[i]);
    free(spec->drop);
    if (spec->transforms)
        for (size_t i = 0; i < spec->n_transforms; i++) {
            free(spec->transforms[i].column);
            free(spec->transforms[i].onehot_values);
        }
    free(spec->transforms);
    if (spec->derived)
        for (size_t i = 0; i < spec->n_derived; i++) {
            free(spec->derived[i].name);
            if (spec->derived[i].columns)
                for (size_t j = 0; j < spec->derived[i].n_columns; j++)
                    free(spec->derived[i].columns[j]);
            free(spec->derived[i].columns);
        }
    free(spec->derived);
    free(spec->order_column);
    memset(spec, 0, sizeof *spec);
}
