/* leadlab deterministic random numbers: splitmix64 for seed derivation, xoshiro256** for
 * streams. Header-only so the runner and every plugin draw the same way from a handed-down seed. */
#ifndef LEADLAB_RNG_H
#define LEADLAB_RNG_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Advances *state and returns the next splitmix64 output (Steele, Lea, Flood 2014). */
static inline uint64_t ll_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Mixes a seed with one more value: how per-cell, per-tree, per-row seeds are derived. */
static inline uint64_t ll_seed_mix(uint64_t seed, uint64_t value)
{
    uint64_t s = seed ^ (value * 0xD1B54A32D192ED03ull);
    return ll_splitmix64(&s);
}

typedef struct {
    uint64_t s[4];
} ll_rng;

static inline void ll_rng_seed(ll_rng *rng, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = ll_splitmix64(&sm);
}

static inline uint64_t ll_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** (Blackman, Vigna 2018). */
static inline uint64_t ll_rng_next(ll_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = ll_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ll_rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double ll_rng_uniform(ll_rng *rng)
{
    return (double)(ll_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n >= 1, without modulo bias (Lemire 2019). */
static inline uint64_t ll_rng_below(ll_rng *rng, uint64_t n)
{
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t r = ll_rng_next(rng);
        if (r >= threshold)
            return r % n;
    }
}

/* Standard normal by Box-Muller; one value per call keeps the stream position simple. */
static inline double ll_rng_normal(ll_rng *rng)
{
    double u1 = 1.0 - ll_rng_uniform(rng); /* (0, 1] so log is finite */
    double u2 = ll_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

/* Fisher-Yates shuffle of n indices. */
static inline void ll_rng_shuffle_size(ll_rng *rng, size_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ll_rng_below(rng, i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

#endif
