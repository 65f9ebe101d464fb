/* Power-cut loops over EVERY flash operation of the bootloader's boot after an update (the
 * copy, the stash, the journal records): each op is cut before it, after it, torn at its
 * first page, and torn in the middle of it (weak bits for erases), each with RTC memory
 * zeroed, filled with garbage, or kept (warm reset). After the cut the device boots again
 * (no faults) until an app starts. Safe mode: every branch must end with the old app intact
 * or the new one complete (a changed bootloader sector is bricked only by a cut inside its
 * own erase/program, which no bootloader can avoid: the ROM needs sector 0). eboot mode: the
 * same loop shows its known weakness (branches that end neither old nor new). Every branch
 * checks that its fault fired; a sampled double-cut loop cuts the recovery boot too. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootlib.h"
#include "journal.h"
#include "testlib.h"
#include "updater.h"

typedef struct opinfo {
    uint32_t addr, len;
    uint8_t kind;
} opinfo_t;

typedef struct tally {
    unsigned branches, new_, old, brick_s0, bad;
} tally_t;

/* The unfaulted control run from the snapshot: the ops of the boot, in order. */
static size_t control(bt_t *b, flashsim_snapshot_t *s, opinfo_t **ops)
{
    flashsim_restore(b->fs, s);
    flashsim_trace_clear(b->fs);
    cr_assert_eq(bt_boot(b), BT_APP, "control: %s", b->console);
    cr_assert_eq(bt_flash_state(b), BT_FLASH_NEW, "control run did not install the update");
    size_t n, k = 0;
    const flashsim_trace_entry_t *t = flashsim_trace(b->fs, &n);
    *ops = calloc(n + 1, sizeof(**ops));
    for (size_t i = 0; i < n; i++)
        if (t[i].kind == FLASHSIM_OP_PROGRAM || t[i].kind == FLASHSIM_OP_ERASE_SECTOR)
            (*ops)[k++] = (opinfo_t){t[i].addr, t[i].len, t[i].kind};
    return k;
}

static const char *rtc_names[3] = {"zero", "garbage", "warm"};

/* Classify what the device ended with after the recovery boots. */
static void classify(bt_t *b, bt_outcome_t o, uint32_t cut_addr, const char *what, tally_t *t)
{
    t->branches++;
    if (o == BT_APP && b->start.version == 2 && bt_flash_state(b) == BT_FLASH_NEW)
        t->new_++;
    else if (o == BT_APP && b->start.version == 1 && bt_flash_state(b) == BT_FLASH_OLD)
        t->old++;
    else if (o == BT_BRICK && cut_addr < 0x1000)
        t->brick_s0++;
    else {
        t->bad++;
        if (t->bad <= 3)
            cr_log_info("%s: outcome %d, version %u, flash %d; console: %s", what, o,
                        b->start.version, bt_flash_state(b), b->console);
    }
}

static void end_power(bt_t *b, unsigned rtc)
{
    if (rtc == 2)
        flashsim_warm_reset(b->fs);
    else
        flashsim_power_loss(b->fs); /* the armed plan says zero or garbage */
    bt_plan(b, NULL);
}

static tally_t sweep(bt_t *b, const char *label)
{
    flashsim_snapshot_t *s = flashsim_snapshot(b->fs);
    opinfo_t *ops;
    size_t n = control(b, s, &ops);
    tally_t t = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned pages = ops[i].kind == FLASHSIM_OP_PROGRAM ? (ops[i].len + 255u) / 256u : 1u;
        for (unsigned m = 0; m < 4; m++) {
            for (unsigned rtc = 0; rtc < 3; rtc++) {
                char plan[128], what[160];
                const char *mode = m == 0 ? "" : m == 1 ? ":after" : m == 2 ? ":torn" : "";
                char extra[32] = "";
                if (m == 3)
                    snprintf(extra, sizeof(extra),
                             ops[i].kind == FLASHSIM_OP_PROGRAM ? ":page=%u:torn" : ":torn:weak",
                             pages / 2);
                snprintf(plan, sizeof(plan), "seed=%zu;rtc=%s;cut@op=%zu%s%s",
                         i * 12 + m * 3 + rtc + 1, rtc == 1 ? "garbage" : "zero", i, mode, extra);
                snprintf(what, sizeof(what), "%s %s (%s)", label, plan, rtc_names[rtc]);
                flashsim_restore(b->fs, s);
                bt_plan(b, plan);
                cr_assert_eq(bt_boot(b), BT_CUT, "%s: the cut did not happen", what);
                cr_assert_eq(flashsim_fault_fired(b->fs, 0), 1u, "%s: fault did not fire", what);
                end_power(b, rtc);
                classify(b, bt_boot_until_app(b, 4), ops[i].addr, what, &t);
            }
        }
    }
    /* Double cuts, sampled: a second cut during the first recovery boot. */
    for (size_t i = 0; i < n; i += 5) {
        for (unsigned j = 1; j < 40; j += 9) {
            char plan[96], what[160];
            flashsim_restore(b->fs, s);
            snprintf(plan, sizeof(plan), "seed=%zu;cut@op=%zu:torn", i + j, i);
            bt_plan(b, plan);
            cr_assert_eq(bt_boot(b), BT_CUT);
            end_power(b, 0);
            snprintf(plan, sizeof(plan), "seed=%zu;rtc=garbage;cut@op=%u:torn", i * j, j);
            bt_plan(b, plan);
            bt_outcome_t o = bt_boot(b);
            if (o != BT_CUT || flashsim_fault_fired(b->fs, 0) == 0) {
                bt_plan(b, NULL);
                continue; /* the recovery needed fewer ops: an invalid branch, not counted */
            }
            size_t nev;
            uint32_t second = flashsim_fault_log(b->fs, &nev)[0].addr; /* what the 2nd cut hit */
            end_power(b, 1);
            snprintf(what, sizeof(what), "%s double cut %zu then %u", label, i, j);
            classify(b, bt_boot_until_app(b, 4), second, what, &t);
        }
    }
    fprintf(stderr,
            "sweep %s: %zu ops, %u branches: new %u, old %u, brick(sector 0 op) %u, bad %u\n",
            label, n, t.branches, t.new_, t.old, t.brick_s0, t.bad);
    free(ops);
    flashsim_snapshot_unref(s);
    return t;
}

