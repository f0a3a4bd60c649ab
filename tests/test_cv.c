/* Tests for fold assignment (stratified, and time-ordered: forward chaining and a final-period
 * holdout, with the training / test rule of ll_split) and fold-local z-scoring. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cv.h"
#include "dataset.h"
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
        ll_split split = {fold, 2, 0, budgets[b], 99};
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

/* ---- time-ordered folds ---- */

#define E LL_FOLD_EARLIEST

static long jan(int day) { return ll_days_from_civil(2021, 1, day); }

START_TEST(time_blocks_without_ties_cut_as_time_series_split)
{
    /* 10 rows on 10 days, listed out of order (row i is dated day[i]). TimeSeriesSplit(n_splits=3)
     * on 10 samples: test_size = 10 // 4 = 2, tests start at 4, 6, 8 of the sorted rows; so the
     * earliest block is the 4 earliest days (1..4), then days 5-6 (fold 0), 7-8 (1), 9-10 (2). */
    static const int day[10] = {7, 1, 10, 4, 2, 9, 5, 3, 8, 6};
    long days[10];
    for (int i = 0; i < 10; i++)
        days[i] = jan(day[i]);
    uint32_t fold[10];
    ll_error err;
    ck_assert_msg(ll_cv_time_folds(days, 10, 3, 0.0, fold, &err) == 0, "%s", err.msg);
    for (int i = 0; i < 10; i++) {
        uint32_t expected = day[i] <= 4 ? E : (uint32_t)((day[i] - 5) / 2);
        ck_assert_msg(fold[i] == expected, "row %d (day %d): fold %u, expected %u", i, day[i],
                      fold[i], expected);
    }
}
END_TEST

START_TEST(time_blocks_keep_each_day_whole)
{
    /* 12 rows, 2 folds: 3 blocks of 12 // 3 = 4 rows, nominally starting at sorted positions 4
     * and 8. Sorted by (day, row) the rows are
     *   position: 0  1  2  3  4  5  6  7  8   9  10 11
     *   row:      1  8  5  3  9  0  4  6  11  10 2  7
     *   day:      1  1  2  3  3  4  4  4  4   5  6  6
     * Position 4 splits day 3 (positions 3-4): one row to its start, one to its end, a tie, so
     * the boundary moves to the start (3). Position 8 splits day 4 (positions 5-8): 3 rows to
     * its start, 1 to its end, so it moves to the end (9). Blocks: positions 0-2 (earliest),
     * 3-8 (fold 0: days 3 and 4), 9-11 (fold 1: days 5 and 6). */
    static const int day[12] = {4, 1, 6, 3, 4, 2, 4, 6, 1, 3, 5, 4};
    static const uint32_t expected[12] = {0, E, 1, 0, 0, E, 0, 1, E, 0, 1, 0};
    long days[12];
    for (int i = 0; i < 12; i++)
        days[i] = jan(day[i]);
    uint32_t fold[12];
    ll_error err;
    ck_assert_msg(ll_cv_time_folds(days, 12, 2, 0.0, fold, &err) == 0, "%s", err.msg);
    for (int i = 0; i < 12; i++)
        ck_assert_msg(fold[i] == expected[i], "row %d (day %d): fold %u, expected %u", i, day[i],
                      fold[i], expected[i]);
}
END_TEST

START_TEST(holdout_tests_the_latest_share)
{
    /* 10 rows on distinct days, holdout 0.25: ceil(2.5) = 3 latest rows tested (days 8-10). */
    long days[10];
    for (int i = 0; i < 10; i++)
        days[i] = jan(10 - i); /* newest first: the order of the rows must not matter */
    uint32_t fold[10];
    ll_error err;
    ck_assert_msg(ll_cv_time_folds(days, 10, 0, 0.25, fold, &err) == 0, "%s", err.msg);
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(fold[i], i < 3 ? 0 : E);
    /* 8 rows on days 1 1 2 2 2 3 3 3, holdout 0.5: the boundary at sorted position 4 splits
     * day 2 (positions 2-4) two rows from its start and one from its end: it moves to the end,
     * so only day 3's three rows are tested. */
    static const int tied[8] = {1, 1, 2, 2, 2, 3, 3, 3};
    for (int i = 0; i < 8; i++)
        days[i] = jan(tied[i]);
    ck_assert_msg(ll_cv_time_folds(days, 8, 0, 0.5, fold, &err) == 0, "%s", err.msg);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(fold[i], tied[i] == 3 ? 0 : E);
}
END_TEST

