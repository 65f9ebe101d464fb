/* Shared by the inflate tests and the fuzz replay: run the inflater over a memory buffer with
 * a chosen input chunking, collecting its output (and checking the write callback's
 * contract), and inflate with zlib. */
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

typedef struct {
    mem_source_t src;
    inflate_result_t *r;
    const inflate_state_t *st;
    size_t out_cap, max_out;
    bool short_seen; /* a call with fewer than INFLATE_CHUNK bytes (must be the last) */
} harness_ctx_t;

static int32_t harness_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    return mem_read(&((harness_ctx_t *)ctx)->src, buf, cap);
}

/* Appends the chunk, checking the write contract: 1..INFLATE_CHUNK bytes inside the window,
 * INFLATE_CHUNK every time but the last, total_out consistent. Stops once max_out is passed. */
static int harness_write(void *ctx, const uint8_t *data, uint32_t len)
{
    harness_ctx_t *h = ctx;
    inflate_result_t *r = h->r;
    if (len == 0 || len > INFLATE_CHUNK || h->short_seen || data < h->st->window ||
        data + len > h->st->window + INFLATE_WINDOW_SIZE ||
        inflate_total_out(h->st) != r->out_len + len)
        abort(); /* contract broken */
    h->short_seen = len < INFLATE_CHUNK;
    r->calls++;
    if (r->out_len + len > h->out_cap) {
        while (r->out_len + len > h->out_cap)
            h->out_cap *= 2;
        r->out = realloc(r->out, h->out_cap);
    }
    memcpy(r->out + r->out_len, data, len);
    r->out_len += len;
    return r->out_len > h->max_out;
}

/* Inflates `data` (input in random chunks when rng is given). Stops (INFLATE_ERR_WRITE) once
 * more than max_out bytes came out. */
static inline inflate_result_t run_inflate(const uint8_t *data, size_t len, inflate_format_t fmt,
                                           test_rng_t *rng, size_t max_out)
{
    static inflate_state_t st; /* 35 KiB: not on the stack */
    inflate_result_t r = {INFLATE_DONE, NULL, 0, 0, 0, 0, 0};
    harness_ctx_t h = {{data, len, 0, rng, -1, 0}, &r, &st, 1024, max_out, false};
    r.out = malloc(h.out_cap);
    r.status = inflate_run(&st, fmt, harness_read, harness_write, &h);
    r.total_in = inflate_total_in(&st);
    r.total_out = inflate_total_out(&st);
    r.crc = inflate_crc32(&st);
    if (r.total_in > len || (r.status == INFLATE_DONE && r.total_out != r.out_len))
        abort();
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
