#include "image.h"

#include <string.h>

#include "byteorder.h"
#include "crc32.h"

#define CHUNK 64u /* bytes per read while checksumming: small enough for any stack */

const char *image_status_str(image_status_t st)
{
    switch (st) {
    case IMAGE_OK:
        return "ok";
    case IMAGE_ERR_READ:
        return "read error";
    case IMAGE_ERR_TRUNCATED:
        return "truncated";
    case IMAGE_ERR_MAGIC:
        return "magic byte is not 0xE9";
    case IMAGE_ERR_SEGMENTS:
        return "bad segment count";
    case IMAGE_ERR_CHECKSUM:
        return "checksum mismatch";
    case IMAGE_ERR_BOOT_SIZE:
        return "bootloader image larger than 4 KiB";
    case IMAGE_ERR_CRC:
        return "file CRC mismatch";
    }
    return "unknown";
}

/* Keep base + limit (+16 for the length rounding) inside 32 bits. */
static uint32_t clamp_limit(uint32_t base, uint32_t limit)
{
    uint32_t room = UINT32_MAX - 16u - base;
    if (base > UINT32_MAX - 16u) {
        return 0;
    }
    return limit < room ? limit : room;
}

static image_status_t checksum_segments(const reader_t *r, uint32_t base, image_info_t *out)
{
    uint8_t buf[CHUNK];
    uint8_t sum = IMAGE_CHECKSUM_SEED;
    for (unsigned i = 0; i < out->segment_count; i++) {
        uint32_t off = out->segments[i].data_offset;
        uint32_t left = out->segments[i].length;
        while (left > 0) {
            uint32_t n = left < CHUNK ? left : CHUNK;
            if (!reader_read(r, base + off, buf, n)) {
                return IMAGE_ERR_READ;
            }
            for (uint32_t k = 0; k < n; k++) {
                sum ^= buf[k];
            }
            off += n;
            left -= n;
        }
    }
    /* Padding (at most 15 bytes) and the stored checksum byte. */
    uint32_t tail = out->length - out->data_end;
    if (!reader_read(r, base + out->data_end, buf, tail)) {
        return IMAGE_ERR_READ;
    }
    out->padding_zero = true;
    for (uint32_t k = 0; k + 1 < tail; k++) {
        if (buf[k] != 0) {
            out->padding_zero = false;
        }
    }
    out->checksum = buf[tail - 1];
    out->checksum_calc = sum;
    out->checksum_checked = true;
    return out->checksum == sum ? IMAGE_OK : IMAGE_ERR_CHECKSUM;
}

image_status_t image_parse(const reader_t *r, uint32_t base, uint32_t limit, unsigned flags,
                           image_info_t *out)
{
    uint8_t hdr[IMAGE_HEADER_LEN];
    memset(out, 0, sizeof(*out));
    limit = clamp_limit(base, limit);
    if (limit < IMAGE_HEADER_LEN) {
        return IMAGE_ERR_TRUNCATED;
    }
    if (!reader_read(r, base, hdr, sizeof(hdr))) {
        return IMAGE_ERR_READ;
    }
    out->magic = hdr[0];
    out->segment_count = hdr[1];
    out->flash_mode = hdr[2];
    out->size_freq = hdr[3];
    out->entry = le32_load(hdr + 4);
    if (hdr[0] != IMAGE_MAGIC) {
        return IMAGE_ERR_MAGIC;
    }
    if (hdr[1] == 0 || hdr[1] > IMAGE_MAX_SEGMENTS) {
        return IMAGE_ERR_SEGMENTS;
    }
    uint32_t pos = IMAGE_HEADER_LEN;
    for (unsigned i = 0; i < out->segment_count; i++) {
        uint8_t seg[IMAGE_SEGMENT_HEADER_LEN];
        if (limit - pos < IMAGE_SEGMENT_HEADER_LEN) {
            return IMAGE_ERR_TRUNCATED;
        }
        if (!reader_read(r, base + pos, seg, sizeof(seg))) {
            return IMAGE_ERR_READ;
        }
        pos += IMAGE_SEGMENT_HEADER_LEN;
        uint32_t len = le32_load(seg + 4);
        out->segments[i].load_addr = le32_load(seg);
        out->segments[i].length = len;
        out->segments[i].data_offset = pos;
        if (len > limit - pos) {
            return IMAGE_ERR_TRUNCATED;
        }
        pos += len;
    }
    out->data_end = pos;
    out->length = (pos & ~15u) + 16u; /* == (pos + 16) & ~15; no overflow thanks to clamp */
    if (out->length > limit) {
        return IMAGE_ERR_TRUNCATED;
    }
    if (flags & IMAGE_PARSE_CHECKSUM) {
        return checksum_segments(r, base, out);
    }
    return IMAGE_OK;
}

