/* The safe mode: journal-driven updates, verification before the first destructive write,
 * sector 0 last, the overlap case, the RTC-only path, and its console markers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_cmd.h"
#include "bootlib.h"
#include "journal.h"
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
    b = bt_new("4m1m", BOOT_MODE_SAFE, old_p, old_n);
}

static void teardown(void)
{
    bt_free(b);
    free(old_p);
    free(new_p);
}

TestSuite(safe, .init = setup, .fini = teardown);

static journal_t journal_now(void)
{
    native_port_config_t cfg;
    native_port_default_config(&cfg);
    native_port_attach(b->fs, &cfg);
    journal_t j;
    cr_assert_eq(journal_open(&j, journal_area(flashsim_size(b->fs))), HAL_OK);
    native_port_detach();
    return j;
}

static uint32_t stage_addr(size_t len)
{
    return b->layout.fs_start - layout_roundup_sector((uint32_t)len);
}

/* Erase cycles of the sectors below `end` (the app and the stage). */
static uint64_t erases_below(uint32_t end)
{
    uint64_t n = 0;
    for (uint32_t s = 0; s < end / 4096u; s++)
        n += flashsim_erase_count(b->fs, s);
    return n;
}

static void write_rtc_cmd(uint32_t action, uint32_t a0, uint32_t a1, uint32_t a2)
{
    native_port_config_t cfg;
    native_port_default_config(&cfg);
    native_port_attach(b->fs, &cfg);
    boot_cmd_t cmd;
    boot_cmd_make(&cmd, action, a0, a1, a2);
    cr_assert_eq(boot_cmd_write(&cmd), HAL_OK);
    native_port_detach();
}

Test(safe, normal_boot_markers)
{
    cr_assert_eq(bt_boot(b), BT_APP);
    char expect[40];
    snprintf(expect, sizeof(expect), "v%08x\n~s:0\nld\n", (unsigned)old_n);
    cr_assert_str_eq(b->console, expect);
    cr_assert_eq(b->start.version, 1u);
}

Test(safe, update_through_the_updater_is_journaled_and_applied)
{
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    journal_t j = journal_now();
    cr_assert(j.have);
    cr_assert_eq(j.last.state, JOURNAL_PENDING);
    cr_assert_eq(j.last.src, stage_addr(new_n));
    cr_assert_eq(j.last.dst, 0u);
    cr_assert_eq(j.last.size, (uint32_t)new_n);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "@s:1\nchk:0\ncp:B0\nld\n"), "console: %s", b->console);
    cr_assert_eq(b->start.version, 2u);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW);
    j = journal_now();
    cr_assert_eq(j.last.state, JOURNAL_DONE);
    cr_assert_eq(j.last.out_len, layout_roundup_sector((uint32_t)new_n));
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "~s:4\nld\n"), "console: %s", b->console);
}

Test(safe, rtc_lost_after_end_still_applies_the_update)
{
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    flashsim_power_loss(b->fs);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "~s:1\nchk:0\n"), "console: %s", b->console);
    cr_assert_eq(b->start.version, 2u);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW);
}

Test(safe, gzip_update_with_rtc_garbage)
{
    size_t gz_n;
    uint8_t *gz = tb_gzip(new_p, new_n, &gz_n);
    cr_assert(bt_update(b, gz, gz_n, U_FLASH, false, new_p, new_n));
    bt_plan(b, "rtc=garbage");
    flashsim_power_loss(b->fs);
    bt_plan(b, NULL);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "~s:1\nchk:0\ncp:B0\n"), "console: %s", b->console);
    cr_assert_eq(b->start.version, 2u);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW);
    free(gz);
}

Test(safe, corrupt_raw_stage_is_refused_before_anything_is_erased)
{
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    uint32_t at = stage_addr(new_n) + 0x3000; /* app data */
    uint8_t x;
    flashsim_peek(b->fs, at, &x, 1);
    x ^= 0x10;
    flashsim_poke(b->fs, at, &x, 1);
    uint64_t before = erases_below(b->layout.fs_end);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "chk:11\nld\n"), "console: %s", b->console);
    cr_assert_eq(b->start.version, 1u);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_OLD);
    cr_assert_eq(erases_below(b->layout.fs_end), before, "something was erased");
    journal_t j = journal_now();
    cr_assert_eq(j.last.state, JOURNAL_FAILED);
    cr_assert_eq(j.last.progress, 11u);
    /* and it stays refused */
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "~s:5\nld\n"), "console: %s", b->console);
}

Test(safe, corrupt_gzip_crc_is_refused_before_anything_is_erased)
{
    size_t gz_n;
    uint8_t *gz = tb_gzip(new_p, new_n, &gz_n);
    cr_assert(bt_update(b, gz, gz_n, U_FLASH, false, new_p, new_n));
    uint32_t at = stage_addr(gz_n) + (uint32_t)gz_n - 8; /* the gzip CRC-32 */
    uint8_t x;
    flashsim_peek(b->fs, at, &x, 1);
    x ^= 0xFF;
    flashsim_poke(b->fs, at, &x, 1);
    uint64_t before = erases_below(b->layout.fs_end);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "chk:12\n"), "console: %s", b->console);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_OLD);
    cr_assert_eq(erases_below(b->layout.fs_end), before);
    free(gz);
}

