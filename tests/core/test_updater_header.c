/* Updater conformance: the header checks and the flash-mode patch (spec §2.5).
 *   - writeStream's first-byte check (0xE9 / 0x1F for U_FLASH, anything for U_FS);
 *   - end()'s magic and flash-size checks, made on what is in flash, for every size code;
 *   - the flash-mode patch (#4876): byte 2 rewritten to the running mode on the first flush of
 *     a U_FLASH raw image only, never for gzip, never for FS images (#6880).
 * Expected values come from the spec's tables, written out here by hand. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "native_port.h"
#include "updater_util.h"

/* §3.5 size nibble -> bytes; 0 for codes the table does not list ("map to 0 and pass"). */
static uint32_t spec_size_of_code(unsigned code)
{
    switch (code) {
    case 0:
        return 512 * KIB;
    case 1:
        return 256 * KIB;
    case 2:
        return 1 * MIB;
    case 3:
        return 2 * MIB;
    case 4:
        return 4 * MIB;
    case 8:
        return 8 * MIB;
    case 9:
        return 16 * MIB;
    default:
        return 0;
    }
}

static tdev_t *new_dev(const char *layout)
{
    tdev_t *d = tdev_new(layout);
    updater_config_t c = tdev_config(d);
    tdev_init_updater(d, &c);
    return d;
}

/* A fresh updater with the same config (updater_init() clears the struct it copies into). */
static void reinit(tdev_t *d)
{
    updater_config_t c = d->up.cfg;
    tdev_init_updater(d, &c);
}

/* writeStream() of `len` bytes starting with `first`; returns the bytes read. */
static uint32_t stream_with_first_byte(tdev_t *d, int command, uint8_t first, size_t len)
{
    uint8_t *data = uu_pattern(len, first);
    data[0] = first;
    cr_assert(updater_begin(&d->up, (uint32_t)len, command), "%s", tdev_error_line(d));
    tstream_t ts;
    update_stream_t s = tstream_make(&ts, data, len);
    uint32_t n = updater_write_stream(&d->up, &s, 1000);
    free(data);
    return n;
}

Test(updater_header, write_stream_first_byte_u_flash)
{
    tdev_t *d = new_dev("4m2m");
    for (unsigned b = 0; b < 256; b++) {
        reinit(d);
        uint32_t n = stream_with_first_byte(d, U_FLASH, (uint8_t)b, 6000);
        if (b == 0xE9 || b == 0x1F) {
            cr_expect_eq(n, 6000u, "first byte %#x accepted", b);
            cr_expect_neq(updater_get_error(&d->up), UPDATE_ERROR_MAGIC_BYTE);
        } else {
            cr_expect_eq(n, 0u, "first byte %#x refused before reading", b);
            cr_expect_eq(updater_get_error(&d->up), UPDATE_ERROR_MAGIC_BYTE, "byte %#x", b);
            cr_expect_not(updater_is_running(&d->up));
        }
    }
    tdev_free(d);
}

Test(updater_header, write_stream_refusal_touches_no_flash)
{
    tdev_t *d = new_dev("4m2m");
    flashsim_stats_t before = flashsim_stats(d->fs);
    cr_assert_eq(stream_with_first_byte(d, U_FLASH, 0x00, 6000), 0u);
    flashsim_stats_t after = flashsim_stats(d->fs);
    cr_expect_eq(after.sector_erases, before.sector_erases, "no erase for a refused stream");
    cr_expect_eq(after.programs, before.programs, "no program for a refused stream");
    tdev_free(d);
}

Test(updater_header, write_stream_u_fs_accepts_any_first_byte)
{
    tdev_t *d = new_dev("4m2m");
    const uint8_t firsts[] = {0x00, 0x1F, 0x42, 0xE9, 0xFF};
    for (size_t i = 0; i < sizeof(firsts); i++) {
        reinit(d);
        cr_expect_eq(stream_with_first_byte(d, U_FS, firsts[i], 6000), 6000u, "byte %#x",
                     firsts[i]);
        cr_expect(updater_end(&d->up, false), "U_FS first byte %#x: %s", firsts[i],
                  tdev_error_line(d));
    }
    tdev_free(d);
}

