/* Fold-fitted encodings (core/fold_encoding.c): count, frequency and target tables against
 * values worked out by hand, target cross-fitting that never lets a training row see its own
 * label, refusals of what is no key code, and the tables' model-file form. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "fold_encoding.h"
#include "harness.h"

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

int main(void)
{
    Suite *s = suite_create("fold_encoding");
    TCase *tc = tcase_create("fold_encoding");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, count_and_frequency_by_hand);
    tcase_add_test(tc, target_table_by_hand);
    tcase_add_test(tc, target_cross_fitting_never_sees_a_rows_own_label);
    tcase_add_test(tc, what_is_no_key_code_is_refused);
    tcase_add_test(tc, tables_in_model_files_load_back_or_are_refused);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