Test(safe, gzip_isize_mismatch_is_refused)
{
    size_t gz_n;
    uint8_t *gz = tb_gzip(new_p, new_n, &gz_n);
    cr_assert(bt_update(b, gz, gz_n, U_FLASH, false, new_p, new_n));
    uint32_t at = stage_addr(gz_n) + (uint32_t)gz_n - 4; /* ISIZE */
    uint8_t x;
    flashsim_peek(b->fs, at, &x, 1);
    x ^= 0x01;
    flashsim_poke(b->fs, at, &x, 1);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "chk:12\n"), "console: %s", b->console);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_OLD);
    free(gz);
}

Test(safe, changed_sector0_is_stashed_and_written_last)
{
    free(new_p);
    new_p = bt_pair("basic", 2, 70000, 2, NULL, &new_n); /* a different bootloader sector */
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    flashsim_trace_clear(b->fs);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "chk:0\ncp:0\nld\n"), "console: %s", b->console);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW);
    size_t n;
    const flashsim_trace_entry_t *t = flashsim_trace(b->fs, &n);
    long last_app = -1, first_s0 = -1, s0_writes = 0;
    uint32_t app_end = layout_roundup_sector((uint32_t)new_n);
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind != FLASHSIM_OP_PROGRAM && t[i].kind != FLASHSIM_OP_ERASE_SECTOR)
            continue;
        if (t[i].addr < 0x1000) {
            s0_writes++;
            if (first_s0 < 0)
                first_s0 = (long)i;
        } else if (t[i].addr < app_end) {
            last_app = (long)i;
        }
    }
    cr_assert(last_app >= 0 && first_s0 > last_app, "sector 0 written before the app: %ld %ld",
              first_s0, last_app);
    cr_assert_eq(s0_writes, 2, "sector 0: one erase and one program");
}

Test(safe, unchanged_sector0_is_never_erased)
{
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    uint32_t e0 = flashsim_erase_count(b->fs, 0);
    uint32_t stash = journal_area(flashsim_size(b->fs)) / 4096u;
    uint32_t es = flashsim_erase_count(b->fs, stash);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert_eq(flashsim_erase_count(b->fs, 0), e0);
    cr_assert_eq(flashsim_erase_count(b->fs, stash), es, "stash used for an unchanged sector 0");
}

/* #7458: an image larger than the gap between app and stage, with a warm reset in the middle of
 * the copy (RTC kept): eboot corrupts the app here (test_boot_eboot.c); safe mode resumes. */
Test(safe, overlap_warm_reset_mid_copy_resumes)
{
    free(new_p);
    new_p = bt_pair("basic", 2, 300000, 2, old_p, &new_n);
    bt_stage(b, new_p, new_n, 0x20000, 0, new_p, new_n);
    bt_plan(b, "cut@op=100");
    cr_assert_eq(bt_boot(b), BT_CUT);
    bt_plan(b, NULL);
    flashsim_warm_reset(b->fs);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "@s:3\nrs:"), "console: %s", b->console);
    cr_assert_eq(b->start.version, 2u);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW);
}

Test(safe, overlap_journal_records_are_few)
{
    free(new_p);
    new_p = bt_pair("basic", 2, 300000, 2, old_p, &new_n);
    bt_stage(b, new_p, new_n, 0x20000, 0, new_p, new_n);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW);
    journal_t j = journal_now();
    cr_assert_eq(j.last.state, JOURNAL_DONE);
    cr_assert(j.last.flags & JOURNAL_F_OVERLAP);
    /* 74 sectors, gap 32: progress recorded at sectors 32 and 64, plus pending/verified/done */
    cr_assert_eq(j.last.seq, 5u, "seq %u", j.last.seq);
}

Test(safe, gzip_overlap_is_refused_and_old_app_kept)
{
    free(new_p);
    new_p = bt_pair("basic", 2, 300000, 2, old_p, &new_n);
    size_t gz_n;
    uint8_t *gz = tb_gzip(new_p, new_n, &gz_n);
    bt_stage(b, gz, gz_n, 0x20000, 0, new_p, new_n);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "chk:13\n"), "console: %s", b->console);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_OLD);
    free(gz);
}

Test(safe, destination_into_the_journal_area_is_refused)
{
    uint32_t area = journal_area(flashsim_size(b->fs));
    bt_stage(b, new_p, new_n, 0x200000, area - 0x10000, new_p, new_n);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "chk:14\n"), "console: %s", b->console);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_OLD);
}

Test(safe, atomic_fs_update_boots_the_app_at_0_at_once)
{
    size_t fs_n = 40000;
    uint8_t *fsimg = malloc(fs_n);
    for (size_t i = 0; i < fs_n; i++)
        fsimg[i] = (uint8_t)(i * 7 + 3);
    cr_assert(bt_update(b, fsimg, fs_n, U_FS, true, old_p, old_n));
    flashsim_power_loss(b->fs);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "~s:1\nchk:0\ncp:0\nld\n"), "console: %s", b->console);
    cr_assert_eq(b->start.version, 1u);
    uint8_t *got = malloc(fs_n);
    flashsim_peek(b->fs, b->layout.fs_start, got, (uint32_t)fs_n);
    cr_assert_eq(memcmp(got, fsimg, fs_n), 0, "FS not copied");
    free(got);
    free(fsimg);
}

