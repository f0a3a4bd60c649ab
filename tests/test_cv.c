/* Tests for stratified fold assignment and fold-local z-scoring. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cv.h"
#include "harness.h"
#include "scaler.h"

/* 1000 rows, 53 positives at scattered positions. */
static void make_labels(uint8_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = (i * 37 % 1000) < 53;
}

START_TEST(folds_are_stratified_and_cover_every_row)
{
    enum { N = 1000, K = 5 };
    uint8_t y[N];
    uint32_t fold[N];
    make_labels(y, N);
    size_t n_pos = 0;
    for (size_t i = 0; i < N; i++)
        n_pos += y[i];
    ll_error err;
    ck_assert_int_eq(ll_cv_stratified_folds(y, N, K, 123, fold, &err), 0);
    size_t pos[K] = {0}, size[K] = {0};
    for (size_t i = 0; i < N; i++) {
        ck_assert_uint_lt(fold[i], K);
        size[fold[i]]++;
        pos[fold[i]] += y[i];
    }
    for (size_t f = 0; f < K; f++) {
        /* each class is dealt round-robin: floor or ceil of its share per fold */
        ck_assert_uint_ge(pos[f], n_pos / K);
        ck_assert_uint_le(pos[f], (n_pos + K - 1) / K);
        ck_assert_uint_ge(size[f], N / K);
        ck_assert_uint_le(size[f], (N + K - 1) / K);
    }
}
END_TEST

START_TEST(folds_depend_only_on_the_seed)
{
    enum { N = 1000 };
    uint8_t y[N];
    uint32_t a[N], b[N], c[N];
    make_labels(y, N);
    ll_error err;
    ck_assert_int_eq(ll_cv_stratified_folds(y, N, 5, 7, a, &err), 0);
    ck_assert_int_eq(ll_cv_stratified_folds(y, N, 5, 7, b, &err), 0);
    ck_assert_int_eq(ll_cv_stratified_folds(y, N, 5, 8, c, &err), 0);
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert_int_ne(memcmp(a, c, sizeof a), 0);
}
END_TEST

START_TEST(too_few_positives_for_the_folds)
{
    uint8_t y[20] = {1, 1, 1};
    uint32_t fold[20];
    ll_error err;
    ck_assert_int_eq(ll_cv_stratified_folds(y, 20, 5, 1, fold, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "3 positives"));
}
END_TEST

/* A halving budget: a stratified share of the split's training rows, in row order, never a
 * test or outer-test row, and every smaller budget's rows inside every larger one's. */
START_TEST(halving_subsamples_are_stratified_and_nested)
{
    enum { N = 1000 };
    uint8_t y[N];
    uint32_t fold[N];
    make_labels(y, N); /* 53 positives */
    for (size_t i = 0; i < N; i++)
        fold[i] = i % 10 == 0 ? LL_FOLD_NONE : (uint32_t)(i % 3); /* 100 rows outside */
    size_t prev[N], n_prev = 0, rows[N];
    const size_t budgets[] = {40, 120, 360, 0};
    for (size_t b = 0; b < 4; b++) {
        ll_split split = {fold, 2, budgets[b], 99};
        size_t n = ll_split_train_rows(&split, y, N, rows);
        size_t pos = 0, all_train = 0, all_pos = 0;
        for (size_t i = 0; i < N; i++)
            if (ll_split_is_train(&split, i)) {
                all_train++;
                all_pos += y[i];
            }
        ck_assert_uint_eq(n, budgets[b] ? budgets[b] : all_train);
        for (size_t j = 0; j < n; j++) {
            ck_assert(ll_split_is_train(&split, rows[j]));
            ck_assert(j == 0 || rows[j] > rows[j - 1]);
            pos += y[rows[j]];
        }
        /* the class share, rounded: 40 x 32/600 = 2.13 -> 2; 120 -> 6.4 -> 6; 360 -> 19.2 -> 19 */
        double want = budgets[b] ? round((double)budgets[b] * (double)all_pos / (double)all_train)
                                 : (double)all_pos;
        ck_assert_uint_eq(pos, (size_t)want);
        /* nested: every row of the previous (smaller) budget is here */
        size_t j = 0;
        for (size_t k = 0; k < n_prev; k++) {
            while (j < n && rows[j] < prev[k])
                j++;
            ck_assert_msg(j < n && rows[j] == prev[k], "budget %zu lost row %zu", budgets[b],
                          prev[k]);
        }
        memcpy(prev, rows, n * sizeof *rows);
        n_prev = n;
    }
}
END_TEST

START_TEST(scaler_centres_and_scales_training_columns)
{
    /* column 0: 1, 2, 3, 4 -> mean 2.5, population sd sqrt(1.25); column 1 constant */
    double x[] = {1, 7, 2, 7, 3, 7, 4, 7};
    ll_scaler s;
    ck_assert_int_eq(ll_scaler_fit(&s, x, 4, 2), 0);
    ck_assert_double_eq_tol(s.mean[0], 2.5, 1e-15);
    ck_assert_double_eq_tol(s.scale[0], sqrt(1.25), 1e-15);
    ck_assert_double_eq(s.scale[1], 1.0); /* constant: left unscaled, as scikit-learn */
    double test_row[] = {5, 8};
    ll_scaler_apply(&s, x, 4);
    ll_scaler_apply(&s, test_row, 1);
    ck_assert_double_eq_tol(x[0], -1.5 / sqrt(1.25), 1e-15);
    ck_assert_double_eq_tol(test_row[0], 2.5 / sqrt(1.25), 1e-15);
    ck_assert_double_eq_tol(test_row[1], 1.0, 1e-15);
    ll_scaler_free(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cv");
    TCase *tc = tcase_create("cv");
    tcase_add_test(tc, folds_are_stratified_and_cover_every_row);
    tcase_add_test(tc, folds_depend_only_on_the_seed);
    tcase_add_test(tc, too_few_positives_for_the_folds);
    tcase_add_test(tc, scaler_centres_and_scales_training_columns);
    tcase_add_test(tc, halving_subsamples_are_stratified_and_nested);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
