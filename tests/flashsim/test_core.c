/* flashsim core: geometry, alignment/range checks, NOR semantics, RTC memory, resets. */
#include <criterion/criterion.h>
#include <string.h>

#include "flashsim.h"

static flashsim_t *dev(uint32_t size)
{
    flashsim_config_t cfg = {.size = size, .seed = 1};
    flashsim_t *fs = flashsim_new(&cfg);
    cr_assert_not_null(fs);
    return fs;
}

Test(core, sizes_accepted_and_rejected)
{
    for (uint32_t size = 512u << 10; size <= 16u << 20; size <<= 1) {
        flashsim_config_t cfg = {.size = size};
        flashsim_t *fs = flashsim_new(&cfg);
        cr_assert_not_null(fs, "size %u", size);
        cr_assert_eq(flashsim_size(fs), size);
        flashsim_free(fs);
    }
    uint32_t bad[] = {0, 256u << 10, 32u << 20, (1u << 20) + 4096, 3u << 20};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        flashsim_config_t cfg = {.size = bad[i]};
        cr_assert_null(flashsim_new(&cfg), "size %u", bad[i]);
    }
    cr_assert_null(flashsim_new(NULL));
}

Test(core, jedec_id_encodes_size)
{
    flashsim_t *fs = dev(4u << 20);
    cr_assert_eq(flashsim_jedec_id(fs), 0x1640EFu);
    cr_assert_eq(1u << ((flashsim_jedec_id(fs) >> 16) & 0xFF), 4u << 20);
    flashsim_free(fs);
    flashsim_config_t cfg = {.size = 1u << 20, .jedec_id = 0x1440C8};
    fs = flashsim_new(&cfg);
    cr_assert_eq(flashsim_jedec_id(fs), 0x1440C8u);
    flashsim_free(fs);
}

Test(core, fresh_chip_reads_erased)
{
    flashsim_t *fs = dev(1u << 20);
    uint8_t buf[64];
    cr_assert_eq(flashsim_read(fs, (1u << 20) - 64, buf, 64), FLASHSIM_OK);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(buf[i], 0xFF);
    flashsim_free(fs);
}

Test(core, alignment_and_range_errors)
{
    flashsim_t *fs = dev(1u << 20);
    uint8_t buf[16] = {0};
    cr_assert_eq(flashsim_read(fs, 2, buf, 4), FLASHSIM_ERR_ALIGN);
    cr_assert_eq(flashsim_read(fs, 0, buf, 3), FLASHSIM_ERR_ALIGN);
    cr_assert_eq(flashsim_program(fs, 1, buf, 4), FLASHSIM_ERR_ALIGN);
    cr_assert_eq(flashsim_program(fs, 4, buf, 6), FLASHSIM_ERR_ALIGN);
    cr_assert_eq(flashsim_read(fs, 1u << 20, buf, 4), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_read(fs, (1u << 20) - 4, buf, 8), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_program(fs, 0xFFFFFFFCu, buf, 8), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_read(fs, 0, NULL, 4), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_erase_sector(fs, 256), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_erase_block(fs, 16), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_read(fs, 1u << 20, buf, 0), FLASHSIM_OK, "empty read at the end");
    cr_assert_eq(flashsim_op_count(fs), 0, "rejected calls are not operations");
    /* nothing changed */
    uint8_t b[4];
    flashsim_peek(fs, 0, b, 4);
    cr_assert_eq(b[0] & b[1] & b[2] & b[3], 0xFF);
    flashsim_free(fs);
}

