/* Fold-fitted encodings (core/fold_encoding.c): count, frequency and target tables against
 * values worked out by hand, target cross-fitting that never lets a training row see its own
 * label, refusals of what is no key code, the tables' model-file form, and the leakage
 * proof: changing a test-fold row (its key or its label) leaves everything the cell learned
 * from its training rows, and the other test rows' scores, bit for bit as they were. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "cell.h"
#include "fit.h"
#include "fold_encoding.h"
#include "harness.h"
#include "runner.h"

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", th_tmpdir()); }

/* ---- tables on twelve rows, by hand -------------------------------------------------------- */

/* Twelve training rows of one learned column with four training-file keys (codes 0..3), the
 * unseen code 4 and, with a fill of -1, the filled code 5:
 *   code 0: rows 0, 1, 2, 6, 9  labels 1 0 1 0 0   5 rows, 2 positive
 *   code 1: rows 3, 4, 7, 10    labels 0 0 1 0     4 rows, 1 positive
 *   code 2: row 5               label 1            1 row,  1 positive
 *   code 3: no row (a key of the training file that this fit's rows do not hold)
 *   code 5: rows 8, 11          labels 1 0         a missing source: the fill
 * 5 positives of 12 rows: the prior is 5/12. */
enum { N12 = 12 };
static const double codes12[N12] = {0, 0, 0, 1, 1, 2, 0, 1, 5, 0, 1, 5};
static const uint8_t y12[N12] = {1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0};

static ll_fold_encoding one_column(ll_fold_kind kind, double smoothing)
{
    ll_fold_encoding enc = {calloc(1, sizeof(ll_fold_column)), 1};
    ck_assert_ptr_nonnull(enc.columns);
    enc.columns[0] = (ll_fold_column){.column = 1, .kind = kind, .n_keys = 4,
                                      .smoothing = smoothing, .has_fill = 1, .fill = -1};
    return enc;
}

/* Two columns: a plain feature (row index) then the codes; fit and check the plain column
 * is left alone. Returns the fitted tables; x receives the encoded matrix. */
static ll_fold_fitted fit12(const ll_fold_encoding *enc, const uint8_t *y, uint64_t seed,
                            double *x)
{
    for (size_t i = 0; i < N12; i++) {
        x[2 * i] = (double)i;
        x[2 * i + 1] = codes12[i];
    }
    ll_fold_fitted fitted;
    ll_err err = {{0}};
    ck_assert_msg(ll_fold_fit(enc, x, y, N12, 2, seed, &fitted, &err) == LL_OK, "%s", err.msg);
    for (size_t i = 0; i < N12; i++)
        ck_assert_double_eq(x[2 * i], (double)i);
    ck_assert_uint_eq(fitted.n, 1);
    return fitted;
}

/* Encodes one row per code (0..5) with the fitted tables, as test rows are. */
static void apply_codes(const ll_fold_fitted *fitted, double *out)
{
    double x[12];
    for (size_t k = 0; k < 6; k++) {
        x[2 * k] = 7.0;
        x[2 * k + 1] = (double)k;
    }
    ll_err err = {{0}};
    ck_assert_msg(ll_fold_apply(fitted, x, 6, 2, &err) == LL_OK, "%s", err.msg);
    for (size_t k = 0; k < 6; k++) {
        ck_assert_double_eq(x[2 * k], 7.0);
        out[k] = x[2 * k + 1];
    }
}

START_TEST(count_and_frequency_by_hand)
{
    /* count: rows per code among the twelve (5, 4, 1, 0), 0 for unseen, the fill for filled;
     * frequency: those counts over 12. Training rows take their code's value. */
    const double count[6] = {5, 4, 1, 0, 0, -1};
    const double freq[6] = {5.0 / 12, 4.0 / 12, 1.0 / 12, 0, 0, -1};
    for (int kind = LL_FOLD_COUNT; kind <= LL_FOLD_FREQUENCY; kind++) {
        const double *want = kind == LL_FOLD_COUNT ? count : freq;
        ll_fold_encoding enc = one_column((ll_fold_kind)kind, 0);
        double x[2 * N12], applied[6];
        ll_fold_fitted fitted = fit12(&enc, y12, 1, x);
        for (size_t k = 0; k < 6; k++)
            ck_assert_double_eq(fitted.tables[0].values[k], want[k]);
        for (size_t i = 0; i < N12; i++)
            ck_assert_double_eq(x[2 * i + 1], want[(size_t)codes12[i]]);
        apply_codes(&fitted, applied);
        for (size_t k = 0; k < 6; k++)
            ck_assert_double_eq(applied[k], want[k]);
        ll_fold_fitted_free(&fitted);
        ll_fold_encoding_free(&enc);
    }
}
END_TEST

