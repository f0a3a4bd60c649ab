/* leadlab content hashes: a 128-bit streaming hash for cell keys and data fingerprints. Not
 * cryptographic; stable across runs, machines and builds (bytes are fed little-endian). */
#ifndef LL_CORE_HASH_H
#define LL_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct {
    uint64_t a, b;   /* two lanes with independent seeds */
    uint64_t length; /* bytes fed so far */
} ll_hash;

typedef struct {
    uint64_t hi, lo;
} ll_digest;

void ll_hash_init(ll_hash *h);
void ll_hash_bytes(ll_hash *h, const void *data, size_t n);
void ll_hash_u64(ll_hash *h, uint64_t v);
void ll_hash_f64(ll_hash *h, double v); /* the bit pattern, with -0.0 folded into 0.0 */
void ll_hash_str(ll_hash *h, const char *s); /* length-prefixed, so ("ab","c") != ("a","bc") */
ll_digest ll_hash_final(const ll_hash *h);

/* 32 lowercase hex digits and a NUL. */
void ll_digest_hex(ll_digest d, char out[33]);
/* The hash of a whole file's bytes. Returns 0, or -1 with err naming the file. */
int ll_hash_file(const char *path, ll_digest *out, ll_error *err);

#endif
