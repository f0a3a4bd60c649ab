/* Tests of the `undersample` sampler through the plugin ABI: class counts, the NearMiss rules on
 * hand-computed fixtures (cross-checked with imbalanced-learn), parameter errors, determinism
 * and kept rows that are bit-exact copies in their original order. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "harness.h"
#include "leadlab/rng.h"
#include "real_cv.h"

/* n_minority rows of class 1 spread through n rows of d normal columns, the minority shifted. */
static th_fixture make_fixture(size_t n, size_t n_minority, size_t d, uint64_t seed)
{
    th_fixture f;
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    f.x = malloc(n * d * sizeof *f.x);
    f.y = malloc(n);
    size_t step = n / n_minority;
    for (size_t i = 0; i < n; i++) {
        f.y[i] = i % step == 1 && i / step < n_minority;
        for (size_t j = 0; j < d; j++)
            f.x[i * d + j] = ll_rng_normal(&rng) + (f.y[i] ? 1.0 : 0.0);
    }
    f.data = (ll_data){f.x, f.y, n, d, NULL, NULL};
    return f;
}

static th_fixture from_rows(const double (*rows)[3], size_t n)
{
    th_fixture f;
    f.x = malloc(n * 2 * sizeof *f.x);
    f.y = malloc(n);
    for (size_t i = 0; i < n; i++) {
        f.x[2 * i] = rows[i][0];
        f.x[2 * i + 1] = rows[i][1];
        f.y[i] = (uint8_t)rows[i][2];
    }
    f.data = (ll_data){f.x, f.y, n, 2, NULL, NULL};
    return f;
}

static ll_status run_status(const char *yaml, const ll_data *in, uint64_t seed,
                            ll_owned_data *out, ll_err *err)
{
    return th_resample(th_plugin("undersample"), yaml, in, seed, out, err);
}

static ll_owned_data run(const char *yaml, const ll_data *in, uint64_t seed)
{
    return th_resample_ok(th_plugin("undersample"), yaml, in, seed);
}

/* Maps every output row to the input row it copies, checking on the way that the output is a
 * bit-exact, order-preserving selection of input rows. Returns how many rows were matched. */
static size_t kept_input_rows(const ll_data *in, const ll_owned_data *out, size_t *rows)
{
    size_t d = in->n_cols, next = 0;
    for (size_t o = 0; o < out->n_rows; o++) {
        while (next < in->n_rows &&
               (memcmp(in->x + next * d, out->x + o * d, d * sizeof *in->x) != 0 ||
                in->y[next] != out->y[o]))
            next++;
        ck_assert_msg(next < in->n_rows, "output row %zu is not a later input row", o);
        rows[o] = next++;
    }
    return out->n_rows;
}

/* 60 minority rows among 600 (ratio 60/540 = 0.1111). Majority rows kept are round(60 / ratio),
 * by hand: 1 -> 60, 0.5 -> 120, 0.3 -> 200, 0.25 -> 240; 0.1111 -> 540.05 -> 540 and
 * 0.1112 -> 539.57 -> 540 change nothing. */
START_TEST(test_exact_counts)
{
    static const struct {
        const char *ratio;
        size_t majority;
    } cases[] = {{"1.0", 60}, {"0.5", 120}, {"0.3", 200}, {"0.25", 240}, {"0.1111", 540},
                 {"0.1112", 540}};
    /* NearMiss-3 needs enough candidates for 240 rows: 60 minority x 25 nearest majority */
    static const char *methods[] = {"random", "nearmiss1", "nearmiss2", "nearmiss3, k_ver3: 25"};
    th_fixture f = make_fixture(600, 60, 4, 21);
    size_t rows[600];
    for (size_t m = 0; m < 4; m++) {
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            char yaml[96];
            snprintf(yaml, sizeof yaml, "{method: %s, ratio: %s}", methods[m], cases[c].ratio);
            ll_owned_data out = run(yaml, &f.data, 3);
            ck_assert_msg(th_count_label(&out, 0) == cases[c].majority, "%s: %zu majority rows",
                          yaml, th_count_label(&out, 0));
            ck_assert_uint_eq(th_count_label(&out, 1), 60);
            kept_input_rows(&f.data, &out, rows);
            th_owned_free(&out);
        }
    }
    th_fixture_free(&f);
}
END_TEST

