/* Fuzz target: the multipart/form-data parser.
 * fuzz-sources: firmware/ota/http/multipart.c firmware/ota/http/http_head.c
 * fuzz-cflags: -Ifirmware/ota/http
 *
 * The input up to its first newline is the Content-Type value (boundary and all), the rest the
 * body, fed in pieces whose size the first byte picks. Checked: chunks are 1..MULTIPART_CHUNK
 * bytes and only inside a part, every part_begin is matched by at most one part_end before the
 * next, no callback after an error, and a parse reported done really saw its close delimiter. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct track {
    bool in_part;
    bool failed;
    unsigned begins, ends;
} track_t;

static bool on_begin(void *ctx, const multipart_part_t *p)
{
    track_t *t = ctx;
    if (t->in_part || t->failed || strlen(p->name) >= sizeof(p->name) ||
        strlen(p->filename) >= sizeof(p->filename))
        abort();
    t->in_part = true;
    t->begins++;
    return true;
}

static bool on_data(void *ctx, const uint8_t *d, size_t n)
{
    track_t *t = ctx;
    if (!t->in_part || t->failed || n == 0 || n > MULTIPART_CHUNK)
        abort();
    volatile uint8_t sink = d[0] ^ d[n - 1]; /* readable, all of it (ASan) */
    (void)sink;
    return true;
}

static bool on_end(void *ctx)
{
    track_t *t = ctx;
    if (!t->in_part || t->failed)
        abort();
    t->in_part = false;
    t->ends++;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t piece = 1 + data[0] * 17u;
    const uint8_t *nl = memchr(data + 1, '\n', size - 1);
    if (!nl)
        return 0;
    size_t ctlen = (size_t)(nl - (data + 1));
    char *ct = malloc(ctlen + 1);
    memcpy(ct, data + 1, ctlen);
    ct[ctlen] = '\0';
    track_t t = {0};
    multipart_callbacks_t cb = {&t, on_begin, on_data, on_end};
    static multipart_t mp;
    mp_status_t st = multipart_init(&mp, ct, &cb);
    free(ct);
    const uint8_t *body = nl + 1;
    size_t len = size - (size_t)(body - data), off = 0;
    while (off < len) {
        size_t n = len - off < piece ? len - off : piece;
        mp_status_t s = multipart_feed(&mp, body + off, n);
        if (st != MP_OK && s != st)
            abort(); /* errors are sticky */
        st = s;
        if (st != MP_OK)
            t.failed = true;
        off += n;
    }
    bool done = multipart_done(&mp);
    st = multipart_finish(&mp);
    if (done != (st == MP_OK) || (done && (t.in_part || t.begins != t.ends)))
        abort();
    (void)multipart_status_text(st);
    return 0;
}