/* The table test rows get: (positives + m * prior) / (rows + m) with m = 2, prior 5/12:
 *   code 0: (2 + 10/12) / 7 = 17/42     code 1: (1 + 10/12) / 6 = 11/36
 *   code 2: (1 + 10/12) / 3 = 11/18     code 3: (0 + 10/12) / 2 = 5/12, the prior
 *   unseen: the prior 5/12              filled: the fill -1
 * (fractions reduced by hand; the code computes them in floating point, hence 1e-15). */
START_TEST(target_table_by_hand)
{
    const double want[6] = {17.0 / 42, 11.0 / 36, 11.0 / 18, 5.0 / 12, 5.0 / 12, -1};
    ll_fold_encoding enc = one_column(LL_FOLD_TARGET, 2.0);
    double x[2 * N12], applied[6];
    ll_fold_fitted fitted = fit12(&enc, y12, 1, x);
    apply_codes(&fitted, applied);
    for (size_t k = 0; k < 6; k++) {
        ck_assert_double_eq_tol(fitted.tables[0].values[k], want[k], 1e-15);
        ck_assert_double_eq(applied[k], fitted.tables[0].values[k]);
    }
    ll_fold_fitted_free(&fitted);
    ll_fold_encoding_free(&enc);
}
END_TEST

/* Cross-fitting, proved from the outside. Flipping training row i's label must leave its own
 * encoding bit for bit (it never enters it), and also those of the rows in its cross-fitting
 * fold, while every row outside that fold moves (their prior holds row i's label, and m > 0).
 * So the rows a flip leaves alone reveal i's fold. The folds found this way must partition
 * the twelve rows into five of sizes 3, 3, 2, 2, 2, and every row's encoding must equal the
 * m-estimate recomputed here by brute force from the rows outside its fold. */
START_TEST(target_cross_fitting_never_sees_a_rows_own_label)
{
    const double m = 2.0;
    ll_fold_encoding enc = one_column(LL_FOLD_TARGET, m);
    double base[2 * N12], flipped[2 * N12];
    ll_fold_fitted fitted = fit12(&enc, y12, 42, base);
    ll_fold_fitted_free(&fitted);
    int fold[N12];
    int n_folds = 0;
    for (size_t i = 0; i < N12; i++)
        fold[i] = -1;
    for (size_t i = 0; i < N12; i++) {
        uint8_t y[N12];
        memcpy(y, y12, sizeof y);
        y[i] = !y[i];
        fitted = fit12(&enc, y, 42, flipped);
        ll_fold_fitted_free(&fitted);
        ck_assert_msg(flipped[2 * i + 1] == base[2 * i + 1],
                      "row %zu's encoding moved when its own label flipped", i);
        /* Row i's fold: i and the rows the flip left alone. A filled row holds the fill
         * whatever the labels, so it says nothing here; its own flip places it. */
        int same[N12], f = fold[i];
        for (size_t j = 0; j < N12; j++) {
            same[j] = j == i || (codes12[j] != 5 && flipped[2 * j + 1] == base[2 * j + 1]);
            if (same[j] && fold[j] >= 0)
                f = fold[j];
        }
        if (f < 0)
            f = n_folds++;
        for (size_t j = 0; j < N12; j++) {
            if (!same[j])
                continue;
            ck_assert_msg(fold[j] < 0 || fold[j] == f, "rows %zu and %zu", i, j);
            fold[j] = f;
        }
    }
    ck_assert_int_eq(n_folds, LL_TARGET_CROSS_FIT_FOLDS);
    size_t sizes[LL_TARGET_CROSS_FIT_FOLDS] = {0};
    for (size_t i = 0; i < N12; i++)
        sizes[fold[i]]++;
    size_t threes = 0, twos = 0;
    for (int f = 0; f < n_folds; f++) {
        threes += sizes[f] == 3;
        twos += sizes[f] == 2;
    }
    ck_assert_msg(threes == 2 && twos == 3, "fold sizes are not 3, 3, 2, 2, 2");
    for (size_t i = 0; i < N12; i++) {
        if (codes12[i] == 5) {
            ck_assert_double_eq(base[2 * i + 1], -1);
            continue;
        }
        double rows = 0, pos = 0, out_rows = 0, out_pos = 0;
        for (size_t j = 0; j < N12; j++) {
            if (fold[j] == fold[i])
                continue;
            out_rows += 1;
            out_pos += y12[j];
            if (codes12[j] == codes12[i]) {
                rows += 1;
                pos += y12[j];
            }
        }
        double prior = out_pos / out_rows;
        ck_assert_double_eq_tol(base[2 * i + 1], (pos + m * prior) / (rows + m), 1e-15);
    }
    /* The folds come from the seed: the same seed, the same encoding; another, another. */
    fitted = fit12(&enc, y12, 42, flipped);
    ll_fold_fitted_free(&fitted);
    ck_assert(memcmp(base, flipped, sizeof base) == 0);
    fitted = fit12(&enc, y12, 43, flipped);
    ll_fold_fitted_free(&fitted);
    ck_assert(memcmp(base, flipped, sizeof base) != 0);
    ll_fold_encoding_free(&enc);
}
END_TEST

