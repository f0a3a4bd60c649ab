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
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
