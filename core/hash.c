/* leadlab content hashes (see hash.h): two multiply-rotate lanes over 8-byte words, each
 * finished with the murmur3/splitmix64 avalanche. */
#include "hash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LANE_A 0x9e3779b97f4a7c15ull
#define LANE_B 0xc2b2ae3d27d4eb4full

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t avalanche(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void ll_hash_init(ll_hash *h)
{
    h->a = 0x6c65616462616231ull; /* "leadlab1" */
    h->b = 0x63656c6c6b657931ull; /* "cellkey1" */
    h->length = 0;
}

static void feed_word(ll_hash *h, uint64_t w)
{
    h->a = rotl(h->a ^ (w * LANE_A), 29) * LANE_B + 0x165667b19e3779f9ull;
    h->b = rotl(h->b ^ (w * LANE_B), 31) * LANE_A + 0x27d4eb2f165667c5ull;
}

void ll_hash_bytes(ll_hash *h, const void *data, size_t n)
{
    const unsigned char *p = data;
    /* Words are assembled little-endian by hand, so the digest is the same on any host. */
    while (n >= 8) {
        uint64_t w = 0;
        for (int i = 7; i >= 0; i--)
            w = (w << 8) | p[i];
        feed_word(h, w);
        p += 8;
        n -= 8;
        h->length += 8;
    }
    if (n) {
        uint64_t w = 0;
        for (size_t i = n; i-- > 0;)
            w = (w << 8) | p[i];
        feed_word(h, w ^ ((uint64_t)n << 56));
        h->length += n;
    }
}

void ll_hash_u64(ll_hash *h, uint64_t v)
{
    feed_word(h, v);
    h->length += 8;
}

void ll_hash_f64(ll_hash *h, double v)
{
    uint64_t bits;
    if (v == 0.0)
        v = 0.0;
    memcpy(&bits, &v, sizeof bits);
    ll_hash_u64(h, bits);
}

void ll_hash_str(ll_hash *h, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    ll_hash_u64(h, (uint64_t)n);
    ll_hash_bytes(h, s ? s : "", n);
}

ll_digest ll_hash_final(const ll_hash *h)
{
    uint64_t a = avalanche(h->a ^ h->length), b = avalanche(h->b + h->length * LANE_A);
    ll_digest d = {avalanche(a ^ rotl(b, 17)), avalanche(b ^ rotl(a, 43))};
    return d;
}

void ll_digest_hex(ll_digest d, char out[33])
{
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)d.hi, (unsigned long long)d.lo);
}

int ll_hash_file(const char *path, ll_digest *out, ll_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ll_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    ll_hash h;
    ll_hash_init(&h);
    unsigned char buf[1 << 16];
    size_t got;
    /* Feeding whole 64 KiB blocks (multiples of 8) keeps the digest independent of how the
     * file is read. */
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        ll_hash_bytes(&h, buf, got);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return ll_error_io(err, "%s: read error: %s", path, strerror(errno));
    *out = ll_hash_final(&h);
    return 0;
}
