/* Test data and small checks shared by several suites: the XOR table and two-group stump data
 * of the tree suites, an owned table for sampler fixtures, and the logit and label counts their
 * assertions are written in. */
#ifndef LL_TEST_FIXTURES_H
#define LL_TEST_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/plugin.h"

enum { TH_XOR_COLS = 4 };

/* n rows of TH_XOR_COLS columns: y = (x0 > 0) XOR (x1 > 0) with P(x > 0) = 0.7 for both, so
 * the first split already gains (a balanced XOR gives a greedy root nothing); x2, x3 are
 * noise. A depth-2 tree is exact. */
void th_xor_table(double *x, uint8_t *y, size_t n, uint64_t seed);
/* Fits `yaml` of `model` (seed 5, `threads`) on 2000 XOR rows (table seed 3) and returns its
 * accuracy on 1000 fresh ones (seed 4); fails the test on an error or a probability outside
 * [0, 1]. */
double th_xor_accuracy(const ll_plugin *model, const char *yaml, int threads);

/* 20 rows of one feature: x = 0 for rows 0..9, the first `pos_low` of them positive, and
 * x = 1 for rows 10..19, the first `pos_high` of them positive. The one cut is x <= 0.5. */
void th_two_groups(double x[20], uint8_t y[20], int pos_low, int pos_high);

/* A table a test built and owns, with the ll_data view a plugin reads. */
typedef struct {
    double *x;
    uint8_t *y;
    ll_data data;
} th_fixture;

void th_fixture_free(th_fixture *f);

/* log(p / (1 - p)): the margin behind a logistic probability. */
double th_logit(double p);
/* Rows of `data` labelled `label`. */
size_t th_count_label(const ll_owned_data *data, uint8_t label);

#endif