image_status_t image_parse_buffer(const uint8_t *buf, size_t len, unsigned flags, image_info_t *out)
{
    mem_reader_t m = {buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len};
    reader_t r = mem_reader(&m);
    return image_parse(&r, 0, m.len, flags, out);
}

bool image_file_crc(const reader_t *r, uint32_t base, uint32_t len, uint32_t *crc)
{
    uint8_t buf[CHUNK];
    uint32_t c = CRC32_MPEG2_INIT;
    uint32_t off = 0;
    while (off < len) {
        uint32_t n = len - off < CHUNK ? len - off : CHUNK;
        if (!reader_read(r, base + off, buf, n)) {
            return false;
        }
        /* The two CRC words count as zero wherever they fall in this chunk. */
        for (uint32_t k = 0; k < n; k++) {
            uint32_t at = off + k;
            if (at >= IMAGE_CRC_LEN_OFFSET && at < IMAGE_CRC_VAL_OFFSET + 4u) {
                buf[k] = 0;
            }
        }
        c = crc32_mpeg2(c, buf, n);
        off += n;
    }
    *crc = c;
    return true;
}

static bool nul_terminated(const char *s, size_t cap)
{
    for (size_t i = 0; i < cap; i++) {
        if (s[i] == '\0') {
            return true;
        }
    }
    return false;
}

bool app_desc_decode(const uint8_t raw[sizeof(app_desc_t)], app_desc_t *out)
{
    out->magic = le32_load(raw);
    out->version = le32_load(raw + 4);
    memcpy(out->name, raw + 8, APP_DESC_NAME_LEN);
    memcpy(out->build_id, raw + 8 + APP_DESC_NAME_LEN, APP_DESC_BUILD_ID_LEN);
    return out->magic == APP_DESC_MAGIC && nul_terminated(out->name, APP_DESC_NAME_LEN) &&
           nul_terminated(out->build_id, APP_DESC_BUILD_ID_LEN);
}

void app_desc_encode(const app_desc_t *desc, uint8_t raw[sizeof(app_desc_t)])
{
    le32_store(raw, desc->magic);
    le32_store(raw + 4, desc->version);
    memcpy(raw + 8, desc->name, APP_DESC_NAME_LEN);
    memcpy(raw + 8 + APP_DESC_NAME_LEN, desc->build_id, APP_DESC_BUILD_ID_LEN);
}

bool image_find_boot_desc(const reader_t *r, uint32_t base, uint32_t limit, app_desc_t *out)
{
    if (limit > IMAGE_APP_OFFSET) {
        limit = IMAGE_APP_OFFSET;
    }
    uint8_t raw[sizeof(app_desc_t)];
    for (uint32_t off = 0; off + sizeof raw <= limit; off += 4) {
        uint8_t magic[4];
        if (!reader_read(r, base + off, magic, sizeof magic)) {
            return false;
        }
        if (le32_load(magic) != APP_DESC_MAGIC) {
            continue; /* cheap pre-check: one 4-byte read per candidate */
        }
        if (reader_read(r, base + off, raw, sizeof raw) && app_desc_decode(raw, out)) {
            return true;
        }
    }
    return false;
}