Test(updater_header, end_checks_the_magic_in_flash)
{
    /* The image sent is fine; the staged copy's first byte is not: end() must look at flash. */
    tdev_t *d = new_dev("4m2m");
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 1, &len);
    cr_assert(updater_begin(&d->up, (uint32_t)len, U_FLASH));
    cr_assert_eq(updater_write(&d->up, img, (uint32_t)len), len);
    uint8_t bad = 0x69; /* 0xE9 with its top bit programmed to 0 */
    flashsim_poke(d->fs, updater_start_address(&d->up), &bad, 1);
    cr_expect_not(updater_end(&d->up, false));
    cr_expect_eq(updater_get_error(&d->up), UPDATE_ERROR_MAGIC_BYTE);
    uu_expect_no_cmd(d);
    free(img);
    tdev_free(d);
}

Test(updater_header, end_magic_via_write_every_first_byte)
{
    /* write() does not look at the first byte; end() accepts 0xE9 (raw) and 1F 8B (gzip,
     * checked separately in test_updater_gzip); anything else is MAGIC_BYTE. */
    tdev_t *d = new_dev("4m2m");
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 2, &len);
    for (unsigned b = 0; b < 256; b += 7) {
        if (b == 0x1F) {
            continue;
        }
        reinit(d);
        img[0] = (uint8_t)b;
        bool ok = uu_update(d, img, len, U_FLASH, 4096);
        cr_expect_eq(ok, b == 0xE9, "first byte %#x: %s", b, tdev_error_line(d));
        if (!ok) {
            cr_expect_eq(updater_get_error(&d->up), UPDATE_ERROR_MAGIC_BYTE, "byte %#x", b);
        }
    }
    img[0] = 0xE9;
    reinit(d);
    cr_expect(uu_update(d, img, len, U_FLASH, 4096), "%s", tdev_error_line(d));
    free(img);
    tdev_free(d);
}

Test(updater_header, fs_images_skip_the_magic_check)
{
    tdev_t *d = new_dev("4m2m");
    uint8_t *fsimg = uu_pattern(9000, 4);
    fsimg[0] = 0x00;
    cr_expect(uu_update(d, fsimg, 9000, U_FS, 1000), "live: %s", tdev_error_line(d));
    updater_config_t c = tdev_config(d);
    c.atomic_fs_update = true;
    tdev_init_updater(d, &c);
    cr_expect(uu_update(d, fsimg, 9000, U_FS, 1000), "atomic: %s", tdev_error_line(d));
    free(fsimg);
    tdev_free(d);
}

/* The new image's size code against the chip, for a layout (flash_map: not checked). */
static void check_size_codes(const char *layout)
{
    tdev_t *d = new_dev(layout);
    uint32_t real = d->layout.flash_size;
    for (unsigned code = 0; code < 16; code++) {
        size_t len;
        uint8_t *img = uu_small_pair(2, (uint8_t)(code << 4), code, &len);
        reinit(d);
        bool want = d->layout.flash_map || spec_size_of_code(code) <= real;
        bool ok = uu_update(d, img, len, U_FLASH, 4096);
        cr_expect_eq(ok, want, "%s: size code %u (%u bytes) on a %u-byte chip: %s", layout, code,
                     spec_size_of_code(code), real, tdev_error_line(d));
        if (!want) {
            char msg[80];
            snprintf(msg, sizeof(msg), "ERROR[9]: new Flash config wrong, real size: %u\n", real);
            cr_expect_str_eq(tdev_error_line(d), msg);
            uu_expect_no_cmd(d);
        } else if (ok) {
            uu_cmd_t c = uu_read_cmd(d);
            cr_expect(c.valid, "%s code %u: boot command", layout, code);
        }
        free(img);
    }
    tdev_free(d);
}

Test(updater_header, new_flash_size_every_code_4m)
{
    check_size_codes("4m2m");
}

Test(updater_header, new_flash_size_every_code_1m)
{
    check_size_codes("1m64");
}

Test(updater_header, new_flash_size_every_code_2m)
{
    check_size_codes("2m1m");
}

Test(updater_header, new_flash_size_not_checked_with_flash_map)
{
    check_size_codes("auto-1m");
}

