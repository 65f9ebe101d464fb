/* The flash journal (firmware/core/journal.c): record format, torn-write detection, ping-pong
 * sector switching, cuts at every op of a series of appends; and layout_for_safe_boot(). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flashsim.h"
#include "journal.h"
#include "layout.h"
#include "native_port.h"

#define FLASH (1024u * 1024u)

static flashsim_t *fs;
static uint32_t base;

static void setup(void)
{
    flashsim_config_t cfg = {.size = FLASH, .seed = 3};
    fs = flashsim_new(&cfg);
    native_port_config_t pc;
    native_port_default_config(&pc);
    native_port_attach(fs, &pc);
    base = journal_area(FLASH);
}

static void teardown(void)
{
    native_port_detach();
    flashsim_free(fs);
}

TestSuite(journal, .init = setup, .fini = teardown);

static journal_rec_t rec_for(uint32_t k)
{
    journal_rec_t r = {0};
    r.state = (uint8_t)(JOURNAL_PENDING + k % 5u);
    r.flags = (uint8_t)k;
    r.src = 0x100000u + k * 0x1000u;
    r.dst = k;
    r.size = 1000u + k;
    r.progress = k * 3u;
    r.out_len = k << 12;
    r.out_crc = k * 0x9E3779B9u;
    r.boot_crc = ~k;
    return r;
}

static void assert_same(const journal_rec_t *a, const journal_rec_t *b)
{
    cr_assert_eq(a->seq, b->seq);
    cr_assert_eq(a->state, b->state);
    cr_assert_eq(a->flags, b->flags);
    cr_assert_eq(a->src, b->src);
    cr_assert_eq(a->dst, b->dst);
    cr_assert_eq(a->size, b->size);
    cr_assert_eq(a->progress, b->progress);
    cr_assert_eq(a->out_len, b->out_len);
    cr_assert_eq(a->out_crc, b->out_crc);
    cr_assert_eq(a->boot_crc, b->boot_crc);
}

static void arm(const char *plan)
{
    char err[96];
    flashsim_plan_t *p = flashsim_plan_parse(plan, err, sizeof(err));
    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(flashsim_set_plan(fs, p, flashsim_op_count(fs)), FLASHSIM_OK);
    flashsim_plan_free(p);
}

Test(journal, every_single_bit_flip_of_a_record_is_detected)
{
    journal_rec_t r = rec_for(3), back;
    r.seq = 77;
    uint8_t raw[JOURNAL_REC_SIZE];
    journal_encode(&r, raw);
    cr_assert(journal_decode(raw, &back));
    assert_same(&r, &back);
    for (unsigned bit = 0; bit < JOURNAL_REC_SIZE * 8; bit++) {
        raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert(!journal_decode(raw, &back), "bit %u flipped and still accepted", bit);
        raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}

Test(journal, empty_then_appends_survive_reopen)
{
    journal_t j;
    cr_assert_eq(journal_open(&j, base), HAL_OK);
    cr_assert(!j.have);
    for (uint32_t k = 0; k < 5; k++) {
        journal_rec_t r = rec_for(k);
        cr_assert_eq(journal_append(&j, &r), HAL_OK);
        cr_assert_eq(r.seq, k + 1);
        journal_t again;
        cr_assert_eq(journal_open(&again, base), HAL_OK);
        cr_assert(again.have);
        assert_same(&again.last, &r);
    }
}

Test(journal, sector_switch_erases_only_the_other_sector_and_rarely)
{
    journal_t j;
    journal_open(&j, base);
    uint32_t s0 = journal_log_addr(base, 0) / 4096u, s1 = journal_log_addr(base, 1) / 4096u;
    for (uint32_t k = 0; k < 300; k++) {
        journal_rec_t r = rec_for(k);
        cr_assert_eq(journal_append(&j, &r), HAL_OK);
        journal_t again;
        journal_open(&again, base);
        assert_same(&again.last, &r);
    }
    /* 300 records, 64 per sector: sector 0 is filled first (no erase), then the writer
     * alternates, erasing one sector per 64 records. */
    uint32_t erases = flashsim_erase_count(fs, s0) + flashsim_erase_count(fs, s1);
    cr_assert_eq(erases, 300u / JOURNAL_SLOTS, "erases %u", erases);
    cr_assert_eq(flashsim_erase_count(fs, journal_stash_addr(base) / 4096u), 0u);
}

