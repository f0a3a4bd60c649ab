/* leadlab fold encoding (see fold_encoding.h): the tables of learned features, fitted on one
 * fit's training rows, applied to the rows it scores, and saved in model files. */
#include "fold_encoding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leadlab/rng.h"

/* The cross-fitting shuffle's stream, apart from the fit's own (seed_mix 1, 2, 3, 100 + f) and
 * the importances' ("imp"). */
#define CROSS_FIT_STREAM 0x7463u /* "tc" */
#define NOT_A_CODE ((size_t)-1)

void ll_fold_encoding_free(ll_fold_encoding *enc)
{
    if (!enc)
        return;
    free(enc->columns);
    memset(enc, 0, sizeof *enc);
}

void ll_fold_fitted_free(ll_fold_fitted *fitted)
{
    if (!fitted)
        return;
    for (size_t t = 0; t < fitted->n; t++)
        free(fitted->tables[t].values);
    free(fitted->tables);
    memset(fitted, 0, sizeof *fitted);
}

int ll_fold_fitted_init(ll_fold_fitted *fitted, const ll_fold_encoding *enc)
{
    memset(fitted, 0, sizeof *fitted);
    if (enc->n == 0)
        return 0;
    if (!(fitted->tables = calloc(enc->n, sizeof *fitted->tables)))
        return -1;
    for (size_t t = 0; t < enc->n; t++) {
        ll_fold_table *table = &fitted->tables[t];
        table->column = enc->columns[t];
        fitted->n = t + 1; /* so a failure frees what exists */
        if (table->column.n_keys > SIZE_MAX / sizeof(double) - 2 ||
            !(table->values = calloc(table->column.n_keys + 2, sizeof *table->values))) {
            ll_fold_fitted_free(fitted);
            return -1;
        }
    }
    return 0;
}

int ll_fold_column_equal(const ll_fold_column *a, const ll_fold_column *b)
{
    return a->column == b->column && a->kind == b->kind && a->n_keys == b->n_keys &&
           a->smoothing == b->smoothing && a->has_fill == b->has_fill &&
           (!a->has_fill || a->fill == b->fill);
}

/* The code a cell holds, or NOT_A_CODE. The filled code is one only where there is a fill. */
static size_t code_of(const ll_fold_column *c, double v)
{
    size_t last = c->has_fill ? ll_fold_filled_code(c) : ll_fold_unseen_code(c);
    if (!(v >= 0.0 && v <= (double)last) || v != floor(v))
        return NOT_A_CODE;
    return (size_t)v;
}

static const char *kind_name(ll_fold_kind kind)
{
    return kind == LL_FOLD_COUNT ? "count" : kind == LL_FOLD_FREQUENCY ? "frequency" : "target";
}

/* Reads column c of the n rows into codes, checking each. */
static ll_status read_codes(const ll_fold_column *c, const double *x, size_t n, size_t n_cols,
                            size_t *codes, ll_err *err)
{
    for (size_t i = 0; i < n; i++) {
        double v = x[i * n_cols + c->column];
        if ((codes[i] = code_of(c, v)) == NOT_A_CODE)
            return ll_fail(err, LL_EINVAL, "feature %zu (%s encoding): row %zu holds %g, not "
                           "one of its %zu key codes", c->column, kind_name(c->kind), i, v,
                           c->n_keys + (c->has_fill ? 2 : 1));
    }
    return LL_OK;
}

static void write_column(const ll_fold_table *t, const size_t *codes, double *x, size_t n,
                         size_t n_cols)
{
    for (size_t i = 0; i < n; i++)
        x[i * n_cols + t->column.column] = t->values[codes[i]];
}

/* The m-estimate of P(y = 1) for `rows` rows holding `positives`, pulled towards `prior`. */
static double smoothed_mean(double positives, double rows, double m, double prior)
{
    return (positives + m * prior) / (rows + m);
}

/* The table of t's kind from per-code tallies over n training rows holding n_pos positives. */
static void fill_table(ll_fold_table *t, const double *rows_with, const double *pos_with,
                       size_t n, size_t n_pos)
{
    const ll_fold_column *c = &t->column;
    double prior = n ? (double)n_pos / (double)n : 0.0;
    for (size_t k = 0; k < c->n_keys; k++) {
        switch (c->kind) {
        case LL_FOLD_COUNT:
            t->values[k] = rows_with[k];
            break;
        case LL_FOLD_FREQUENCY:
            t->values[k] = rows_with[k] / (double)n;
            break;
        case LL_FOLD_TARGET:
            t->values[k] = smoothed_mean(pos_with[k], rows_with[k], c->smoothing, prior);
            break;
        }
    }
    t->values[ll_fold_unseen_code(c)] = c->kind == LL_FOLD_TARGET ? prior : 0.0;
    t->values[ll_fold_filled_code(c)] = c->has_fill ? c->fill : 0.0;
}

/* Deals the n rows into k folds by a shuffle drawn from seed: fold sizes differ by at most one,
 * and which rows share a fold depends on n and the seed only, never on the data. */
