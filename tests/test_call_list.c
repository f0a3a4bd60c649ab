/* The call list's pieces (core/call_list.c): ranking by descending score with ties in input
 * order, deciles, and what --top accepts and how many rows it keeps. The end-to-end
 * `predict --rank/--top` checks are in test_model_file.c. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "call_list.h"
#include "harness.h"

START_TEST(order_is_descending_with_ties_in_input_order)
{
    /* Rows 1, 3 and 5 tie at 0.7 and must keep that order. Row 4's NaN ranks as -inf, so it
     * ties with row 6 at the bottom and input order puts it first. */
    const double score[] = {0.2, 0.7, 0.9, 0.7, NAN, 0.7, -INFINITY, 0.0};
    const size_t want[] = {2, 1, 3, 5, 0, 7, 4, 6};
    size_t order[8];
    ll_error err;
    ck_assert_int_eq(ll_call_list_order(score, 8, order, &err), 0);
    for (size_t i = 0; i < 8; i++)
        ck_assert_msg(order[i] == want[i], "position %zu: row %zu, expected row %zu", i,
                      order[i], want[i]);
    ck_assert_int_eq(ll_call_list_order(score, 0, order, &err), 0);
}
END_TEST

/* Many equal scores among distinct ones, in a pseudo-random order: qsort is not stable by
 * itself, so this fails unless the row index breaks every tie. Checked pairwise against the
 * definition rather than against another sort. */
START_TEST(order_is_stable_on_many_ties)
{
    enum { N = 1000 };
    double *score = malloc(N * sizeof *score);
    size_t *order = malloc(N * sizeof *order);
    ck_assert_ptr_nonnull(score);
    ck_assert_ptr_nonnull(order);
    uint64_t s = 12345;
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        score[i] = (double)((s >> 33) % 7) / 8.0; /* 7 distinct values, ~143 rows each */
    }
    ll_error err;
    ck_assert_int_eq(ll_call_list_order(score, N, order, &err), 0);
    char *seen = calloc(N, 1);
    ck_assert_ptr_nonnull(seen);
    for (size_t i = 0; i < N; i++) {
        ck_assert_uint_lt(order[i], N);
        ck_assert_msg(!seen[order[i]], "row %zu listed twice", order[i]);
        seen[order[i]] = 1;
        if (i == 0)
            continue;
        double a = score[order[i - 1]], b = score[order[i]];
        ck_assert_msg(a > b || (a == b && order[i - 1] < order[i]),
                      "positions %zu, %zu: rows %zu (%g) then %zu (%g)", i - 1, i, order[i - 1],
                      a, order[i], b);
    }
    free(seen);
    free(order);
    free(score);
}
END_TEST

START_TEST(deciles_follow_the_formula)
{
    /* n = 25: decile = 1 + floor((rank-1)*10/25) = 1 + floor((rank-1)/2.5), by hand:
     *   rank  1- 3 -> (0, 10, 20)/25       = 0 -> decile 1
     *   rank  4- 5 -> (30, 40)/25          = 1 -> decile 2
     *   rank  6- 8 -> (50, 60, 70)/25      = 2 -> decile 3
     *   rank  9-10 -> (80, 90)/25          = 3 -> decile 4
     *   rank 11-13 -> (100, 110, 120)/25   = 4 -> decile 5
     *   rank 14-15 -> (130, 140)/25        = 5 -> decile 6
     *   rank 16-18 -> (150, 160, 170)/25   = 6 -> decile 7
     *   rank 19-20 -> (180, 190)/25        = 7 -> decile 8
     *   rank 21-23 -> (200, 210, 220)/25   = 8 -> decile 9
     *   rank 24-25 -> (230, 240)/25        = 9 -> decile 10 */
    const size_t want[25] = {1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5,
                             6, 6, 7, 7, 7, 8, 8, 9, 9, 9, 10, 10};
    for (size_t r = 1; r <= 25; r++)
        ck_assert_msg(ll_call_list_decile(r, 25) == want[r - 1], "rank %zu of 25: decile %zu, "
                      "expected %zu", r, ll_call_list_decile(r, 25), want[r - 1]);
    /* n < 10: deciles 1, 4, 7 for three rows (0, 10/3, 20/3 floored); 2, 3, 5, ... are empty */
    ck_assert_uint_eq(ll_call_list_decile(1, 3), 1);
    ck_assert_uint_eq(ll_call_list_decile(2, 3), 4);
    ck_assert_uint_eq(ll_call_list_decile(3, 3), 7);
    ck_assert_uint_eq(ll_call_list_decile(1, 1), 1);
    /* n = 100: exactly ten rows per decile */
    ck_assert_uint_eq(ll_call_list_decile(10, 100), 1);
    ck_assert_uint_eq(ll_call_list_decile(11, 100), 2);
    ck_assert_uint_eq(ll_call_list_decile(100, 100), 10);
}
END_TEST

/* --top's value, parsed and then applied to a file of n rows. */
static size_t top_rows(const char *text, size_t n)
{
    ll_top_request top;
    ll_error err;
    ck_assert_msg(ll_call_list_parse_top(text, &top, &err) == 0, "--top %s refused: %s", text,
                  err.msg);
    size_t m = 0;
    ck_assert_msg(ll_call_list_top_rows(&top, n, &m, &err) == 0, "--top %s of %zu: %s", text, n,
                  err.msg);
    return m;
}