START_TEST(what_is_no_key_code_is_refused)
{
    ll_fold_encoding enc = one_column(LL_FOLD_COUNT, 0);
    double x[2 * N12];
    ll_fold_fitted fitted = fit12(&enc, y12, 1, x);
    /* 6 is past the filled code, 1.5 and -1 no index, NaN nothing */
    const double bad[] = {6, 1.5, -1, NAN};
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        double rows[4] = {0, 1, 0, bad[b]}, copy[4];
        memcpy(copy, rows, sizeof rows);
        ll_err err = {{0}};
        ck_assert_int_eq(ll_fold_apply(&fitted, rows, 2, 2, &err), LL_EINVAL);
        ck_assert_msg(strstr(err.msg, "not one of its 6 key codes"), "%s", err.msg);
        ck_assert_msg(memcmp(rows, copy, sizeof rows) == 0 || isnan(bad[b]),
                      "a refused matrix was changed");
    }
    ll_fold_fitted_free(&fitted);
    /* Without a fill there is no filled code: 5 is refused too, in a fit as in an apply. */
    enc.columns[0].has_fill = 0;
    double rows[4] = {0, 1, 0, 5};
    uint8_t y[2] = {0, 1};
    ll_err err = {{0}};
    ck_assert_int_eq(ll_fold_fit(&enc, rows, y, 2, 2, 1, &fitted, &err), LL_EINVAL);
    ck_assert_uint_eq(fitted.n, 0);
    /* A target needs two training rows to cross-fit. */
    enc.columns[0].kind = LL_FOLD_TARGET;
    enc.columns[0].smoothing = 1;
    ck_assert_int_eq(ll_fold_fit(&enc, rows, y, 1, 2, 1, &fitted, &err), LL_EINVAL);
    ck_assert_msg(strstr(err.msg, "at least 2 training rows"), "%s", err.msg);
    ll_fold_encoding_free(&enc);
}
END_TEST

/* Saved tables load back bit for bit against the encoder's description; a description that
 * differs, a value the kind cannot take and every truncation are refused with a message. */
