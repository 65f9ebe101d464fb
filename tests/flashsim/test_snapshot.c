/* Snapshots (copy-on-write state), restores, devices from snapshots, the operation hook, and
 * the record-and-branch reconstruction a power-cut sweep relies on. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "flashsim.h"

#define MIB (1u << 20)

static flashsim_t *dev(uint32_t size)
{
    flashsim_config_t cfg = {.size = size, .seed = 3};
    flashsim_t *fs = flashsim_new(&cfg);
    cr_assert_not_null(fs);
    return fs;
}

static void fill(flashsim_t *fs, uint32_t addr, uint8_t v, uint32_t len)
{
    uint8_t buf[FLASHSIM_SECTOR_SIZE];
    memset(buf, v, sizeof buf);
    cr_assert_eq(flashsim_program(fs, addr, buf, len), FLASHSIM_OK);
}

static uint8_t byte_at(const flashsim_t *fs, uint32_t addr)
{
    uint8_t b;
    flashsim_peek(fs, addr, &b, 1);
    return b;
}

Test(snapshot, restore_brings_back_the_whole_state)
{
    flashsim_t *fs = dev(MIB);
    fill(fs, 0x1000, 0x11, 64);
    flashsim_erase_sector(fs, 5);
    uint32_t cmd = 0xEB001000;
    flashsim_rtc_write(fs, 0x100, &cmd, 4);
    flashsim_snapshot_t *snap = flashsim_snapshot(fs);
    flashsim_stats_t before = flashsim_stats(fs);
    uint64_t t = flashsim_time_ns(fs);

    flashsim_erase_sector(fs, 1);
    flashsim_erase_sector(fs, 5);
    fill(fs, 0x80000, 0x22, 64);
    uint32_t other = 7;
    flashsim_rtc_write(fs, 0x100, &other, 4);
    cr_assert_eq(byte_at(fs, 0x1000), 0xFF);

    cr_assert_eq(flashsim_restore(fs, snap), FLASHSIM_OK);
    cr_assert_eq(byte_at(fs, 0x1000), 0x11);
    cr_assert_eq(byte_at(fs, 0x80000), 0xFF);
    cr_assert_eq(flashsim_erase_count(fs, 5), 1);
    cr_assert_eq(flashsim_erase_count(fs, 1), 0);
    uint32_t back;
    flashsim_rtc_read(fs, 0x100, &back, 4);
    cr_assert_eq(back, cmd);
    cr_assert_eq(flashsim_op_count(fs), 2);
    cr_assert_eq(flashsim_time_ns(fs), t);
    flashsim_stats_t after = flashsim_stats(fs);
    cr_assert_eq(after.programs, before.programs);
    cr_assert_eq(after.sector_erases, before.sector_erases);
    cr_assert_eq(flashsim_snapshot_op_count(snap), 2);
    cr_assert_eq(flashsim_snapshot_size(snap), MIB);
    flashsim_snapshot_unref(snap);
    flashsim_free(fs);
}

Test(snapshot, snapshots_are_independent_objects)
{
    flashsim_t *fs = dev(MIB);
    fill(fs, 0, 0x0F, 16);
    flashsim_snapshot_t *a = flashsim_snapshot(fs);
    fill(fs, 0, 0x03, 16); /* device changes after the snapshot: the snapshot does not */
    flashsim_snapshot_t *b = flashsim_snapshot(fs);
    uint8_t v;
    flashsim_snapshot_peek(a, 0, &v, 1);
    cr_assert_eq(v, 0x0F);
    flashsim_snapshot_peek(b, 0, &v, 1);
    cr_assert_eq(v, 0x03);
    flashsim_free(fs); /* snapshots outlive their device */

    flashsim_t *fa = flashsim_new_from_snapshot(a);
    flashsim_t *fa2 = flashsim_new_from_snapshot(a);
    cr_assert_eq(byte_at(fa, 0), 0x0F);
    cr_assert_eq(flashsim_op_count(fa), 1);
    fill(fa, 0, 0x01, 16); /* writes to one branch stay in it */
    cr_assert_eq(byte_at(fa2, 0), 0x0F);
    flashsim_snapshot_peek(a, 0, &v, 1);
    cr_assert_eq(v, 0x0F);

    uint32_t diff[4];
    cr_assert_eq(flashsim_snapshot_diff(a, b, diff, 4), 1);
    cr_assert_eq(diff[0], 0);
    cr_assert_eq(flashsim_snapshot_diff(a, a, diff, 4), 0);

    flashsim_snapshot_t *a2 = flashsim_snapshot_ref(a);
    flashsim_snapshot_unref(a);
    flashsim_snapshot_peek(a2, 0, &v, 1); /* still alive: one reference left */
    cr_assert_eq(v, 0x0F);
    flashsim_snapshot_unref(a2);
    flashsim_snapshot_unref(b);
    flashsim_snapshot_unref(NULL);
    flashsim_free(fa);
    flashsim_free(fa2);
}

