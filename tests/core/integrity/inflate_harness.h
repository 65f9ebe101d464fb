/* Shared by the inflate tests and the fuzz replay: run the inflater over a memory buffer with
 * a chosen input chunking and output buffer size, and compress with zlib. */
#ifndef OTASIM_INFLATE_HARNESS_H
#define OTASIM_INFLATE_HARNESS_H

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "inflate.h"
#include "test_rng.h"

typedef struct {
    const uint8_t *data;
    size_t len, pos;
    test_rng_t *chunk_rng; /* NULL: give as much as asked */
    long fail_at;          /* return -1 once pos reaches this (or -1 for never) */
    size_t max_chunk;      /* 0: no limit */
} mem_source_t;

static int32_t mem_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    mem_source_t *s = ctx;
    if (s->fail_at >= 0 && s->pos >= (size_t)s->fail_at)
        return -1;
    size_t n = s->len - s->pos;
    if (n > cap)
        n = cap;
    if (s->max_chunk && n > s->max_chunk)
        n = s->max_chunk;
    if (s->chunk_rng && n > 1)
        n = 1 + rng_below(s->chunk_rng, (uint32_t)n);
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return (int32_t)n;
}

typedef struct {
    inflate_status_t status;
    uint8_t *out; /* malloc'd, out_len bytes */
    size_t out_len;
    uint32_t total_in, total_out, crc;
    unsigned calls;
} inflate_result_t;

/* Inflates `data` with output buffers of `cap` bytes (0: random 1..5000 per call, from rng).
 * Gives up (status as returned so far) after max_out bytes of output. */
static inline inflate_result_t run_inflate(const uint8_t *data, size_t len, inflate_format_t fmt,
                                           uint32_t cap, test_rng_t *rng, size_t max_out)
{
    static inflate_state_t st; /* 35 KiB: not on the stack */
    mem_source_t src = {data, len, 0, rng, -1, 0};
    inflate_result_t r = {INFLATE_OK, NULL, 0, 0, 0, 0, 0};
    size_t out_cap = 1024;
    r.out = malloc(out_cap);
    uint8_t *buf = malloc(5000);
    inflate_init(&st, fmt, mem_read, &src);
    for (;;) {
        uint32_t c = cap ? cap : 1 + rng_below(rng, 5000);
        uint32_t got = 0xDEADu;
        r.status = inflate_read(&st, buf, c, &got);
        r.calls++;
        if (got > c)
            abort(); /* contract broken: the test checks for this separately */
        if (r.out_len + got > out_cap) {
            while (r.out_len + got > out_cap)
                out_cap *= 2;
            r.out = realloc(r.out, out_cap);
        }
        memcpy(r.out + r.out_len, buf, got);
        r.out_len += got;
        if (r.status != INFLATE_OK || r.out_len > max_out)
            break;
        if (got == 0 && r.calls > 100000000u)
            abort(); /* no progress: a hang */
    }
    free(buf);
    r.total_in = inflate_total_in(&st);
    r.total_out = inflate_total_out(&st);
    r.crc = inflate_crc32(&st);
    return r;
}

/* zlib reference inflate: 1 if the stream (raw or gzip) decodes to Z_STREAM_END. */
static inline int zlib_inflate(const uint8_t *data, size_t len, bool gzip, uint8_t **out,
                               size_t *out_len, size_t *consumed, size_t max_out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, gzip ? 16 + 15 : -15) != Z_OK)
        abort();
    size_t cap = 4096;
    *out = malloc(cap);
    *out_len = 0;
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    int ret;
    do {
        if (*out_len == cap) {
            cap *= 2;
            *out = realloc(*out, cap);
        }
        z.next_out = *out + *out_len;
        z.avail_out = (uInt)(cap - *out_len);
        ret = inflate(&z, Z_NO_FLUSH);
        *out_len = cap - z.avail_out;
    } while (ret == Z_OK && *out_len <= max_out);
    if (consumed)
        *consumed = len - z.avail_in;
    inflateEnd(&z);
    return ret == Z_STREAM_END;
}

#endif
