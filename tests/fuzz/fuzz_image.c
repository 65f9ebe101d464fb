/* Fuzz target: the ESP8266 image parser (firmware/core/image.c): single images, the eboot + app
 * pair, the sketch size walk and the boot descriptor scan.
 * fuzz-sources: firmware/core/image.c firmware/core/reader.c firmware/core/integrity/crc32.c
 *
 * Byte 0 picks the entry points and a reader that fails from some offset on; the rest is the
 * file. Checked on every input: no out-of-bounds access (ASan, exact-size buffer), an accepted
 * image lies inside the bytes given (segments, length, checksum byte), the headers-only and
 * checksum walks agree on the structure, a failing reader yields IMAGE_ERR_READ or a verdict
 * reached before the failing offset, and the checksum / CRC fields are what the bytes say
 * (recomputed here independently). Any violation aborts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "hal.h"
#include "image.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* reader.c's flash reader is not used here. */
hal_status_t hal_flash_read(uint32_t addr, void *dst, uint32_t len)
{
    (void)addr;
    (void)dst;
    (void)len;
    abort();
}

typedef struct {
    const uint8_t *data;
    uint32_t len;
    uint32_t fail_from; /* reads touching [fail_from, ...) fail */
    bool touched_fail;
} fail_reader_t;

static bool fail_read(void *ctx, uint32_t offset, void *dst, uint32_t len)
{
    fail_reader_t *f = ctx;
    if (offset > f->len || len > f->len - offset)
        return false;
    if (len > 0 && offset + len > f->fail_from) {
        f->touched_fail = true;
        return false;
    }
    memcpy(dst, f->data + offset, len);
    return true;
}

static void check_single(const uint8_t *in, uint32_t len, unsigned flags, image_status_t st,
                         const image_info_t *info)
{
    if (st > IMAGE_ERR_CRC || image_status_str(st) == NULL)
        abort();
    if (st == IMAGE_ERR_BOOT_SIZE || st == IMAGE_ERR_CRC)
        abort(); /* pair-only verdicts */
    if (st != IMAGE_OK && st != IMAGE_ERR_CHECKSUM)
        return;
    if (in[0] != IMAGE_MAGIC || info->segment_count == 0 ||
        info->segment_count > IMAGE_MAX_SEGMENTS || info->segment_count != in[1])
        abort();
    uint32_t pos = IMAGE_HEADER_LEN;
    uint8_t x = IMAGE_CHECKSUM_SEED;
    for (unsigned i = 0; i < info->segment_count; i++) {
        const image_segment_t *s = &info->segments[i];
        if (s->data_offset != pos + IMAGE_SEGMENT_HEADER_LEN || s->length > len ||
            s->data_offset > len - s->length)
            abort();
        for (uint32_t k = 0; k < s->length; k++)
            x ^= in[s->data_offset + k];
        pos = s->data_offset + s->length;
    }
    if (info->data_end != pos || info->length != ((pos + 16u) & ~15u) || info->length > len)
        abort();
    if (flags & IMAGE_PARSE_CHECKSUM) {
        if (!info->checksum_checked || info->checksum_calc != x ||
            info->checksum != in[info->length - 1])
            abort();
        if ((st == IMAGE_OK) != (x == info->checksum))
            abort();
    } else if (st != IMAGE_OK) {
        abort(); /* no checksum verdict without reading the data */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    const uint8_t *in = data + 1;
    uint32_t len = (uint32_t)(size - 1);

    /* Single image, both walks. */
    image_info_t h, c;
    image_status_t sh = image_parse_buffer(in, len, IMAGE_PARSE_HEADERS, &h);
    image_status_t sc = image_parse_buffer(in, len, IMAGE_PARSE_CHECKSUM, &c);
    check_single(in, len, IMAGE_PARSE_HEADERS, sh, &h);
    check_single(in, len, IMAGE_PARSE_CHECKSUM, sc, &c);
    if (sh == IMAGE_OK) {
        if (sc != IMAGE_OK && sc != IMAGE_ERR_CHECKSUM)
            abort();
        if (c.length != h.length || c.segment_count != h.segment_count ||
            memcmp(c.segments, h.segments, sizeof h.segments) != 0)
            abort();
    } else if (sc != sh) {
        abort(); /* a structural verdict is the same with or without the data */
    }

    /* The same through a reader that fails from an input-chosen offset on. */
    fail_reader_t f = {in, len, len ? (uint32_t)((mode * 97u) % (len + 1)) : 0, false};
    reader_t fr = {fail_read, &f};
    image_info_t fi;
    image_status_t sf = image_parse(&fr, 0, len, IMAGE_PARSE_CHECKSUM, &fi);
    if (f.touched_fail ? sf != IMAGE_ERR_READ : sf != sc)
        abort();

    /* A base inside the buffer and a limit smaller than the bytes there. */
    if (mode & 1) {
        mem_reader_t m = {in, len};
        reader_t r = mem_reader(&m);
        uint32_t base = len ? (mode >> 1) % len : 0;
        uint32_t limit = (len - base) / 2;
        image_info_t bi;
        image_status_t sb = image_parse(&r, base, limit, IMAGE_PARSE_CHECKSUM, &bi);
        check_single(in + base, limit, IMAGE_PARSE_CHECKSUM, sb, &bi);
    }

    /* The pair. */
    image_pair_info_t p;
    unsigned pflags = (mode & 2) ? IMAGE_PARSE_CHECKSUM : IMAGE_PARSE_HEADERS;
    image_status_t sp = image_parse_pair_buffer(in, len, pflags, &p);
    if (sp > IMAGE_ERR_CRC)
        abort();
    if (sp == IMAGE_OK) {
        if (p.length != IMAGE_APP_OFFSET + p.app.length || p.length > len ||
            p.boot.length > IMAGE_APP_OFFSET)
            abort();
        if (p.crc_checked) {
            /* recomputed bytewise with the two words read as zero */
            uint32_t crc = CRC32_MPEG2_INIT;
            for (uint32_t k = 0; k < p.crc_len; k++) {
                uint8_t b =
                    (k >= IMAGE_CRC_LEN_OFFSET && k < IMAGE_CRC_LEN_OFFSET + 8u) ? 0 : in[k];
                crc = crc32_mpeg2(crc, &b, 1);
            }
            if (crc != p.crc_calc || crc != p.crc_val)
                abort();
        }
    }

    /* getSketchSize(): bounded, and equal to the pair's length when the app parsed. */
    mem_reader_t m = {in, len};
    reader_t r = mem_reader(&m);
    uint32_t sketch = 0;
    bool ok = image_sketch_size(&r, 0, len, &sketch);
    if (ok && (sketch > len + 16u || sketch < IMAGE_APP_OFFSET + IMAGE_HEADER_LEN))
        abort();
    if (sp == IMAGE_OK && (!ok || sketch != p.length))
        abort();

    /* The boot descriptor scan. */
    app_desc_t d;
    if (image_find_boot_desc(&r, 0, len < 4096 ? len : 4096, &d)) {
        uint8_t raw[sizeof(app_desc_t)];
        app_desc_encode(&d, raw);
        app_desc_t d2;
        if (!app_desc_decode(raw, &d2) || memcmp(&d, &d2, sizeof d) != 0)
            abort();
    }
    return 0;
}
