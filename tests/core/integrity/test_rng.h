/* Seeded pseudo-random numbers for the differential tests (SplitMix64: every case is
 * reproducible from the seed printed on failure). */
#ifndef OTASIM_TEST_RNG_H
#define OTASIM_TEST_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s;
} test_rng_t;

static inline uint64_t rng_next(test_rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform-ish value in [0, n), n > 0. */
static inline uint32_t rng_below(test_rng_t *r, uint32_t n)
{
    return (uint32_t)(rng_next(r) % n);
}

static inline void rng_fill(test_rng_t *r, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rng_next(r);
}

/* A random length with many small values and some large ones. */
static inline size_t rng_length(test_rng_t *r, size_t max)
{
    switch (rng_below(r, 4)) {
    case 0:
        return rng_below(r, 70 < max ? 70 : (uint32_t)max + 1);
    case 1:
        return rng_below(r, 300 < max ? 300 : (uint32_t)max + 1);
    default:
        return rng_below(r, (uint32_t)max + 1);
    }
}

#endif
