/* The eboot-compatible mode: the Arduino core's eboot, step by step (spec §3.2-§3.7), with its
 * weaknesses kept on purpose, because this mode is the "before" picture:
 *   - the only record of a pending update is the RTC command (lost with power);
 *   - the copy is not resumable (a restart re-reads source sectors it may have overwritten);
 *   - no check of the staged image, of the gzip CRC-32/ISIZE, or of the copy;
 *   - the command is cleared after the copy even when the copy failed;
 *   - after an ATOMIC_FS_UPDATE copy it tries to boot an "app" from the FS address. */
#include <string.h>

#include "boot_internal.h"

/* copy_raw's destination and the bytes it still writes (eboot's `left`). */
static uint32_t cp_dst;
static int32_t cp_left;

#define CP_ENOUGH (-1) /* every sector `left` covers is written: stop the inflater */

/* The next destination sector from boot_buf (bytes past `left` as 0xFF, as eboot's buffer
 * after a short inflate), with the bootloader-sector rule. */
static int write_next(uint32_t k)
{
    (void)k;
    if (cp_left <= 0)
        return CP_ENOUGH;
    if ((uint32_t)cp_left < BOOT_SECTOR)
        memset(boot_buf + cp_left, 0xFF, BOOT_SECTOR - (uint32_t)cp_left);
    cp_left -= (int32_t)BOOT_SECTOR;
    uint32_t dst = cp_dst;
    cp_dst += BOOT_SECTOR;
    if (dst == 0) { /* the bootloader sector: rewritten only if it changes */
        if (hal_flash_read(0, boot_buf2, BOOT_SECTOR) != HAL_OK)
            return BOOT_CP_WRITE;
        if (memcmp(boot_buf2, boot_buf, BOOT_SECTOR) == 0) {
            boot_putc('B');
            return 0;
        }
    }
    return boot_write_sector(dst, boot_buf);
}

/* eboot.c: copy_raw(src, dst, size) without the (compiled-out) verify pass. */
static int copy_raw(uint32_t src, uint32_t dst, uint32_t size)
{
    if ((src & (BOOT_SECTOR - 1u)) != 0 || (dst & (BOOT_SECTOR - 1u)) != 0)
        return BOOT_CP_ALIGN;
    uint32_t magic = 0;
    int r = 0;
    cp_dst = dst;
    cp_left = (int32_t)((size + BOOT_SECTOR - 1u) & ~(BOOT_SECTOR - 1u));
    hal_flash_read(src, &magic, 4);
    bool gzip = (magic & 0xFFFFu) == 0x8B1Fu; /* 1F 8B */
    if (gzip) {
        cp_left = (int32_t)boot_flash_le32(src + size - 4u); /* ISIZE; the trailer is not checked */
        /* The inflater reads on without a bound, as uzlib's flash callback does. A bad header
         * is error 5 (uzlib_gzip_parse_header()), found before anything is written; a bad
         * CRC-32/ISIZE is not an error (uzlib_uncompress does not check them). */
        inflate_status_t st = boot_inflate_sectors(src, hal_flash_real_size(), write_next);
        if (st == INFLATE_ERR_HEADER)
            return BOOT_CP_GZIP_HEADER;
        if (st == INFLATE_ERR_WRITE && boot_gz.err != CP_ENOUGH)
            return boot_gz.err;
        if (st != INFLATE_DONE && st != INFLATE_ERR_CHECKSUM && st != INFLATE_ERR_WRITE)
            return BOOT_CP_INFLATE;
        /* A stream shorter than ISIZE: the rest goes out as erased sectors, as in eboot. */
        memset(boot_buf, 0xFF, BOOT_SECTOR);
    }
    for (; r == 0 && cp_left > 0; src += BOOT_SECTOR) {
        if (!gzip && hal_flash_read(src, boot_buf, BOOT_SECTOR) != HAL_OK)
            return BOOT_CP_READ;
        r = write_next(0);
    }
    return r;
}

int boot_eboot(void)
{
    boot_print_version();
    boot_cmd_t cmd;
    bool valid = false;
    if (boot_cmd_read(&cmd, &valid) != HAL_OK)
        valid = false;
    if (valid) {
        boot_putc('@');
    } else {
        boot_putc('~');
        cmd.action = BOOT_CMD_LOAD_APP;
        cmd.args[0] = 0;
    }
    int res = BOOT_CP_VERIFY; /* eboot starts at 9: an unknown action ends in a reset */
    if (cmd.action == BOOT_CMD_COPY_RAW) {
        if (BOOT_IS_MUTANT(CLEAR_FIRST))
            boot_cmd_clear();
        boot_puts("cp:");
        res = copy_raw(cmd.args[0], cmd.args[1], cmd.args[2]);
        boot_put_dec((uint32_t)res);
        boot_putc('\n');
        if (res == 0) {
            cmd.action = BOOT_CMD_LOAD_APP;
            cmd.args[0] = cmd.args[1]; /* for an FS copy: the FS address (spec §3.7) */
        }
    }
    if (valid)
        boot_cmd_clear(); /* after the copy, whether it worked or not (PR #6823) */
    if (cmd.action == BOOT_CMD_LOAD_APP) {
        boot_puts("ld\n");
        res = boot_load_app(cmd.args[0]);
        boot_puts("e:");
        boot_put_dec((uint32_t)res);
        boot_putc('\n');
    }
    return res;
}
