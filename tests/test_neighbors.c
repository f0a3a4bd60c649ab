/* Tests of the shared exact k-NN search (plugins/common/neighbors.c) against a plain O(n^2)
 * search written here: same neighbours, same order, same tie-break, any thread budget. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "leadlab/rng.h"
#include "neighbors.h"

typedef struct {
    double dist2;
    size_t idx;
} ref_pair;

static int ref_pair_cmp(const void *pa, const void *pb)
{
    const ref_pair *a = pa, *b = pb;
    if (a->dist2 != b->dist2)
        return a->dist2 < b->dist2 ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Farthest first, and still the lower index first among equal distances. */
static int ref_pair_cmp_far(const void *pa, const void *pb)
{
    const ref_pair *a = pa, *b = pb;
    if (a->dist2 != b->dist2)
        return a->dist2 > b->dist2 ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Sorts every reference row by distance to query row q and returns the first k. */
static void brute_force(const double *query, size_t q, const double *ref, size_t n_ref,
                        size_t d, const ll_knn_opts *opts, size_t *idx, double *dist2)
{
    ref_pair *all = malloc(n_ref * sizeof *all);
    size_t n = 0;
    for (size_t r = 0; r < n_ref; r++) {
        if (opts->exclude_self && r == q)
            continue;
        double s = 0.0;
        for (size_t j = 0; j < d; j++) {
            double diff = ref[r * d + j] - query[q * d + j];
            s += diff * diff;
        }
        all[n++] = (ref_pair){s, r};
    }
    qsort(all, n, sizeof *all, opts->farthest ? ref_pair_cmp_far : ref_pair_cmp);
    for (size_t r = 0; r < opts->k; r++) {
        idx[r] = all[r].idx;
        dist2[r] = all[r].dist2;
    }
    free(all);
}

/* Small integers so that equal distances (ties) and duplicate rows are common. */
static double *integer_rows(size_t n, size_t d, uint64_t seed)
{
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    double *x = malloc(n * d * sizeof *x);
    for (size_t i = 0; i < n * d; i++)
        x[i] = (double)ll_rng_below(&rng, 4);
    return x;
}

/* Compares ll_knn_search with the brute force for every query row. */
static void check_against_brute_force(const double *query, size_t n_query, const double *ref,
                                      size_t n_ref, size_t d, ll_knn_opts opts)
{
    size_t k = opts.k;
    size_t *idx = malloc(n_query * k * sizeof *idx);
    double *dist2 = malloc(n_query * k * sizeof *dist2);
    size_t *want_idx = malloc(k * sizeof *want_idx);
    double *want_dist2 = malloc(k * sizeof *want_dist2);
    ck_assert_int_eq(ll_knn_search(query, n_query, ref, n_ref, d, &opts, idx, dist2), 0);
    for (size_t q = 0; q < n_query; q++) {
        brute_force(query, q, ref, n_ref, d, &opts, want_idx, want_dist2);
        for (size_t r = 0; r < k; r++) {
            ck_assert_msg(idx[q * k + r] == want_idx[r] && dist2[q * k + r] == want_dist2[r],
                          "query %zu rank %zu: got %zu (%g), want %zu (%g)", q, r,
                          idx[q * k + r], dist2[q * k + r], want_idx[r], want_dist2[r]);
        }
    }
    free(idx);
    free(dist2);
    free(want_idx);
    free(want_dist2);
}

/* Sizes straddle the internal tiles (256 reference rows, 16 query rows). */
START_TEST(test_nearest_matches_brute_force)
{
    size_t n_query = 37, n_ref = 600, d = 5;
    double *query = integer_rows(n_query, d, 1), *ref = integer_rows(n_ref, d, 2);
    for (size_t k = 1; k <= 33; k += 8)
        check_against_brute_force(query, n_query, ref, n_ref, d,
                                  (ll_knn_opts){.k = k, .threads = 1});
    free(query);
    free(ref);
}
END_TEST

START_TEST(test_farthest_matches_brute_force)
{
    size_t n_query = 21, n_ref = 300, d = 3;
    double *query = integer_rows(n_query, d, 3), *ref = integer_rows(n_ref, d, 4);
    check_against_brute_force(query, n_query, ref, n_ref, d,
                              (ll_knn_opts){.k = 7, .farthest = 1, .threads = 1});
    check_against_brute_force(query, n_query, ref, n_ref, d,
                              (ll_knn_opts){.k = n_ref, .farthest = 1, .threads = 1});
    free(query);
    free(ref);
}
END_TEST

/* With exclude_self the row itself never appears, but its exact duplicates do (at 0). One
 * thread takes the self-join path (each pair computed once), two threads the general one. */
START_TEST(test_exclude_self)
{
    size_t n = 270, d = 2;
    double *x = integer_rows(n, d, 5);
    for (int threads = 1; threads <= 2; threads++) {
        check_against_brute_force(x, n, x, n, d,
                                  (ll_knn_opts){.k = 5, .exclude_self = 1, .threads = threads});
        check_against_brute_force(
            x, n, x, n, d, (ll_knn_opts){.k = n - 1, .exclude_self = 1, .threads = threads});
        check_against_brute_force(
            x, n, x, n, d,
            (ll_knn_opts){.k = 3, .exclude_self = 1, .farthest = 1, .threads = threads});
    }
    free(x);
}
END_TEST

static void check_same_for_threads(const double *query, size_t n_query, const double *ref,
                                   size_t n_ref, size_t d, ll_knn_opts opts)
{
    size_t k = opts.k;
    size_t *idx1 = malloc(n_query * k * sizeof *idx1), *idx2 = malloc(n_query * k * sizeof *idx2);
    double *d1 = malloc(n_query * k * sizeof *d1), *d2 = malloc(n_query * k * sizeof *d2);
    ll_knn_opts one = opts, two = opts;
    one.threads = 1;
    two.threads = 2;
    ck_assert_int_eq(ll_knn_search(query, n_query, ref, n_ref, d, &one, idx1, d1), 0);
    ck_assert_int_eq(ll_knn_search(query, n_query, ref, n_ref, d, &two, idx2, d2), 0);
    ck_assert(memcmp(idx1, idx2, n_query * k * sizeof *idx1) == 0);
    ck_assert(memcmp(d1, d2, n_query * k * sizeof *d1) == 0);
    free(idx1);
    free(idx2);
    free(d1);
    free(d2);
}

START_TEST(test_threads_do_not_change_results)
{
    size_t n_query = 500, n_ref = 700, d = 4;
    double *query = integer_rows(n_query, d, 6), *ref = integer_rows(n_ref, d, 7);
    check_same_for_threads(query, n_query, ref, n_ref, d, (ll_knn_opts){.k = 9});
    check_same_for_threads(ref, n_ref, ref, n_ref, d, (ll_knn_opts){.k = 9, .exclude_self = 1});
    free(query);
    free(ref);
}
END_TEST

START_TEST(test_rejects_impossible_k)
{
    double x[6] = {0, 1, 2, 3, 4, 5};
    size_t idx[9];
    ck_assert_int_eq(ll_knn_search(x, 3, x, 3, 2, &(ll_knn_opts){.k = 0}, idx, NULL), -1);
    ck_assert_int_eq(ll_knn_search(x, 3, x, 3, 2, &(ll_knn_opts){.k = 4}, idx, NULL), -1);
    ck_assert_int_eq(ll_knn_search(x, 3, x, 3, 2, &(ll_knn_opts){.k = 3, .exclude_self = 1},
                                   idx, NULL),
                     -1);
    ck_assert_int_eq(ll_knn_search(x, 3, x, 3, 2, &(ll_knn_opts){.k = 3}, idx, NULL), 0);
}
END_TEST

static Suite *neighbors_suite(void)
{
    Suite *s = suite_create("neighbors");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_nearest_matches_brute_force);
    tcase_add_test(tc, test_farthest_matches_brute_force);
    tcase_add_test(tc, test_exclude_self);
    tcase_add_test(tc, test_threads_do_not_change_results);
    tcase_add_test(tc, test_rejects_impossible_k);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return th_run_suite(neighbors_suite()); }
