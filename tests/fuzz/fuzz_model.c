/* libFuzzer harness: model files (core/model_file.c, core/encoder_io.c, and the built-in
 * plugins' load entries behind them).
 *
 * The input is the bytes of a .llm file. Inputs of even length get their header resealed (the
 * payload length and digest rewritten to match), so the fuzzer reaches the payload parsers
 * behind the checksum; odd ones exercise the header checks as they are. A file that loads is
 * then applied to a fixed synthetic test table with train.csv's schema, and when its pipeline
 * fits that table, scored: every score must be a probability or the call must fail with a
 * message. Everything is freed, so LeakSanitizer sees every leak. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "fit.h"
#include "fuzz_common.h"
#include "hash.h"
#include "model_file.h"
#include "registry.h"

enum { HEADER_BYTES = 48 };

static ll_registry registry;

static void reseal(uint8_t *b, size_t n)
{
    uint64_t length = n - HEADER_BYTES;
    ll_hash h;
    ll_hash_init(&h);
    ll_hash_bytes(&h, b + HEADER_BYTES, n - HEADER_BYTES);
    ll_digest d = ll_hash_final(&h);
    for (int i = 0; i < 8; i++) {
        b[24 + i] = (uint8_t)(length >> (8 * i));
        b[32 + i] = (uint8_t)(d.hi >> (8 * i));
        b[40 + i] = (uint8_t)(d.lo >> (8 * i));
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init("model");
    ll_error err;
    if (ll_registry_init(&registry, NULL, 0, &err) != 0)
        fz_die("registry: %s", err.msg);
    if (ll_synth_write(fz_path("test.csv"), 120, 3, &err) != 0)
        fz_die("synth: %s", err.msg);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes)
        return 0;
    if (size)
        memcpy(bytes, data, size);
    if (size >= HEADER_BYTES && size % 2 == 0)
        reseal(bytes, size);
    ll_saved_model m;
    ll_error err;
    if (ll_model_load_bytes("fuzz.llm", bytes, size, &registry, &m, &err) != 0) {
        if (!err.msg[0] || strchr(err.msg, '\n'))
            fz_die("a refused model file needs a one-line message, got '%s'", err.msg);
        fz_note("refused", err.msg);
        free(bytes);
        return 0;
    }
    if (!(m.cut >= 0.0 && m.cut <= 1.0))
        fz_die("loaded a cut of %g", m.cut);
    ll_dataset test;
    if (ll_dataset_load_apply(fz_path("test.csv"), m.encoder, &test, &err) == 0) {
        if (test.n_cols != m.fitted.n_cols)
            fz_die("the pipeline wrote %zu columns, the model expects %zu", test.n_cols,
                   m.fitted.n_cols);
        double *scores = malloc((test.n_rows ? test.n_rows : 1) * sizeof *scores);
        ll_err perr = {{0}};
        if (scores && ll_fitted_predict(&m.fitted, (ll_rows){test.x, NULL, test.n_rows}, 1,
                                        scores, &perr) == LL_OK)
            for (size_t i = 0; i < test.n_rows; i++)
                if (!(scores[i] >= 0.0 && scores[i] <= 1.0))
                    fz_die("score %g accepted for row %zu", scores[i], i);
        free(scores);
        ll_dataset_free(&test);
    } else {
        fz_note("pipeline does not fit the test table", err.msg);
    }
    ll_saved_model_free(&m);
    free(bytes);
    return 0;
}