static bt_t *device(boot_mode_t mode, uint8_t **old_p, size_t *old_n)
{
    *old_p = bt_pair("basic", 1, 60000, 1, NULL, old_n);
    return bt_new("4m1m", mode, *old_p, *old_n);
}

Test(sweep, safe_raw)
{
    size_t old_n, new_n;
    uint8_t *old_p;
    bt_t *b = device(BOOT_MODE_SAFE, &old_p, &old_n);
    uint8_t *new_p = bt_pair("basic", 2, 70000, 2, old_p, &new_n);
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    tally_t t = sweep(b, "safe raw");
    cr_assert_eq(t.bad + t.brick_s0, 0u);
    cr_assert_gt(t.new_, 0u);
    bt_free(b);
    free(old_p);
    free(new_p);
}

Test(sweep, safe_gzip)
{
    size_t old_n, new_n, gz_n;
    uint8_t *old_p;
    bt_t *b = device(BOOT_MODE_SAFE, &old_p, &old_n);
    uint8_t *new_p = bt_pair("basic", 2, 70000, 2, old_p, &new_n);
    uint8_t *gz = tb_gzip(new_p, new_n, &gz_n);
    cr_assert(bt_update(b, gz, gz_n, U_FLASH, false, new_p, new_n));
    tally_t t = sweep(b, "safe gzip");
    cr_assert_eq(t.bad + t.brick_s0, 0u);
    bt_free(b);
    free(old_p);
    free(new_p);
    free(gz);
}

Test(sweep, safe_overlap)
{
    size_t old_n, new_n;
    uint8_t *old_p;
    bt_t *b = device(BOOT_MODE_SAFE, &old_p, &old_n);
    uint8_t *new_p = bt_pair("basic", 2, 200000, 2, old_p, &new_n);
    bt_stage(b, new_p, new_n, 0x10000, 0, new_p, new_n); /* gap 16 sectors, image 49 */
    tally_t t = sweep(b, "safe overlap");
    cr_assert_eq(t.bad + t.brick_s0, 0u);
    bt_free(b);
    free(old_p);
    free(new_p);
}

Test(sweep, safe_sector0_changes)
{
    size_t old_n, new_n;
    uint8_t *old_p;
    bt_t *b = device(BOOT_MODE_SAFE, &old_p, &old_n);
    uint8_t *new_p = bt_pair("basic", 2, 70000, 2, NULL, &new_n);
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    tally_t t = sweep(b, "safe sector-0 change");
    cr_assert_eq(t.bad, 0u);
    bt_free(b);
    free(old_p);
    free(new_p);
}

Test(sweep, safe_overlap_sector0_changes)
{
    size_t old_n, new_n;
    uint8_t *old_p;
    bt_t *b = device(BOOT_MODE_SAFE, &old_p, &old_n);
    uint8_t *new_p = bt_pair("basic", 2, 200000, 2, NULL, &new_n);
    bt_stage(b, new_p, new_n, 0x10000, 0, new_p, new_n);
    tally_t t = sweep(b, "safe overlap + sector-0 change");
    cr_assert_eq(t.bad, 0u);
    bt_free(b);
    free(old_p);
    free(new_p);
}

/* The "before" picture: the same loop on eboot finds branches that end neither old nor new. */
Test(sweep, eboot_raw_shows_the_weakness)
{
    size_t old_n, new_n;
    uint8_t *old_p;
    bt_t *b = device(BOOT_MODE_EBOOT, &old_p, &old_n);
    uint8_t *new_p = bt_pair("basic", 2, 70000, 2, old_p, &new_n);
    cr_assert(bt_update(b, new_p, new_n, U_FLASH, false, new_p, new_n));
    tally_t t = sweep(b, "eboot raw");
    cr_assert_gt(t.bad, 0u, "eboot survived every power cut: the weakness is gone");
    bt_free(b);
    free(old_p);
    free(new_p);
}
