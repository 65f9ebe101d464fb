/* boot_main() and what both modes share: console output, the app loader, flash input for the
 * inflater, the gzip header and sector writes. */
#include "boot.h"

#include "boot_internal.h"
#include "boot_port.h"
#include "byteorder.h"
#include "image.h"
#include "reader.h"

_Alignas(4) uint8_t boot_buf[BOOT_SECTOR];
_Alignas(4) uint8_t boot_buf2[BOOT_SECTOR];
inflate_state_t boot_inflate;

int boot_main(boot_mode_t mode)
{
    return mode == BOOT_MODE_SAFE ? boot_safe() : boot_eboot();
}

void boot_putc(char c)
{
    hal_console_write(&c, 1);
}

void boot_puts(const char *s)
{
    const char *e = s;
    while (*e)
        e++;
    hal_console_write(s, (size_t)(e - s));
}

void boot_put_hex8(uint32_t v)
{
    char out[8];
    for (int i = 7; i >= 0; i--) {
        out[i] = "0123456789abcdef"[v & 15u];
        v >>= 4;
    }
    hal_console_write(out, sizeof(out));
}

/* Decimal without a division (lx106's libgcc lacks it and the bootloader has no room for one). */
void boot_put_dec(uint32_t v)
{
    static const uint32_t pow10[] = {1000000000u, 100000000u, 10000000u, 1000000u, 100000u,
                                     10000u,      1000u,      100u,      10u,      1u};
    bool started = false;
    for (unsigned i = 0; i < sizeof(pow10) / sizeof(pow10[0]); i++) {
        char d = '0';
        while (v >= pow10[i]) {
            v -= pow10[i];
            d++;
        }
        if (d != '0' || started || i == 9u) {
            boot_putc(d);
            started = true;
        }
    }
}

void boot_print_version(void)
{
    uint32_t word = 0;
    hal_flash_read(IMAGE_CRC_LEN_OFFSET, &word, 4); /* as eboot: a failed read prints 0 */
    boot_putc('v');
    boot_put_hex8(word);
    boot_putc('\n');
}

int boot_load_app(uint32_t pair_base)
{
    uint8_t hdr[IMAGE_HEADER_LEN];
    uint32_t pos = pair_base + IMAGE_APP_OFFSET;
    if (hal_flash_read(pos, hdr, sizeof(hdr)) != HAL_OK)
        return 1;
    pos += IMAGE_HEADER_LEN;
    /* Like eboot: no magic and no checksum check; the segment count is taken as it is. */
    for (uint32_t i = 0; i < hdr[1]; i++) {
        uint32_t seg[2];
        if (hal_flash_read(pos, seg, sizeof(seg)) != HAL_OK)
            return 2;
        pos += IMAGE_SEGMENT_HEADER_LEN;
        uint32_t addr = le32_load((const uint8_t *)&seg[0]);
        uint32_t len = le32_load((const uint8_t *)&seg[1]);
        if (image_segment_loaded_by_eboot(addr) && boot_port_load_segment(addr, pos, len) != HAL_OK)
            return 3;
        pos += len;
    }
    return boot_port_start_app(pair_base + IMAGE_APP_OFFSET, le32_load(hdr + 4));
}

int32_t boot_flash_src_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    boot_flash_src_t *s = ctx;
    uint32_t n = s->end - s->pos;
    if (n > cap)
        n = cap;
    if (n > 0 && flash_read_any(s->pos, buf, n) != HAL_OK)
        return -1;
    s->pos += n;
    return (int32_t)n;
}

static bool src_byte(boot_flash_src_t *s, uint8_t *b)
{
    return boot_flash_src_read(s, b, 1) == 1;
}

bool boot_gzip_skip_header(boot_flash_src_t *s)
{
    uint8_t h[10];
    if (boot_flash_src_read(s, h, sizeof(h)) != (int32_t)sizeof(h) || h[0] != IMAGE_GZIP_MAGIC0 ||
        h[1] != IMAGE_GZIP_MAGIC1 || h[2] != 8u || (h[3] & 0xE0u) != 0)
        return false;
    uint8_t flg = h[3], b = 0;
    if (flg & 4u) { /* FEXTRA: 2-byte length, then that many bytes */
        uint8_t l[2];
        if (boot_flash_src_read(s, l, 2) != 2)
            return false;
        s->pos += (uint32_t)l[0] | (uint32_t)l[1] << 8;
    }
    for (uint8_t f = 8u; f <= 16u; f <<= 1) /* FNAME, FCOMMENT: NUL-terminated */
        if (flg & f) {
            do {
                if (!src_byte(s, &b))
                    return false;
            } while (b != 0);
        }
    if (flg & 2u) /* FHCRC */
        s->pos += 2;
    return s->pos <= s->end;
}

inflate_status_t boot_inflate_fill(uint8_t *out, uint32_t want, uint32_t *got)
{
    uint32_t total = 0;
    inflate_status_t st = INFLATE_OK;
    while (total < want && st == INFLATE_OK) {
        uint32_t n = 0;
        st = inflate_read(&boot_inflate, out + total, want - total, &n);
        total += n;
    }
    *got = total;
    return st;
}

int boot_write_sector(uint32_t addr, const uint8_t *buf)
{
    if (!BOOT_IS_MUTANT(SKIP_ERASE) && hal_flash_erase_sector(addr / BOOT_SECTOR) != HAL_OK)
        return BOOT_CP_ERASE;
    if (hal_flash_write(addr, buf, BOOT_SECTOR) != HAL_OK)
        return BOOT_CP_WRITE;
    return BOOT_CP_OK;
}