START_TEST(tables_in_model_files_load_back_or_are_refused)
{
    ll_fold_encoding enc = {calloc(3, sizeof(ll_fold_column)), 3};
    ck_assert_ptr_nonnull(enc.columns);
    for (size_t c = 0; c < 3; c++)
        enc.columns[c] = (ll_fold_column){.column = c, .kind = (ll_fold_kind)(LL_FOLD_COUNT + c),
                                          .n_keys = 4, .has_fill = 1, .fill = -1,
                                          .smoothing = c == 2 ? 2.0 : 0.0};
    double x[3 * N12];
    for (size_t i = 0; i < N12; i++)
        for (size_t c = 0; c < 3; c++)
            x[3 * i + c] = codes12[i];
    ll_fold_fitted fitted, loaded;
    ll_err err = {{0}};
    ck_assert_msg(ll_fold_fit(&enc, x, y12, N12, 3, 5, &fitted, &err) == LL_OK, "%s", err.msg);
    ll_blob blob = {0};
    ll_writer w = ll_blob_writer(&blob);
    ck_assert_int_eq(ll_fold_fitted_save(&fitted, &w), 0);
    ck_assert(!blob.failed);
    ll_span span = {blob.data, blob.len, 0};
    ll_reader r = ll_span_reader(&span);
    ck_assert_msg(ll_fold_fitted_load(&r, &enc, &loaded, &err) == LL_OK, "%s", err.msg);
    ck_assert_uint_eq(span.pos, blob.len);
    for (size_t t = 0; t < 3; t++)
        ck_assert(memcmp(loaded.tables[t].values, fitted.tables[t].values, 6 * sizeof(double)) ==
                  0);
    ll_fold_fitted_free(&loaded);
    for (size_t len = 0; len < blob.len; len += 8) {
        span = (ll_span){blob.data, len, 0};
        r = ll_span_reader(&span);
        ck_assert_int_eq(ll_fold_fitted_load(&r, &enc, &loaded, &err), LL_EINVAL);
        ck_assert(err.msg[0] != '\0');
    }
    /* another smoothing than the encoder's */
    enc.columns[2].smoothing = 3.0;
    span = (ll_span){blob.data, blob.len, 0};
    r = ll_span_reader(&span);
    ck_assert_int_eq(ll_fold_fitted_load(&r, &enc, &loaded, &err), LL_EINVAL);
    ck_assert_msg(strstr(err.msg, "table 3 does not match"), "%s", err.msg);
    enc.columns[2].smoothing = 2.0;
    /* a count of 1.5, a frequency of 2, a target of NaN as code 0's value; the layout: u64 n,
     * then per table 6 fields of 8 bytes and 6 values */
    const double bad[3] = {1.5, 2.0, NAN};
    for (size_t t = 0; t < 3; t++) {
        size_t value0 = 8 + t * (48 + 48) + 48;
        uint8_t *copy = malloc(blob.len);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, blob.data, blob.len);
        uint64_t bits;
        memcpy(&bits, &bad[t], sizeof bits);
        th_put_u64(copy + value0, bits);
        span = (ll_span){copy, blob.len, 0};
        r = ll_span_reader(&span);
        ck_assert_int_eq(ll_fold_fitted_load(&r, &enc, &loaded, &err), LL_EINVAL);
        char want[64];
        snprintf(want, sizeof want, "table %zu is corrupt", t + 1);
        ck_assert_msg(strstr(err.msg, want), "%s", err.msg);
        free(copy);
    }
    ll_blob_free(&blob);
    ll_fold_fitted_free(&fitted);
    ll_fold_encoding_free(&enc);
}
END_TEST

/* ---- the leakage proof on a real cell ------------------------------------------------------ */

/* Count, frequency and target encodings of the campaign variables, a tuned cut (inner CV) and
 * the permutation importances a cell measures on its test rows. */
static const char LEAK_SPEC[] =
    "name: leak\n"
    "data: {train: train.csv, target: buy, id: id}\n"
    "features:\n"
    "  drop: [created_at, signup_date]\n"
    "  columns: {products_purchased: {fill: 0}}\n"
    "  derived:\n"
    "    pair_n: {count: [campaign_var_1, campaign_var_2]}\n"
    "    c1_share: {frequency: campaign_var_1}\n"
    "    pair_rate: {target: [campaign_var_1, campaign_var_2], smoothing: 5}\n"
    "    c2_rate: {target: campaign_var_2, fill: 0.5}\n"
    "cv: {folds: 3, seed: 9}\n"
    "samplers: [{smote: {k: 3}}]\n"
    "models: [logreg]\n"
    "threshold: {tune: f1, folds: 3}\n"
    "importances: permutation\n";

