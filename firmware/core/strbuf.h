/* A bounded string builder for freestanding code (no snprintf): appends are truncated to the
 * buffer, which is always NUL-terminated when its capacity is non-zero, while `len` keeps
 * counting, so a caller can tell how much room the whole text needed (like snprintf). */
#ifndef OTASIM_STRBUF_H
#define OTASIM_STRBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct strbuf {
    char *buf;
    size_t cap;
    size_t len; /* length of the full text, even when it did not fit */
} strbuf_t;

void sb_init(strbuf_t *sb, char *buf, size_t cap);
void sb_putn(strbuf_t *sb, const char *s, size_t n);
void sb_puts(strbuf_t *sb, const char *s);
void sb_putc(strbuf_t *sb, char c);
void sb_put_u32(strbuf_t *sb, uint32_t v); /* decimal */
/* Lowercase hex of `n` bytes, e.g. an MD5 digest. */
void sb_put_hex(strbuf_t *sb, const uint8_t *bytes, size_t n);

#endif
