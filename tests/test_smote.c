/* Tests of the `smote` sampler through the plugin ABI: class counts, the geometry of every
 * synthetic row (checked against a brute-force neighbour search written here), binary columns,
 * parameter errors, determinism and untouched original rows. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "harness.h"
#include "leadlab/rng.h"
#include "real_cv.h"

enum { N_COLS = 6, BINARY_A = 4, BINARY_B = 5 };

/* Two binary columns take these two (scaled) values, as z-scored 0/1 indicators would. */
static const double binary_low[N_COLS] = {0, 0, 0, 0, -0.5, -1.25};
static const double binary_high[N_COLS] = {0, 0, 0, 0, 2.0, 0.8};
static const uint8_t col_binary[N_COLS] = {0, 0, 0, 0, 1, 1};

/* n_minority rows of class `minority` among n rows, minority rows shifted; every tenth minority
 * row duplicates the minority row before it (the real data has many duplicates, hence
 * distance ties). */
static th_fixture make_fixture(size_t n, size_t n_minority, uint8_t minority, uint64_t seed)
{
    th_fixture f;
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    f.x = malloc(n * N_COLS * sizeof *f.x);
    f.y = malloc(n);
    for (size_t i = 0; i < n; i++) {
        /* spread the minority rows through the input rather than in one block */
        int is_minority = i % (n / n_minority) == 1 && i / (n / n_minority) < n_minority;
        f.y[i] = is_minority ? minority : (uint8_t)!minority;
        double *row = f.x + i * N_COLS;
        for (size_t j = 0; j < N_COLS; j++) {
            if (col_binary[j])
                row[j] = ll_rng_uniform(&rng) < 0.3 ? binary_high[j] : binary_low[j];
            else
                row[j] = ll_rng_normal(&rng) + (is_minority ? 1.5 : 0.0);
        }
        if (is_minority && i / (n / n_minority) % 10 == 9)
            memcpy(row, row - (n / n_minority) * N_COLS, N_COLS * sizeof *row);
    }
    f.data = (ll_data){f.x, f.y, n, N_COLS, col_binary, NULL};
    return f;
}

/* Runs smote with parameters `yaml`; fails the test on any error. */
static ll_owned_data run_smote(const char *yaml, const ll_data *in, uint64_t seed)
{
    return th_resample_ok(th_plugin("smote"), yaml, in, seed);
}

static ll_status run_smote_status(const char *yaml, const ll_data *in, ll_owned_data *out,
                                  ll_err *err)
{
    return th_resample(th_plugin("smote"), yaml, in, 1, out, err);
}

/* 60 minority rows among 600, so the ratio is 60/540 = 0.1111. Expected minority counts are
 * round(ratio * 540), worked out by hand: 0.2 -> 108, 1/3 as 0.3333 -> 179.98 -> 180,
 * 0.5 -> 270, 1 -> 540; 0.1111 -> 59.99 -> 60 and 0.111 -> 59.94 -> 60 add nothing. */
START_TEST(test_exact_counts)
{
    static const struct {
        const char *yaml;
        size_t minority;
    } cases[] = {
        {"{ratio: 0.2}", 108},  {"{ratio: 0.3333}", 180}, {"{ratio: 0.5}", 270},
        {"{ratio: 1.0}", 540},  {"", 540},                {"{ratio: 0.1111}", 60},
        {"{ratio: 0.111}", 60},
    };
    th_fixture f = make_fixture(600, 60, 1, 11);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ll_owned_data out = run_smote(cases[c].yaml, &f.data, 5);
        ck_assert_uint_eq(out.n_cols, N_COLS);
        ck_assert_uint_eq(out.n_rows, 540 + cases[c].minority);
        ck_assert_uint_eq(th_count_label(&out, 1), cases[c].minority);
        ck_assert_uint_eq(th_count_label(&out, 0), 540);
        th_owned_free(&out);
    }
    th_fixture_free(&f);
}
END_TEST