/* The CSV text with field `col` of data row `row` (0-based, after the header) replaced. */
static char *with_field(const char *csv, size_t row, size_t col, const char *value)
{
    const char *line = strchr(csv, '\n') + 1;
    for (size_t r = 0; r < row; r++)
        line = strchr(line, '\n') + 1;
    const char *start = line;
    for (size_t c = 0; c < col; c++)
        start = strchr(start, ',') + 1;
    const char *end = strpbrk(start, ",\n");
    size_t n = strlen(csv) + strlen(value) + 1;
    char *out = malloc(n);
    ck_assert_ptr_nonnull(out);
    snprintf(out, n, "%.*s%s%s", (int)(start - csv), csv, value, end);
    return out;
}

/* Field `col` of data row `row` into out. */
static void field_of(const char *csv, size_t row, size_t col, char *out, size_t cap)
{
    const char *line = strchr(csv, '\n') + 1;
    for (size_t r = 0; r < row; r++)
        line = strchr(line, '\n') + 1;
    for (size_t c = 0; c < col; c++)
        line = strchr(line, ',') + 1;
    snprintf(out, cap, "%.*s", (int)strcspn(line, ",\n"), line);
}

typedef struct {
    ll_registry reg;
    ll_spec spec;
    ll_encoder *enc;
    ll_dataset data;
} loaded_run;

