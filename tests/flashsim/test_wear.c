/* Wear: per-sector erase counters and seeded wear-out past the endurance limit. */
#include <criterion/criterion.h>
#include <string.h>

#include "flashsim.h"

#define NSECT 64u

typedef struct {
    int fails, stuck;
    bool mode_fail[NSECT];
} census_t;

static census_t wear_out(uint64_t seed)
{
    flashsim_config_t cfg = {.size = 1u << 20, .seed = seed, .endurance = 3};
    flashsim_t *fs = flashsim_new(&cfg);
    census_t c = {0};
    uint8_t zero[64] = {0}, buf[FLASHSIM_SECTOR_SIZE];
    for (uint32_t s = 0; s < NSECT; s++) {
        for (int i = 0; i < 3; i++)
            cr_assert_eq(flashsim_erase_sector(fs, s), FLASHSIM_OK, "within endurance");
        size_t n;
        flashsim_fault_log(fs, &n);
        cr_assert_eq(n, (size_t)(c.fails + 2 * c.stuck), "no wear event before the limit");
        flashsim_program(fs, s * FLASHSIM_SECTOR_SIZE, zero, sizeof zero);
        flashsim_status_t st = flashsim_erase_sector(fs, s); /* the 4th: past the limit */
        cr_assert_eq(flashsim_erase_count(fs, s), 4);
        flashsim_peek(fs, s * FLASHSIM_SECTOR_SIZE, buf, sizeof buf);
        const flashsim_fault_event_t *log = flashsim_fault_log(fs, &n);
        cr_assert_eq(log[n - 1].kind, FLASHSIM_FAULT_WEAR);
        cr_assert_eq(log[n - 1].addr, s * FLASHSIM_SECTOR_SIZE);
        cr_assert_eq(log[n - 1].seed, seed);
        if (st == FLASHSIM_ERR_IO) {
            c.fails++;
            c.mode_fail[s] = true;
            cr_assert_eq(log[n - 1].bits, 0);
            cr_assert_eq(buf[0], 0, "a failed erase leaves the data");
        } else {
            cr_assert_eq(st, FLASHSIM_OK);
            c.stuck++;
            int zeros = 0;
            for (size_t i = 0; i < sizeof buf; i++)
                zeros += 8 - __builtin_popcount(buf[i]);
            cr_assert(zeros >= 1 && zeros <= 4, "1..4 bits stuck at 0, got %d", zeros);
            cr_assert_eq((uint32_t)zeros, log[n - 1].bits);
            /* the same bits stay stuck on the next cycle */
            uint8_t again[FLASHSIM_SECTOR_SIZE];
            cr_assert_eq(flashsim_erase_sector(fs, s), FLASHSIM_OK);
            flashsim_peek(fs, s * FLASHSIM_SECTOR_SIZE, again, sizeof again);
            cr_assert_arr_eq(again, buf, sizeof buf);
            log = flashsim_fault_log(fs, &n);
            cr_assert_eq(log[n - 1].kind, FLASHSIM_FAULT_WEAR, "logged again");
        }
    }
    flashsim_free(fs);
    return c;
}

Test(wear, sectors_go_bad_past_the_endurance_in_a_seeded_way)
{
    census_t a = wear_out(1), b = wear_out(1), c = wear_out(2);
    cr_assert(a.fails > 0 && a.stuck > 0, "both failure modes occur (%d/%d)", a.fails, a.stuck);
    cr_assert_eq(memcmp(a.mode_fail, b.mode_fail, sizeof a.mode_fail), 0, "same seed, same");
    cr_assert_neq(memcmp(a.mode_fail, c.mode_fail, sizeof a.mode_fail), 0, "seed matters");
}

Test(wear, default_endurance_and_counters_per_sector)
{
    flashsim_config_t cfg = {.size = 512u << 10};
    flashsim_t *fs = flashsim_new(&cfg);
    for (int i = 0; i < 1000; i++)
        flashsim_erase_sector(fs, 7);
    flashsim_erase_block(fs, 0);
    cr_assert_eq(flashsim_erase_count(fs, 7), 1001);
    cr_assert_eq(flashsim_erase_count(fs, 6), 1);
    cr_assert_eq(flashsim_erase_count(fs, 16), 0);
    size_t n;
    flashsim_fault_log(fs, &n);
    cr_assert_eq(n, 0, "far below the default 100,000 cycles");
    flashsim_stats_t st = flashsim_stats(fs);
    cr_assert_eq(st.sector_erases, 1000);
    cr_assert_eq(st.block_erases, 1);
    flashsim_free(fs);
}