/* The minority is whichever class is rarer: here class 0, so synthetic rows are labelled 0. */
START_TEST(test_minority_from_counts)
{
    th_fixture f = make_fixture(600, 60, 0, 12);
    ll_owned_data out = run_smote("{ratio: 0.5}", &f.data, 5);
    ck_assert_uint_eq(th_count_label(&out, 0), 270);
    ck_assert_uint_eq(th_count_label(&out, 1), 540);
    for (size_t i = 600; i < out.n_rows; i++)
        ck_assert_uint_eq(out.y[i], 0);
    th_owned_free(&out);
    th_fixture_free(&f);
}
END_TEST

static double dist2(const double *a, const double *b, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

/* The independent check. For every minority row a: every other minority row at most as far as
 * its k-th nearest, found by sorting all distances (O(n^2 log n), fine for a test). Those are
 * a's k nearest neighbours whatever the tie-break (more than k when distances tie). Stored as
 * lists: the neighbours of a are nbr[start[a] .. start[a + 1]). */
typedef struct {
    size_t *nbr, *start;
} knn_lists;

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static knn_lists brute_force_knn(const double *xmin, size_t n, size_t d, size_t k)
{
    knn_lists l = {malloc(n * n * sizeof *l.nbr), malloc((n + 1) * sizeof *l.start)};
    double *all = malloc(n * sizeof *all), *sorted = malloc(n * sizeof *sorted);
    size_t used = 0;
    for (size_t a = 0; a < n; a++) {
        for (size_t b = 0; b < n; b++)
            all[b] = b == a ? INFINITY : dist2(xmin + a * d, xmin + b * d, d);
        memcpy(sorted, all, n * sizeof *all);
        qsort(sorted, n, sizeof *sorted, cmp_double);
        l.start[a] = used;
        for (size_t b = 0; b < n; b++)
            if (all[b] <= sorted[k - 1])
                l.nbr[used++] = b;
    }
    l.start[n] = used;
    free(all);
    free(sorted);
    return l;
}

/* True when s = a + u (b - a) for some u in [0, 1), to 1e-9. */
static int on_segment(const double *s, const double *a, const double *b, size_t d)
{
    size_t widest = 0;
    for (size_t j = 1; j < d; j++)
        if (fabs(b[j] - a[j]) > fabs(b[widest] - a[widest]))
            widest = j;
    double span = b[widest] - a[widest];
    double u = span != 0.0 ? (s[widest] - a[widest]) / span : 0.0;
    if (u < -1e-12 || u >= 1.0)
        return 0;
    for (size_t j = 0; j < d; j++)
        if (fabs(a[j] + u * (b[j] - a[j]) - s[j]) > 1e-9)
            return 0;
    return 1;
}

/* Checks that synthetic rows first, first + step, ... of `out` each lie on a segment from a
 * minority row of `in` to one of its k nearest minority rows. */
static void check_segments_of(const ll_data *in, const ll_owned_data *out, size_t k,
                              size_t first, size_t step)
{
    size_t d = in->n_cols, n_min = 0;
    double *xmin = malloc(in->n_rows * d * sizeof *xmin);
    for (size_t i = 0; i < in->n_rows; i++)
        if (in->y[i] == 1)
            memcpy(xmin + d * n_min++, in->x + i * d, d * sizeof *xmin);
    knn_lists nn = brute_force_knn(xmin, n_min, d, k);
    for (size_t s = first; s < out->n_rows; s += step) {
        const double *row = out->x + s * d;
        int found = 0;
        for (size_t a = 0; a < n_min && !found; a++)
            for (size_t t = nn.start[a]; t < nn.start[a + 1] && !found; t++)
                found = on_segment(row, xmin + a * d, xmin + nn.nbr[t] * d, d);
        ck_assert_msg(found, "k=%zu: synthetic row %zu is on no segment to a %zu-NN", k, s, k);
    }
    free(nn.nbr);
    free(nn.start);
    free(xmin);
}

static void check_segments(size_t k)
{
    th_fixture f = make_fixture(800, 80, 1, 13);
    char yaml[64];
    snprintf(yaml, sizeof yaml, "{k: %zu, ratio: 0.8}", k);
    ll_owned_data out = run_smote(yaml, &f.data, 99);
    ck_assert_uint_eq(out.n_rows, 800 + 576 - 80);
    check_segments_of(&f.data, &out, k, 800, 1);
    th_owned_free(&out);
    th_fixture_free(&f);
}

START_TEST(test_synthetic_rows_on_knn_segments)
{
    check_segments(1);
    check_segments(3);
    check_segments(5);
}
END_TEST

/* round: a binary column holds one of its two values; keep: it interpolates (the test can tell
 * the two apart). */
START_TEST(test_binary_columns_round)
{
    th_fixture f = make_fixture(600, 60, 1, 14);
    ll_owned_data snapped = run_smote("{binary_columns: round}", &f.data, 3);
    ll_owned_data kept = run_smote("{binary_columns: keep}", &f.data, 3);
    size_t between = 0;
    for (size_t i = 600; i < snapped.n_rows; i++) {
        for (size_t j = BINARY_A; j <= BINARY_B; j++) {
            double v = snapped.x[i * N_COLS + j];
            ck_assert_msg(v == binary_low[j] || v == binary_high[j],
                          "row %zu column %zu: %.17g is not an endpoint", i, j, v);
            double w = kept.x[i * N_COLS + j];
            between += w != binary_low[j] && w != binary_high[j];
        }
        for (size_t j = 0; j < BINARY_A; j++) /* the other columns are left alone */
            ck_assert(snapped.x[i * N_COLS + j] == kept.x[i * N_COLS + j]);
    }
    ck_assert_msg(between > 0, "keep never interpolated a binary column");
    th_owned_free(&snapped);
    th_owned_free(&kept);
    th_fixture_free(&f);
}
END_TEST

START_TEST(test_schema_rejects_bad_params)
{
    static const struct {
        const char *yaml, *key;
    } cases[] = {
        {"{k: 0}", "k"},
        {"{k: -3}", "k"},
        {"{ratio: 0}", "ratio"},
        {"{ratio: -0.5}", "ratio"},
        {"{ratio: 1.5}", "ratio"},
        {"{binary_columns: snap}", "binary_columns"},
        {"{kk: 5}", "kk"},
    };
    const ll_plugin *p = th_plugin("smote");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        th_assert_rejected(p, cases[c].yaml, cases[c].key);
}
END_TEST

/* Data-dependent errors come from resample, with the numbers in the message. */
START_TEST(test_resample_rejects_k_and_ratio)
{
    th_fixture f = make_fixture(100, 5, 1, 15);
    ll_owned_data out;
    ll_err err = {{0}};
    ck_assert_int_eq(run_smote_status("{k: 5}", &f.data, &out, &err), LL_EINVAL);
    ck_assert_msg(strstr(err.msg, "k=5") && strstr(err.msg, "has 5"), "%s", err.msg);
    ck_assert_ptr_null(out.x);
    ck_assert_uint_eq(out.n_rows, 0);
    ck_assert_int_eq(run_smote_status("{k: 4}", &f.data, &out, &err), LL_OK);
    th_owned_free(&out);

    /* current ratio 5/95 = 0.05263 */
    ck_assert_int_eq(run_smote_status("{k: 2, ratio: 0.04}", &f.data, &out, &err), LL_EINVAL);
    ck_assert_msg(strstr(err.msg, "ratio=0.04") && strstr(err.msg, "0.05263"), "%s", err.msg);
    ck_assert_ptr_null(out.x);
    th_fixture_free(&f);
}
END_TEST

START_TEST(test_same_seed_same_output)
{
    th_fixture f = make_fixture(600, 60, 1, 16);
    ll_owned_data a = run_smote("", &f.data, 42), b = run_smote("", &f.data, 42);
    ll_owned_data c = run_smote("", &f.data, 43);
    ck_assert_uint_eq(a.n_rows, b.n_rows);
    ck_assert(memcmp(a.x, b.x, a.n_rows * N_COLS * sizeof *a.x) == 0);
    ck_assert(memcmp(a.y, b.y, a.n_rows) == 0);
    ck_assert_uint_eq(a.n_rows, c.n_rows);
    ck_assert(memcmp(a.x + 600 * N_COLS, c.x + 600 * N_COLS,
                     (a.n_rows - 600) * N_COLS * sizeof *a.x) != 0);
    th_owned_free(&a);
    th_owned_free(&b);
    th_owned_free(&c);
    th_fixture_free(&f);
}
END_TEST

START_TEST(test_original_rows_first_and_untouched)
{
    th_fixture f = make_fixture(600, 60, 1, 17);
    ll_owned_data out = run_smote("{ratio: 0.7, binary_columns: round}", &f.data, 8);
    ck_assert(memcmp(out.x, f.x, 600 * N_COLS * sizeof *f.x) == 0);
    ck_assert(memcmp(out.y, f.y, 600) == 0);
    th_owned_free(&out);
    th_fixture_free(&f);
}
END_TEST

/* Equal class counts: nothing to oversample at ratio 1, and nothing smaller is reachable. */
START_TEST(test_balanced_input_unchanged)
{
    th_fixture f = make_fixture(100, 50, 1, 18);
    ll_owned_data out = run_smote("", &f.data, 1);
    ck_assert_uint_eq(out.n_rows, 100);
    ck_assert(memcmp(out.x, f.x, 100 * N_COLS * sizeof *f.x) == 0);
    th_owned_free(&out);
    ll_err err = {{0}};
    ck_assert_int_eq(run_smote_status("{ratio: 0.9}", &f.data, &out, &err), LL_EINVAL);
    th_fixture_free(&f);
}
END_TEST

/* On the real data (tests/support/real_cv.h: the protocol's 15 features, z-scored over all
 * rows), with its many duplicate rows (distance ties): counts, a sample of the synthetic rows
 * on k-NN segments, and rounded binary columns holding one of their two values. */
START_TEST(test_real_data)
{
    ll_dataset ds;
    if (rcv_load_real(&ds) != 0)
        return; /* no copy of the data here: nothing to check */
    rcv_zscore_all(&ds);
    ll_data in = {ds.x, ds.y, ds.n_rows, ds.n_cols, ds.col_binary, NULL};
    size_t n_min = ds.n_positive, n_maj = ds.n_rows - ds.n_positive;

    ll_owned_data out = run_smote("{k: 5}", &in, 2022);
    ck_assert_uint_eq(out.n_rows, 2 * n_maj);
    check_segments_of(&in, &out, 5, ds.n_rows, (out.n_rows - ds.n_rows) / 250);
    th_owned_free(&out);

    out = run_smote("{binary_columns: round}", &in, 2022);
    size_t n_binary = 0;
    for (size_t j = 0; j < ds.n_cols; j++) {
        if (!ds.col_binary[j])
            continue;
        n_binary++;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < ds.n_rows; i++) {
            lo = fmin(lo, ds.x[i * ds.n_cols + j]);
            hi = fmax(hi, ds.x[i * ds.n_cols + j]);
        }
        for (size_t i = ds.n_rows; i < out.n_rows; i++) {
            double v = out.x[i * ds.n_cols + j];
            ck_assert_msg(v == lo || v == hi, "row %zu column %s: %g", i, ds.col_names[j], v);
        }
    }
    ck_assert_msg(n_binary > 0, "the real data has no 0/1 column to check");
    ck_assert_uint_eq(n_min + (out.n_rows - ds.n_rows), n_maj);
    th_owned_free(&out);
    ll_dataset_free(&ds);
}
END_TEST

static Suite *smote_suite(void)
{
    Suite *s = suite_create("smote");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_exact_counts);
    tcase_add_test(tc, test_minority_from_counts);
    tcase_add_test(tc, test_synthetic_rows_on_knn_segments);
    tcase_add_test(tc, test_binary_columns_round);
    tcase_add_test(tc, test_schema_rejects_bad_params);
    tcase_add_test(tc, test_resample_rejects_k_and_ratio);
    tcase_add_test(tc, test_same_seed_same_output);
    tcase_add_test(tc, test_original_rows_first_and_untouched);
    tcase_add_test(tc, test_balanced_input_unchanged);
    suite_add_tcase(s, tc);
    TCase *real = tcase_create("real_data");
    tcase_set_tags(real, "real_data");
    tcase_add_test(real, test_real_data);
    suite_add_tcase(s, real);
    return s;
}

int main(void) { return th_run_suite(smote_suite()); }
