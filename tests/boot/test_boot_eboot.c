/* The eboot-compatible mode against spec §3.2-§3.7: markers, copy (raw, gzip), the sector-0
 * rule, LOAD_APP, the ATOMIC_FS_UPDATE path, and its known weaknesses (§3.6, §9), which this
 * mode must keep. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_cmd.h"
#include "bootlib.h"
#include "native_port.h"
#include "testlib.h"
#include "updater.h"

static uint8_t *old_p, *new_p;
static size_t old_n, new_n;
static bt_t *b;

static void setup(void)
{
    old_p = bt_pair("basic", 1, 60000, 1, NULL, &old_n);
    new_p = bt_pair("basic", 2, 70000, 2, old_p, &new_n); /* same bootloader sector */
    b = bt_new("4m1m", BOOT_MODE_EBOOT, old_p, old_n);
}

static void teardown(void)
{
    bt_free(b);
    free(old_p);
    free(new_p);
}

TestSuite(eboot, .init = setup, .fini = teardown);

static void rtc_words(uint32_t w[32])
{
    flashsim_rtc_read(b->fs, BOOT_CMD_RTC_OFFSET, w, 128);
}

Test(eboot, normal_boot_prints_length_word_and_loads_app_at_0x1000)
{
    cr_assert_eq(bt_boot(b), BT_APP);
    char expect[32];
    snprintf(expect, sizeof(expect), "v%08x\n~ld\n", (unsigned)old_n); /* __crc_len = .bin size */
    cr_assert_str_eq(b->console, expect);
    cr_assert_eq(b->start.image_addr, 0x1000u);
    cr_assert_str_eq(b->start.name, "basic");
    cr_assert_eq(b->start.version, 1u);
    /* tb_build_pair's app: 5 segments, .irom0.text skipped, 4 loaded. */
    cr_assert_eq(b->start.segments_loaded, 4u);
    cr_assert_eq(b->start.load_calls, 4u);
}

Test(eboot, raw_copy_skips_identical_sector0_then_loads_new_app)
{
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    uint32_t erases0 = flashsim_erase_count(b->fs, 0);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "@cp:B0\nld\n"), "console: %s", b->console);
    cr_assert_eq(b->start.version, 2u);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW);
    cr_assert_eq(flashsim_erase_count(b->fs, 0), erases0, "sector 0 was rewritten");
    /* clear: magic and CRC zeroed, args kept (spec §3.2). */
    uint32_t w[32];
    rtc_words(w);
    cr_assert_eq(w[0], 0u);
    cr_assert_eq(w[31], 0u);
    cr_assert_eq(w[2], (uint32_t)(b->layout.fs_start - layout_roundup_sector(new_n)));
    cr_assert_eq(w[4], (uint32_t)new_n);
    /* next boot: normal */
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "~ld\n"));
}

Test(eboot, changed_sector0_is_rewritten_without_B)
{
    free(new_p);
    new_p = bt_pair("basic", 2, 70000, 2, NULL, &new_n); /* its own bootloader sector */
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "@cp:0\nld\n"), "console: %s", b->console);
    cr_assert_eq(bt_sector0_state(b), BT_FLASH_NEW);
    cr_assert_eq(b->start.version, 2u);
}

Test(eboot, gzip_copy)
{
    size_t gz_n;
    uint8_t *gz = tb_gzip(new_p, new_n, &gz_n);
    cr_assert(bt_update(b, gz, gz_n, U_FLASH, false, new_p, new_n));
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "@cp:B0\nld\n"), "console: %s", b->console);
    cr_assert_eq(b->start.version, 2u);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW);
    /* whole sectors: the tail of the last sector is 0xFF padding */
    uint8_t tail[16];
    flashsim_peek(b->fs, (uint32_t)layout_roundup_sector(new_n) - 16, tail, 16);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(tail[i], 0xFF);
    free(gz);
}

Test(eboot, weakness_gzip_crc_not_checked)
{
    size_t gz_n;
    uint8_t *gz = tb_gzip(new_p, new_n, &gz_n);
    cr_assert(bt_update(b, gz, gz_n, U_FLASH, false, new_p, new_n));
    /* Break the staged gzip CRC-32 after end() accepted it: eboot copies anyway. */
    uint32_t src = b->layout.fs_start - layout_roundup_sector(gz_n);
    uint8_t x;
    flashsim_peek(b->fs, src + (uint32_t)gz_n - 8, &x, 1);
    x ^= 0xFF;
    flashsim_poke(b->fs, src + (uint32_t)gz_n - 8, &x, 1);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "cp:B0\n"), "console: %s", b->console);
    cr_assert_eq(b->start.version, 2u);
    free(gz);
}

