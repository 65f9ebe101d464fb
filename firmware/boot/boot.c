/* boot_main() and what both modes share: console output, the app loader, the inflater run
 * from flash sector by sector, and sector writes. */
#include "boot.h"

#include <string.h>

#include "boot_internal.h"
#include "boot_port.h"
#include "byteorder.h"
#include "image.h"

_Alignas(4) uint8_t boot_buf[BOOT_SECTOR];
_Alignas(4) uint8_t boot_buf2[BOOT_SECTOR];
inflate_state_t boot_inflate;

int boot_main(boot_mode_t mode)
{
#if BOOT_HAVE_SAFE_RAW
    if (mode == BOOT_MODE_SAFE_RAW)
        return boot_safe_raw();
#endif
    return mode == BOOT_MODE_EBOOT ? boot_eboot() : boot_safe();
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

/* Decimal by repeated subtraction: lx106's libgcc lacks division and the bootloader has no
 * room for it (the values printed are small). */
void boot_put_dec(uint32_t v)
{
    char out[10];
    unsigned i = sizeof(out);
    do {
        uint32_t q = 0;
        while (v >= 10u) {
            v -= 10u;
            q++;
        }
        out[--i] = (char)('0' + v);
        v = q;
    } while (v != 0);
    hal_console_write(out + i, sizeof(out) - i);
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
    uint32_t hdr[IMAGE_HEADER_LEN / 4]; /* word buffers: the HAL may need them aligned */
    uint32_t pos = pair_base + IMAGE_APP_OFFSET;
    if (hal_flash_read(pos, hdr, sizeof(hdr)) != HAL_OK)
        return 1;
    pos += IMAGE_HEADER_LEN;
    /* Like eboot: no magic and no checksum check; the segment count is taken as it is. */
    const uint8_t *h = (const uint8_t *)hdr;
    for (uint32_t i = 0; i < h[1]; i++) {
        uint32_t seg[2];
        if (hal_flash_read(pos, seg, sizeof(seg)) != HAL_OK)
            return 2;
        pos += IMAGE_SEGMENT_HEADER_LEN;
        uint32_t addr = seg[0], len = seg[1]; /* little-endian words (boot_internal.h) */
        if (image_segment_loaded_by_eboot(addr) && boot_port_load_segment(addr, pos, len) != HAL_OK)
            return 3;
        pos += len;
    }
    return boot_port_start_app(pair_base + IMAGE_APP_OFFSET, hdr[1]);
}

boot_gunzip_t boot_gz;

/* Input for the inflater: the flash from boot_gz.pos up to boot_gz.end. */
static int32_t gz_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    boot_gunzip_t *g = ctx;
    uint32_t n = g->end - g->pos;
    if (n > cap)
        n = cap;
    /* The inflater asks for whole 256-byte blocks into a word-aligned buffer from an aligned
     * start, so every read is aligned; the last one is rounded up to a word (a few bytes past
     * the end are read and ignored). */
    if (n > 0 && hal_flash_read(g->pos, buf, (n + 3u) & ~3u) != HAL_OK)
        return -1;
    g->pos += n;
    return (int32_t)n;
}

/* Output of the inflater: each chunk (a sector's worth) to boot_buf, padded, then to fn. */
static int gz_write(void *ctx, const uint8_t *data, uint32_t len)
{
    boot_gunzip_t *g = ctx;
    memcpy(boot_buf, data, len);
    memset(boot_buf + len, 0xFF, BOOT_SECTOR - len);
    return g->err = g->fn(g->k++);
}

inflate_status_t boot_inflate_sectors(uint32_t src, uint32_t end, boot_sector_fn fn)
{
    boot_gz.pos = src;
    boot_gz.end = end;
    boot_gz.fn = fn;
    boot_gz.k = 0;
    boot_gz.err = 0;
    return inflate_run(&boot_inflate, INFLATE_FORMAT_GZIP, gz_read, gz_write, &boot_gz);
}

uint32_t boot_flash_le32(uint32_t addr)
{
    uint32_t w[2] = {0, 0};
    hal_flash_read(addr & ~3u, w, 8);
    return le32_load((const uint8_t *)w + (addr & 3u));
}

int boot_write_sector(uint32_t addr, const uint8_t *buf)
{
    if (!BOOT_IS_MUTANT(SKIP_ERASE) && hal_flash_erase_sector(addr / BOOT_SECTOR) != HAL_OK)
        return BOOT_CP_ERASE;
    if (hal_flash_write(addr, buf, BOOT_SECTOR) != HAL_OK)
        return BOOT_CP_WRITE;
    return BOOT_CP_OK;
}
