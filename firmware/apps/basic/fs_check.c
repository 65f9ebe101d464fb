/* See fs_check.h. */
#include "fs_check.h"

#include <stdbool.h>
#include <string.h>

#include "crc32.h"
#include "reader.h"
#include "strbuf.h"

static const char fs_magic[] = "OTASIM-FS ";

/* Parses "<key><hex or decimal digits>" at *p; advances past it. */
static bool parse_field(const char **p, const char *end, const char *key, unsigned base,
                        uint32_t *out)
{
    size_t klen = strlen(key);
    if ((size_t)(end - *p) < klen || memcmp(*p, key, klen) != 0)
        return false;
    const char *s = *p + klen;
    uint32_t v = 0;
    unsigned digits = 0;
    for (; s < end; s++, digits++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else
            break;
        if (digits >= (base == 16 ? 8u : 9u))
            return false; /* would overflow: no real header is this long */
        v = v * base + d;
    }
    if (digits == 0)
        return false;
    *p = s;
    *out = v;
    return true;
}

fs_check_t fs_check(const flash_layout_t *layout, char *label, size_t label_cap)
{
    if (label && label_cap)
        label[0] = '\0';
    if (layout->fs_end <= layout->fs_start)
        return FS_CHECK_NONE;
    uint32_t area = layout->fs_end - layout->fs_start;
    char h[FS_CHECK_HEADER_LEN];
    if (area < sizeof(h) || flash_read_any(layout->fs_start, h, sizeof(h)) != HAL_OK)
        return area < sizeof(h) ? FS_CHECK_UNKNOWN : FS_CHECK_IO_ERROR;
    bool erased = true;
    for (size_t i = 0; i < 16; i++)
        erased = erased && (uint8_t)h[i] == 0xFF;
    if (erased)
        return FS_CHECK_EMPTY;
    const size_t mlen = sizeof(fs_magic) - 1;
    if (memcmp(h, fs_magic, mlen) != 0)
        return FS_CHECK_UNKNOWN;
    const char *p = h + mlen, *end = h + sizeof(h);
    const char *name_end = p;
    while (name_end < end && *name_end != ' ' && *name_end != '\n')
        name_end++;
    if (name_end == end || *name_end != ' ')
        return FS_CHECK_UNKNOWN;
    const char *q = name_end + 1;
    uint32_t len, crc;
    if (!parse_field(&q, end, "len=", 10, &len) || q == end || *q++ != ' ' ||
        !parse_field(&q, end, "crc=", 16, &crc) || q == end || *q != '\n')
        return FS_CHECK_UNKNOWN;
    if (label && label_cap) {
        strbuf_t sb;
        sb_init(&sb, label, label_cap);
        sb_putn(&sb, p, (size_t)(name_end - p));
    }
    if (len < sizeof(h) || len > area)
        return FS_CHECK_CORRUPT;
    uint8_t chunk[256];
    uint32_t c = 0;
    for (uint32_t off = sizeof(h); off < len; off += sizeof(chunk)) {
        uint32_t n = len - off < sizeof(chunk) ? len - off : (uint32_t)sizeof(chunk);
        if (flash_read_any(layout->fs_start + off, chunk, n) != HAL_OK)
            return FS_CHECK_IO_ERROR;
        c = crc32_gzip(c, chunk, n);
    }
    return c == crc ? FS_CHECK_OK : FS_CHECK_CORRUPT;
}

size_t fs_check_line(fs_check_t st, const char *label, char *buf, size_t cap)
{
    static const char *const what[] = {"ok", "none", "empty", "unknown", "corrupt", "read error"};
    strbuf_t sb;
    sb_init(&sb, buf, cap);
    sb_puts(&sb, "fs: ");
    if (label && label[0]) {
        sb_puts(&sb, label);
        sb_putc(&sb, ' ');
    }
    sb_puts(&sb, what[st]);
    sb_putc(&sb, '\n');
    return sb.len;
}