/* eboot takes the output length from the staged ISIZE word, not from the stream: a smaller
 * ISIZE cuts the copy there (the rest of that sector 0xFF, later sectors untouched), a larger one
 * writes erased sectors after the stream's end. */
static void copy_with_isize(int32_t delta, uint32_t probe, uint8_t before, uint8_t after)
{
    size_t gz_n;
    uint8_t *gz = tb_gzip(new_p, new_n, &gz_n);
    cr_assert(bt_update(b, gz, gz_n, U_FLASH, false, new_p, new_n));
    uint32_t src = b->layout.fs_start - layout_roundup_sector(gz_n);
    uint32_t isize = (uint32_t)((int32_t)new_n + delta);
    uint8_t le[4] = {(uint8_t)isize, (uint8_t)(isize >> 8), (uint8_t)(isize >> 16),
                     (uint8_t)(isize >> 24)};
    flashsim_poke(b->fs, src + (uint32_t)gz_n - 4, le, 4);
    uint8_t mark[16];
    memset(mark, before, sizeof mark);
    flashsim_poke(b->fs, probe, mark, sizeof mark);
    bt_boot(b);
    cr_assert(bt_console_has(b, "@cp:B0\n"), "console: %s", b->console);
    uint8_t got[16];
    flashsim_peek(b->fs, probe, got, sizeof got);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(got[i], after, "byte %d at 0x%x: 0x%02x", i, probe + i, got[i]);
    free(gz);
}

/* 100 bytes past a sector boundary inside the new image, where its bytes are not 0xFF (so that
 * reading 0xFF there after the copy means the cut, not the image). */
static uint32_t cut_point(void)
{
    for (uint32_t cut = 2u * 4096u + 100u; cut + 16u + 4096u < new_n; cut += 4096u) {
        bool ff = false;
        for (uint32_t i = 0; i < 16u; i++)
            ff |= new_p[cut + i] == 0xFF;
        if (!ff)
            return cut;
    }
    cr_assert_fail("no 16 non-0xFF bytes after a sector boundary in the new image");
    return 0;
}

Test(eboot, weakness_gzip_isize_sets_the_length)
{
    /* ISIZE 100 bytes past a sector boundary inside the image: the copy stops there. */
    uint32_t cut = cut_point();
    copy_with_isize((int32_t)cut - (int32_t)new_n, cut, 0x5A, 0xFF); /* the cut sector's tail */
}

Test(eboot, weakness_gzip_isize_short_leaves_later_sectors)
{
    uint32_t cut = cut_point();
    copy_with_isize((int32_t)cut - (int32_t)new_n, cut + 4096u, 0x5A, 0x5A); /* not written */
}

Test(eboot, weakness_gzip_isize_long_writes_erased_sectors)
{
    /* ISIZE two sectors past the stream: the sector after the image is written erased. */
    uint32_t after = (uint32_t)layout_roundup_sector(new_n);
    copy_with_isize(2 * 4096, after + 4096u, 0x00, 0xFF);
}

Test(eboot, unknown_action_resets_with_9_and_clears)
{
    native_port_config_t cfg;
    native_port_default_config(&cfg);
    native_port_attach(b->fs, &cfg);
    boot_cmd_t cmd;
    boot_cmd_make(&cmd, 7, 0, 0, 0);
    cr_assert_eq(boot_cmd_write(&cmd), HAL_OK);
    native_port_detach();
    cr_assert_eq(bt_boot(b), BT_RETURNED);
    cr_assert_eq(b->result, 9);
    cr_assert(bt_console_has(b, "@"));
    cr_assert(!bt_console_has(b, "ld"), "console: %s", b->console);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "~ld\n"));
}

Test(eboot, unaligned_source_is_error_1_and_old_app_runs_next)
{
    bt_stage(b, new_p, new_n, 0x200100, 0, new_p, new_n);
    cr_assert_eq(bt_boot(b), BT_RETURNED);
    cr_assert(bt_console_has(b, "@cp:1\n"), "console: %s", b->console);
    cr_assert_eq(b->result, 1);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert_eq(b->start.version, 1u);
}