Test(safe, rtc_only_update_is_adopted_into_the_journal)
{
    /* An app whose Updater does not know the journal (safe_journal off): RTC command only. */
    uint32_t src = stage_addr(new_n);
    flashsim_poke(b->fs, src, new_p, (uint32_t)new_n);
    free(b->new_pair);
    b->new_pair = malloc(new_n);
    memcpy(b->new_pair, new_p, new_n);
    b->new_len = new_n;
    write_rtc_cmd(BOOT_CMD_COPY_RAW, src, 0, (uint32_t)new_n);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "@s:0\nchk:0\ncp:B0\nld\n"), "console: %s", b->console);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW);
}

Test(safe, finished_update_with_command_still_in_rtc_is_not_redone)
{
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    cr_assert_eq(bt_boot(b), BT_APP);
    /* As if power went after the DONE record but before the command was cleared. */
    write_rtc_cmd(BOOT_CMD_COPY_RAW, stage_addr(new_n), 0, (uint32_t)new_n);
    uint64_t before = erases_below(b->layout.fs_end);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "@s:4\n=\nld\n"), "console: %s", b->console);
    cr_assert_eq(erases_below(b->layout.fs_end), before);
    cr_assert_eq(b->start.version, 2u);
}

Test(safe, load_app_command_is_honoured)
{
    write_rtc_cmd(BOOT_CMD_LOAD_APP, 0, 0, 0);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "@s:0\nld\n"), "console: %s", b->console);
}

/* A cut during the Updater's own journal write (the last flash op of end(), before the RTC
 * command): torn, the record is ignored and the old app boots; the next update still works. */
Test(safe, torn_pending_record_from_end_is_ignored)
{
    flashsim_snapshot_t *s = flashsim_snapshot(b->fs);
    uint32_t op0 = flashsim_op_count(b->fs);
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    uint32_t last = flashsim_op_count(b->fs) - 1 - op0;
    for (unsigned seed = 1; seed <= 8; seed++) {
        flashsim_restore(b->fs, s);
        char plan[64];
        snprintf(plan, sizeof(plan), "seed=%u;cut@op=%u:torn", seed, last);
        bt_plan(b, plan);
        cr_assert(!bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
        cr_assert_eq(flashsim_fault_fired(b->fs, 0), 1u);
        bt_plan(b, NULL);
        flashsim_power_loss(b->fs);
        cr_assert_eq(bt_boot(b), BT_APP);
        cr_assert(bt_console_has(b, "~s:0\nld\n"), "seed %u: %s", seed, b->console);
        cr_assert_eq(bt_flash_state(b), BT_FLASH_OLD);
        cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
        flashsim_power_loss(b->fs);
        cr_assert_eq(bt_boot(b), BT_APP);
        cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW, "seed %u", seed);
    }
    flashsim_snapshot_unref(s);
}

/* The host build without the inflater (boot_safe_raw, what a "safeboot-raw" image runs on the
 * native target, like the ESP8266 and QEMU builds): a gzip stage placed by hand (the Updater
 * refuses to make one) is refused before anything is erased and the old app boots. */
Test(safe, raw_build_refuses_a_gzip_stage)
{
    bt_free(b);
    b = bt_new("4m1m", BOOT_MODE_SAFE_RAW, old_p, old_n);
    size_t gz_n;
    uint8_t *gz = tb_gzip(new_p, new_n, &gz_n);
    bt_stage(b, gz, gz_n, stage_addr(gz_n), 0, new_p, new_n);
    uint64_t before = erases_below(b->layout.fs_end);
    cr_assert_eq(bt_boot(b), BT_APP);
    cr_assert(bt_console_has(b, "chk:12\n"), "console: %s", b->console);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_OLD);
    cr_assert_eq(erases_below(b->layout.fs_end), before);
    free(gz);
}

/* Control: the same stage on the gzip-capable build is applied (so the refusal above is the
 * build's, not the stage's), and the raw build copies a raw stage. */
Test(safe, raw_build_control_gzip_and_raw_stages)
{
    size_t gz_n;
    uint8_t *gz = tb_gzip(new_p, new_n, &gz_n);
    bt_stage(b, gz, gz_n, stage_addr(gz_n), 0, new_p, new_n);
    cr_assert_eq(bt_boot_until_app(b, 4), BT_APP);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW, "console: %s", b->console);
    free(gz);
    bt_free(b);
    b = bt_new("4m1m", BOOT_MODE_SAFE_RAW, old_p, old_n);
    bt_stage(b, new_p, new_n, stage_addr(new_n), 0, new_p, new_n);
    cr_assert_eq(bt_boot_until_app(b, 4), BT_APP);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW, "console: %s", b->console);
}