static void load_run(const char *csv, loaded_run *out)
{
    char path[600];
    ll_error err;
    th_write_file(dir, "train.csv", csv, path, sizeof path);
    th_write_file(dir, "spec.yaml", LEAK_SPEC, path, sizeof path);
    ck_assert_msg(ll_spec_load(path, NULL, 0, &out->reg, &out->spec, &err) == 0, "%s", err.msg);
    ck_assert_msg(ll_dataset_load_train(out->spec.train_path, &out->spec.features, &out->enc,
                                        &out->data, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(out->data.encoding.n, 4);
}

static void free_run(loaded_run *r)
{
    ll_dataset_free(&r->data);
    ll_encoder_free(r->enc);
    ll_spec_free(&r->spec);
    ll_registry_free(&r->reg);
}

/* The matrix ll_fit_model leaves of the cell's training rows (encoded, then scaled), and the
 * fit's resampled row counts: what the model was trained on. Caller frees. */
static double *fitted_training_rows(const loaded_run *r, const uint32_t *fold_of,
                                    const ll_cell *cell, size_t *n_train)
{
    const ll_dataset *d = &r->data;
    size_t *rows = malloc(d->n_rows * sizeof *rows), n = 0;
    ck_assert_ptr_nonnull(rows);
    for (size_t i = 0; i < d->n_rows; i++)
        if (fold_of[i] != cell->fold)
            rows[n++] = i;
    double *x;
    uint8_t *y;
    ck_assert_int_eq(ll_gather_rows(d->x, d->y, d->n_cols, rows, n, &x, &y), 0);
    ll_fit_setup setup = {&r->spec.samplers[0], &r->spec.models[0], 1, d->n_cols, d->col_binary,
                          cell->seed, 1, (const char *const *)d->col_names, &d->encoding};
    ll_fitted fitted;
    ll_fit_stats stats;
    ll_err err = {{0}};
    ck_assert_msg(ll_fit_model(&setup, (ll_rows){x, y, n}, &fitted, &stats, &err) == LL_OK,
                  "%s", err.msg);
    ll_fitted_free(&fitted);
    free(rows);
    free(y);
    *n_train = n;
    return x;
}

/* Runs `cell` of a on the folds of a's plan, then the same cell of b (a's CSV with one
 * test-fold row changed) on the same folds; `changed` is that row. What the cell learned from
 * its training rows must not move: the encoded, scaled training matrix, the tuned cut and the
 * scores of every other test row are bit for bit the same; with same_row_score, the changed
 * row's score too (its features did not change). */
static void assert_cell_unmoved(const char *csv_a, const char *csv_b, size_t changed,
                                int same_row_score)
{
    loaded_run a, b;
    load_run(csv_a, &a);
    ll_run_result plan;
    ll_error err;
    ck_assert_msg(ll_plan_build(&a.spec, &a.data, (ll_digest){1, 2}, &plan, &err) == 0, "%s",
                  err.msg);
    const uint32_t *fold_of = plan.fold_of_row;
    size_t c = 0;
    while (plan.cells[c].fold != fold_of[changed] || plan.cells[c].repeat != 0)
        c++;
    ll_cell cell_a = ll_cell_pending_copy(&plan.cells[c]);
    ll_split split = ll_plan_split(&plan, &cell_a);
    ll_cell_run(&a.spec, &a.data, &split, &cell_a, 1);
    ck_assert_msg(cell_a.status == LL_CELL_OK, "%s", cell_a.error);
    size_t n_a, n_b;
    double *train_a = fitted_training_rows(&a, fold_of, &cell_a, &n_a);
    load_run(csv_b, &b);
    ll_cell cell_b = ll_cell_pending_copy(&plan.cells[c]);
    ll_cell_run(&b.spec, &b.data, &split, &cell_b, 1);
    ck_assert_msg(cell_b.status == LL_CELL_OK, "%s", cell_b.error);
    double *train_b = fitted_training_rows(&b, fold_of, &cell_b, &n_b);

    ck_assert_uint_eq(n_a, n_b);
    ck_assert_msg(memcmp(train_a, train_b, n_a * a.data.n_cols * sizeof *train_a) == 0,
                  "the encoded training rows moved");
    ck_assert_msg(cell_a.threshold == cell_b.threshold, "the tuned cut moved: %.17g, %.17g",
                  cell_a.threshold, cell_b.threshold);
    ck_assert_uint_eq(cell_a.fit.rows_after, cell_b.fit.rows_after);
    ck_assert_uint_eq(cell_a.n_test, cell_b.n_test);
    size_t t = 0, checked = 0;
    for (size_t i = 0; i < a.data.n_rows; i++) {
        if (fold_of[i] != cell_a.fold)
            continue;
        if (i != changed || same_row_score) {
            ck_assert_msg(cell_a.scores[t] == cell_b.scores[t], "test row %zu: %.17g, %.17g", i,
                          cell_a.scores[t], cell_b.scores[t]);
            checked++;
        }
        t++;
    }
    ck_assert_uint_ge(checked, 100);
    ll_cell_clear(&cell_a);
    ll_cell_clear(&cell_b);
    free(train_a);
    free(train_b);
    ll_run_result_free(&plan);
    free_run(&a);
    free_run(&b);
}

/* Under the old design (counts and, worse, target rates from the whole file) each change below
 * moves the training rows' encodings, so the model, its cut and every score: this fails. */
START_TEST(a_test_fold_row_never_shapes_what_its_cell_learns)
{
    char path[600];
    ll_error err;
    snprintf(path, sizeof path, "%s/synth.csv", dir);
    ck_assert_msg(ll_synth_write(path, 600, 21, &err) == 0, "%s", err.msg);
    char *csv = th_read_file(path);
    ck_assert_ptr_nonnull(csv);
    loaded_run a;
    load_run(csv, &a);
    /* the first positive row (so its flipped label is a negative's) */
    size_t changed = 0;
    while (!a.data.y[changed])
        changed++;
    free_run(&a);
    /* columns: id, created_at, campaign_var_1 (2), campaign_var_2 (3), ..., buy (18) */
    char *b = with_field(csv, changed, 2, "77"); /* a key no other row has */
    assert_cell_unmoved(csv, b, changed, 0);
    free(b);
    /* a key other rows share: the first campaign_var_2 that is not this row's */
    char mine[32], value[32];
    field_of(csv, changed, 3, mine, sizeof mine);
    for (size_t r = 0;; r++) {
        field_of(csv, r, 3, value, sizeof value);
        if (strcmp(value, mine) != 0)
            break;
    }
    b = with_field(csv, changed, 3, value);
    assert_cell_unmoved(csv, b, changed, 0);
    free(b);
    b = with_field(csv, changed, 18, "0"); /* its label */
    assert_cell_unmoved(csv, b, changed, 1);
    free(b);
    free(csv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fold_encoding");
    TCase *tc = tcase_create("fold_encoding");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, count_and_frequency_by_hand);
    tcase_add_test(tc, target_table_by_hand);
    tcase_add_test(tc, target_cross_fitting_never_sees_a_rows_own_label);
    tcase_add_test(tc, what_is_no_key_code_is_refused);
    tcase_add_test(tc, tables_in_model_files_load_back_or_are_refused);
    tcase_add_test(tc, a_test_fold_row_never_shapes_what_its_cell_learns);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
