/* The block buffering and final padding MD5 and SHA-256 share (both hash 64-byte blocks and
 * end with 0x80, zeros and the bit length in the last 8 bytes; only the length's byte order
 * differs). Static inline so each hash gets its own copy with its block function inlined. */
#ifndef OTASIM_MD_BLOCK_H
#define OTASIM_MD_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef void md_block_fn(uint32_t *state, const uint8_t block[64]);

static inline void md_update(uint32_t *state, uint8_t block[64], uint64_t *count, md_block_fn *fn,
                             const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        size_t used = (size_t)(*count & 63u);
        size_t n = 64 - used;
        if (n > len)
            n = len;
        if (used == 0 && len >= 64) {
            fn(state, p); /* whole block straight from the caller's buffer */
            n = 64;
        } else {
            memcpy(block + used, p, n);
            if (used + n == 64)
                fn(state, block);
        }
        *count += n;
        p += n;
        len -= n;
    }
}

/* Pads and hashes the last block(s); `big_endian` is the bit length's byte order. */
static inline void md_final(uint32_t *state, uint8_t block[64], uint64_t count, md_block_fn *fn,
                            bool big_endian)
{
    uint64_t bits = count << 3;
    size_t used = (size_t)(count & 63u);
    block[used++] = 0x80;
    if (used > 56) {
        memset(block + used, 0, 64 - used);
        fn(state, block);
        used = 0;
    }
    memset(block + used, 0, 56 - used);
    for (unsigned i = 0; i < 8; i++)
        block[56 + i] = (uint8_t)(bits >> (big_endian ? 56 - 8 * i : 8 * i));
    fn(state, block);
}

#endif