image_status_t image_parse_pair(const reader_t *r, uint32_t base, uint32_t limit, unsigned flags,
                                image_pair_info_t *out)
{
    memset(out, 0, sizeof(*out));
    limit = clamp_limit(base, limit);
    uint32_t boot_limit = limit < IMAGE_APP_OFFSET ? limit : IMAGE_APP_OFFSET;
    image_status_t st = image_parse(r, base, boot_limit, flags, &out->boot);
    if (st == IMAGE_ERR_TRUNCATED && limit > IMAGE_APP_OFFSET) {
        return IMAGE_ERR_BOOT_SIZE; /* it would run into the app at 0x1000 */
    }
    if (st != IMAGE_OK) {
        return st;
    }
    if (limit < IMAGE_APP_OFFSET) {
        return IMAGE_ERR_TRUNCATED;
    }
    st = image_parse(r, base + IMAGE_APP_OFFSET, limit - IMAGE_APP_OFFSET, flags, &out->app);
    if (st != IMAGE_OK && st != IMAGE_ERR_CHECKSUM) {
        return st;
    }
    image_status_t app_checksum = st;
    out->length = IMAGE_APP_OFFSET + out->app.length;

    const image_segment_t *irom = &out->app.segments[0];
    if (irom->load_addr == IMAGE_IROM_ADDR && irom->length >= 8u) {
        uint8_t words[8];
        if (!reader_read(r, base + IMAGE_CRC_LEN_OFFSET, words, sizeof(words))) {
            return IMAGE_ERR_READ;
        }
        out->crc_len = le32_load(words);
        out->crc_val = le32_load(words + 4);
        out->has_crc = out->crc_len != 0 && out->crc_len != UINT32_MAX;
        if (app_checksum == IMAGE_ERR_CHECKSUM && out->has_crc) {
            /* elf2bin computes the checksum while the CRC words are still zero and stores
             * them afterwards without fixing it: accept that checksum too. */
            uint8_t x = 0;
            for (unsigned i = 0; i < sizeof(words); i++) {
                x ^= words[i];
            }
            if ((uint8_t)(out->app.checksum_calc ^ x) == out->app.checksum) {
                out->app_checksum_without_crc = true;
                app_checksum = IMAGE_OK;
            }
        }
    }
    if (app_checksum != IMAGE_OK) {
        return app_checksum;
    }
    if (irom->length >= 8u + sizeof(app_desc_t)) {
        uint8_t raw[sizeof(app_desc_t)];
        if (!reader_read(r, base + IMAGE_APP_DESC_PAIR_OFFSET, raw, sizeof(raw))) {
            return IMAGE_ERR_READ;
        }
        out->has_desc = app_desc_decode(raw, &out->desc);
    }
    if (out->has_crc && (flags & IMAGE_PARSE_CHECKSUM)) {
        if (out->crc_len > limit) {
            return IMAGE_ERR_CRC; /* claims more bytes than there are */
        }
        if (!image_file_crc(r, base, out->crc_len, &out->crc_calc)) {
            return IMAGE_ERR_READ;
        }
        out->crc_checked = true;
        if (out->crc_calc != out->crc_val) {
            return IMAGE_ERR_CRC;
        }
    }
    return IMAGE_OK;
}

image_status_t image_parse_pair_buffer(const uint8_t *buf, size_t len, unsigned flags,
                                       image_pair_info_t *out)
{
    mem_reader_t m = {buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len};
    reader_t r = mem_reader(&m);
    return image_parse_pair(&r, 0, m.len, flags, out);
}

bool image_sketch_size(const reader_t *r, uint32_t base, uint32_t limit, uint32_t *size)
{
    uint8_t hdr[IMAGE_HEADER_LEN];
    limit = clamp_limit(base, limit);
    if (limit < IMAGE_APP_OFFSET + IMAGE_HEADER_LEN ||
        !reader_read(r, base + IMAGE_APP_OFFSET, hdr, sizeof(hdr))) {
        return false;
    }
    /* Like getSketchSize(): neither the magic nor the segment count is checked. */
    uint32_t pos = IMAGE_APP_OFFSET + IMAGE_HEADER_LEN;
    for (unsigned i = 0; i < hdr[1]; i++) {
        uint8_t seg[IMAGE_SEGMENT_HEADER_LEN];
        if (limit - pos < IMAGE_SEGMENT_HEADER_LEN ||
            !reader_read(r, base + pos, seg, sizeof(seg))) {
            return false;
        }
        pos += IMAGE_SEGMENT_HEADER_LEN;
        uint32_t len = le32_load(seg + 4);
        if (len > limit - pos) {
            return false;
        }
        pos += len;
    }
    *size = (pos + 16u) & ~15u;
    return true;
}

uint32_t image_flash_size_from_code(uint8_t code)
{
    switch (code & 0x0Fu) {
    case 0x0:
        return 512u * 1024u;
    case 0x1:
        return 256u * 1024u;
    case 0x2:
        return 1024u * 1024u;
    case 0x3:
        return 2u * 1024u * 1024u;
    case 0x4:
        return 4u * 1024u * 1024u;
    case 0x8:
        return 8u * 1024u * 1024u;
    case 0x9:
        return 16u * 1024u * 1024u;
    default:
        return 0;
    }
}

int image_flash_size_code(uint32_t bytes)
{
    for (uint8_t code = 0; code < 16; code++) {
        if (bytes != 0 && image_flash_size_from_code(code) == bytes) {
            return code;
        }
    }
    return -1;
}

uint32_t image_flash_freq_from_code(uint8_t code)
{
    switch (code & 0x0Fu) {
    case 0x0:
        return 40000000u;
    case 0x1:
        return 26000000u;
    case 0x2:
        return 20000000u;
    case 0xF:
        return 80000000u;
    default:
        return 0;
    }
}

uint8_t image_flash_mode_from_byte(uint8_t byte)
{
    return byte > IMAGE_FLASH_MODE_DOUT ? IMAGE_FLASH_MODE_UNKNOWN : byte;
}

bool image_segment_loaded_by_eboot(uint32_t load_addr)
{
    return load_addr < 0x40000000u || (load_addr >= 0x40100000u && load_addr < 0x4010C000u) ||
           load_addr >= 0x60000000u;
}
