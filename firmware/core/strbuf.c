#include "strbuf.h"

#include <string.h>

void sb_init(strbuf_t *sb, char *buf, size_t cap)
{
    sb->buf = buf;
    sb->cap = cap;
    sb->len = 0;
    if (cap > 0) {
        buf[0] = '\0';
    }
}

void sb_putn(strbuf_t *sb, const char *s, size_t n)
{
    if (sb->cap > 0 && sb->len < sb->cap - 1) {
        size_t room = sb->cap - 1 - sb->len;
        size_t k = n < room ? n : room;
        memcpy(sb->buf + sb->len, s, k);
        sb->buf[sb->len + k] = '\0';
    }
    sb->len += n;
}

void sb_puts(strbuf_t *sb, const char *s)
{
    sb_putn(sb, s, strlen(s));
}

void sb_putc(strbuf_t *sb, char c)
{
    sb_putn(sb, &c, 1);
}

void sb_put_u32(strbuf_t *sb, uint32_t v)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[sizeof(digits) - 1 - n] = (char)('0' + v % 10u);
        v /= 10u;
        n++;
    } while (v != 0);
    sb_putn(sb, digits + sizeof(digits) - n, n);
}

void sb_put_hex(strbuf_t *sb, const uint8_t *bytes, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char pair[2] = {hex[bytes[i] >> 4], hex[bytes[i] & 15u]};
        sb_putn(sb, pair, 2);
    }
}