static int deal_folds(size_t n, size_t k, uint64_t seed, uint32_t *fold_of)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return -1;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    ll_rng rng;
    ll_rng_seed(&rng, ll_seed_mix(seed, CROSS_FIT_STREAM));
    ll_rng_shuffle_size(&rng, order, n);
    for (size_t j = 0; j < n; j++)
        fold_of[order[j]] = (uint32_t)(j % k);
    free(order);
    return 0;
}

/* Target-encodes the training rows of t's column: each row from the tallies of the rows in the
 * other folds (all rows' tallies minus its fold's), with those rows' own prior. in_rows and
 * in_pos are scratch tallies of n_keys + 2 zeros, left zero. */
static void cross_fit(const ll_fold_table *t, const size_t *codes, const uint8_t *y, size_t n,
                      const uint32_t *fold_of, const double *rows_with, const double *pos_with,
                      size_t n_pos, double *in_rows, double *in_pos, double *x, size_t n_cols)
{
    const ll_fold_column *c = &t->column;
    size_t filled = ll_fold_filled_code(c);
    for (uint32_t f = 0; f < LL_TARGET_CROSS_FIT_FOLDS; f++) {
        size_t fold_rows = 0, fold_pos = 0;
        for (size_t i = 0; i < n; i++)
            if (fold_of[i] == f) {
                in_rows[codes[i]] += 1.0;
                in_pos[codes[i]] += y[i] != 0;
                fold_rows++;
                fold_pos += y[i] != 0;
            }
        if (fold_rows == 0)
            continue;
        /* n >= 2 and folds differ in size by at most one, so the other folds hold a row. */
        double prior = (double)(n_pos - fold_pos) / (double)(n - fold_rows);
        for (size_t i = 0; i < n; i++) {
            if (fold_of[i] != f)
                continue;
            size_t k = codes[i];
            x[i * n_cols + c->column] =
                k == filled ? c->fill
                            : smoothed_mean(pos_with[k] - in_pos[k], rows_with[k] - in_rows[k],
                                            c->smoothing, prior);
        }
        for (size_t i = 0; i < n; i++)
            if (fold_of[i] == f)
                in_rows[codes[i]] = in_pos[codes[i]] = 0.0;
    }
}

ll_status ll_fold_fit(const ll_fold_encoding *enc, double *x, const uint8_t *y, size_t n,
                      size_t n_cols, uint64_t seed, ll_fold_fitted *out, ll_err *err)
{
    memset(out, 0, sizeof *out);
    if (!enc || enc->n == 0)
        return LL_OK;
    int any_target = 0;
    size_t most_codes = 0;
    for (size_t t = 0; t < enc->n; t++) {
        any_target |= enc->columns[t].kind == LL_FOLD_TARGET;
        if (enc->columns[t].n_keys + 2 > most_codes)
            most_codes = enc->columns[t].n_keys + 2;
    }
    if (any_target && n < 2)
        return ll_fail(err, LL_EINVAL, "target encoding needs at least 2 training rows, got %zu",
                       n);
    size_t n_pos = 0;
    for (size_t i = 0; i < n; i++)
        n_pos += y[i] != 0;
    size_t *codes = malloc((n ? n : 1) * sizeof *codes);
    uint32_t *fold_of = any_target ? malloc(n * sizeof *fold_of) : NULL;
    /* Per-code tallies: rows and positives over all rows, then over one cross-fitting fold. */
    double *tally = calloc(4 * most_codes, sizeof *tally);
    ll_status st = LL_OK;
    if (!codes || (any_target && !fold_of) || !tally || ll_fold_fitted_init(out, enc) != 0 ||
        (any_target && deal_folds(n, LL_TARGET_CROSS_FIT_FOLDS, seed, fold_of) != 0)) {
        st = ll_fail(err, LL_ENOMEM, "out of memory");
        goto out;
    }
    double *rows_with = tally, *pos_with = tally + most_codes;
    double *in_rows = tally + 2 * most_codes, *in_pos = tally + 3 * most_codes;
    for (size_t t = 0; t < out->n && st == LL_OK; t++) {
        ll_fold_table *table = &out->tables[t];
        size_t n_codes = table->column.n_keys + 2;
        if ((st = read_codes(&table->column, x, n, n_cols, codes, err)) != LL_OK)
            break;
        memset(rows_with, 0, n_codes * sizeof *rows_with);
        memset(pos_with, 0, n_codes * sizeof *pos_with);
        for (size_t i = 0; i < n; i++) {
            rows_with[codes[i]] += 1.0;
            pos_with[codes[i]] += y[i] != 0;
        }
        fill_table(table, rows_with, pos_with, n, n_pos);
        if (table->column.kind == LL_FOLD_TARGET)
            cross_fit(table, codes, y, n, fold_of, rows_with, pos_with, n_pos, in_rows, in_pos,
                      x, n_cols);
        else
            write_column(table, codes, x, n, n_cols);
    }
out:
    if (st != LL_OK)
        ll_fold_fitted_free(out);
    free(codes);
    free(fold_of);
    free(tally);
    return st;
}