START_TEST(time_blocks_the_days_cannot_fill_are_refused)
{
    long days[6];
    uint32_t fold[6];
    ll_error err;
    for (int i = 0; i < 6; i++)
        days[i] = jan(i < 5 ? 1 : 2); /* five rows on one day: no three blocks of whole days */
    ck_assert_int_eq(ll_cv_time_folds(days, 6, 2, 0.0, fold, &err), -1);
    ck_assert_msg(strstr(err.msg, "6 rows cannot make 3 blocks of whole days of about 2 rows: "
                                  "2021-01-01 alone has 5 rows"), "%s", err.msg);
    ck_assert_int_eq(ll_cv_time_folds(days, 2, 2, 0.0, fold, &err), -1); /* fewer rows than blocks */
    ck_assert_msg(strstr(err.msg, "2 rows cannot make 3 blocks"), "%s", err.msg);
    ck_assert_int_eq(ll_cv_time_folds(days, 6, 0, 0.99, fold, &err), -1); /* nothing to train on */
    ck_assert_msg(strstr(err.msg, "6 rows cannot make 2 blocks"), "%s", err.msg);
}
END_TEST

START_TEST(forward_splits_train_only_on_earlier_folds)
{
    /* Fold values of 5 rows; fold 1 as the test fold. */
    static const uint32_t folds[5] = {E, 0, 1, 2, LL_FOLD_NONE};
    ll_split forward = {folds, 1, 1, 0, 0}, kfold = {folds, 1, 0, 0, 0};
    static const int train_forward[5] = {1, 1, 0, 0, 0}, train_kfold[5] = {1, 1, 0, 1, 0};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(ll_split_is_train(&forward, i), train_forward[i]);
        ck_assert_int_eq(ll_split_is_train(&kfold, i), train_kfold[i]);
        ck_assert_int_eq(ll_split_is_test(&forward, i), i == 2);
        ck_assert_int_eq(ll_split_is_test(&kfold, i), i == 2);
    }
    /* fold 0: forward trains on the earliest block only, k-fold on every other fold */
    forward.test_fold = kfold.test_fold = 0;
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(ll_split_is_train(&forward, i), i == 0);
        ck_assert_int_eq(ll_split_is_train(&kfold, i), i == 0 || i == 2 || i == 3);
    }
}
END_TEST

/* The created_at dates of a synthetic table (tests/support: the project's generator, sorted by
 * date like the real file), read through the loader's order column. */
static long *synthetic_days(size_t rows, uint64_t seed, uint8_t **y)
{
    char path[512];
    snprintf(path, sizeof path, "%s/synth.csv", th_tmpdir());
    ll_error err;
    ck_assert_msg(ll_synth_write(path, rows, seed, &err) == 0, "%s", err.msg);
    char *drop[] = {"created_at", "signup_date", "products_purchased"};
    ll_feature_spec fs = {.target = "buy", .positive = "1", .drop = drop, .n_drop = 3,
                          .order_column = "created_at"};
    ll_encoder *enc;
    ll_dataset ds;
    ck_assert_msg(ll_dataset_load_train(path, &fs, &enc, &ds, &err) == 0, "%s", err.msg);
    ck_assert_ptr_nonnull(ds.order_days);
    long *days = ds.order_days;
    *y = ds.y;
    ds.order_days = NULL;
    ds.y = NULL;
    ll_dataset_free(&ds);
    ll_encoder_free(enc);
    return days;
}

/* For every fold of a time-ordered split: every training row is from an earlier day than
 * every test row, and the training rows are all the rows before the test block (nothing
 * earlier is left out); the test blocks are disjoint and, with the earliest block, cover every
 * row. Returns the number of folds. */
