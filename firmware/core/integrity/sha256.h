/* SHA-256 (FIPS 180-4), streaming. */
#ifndef OTASIM_SHA256_H
#define OTASIM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32

typedef struct sha256_ctx {
    uint32_t state[8];
    uint64_t count; /* bytes hashed so far */
    uint8_t block[64];
} sha256_ctx_t;

void sha256_init(sha256_ctx_t *ctx);
void sha256_update(sha256_ctx_t *ctx, const void *data, size_t len);
void sha256_final(sha256_ctx_t *ctx, uint8_t out[SHA256_DIGEST_LEN]);

#endif