Test(snapshot, sizes_must_match)
{
    flashsim_t *small = dev(512u << 10), *big = dev(MIB);
    flashsim_snapshot_t *s = flashsim_snapshot(small);
    cr_assert_eq(flashsim_restore(big, s), FLASHSIM_ERR_RANGE);
    flashsim_snapshot_t *b = flashsim_snapshot(big);
    cr_assert_eq(flashsim_snapshot_diff(s, b, NULL, 0), -1);
    cr_assert_eq(flashsim_diff(small, big, NULL, 0), -1);
    flashsim_snapshot_unref(s);
    flashsim_snapshot_unref(b);
    flashsim_free(small);
    flashsim_free(big);
}

Test(snapshot, restore_keeps_plan_and_stuck_bits_apply_again)
{
    flashsim_t *fs = dev(MIB);
    flashsim_snapshot_t *clean = flashsim_snapshot(fs);
    char err[64];
    flashsim_plan_t *p = flashsim_plan_parse("stuck0@addr=0x10:bit=0", err, sizeof err);
    flashsim_set_plan(fs, p, 0);
    flashsim_plan_free(p);
    cr_assert_eq(byte_at(fs, 0x10), 0xFE);
    flashsim_restore(fs, clean);
    cr_assert_eq(byte_at(fs, 0x10), 0xFE, "the armed plan still holds the bit");
    flashsim_set_plan(fs, NULL, 0);
    flashsim_restore(fs, clean);
    cr_assert_eq(byte_at(fs, 0x10), 0xFF);
    flashsim_snapshot_unref(clean);
    flashsim_free(fs);
}

/* ---- hook ---- */

typedef struct {
    flashsim_hook_event_t ev[32];
    int n;
} events_t;

static void record_events(flashsim_t *fs, const flashsim_hook_event_t *ev, void *ctx)
{
    (void)fs;
    events_t *e = ctx;
    if (e->n < 32)
        e->ev[e->n++] = *ev;
}

Test(hook, before_each_page_and_after_each_op)
{
    flashsim_t *fs = dev(MIB);
    events_t e = {0};
    flashsim_set_hook(fs, record_events, &e);
    uint8_t data[600] = {0};
    flashsim_program(fs, 0x10F0, data, 600); /* pieces: 16, 256, 256, 72 bytes */
    flashsim_erase_sector(fs, 9);
    cr_assert_eq(e.n, 7);
    uint32_t piece_addr[] = {0x10F0, 0x1100, 0x1200, 0x1300}, piece_len[] = {16, 256, 256, 72};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(e.ev[i].phase, FLASHSIM_HOOK_BEFORE);
        cr_assert_eq(e.ev[i].kind, FLASHSIM_OP_PROGRAM);
        cr_assert_eq(e.ev[i].op, 0);
        cr_assert_eq(e.ev[i].page, (uint32_t)i);
        cr_assert_eq(e.ev[i].addr, piece_addr[i]);
        cr_assert_eq(e.ev[i].len, piece_len[i]);
        cr_assert_eq(e.ev[i].data, data + (piece_addr[i] - 0x10F0));
    }
    cr_assert_eq(e.ev[4].phase, FLASHSIM_HOOK_AFTER);
    cr_assert_eq(e.ev[4].page, 4);
    cr_assert_eq(e.ev[4].status, FLASHSIM_OK);
    cr_assert_eq(e.ev[5].kind, FLASHSIM_OP_ERASE_SECTOR);
    cr_assert_eq(e.ev[5].op, 1);
    cr_assert_eq(e.ev[5].addr, 0x9000);
    cr_assert_eq(e.ev[6].phase, FLASHSIM_HOOK_AFTER);
    flashsim_set_hook(fs, NULL, NULL);
    flashsim_erase_sector(fs, 9);
    cr_assert_eq(e.n, 7);
    flashsim_free(fs);
}

static void misbehave(flashsim_t *fs, const flashsim_hook_event_t *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    flashsim_erase_sector(fs, 0);
}

Test(hook, operating_from_a_hook_aborts, .signal = SIGABRT)
{
    flashsim_t *fs = dev(MIB);
    flashsim_set_hook(fs, misbehave, NULL);
    flashsim_erase_sector(fs, 1);
}

/* ---- record and branch ---- */

#define MAXPTS 64
typedef struct {
    flashsim_snapshot_t *snap[MAXPTS];
    uint32_t op[MAXPTS], page[MAXPTS];
    bool after[MAXPTS];
    int n;
} recording_t;

static void record_points(flashsim_t *fs, const flashsim_hook_event_t *ev, void *ctx)
{
    recording_t *r = ctx;
    cr_assert_lt(r->n, MAXPTS);
    r->snap[r->n] = flashsim_snapshot(fs);
    r->op[r->n] = ev->op;
    r->page[r->n] = ev->page;
    r->after[r->n] = ev->phase == FLASHSIM_HOOK_AFTER;
    r->n++;
}

/* A small "update": erase two sectors, program them in 3 chunks (one crossing pages). */
static void update_run(flashsim_t *fs)
{
    uint8_t img[FLASHSIM_SECTOR_SIZE];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i * 13 + 5);
    flashsim_erase_sector(fs, 20);
    flashsim_erase_sector(fs, 21);
    flashsim_program(fs, 20 * FLASHSIM_SECTOR_SIZE, img, 1000 & ~3u);
    flashsim_program(fs, 20 * FLASHSIM_SECTOR_SIZE + 1000, img, 512);
    flashsim_program(fs, 21 * FLASHSIM_SECTOR_SIZE, img, 256);
}

