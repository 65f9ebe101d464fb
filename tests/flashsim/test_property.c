/* Property tests: thousands of random operation sequences against a reference model (a byte
 * array with AND for program and 0xFF for erase, plus erase counters), with and without
 * snapshots/restores interleaved; and torn results that depend only on the seed. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "flashsim.h"

#define SIZE (512u * 1024u)
#define NSECT (SIZE / FLASHSIM_SECTOR_SIZE)
#define SLOTS 4

typedef struct {
    uint8_t mem[SIZE];
    uint32_t erases[NSECT];
    uint32_t ops;
} model_t;

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

/* Addresses cluster in the first 64 KiB so operations overlap often. */
static uint32_t some_addr(void)
{
    return (below(4) ? below(64 * 1024) : below(SIZE)) & ~3u;
}

static void some_data(uint8_t *buf, uint32_t len)
{
    uint32_t style = below(4);
    for (uint32_t i = 0; i < len; i++) {
        uint8_t r = (uint8_t)rnd();
        buf[i] = style == 0 ? r : style == 1 ? 0x00 : style == 2 ? (uint8_t)(r | 0xF0) : 0xFF;
    }
}

static void check_all(flashsim_t *fs, const model_t *m, uint64_t seq)
{
    static uint8_t chip[SIZE];
    flashsim_peek(fs, 0, chip, SIZE);
    if (memcmp(chip, m->mem, SIZE)) {
        uint32_t a = 0;
        while (chip[a] == m->mem[a])
            a++;
        cr_assert_fail("sequence %llu: byte 0x%x is 0x%02x, model 0x%02x", (unsigned long long)seq,
                       a, chip[a], m->mem[a]);
    }
    for (uint32_t s = 0; s < NSECT; s++)
        cr_assert_eq(flashsim_erase_count(fs, s), m->erases[s], "sequence %llu: sector %u",
                     (unsigned long long)seq, s);
    cr_assert_eq(flashsim_op_count(fs), m->ops, "sequence %llu", (unsigned long long)seq);
}

static bool conflicts(const model_t *m, uint32_t addr, const uint8_t *d, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (d[i] & ~m->mem[addr + i])
            return true;
    return false;
}

static void run_sequence(uint64_t seq, bool with_snapshots, model_t *m, model_t *saved)
{
    rng_state = seq * 0x2545F4914F6CDD1Dull + (with_snapshots ? 1 : 0);
    bool strict = below(4) == 0;
    flashsim_config_t cfg = {.size = SIZE, .seed = seq, .strict = strict};
    flashsim_t *fs = flashsim_new(&cfg);
    flashsim_trace_enable(fs, false);
    memset(m->mem, 0xFF, SIZE);
    memset(m->erases, 0, sizeof m->erases);
    m->ops = 0;
    flashsim_snapshot_t *slot[SLOTS] = {0};
    static uint8_t buf[2048], out[2048];
    int nops = 20 + (int)below(40);
    for (int k = 0; k < nops; k++) {
        uint32_t what = below(with_snapshots ? 100 : 80);
        if (what < 40) { /* program */
            uint32_t addr = some_addr();
            uint32_t len = below(1200) & ~3u;
            if (len > SIZE - addr)
                len = SIZE - addr;
            some_data(buf, len);
            flashsim_status_t st = flashsim_program(fs, addr, buf, len);
            bool reject = strict && conflicts(m, addr, buf, len);
            cr_assert_eq(st, reject ? FLASHSIM_ERR_IO : FLASHSIM_OK, "seq %llu op %d",
                         (unsigned long long)seq, k);
            if (len)
                m->ops++;
            if (!reject)
                for (uint32_t i = 0; i < len; i++)
                    m->mem[addr + i] &= buf[i];
        } else if (what < 50) { /* erase a sector, sometimes a block */
            if (below(6)) {
                uint32_t s = below(64 * 1024 / FLASHSIM_SECTOR_SIZE + 4);
                cr_assert_eq(flashsim_erase_sector(fs, s), FLASHSIM_OK);
                memset(m->mem + s * FLASHSIM_SECTOR_SIZE, 0xFF, FLASHSIM_SECTOR_SIZE);
                m->erases[s]++;
            } else {
                uint32_t b = below(SIZE / FLASHSIM_BLOCK_SIZE);
                cr_assert_eq(flashsim_erase_block(fs, b), FLASHSIM_OK);
                memset(m->mem + b * FLASHSIM_BLOCK_SIZE, 0xFF, FLASHSIM_BLOCK_SIZE);
                for (uint32_t s = 0; s < 16; s++)
                    m->erases[b * 16 + s]++;
            }
            m->ops++;
        } else if (what < 65) { /* read and compare */
            uint32_t addr = some_addr();
            uint32_t len = below(2048) & ~3u;
            if (len > SIZE - addr)
                len = SIZE - addr;
            cr_assert_eq(flashsim_read(fs, addr, out, len), FLASHSIM_OK);
            cr_assert_eq(memcmp(out, m->mem + addr, len), 0, "seq %llu op %d: read 0x%x+%u",
                         (unsigned long long)seq, k, addr, len);
        } else if (what < 72) { /* bad calls change nothing */
            uint32_t addr = some_addr() | (1 + below(3));
            cr_assert_eq(flashsim_program(fs, addr, buf, 4), FLASHSIM_ERR_ALIGN);
            cr_assert_eq(flashsim_program(fs, SIZE - 4, buf, 8), FLASHSIM_ERR_RANGE);
            cr_assert_eq(flashsim_erase_sector(fs, NSECT + below(9)), FLASHSIM_ERR_RANGE);
        } else if (what < 80) { /* poke */
            uint32_t addr = below(SIZE - 64), len = below(64);
            some_data(buf, len);
            flashsim_poke(fs, addr, buf, len);
            memcpy(m->mem + addr, buf, len);
        } else if (what < 88) { /* snapshot into a slot */
            uint32_t i = below(SLOTS);
            flashsim_snapshot_unref(slot[i]);
            slot[i] = flashsim_snapshot(fs);
            saved[i] = *m;
        } else if (what < 96) { /* restore a slot */
            uint32_t i = below(SLOTS);
            if (slot[i]) {
                cr_assert_eq(flashsim_restore(fs, slot[i]), FLASHSIM_OK);
                *m = saved[i];
            }
        } else { /* continue on a fresh device made from a slot */
            uint32_t i = below(SLOTS);
            if (slot[i]) {
                flashsim_free(fs);
                fs = flashsim_new_from_snapshot(slot[i]);
                flashsim_trace_enable(fs, false);
                *m = saved[i];
            }
        }
    }
    check_all(fs, m, seq);
    for (int i = 0; i < SLOTS; i++) { /* the snapshots still hold their own states */
        if (slot[i] && below(2)) {
            flashsim_restore(fs, slot[i]);
            check_all(fs, &saved[i], seq);
        }
        flashsim_snapshot_unref(slot[i]);
    }
    flashsim_free(fs);
}