/* Twelve rows in two columns; minority A-D (label 1), majority M0-M7, interleaved.
 * Euclidean distances from each majority row to A B C D, computed by hand (sqrt of integer
 * sums), and the sums over its 2 nearest (NearMiss-1 and -3 score) and 2 farthest (NearMiss-2):
 *   M0 ( 2,-3):  8.944  5.831  4.472  6.708   near  4.472+ 5.831=10.303  far 15.652
 *   M1 ( 9,-2):  7.616 12.166  3.162 11.180   near 10.778                 far 23.346
 *   M2 (-3, 8):  9.487  8.000 12.728  5.385   near 13.385                 far 22.215
 *   M3 (-4, 7): 10.198  7.071 12.806  5.000   near 12.071                 far 23.004
 *   M4 (-2, 2):  8.544  2.236  8.544  1.414   near  3.650                 far 17.088
 *   M5 (-1, 4):  7.071  4.472  8.602  1.000   near  5.472                 far 15.673
 *   M6 ( 7, 6):  1.414 11.662  7.071  8.544   near  8.485                 far 20.206
 *   M7 ( 4, 6):  2.236  9.220  7.280  5.831   near  8.067                 far 16.500
 * ratio 1 keeps 4 majority rows.
 * NearMiss-1 (4 smallest near): M4 M5 M7 M6 (next M0 at 10.303).
 * NearMiss-2 (4 smallest far):  M0 M5 M7 M4 (next M6 at 20.206).
 * NearMiss-3: the 2 nearest majority rows of A are M6 1.414, M7 2.236; of B: M4 2.236, M5 4.472;
 * of C: M1 3.162, M0 4.472; of D: M5 1.000, M4 1.414. Candidates M0 M1 M4 M5 M6 M7; the 4
 * largest near scores among them: M1 10.778, M0 10.303, M6 8.485, M7 8.067 (M2 and M3 score
 * higher but are no candidates).
 * tests/reference/undersample.py, NearMiss(version=V, n_neighbors=2, n_neighbors_ver3=2,
 * sampling_strategy=1.0).sample_indices_ with imbalanced-learn 0.10.0, prints the same:
 *   fixture nearmiss1: [1, 4, 6, 7, 8, 9, 10, 11]
 *   fixture nearmiss2: [0, 1, 4, 6, 7, 8, 10, 11]
 *   fixture nearmiss3: [0, 1, 2, 4, 7, 9, 10, 11] */
static const double FIXTURE[12][3] = {
    {2, -3, 0},  /* row 0  M0 */
    {6, 5, 1},   /* row 1  A */
    {9, -2, 0},  /* row 2  M1 */
    {-3, 8, 0},  /* row 3  M2 */
    {-3, 0, 1},  /* row 4  B */
    {-4, 7, 0},  /* row 5  M3 */
    {-2, 2, 0},  /* row 6  M4 */
    {6, -1, 1},  /* row 7  C */
    {-1, 4, 0},  /* row 8  M5 */
    {7, 6, 0},   /* row 9  M6 */
    {-1, 3, 1},  /* row 10 D */
    {4, 6, 0},   /* row 11 M7 */
};

static void check_kept(const double (*rows)[3], size_t n, const char *yaml, const size_t *want,
                       size_t n_want)
{
    th_fixture f = from_rows(rows, n);
    ll_owned_data out = run(yaml, &f.data, 1);
    size_t got[16];
    ck_assert_msg(out.n_rows == n_want, "%s: %zu rows, want %zu", yaml, out.n_rows, n_want);
    kept_input_rows(&f.data, &out, got);
    for (size_t i = 0; i < n_want; i++)
        ck_assert_msg(got[i] == want[i], "%s: output row %zu is input row %zu, want %zu", yaml,
                      i, got[i], want[i]);
    th_owned_free(&out);
    th_fixture_free(&f);
}

START_TEST(test_nearmiss_hand_fixture)
{
    static const size_t nm1[] = {1, 4, 6, 7, 8, 9, 10, 11};
    static const size_t nm2[] = {0, 1, 4, 6, 7, 8, 10, 11};
    static const size_t nm3[] = {0, 1, 2, 4, 7, 9, 10, 11};
    check_kept(FIXTURE, 12, "{method: nearmiss1, k: 2}", nm1, 8);
    check_kept(FIXTURE, 12, "{method: nearmiss2, k: 2}", nm2, 8);
    check_kept(FIXTURE, 12, "{method: nearmiss3, k: 2, k_ver3: 2}", nm3, 8);
}
END_TEST

