/* Fault plans on a device: power cuts (before/after/page/torn), torn erase and weak bits, flips,
 * stuck bits, failing operations, the fault log and unfired plans, RTC garbage. */
#include <criterion/criterion.h>
#include <string.h>

#include "flashsim.h"

#define MIB (1u << 20)

static flashsim_t *dev(uint64_t seed)
{
    flashsim_config_t cfg = {.size = MIB, .seed = seed};
    flashsim_t *fs = flashsim_new(&cfg);
    cr_assert_not_null(fs);
    return fs;
}

static void arm(flashsim_t *fs, const char *text, uint32_t base)
{
    char err[128];
    flashsim_plan_t *p = flashsim_plan_parse(text, err, sizeof err);
    cr_assert_not_null(p, "%s: %s", text, err);
    cr_assert_eq(flashsim_set_plan(fs, p, base), FLASHSIM_OK);
    flashsim_plan_free(p);
}

static uint32_t popcount_buf(const uint8_t *p, size_t n)
{
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += (uint32_t)__builtin_popcount(p[i]);
    return c;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

static uint8_t byte_at_zero(const flashsim_t *fs)
{
    uint8_t b;
    flashsim_peek(fs, 0, &b, 1);
    return b;
}

Test(cut, before_op_leaves_chip_unchanged_and_blocks_until_reset)
{
    flashsim_t *fs = dev(1);
    arm(fs, "cut@op=1", 0);
    uint8_t z[8] = {0}, out[8];
    cr_assert_eq(flashsim_program(fs, 0, z, 8), FLASHSIM_OK);         /* op 0 */
    cr_assert_eq(flashsim_program(fs, 64, z, 8), FLASHSIM_ERR_POWER); /* op 1: cut */
    cr_assert_not(flashsim_powered(fs));
    flashsim_peek(fs, 64, out, 8);
    cr_assert(all_bytes(out, 8, 0xFF));
    cr_assert_eq(flashsim_read(fs, 0, out, 8), FLASHSIM_ERR_POWER);
    cr_assert_eq(flashsim_erase_sector(fs, 0), FLASHSIM_ERR_POWER);
    cr_assert_eq(flashsim_rtc_write(fs, 0, z, 4), FLASHSIM_ERR_POWER);
    cr_assert_eq(flashsim_op_count(fs), 2, "calls while power is off are not operations");
    flashsim_warm_reset(fs);
    cr_assert(flashsim_powered(fs));
    cr_assert_eq(flashsim_program(fs, 64, z, 8), FLASHSIM_OK, "op 2 runs normally");
    cr_assert_eq(flashsim_fault_fired(fs, 0), 1);
    cr_assert_eq(flashsim_faults_unfired(fs), 0);
    size_t n;
    const flashsim_fault_event_t *log = flashsim_fault_log(fs, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(log[0].kind, FLASHSIM_FAULT_CUT);
    cr_assert_eq(log[0].mode, FLASHSIM_CUT_BEFORE);
    cr_assert_eq(log[0].op, 1);
    cr_assert_eq(log[0].addr, 64);
    cr_assert_eq(log[0].item, 0);
    cr_assert_eq(flashsim_stats(fs).power_cuts, 1);
    flashsim_free(fs);
}

Test(cut, after_op_completes_it)
{
    flashsim_t *fs = dev(1);
    arm(fs, "cut@op=0:after", 0);
    cr_assert_eq(flashsim_erase_sector(fs, 3), FLASHSIM_ERR_POWER);
    cr_assert_eq(flashsim_erase_count(fs, 3), 1, "the erase happened");
    cr_assert_not(flashsim_powered(fs));
    flashsim_free(fs);

    fs = dev(1);
    uint8_t data[512];
    memset(data, 0x5A, sizeof data);
    arm(fs, "cut@op=0:after", 0);
    cr_assert_eq(flashsim_program(fs, 0x100, data, sizeof data), FLASHSIM_ERR_POWER);
    uint8_t out[512];
    flashsim_peek(fs, 0x100, out, sizeof out);
    cr_assert_arr_eq(out, data, sizeof data);
    flashsim_free(fs);
}

/* A program of 4 pages starting mid-page: pieces are [0x80,0x100) [0x100,0x200) [0x200,0x300)
 * [0x300,0x380) */
Test(cut, page_granularity_inside_a_multi_page_program)
{
    uint8_t data[0x300], out[0x400];
    memset(data, 0x00, sizeof data);
    for (int page = 0; page < 4; page++) {
        for (int after = 0; after < 2; after++) {
            flashsim_t *fs = dev(1);
            char plan[64];
            snprintf(plan, sizeof plan, "cut@op=0:page=%d%s", page, after ? ":after" : "");
            arm(fs, plan, 0);
            cr_assert_eq(flashsim_program(fs, 0x80, data, sizeof data), FLASHSIM_ERR_POWER);
            flashsim_peek(fs, 0, out, sizeof out);
            uint32_t written_end = page == 0 ? 0x80 : 0x100 * (uint32_t)page;
            if (after)
                written_end = page == 3 ? 0x380 : 0x100 * (uint32_t)(page + 1);
            for (uint32_t a = 0; a < sizeof out; a++) {
                uint8_t want = a >= 0x80 && a < written_end ? 0x00 : 0xFF;
                cr_assert_eq(out[a], want, "%s: byte 0x%x", plan, a);
            }
            size_t n;
            const flashsim_fault_event_t *log = flashsim_fault_log(fs, &n);
            cr_assert_eq(n, 1);
            cr_assert_eq(log[0].page, page);
            flashsim_free(fs);
        }
    }
}

Test(cut, page_past_the_op_never_fires_and_shows_as_unfired)
{
    flashsim_t *fs = dev(1);
    arm(fs, "cut@op=0:page=4;cut@op=1:page=1;cut@op=50", 0);
    uint8_t data[1024] = {0};
    cr_assert_eq(flashsim_program(fs, 0, data, 1024), FLASHSIM_OK, "4 pages: 0..3");
    cr_assert_eq(flashsim_erase_sector(fs, 0), FLASHSIM_OK, "an erase has only page 0");
    cr_assert_eq(flashsim_faults_unfired(fs), 3);
    cr_assert_eq(flashsim_fault_fired(fs, 0), 0);
    size_t n;
    flashsim_fault_log(fs, &n);
    cr_assert_eq(n, 0);
    flashsim_free(fs);
}

static void torn_program(uint64_t plan_seed, uint8_t *out, uint32_t *logged_bits)
{
    flashsim_t *fs = dev(99);
    uint8_t old[256], data[256];
    for (int i = 0; i < 256; i++) {
        old[i] = (uint8_t)(0xF0 | i);
        data[i] = (uint8_t)(i * 37);
    }
    flashsim_poke(fs, 0x1000, old, 256);
    char plan[64];
    snprintf(plan, sizeof plan, "seed=%llu;cut@op=0:torn", (unsigned long long)plan_seed);
    arm(fs, plan, 0);
    cr_assert_eq(flashsim_program(fs, 0x1000, data, 256), FLASHSIM_ERR_POWER);
    flashsim_peek(fs, 0x1000, out, 256);
    uint32_t landed = 0, possible = 0;
    for (int i = 0; i < 256; i++) {
        uint8_t clears = old[i] & ~data[i];
        cr_assert_eq(out[i] & ~old[i], 0, "no bit rises");
        cr_assert_eq((old[i] ^ out[i]) & ~clears, 0, "only bits the program clears change");
        landed += (uint32_t)__builtin_popcount(old[i] ^ out[i]);
        possible += (uint32_t)__builtin_popcount(clears);
    }
    cr_assert_gt(landed, possible / 4, "a sizeable subset landed");
    cr_assert_lt(landed, possible * 3 / 4, "but not all of it");
    size_t n;
    const flashsim_fault_event_t *log = flashsim_fault_log(fs, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(log[0].mode, FLASHSIM_CUT_TORN);
    cr_assert_eq(log[0].seed, plan_seed);
    cr_assert_eq(log[0].bits, landed);
    *logged_bits = landed;
    flashsim_free(fs);
}

Test(torn, program_clears_a_seeded_subset)
{
    uint8_t a[256], b[256], c[256];
    uint32_t na, nb, nc;
    torn_program(7, a, &na);
    torn_program(7, b, &nb);
    torn_program(8, c, &nc);
    cr_assert_arr_eq(a, b, 256, "same seed, same torn result");
    cr_assert_eq(na, nb);
    cr_assert(memcmp(a, c, 256) != 0, "another seed tears differently");
}

Test(torn, tear_program_api_matches_a_planned_torn_cut)
{
    uint8_t data[512];
    for (int i = 0; i < 512; i++)
        data[i] = (uint8_t)(i ^ 0x3C);
    flashsim_t *cut = dev(5), *direct = dev(5);
    uint8_t z[4] = {0};
    flashsim_program(cut, 0x8000, z, 4);
    flashsim_program(direct, 0x8000, z, 4);
    arm(cut, "seed=11;cut@op=1:page=1:torn", 0);
    cr_assert_eq(flashsim_program(cut, 0x2000, data, 512), FLASHSIM_ERR_POWER);
    /* rebuild: page 0 programmed, page 1 torn as op 1 page 1 */
    flashsim_poke(direct, 0x2000, data, 256);
    cr_assert_eq(flashsim_tear_program(direct, 0x2100, data + 256, 256, 11, 1, 1), FLASHSIM_OK);
    cr_assert_eq(flashsim_diff(cut, direct, NULL, 0), 0);
    cr_assert_eq(flashsim_tear_program(direct, 2, data, 4, 1, 0, 0), FLASHSIM_ERR_ALIGN);
    cr_assert_eq(flashsim_tear_program(direct, MIB, data, 4, 1, 0, 0), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_tear_erase(direct, 256, 1, 0, false), FLASHSIM_ERR_RANGE);
    flashsim_free(cut);
    flashsim_free(direct);
}

static void torn_erase(uint64_t seed, bool weak, uint8_t *out)
{
    flashsim_t *fs = dev(seed);
    uint8_t zero[FLASHSIM_SECTOR_SIZE] = {0};
    flashsim_program(fs, 0x3000, zero, sizeof zero);
    arm(fs, weak ? "cut@op=1:torn:weak" : "cut@op=1:torn", 0);
    cr_assert_eq(flashsim_erase_sector(fs, 3), FLASHSIM_ERR_POWER);
    flashsim_peek(fs, 0x3000, out, FLASHSIM_SECTOR_SIZE);
    uint32_t ones = popcount_buf(out, FLASHSIM_SECTOR_SIZE);
    cr_assert_gt(ones, FLASHSIM_SECTOR_SIZE * 8 / 4);
    cr_assert_lt(ones, FLASHSIM_SECTOR_SIZE * 8 * 3 / 4);
    cr_assert_eq(flashsim_erase_count(fs, 3), 1, "the interrupted erase counts as a cycle");
    flashsim_free(fs);
}

Test(torn, erase_sets_a_seeded_subset)
{
    static uint8_t a[FLASHSIM_SECTOR_SIZE], b[FLASHSIM_SECTOR_SIZE], c[FLASHSIM_SECTOR_SIZE];
    torn_erase(3, false, a);
    torn_erase(3, false, b);
    torn_erase(4, false, c);
    cr_assert_arr_eq(a, b, sizeof a, "same seed (device seed here), same result");
    cr_assert(memcmp(a, c, sizeof a) != 0);
}

Test(torn, weak_bits_read_differently_until_erased)
{
    flashsim_t *fs = dev(21);
    uint8_t zero[FLASHSIM_SECTOR_SIZE] = {0};
    flashsim_program(fs, 0, zero, sizeof zero);
    arm(fs, "cut@op=1:torn:weak", 0);
    cr_assert_eq(flashsim_erase_sector(fs, 0), FLASHSIM_ERR_POWER);
    flashsim_warm_reset(fs);
    static uint8_t r1[FLASHSIM_SECTOR_SIZE], r2[FLASHSIM_SECTOR_SIZE], raw[FLASHSIM_SECTOR_SIZE];
    flashsim_read(fs, 0, r1, sizeof r1);
    flashsim_read(fs, 0, r2, sizeof r2);
    flashsim_peek(fs, 0, raw, sizeof raw);
    cr_assert(memcmp(r1, r2, sizeof r1) != 0, "two reads of a weak sector differ");
    for (size_t i = 0; i < sizeof raw; i++) /* bits that are solid 1 read as 1 every time */
        cr_assert_eq(r1[i] & raw[i], raw[i]);
    /* Programming a weak bit to 0 makes it solid. */
    uint8_t z4[4] = {0}, back[4];
    flashsim_program(fs, 0, z4, 4);
    for (int k = 0; k < 10; k++) {
        flashsim_read(fs, 0, back, 4);
        cr_assert(all_bytes(back, 4, 0));
    }
    cr_assert_eq(flashsim_erase_sector(fs, 0), FLASHSIM_OK);
    flashsim_read(fs, 0, r1, sizeof r1);
    flashsim_read(fs, 0, r2, sizeof r2);
    cr_assert(all_bytes(r1, sizeof r1, 0xFF) && all_bytes(r2, sizeof r2, 0xFF),
              "an erase makes it solid again");
    flashsim_free(fs);
}

Test(torn, block_erase_tears_every_sector)
{
    flashsim_t *fs = dev(2);
    static uint8_t zero[FLASHSIM_BLOCK_SIZE];
    flashsim_poke(fs, FLASHSIM_BLOCK_SIZE, zero, sizeof zero);
    arm(fs, "cut@op=0:torn", 0);
    cr_assert_eq(flashsim_erase_block(fs, 1), FLASHSIM_ERR_POWER);
    uint8_t sec[FLASHSIM_SECTOR_SIZE];
    for (uint32_t s = 16; s < 32; s++) {
        flashsim_peek(fs, s * FLASHSIM_SECTOR_SIZE, sec, sizeof sec);
        uint32_t ones = popcount_buf(sec, sizeof sec);
        cr_assert(ones > 0 && ones < sizeof sec * 8, "sector %u is partly erased", s);
    }
    flashsim_free(fs);
}

Test(bits, flips_now_and_at_an_op)
{
    flashsim_t *fs = dev(1);
    arm(fs, "flip@addr=0x10:bit=0;flip@addr=0x11:bit=7:op=1", 0);
    uint8_t b[4];
    flashsim_peek(fs, 0x10, b, 2);
    cr_assert_eq(b[0], 0xFE, "immediate flip");
    cr_assert_eq(b[1], 0xFF);
    cr_assert_eq(flashsim_fault_fired(fs, 1), 0);
    uint8_t ff[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    flashsim_program(fs, 0x100, ff, 4); /* op 0 */
    flashsim_program(fs, 0x100, ff, 4); /* op 1: the flip fires first */
    flashsim_read(fs, 0x10, b, 4);
    cr_assert_eq(b[1], 0x7F);
    cr_assert_eq(flashsim_fault_fired(fs, 1), 1);
    size_t n;
    const flashsim_fault_event_t *log = flashsim_fault_log(fs, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(log[1].op, 1);
    cr_assert_eq(log[1].addr, 0x11);
    flashsim_free(fs);
}

Test(bits, stuck_bits_resist_erase_and_program)
{
    flashsim_t *fs = dev(1);
    uint8_t zero[8] = {0};
    flashsim_program(fs, 0x2000, zero, 8);
    arm(fs, "stuck0@addr=0x2004:bit=2;stuck1@addr=0x2001:bit=5", 0);
    uint8_t b[8];
    flashsim_read(fs, 0x2000, b, 8);
    cr_assert_eq(b[1], 0x20, "stuck at 1 applies at once");
    cr_assert_eq(flashsim_erase_sector(fs, 2), FLASHSIM_OK);
    flashsim_read(fs, 0x2000, b, 8);
    cr_assert_eq(b[4], 0xFB, "stuck at 0 survives the erase");
    cr_assert_eq(b[1], 0xFF);
    flashsim_program(fs, 0x2000, zero, 8);
    flashsim_read(fs, 0x2000, b, 8);
    cr_assert_eq(b[1], 0x20, "stuck at 1 survives programming");
    cr_assert_eq(b[4], 0x00);
    cr_assert_eq(flashsim_faults_unfired(fs), 0);
    cr_assert_eq(flashsim_fault_fired(fs, 0), 1, "fired when the erase tried to set it");
    cr_assert_eq(flashsim_fault_fired(fs, 1), 2, "at arming and after the program");
    flashsim_free(fs);
}

Test(fail, at_op_and_at_addresses)
{
    flashsim_t *fs = dev(1);
    arm(fs, "fail@op=1;fail@addr=0x5000:erase;fail@addr=0x6004:read:once;fail@addr=0x7000", 0);
    uint8_t z[8] = {0}, b[8];
    cr_assert_eq(flashsim_program(fs, 0, z, 8), FLASHSIM_OK);
    cr_assert_eq(flashsim_program(fs, 8, z, 8), FLASHSIM_ERR_IO, "op 1 fails");
    flashsim_peek(fs, 8, b, 8);
    cr_assert(all_bytes(b, 8, 0xFF), "without effect");
    cr_assert_eq(flashsim_program(fs, 0x5000, z, 8), FLASHSIM_OK, "erase-only failure");
    cr_assert_eq(flashsim_erase_sector(fs, 5), FLASHSIM_ERR_IO);
    flashsim_peek(fs, 0x5000, b, 8);
    cr_assert(all_bytes(b, 8, 0), "failed erase changed nothing");
    cr_assert_eq(flashsim_erase_block(fs, 0), FLASHSIM_ERR_IO, "the block holds 0x5000");
    cr_assert_eq(flashsim_read(fs, 0x6000, b, 8), FLASHSIM_ERR_IO);
    cr_assert_eq(flashsim_read(fs, 0x6000, b, 8), FLASHSIM_OK, "once");
    cr_assert_eq(flashsim_read(fs, 0x6008, b, 8), FLASHSIM_OK, "not overlapping");
    cr_assert_eq(flashsim_read(fs, 0x7000, b, 4), FLASHSIM_ERR_IO, "any access");
    cr_assert_eq(flashsim_program(fs, 0x6FFC, z, 8), FLASHSIM_ERR_IO, "any access");
    cr_assert_eq(flashsim_op_count(fs), 6, "failed operations still count");
    cr_assert_eq(flashsim_fault_fired(fs, 0), 1);
    cr_assert_eq(flashsim_fault_fired(fs, 1), 2);
    cr_assert_eq(flashsim_fault_fired(fs, 2), 1);
    cr_assert_eq(flashsim_fault_fired(fs, 3), 2);
    flashsim_free(fs);
}

Test(plan, op_base_counts_from_a_point)
{
    flashsim_t *fs = dev(1);
    uint8_t z[4] = {0};
    for (int i = 0; i < 10; i++)
        flashsim_program(fs, (uint32_t)i * 4, z, 4);
    arm(fs, "cut@op=2", flashsim_op_count(fs));
    cr_assert_eq(flashsim_program(fs, 100, z, 4), FLASHSIM_OK);
    cr_assert_eq(flashsim_program(fs, 104, z, 4), FLASHSIM_OK);
    cr_assert_eq(flashsim_program(fs, 108, z, 4), FLASHSIM_ERR_POWER, "device op 12");
    size_t n;
    cr_assert_eq(flashsim_fault_log(fs, &n)[0].op, 12);
    flashsim_free(fs);
}

Test(plan, arming_checks_addresses_and_resets_the_log)
{
    flashsim_t *fs = dev(1);
    char err[64];
    flashsim_plan_t *p = flashsim_plan_parse("flip@addr=0x100000:bit=1", err, sizeof err);
    cr_assert_eq(flashsim_set_plan(fs, p, 0), FLASHSIM_ERR_RANGE, "1 MiB chip");
    flashsim_plan_free(p);
    arm(fs, "flip@addr=0:bit=1", 0);
    size_t n;
    flashsim_fault_log(fs, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(flashsim_set_plan(fs, NULL, 0), FLASHSIM_OK);
    flashsim_fault_log(fs, &n);
    cr_assert_eq(n, 0);
    cr_assert_eq(flashsim_faults_unfired(fs), 0);
    flashsim_free(fs);
}

Test(rtc, power_loss_garbage_is_seeded)
{
    uint8_t g[3][FLASHSIM_RTC_SIZE];
    uint64_t seeds[3] = {5, 5, 6};
    for (int k = 0; k < 3; k++) {
        flashsim_t *fs = dev(1);
        char plan[64];
        snprintf(plan, sizeof plan, "seed=%llu;rtc=garbage", (unsigned long long)seeds[k]);
        arm(fs, plan, 0);
        flashsim_power_loss(fs);
        cr_assert_eq(flashsim_rtc_read(fs, 0, g[k], FLASHSIM_RTC_SIZE), FLASHSIM_OK);
        uint32_t ones = popcount_buf(g[k], FLASHSIM_RTC_SIZE);
        cr_assert(ones > FLASHSIM_RTC_SIZE * 2 && ones < FLASHSIM_RTC_SIZE * 6, "garbage");
        size_t n;
        const flashsim_fault_event_t *log = flashsim_fault_log(fs, &n);
        cr_assert_eq(n, 1);
        cr_assert_eq(log[0].kind, FLASHSIM_FAULT_RTC);
        uint8_t again[FLASHSIM_RTC_SIZE];
        flashsim_power_loss(fs);
        flashsim_rtc_read(fs, 0, again, FLASHSIM_RTC_SIZE);
        cr_assert(memcmp(again, g[k], FLASHSIM_RTC_SIZE) != 0, "each power loss differs");
        flashsim_free(fs);
    }
    cr_assert_arr_eq(g[0], g[1], FLASHSIM_RTC_SIZE);
    cr_assert(memcmp(g[0], g[2], FLASHSIM_RTC_SIZE) != 0);
}

Test(log, events_format_readably)
{
    flashsim_t *fs = dev(1);
    uint8_t data[512] = {0};
    arm(fs, "seed=7;cut@op=0:page=1:torn", 0);
    cr_assert_eq(flashsim_program(fs, 0x0b5000, data, 512), FLASHSIM_ERR_POWER);
    size_t n;
    const flashsim_fault_event_t *log = flashsim_fault_log(fs, &n);
    cr_assert_eq(n, 1);
    char line[128];
    flashsim_fault_event_format(&log[0], line, sizeof line);
    char want[128];
    snprintf(want, sizeof want, "op 0 page 1: cut torn at 0x0b5100, %u bits landed, seed 7",
             log[0].bits);
    cr_assert_str_eq(line, want);
    flashsim_free(fs);
}

Test(cut, after_a_failed_op_still_cuts_and_the_hook_sees_the_failure)
{
    flashsim_t *fs = dev(1);
    arm(fs, "fail@op=0;cut@op=0:after;fail@addr=0x3000:erase;cut@op=1:after", 0);
    uint8_t z[4] = {0};
    cr_assert_eq(flashsim_program(fs, 0, z, 4), FLASHSIM_ERR_POWER);
    cr_assert_eq(byte_at_zero(fs), 0xFF, "the failed program did nothing");
    flashsim_warm_reset(fs);
    cr_assert_eq(flashsim_erase_sector(fs, 3), FLASHSIM_ERR_POWER);
    cr_assert_eq(flashsim_faults_unfired(fs), 0);
    flashsim_free(fs);
}

Test(torn, weak_reads_are_a_function_of_seed_and_history)
{
    static uint8_t reads[3][2][FLASHSIM_SECTOR_SIZE];
    uint64_t seeds[3] = {12, 12, 13};
    for (int k = 0; k < 3; k++) {
        flashsim_t *fs = dev(seeds[k]);
        uint8_t zero[FLASHSIM_SECTOR_SIZE] = {0};
        flashsim_program(fs, 0, zero, sizeof zero);
        arm(fs, "cut@op=1:torn:weak", 0);
        flashsim_erase_sector(fs, 0);
        flashsim_warm_reset(fs);
        flashsim_read(fs, 0, reads[k][0], FLASHSIM_SECTOR_SIZE);
        flashsim_read(fs, 0, reads[k][1], FLASHSIM_SECTOR_SIZE);
        flashsim_free(fs);
    }
    cr_assert_arr_eq(reads[0], reads[1], sizeof reads[0], "same seed and history, same reads");
    cr_assert(memcmp(reads[0], reads[2], sizeof reads[0]) != 0);
}