Test(property, random_sequences_match_the_model, .timeout = 120)
{
    model_t *m = malloc(sizeof *m), *saved = malloc(SLOTS * sizeof *saved);
    for (uint64_t seq = 1; seq <= 1500; seq++)
        run_sequence(seq, false, m, saved);
    free(m);
    free(saved);
}

Test(property, random_sequences_with_snapshots_match_the_model, .timeout = 120)
{
    model_t *m = malloc(sizeof *m), *saved = malloc(SLOTS * sizeof *saved);
    for (uint64_t seq = 1; seq <= 1500; seq++)
        run_sequence(seq, true, m, saved);
    free(m);
    free(saved);
}

/* Torn program: old AND data <= result <= old, bitwise; and a pure function of the seed. */
Test(property, torn_results_are_bounded_and_seeded)
{
    static uint8_t old[1024], data[1024], r1[1024], r2[1024];
    rng_state = 77;
    for (int k = 0; k < 400; k++) {
        uint32_t len = 4 + (below(1020) & ~3u), addr = below(8192) & ~3u;
        some_data(old, len);
        some_data(data, len);
        uint64_t seed = rnd();
        uint32_t page = below(1 + (addr % 256 + len - 1) / 256);
        char plan[96];
        snprintf(plan, sizeof plan, "seed=%llu;cut@op=0:page=%u:torn", (unsigned long long)seed,
                 page);
        uint8_t *res[2] = {r1, r2};
        for (int run = 0; run < 2; run++) {
            flashsim_config_t cfg = {.size = SIZE, .seed = (uint64_t)run}; /* plan seed wins */
            flashsim_t *fs = flashsim_new(&cfg);
            flashsim_poke(fs, addr, old, len);
            char err[64];
            flashsim_plan_t *p = flashsim_plan_parse(plan, err, sizeof err);
            flashsim_set_plan(fs, p, 0);
            flashsim_plan_free(p);
            cr_assert_eq(flashsim_program(fs, addr, data, len), FLASHSIM_ERR_POWER);
            cr_assert_eq(flashsim_fault_fired(fs, 0), 1);
            flashsim_peek(fs, addr, res[run], len);
            flashsim_free(fs);
        }
        cr_assert_eq(memcmp(r1, r2, len), 0, "case %d: same seed, same torn result", k);
        uint32_t torn_lo = (addr / 256 + page) * 256, torn_hi = torn_lo + 256;
        for (uint32_t i = 0; i < len; i++) {
            uint32_t a = addr + i;
            uint8_t full = old[i] & data[i];
            if (a < torn_lo)
                cr_assert_eq(r1[i], full, "case %d: pages before the cut are complete", k);
            else if (a >= torn_hi)
                cr_assert_eq(r1[i], old[i], "case %d: pages after the cut are untouched", k);
            else
                cr_assert((r1[i] & ~old[i]) == 0 && (full & ~r1[i]) == 0,
                          "case %d: torn byte within bounds", k);
        }
    }
}
