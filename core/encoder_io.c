/* leadlab encoder (de)serialisation: the learned feature pipeline (columns, one-hot categories,
 * date parts, derived features with the keys of the learned ones, names) as bytes in a model
 * file, so `predict --model` encodes a new CSV exactly as training did. Load trusts nothing it
 * reads. Format 1 (model files 1 and 2) kept each key's count over the training file instead
 * of a fitted table: still read, and handed back as the count tables they are. */
#include "encoder_io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"

enum { ENCODER_FORMAT_COUNTS = 1, ENCODER_FORMAT = 2 };
#define MAX_TEXT ((size_t)1 << 20)
#define MAX_ITEMS ((size_t)1 << 28)

/* A string as u64 (length + 1) then its bytes; 0 stands for NULL. */
static int write_text(ll_writer *w, const char *s)
{
    if (!s)
        return ll_write_u64(w, 0);
    size_t n = strlen(s);
    return ll_write_u64(w, (uint64_t)n + 1) || ll_write_bytes(w, s, n);
}

static int read_text(ll_reader *r, char **out)
{
    size_t n;
    *out = NULL;
    if (ll_read_size(r, 1, MAX_TEXT + 1, &n) != 0)
        return -1;
    if (n == 0)
        return 0;
    if (n - 1 > r->remaining(r->ctx) || !(*out = malloc(n)))
        return -1;
    if (ll_read_bytes(r, *out, n - 1) != 0)
        return -1;
    (*out)[n - 1] = '\0';
    return strlen(*out) == n - 1 ? 0 : -1; /* an embedded NUL is corruption */
}

static int write_flag(ll_writer *w, int v) { return ll_write_u64(w, v ? 1u : 0u); }

static int read_flag(ll_reader *r, int *v)
{
    uint64_t u;
    if (ll_read_u64(r, &u) != 0 || u > 1)
        return -1;
    *v = (int)u;
    return 0;
}

int ll_encoder_save(const ll_encoder *enc, ll_writer *w)
{
    int bad = ll_write_u64(w, ENCODER_FORMAT) || write_text(w, enc->target) ||
              write_text(w, enc->positive) || write_text(w, enc->negative) ||
              write_text(w, enc->id) || ll_write_size(w, enc->n_columns);
    for (size_t c = 0; !bad && c < enc->n_columns; c++) {
        const raw_column *col = &enc->columns[c];
        bad = write_text(w, col->name) || ll_write_u64(w, (uint64_t)col->kind) ||
              write_flag(w, col->has_fill) || ll_write_f64(w, col->fill) ||
              write_flag(w, col->missing_flag) || ll_write_u64(w, col->date_parts) ||
              ll_write_size(w, col->n_categories) ||
              ll_write_f64s(w, col->categories, col->n_categories);
    }
    bad = bad || ll_write_size(w, enc->n_derived);
    for (size_t d = 0; !bad && d < enc->n_derived; d++) {
        const derived_column *dc = &enc->derived[d];
        bad = write_text(w, dc->name) || ll_write_u64(w, (uint64_t)dc->kind) ||
              ll_write_size(w, dc->n_sources);
        for (size_t j = 0; !bad && j < dc->n_sources; j++)
            bad = write_text(w, dc->sources[j]);
        bad = bad || write_flag(w, dc->has_fill) || ll_write_f64(w, dc->fill) ||
              write_flag(w, dc->missing_flag) || ll_write_f64(w, dc->smoothing) ||
              ll_write_size(w, dc->keys.n);
        for (size_t k = 0; !bad && k < dc->keys.n; k++)
            bad = write_text(w, dc->keys.keys[k]);
    }
    bad = bad || ll_write_size(w, enc->n_features);
    for (size_t f = 0; !bad && f < enc->n_features; f++)
        bad = write_text(w, enc->feature_names[f]);
    return bad ? -1 : 0;
}

