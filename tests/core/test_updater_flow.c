/* Updater conformance: the flow of an update (spec §2.6, §2.8, §3.2, §3.6).
 *   - the boot command appears in RTC memory only after a successful end(), exactly as §2.6
 *     step 7 says (U_FLASH; U_FS with ATOMIC_FS_UPDATE; none for a live U_FS);
 *   - callbacks fire in the documented order (onEnd in every reset, onProgress only from
 *     writeStream, with the values the spec's buffering gives);
 *   - a failed update leaves the running app untouched and no command a bootloader would act
 *     on, also when an earlier update's command was still pending over the same stage. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "updater_util.h"

static tdev_t *dev;
static uint8_t *img;
static size_t img_len;

static void setup(void)
{
    dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    img = uu_small_pair(2, 0x40, 51, &img_len);
}

static void teardown(void)
{
    free(img);
    tdev_free(dev);
}

TestSuite(updater_flow, .init = setup, .fini = teardown);

static void reinit(bool atomic)
{
    updater_config_t c = tdev_config(dev);
    c.atomic_fs_update = atomic;
    tdev_init_updater(dev, &c);
}

static uint32_t top_stage(size_t len)
{
    return dev->layout.fs_start - uu_round4k((uint32_t)len);
}

Test(updater_flow, boot_command_only_after_a_successful_end)
{
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    uu_expect_no_cmd(dev);
    cr_assert_eq(updater_write(&dev->up, img, (uint32_t)img_len), img_len);
    cr_assert(updater_is_finished(&dev->up));
    uu_expect_no_cmd(dev); /* everything staged, but end() not called yet */
    cr_assert(updater_end(&dev->up, false), "%s", tdev_error_line(dev));
    uu_expect_copy_cmd(dev, top_stage(img_len), 0, (uint32_t)img_len);
    cr_expect_not(updater_is_running(&dev->up), "end() resets");
}

Test(updater_flow, atomic_fs_command_and_live_fs_none)
{
    uint8_t *fsimg = uu_pattern(50000, 2);
    reinit(true);
    cr_assert(uu_update(dev, fsimg, 50000, U_FS, 2048), "%s", tdev_error_line(dev));
    uu_expect_copy_cmd(dev, top_stage(50000), dev->layout.fs_start, 50000);
    /* A live FS update writes no command and leaves RTC memory as it was. */
    boot_cmd_clear();
    uint8_t before[BOOT_CMD_SIZE], after[BOOT_CMD_SIZE];
    flashsim_rtc_read(dev->fs, FLASHSIM_RTC_USER_OFFSET, before, sizeof(before));
    reinit(false);
    cr_assert(uu_update(dev, fsimg, 50000, U_FS, 2048), "%s", tdev_error_line(dev));
    flashsim_rtc_read(dev->fs, FLASHSIM_RTC_USER_OFFSET, after, sizeof(after));
    cr_expect_arr_eq(after, before, sizeof(before));
    uu_expect_no_cmd(dev);
    free(fsimg);
}

Test(updater_flow, premature_end_writes_no_command)
{
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    cr_assert_eq(updater_write(&dev->up, img, 8000), 8000u);
    cr_expect_not(updater_end(&dev->up, false));
    /* otasim: SIZE instead of the original's silent "No Error" (§9.8). */
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_SIZE);
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_PREMATURE_END);
    uu_expect_no_cmd(dev);
}

Test(updater_flow, end_without_begin)
{
    tdev_log_clear(dev);
    cr_expect_not(updater_end(&dev->up, false));
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_OK, "no error code (§2.6 step 1)");
    cr_expect_str_eq(dev->log, "end");
    uu_expect_no_cmd(dev);
}

Test(updater_flow, callbacks_write_path)
{
    tdev_log_clear(dev);
    cr_assert(uu_update(dev, img, img_len, U_FLASH, 1000), "%s", tdev_error_line(dev));
    /* begin's own _reset() fires onEnd before onStart; write() never reports progress. */
    cr_expect_str_eq(dev->log, "end,start,end");
}