Test(journal, torn_append_is_ignored_and_its_slot_skipped)
{
    journal_t j;
    journal_open(&j, base);
    journal_rec_t r0 = rec_for(0);
    journal_append(&j, &r0);
    flashsim_snapshot_t *s = flashsim_snapshot(fs);
    for (unsigned seed = 1; seed <= 20; seed++) {
        flashsim_restore(fs, s);
        char plan[64];
        snprintf(plan, sizeof(plan), "seed=%u;cut@op=0:torn", seed);
        arm(plan);
        journal_open(&j, base);
        journal_rec_t r1 = rec_for(1);
        cr_assert_eq(journal_append(&j, &r1), HAL_ERR_POWER);
        flashsim_power_loss(fs);
        flashsim_set_plan(fs, NULL, 0);
        journal_open(&j, base);
        assert_same(&j.last, &r0); /* the torn record does not count */
        uint8_t slot1[JOURNAL_REC_SIZE];
        flashsim_peek(fs, journal_log_addr(base, 0) + JOURNAL_REC_SIZE, slot1, sizeof(slot1));
        bool torn_bits = false;
        for (unsigned i = 0; i < sizeof(slot1); i++)
            torn_bits |= slot1[i] != 0xFF;
        journal_rec_t r2 = rec_for(2);
        cr_assert_eq(journal_append(&j, &r2), HAL_OK);
        cr_assert_eq(r2.seq, 2u);
        journal_t again;
        journal_open(&again, base);
        assert_same(&again.last, &r2);
        if (torn_bits) { /* never programmed over the torn slot */
            uint8_t now[JOURNAL_REC_SIZE];
            flashsim_peek(fs, journal_log_addr(base, 0) + JOURNAL_REC_SIZE, now, sizeof(now));
            cr_assert_eq(memcmp(now, slot1, sizeof(now)), 0);
        }
    }
    flashsim_snapshot_unref(s);
}

Test(journal, torn_erase_during_the_switch_keeps_the_newest_record)
{
    journal_t j;
    journal_open(&j, base);
    journal_rec_t r;
    for (uint32_t k = 0; k < JOURNAL_SLOTS; k++) {
        r = rec_for(k);
        journal_append(&j, &r);
    }
    /* Put stale garbage in sector 1, as an old generation would. */
    uint8_t junk[4096];
    for (unsigned i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 31u);
    flashsim_poke(fs, journal_log_addr(base, 1), junk, sizeof(junk));
    arm("seed=5;cut@op=0:torn:weak"); /* the erase of sector 1 */
    journal_open(&j, base);
    journal_rec_t next = rec_for(99);
    cr_assert_eq(journal_append(&j, &next), HAL_ERR_POWER);
    flashsim_power_loss(fs);
    flashsim_set_plan(fs, NULL, 0);
    journal_open(&j, base);
    assert_same(&j.last, &r);
    cr_assert_eq(journal_append(&j, &next), HAL_OK);
    journal_open(&j, base);
    assert_same(&j.last, &next);
    cr_assert_eq(j.sector, 1u);
}

/* The sector switch checks that every slot of the newly erased sector reads erased before it
 * uses any: a bit stuck at 0 deep in it (slot 40) makes the writer erase it once more and then
 * give up, leaving the newest record where it was; a failed first erase is retried. */
Test(journal, switch_verifies_the_whole_erased_sector)
{
    journal_t j;
    journal_open(&j, base);
    journal_rec_t r;
    for (uint32_t k = 0; k < JOURNAL_SLOTS; k++) {
        r = rec_for(k);
        cr_assert_eq(journal_append(&j, &r), HAL_OK);
    }
    uint32_t s1 = journal_log_addr(base, 1);
    char plan[96];
    snprintf(plan, sizeof plan, "stuck0@addr=%u:bit=2", s1 + 40u * JOURNAL_REC_SIZE + 5u);
    arm(plan);
    journal_rec_t next = rec_for(99);
    cr_assert_eq(journal_append(&j, &next), HAL_ERR_IO);
    cr_assert_eq(flashsim_erase_count(fs, s1 / 4096u), 2u);
    cr_assert_eq(flashsim_erase_count(fs, journal_log_addr(base, 0) / 4096u), 0u);
    journal_open(&j, base);
    assert_same(&j.last, &r);

    flashsim_set_plan(fs, NULL, 0);
    snprintf(plan, sizeof plan, "fail@addr=%u:erase:once", s1);
    arm(plan);
    journal_open(&j, base);
    cr_assert_eq(journal_append(&j, &next), HAL_OK);
    cr_assert_eq(flashsim_erase_count(fs, s1 / 4096u), 3u, "one failed erase, one retry");
    journal_open(&j, base);
    assert_same(&j.last, &next);
    cr_assert_eq(j.sector, 1u);
    cr_assert_eq(j.slot, 1u);
}

/* A cut (before / after / torn) at every op of 150 appends: the newest record is always the
 * last completed one or the one being written, intact. */