ll_status ll_fold_apply(const ll_fold_fitted *fitted, double *x, size_t n, size_t n_cols,
                        ll_err *err)
{
    if (fitted->n == 0)
        return LL_OK;
    if (n > SIZE_MAX / sizeof(size_t) / fitted->n)
        return ll_fail(err, LL_ENOMEM, "out of memory");
    size_t *codes = malloc((n ? n * fitted->n : 1) * sizeof *codes);
    if (!codes)
        return ll_fail(err, LL_ENOMEM, "out of memory");
    ll_status st = LL_OK;
    /* Every column is checked before any is rewritten, so a refused matrix is left whole. */
    for (size_t t = 0; t < fitted->n && st == LL_OK; t++)
        st = read_codes(&fitted->tables[t].column, x, n, n_cols, codes + t * n, err);
    for (size_t t = 0; t < fitted->n && st == LL_OK; t++)
        write_column(&fitted->tables[t], codes + t * n, x, n, n_cols);
    free(codes);
    return st;
}

/* ---- model files ---- */

int ll_fold_fitted_save(const ll_fold_fitted *fitted, ll_writer *w)
{
    int bad = ll_write_size(w, fitted->n);
    for (size_t t = 0; !bad && t < fitted->n; t++) {
        const ll_fold_table *table = &fitted->tables[t];
        const ll_fold_column *c = &table->column;
        bad = ll_write_size(w, c->column) || ll_write_u64(w, (uint64_t)c->kind) ||
              ll_write_size(w, c->n_keys) || ll_write_f64(w, c->smoothing) ||
              ll_write_u64(w, c->has_fill ? 1u : 0u) ||
              ll_write_f64(w, c->has_fill ? c->fill : 0.0) ||
              ll_write_f64s(w, table->values, c->n_keys + 2);
    }
    return bad ? -1 : 0;
}

int ll_fold_value_ok(const ll_fold_column *c, size_t k, double v)
{
    if (k == ll_fold_filled_code(c))
        return v == (c->has_fill ? c->fill : 0.0);
    if (c->kind == LL_FOLD_TARGET)
        return v >= 0.0 && v <= 1.0;
    if (k == ll_fold_unseen_code(c))
        return v == 0.0;
    if (c->kind == LL_FOLD_FREQUENCY)
        return v >= 0.0 && v <= 1.0;
    return v >= 0.0 && v <= 9007199254740992.0 && v == floor(v); /* a count: 0 .. 2^53 */
}

ll_status ll_fold_fitted_load(ll_reader *r, const ll_fold_encoding *expected,
                              ll_fold_fitted *out, ll_err *err)
{
    memset(out, 0, sizeof *out);
    size_t n, bytes = 0;
    for (size_t t = 0; t < expected->n; t++)
        bytes += 48 + 8 * (expected->columns[t].n_keys + 2);
    if (ll_read_size(r, 0, SIZE_MAX, &n) != 0 || n != expected->n)
        return ll_fail(err, LL_EINVAL, "its learned feature tables do not match its feature "
                       "pipeline");
    /* The encoder's key counts were bounded by its own bytes; these tables must fit in what is
     * left before anything is allocated for them. */
    if (bytes > r->remaining(r->ctx) || ll_fold_fitted_init(out, expected) != 0)
        return ll_fail(err, LL_EINVAL, "its learned feature tables are truncated");
    for (size_t t = 0; t < n; t++) {
        ll_fold_table *table = &out->tables[t];
        ll_fold_column got;
        uint64_t kind, has_fill;
        memset(&got, 0, sizeof got);
        int bad = ll_read_size(r, 0, SIZE_MAX, &got.column) || ll_read_u64(r, &kind) ||
                  kind < LL_FOLD_COUNT || kind > LL_FOLD_TARGET ||
                  ll_read_size(r, 0, SIZE_MAX, &got.n_keys) || ll_read_f64(r, &got.smoothing) ||
                  ll_read_u64(r, &has_fill) || has_fill > 1 || ll_read_f64(r, &got.fill);
        got.kind = (ll_fold_kind)kind;
        got.has_fill = (int)has_fill;
        if (bad || !ll_fold_column_equal(&got, &table->column)) {
            ll_fold_fitted_free(out);
            return ll_fail(err, LL_EINVAL, "its learned feature table %zu does not match its "
                           "feature pipeline", t + 1);
        }
        size_t n_codes = got.n_keys + 2;
        bad = ll_read_f64s(r, table->values, n_codes) != 0;
        for (size_t k = 0; !bad && k < n_codes; k++)
            bad = !ll_fold_value_ok(&got, k, table->values[k]);
        if (bad) {
            ll_fold_fitted_free(out);
            return ll_fail(err, LL_EINVAL, "its learned feature table %zu is corrupt", t + 1);
        }
    }
    return LL_OK;
}