Test(updater_flow, callbacks_write_stream_path)
{
    /* All data available at once: each read fills the 4 KiB buffer (or takes the rest), is
     * flushed, and reported; then once more at the end (§2.4). */
    tdev_log_clear(dev);
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    tstream_t ts;
    update_stream_t s = tstream_make(&ts, img, img_len);
    cr_assert_eq(updater_write_stream(&dev->up, &s, 1000), img_len);
    cr_assert(updater_end(&dev->up, false), "%s", tdev_error_line(dev));
    char want[512];
    int n = snprintf(want, sizeof(want), "end,start,progress:0/%zu", img_len);
    for (size_t done = 4096; done < img_len + 4096; done += 4096) {
        size_t p = done < img_len ? done : img_len;
        n += snprintf(want + n, sizeof(want) - (size_t)n, ",progress:%zu/%zu", p, img_len);
    }
    snprintf(want + n, sizeof(want) - (size_t)n, ",progress:%zu/%zu,end", img_len, img_len);
    cr_expect_str_eq(dev->log, want);
}

Test(updater_flow, callbacks_on_errors)
{
    /* An early begin() check: onError, then onEnd from the reset; no onStart. */
    tdev_log_clear(dev);
    cr_expect_not(updater_begin(&dev->up, 0, U_FLASH));
    cr_expect_str_eq(dev->log, "error:5,end");
    /* A flash write failure mid-update. */
    reinit(false);
    tdev_log_clear(dev);
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    char plan[64];
    snprintf(plan, sizeof(plan), "fail@addr=%u:program", updater_start_address(&dev->up) + 4096);
    uu_plan(dev, plan);
    cr_expect_lt(updater_write(&dev->up, img, (uint32_t)img_len), img_len);
    cr_expect_str_eq(dev->log, "end,start,error:1,end");
    /* A failed check in end(): onEnd once (otasim: the original fires it twice). */
    uu_plan(dev, "");
    reinit(false);
    tdev_log_clear(dev);
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    cr_assert(updater_set_md5(&dev->up, "ffffffffffffffffffffffffffffffff"));
    cr_assert_eq(updater_write(&dev->up, img, (uint32_t)img_len), img_len);
    cr_expect_not(updater_end(&dev->up, false));
    cr_expect_str_eq(dev->log, "end,start,error:7,end");
    /* A second begin() while running aborts the first. */
    reinit(false);
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    tdev_log_clear(dev);
    cr_expect_not(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    cr_expect_str_eq(dev->log, "error:15,end");
}

/* The running app (the installed .bin at 0) is byte-identical to what the test installed. */
static void expect_app_untouched(const char *what)
{
    uint8_t *now = malloc(dev->sketch_len);
    flashsim_peek(dev->fs, 0, now, (uint32_t)dev->sketch_len);
    cr_expect_arr_eq(now, dev->sketch, dev->sketch_len, "%s: the running app changed", what);
    free(now);
}

typedef enum { F_MD5, F_MAGIC, F_WRITE, F_ERASE, F_STREAM, F_PREMATURE, F_SIGN } failure_t;

static void run_failing(failure_t f)
{
    static tb_key_t *key;
    updater_config_t c = tdev_config(dev);
    if (f == F_SIGN) {
        key = tb_key_load("rsa2048");
        c.signing_key = tb_key_public(key);
    }
    tdev_init_updater(dev, &c);
    uint8_t *data = malloc(img_len);
    memcpy(data, img, img_len);
    if (f == F_MAGIC) {
        data[0] = 0x00;
    }
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    uint32_t stage = updater_start_address(&dev->up);
    char plan[64] = "";
    if (f == F_WRITE) {
        snprintf(plan, sizeof(plan), "fail@addr=%u:program", stage + 8192);
    } else if (f == F_ERASE) {
        snprintf(plan, sizeof(plan), "fail@addr=%u:erase", stage + 8192);
    }
    uu_plan(dev, plan);
    if (f == F_MD5) {
        cr_assert(updater_set_md5(&dev->up, "0123456789abcdef0123456789abcdef"));
    }
    if (f == F_STREAM) {
        tstream_t ts;
        update_stream_t s = tstream_make(&ts, data, img_len);
        ts.stall_at = 9000;
        updater_write_stream(&dev->up, &s, 2000);
    } else {
        updater_write(&dev->up, data, f == F_PREMATURE ? 9000 : (uint32_t)img_len);
    }
    cr_expect_not(updater_end(&dev->up, false), "failure %d accepted", (int)f);
    cr_expect(updater_has_error(&dev->up), "failure %d: an error code", (int)f);
    uu_plan(dev, "");
    free(data);
    if (f == F_SIGN) {
        tb_key_free(key);
    }
}

Test(updater_flow, failed_updates_leave_the_app_and_no_command)
{
    for (failure_t f = F_MD5; f <= F_SIGN; f++) {
        run_failing(f);
        char what[32];
        snprintf(what, sizeof(what), "failure %d", (int)f);
        expect_app_untouched(what);
        uu_expect_no_cmd(dev);
    }
}

Test(updater_flow, a_pending_command_is_cancelled_by_a_failing_update_over_its_stage)
{
    /* Update 1 succeeds, no reboot. Update 2 (same size, so the same stage) is interrupted
     * half-way: the bootloader must not copy the half-overwritten stage. */
    cr_assert(uu_update(dev, img, img_len, U_FLASH, 4096), "%s", tdev_error_line(dev));
    uu_expect_copy_cmd(dev, top_stage(img_len), 0, (uint32_t)img_len);
    for (failure_t f = F_MD5; f <= F_SIGN; f++) {
        reinit(false);
        boot_cmd_t cmd;
        boot_cmd_make(&cmd, BOOT_CMD_COPY_RAW, top_stage(img_len), 0, (uint32_t)img_len);
        cr_assert_eq(boot_cmd_write(&cmd), HAL_OK);
        run_failing(f);
        char what[32];
        snprintf(what, sizeof(what), "failure %d", (int)f);
        uu_expect_no_cmd(dev);
        expect_app_untouched(what);
    }
}

Test(updater_flow, a_larger_update_overlapping_the_pending_stage_cancels_it)
{
    cr_assert(uu_update(dev, img, img_len, U_FLASH, 4096));
    uu_cmd_t first = uu_read_cmd(dev);
    cr_assert(first.valid);
    /* A bigger image is staged lower and covers the pending stage: begin() cancels at once. */
    reinit(false);
    cr_assert(updater_begin(&dev->up, 200000, U_FLASH));
    uu_expect_no_cmd(dev);
    /* The clear leaves the arguments in RTC, as the original (§3.2). */
    uu_cmd_t now = uu_read_cmd(dev);
    cr_expect_eq(now.cmd.args[0], first.cmd.args[0]);
    cr_expect_eq(now.cmd.magic, 0u);
    cr_expect_eq(now.cmd.crc32, 0u);
}

Test(updater_flow, a_pending_command_elsewhere_is_kept)
{
    /* A pending copy whose source and destination this update does not touch stays. */
    boot_cmd_t cmd;
    uint32_t src = dev->layout.fs_start + 0x10000; /* inside the FS, away from the stage */
    boot_cmd_make(&cmd, BOOT_CMD_COPY_RAW, src, src + 0x10000, 4096);
    cr_assert_eq(boot_cmd_write(&cmd), HAL_OK);
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    uu_cmd_t c = uu_read_cmd(dev);
    cr_expect(c.valid, "kept");
    cr_expect_eq(c.cmd.args[0], src);
}