static void assert_top_refused(const char *text, const char *needle)
{
    ll_top_request top;
    ll_error err = {.msg = ""};
    ck_assert_msg(ll_call_list_parse_top(text, &top, &err) == -1, "--top '%s' accepted", text);
    ck_assert_msg(strstr(err.msg, needle) && !strchr(err.msg, '\n'),
                  "--top '%s': expected '%s' in one line: %s", text, needle, err.msg);
    char option[64];
    snprintf(option, sizeof option, "--top %s:", text);
    ck_assert_msg(!strncmp(err.msg, option, strlen(option)), "names the option: %s", err.msg);
}

START_TEST(top_reads_counts_and_fractions)
{
    ll_top_request top;
    ll_error err;
    ck_assert_int_eq(ll_call_list_parse_top("0.1", &top, &err), 0);
    ck_assert(top.is_fraction);
    ck_assert(top.fraction == 0.1);
    ck_assert_int_eq(ll_call_list_parse_top("7", &top, &err), 0);
    ck_assert(!top.is_fraction);
    ck_assert_uint_eq(top.count, 7);
    /* '.' makes a fraction even at 1: "1.0" is every row, "1" is one row */
    ck_assert_uint_eq(top_rows("1.0", 120), 120);
    ck_assert_uint_eq(top_rows("1", 120), 1);
    ck_assert_uint_eq(top_rows("1.", 120), 120);
    /* round(0.1 * 120) = 12; round(0.1 * 125) = round(12.5) = 13 (half away from zero);
     * round(0.1 * 124) = round(12.4) = 12; round(0.25 * 10) = round(2.5) = 3 */
    ck_assert_uint_eq(top_rows("0.1", 120), 12);
    ck_assert_uint_eq(top_rows("0.1", 125), 13);
    ck_assert_uint_eq(top_rows("0.1", 124), 12);
    ck_assert_uint_eq(top_rows("0.25", 10), 3);
    ck_assert_uint_eq(top_rows(".5", 9), 5);
    /* at least one row, however small the share */
    ck_assert_uint_eq(top_rows("0.001", 120), 1);
    ck_assert_uint_eq(top_rows("1e-9", 120), 1);
    /* an exponent without '.' at or above 1 is a count */
    ck_assert_uint_eq(top_rows("1e2", 120), 100);
    ck_assert_uint_eq(top_rows("120", 120), 120);
    ck_assert_uint_eq(top_rows("+7", 120), 7);
}
END_TEST

START_TEST(top_refuses_bad_values_with_one_line)
{
    assert_top_refused("0", "count of rows >= 1 or a fraction in (0, 1]");
    assert_top_refused("0.0", "count of rows >= 1 or a fraction in (0, 1]");
    assert_top_refused("-1", "count of rows >= 1 or a fraction in (0, 1]");
    assert_top_refused("-0.5", "count of rows >= 1 or a fraction in (0, 1]");
    assert_top_refused("1.5", "fraction of the rows must be in (0, 1]");
    assert_top_refused("10.0", "fraction of the rows must be in (0, 1]");
    assert_top_refused("abc", "expected a count of rows");
    assert_top_refused("", "expected a count of rows");
    assert_top_refused("10%", "expected a count of rows");
    assert_top_refused("0x10", "expected a count of rows");
    assert_top_refused("nan", "expected a count of rows");
    assert_top_refused("inf", "expected a count of rows");
    assert_top_refused("15e-1", "whole number");

    /* the row count: a count above n, and an empty file for either kind */
    ll_top_request top;
    ll_error err;
    size_t m = 99;
    ck_assert_int_eq(ll_call_list_parse_top("5000", &top, &err), 0);
    ck_assert_int_eq(ll_call_list_top_rows(&top, 120, &m, &err), -1);
    ck_assert_str_eq(err.msg, "--top 5000: the test file has only 120 rows");
    ck_assert_uint_eq(m, 99);
    ck_assert_int_eq(ll_call_list_top_rows(&top, 5000, &m, &err), 0);
    ck_assert_uint_eq(m, 5000);
    ck_assert_int_eq(ll_call_list_parse_top("99999999999999999999999", &top, &err), 0);
    ck_assert_int_eq(ll_call_list_top_rows(&top, 120, &m, &err), -1);
    ck_assert_str_eq(err.msg, "--top 99999999999999999999999: the test file has only 120 rows");
    ck_assert_int_eq(ll_call_list_parse_top("0.5", &top, &err), 0);
    ck_assert_int_eq(ll_call_list_top_rows(&top, 0, &m, &err), -1);
    ck_assert_str_eq(err.msg, "--top 0.5: the test file has no rows");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("call_list");
    TCase *tc = tcase_create("call_list");
    tcase_add_test(tc, order_is_descending_with_ties_in_input_order);
    tcase_add_test(tc, order_is_stable_on_many_ties);
    tcase_add_test(tc, deciles_follow_the_formula);
    tcase_add_test(tc, top_reads_counts_and_fractions);
    tcase_add_test(tc, top_refuses_bad_values_with_one_line);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
