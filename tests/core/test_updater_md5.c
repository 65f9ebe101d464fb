/* Updater conformance: MD5 (spec §2.6 step 5, setMD5; otasim fix: hashed from flash).
 *   - setMD5() takes exactly 32 characters, anything else is refused and ignored;
 *   - a matching target (either case) is accepted, a mismatch is UPDATE_ERROR_MD5 with both
 *     values in the message, and no boot command is written;
 *   - the MD5 is taken over the staged bytes read back from flash: a byte changed in flashsim
 *     between the last write() and end(), or a bit that silently did not program, is caught;
 *   - md5String() reports the MD5 of what is staged; a patched flash-mode byte counts as sent.
 * Expected digests come from BearSSL (testlib's ref_md5), never from the code under test. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>

#include "updater_util.h"

static tdev_t *dev;
static uint8_t *img;
static size_t img_len;
static char img_md5[33];

static void setup(void)
{
    dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    img = uu_small_pair(2, 0x40, 21, &img_len);
    ref_md5_hex(img, img_len, img_md5);
}

static void teardown(void)
{
    free(img);
    tdev_free(dev);
}

TestSuite(updater_md5, .init = setup, .fini = teardown);

static void reinit(void)
{
    updater_config_t c = dev->up.cfg;
    tdev_init_updater(dev, &c);
}

/* begin + setMD5 + all writes; end() left to the test. */
static void stage(const char *md5)
{
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH), "%s", tdev_error_line(dev));
    if (md5 != NULL) {
        cr_assert(updater_set_md5(&dev->up, md5));
    }
    cr_assert_eq(updater_write(&dev->up, img, (uint32_t)img_len), img_len);
}

static void expect_md5_error(const char *target, const char *calculated)
{
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_MD5, "%s", tdev_error_line(dev));
    char line[200];
    snprintf(line, sizeof(line),
             "ERROR[7]: MD5 verification failed: expected: %s, calculated: %s\n", target,
             calculated);
    cr_expect_str_eq(tdev_error_line(dev), line);
    uu_expect_no_cmd(dev);
}

Test(updater_md5, set_md5_needs_exactly_32_characters)
{
    char s[40];
    for (size_t n = 0; n < sizeof(s) - 1; n++) {
        memset(s, 'a', n);
        s[n] = '\0';
        cr_expect_eq(updater_set_md5(&dev->up, s), n == 32, "length %zu", n);
    }
    cr_expect_not(updater_set_md5(&dev->up, NULL));
}

Test(updater_md5, a_refused_target_is_ignored)
{
    /* 31 and 33 characters: refused, so the (wrong) value does not fail the update. */
    char wrong[40];
    memset(wrong, '0', sizeof(wrong));
    wrong[31] = '\0';
    stage(NULL);
    cr_expect_not(updater_set_md5(&dev->up, wrong));
    wrong[31] = '0';
    wrong[33] = '\0';
    cr_expect_not(updater_set_md5(&dev->up, wrong));
    cr_expect(updater_end(&dev->up, false), "%s", tdev_error_line(dev));
    uu_expect_copy_cmd(dev, dev->layout.fs_start - uu_round4k((uint32_t)img_len), 0,
                       (uint32_t)img_len);
}

Test(updater_md5, matching_target_lower_and_upper_case)
{
    char upper[33];
    for (int i = 0; i < 33; i++) {
        upper[i] = (char)toupper((unsigned char)img_md5[i]);
    }
    const char *targets[] = {img_md5, upper};
    for (int i = 0; i < 2; i++) {
        reinit();
        stage(targets[i]);
        cr_expect(updater_end(&dev->up, false), "%s: %s", targets[i], tdev_error_line(dev));
        char got[33];
        cr_expect(updater_md5_string(&dev->up, got));
        cr_expect_str_eq(got, img_md5);
        uu_cmd_t c = uu_read_cmd(dev);
        cr_expect(c.valid);
    }
}

Test(updater_md5, each_wrong_digit_is_a_mismatch)
{
    /* Change one hex digit of the right MD5 at every position. */
    for (int pos = 0; pos < 32; pos++) {
        char target[33];
        memcpy(target, img_md5, 33);
        target[pos] = target[pos] == '0' ? '1' : '0';
        reinit();
        stage(target);
        cr_expect_not(updater_end(&dev->up, false), "digit %d", pos);
        expect_md5_error(target, img_md5);
    }
}

Test(updater_md5, mismatch_fires_error_and_end_once)
{
    stage("00000000000000000000000000000000");
    tdev_log_clear(dev);
    cr_expect_not(updater_end(&dev->up, false));
    cr_expect_str_eq(dev->log, "error:7,end");
    cr_expect_not(updater_is_running(&dev->up));
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_MD5);
}

/* Offsets of staged bytes a test corrupts: header, first sector, sector edges, the last byte. */
static const uint32_t corrupt_at[] = {1, 2, 3, 100, 4095, 4096, 4097, 0x1000 + 300, 9000};