/* Three identical majority rows (0, 2, 5) compete for two places with exactly equal scores
 * (3 + 2 = 5 for every version); the lower rows win, largest-first in NearMiss-3 as well.
 * With k_ver3 = 1 both minority rows name row 0 (rows 0, 2, 5 tie at the same distance), so
 * NearMiss-3 has one candidate for two places and keeps just it, as imbalanced-learn does.
 * tests/reference/undersample.py prints:
 *   ties nearmiss1: [0, 1, 2, 4]   (likewise nearmiss2, nearmiss3 with n_neighbors_ver3=3)
 *   ties nearmiss3 n_neighbors_ver3=1: [0, 1, 4] */
static const double TIES[6][3] = {
    {3, 0, 0}, {0, 0, 1}, {3, 0, 0}, {5, 0, 0}, {1, 0, 1}, {3, 0, 0},
};

START_TEST(test_nearmiss_ties_go_to_lower_rows)
{
    static const size_t two_of_three[] = {0, 1, 2, 4};
    static const size_t short_of_candidates[] = {0, 1, 4};
    check_kept(TIES, 6, "{method: nearmiss1, k: 2}", two_of_three, 4);
    check_kept(TIES, 6, "{method: nearmiss2, k: 2}", two_of_three, 4);
    check_kept(TIES, 6, "{method: nearmiss3, k: 2, k_ver3: 3}", two_of_three, 4);
    check_kept(TIES, 6, "{method: nearmiss3, k: 2, k_ver3: 1}", short_of_candidates, 3);
}
END_TEST

START_TEST(test_schema_rejects_bad_params)
{
    static const struct {
        const char *yaml, *key;
    } cases[] = {
        {"{k: 0}", "k"},         {"{k_ver3: 0}", "k_ver3"},   {"{ratio: 0}", "ratio"},
        {"{ratio: -1}", "ratio"}, {"{ratio: 2}", "ratio"},     {"{method: nearmiss4}", "method"},
    };
    const ll_plugin *p = th_plugin("undersample");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        th_assert_rejected(p, cases[c].yaml, cases[c].key);
}
END_TEST

START_TEST(test_resample_rejects_unreachable)
{
    th_fixture f = from_rows(FIXTURE, 12); /* 4 minority, 8 majority: ratio 0.5 */
    ll_owned_data out;
    ll_err err = {{0}};
    ck_assert_int_eq(run_status("{ratio: 0.4}", &f.data, 1, &out, &err), LL_EINVAL);
    ck_assert_msg(strstr(err.msg, "ratio=0.4") && strstr(err.msg, "0.5"), "%s", err.msg);
    ck_assert_ptr_null(out.x);
    ck_assert_int_eq(run_status("{method: nearmiss1, k: 5}", &f.data, 1, &out, &err), LL_EINVAL);
    ck_assert_msg(strstr(err.msg, "k=5") && strstr(err.msg, "4 minority"), "%s", err.msg);
    ck_assert_int_eq(run_status("{method: nearmiss3, k_ver3: 9}", &f.data, 1, &out, &err),
                     LL_EINVAL);
    ck_assert_msg(strstr(err.msg, "k_ver3=9") && strstr(err.msg, "8 majority"), "%s", err.msg);
    ck_assert_int_eq(run_status("{method: nearmiss1, k: 4}", &f.data, 1, &out, &err), LL_OK);
    th_owned_free(&out);
    /* The ratio the data already has changes nothing. */
    ck_assert_int_eq(run_status("{ratio: 0.5}", &f.data, 1, &out, &err), LL_OK);
    ck_assert_uint_eq(out.n_rows, 12);
    ck_assert(memcmp(out.x, f.x, 12 * 2 * sizeof *f.x) == 0);
    th_owned_free(&out);
    th_fixture_free(&f);
}
END_TEST

START_TEST(test_random_is_seeded)
{
    th_fixture f = make_fixture(600, 60, 3, 22);
    ll_owned_data a = run("", &f.data, 42), b = run("", &f.data, 42), c = run("", &f.data, 43);
    ck_assert_uint_eq(a.n_rows, 120);
    ck_assert_uint_eq(b.n_rows, 120);
    ck_assert_uint_eq(c.n_rows, 120);
    ck_assert(memcmp(a.x, b.x, 120 * 3 * sizeof *a.x) == 0);
    ck_assert(memcmp(a.y, b.y, 120) == 0);
    ck_assert(memcmp(a.x, c.x, 120 * 3 * sizeof *a.x) != 0);
    th_owned_free(&a);
    th_owned_free(&b);
    th_owned_free(&c);
    th_fixture_free(&f);
}
END_TEST

