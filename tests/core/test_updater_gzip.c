/* Updater conformance: gzip images (spec §2.5, §3.4; otasim fix: the stream is inflated once
 * in end(), before the boot command exists). The gzip member's own CRC-32 and ISIZE must
 * match: corrupting either (each byte, and a single bit of each) is rejected with error 17 and
 * leaves RTC memory exactly as it was, no boot command. Also: truncated and trailing data, no
 * work area, the inflated header's magic and flash size, and output that would not fit.
 * gzip streams come from zlib (testlib's tb_gzip). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "inflate.h"
#include "updater_util.h"

static tdev_t *dev;
static inflate_state_t work;
static uint8_t *img, *gz;
static size_t img_len, gz_len;

static void configure(bool atomic, bool with_work)
{
    updater_config_t c = tdev_config(dev);
    c.atomic_fs_update = atomic;
    c.inflate_work = with_work ? &work : NULL;
    tdev_init_updater(dev, &c);
}

static void setup(void)
{
    dev = tdev_new("4m2m");
    configure(false, true);
    img = uu_small_pair(2, 0x40, 41, &img_len);
    gz = tb_gzip(img, img_len, &gz_len);
}

static void teardown(void)
{
    free(gz);
    free(img);
    tdev_free(dev);
}

TestSuite(updater_gzip, .init = setup, .fini = teardown);

/* An update that must fail with `error`/`detail` and leave the 128 RTC bytes untouched. */
static void expect_rejected(const uint8_t *data, size_t len, int command, update_error_t error,
                            updater_detail_t detail, const char *what)
{
    uint8_t before[BOOT_CMD_SIZE], after[BOOT_CMD_SIZE];
    flashsim_rtc_read(dev->fs, FLASHSIM_RTC_USER_OFFSET, before, sizeof(before));
    cr_expect_not(uu_update(dev, data, len, command, 4096), "%s accepted", what);
    cr_expect_eq(updater_get_error(&dev->up), error, "%s: %s", what, tdev_error_line(dev));
    cr_expect_eq(dev->up.detail, detail, "%s: detail %d", what, (int)dev->up.detail);
    uu_expect_no_cmd(dev);
    flashsim_rtc_read(dev->fs, FLASHSIM_RTC_USER_OFFSET, after, sizeof(after));
    cr_expect_arr_eq(after, before, sizeof(before), "%s: RTC memory unchanged", what);
}

Test(updater_gzip, valid_gzip_accepted)
{
    cr_assert_eq(gz[0], 0x1F);
    cr_assert_eq(gz[1], 0x8B);
    cr_expect(uu_update(dev, gz, gz_len, U_FLASH, 4096), "%s", tdev_error_line(dev));
    uu_expect_copy_cmd(dev, dev->layout.fs_start - uu_round4k((uint32_t)gz_len), 0,
                       (uint32_t)gz_len);
}

Test(updater_gzip, each_crc32_byte_and_bit_checked)
{
    for (unsigned i = 0; i < 4; i++) {
        for (int single_bit = 0; single_bit < 2; single_bit++) {
            uint8_t *c = malloc(gz_len);
            memcpy(c, gz, gz_len);
            c[gz_len - 8 + i] ^= single_bit ? 0x80 : 0xFF;
            char what[48];
            snprintf(what, sizeof(what), "CRC-32 byte %u (%s)", i, single_bit ? "bit" : "byte");
            configure(false, true);
            expect_rejected(c, gz_len, U_FLASH, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CHECKSUM,
                            what);
            free(c);
        }
    }
}

Test(updater_gzip, each_isize_byte_and_bit_checked)
{
    for (unsigned i = 0; i < 4; i++) {
        for (int single_bit = 0; single_bit < 2; single_bit++) {
            uint8_t *c = malloc(gz_len);
            memcpy(c, gz, gz_len);
            c[gz_len - 4 + i] ^= single_bit ? 0x01 : 0xFF;
            char what[48];
            snprintf(what, sizeof(what), "ISIZE byte %u (%s)", i, single_bit ? "bit" : "byte");
            configure(false, true);
            expect_rejected(c, gz_len, U_FLASH, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CHECKSUM,
                            what);
            free(c);
        }
    }
}

Test(updater_gzip, crc_checked_on_the_atomic_fs_path_too)
{
    uint8_t *fsimg = uu_pattern(30000, 5);
    memset(fsimg + 10000, 0, 20000);
    size_t fz_len;
    uint8_t *fz = tb_gzip(fsimg, 30000, &fz_len);
    configure(true, true);
    cr_expect(uu_update(dev, fz, fz_len, U_FS, 4096), "%s", tdev_error_line(dev));
    uu_expect_copy_cmd(dev, dev->layout.fs_start - uu_round4k((uint32_t)fz_len),
                       dev->layout.fs_start, (uint32_t)fz_len);
    boot_cmd_clear();
    fz[fz_len - 6] ^= 0x10;
    configure(true, true);
    expect_rejected(fz, fz_len, U_FS, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CHECKSUM,
                    "FS CRC-32");
    free(fz);
    free(fsimg);
}

