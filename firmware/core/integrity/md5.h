/* MD5 (RFC 1321), streaming. */
#ifndef OTASIM_MD5_H
#define OTASIM_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_LEN 16

typedef struct md5_ctx {
    uint32_t state[4];
    uint64_t count; /* bytes hashed so far */
    uint8_t block[64];
} md5_ctx_t;

void md5_init(md5_ctx_t *ctx);
void md5_update(md5_ctx_t *ctx, const void *data, size_t len);
void md5_final(md5_ctx_t *ctx, uint8_t out[MD5_DIGEST_LEN]);

#endif
