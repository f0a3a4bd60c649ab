/* leadlab byte buffers behind the plugin ABI's ll_writer / ll_reader: a growable buffer a
 * model saves into, and a bounded reader a model loads from (saved models, check-plugin). */
#ifndef LL_CORE_BLOB_H
#define LL_CORE_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "leadlab/plugin.h"

/* Owns data (free with ll_blob_free). A failed allocation sets `failed`; later writes fail. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
    int failed;
} ll_blob;

/* A writer appending to *blob (which must outlive it). */
ll_writer ll_blob_writer(ll_blob *blob);
void ll_blob_free(ll_blob *blob);

/* Reads from borrowed bytes; never past `len`. */
typedef struct {
    const uint8_t *data;
    size_t len, pos;
} ll_span;

/* A reader over *span (which must outlive it). */
ll_reader ll_span_reader(ll_span *span);

#endif
