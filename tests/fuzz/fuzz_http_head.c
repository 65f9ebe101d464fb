/* Fuzz target: the HTTP head parser, requests and responses.
 * fuzz-sources: firmware/ota/http/http_head.c
 * fuzz-cflags: -Ifirmware/ota/http
 *
 * Byte 0: bit 0 request/response, bits 1-7 the piece size the rest is fed in. Checked: the
 * parser consumes no more than it is given and nothing after it stops, a DONE head has every
 * field set and pointing into its own buffer, and the header lookups return defined values. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const http_head_t *h, const char *p)
{
    return p >= h->buf && p <= h->buf + h->len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static http_head_t h;
    http_head_init(&h, data[0] & 1);
    size_t piece = 1 + (data[0] >> 1);
    const uint8_t *in = data + 1;
    size_t len = size - 1, off = 0;
    while (off < len) {
        size_t n = len - off < piece ? len - off : piece;
        http_head_status_t before = h.status;
        size_t used = http_head_feed(&h, in + off, n);
        if (used > n || (before != HTTP_HEAD_MORE && used != 0))
            abort();
        off += used;
        if (used < n)
            break;
    }
    if (h.len > HTTP_HEAD_MAX)
        abort();
    if (h.status == HTTP_HEAD_DONE) {
        if (h.request && (!h.method || !h.target || !inside(&h, h.method) || !inside(&h, h.target)))
            abort();
        if (!h.request && (h.code < 100 || h.code > 599 || !h.reason))
            abort();
        if (h.nheaders > HTTP_HEADERS_MAX)
            abort();
        for (size_t i = 0; i < h.nheaders; i++)
            if (!inside(&h, h.headers[i].name) || !inside(&h, h.headers[i].value) ||
                !h.headers[i].name[0])
                abort();
        uint32_t cl = 0;
        int r = http_head_content_length(&h, &cl);
        if (r < -1 || r > 1)
            abort();
        char joined[64];
        size_t k = http_head_get_joined(&h, "x-md5", joined, sizeof(joined));
        if (strlen(joined) >= sizeof(joined) || (k == 0 && joined[0]))
            abort();
        (void)http_head_get(&h, "Content-Type");
    }
    return 0;
}