Test(updater_header, running_flash_config_not_checked_with_flash_map)
{
    /* begin()'s FLASH_CONFIG check uses getFlashChipSize(), the real size under FLASH_MAP: a
     * 1 MB chip whose sketch header says 4 MB may update. The menu layout refuses (e8). */
    tb_pair_opts_t o;
    tb_pair_defaults(&o);
    o.size_freq = 0x40;
    o.irom_len = 100000;
    o.ram_len = 20000;
    tdev_t *d = tdev_new_with("auto-1m", &o);
    cr_assert(d->layout.flash_map);
    updater_config_t c = tdev_config(d);
    tdev_init_updater(d, &c);
    cr_expect(updater_begin(&d->up, 1000, U_FLASH), "%s", tdev_error_line(d));
    tdev_free(d);
    d = tdev_new_with("1m64", &o);
    c = tdev_config(d);
    tdev_init_updater(d, &c);
    cr_expect_not(updater_begin(&d->up, 1000, U_FLASH));
    cr_expect_eq(updater_get_error(&d->up), UPDATE_ERROR_FLASH_CONFIG);
    tdev_free(d);
}

/* ---- Flash-mode patch ---- */

/* Set the running flash mode: byte 2 of flash 0 (what getFlashChipMode() reads). */
static void set_running_mode(tdev_t *d, uint8_t mode)
{
    flashsim_poke(d->fs, 2, &mode, 1);
}

static uint8_t flash_byte(tdev_t *d, uint32_t addr)
{
    uint8_t b;
    flashsim_peek(d->fs, addr, &b, 1);
    return b;
}

/* Bytes of the stage that differ from `img` (up to 8 offsets in `at`). */
static unsigned stage_diff(tdev_t *d, uint32_t stage, const uint8_t *img, size_t len,
                           uint32_t at[8])
{
    uint8_t *back = malloc(len);
    flashsim_peek(d->fs, stage, back, (uint32_t)len);
    unsigned n = 0;
    for (size_t i = 0; i < len; i++) {
        if (back[i] != img[i]) {
            if (n < 8) {
                at[n] = (uint32_t)i;
            }
            n++;
        }
    }
    free(back);
    return n;
}

Test(updater_header, flash_mode_patch_every_pair_4876)
{
    /* Running mode x image mode (QIO, QOUT, DIO, DOUT): when they differ, only byte 2 of the
     * stage is rewritten, to the running mode; byte 3 and the app header at 0x1000 keep what
     * was sent. The patch lands with the first flush, before end(). */
    tdev_t *d = new_dev("4m2m");
    for (uint8_t running = 0; running < 4; running++) {
        for (uint8_t sent = 0; sent < 4; sent++) {
            set_running_mode(d, running);
            size_t len;
            uint8_t *img = uu_small_pair(sent, 0x40, 10u + sent, &len);
            reinit(d);
            cr_assert(updater_begin(&d->up, (uint32_t)len, U_FLASH));
            uint32_t stage = updater_start_address(&d->up);
            /* A full buffer is flushed by the write that overflows it (spec §2.4). */
            cr_assert_eq(updater_write(&d->up, img, 4097), 4097u);
            cr_assert_eq(updater_progress(&d->up), 4096u, "first sector flushed");
            cr_expect_eq(flash_byte(d, stage + 2), running,
                         "running %u sent %u: byte 2 after the first flush is %u", running, sent,
                         flash_byte(d, stage + 2));
            cr_assert_eq(updater_write(&d->up, img + 4097, (uint32_t)len - 4097), len - 4097);
            uint32_t at[8];
            unsigned n = stage_diff(d, stage, img, len, at);
            if (running == sent) {
                cr_expect_eq(n, 0u, "same mode %u: stage identical", sent);
            } else {
                cr_expect_eq(n, 1u, "running %u sent %u: %u bytes differ", running, sent, n);
                cr_expect_eq(at[0], 2u, "the differing byte is byte 2 (got %u)", at[0]);
            }
            cr_expect_eq(flash_byte(d, stage + 0x1002), sent, "app header mode untouched");
            cr_expect_eq(flash_byte(d, stage + 3), 0x40, "size/frequency untouched");
            cr_expect(updater_end(&d->up, false), "%s", tdev_error_line(d));
            free(img);
        }
    }
    tdev_free(d);
}