static int read_column(ll_reader *r, raw_column *col)
{
    uint64_t kind, parts;
    if (read_text(r, &col->name) != 0 || !col->name || ll_read_u64(r, &kind) != 0 ||
        kind > RAW_ONEHOT || read_flag(r, &col->has_fill) != 0 ||
        ll_read_f64(r, &col->fill) != 0 || read_flag(r, &col->missing_flag) != 0 ||
        ll_read_u64(r, &parts) != 0 || parts > 63 ||
        ll_read_size(r, 8, MAX_ITEMS, &col->n_categories) != 0)
        return -1;
    col->kind = (raw_kind)kind;
    col->date_parts = (unsigned)parts;
    if ((col->kind == RAW_DATE) != (parts != 0) ||
        (col->kind != RAW_ONEHOT && col->n_categories != 0))
        return -1;
    if (!(col->categories = malloc((col->n_categories ? col->n_categories : 1) * sizeof(double))) ||
        ll_read_f64s(r, col->categories, col->n_categories) != 0)
        return -1;
    for (size_t k = 0; k < col->n_categories; k++) /* dataset.c binary-searches them */
        if (!isfinite(col->categories[k]) || (k && !(col->categories[k - 1] < col->categories[k])))
            return -1;
    return 0;
}

/* One derived column; in format 1, *counts receives a count column's counts (malloc'd). */
static int read_derived(ll_reader *r, uint64_t format, derived_column *dc, double **counts)
{
    uint64_t kind;
    size_t n; /* n_sources grows only as sources are read, so a failure frees what exists */
    ll_derived_kind last = format == ENCODER_FORMAT_COUNTS ? LL_DERIVED_COUNT : LL_DERIVED_TARGET;
    if (read_text(r, &dc->name) != 0 || !dc->name || ll_read_u64(r, &kind) != 0 ||
        kind < LL_DERIVED_DAYS_BETWEEN || kind > (uint64_t)last ||
        ll_read_size(r, 8, 4096, &n) != 0 || n == 0)
        return -1;
    dc->kind = (ll_derived_kind)kind;
    if (dc->kind == LL_DERIVED_DAYS_BETWEEN && n != 2)
        return -1;
    if (!(dc->sources = calloc(n, sizeof *dc->sources)))
        return -1;
    for (size_t j = 0; j < n; j++) {
        dc->n_sources = j + 1;
        if (read_text(r, &dc->sources[j]) != 0 || !dc->sources[j])
            return -1;
    }
    size_t n_keys;
    int with_counts = format == ENCODER_FORMAT_COUNTS;
    if (read_flag(r, &dc->has_fill) != 0 || ll_read_f64(r, &dc->fill) != 0 ||
        (dc->has_fill && !isfinite(dc->fill)) || read_flag(r, &dc->missing_flag) != 0 ||
        (!with_counts && ll_read_f64(r, &dc->smoothing) != 0) ||
        ll_read_size(r, with_counts ? 16 : 8, MAX_ITEMS, &n_keys) != 0 ||
        (!ll_derived_is_learned(dc->kind) && n_keys != 0))
        return -1;
    /* target's m is a number > 0; the other kinds have none */
    if (dc->kind == LL_DERIVED_TARGET ? !(dc->smoothing > 0 && isfinite(dc->smoothing))
                                      : dc->smoothing != 0)
        return -1;
    dc->keys.keys = calloc(n_keys ? n_keys : 1, sizeof *dc->keys.keys);
    if (!dc->keys.keys ||
        (with_counts && !(*counts = malloc((n_keys ? n_keys : 1) * sizeof **counts))))
        return -1;
    for (size_t k = 0; k < n_keys; k++) {
        dc->keys.n = k + 1;
        if (read_text(r, &dc->keys.keys[k]) != 0 || !dc->keys.keys[k])
            return -1;
        if (k && strcmp(dc->keys.keys[k - 1], dc->keys.keys[k]) >= 0)
            return -1; /* dataset.c binary-searches the keys */
        if (with_counts && ll_read_f64(r, &(*counts)[k]) != 0)
            return -1;
    }
    return 0;
}

/* The count tables a format 1 encoder held: each key's count over the training file, which is
 * the table a fit on every training row learns (0 unseen, the fill for filled rows), so the
 * model saved with it predicts as it did. 0; 1 when a count is none; -1 out of memory. */