Test(journal, cut_at_every_op_of_a_series)
{
    flashsim_snapshot_t *s0 = flashsim_snapshot(fs);
    journal_t j;
    journal_open(&j, base);
    uint32_t op0 = flashsim_op_count(fs);
    for (uint32_t k = 0; k < 150; k++) {
        journal_rec_t r = rec_for(k);
        journal_append(&j, &r);
    }
    uint32_t nops = flashsim_op_count(fs) - op0;
    cr_assert_gt(nops, 150u);
    static const char *modes[] = {"", ":after", ":torn", ":torn:weak"};
    for (uint32_t cut = 0; cut < nops; cut++) {
        for (unsigned m = 0; m < 4; m++) {
            flashsim_restore(fs, s0);
            char plan[64];
            snprintf(plan, sizeof(plan), "seed=%u;cut@op=%u%s", cut * 4 + m + 1, cut, modes[m]);
            arm(plan);
            journal_open(&j, base);
            uint32_t k = 0;
            for (; k < 150; k++) {
                journal_rec_t r = rec_for(k);
                if (journal_append(&j, &r) != HAL_OK)
                    break;
            }
            cr_assert_lt(k, 150u, "cut %u never hit", cut);
            flashsim_power_loss(fs);
            flashsim_set_plan(fs, NULL, 0);
            journal_open(&j, base);
            /* k records completed; record k was being written */
            cr_assert(k == 0 ? (!j.have || j.last.seq == 1) : j.have, "cut %u%s", cut, modes[m]);
            if (j.have) {
                cr_assert(j.last.seq == k || j.last.seq == k + 1, "cut %u: seq %u after %u", cut,
                          j.last.seq, k);
                journal_rec_t want = rec_for(j.last.seq - 1);
                want.seq = j.last.seq;
                assert_same(&j.last, &want);
            }
            /* and the journal still works */
            journal_rec_t more = rec_for(500);
            cr_assert_eq(journal_append(&j, &more), HAL_OK, "cut %u%s", cut, modes[m]);
        }
    }
    flashsim_snapshot_unref(s0);
}

Test(journal, newest_is_found_across_a_sequence_wrap)
{
    journal_t j;
    journal_open(&j, base);
    j.have = true; /* pretend a long history */
    j.last.seq = 0xFFFFFFFDu;
    journal_rec_t r = rec_for(1);
    journal_append(&j, &r);
    cr_assert_eq(r.seq, 0xFFFFFFFEu);
    r = rec_for(2);
    journal_append(&j, &r);
    cr_assert_eq(r.seq, 0xFFFFFFFFu);
    r = rec_for(3);
    journal_append(&j, &r);
    cr_assert_eq(r.seq, 0u);
    journal_open(&j, base);
    assert_same(&j.last, &r);
}

Test(journal, record_pending_uses_the_chip_size)
{
    cr_assert_eq(journal_record_pending(0x80000, 0, 12345), HAL_OK);
    journal_t j;
    journal_open(&j, journal_area(FLASH));
    cr_assert(j.have);
    cr_assert_eq(j.last.state, JOURNAL_PENDING);
    cr_assert_eq(j.last.src, 0x80000u);
    cr_assert_eq(j.last.size, 12345u);
}

/* ---- layout_for_safe_boot ---- */

Test(safe_layout, journal_area_is_outside_fs_and_stage_in_every_layout)
{
    for (unsigned i = 0; i < layout_count(); i++) {
        flash_layout_t l, s;
        cr_assert(layout_by_name(layout_name(i), 0, &l));
        cr_assert(layout_for_safe_boot(&l, l.flash_size, &s), "%s", layout_name(i));
        uint32_t a = journal_area(l.flash_size);
        cr_assert_eq(a + JOURNAL_AREA_SIZE, l.eeprom_start, "%s: area not below EEPROM",
                     layout_name(i));
        cr_assert_leq(s.fs_end, a, "%s: FS reaches into the journal", layout_name(i));
        cr_assert_leq(s.fs_start, s.fs_end);
        cr_assert_leq(s.max_sketch, s.fs_start, "%s", layout_name(i));
        if (l.fs_start != l.fs_end) {
            cr_assert_eq(s.fs_start, l.fs_start, "%s: FS start moved", layout_name(i));
            cr_assert_eq(s.fs_end % l.fs_block_size, 0u, "%s", layout_name(i));
            cr_assert_gt(s.fs_end, l.fs_end - JOURNAL_AREA_SIZE - l.fs_block_size,
                         "%s: more FS taken than needed", layout_name(i));
        } else {
            cr_assert_eq(s.fs_start, a, "%s", layout_name(i));
        }
        cr_assert_eq(s.eeprom_start, l.eeprom_start);
        cr_assert_eq(s.rfcal_start, l.rfcal_start);
        cr_assert_eq(s.wifi_start, l.wifi_start);
    }
}

Test(safe_layout, bigger_chip_leaves_the_layout_alone_smaller_chip_fails)
{
    flash_layout_t l, s;
    cr_assert(layout_by_name("1m64", 0, &l));
    cr_assert(layout_for_safe_boot(&l, 4u * 1024u * 1024u, &s));
    cr_assert_eq(memcmp(&l, &s, sizeof(l)), 0);
    cr_assert(layout_by_name("4m2m", 0, &l));
    cr_assert(!layout_for_safe_boot(&l, 1024u * 1024u, &s));
}
