/* Fuzz target: the streaming inflater, differential against zlib.
 * fuzz-sources: firmware/core/integrity/inflate.c firmware/core/integrity/crc32.c
 * fuzz-libs: -lz
 *
 * Byte 0 picks the format (gzip or raw), the output buffer size and the input chunking; the
 * rest is the stream. Checked on every input: no out-of-bounds access (ASan), produced <= cap,
 * INFLATE_OK only with a full buffer, the verdict (DONE or an error) equals zlib's, and on DONE the
 * output, its CRC-32 and the consumed length equal zlib's. Any mismatch aborts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "crc32.h"
#include "inflate.h"

#define MAX_OUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *data;
    size_t len, pos, chunk;
} source_t;

static int32_t source_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    source_t *s = ctx;
    size_t n = s->len - s->pos;
    if (n > cap)
        n = cap;
    if (n > s->chunk)
        n = s->chunk;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return (int32_t)n;
}

/* zlib's verdict; *out holds up to MAX_OUT + 1 bytes of its output. */
static bool zlib_ok(const uint8_t *in, size_t len, bool gzip, uint8_t *out, size_t *out_len,
                    size_t *used)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, gzip ? 16 + 15 : -15) != Z_OK)
        abort();
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = MAX_OUT + 1;
    int ret = inflate(&z, Z_FINISH);
    *out_len = MAX_OUT + 1 - z.avail_out;
    *used = len - z.avail_in;
    inflateEnd(&z);
    return ret == Z_STREAM_END;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static inflate_state_t st;
    static uint8_t ours[MAX_OUT + 5000], theirs[MAX_OUT + 1];
    static const uint32_t caps[8] = {1, 3, 64, 255, 1000, 4096, 4097, 5000};
    static const size_t chunks[4] = {1, 7, 256, 100000};
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    bool gzip = (mode & 1) == 0;
    uint32_t cap = caps[(mode >> 1) & 7];
    source_t src = {data + 1, size - 1, 0, chunks[(mode >> 4) & 3]};
    size_t len = size - 1;

    inflate_init(&st, gzip ? INFLATE_FORMAT_GZIP : INFLATE_FORMAT_RAW, source_read, &src);
    size_t out_len = 0;
    uint32_t crc = 0;
    inflate_status_t s;
    do {
        uint32_t got = 0;
        s = inflate_read(&st, ours + out_len, cap, &got);
        if (got > cap)
            abort();
        crc = crc32_gzip(crc, ours + out_len, got);
        out_len += got;
        if (s == INFLATE_OK && got != cap)
            abort(); /* OK means the buffer is full: anything else would be a stall */
    } while (s == INFLATE_OK && out_len <= MAX_OUT);
    if (s == INFLATE_OK)
        return 0; /* output limit reached: nothing more to compare */
    if (inflate_read(&st, ours, cap, &(uint32_t){0}) != s)
        abort(); /* the status is sticky */
    if (inflate_total_in(&st) > len)
        abort();

    size_t zlen, used;
    bool zok = zlib_ok(data + 1, len, gzip, theirs, &zlen, &used);
    if (zlen > MAX_OUT)
        return 0;
    if ((s == INFLATE_DONE) != zok)
        abort();
    if (s == INFLATE_DONE) {
        if (zlen != out_len || memcmp(ours, theirs, zlen) != 0)
            abort();
        if (inflate_total_in(&st) != used || inflate_total_out(&st) != out_len ||
            inflate_crc32(&st) != crc || crc != (uint32_t)crc32(0, theirs, (uInt)zlen))
            abort();
    }
    return 0;
}