/* Uniform without replacement: over many seeds every majority row is kept about equally often
 * (60 of 540 per draw, 400 draws: mean 44.4, sd about 6.3), and never twice in one draw (the
 * order-preserving match in kept_input_rows would fail on a repeat). */
START_TEST(test_random_is_uniform)
{
    th_fixture f = make_fixture(600, 60, 3, 23);
    unsigned hits[600] = {0};
    size_t rows[600];
    for (uint64_t seed = 0; seed < 400; seed++) {
        ll_owned_data out = run("", &f.data, seed);
        size_t n = kept_input_rows(&f.data, &out, rows);
        for (size_t i = 0; i < n; i++)
            hits[rows[i]]++;
        th_owned_free(&out);
    }
    for (size_t i = 0; i < 600; i++) {
        if (f.y[i])
            ck_assert_uint_eq(hits[i], 400);
        else
            ck_assert_msg(hits[i] >= 15 && hits[i] <= 80, "row %zu kept %u times", i, hits[i]);
    }
    th_fixture_free(&f);
}
END_TEST

/* Every output row is a bit-exact input row, in input order, and every minority row is kept. */
START_TEST(test_kept_rows_untouched_and_in_order)
{
    static const char *methods[] = {"{method: random, ratio: 0.4}", "{method: nearmiss1}",
                                    "{method: nearmiss2}", "{method: nearmiss3}"};
    th_fixture f = make_fixture(600, 60, 5, 24);
    size_t rows[600];
    for (size_t m = 0; m < 4; m++) {
        ll_owned_data out = run(methods[m], &f.data, 9);
        size_t n = kept_input_rows(&f.data, &out, rows);
        size_t minority = 0;
        for (size_t i = 0; i < n; i++)
            minority += f.y[rows[i]];
        ck_assert_uint_eq(minority, 60);
        th_owned_free(&out);
    }
    th_fixture_free(&f);
}
END_TEST

/* The real data (tests/support/real_cv.h: the protocol's 15 features, not scaled, which
 * changes no selection rule's input order; many duplicate rows, so many distance ties): every
 * method keeps all minority rows and as many majority rows, as untouched copies in input
 * order. The first 12,000 rows only, which keeps the sanitizer build quick. */
START_TEST(test_real_data)
{
    static const char *methods[] = {"{method: random}", "{method: nearmiss1}",
                                    "{method: nearmiss2}", "{method: nearmiss3}"};
    ll_dataset ds;
    if (rcv_load_real(&ds) != 0)
        return; /* no copy of the data here: nothing to check */
    size_t n = ds.n_rows < 12000 ? ds.n_rows : 12000, positive = 0;
    for (size_t i = 0; i < n; i++)
        positive += ds.y[i];
    ll_data in = {ds.x, ds.y, n, ds.n_cols, ds.col_binary, NULL};
    size_t *rows = malloc(n * sizeof *rows);
    for (size_t m = 0; m < 4; m++) {
        ll_owned_data out = run(methods[m], &in, 5);
        ck_assert_uint_eq(th_count_label(&out, 1), positive);
        ck_assert_uint_eq(th_count_label(&out, 0), positive);
        kept_input_rows(&in, &out, rows);
        th_owned_free(&out);
    }
    free(rows);
    ll_dataset_free(&ds);
}
END_TEST

static Suite *undersample_suite(void)
{
    Suite *s = suite_create("undersample");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_exact_counts);
    tcase_add_test(tc, test_nearmiss_hand_fixture);
    tcase_add_test(tc, test_nearmiss_ties_go_to_lower_rows);
    tcase_add_test(tc, test_schema_rejects_bad_params);
    tcase_add_test(tc, test_resample_rejects_unreachable);
    tcase_add_test(tc, test_random_is_seeded);
    tcase_add_test(tc, test_random_is_uniform);
    tcase_add_test(tc, test_kept_rows_untouched_and_in_order);
    suite_add_tcase(s, tc);
    TCase *real = tcase_create("real_data");
    tcase_set_tags(real, "real_data");
    tcase_add_test(real, test_real_data);
    suite_add_tcase(s, real);
    return s;
}

int main(void) { return th_run_suite(undersample_suite()); }
