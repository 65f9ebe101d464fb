/* Fuzz target: the inflater, differential against zlib.
 * fuzz-sources: firmware/core/integrity/inflate.c firmware/core/integrity/crc32.c
 * fuzz-libs: -lz
 *
 * Byte 0 picks the format (gzip or raw) and the input chunking; the rest is the stream.
 * Checked on every input: no out-of-bounds access (ASan), the write callback's contract (1 to
 * INFLATE_CHUNK bytes from inside the window, INFLATE_CHUNK on every call but the last), the
 * verdict (DONE or an error) equals zlib's, and on DONE the output, its CRC-32 and the
 * consumed length equal zlib's. Any mismatch aborts. */
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
    const inflate_state_t *st;
    uint8_t *out;
    size_t out_len;
    bool short_seen;
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

static int sink(void *ctx, const uint8_t *data, uint32_t len)
{
    source_t *s = ctx;
    if (len == 0 || len > INFLATE_CHUNK || s->short_seen || data < s->st->window ||
        data + len > s->st->window + INFLATE_WINDOW_SIZE)
        abort();
    s->short_seen = len < INFLATE_CHUNK;
    if (s->out_len + len > MAX_OUT)
        return 1; /* output limit: nothing more to compare */
    memcpy(s->out + s->out_len, data, len);
    s->out_len += len;
    return 0;
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
    static uint8_t ours[MAX_OUT], theirs[MAX_OUT + 1];
    static const size_t chunks[4] = {1, 7, 256, 100000};
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    bool gzip = (mode & 1) == 0;
    source_t src = {data + 1, size - 1, 0, chunks[(mode >> 4) & 3], &st, ours, 0, false};
    size_t len = size - 1;

    inflate_status_t s =
        inflate_run(&st, gzip ? INFLATE_FORMAT_GZIP : INFLATE_FORMAT_RAW, source_read, sink, &src);
    if (s == INFLATE_ERR_WRITE)
        return 0; /* output limit reached */
    if (inflate_total_in(&st) > len)
        abort();
    size_t out_len = src.out_len;

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
            inflate_crc32(&st) != (uint32_t)crc32(0, theirs, (uInt)zlen))
            abort();
    }
    return 0;
}