static flashsim_t *base_device(void)
{
    flashsim_t *fs = dev(MIB);
    uint8_t old[8192];
    memset(old, 0x42, sizeof old);
    flashsim_poke(fs, 20 * FLASHSIM_SECTOR_SIZE, old, sizeof old);
    return fs;
}

Test(branch, snapshots_from_the_hook_equal_cut_runs)
{
    recording_t r = {0};
    flashsim_t *rec = base_device();
    flashsim_set_hook(rec, record_points, &r);
    update_run(rec);
    cr_assert_eq(r.n, 2 * 2 + (4 + 1) + (3 + 1) + (1 + 1), "steps + one after per op");

    for (int i = 0; i < r.n; i++) {
        flashsim_t *cut = base_device();
        char text[64];
        if (r.after[i])
            snprintf(text, sizeof text, "cut@op=%u:after", r.op[i]);
        else
            snprintf(text, sizeof text, "cut@op=%u:page=%u", r.op[i], r.page[i]);
        char err[64];
        flashsim_plan_t *p = flashsim_plan_parse(text, err, sizeof err);
        flashsim_set_plan(cut, p, 0);
        flashsim_plan_free(p);
        update_run(cut);
        cr_assert_eq(flashsim_fault_fired(cut, 0), 1, "%s fired", text);

        flashsim_t *branch = flashsim_new_from_snapshot(r.snap[i]);
        cr_assert_eq(flashsim_diff(cut, branch, NULL, 0), 0, "%s: same flash", text);
        cr_assert_eq(flashsim_op_count(branch), r.op[i] + 1, "%s: the op was started", text);
        cr_assert_eq(flashsim_op_count(cut), r.op[i] + 1, "%s: later calls did not count", text);
        for (uint32_t s = 20; s < 22; s++)
            cr_assert_eq(flashsim_erase_count(cut, s), flashsim_erase_count(branch, s));
        flashsim_free(branch);
        flashsim_free(cut);
    }
    /* A torn branch: restore the snapshot before op 2 page 1 and tear that page. */
    for (int i = 0; i < r.n; i++) {
        if (r.after[i] || r.op[i] != 2 || r.page[i] != 1)
            continue;
        flashsim_t *cut = base_device();
        char err[64];
        flashsim_plan_t *p = flashsim_plan_parse("seed=9;cut@op=2:page=1:torn", err, sizeof err);
        flashsim_set_plan(cut, p, 0);
        flashsim_plan_free(p);
        update_run(cut);
        uint8_t img[FLASHSIM_SECTOR_SIZE];
        for (size_t k = 0; k < sizeof img; k++)
            img[k] = (uint8_t)(k * 13 + 5);
        flashsim_t *branch = flashsim_new_from_snapshot(r.snap[i]);
        cr_assert_eq(
            flashsim_tear_program(branch, 20 * FLASHSIM_SECTOR_SIZE + 256, img + 256, 256, 9, 2, 1),
            FLASHSIM_OK);
        cr_assert_eq(flashsim_diff(cut, branch, NULL, 0), 0, "torn branch rebuilt");
        flashsim_free(branch);
        flashsim_free(cut);
    }
    for (int i = 0; i < r.n; i++)
        flashsim_snapshot_unref(r.snap[i]);
    flashsim_free(rec);
}

Test(hook, after_reports_failures_and_is_skipped_by_cuts)
{
    flashsim_t *fs = dev(MIB);
    char err[64];
    flashsim_plan_t *p =
        flashsim_plan_parse("fail@op=0;fail@op=1;cut@op=2;cut@op=3:torn", err, sizeof err);
    flashsim_set_plan(fs, p, 0);
    flashsim_plan_free(p);
    events_t e = {0};
    flashsim_set_hook(fs, record_events, &e);
    uint8_t z[8] = {0};
    flashsim_program(fs, 0, z, 8);
    flashsim_erase_sector(fs, 0);
    cr_assert_eq(e.n, 2, "failed ops: no step ran, but AFTER reports them");
    cr_assert_eq(e.ev[0].phase, FLASHSIM_HOOK_AFTER);
    cr_assert_eq(e.ev[0].status, FLASHSIM_ERR_IO);
    cr_assert_eq(e.ev[1].kind, FLASHSIM_OP_ERASE_SECTOR);
    cr_assert_eq(e.ev[1].status, FLASHSIM_ERR_IO);
    flashsim_program(fs, 0, z, 8);
    flashsim_warm_reset(fs);
    flashsim_erase_sector(fs, 0);
    cr_assert_eq(e.n, 4, "cut ops: BEFORE only");
    cr_assert_eq(e.ev[2].phase, FLASHSIM_HOOK_BEFORE);
    cr_assert_eq(e.ev[3].phase, FLASHSIM_HOOK_BEFORE);
    flashsim_free(fs);
}
