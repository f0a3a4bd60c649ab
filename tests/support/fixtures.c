/* Shared test data and small checks (see fixtures.h). */
#include "fixtures.h"

#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "leadlab/rng.h"

void th_xor_table(double *x, uint8_t *y, size_t n, uint64_t seed)
{
    ll_rng rng;
    ll_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < TH_XOR_COLS; j++)
            x[i * TH_XOR_COLS + j] = 2.0 * ll_rng_uniform(&rng) - 0.6;
        y[i] = (x[i * TH_XOR_COLS] > 0) != (x[i * TH_XOR_COLS + 1] > 0);
    }
}

/* Share of rows where (proba > 0.5) equals the label. */
static double accuracy(const uint8_t *y, const double *proba, size_t n)
{
    size_t right = 0;
    for (size_t i = 0; i < n; i++)
        right += (proba[i] > 0.5) == (y[i] != 0);
    return (double)right / (double)n;
}

double th_xor_accuracy(const ll_plugin *model, const char *yaml, int threads)
{
    enum { N_TRAIN = 2000, N_TEST = 1000 };
    double *x = malloc(N_TRAIN * TH_XOR_COLS * sizeof *x);
    double *xt = malloc(N_TEST * TH_XOR_COLS * sizeof *xt), *proba = malloc(N_TEST * sizeof *proba);
    uint8_t *y = malloc(N_TRAIN), *yt = malloc(N_TEST);
    ck_assert(x && xt && proba && y && yt);
    th_xor_table(x, y, N_TRAIN, 3);
    th_xor_table(xt, yt, N_TEST, 4);
    ll_data train = {.x = x, .y = y, .n_rows = N_TRAIN, .n_cols = TH_XOR_COLS};
    ll_data test = {.x = xt, .n_rows = N_TEST, .n_cols = TH_XOR_COLS};
    th_fit_predict_ok(model, yaml, &train, &test, 5, threads, proba);
    for (size_t i = 0; i < N_TEST; i++)
        ck_assert_msg(proba[i] >= 0.0 && proba[i] <= 1.0, "%s: P = %g", yaml, proba[i]);
    double acc = accuracy(yt, proba, N_TEST);
    free(x);
    free(xt);
    free(proba);
    free(y);
    free(yt);
    return acc;
}

void th_two_groups(double x[20], uint8_t y[20], int pos_low, int pos_high)
{
    for (int i = 0; i < 20; i++) {
        x[i] = i < 10 ? 0.0 : 1.0;
        y[i] = i < 10 ? i < pos_low : i < 10 + pos_high;
    }
}

void th_fixture_free(th_fixture *f)
{
    free(f->x);
    free(f->y);
}

double th_logit(double p) { return log(p) - log1p(-p); }

size_t th_count_label(const ll_owned_data *data, uint8_t label)
{
    size_t n = 0;
    for (size_t i = 0; i < data->n_rows; i++)
        n += data->y[i] == label;
    return n;
}