static size_t check_forward_invariants(const long *days, size_t n, const uint32_t *fold,
                                       size_t folds)
{
    size_t tested = 0, earliest = 0;
    for (size_t i = 0; i < n; i++) {
        earliest += fold[i] == E;
        ck_assert_msg(fold[i] == E || fold[i] < folds, "row %zu: fold %u", i, fold[i]);
    }
    for (size_t f = 0; f < folds; f++) {
        ll_split split = {fold, (uint32_t)f, 1, 0, 0};
        ll_split_span span;
        ll_split_describe(&split, NULL, days, n, &span);
        ck_assert_uint_gt(span.n_test, 0);
        ck_assert_msg(span.train_last < span.test_first, "fold %zu: trains up to day %ld, tests "
                      "from day %ld", f, span.train_last, span.test_first);
        size_t before = 0;
        for (size_t i = 0; i < n; i++)
            before += days[i] < span.test_first;
        ck_assert_uint_eq(span.n_train, before);
        tested += span.n_test;
    }
    ck_assert_uint_eq(tested + earliest, n);
    return folds;
}

START_TEST(time_folds_never_train_on_a_later_day)
{
    enum { N = 3000 };
    uint8_t *y;
    long *days = synthetic_days(N, 11, &y);
    long *reversed = malloc(N * sizeof *reversed);
    uint32_t *fold = malloc(N * sizeof *fold), *fold_rev = malloc(N * sizeof *fold_rev);
    ck_assert(reversed && fold && fold_rev);
    size_t busiest = 0; /* the most rows of one day */
    for (size_t i = 0, run = 0; i < N; i++) {
        reversed[i] = days[N - 1 - i];
        run = i && days[i] == days[i - 1] ? run + 1 : 1; /* the file is sorted by date */
        busiest = run > busiest ? run : busiest;
    }
    ll_error err;
    static const size_t ks[] = {2, 3, 4, 5, 8};
    static const double holdouts[] = {0.1, 0.2, 0.5};
    for (size_t c = 0; c < 8; c++) {
        size_t k = c < 5 ? ks[c] : 0;
        double h = c < 5 ? 0.0 : holdouts[c - 5];
        ck_assert_msg(ll_cv_time_folds(days, N, k, h, fold, &err) == 0, "%s", err.msg);
        check_forward_invariants(days, N, fold, h > 0 ? 1 : k);
        /* a row's fold depends on its day only, not on where the row is in the file */
        ck_assert_msg(ll_cv_time_folds(reversed, N, k, h, fold_rev, &err) == 0, "%s", err.msg);
        for (size_t i = 0; i < N; i++)
            ck_assert_uint_eq(fold_rev[N - 1 - i], fold[i]);
        /* whole days move each of a block's two boundaries by less than a day's rows: a test
         * block holds N / (k + 1) rows (ceil(N * h) for a holdout) give or take two days' */
        size_t nominal = h > 0 ? (size_t)ceil(h * N) : N / (k + 1);
        for (uint32_t f = 0; f < (h > 0 ? 1 : k); f++) {
            size_t size = 0;
            for (size_t i = 0; i < N; i++)
                size += fold[i] == f;
            ck_assert_msg(size + 2 * busiest > nominal && size < nominal + 2 * busiest,
                          "k %zu h %g fold %u: %zu rows, nominal %zu", k, h, f, size, nominal);
        }
    }
    free(days);
    free(y);
    free(reversed);
    free(fold);
    free(fold_rev);
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
    tcase_add_test(tc, time_blocks_without_ties_cut_as_time_series_split);
    tcase_add_test(tc, time_blocks_keep_each_day_whole);
    tcase_add_test(tc, holdout_tests_the_latest_share);
    tcase_add_test(tc, time_blocks_the_days_cannot_fill_are_refused);
    tcase_add_test(tc, forward_splits_train_only_on_earlier_folds);
    tcase_add_test(tc, time_folds_never_train_on_a_later_day);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