Test(updater_md5, a_staged_byte_changed_before_end_is_caught)
{
    size_t n = sizeof(corrupt_at) / sizeof(corrupt_at[0]);
    for (size_t i = 0; i <= n; i++) {
        uint32_t off = i < n ? corrupt_at[i] : (uint32_t)img_len - 1;
        reinit();
        stage(img_md5);
        uint32_t at = updater_start_address(&dev->up) + off;
        uint8_t b;
        flashsim_peek(dev->fs, at, &b, 1);
        b ^= 0x10;
        flashsim_poke(dev->fs, at, &b, 1);
        cr_expect_not(updater_end(&dev->up, false), "byte %u changed in flash", off);
        /* What the Updater must have computed: the MD5 of the bytes now in flash. */
        uint8_t *now = malloc(img_len);
        memcpy(now, img, img_len);
        now[off] ^= 0x10;
        char calc[33];
        ref_md5_hex(now, img_len, calc);
        free(now);
        expect_md5_error(img_md5, calc);
    }
}

Test(updater_md5, a_bit_that_silently_failed_to_program_is_caught)
{
    /* A bit stuck at 1 in the stage: the program "succeeds" but the byte reads back wrong. The
     * original hashes its RAM buffer and would accept this. Pick a bit that the image has at
     * 0, so the stuck bit changes the staged value. */
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    uint32_t stage_at = updater_start_address(&dev->up);
    uint32_t off = 5000;
    int bit = 0;
    while (img[off] & (1u << bit)) {
        bit++;
        if (bit == 8) {
            off++;
            bit = 0;
        }
    }
    char plan[64];
    snprintf(plan, sizeof(plan), "stuck1@addr=%u:bit=%d", stage_at + off, bit);
    uu_plan(dev, plan);
    cr_assert(updater_set_md5(&dev->up, img_md5));
    cr_assert_eq(updater_write(&dev->up, img, (uint32_t)img_len), img_len,
                 "the write reports success");
    uint8_t staged;
    flashsim_peek(dev->fs, stage_at + off, &staged, 1);
    cr_assert_eq(staged, img[off] | (1u << bit), "the stuck bit took effect");
    cr_expect_not(updater_end(&dev->up, false));
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_MD5, "%s", tdev_error_line(dev));
    uu_expect_no_cmd(dev);
}

Test(updater_md5, without_a_target_nothing_is_checked_but_md5_string_tells)
{
    /* No target: no integrity check (spec §2.6), but md5String() is the MD5 of what is in flash,
     * so a caller comparing it sees the difference. */
    stage(NULL);
    uint32_t at = updater_start_address(&dev->up) + 6000;
    uint8_t b;
    flashsim_peek(dev->fs, at, &b, 1);
    b ^= 0x01;
    flashsim_poke(dev->fs, at, &b, 1);
    cr_expect(updater_end(&dev->up, false), "%s", tdev_error_line(dev));
    uint8_t *now = malloc(img_len);
    memcpy(now, img, img_len);
    now[6000] ^= 0x01;
    char want[33], got[33];
    ref_md5_hex(now, img_len, want);
    free(now);
    cr_assert(updater_md5_string(&dev->up, got));
    cr_expect_str_eq(got, want);
    cr_expect_str_neq(got, img_md5);
}

Test(updater_md5, a_patched_flash_mode_still_matches_the_sent_md5)
{
    /* otasim fix: the MD5 is of the image as sent, the patched byte 2 restored. */
    free(img);
    img = uu_small_pair(0, 0x40, 22, &img_len); /* QIO, the device runs DIO */
    ref_md5_hex(img, img_len, img_md5);
    stage(img_md5);
    uint8_t b2;
    flashsim_peek(dev->fs, updater_start_address(&dev->up) + 2, &b2, 1);
    cr_assert_eq(b2, 2, "patched to the running mode");
    cr_expect(updater_end(&dev->up, false), "%s", tdev_error_line(dev));
    char got[33];
    cr_assert(updater_md5_string(&dev->up, got));
    cr_expect_str_eq(got, img_md5);
}

Test(updater_md5, end_true_hashes_the_bytes_received)
{
    /* The web updater's pattern with a target: the declared size is larger, the MD5 is over the
     * bytes that arrived. */
    cr_assert(updater_begin(&dev->up, 200000, U_FLASH));
    cr_assert(updater_set_md5(&dev->up, img_md5));
    cr_assert_eq(updater_write(&dev->up, img, (uint32_t)img_len), img_len);
    cr_expect(updater_end(&dev->up, true), "%s", tdev_error_line(dev));
    char got[33];
    cr_assert(updater_md5_string(&dev->up, got));
    cr_expect_str_eq(got, img_md5);
}

Test(updater_md5, a_new_begin_forgets_the_target)
{
    stage("00000000000000000000000000000000");
    updater_config_t c = dev->up.cfg;
    tdev_init_updater(dev, &c);
    /* begin() clears the target MD5 (§2.3 step 6): the next update has none. */
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    cr_assert(updater_set_md5(&dev->up, "00000000000000000000000000000000"));
    cr_assert_not(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH)); /* aborts (15) */
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    cr_assert_eq(updater_write(&dev->up, img, (uint32_t)img_len), img_len);
    cr_expect(updater_end(&dev->up, false), "%s", tdev_error_line(dev));
}