Test(updater_header, flash_mode_patch_with_the_small_buffer)
{
    /* With little heap the buffer is 256 bytes: the patch still applies to the first flush
     * only, and only to byte 2. */
    tdev_t *d = new_dev("4m2m");
    native_port_set_free_heap(6000);
    set_running_mode(d, 3);
    size_t len;
    uint8_t *img = uu_small_pair(0, 0x40, 3, &len);
    cr_assert(updater_begin(&d->up, (uint32_t)len, U_FLASH));
    uint32_t stage = updater_start_address(&d->up);
    cr_assert_eq(updater_write(&d->up, img, 300), 300u);
    cr_assert_eq(updater_progress(&d->up), 256u, "a 256-byte buffer");
    cr_expect_eq(flash_byte(d, stage + 2), 3);
    cr_assert_eq(updater_write(&d->up, img + 300, (uint32_t)len - 300), len - 300);
    uint32_t at[8];
    cr_expect_eq(stage_diff(d, stage, img, len, at), 1u);
    cr_expect_eq(at[0], 2u);
    cr_expect(updater_end(&d->up, false), "%s", tdev_error_line(d));
    free(img);
    tdev_free(d);
}

Test(updater_header, unknown_incoming_mode_is_patched)
{
    /* The incoming byte maps to FM_UNKNOWN (> 3), which differs from a known running mode. */
    tdev_t *d = new_dev("4m2m");
    set_running_mode(d, 2);
    size_t len;
    uint8_t *img = uu_small_pair(7, 0x40, 4, &len);
    cr_assert(updater_begin(&d->up, (uint32_t)len, U_FLASH));
    uint32_t stage = updater_start_address(&d->up);
    cr_assert_eq(updater_write(&d->up, img, (uint32_t)len), len);
    cr_expect_eq(flash_byte(d, stage + 2), 2);
    free(img);
    tdev_free(d);
}

Test(updater_header, unknown_running_mode_is_not_patched_in)
{
    /* otasim fix: the original would write FM_UNKNOWN (0xFF) into the new header. */
    tdev_t *d = new_dev("4m2m");
    set_running_mode(d, 9);
    size_t len;
    uint8_t *img = uu_small_pair(0, 0x40, 5, &len);
    cr_assert(updater_begin(&d->up, (uint32_t)len, U_FLASH));
    uint32_t stage = updater_start_address(&d->up);
    cr_assert_eq(updater_write(&d->up, img, (uint32_t)len), len);
    uint32_t at[8];
    cr_expect_eq(stage_diff(d, stage, img, len, at), 0u, "stage is what was sent");
    free(img);
    tdev_free(d);
}

Test(updater_header, gzip_is_never_patched)
{
    /* A gzip image's byte 2 is the compression method (8); patching it would break it. */
    tdev_t *d = new_dev("4m2m");
    set_running_mode(d, 3);
    size_t len, gz_len;
    uint8_t *img = uu_small_pair(0, 0x40, 6, &len);
    uint8_t *gz = tb_gzip(img, len, &gz_len);
    cr_assert_eq(gz[2], 8);
    cr_assert(updater_begin(&d->up, (uint32_t)gz_len, U_FLASH));
    uint32_t stage = updater_start_address(&d->up);
    cr_assert_eq(updater_write(&d->up, gz, (uint32_t)gz_len), gz_len);
    uint32_t at[8];
    cr_expect_eq(stage_diff(d, stage, gz, gz_len, at), 0u, "gzip staged verbatim");
    free(gz);
    free(img);
    tdev_free(d);
}

Test(updater_header, fs_images_are_never_patched_6880)
{
    /* An FS image whose first bytes look like an image header with another mode. */
    tdev_t *d = new_dev("4m2m");
    set_running_mode(d, 2);
    uint8_t *fsimg = uu_pattern(10000, 8);
    fsimg[0] = 0xE9;
    fsimg[1] = 0x05;
    fsimg[2] = 0x00;
    fsimg[3] = 0x40;
    for (int atomic = 0; atomic < 2; atomic++) {
        updater_config_t c = tdev_config(d);
        c.atomic_fs_update = atomic;
        tdev_init_updater(d, &c);
        cr_assert(updater_begin(&d->up, 10000, U_FS));
        uint32_t stage = updater_start_address(&d->up);
        cr_assert_eq(updater_write(&d->up, fsimg, 10000), 10000u);
        uint32_t at[8];
        cr_expect_eq(stage_diff(d, stage, fsimg, 10000, at), 0u, "atomic %d: FS verbatim", atomic);
        cr_expect(updater_end(&d->up, false), "%s", tdev_error_line(d));
        cr_expect_eq(flash_byte(d, stage + 2), 0x00, "atomic %d: still verbatim after end", atomic);
    }
    free(fsimg);
    tdev_free(d);
}