Test(eboot, atomic_fs_copies_then_tries_to_boot_from_the_fs_address)
{
    /* An FS image: any bytes (here: a pair, so "booting" it would even look plausible). */
    size_t fs_n = 40000;
    uint8_t *fsimg = malloc(fs_n);
    for (size_t i = 0; i < fs_n; i++)
        fsimg[i] = (uint8_t)(i * 7 + 3);
    free(b->old_pair);
    b->old_pair = malloc(old_n);
    memcpy(b->old_pair, old_p, old_n);
    cr_assert(bt_update(b, fsimg, fs_n, U_FS, true, old_p, old_n));
    cr_assert_eq(bt_boot(b), BT_RETURNED); /* §3.7: ld of the FS address fails */
    cr_assert(bt_console_has(b, "@cp:0\nld\ne:"), "console: %s", b->console);
    uint8_t *got = malloc(fs_n);
    flashsim_peek(b->fs, b->layout.fs_start, got, (uint32_t)fs_n);
    cr_assert_eq(memcmp(got, fsimg, fs_n), 0, "FS not copied");
    flashsim_warm_reset(b->fs);
    cr_assert_eq(bt_boot(b), BT_APP); /* the extra reset cycle, then the app at 0 */
    cr_assert(bt_console_has(b, "~ld\n"));
    cr_assert_eq(b->start.version, 1u);
    free(got);
    free(fsimg);
}

Test(eboot, weakness_rtc_lost_after_end_drops_the_update)
{
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    flashsim_power_loss(b->fs);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "~ld\n"));
    cr_assert_eq(b->start.version, 1u, "eboot applied an update it cannot know about");
}

Test(eboot, weakness_power_cut_mid_copy_leaves_half_copied_app)
{
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    bt_plan(b, "cut@op=6"); /* a few sectors into the copy */
    cr_assert_eq(bt_boot(b), BT_CUT);
    bt_plan(b, NULL);
    flashsim_power_loss(b->fs);
    bt_outcome_t o = bt_boot(b);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_OTHER, "expected a half-copied app");
    cr_assert(bt_console_has(b, "~ld\n"));
    cr_assert_eq(o, BT_RETURNED, "a half-copied app must not pass the image check");
}

Test(eboot, weakness_copy_error_clears_command_anyway)
{
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    bt_plan(b, "fail@op=4"); /* an erase (or write) fails partway */
    cr_assert_eq(bt_boot(b), BT_RETURNED);
    cr_assert(b->result == 2 || b->result == 4, "result %d", b->result);
    bt_plan(b, NULL);
    flashsim_warm_reset(b->fs);
    bt_boot(b);
    cr_assert(bt_console_has(b, "~ld\n"), "command not cleared: %s", b->console);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_OTHER);
}

/* #7458: an image larger than the gap between app and stage; a warm reset mid-copy restarts
 * the copy, which then reads source sectors it has already overwritten. */
Test(eboot, weakness_overlap_restart_reads_overwritten_source)
{
    free(new_p);
    new_p = bt_pair("basic", 2, 300000, 2, old_p, &new_n);
    uint32_t src = 0x20000; /* the copy overwrites the stage from its 32nd sector on */
    bt_stage(b, new_p, new_n, src, 0, new_p, new_n);
    bt_plan(b, "cut@op=100"); /* well past the point where the stage start is destroyed */
    cr_assert_eq(bt_boot(b), BT_CUT);
    bt_plan(b, NULL);
    flashsim_warm_reset(b->fs); /* RTC kept: the command is still there */
    bt_boot(b);                 /* the restarted copy */
    cr_assert(bt_console_has(b, "@cp:"), "console: %s", b->console);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_OTHER, "expected a corrupt app after the restart");
    /* here even sector 0 was overwritten with a source sector the copy had destroyed */
    cr_assert_eq(bt_sector0_state(b), BT_FLASH_OTHER);
}

/* §3.6: a reset that keeps RTC memory during a copy without overlap restarts the copy from the
 * beginning, which is idempotent: the update completes (this is why the clear comes last). */
Test(eboot, warm_reset_mid_copy_restarts_and_completes)
{
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    bt_plan(b, "cut@op=9:torn");
    cr_assert_eq(bt_boot(b), BT_CUT);
    bt_plan(b, NULL);
    flashsim_warm_reset(b->fs);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "@cp:B0\nld\n"), "console: %s", b->console);
    cr_assert_eq(b->start.version, 2u);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW);
}
