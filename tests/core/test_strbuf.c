#include <criterion/criterion.h>
#include <string.h>

#include "strbuf.h"

Test(strbuf, formats_and_truncates_like_snprintf)
{
    char buf[8];
    strbuf_t sb;
    sb_init(&sb, buf, sizeof(buf));
    sb_puts(&sb, "ERROR[");
    sb_put_u32(&sb, 4294967295u);
    cr_expect_str_eq(buf, "ERROR[4");
    cr_expect_eq(sb.len, 16u);

    char big[64];
    sb_init(&sb, big, sizeof(big));
    sb_put_u32(&sb, 0);
    sb_putc(&sb, ' ');
    sb_put_u32(&sb, 4194304);
    sb_putc(&sb, ' ');
    const uint8_t bytes[3] = {0x00, 0xAB, 0xF0};
    sb_put_hex(&sb, bytes, 3);
    cr_expect_str_eq(big, "0 4194304 00abf0");
    cr_expect_eq(sb.len, strlen(big));

    sb_init(&sb, NULL, 0);
    sb_puts(&sb, "abc");
    cr_expect_eq(sb.len, 3u);
    char one[1];
    sb_init(&sb, one, 1);
    sb_puts(&sb, "abc");
    cr_expect_eq(one[0], '\0');
}
