/* Real-data checks shared by the suites: train.csv as the benchmark protocol reads it (the 15
 * raw features, empty purchases read as 0) and one plugin config cross-validated as
 * `leadlab run` does it (core's stratified folds, z-scoring fitted on each fold's training
 * rows), scored by the mean F1 of class 1 over the folds. */
#ifndef LL_TEST_REAL_CV_H
#define LL_TEST_REAL_CV_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "leadlab/plugin.h"

typedef struct {
    double f1_mean;
    double seconds; /* wall time of every fit + predict */
} rcv_result;

/* Loads the train.csv at `path` with the protocol's features; fails the test if it cannot. */
void rcv_load(const char *path, ll_dataset *ds);
/* The same for th_require_real_data("train.csv"); returns -1, ds untouched, when the data is
 * absent (the test is then reported skipped: return at once). */
int rcv_load_real(ll_dataset *ds);
/* Z-scores every column in place with its mean and population sd over all rows. */
void rcv_zscore_all(ll_dataset *ds);

/* Runs `yaml` of `model` over the k folds `leadlab run` draws for cv seed `seed` (repeat 0,
 * so the folds of its folds.csv), the model seeded ll_seed_mix(seed, fold). A row counts as
 * predicted positive when P > 0.5 (scikit-learn's predict: margin > 0, or a strict majority
 * of the votes). */
rcv_result rcv_run(const char *path, const ll_plugin *model, const char *yaml, size_t k,
                   uint64_t seed, int threads);
/* A suite's real-data check: rcv_run of `model` over 5 folds, seed 42, reported on stderr;
 * fails the test unless the mean F1 reaches `floor`. Skips the test (th_require_real_data) when
 * the data is absent. */
void rcv_assert_f1_floor(const char *model, const char *yaml, int threads, double floor);

#endif
