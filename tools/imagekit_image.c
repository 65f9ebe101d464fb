/* Image building and the elf2bin pair layout (spec §3.5, §7.3). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "image.h"
#include "imagekit.h"
#include "imagekit_internal.h"

int ik_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static uint32_t pad4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

int imagekit_build_image(const imagekit_header_t *hdr, const imagekit_segment_t *segs, size_t nsegs,
                         uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    if (nsegs == 0 || nsegs > IMAGE_MAX_SEGMENTS)
        return ik_fail(err, errlen, "an image needs 1 to %u segments, got %zu", IMAGE_MAX_SEGMENTS,
                       nsegs);
    size_t total = IMAGE_HEADER_LEN;
    for (size_t i = 0; i < nsegs; i++) {
        if (segs[i].len > 0x1000000u)
            return ik_fail(err, errlen, "segment %zu at 0x%08x is too large (%u bytes)", i,
                           segs[i].addr, segs[i].len);
        total += IMAGE_SEGMENT_HEADER_LEN + pad4(segs[i].len);
    }
    size_t length = (total + 16u) & ~(size_t)15u;
    uint8_t *buf = calloc(1, length);
    if (!buf)
        return ik_fail(err, errlen, "out of memory");
    buf[0] = IMAGE_MAGIC;
    buf[1] = (uint8_t)nsegs;
    buf[2] = hdr->flash_mode;
    buf[3] = hdr->size_freq;
    ik_put32(buf + 4, hdr->entry);
    size_t pos = IMAGE_HEADER_LEN;
    uint8_t sum = IMAGE_CHECKSUM_SEED;
    for (size_t i = 0; i < nsegs; i++) {
        uint32_t n = pad4(segs[i].len);
        ik_put32(buf + pos, segs[i].addr);
        ik_put32(buf + pos + 4, n);
        pos += IMAGE_SEGMENT_HEADER_LEN;
        if (segs[i].len)
            memcpy(buf + pos, segs[i].data, segs[i].len);
        for (uint32_t k = 0; k < n; k++)
            sum ^= buf[pos + k];
        pos += n;
    }
    buf[length - 1] = sum;
    *out = buf;
    *out_len = length;
    return 0;
}

/* Walk an image's headers: its length, or 0 with a message. */
static size_t image_length(const uint8_t *img, size_t len, const char *what, char *err,
                           size_t errlen)
{
    image_info_t info;
    image_status_t st = image_parse_buffer(img, len, IMAGE_PARSE_HEADERS, &info);
    if (st != IMAGE_OK) {
        ik_fail(err, errlen, "%s image: %s", what, image_status_str(st));
        return 0;
    }
    if (info.length != len) {
        ik_fail(err, errlen, "%s image: %zu bytes given, its headers say %u", what, len,
                info.length);
        return 0;
    }
    return info.length;
}

int imagekit_fix_checksum(uint8_t *image, size_t len, char *err, size_t errlen)
{
    image_info_t info;
    image_status_t st = image_parse_buffer(image, len, IMAGE_PARSE_HEADERS, &info);
    if (st != IMAGE_OK)
        return ik_fail(err, errlen, "image: %s", image_status_str(st));
    uint8_t sum = IMAGE_CHECKSUM_SEED;
    for (unsigned i = 0; i < info.segment_count; i++)
        for (uint32_t k = 0; k < info.segments[i].length; k++)
            sum ^= image[info.segments[i].data_offset + k];
    image[info.length - 1] = sum;
    return 0;
}

int imagekit_fill_crc(uint8_t *pair, size_t len, char *err, size_t errlen)
{
    if (len < IMAGE_CRC_VAL_OFFSET + 4u || len > UINT32_MAX)
        return ik_fail(err, errlen, "pair of %zu bytes has no room for the CRC words", len);
    memset(pair + IMAGE_CRC_LEN_OFFSET, 0, 8);
    /* elf2bin's order: the app checksum with the words zero, then the CRC over the file. */
    if (imagekit_fix_checksum(pair + IMAGE_APP_OFFSET, len - IMAGE_APP_OFFSET, err, errlen))
        return -1;
    uint32_t crc = crc32_mpeg2(CRC32_MPEG2_INIT, pair, len);
    ik_put32(pair + IMAGE_CRC_LEN_OFFSET, (uint32_t)len);
    ik_put32(pair + IMAGE_CRC_VAL_OFFSET, crc);
    return 0;
}

int imagekit_pack_pair(const uint8_t *boot, size_t boot_len, const uint8_t *app, size_t app_len,
                       uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    if (!image_length(boot, boot_len, "bootloader", err, errlen))
        return -1;
    if (boot_len > IMAGEKIT_BOOT_SECTOR)
        return ik_fail(err, errlen,
                       "bootloader image is %zu bytes: it must fit in its %u-byte sector", boot_len,
                       IMAGEKIT_BOOT_SECTOR);
    if (!image_length(app, app_len, "app", err, errlen))
        return -1;
    image_info_t info;
    image_parse_buffer(app, app_len, IMAGE_PARSE_HEADERS, &info);
    if (info.segments[0].load_addr != IMAGE_IROM_ADDR || info.segments[0].length < 8)
        return ik_fail(err, errlen,
                       "app image: first segment must be .irom0.text at 0x%08x with the CRC "
                       "words (found 0x%08x, %u bytes)",
                       IMAGE_IROM_ADDR, info.segments[0].load_addr, info.segments[0].length);
    size_t len = IMAGEKIT_BOOT_SECTOR + app_len;
    uint8_t *buf = malloc(len);
    if (!buf)
        return ik_fail(err, errlen, "out of memory");
    memcpy(buf, boot, boot_len);
    memset(buf + boot_len, IMAGEKIT_BOOT_PAD, IMAGEKIT_BOOT_SECTOR - boot_len);
    memcpy(buf + IMAGEKIT_BOOT_SECTOR, app, app_len);
    if (imagekit_fill_crc(buf, len, err, errlen)) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = len;
    return 0;
}