Test(updater_gzip, truncated_stream_rejected)
{
    expect_rejected(gz, gz_len - 8, U_FLASH, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CORRUPT,
                    "no trailer");
    configure(false, true);
    expect_rejected(gz, gz_len / 2, U_FLASH, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CORRUPT,
                    "half a stream");
}

Test(updater_gzip, trailing_bytes_rejected)
{
    /* The bootloader reads ISIZE from the last 4 staged bytes: they must be the member's. */
    uint8_t *c = malloc(gz_len + 16);
    memcpy(c, gz, gz_len);
    memset(c + gz_len, 0, 16);
    expect_rejected(c, gz_len + 16, U_FLASH, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_TRAILING,
                    "16 bytes after the member");
    free(c);
}

Test(updater_gzip, no_work_area_rejected)
{
    configure(false, false);
    expect_rejected(gz, gz_len, U_FLASH, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_NO_WORK_AREA,
                    "no inflate work area");
}

Test(updater_gzip, inflated_header_checked)
{
    /* _verifyEnd() skips gzip; otasim checks the inflated header: magic, then flash size. */
    size_t z_len;
    uint8_t *bad = malloc(img_len);
    memcpy(bad, img, img_len);
    bad[0] = 0xEA;
    uint8_t *z = tb_gzip(bad, img_len, &z_len);
    expect_rejected(z, z_len, U_FLASH, UPDATE_ERROR_MAGIC_BYTE, UPDATER_DETAIL_NONE, "magic");
    free(z);
    bad[0] = 0xE9;
    bad[3] = 0x80; /* 8 MB on a 4 MB chip */
    z = tb_gzip(bad, img_len, &z_len);
    configure(false, true);
    expect_rejected(z, z_len, U_FLASH, UPDATE_ERROR_NEW_FLASH_CONFIG, UPDATER_DETAIL_NONE,
                    "8 MB header");
    free(z);
    free(bad);
}

Test(updater_gzip, fs_output_larger_than_the_filesystem_rejected)
{
    /* 4m2m's FS is 0x1FA000 bytes; 2.5 MB of zeros compresses to a few KB. */
    size_t big = 2560 * KIB, z_len;
    uint8_t *zeros = calloc(1, big);
    uint8_t *z = tb_gzip(zeros, big, &z_len);
    configure(true, true);
    expect_rejected(z, z_len, U_FS, UPDATE_ERROR_SPACE, UPDATER_DETAIL_GZIP_TOO_BIG,
                    "2.5 MB FS image");
    free(z);
    free(zeros);
}

Test(updater_gzip, output_overrunning_unread_input_rejected)
{
    /* The web updater's placement puts the stage just above the sketch (~0x4d000 here); a
     * 1 MB image inflated to 0 would overwrite compressed input the bootloader has not read. */
    size_t big = 1 * MIB, z_len;
    uint8_t *data = calloc(1, big);
    memcpy(data, img, img_len);
    uint8_t *z = tb_gzip(data, big, &z_len);
    uint32_t sketch = uu_round4k(uu_spec_sketch_size(dev));
    uint32_t max = (dev->layout.fs_start - sketch - 0x1000u) & ~0xFFFu;
    cr_assert_lt(sketch + 0x1000u, big, "the stage is below the inflated end");
    uint8_t before[BOOT_CMD_SIZE], after[BOOT_CMD_SIZE];
    flashsim_rtc_read(dev->fs, FLASHSIM_RTC_USER_OFFSET, before, sizeof(before));
    cr_assert(updater_begin(&dev->up, max, U_FLASH));
    cr_assert_eq(updater_write(&dev->up, z, (uint32_t)z_len), z_len);
    cr_expect_not(updater_end(&dev->up, true));
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_IMAGE, "%s", tdev_error_line(dev));
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_GZIP_OVERLAP);
    flashsim_rtc_read(dev->fs, FLASHSIM_RTC_USER_OFFSET, after, sizeof(after));
    cr_expect_arr_eq(after, before, sizeof(before));
    /* The same image staged at the top (just below the FS) does not overlap. */
    configure(false, true);
    cr_expect(uu_update(dev, z, z_len, U_FLASH, 4096), "%s", tdev_error_line(dev));
    free(z);
    free(data);
}
