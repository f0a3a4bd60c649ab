/* leadlab byte buffers (see blob.h). */
#include "blob.h"

#include <stdlib.h>
#include <string.h>

static int blob_write(void *ctx, const void *bytes, size_t n)
{
    ll_blob *b = ctx;
    if (b->failed)
        return -1;
    if (n > SIZE_MAX - b->len) {
        b->failed = 1;
        return -1;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return -1;
        }
        b->data = grown;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, bytes, n);
    b->len += n;
    return 0;
}

ll_writer ll_blob_writer(ll_blob *blob) { return (ll_writer){blob, blob_write}; }

void ll_blob_free(ll_blob *blob)
{
    free(blob->data);
    memset(blob, 0, sizeof *blob);
}

static int span_read(void *ctx, void *bytes, size_t n)
{
    ll_span *s = ctx;
    if (n > s->len - s->pos)
        return -1;
    if (n)
        memcpy(bytes, s->data + s->pos, n);
    s->pos += n;
    return 0;
}

static size_t span_remaining(void *ctx)
{
    const ll_span *s = ctx;
    return s->len - s->pos;
}

ll_reader ll_span_reader(ll_span *span) { return (ll_reader){span, span_read, span_remaining}; }
