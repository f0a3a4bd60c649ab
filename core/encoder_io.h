/* leadlab encoder in model files: the learned feature pipeline written and read through the
 * plugin ABI's byte streams (little-endian, versioned), and what a saved model needs to know of
 * it without seeing its layout. */
#ifndef LL_CORE_ENCODER_IO_H
#define LL_CORE_ENCODER_IO_H

#include <stddef.h>

#include "dataset.h"
#include "error.h"
#include "fold_encoding.h"
#include "leadlab/plugin.h"

/* 0, or -1 when the writer fails. */
int ll_encoder_save(const ll_encoder *enc, ll_writer *w);
/* Rebuilds an encoder, checking every count, kind and ordering it relies on; on success the
 * caller frees *out with ll_encoder_free. -1 with err set ("its feature pipeline is truncated
 * or corrupt") otherwise. With legacy NULL it reads what ll_encoder_save writes; otherwise the
 * older format of model files 1 and 2, whose learned counts become *legacy, the fitted count
 * tables of their model (the caller frees them with ll_fold_fitted_free). */
int ll_encoder_load(ll_reader *r, ll_encoder **out, ll_fold_fitted *legacy, ll_error *err);

/* Borrowed from the encoder. */
const char *ll_encoder_target(const ll_encoder *enc);
const char *ll_encoder_id(const ll_encoder *enc); /* NULL: the spec named no id column */
size_t ll_encoder_n_features(const ll_encoder *enc);
const char *const *ll_encoder_feature_names(const ll_encoder *enc);

#endif
