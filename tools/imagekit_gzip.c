/* gzip through zlib: the .bin.gz files (spec §7.3: any standard gzip; we use level 9). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "imagekit.h"
#include "imagekit_internal.h"

bool imagekit_is_gzip(const uint8_t *in, size_t len)
{
    return len >= 2 && in[0] == 0x1F && in[1] == 0x8B;
}

int imagekit_gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, char *err,
                  size_t errlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* windowBits 15 + 16: a gzip header and trailer instead of zlib's. */
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return ik_fail(err, errlen, "zlib: deflateInit2 failed");
    size_t cap = deflateBound(&zs, (uLong)len) + 32;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&zs);
        return ik_fail(err, errlen, "out of memory");
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = buf;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    size_t n = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return ik_fail(err, errlen, "zlib: deflate failed (%d)", rc);
    }
    *out = buf;
    *out_len = n;
    return 0;
}

int imagekit_gunzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, char *err,
                    size_t errlen)
{
    if (!imagekit_is_gzip(in, len))
        return ik_fail(err, errlen, "not a gzip file (expected 1F 8B)");
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return ik_fail(err, errlen, "zlib: inflateInit2 failed");
    size_t cap = len * 4 + 4096, n = 0;
    uint8_t *buf = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    int rc = Z_OK;
    while (buf && rc == Z_OK) {
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        zs.next_out = buf + n;
        zs.avail_out = (uInt)(cap - n);
        rc = inflate(&zs, Z_NO_FLUSH);
        n = zs.total_out;
        if (rc == Z_BUF_ERROR && zs.avail_in == 0)
            break; /* truncated input */
        if (rc == Z_BUF_ERROR)
            rc = Z_OK;
    }
    const char *msg = zs.msg;
    size_t left = zs.avail_in;
    inflateEnd(&zs);
    if (!buf)
        return ik_fail(err, errlen, "out of memory");
    if (rc != Z_STREAM_END) {
        free(buf);
        return ik_fail(err, errlen, "corrupt gzip stream: %s",
                       msg ? msg : (rc == Z_BUF_ERROR ? "truncated" : "inflate error"));
    }
    if (left != 0) {
        free(buf);
        return ik_fail(err, errlen, "%zu bytes after the end of the gzip stream", left);
    }
    *out = buf;
    *out_len = n;
    return 0;
}