Test(core, program_only_clears_bits)
{
    flashsim_t *fs = dev(1u << 20);
    uint8_t a[4] = {0xF0, 0x0F, 0xAA, 0x55}, b[4] = {0xCC, 0xCC, 0xFF, 0x00}, out[4];
    cr_assert_eq(flashsim_program(fs, 0x100, a, 4), FLASHSIM_OK);
    cr_assert_eq(flashsim_program(fs, 0x100, b, 4), FLASHSIM_OK);
    flashsim_read(fs, 0x100, out, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(out[i], a[i] & b[i], "byte %d", i);
    flashsim_stats_t st = flashsim_stats(fs);
    cr_assert_eq(st.program_nonerased_bytes, 4);
    /* 0xCC over 0xF0 and 0x0F, 0xFF over 0xAA need 0->1: three conflicting bytes */
    cr_assert_eq(st.program_conflict_bytes, 3);
    flashsim_free(fs);
}

Test(core, strict_mode_rejects_conflicts_without_change)
{
    flashsim_config_t cfg = {.size = 1u << 20, .strict = true};
    flashsim_t *fs = flashsim_new(&cfg);
    uint8_t a[8] = {0x0F, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF}, out[8];
    cr_assert_eq(flashsim_program(fs, 0, a, 8), FLASHSIM_OK);
    uint8_t same_or_less[8] = {0x0F, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
    cr_assert_eq(flashsim_program(fs, 0, same_or_less, 8), FLASHSIM_OK);
    uint8_t conflict[8] = {0xFF, 0, 0, 0, 0, 0, 0, 0};
    cr_assert_eq(flashsim_program(fs, 0, conflict, 8), FLASHSIM_ERR_IO);
    flashsim_read(fs, 0, out, 8);
    cr_assert_arr_eq(out, same_or_less, 8);
    cr_assert_eq(flashsim_stats(fs).strict_rejects, 1);
    cr_assert_eq(flashsim_op_count(fs), 3, "a rejected program still used an op number");
    flashsim_free(fs);
}

Test(core, write_across_pages_and_sectors_is_linear)
{
    flashsim_t *fs = dev(1u << 20);
    uint8_t data[600], out[600];
    for (int i = 0; i < 600; i++)
        data[i] = (uint8_t)(i * 7 + 1);
    uint32_t addr = FLASHSIM_SECTOR_SIZE - 100; /* crosses a page and a sector boundary */
    cr_assert_eq(flashsim_program(fs, addr, data, 600), FLASHSIM_OK);
    flashsim_read(fs, addr, out, 600);
    cr_assert_arr_eq(out, data, 600);
    /* nothing wrapped to the start of the first page */
    uint8_t head[156];
    flashsim_peek(fs, FLASHSIM_SECTOR_SIZE - 256, head, 156);
    for (int i = 0; i < 156; i++)
        cr_assert_eq(head[i], 0xFF);
    cr_assert_eq(flashsim_op_count(fs), 1);
    flashsim_free(fs);
}

Test(core, erase_sector_and_block)
{
    flashsim_t *fs = dev(1u << 20);
    uint8_t zero[FLASHSIM_SECTOR_SIZE] = {0}, out[4];
    for (uint32_t s = 16; s < 34; s++)
        cr_assert_eq(flashsim_program(fs, s * FLASHSIM_SECTOR_SIZE, zero, sizeof zero),
                     FLASHSIM_OK);
    cr_assert_eq(flashsim_erase_sector(fs, 33), FLASHSIM_OK);
    cr_assert_eq(flashsim_erase_block(fs, 1), FLASHSIM_OK); /* sectors 16..31 */
    for (uint32_t s = 16; s < 34; s++) {
        flashsim_read(fs, s * FLASHSIM_SECTOR_SIZE + 8, out, 4);
        uint8_t want = s == 32 ? 0x00 : 0xFF;
        cr_assert_eq(out[0], want, "sector %u", s);
        cr_assert_eq(flashsim_erase_count(fs, s), s == 32 ? 0u : 1u, "sector %u", s);
    }
    cr_assert_eq(flashsim_erase_count(fs, 9999), 0);
    flashsim_free(fs);
}

Test(core, rtc_memory_rules)
{
    flashsim_t *fs = dev(1u << 20);
    uint32_t cmd[32], back[32];
    for (int i = 0; i < 32; i++)
        cmd[i] = 0xEB001000u + (uint32_t)i;
    cr_assert_eq(flashsim_rtc_write(fs, FLASHSIM_RTC_USER_OFFSET, cmd, sizeof cmd), FLASHSIM_OK);
    cr_assert_eq(flashsim_rtc_write(fs, 2, cmd, 4), FLASHSIM_ERR_ALIGN);
    cr_assert_eq(flashsim_rtc_write(fs, 0, cmd, 6), FLASHSIM_ERR_ALIGN);
    cr_assert_eq(flashsim_rtc_write(fs, FLASHSIM_RTC_SIZE - 4, cmd, 8), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_rtc_read(fs, FLASHSIM_RTC_SIZE, back, 4), FLASHSIM_ERR_RANGE);
    flashsim_warm_reset(fs);
    cr_assert_eq(flashsim_rtc_read(fs, FLASHSIM_RTC_USER_OFFSET, back, sizeof back), FLASHSIM_OK);
    cr_assert_arr_eq(back, cmd, sizeof cmd, "warm reset keeps RTC memory");
    flashsim_power_loss(fs);
    flashsim_rtc_read(fs, FLASHSIM_RTC_USER_OFFSET, back, sizeof back);
    for (int i = 0; i < 32; i++)
        cr_assert_eq(back[i], 0, "power loss zeroes RTC memory (default plan)");
    flashsim_stats_t st = flashsim_stats(fs);
    cr_assert_eq(st.warm_resets, 1);
    cr_assert_eq(st.power_losses, 1);
    flashsim_free(fs);
}

Test(core, peek_poke_any_alignment_no_accounting)
{
    flashsim_t *fs = dev(512u << 10);
    const char msg[] = "hello, flash";
    flashsim_poke(fs, FLASHSIM_SECTOR_SIZE - 3, msg, sizeof msg);
    char out[sizeof msg];
    flashsim_peek(fs, FLASHSIM_SECTOR_SIZE - 3, out, sizeof out);
    cr_assert_str_eq(out, msg);
    flashsim_poke(fs, (512u << 10) - 2, msg, 8); /* tail past the end is ignored */
    uint8_t tail[6];
    flashsim_peek(fs, (512u << 10) - 2, tail, 6);
    cr_assert_eq(tail[0], 'h');
    cr_assert_eq(tail[1], 'e');
    for (int i = 2; i < 6; i++)
        cr_assert_eq(tail[i], 0xFF);
    flashsim_peek(fs, 0xFFFFFFF0u, tail, 6);
    cr_assert_eq(tail[0], 0xFF);
    cr_assert_eq(flashsim_op_count(fs), 0);
    cr_assert_eq(flashsim_erase_count(fs, 0), 0);
    flashsim_free(fs);
}

Test(core, devices_are_independent)
{
    flashsim_t *a = dev(1u << 20), *b = dev(1u << 20);
    uint8_t z[4] = {0}, out[4];
    flashsim_program(a, 0, z, 4);
    flashsim_read(b, 0, out, 4);
    cr_assert_eq(out[0], 0xFF);
    cr_assert_eq(flashsim_op_count(b), 0);
    flashsim_free(a);
    flashsim_free(b);
}
