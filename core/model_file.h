/* leadlab model files (.llm): one fitted model with its whole feature pipeline (the learned
 * encoder, the learned feature tables, the scaler, column names, the cut) in a versioned,
 * checksummed, little-endian file, so `predict --model` scores a new CSV with nothing else. */
#ifndef LL_CORE_MODEL_FILE_H
#define LL_CORE_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "error.h"
#include "fit.h"
#include "registry.h"

/* The file format version this leadlab writes; it reads 1 (no calibrator) and 2 (count
 * features as counts in the encoder, no learned feature tables) up to it. */
#define LL_MODEL_FORMAT 3u

/* A model file in memory. ll_model_save reads the described fields; ll_model_load fills them
 * all and owns them (free with ll_saved_model_free). */
typedef struct {
    char *model_label, *sampler_label;   /* the spec's labels, e.g. "sgb(depth=3)", "smote" */
    char *plugin_name, *plugin_version;  /* the model plugin that saved the state */
    char *model_params, *sampler_params; /* every parameter (given or default) as JSON */
    char *leadlab_version, *data_hash;   /* who wrote it, from which training data */
    uint64_t train_rows, train_positives;
    double cut;    /* scores >= cut are predicted positive */
    int cut_tuned; /* 1: tuned by inner CV on the training rows; 0: the spec's fixed cut */
    ll_encoder *encoder;
    ll_fitted fitted; /* after load: the plugin's state, the learned feature tables, the scaler
                       * and the column layout */
    ll_config model_config; /* what fitted.model points to after load (label and plugin) */
} ll_saved_model;

/* Writes the model to `path` atomically: the labels, parameters and cut from `info`, the
 * encoder, and fitted (its learned feature tables, scaler, column layout, calibrator and the
 * plugin's bytes from its save entry).
 * Fails with a message when the plugin cannot save or the file cannot be written (err->io). */
int ll_model_save(const char *path, const ll_saved_model *info, const ll_encoder *encoder,
                  const ll_fitted *fitted, ll_error *err);

/* Reads and checks a model file (magic, format version, length, checksum, every count), finds
 * its plugin on the registry's search path and has it load its state. Errors name the file:
 * "m.llm: truncated (120 of 4096 bytes)", "m.llm: corrupt (checksum mismatch)", ... */
int ll_model_load(const char *path, ll_registry *reg, ll_saved_model *out, ll_error *err);

/* The same from bytes in memory (`name` prefixes messages): what the fuzzer drives. */
int ll_model_load_bytes(const char *name, const uint8_t *bytes, size_t n, ll_registry *reg,
                        ll_saved_model *out, ll_error *err);

void ll_saved_model_free(ll_saved_model *m);

#endif