static int legacy_tables(const ll_encoder *enc, double *const *counts, ll_fold_fitted *out)
{
    ll_fold_encoding learned;
    if (ll_encoder_fold_encoding(enc, &learned) != 0)
        return -1;
    int rc = ll_fold_fitted_init(out, &learned);
    for (size_t d = 0, t = 0; rc == 0 && d < enc->n_derived; d++) {
        if (!ll_derived_is_learned(enc->derived[d].kind))
            continue;
        ll_fold_table *table = &out->tables[t++];
        const ll_fold_column *c = &table->column;
        memcpy(table->values, counts[d], c->n_keys * sizeof *table->values);
        table->values[ll_fold_unseen_code(c)] = 0.0;
        table->values[ll_fold_filled_code(c)] = c->has_fill ? c->fill : 0.0;
        for (size_t k = 0; rc == 0 && k < c->n_keys; k++)
            rc = ll_fold_value_ok(c, k, table->values[k]) ? 0 : 1;
    }
    if (rc != 0)
        ll_fold_fitted_free(out);
    ll_fold_encoding_free(&learned);
    return rc;
}

int ll_encoder_load(ll_reader *r, ll_encoder **out, ll_fold_fitted *legacy, ll_error *err)
{
    *out = NULL;
    if (legacy)
        memset(legacy, 0, sizeof *legacy);
    ll_encoder *enc = calloc(1, sizeof *enc);
    if (!enc)
        return ll_error_set(err, "out of memory");
    uint64_t format;
    size_t n;
    double **counts = NULL; /* format 1: per derived column, a count column's counts */
    int bad = ll_read_u64(r, &format) != 0 ||
              format != (legacy ? ENCODER_FORMAT_COUNTS : ENCODER_FORMAT) ||
              read_text(r, &enc->target) != 0 || !enc->target ||
              read_text(r, &enc->positive) != 0 || !enc->positive ||
              read_text(r, &enc->negative) != 0 || read_text(r, &enc->id) != 0 ||
              ll_read_size(r, 8, MAX_ITEMS, &n) != 0;
    if (!bad && !(enc->columns = calloc(n ? n : 1, sizeof *enc->columns)))
        bad = 1;
    for (size_t c = 0; !bad && c < n; c++) {
        enc->n_columns = c + 1;
        bad = read_column(r, &enc->columns[c]) != 0;
    }
    bad = bad || ll_read_size(r, 8, MAX_ITEMS, &n) != 0;
    if (!bad && (!(enc->derived = calloc(n ? n : 1, sizeof *enc->derived)) ||
                 !(counts = calloc(n ? n : 1, sizeof *counts))))
        bad = 1;
    for (size_t d = 0; !bad && d < n; d++) {
        enc->n_derived = d + 1;
        derived_column *dc = &enc->derived[d];
        bad = read_derived(r, format, dc, &counts[d]) != 0;
        if (!bad) {
            dc->first_source = enc->n_sources;
            enc->n_sources += dc->n_sources;
        }
    }
    bad = bad || ll_read_size(r, 8, MAX_ITEMS, &n) != 0;
    if (!bad && !(enc->feature_names = calloc(n ? n : 1, sizeof *enc->feature_names)))
        bad = 1;
    for (size_t f = 0; !bad && f < n; f++) {
        enc->n_features = f + 1;
        bad = read_text(r, &enc->feature_names[f]) != 0 || !enc->feature_names[f];
    }
    if (!bad && (n == 0 || n != ll_encoder_feature_count(enc)))
        bad = 1;
    int tables = bad || !legacy ? 0 : legacy_tables(enc, counts, legacy);
    for (size_t d = 0; counts && d < enc->n_derived; d++)
        free(counts[d]);
    free(counts);
    if (bad || tables != 0) {
        ll_encoder_free(enc);
        return ll_error_set(err, tables < 0 ? "out of memory"
                                            : "its feature pipeline is truncated or corrupt");
    }
    *out = enc;
    return 0;
}

const char *ll_encoder_target(const ll_encoder *enc) { return enc->target; }
const char *ll_encoder_id(const ll_encoder *enc) { return enc->id; }
size_t ll_encoder_n_features(const ll_encoder *enc) { return enc->n_features; }
const char *const *ll_encoder_feature_names(const ll_encoder *enc)
{
    return (const char *const *)enc->feature_names;
}
