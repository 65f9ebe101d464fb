/* Timing model and trace. Expected times are computed here from the datasheet figures and the
 * SPI command formats, independently of the library. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "flashsim.h"

static flashsim_t *dev(void)
{
    flashsim_config_t cfg = {.size = 1u << 20};
    return flashsim_new(&cfg);
}

static uint64_t ns_for_clocks(uint64_t clocks, uint64_t mhz)
{
    return (clocks * 1000 + mhz - 1) / mhz;
}

Test(timing, default_profile_is_typical_dio_40)
{
    flashsim_t *fs = dev();
    flashsim_timing_t t = flashsim_get_timing(fs);
    cr_assert_eq(t.mode, FLASHSIM_SPI_DIO);
    cr_assert_eq(t.spi_mhz, 40);
    cr_assert_not(t.worst);
    cr_assert_eq(t.chip, flashsim_chip_generic());
    cr_assert_eq(flashsim_time_ns(fs), 0);
    cr_assert_eq(flashsim_erase_sector(fs, 0), FLASHSIM_OK);
    cr_assert_eq(flashsim_time_us(fs), 45000, "4 KiB erase: 45 ms typical");
    uint8_t page[256] = {0};
    flashsim_program(fs, 0, page, 256);
    /* 0.7 ms busy + 02h command, 24-bit address and 256 bytes on one line at 40 MHz */
    cr_assert_eq(flashsim_time_ns(fs), 45000000ull + 700000 + ns_for_clocks(8 + 24 + 2048, 40));
    flashsim_erase_block(fs, 1);
    cr_assert_eq(flashsim_time_ns(fs),
                 45000000ull + 700000 + ns_for_clocks(2080, 40) + 150000000ull);
    flashsim_free(fs);
}

Test(timing, worst_case_profile)
{
    flashsim_t *fs = dev();
    flashsim_timing_t t = {.worst = true, .mode = FLASHSIM_SPI_QIO, .spi_mhz = 80};
    cr_assert_eq(flashsim_set_timing(fs, &t), FLASHSIM_OK);
    flashsim_erase_sector(fs, 0);
    cr_assert_eq(flashsim_time_us(fs), 400000);
    uint8_t piece[4] = {0};
    flashsim_program(fs, 0, piece, 4); /* a piece costs a whole tPP */
    cr_assert_eq(flashsim_time_ns(fs), 400000000ull + 3000000 + ns_for_clocks(8 + 24 + 32, 80));
    flashsim_erase_block(fs, 0);
    cr_assert_eq(flashsim_time_ns(fs) / 1000000, 400 + 3 + 2000);
    flashsim_free(fs);
}

Test(timing, read_time_by_spi_mode_and_clock)
{
    /* clocks per 64-byte transaction: command + address + mode/dummy + data */
    struct {
        flashsim_spi_mode_t mode;
        uint64_t clocks;
    } modes[] = {
        {FLASHSIM_SPI_QIO, 8 + 6 + 6 + 128},
        {FLASHSIM_SPI_QOUT, 8 + 24 + 8 + 128},
        {FLASHSIM_SPI_DIO, 8 + 12 + 4 + 256},
        {FLASHSIM_SPI_DOUT, 8 + 24 + 8 + 256},
    };
    uint64_t prev = 0;
    for (size_t i = 0; i < 4; i++) {
        for (uint32_t mhz = 40; mhz <= 80; mhz += 40) {
            flashsim_timing_t t = {.mode = modes[i].mode, .spi_mhz = mhz};
            cr_assert_eq(flashsim_read_ns(&t, 4096), ns_for_clocks(64 * modes[i].clocks, mhz));
        }
        flashsim_timing_t t40 = {.mode = modes[i].mode, .spi_mhz = 40};
        cr_assert_gt(flashsim_read_ns(&t40, 4096), prev, "QIO < QOUT < DIO < DOUT");
        prev = flashsim_read_ns(&t40, 4096);
    }
    flashsim_t *fs = dev();
    uint8_t buf[100];
    flashsim_read(fs, 0, buf, 100);
    flashsim_timing_t dio = {.mode = FLASHSIM_SPI_DIO, .spi_mhz = 40};
    cr_assert_eq(flashsim_time_ns(fs),
                 ns_for_clocks((8 + 12 + 4 + 256) + (8 + 12 + 4 + 36 * 4), 40));
    cr_assert_eq(flashsim_time_ns(fs), flashsim_read_ns(&dio, 100));
    flashsim_free(fs);
}

Test(timing, bad_profiles_rejected)
{
    flashsim_t *fs = dev();
    flashsim_timing_t t = {.mode = 4, .spi_mhz = 40};
    cr_assert_eq(flashsim_set_timing(fs, &t), FLASHSIM_ERR_RANGE);
    t = (flashsim_timing_t){.mode = FLASHSIM_SPI_QIO, .spi_mhz = 0};
    cr_assert_eq(flashsim_set_timing(fs, &t), FLASHSIM_ERR_RANGE);
    t.spi_mhz = 160;
    cr_assert_eq(flashsim_set_timing(fs, &t), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_set_timing(fs, NULL), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_get_timing(fs).mode, FLASHSIM_SPI_DIO, "unchanged");
    flashsim_chip_timing_t custom = {"slow", {1000, 2000}, {10000, 20000}, {50000, 90000}};
    t = (flashsim_timing_t){.chip = &custom, .mode = FLASHSIM_SPI_DOUT, .spi_mhz = 26};
    cr_assert_eq(flashsim_set_timing(fs, &t), FLASHSIM_OK);
    flashsim_erase_sector(fs, 1);
    cr_assert_eq(flashsim_time_us(fs), 10000);
    flashsim_free(fs);
}

Test(timing, cuts_cost_part_of_the_operation)
{
    flashsim_t *fs = dev();
    char err[64];
    flashsim_plan_t *p = flashsim_plan_parse("cut@op=0;cut@op=1:torn", err, sizeof err);
    flashsim_set_plan(fs, p, 0);
    flashsim_plan_free(p);
    flashsim_erase_sector(fs, 0);
    cr_assert_eq(flashsim_time_ns(fs), 0, "cut before: nothing happened");
    flashsim_warm_reset(fs);
    flashsim_erase_sector(fs, 0);
    cr_assert_eq(flashsim_time_us(fs), 45000 / 2, "torn: half the erase");
    flashsim_free(fs);
}

Test(trace, records_every_operation_in_order)
{
    flashsim_t *fs = dev();
    uint8_t buf[512] = {0};
    flashsim_erase_sector(fs, 1);
    flashsim_program(fs, 0x1080, buf, 512); /* 3 pages */
    flashsim_read(fs, 0x1000, buf, 64);
    flashsim_read(fs, 1, buf, 4); /* rejected: not traced */
    flashsim_rtc_write(fs, 0x100, buf, 8);
    flashsim_warm_reset(fs);
    flashsim_erase_block(fs, 0);
    flashsim_power_loss(fs);
    size_t n;
    const flashsim_trace_entry_t *t = flashsim_trace(fs, &n);
    cr_assert_eq(n, 7);
    uint8_t kinds[] = {FLASHSIM_OP_ERASE_SECTOR, FLASHSIM_OP_PROGRAM,    FLASHSIM_OP_READ,
                       FLASHSIM_OP_RTC_WRITE,    FLASHSIM_OP_WARM_RESET, FLASHSIM_OP_ERASE_BLOCK,
                       FLASHSIM_OP_POWER_LOSS};
    uint32_t ops[] = {0, 1, 2, 2, 2, 2, 3};
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(t[i].kind, kinds[i], "entry %zu", i);
        cr_assert_eq(t[i].op, ops[i], "entry %zu", i);
        cr_assert_eq(t[i].status, FLASHSIM_OK);
        if (i)
            cr_assert_geq(t[i].t_ns, t[i - 1].t_ns);
    }
    cr_assert_eq(t[0].addr, 0x1000);
    cr_assert_eq(t[0].len, 4096);
    cr_assert_eq(t[0].t_ns, 0);
    cr_assert_eq(t[1].t_ns, 45000000);
    cr_assert_eq(t[1].addr, 0x1080);
    cr_assert_eq(t[1].len, 512);
    cr_assert_eq(t[1].steps, 3);
    cr_assert_eq(t[5].len, 65536);
    flashsim_trace_clear(fs);
    flashsim_trace(fs, &n);
    cr_assert_eq(n, 0);
    flashsim_trace_enable(fs, false);
    flashsim_erase_sector(fs, 0);
    flashsim_trace(fs, &n);
    cr_assert_eq(n, 0);
    flashsim_free(fs);
}

Test(trace, failed_and_cut_operations_are_traced_with_their_status)
{
    flashsim_t *fs = dev();
    char err[64];
    flashsim_plan_t *p = flashsim_plan_parse("fail@op=0;cut@op=1:page=1", err, sizeof err);
    flashsim_set_plan(fs, p, 0);
    flashsim_plan_free(p);
    uint8_t buf[1024] = {0};
    flashsim_program(fs, 0, buf, 1024);
    flashsim_program(fs, 0, buf, 1024);
    size_t n;
    const flashsim_trace_entry_t *t = flashsim_trace(fs, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(t[0].status, FLASHSIM_ERR_IO);
    cr_assert_eq(t[0].steps, 0);
    cr_assert_eq(t[1].status, FLASHSIM_ERR_POWER);
    cr_assert_eq(t[1].steps, 1, "page 0 completed before the cut");
    flashsim_free(fs);
}

Test(trace, text_file_output)
{
    flashsim_t *fs = dev();
    char *mem = NULL;
    size_t memlen = 0;
    FILE *live = open_memstream(&mem, &memlen);
    flashsim_trace_set_file(fs, live);
    uint8_t buf[8] = {0};
    flashsim_erase_sector(fs, 2);
    flashsim_program(fs, 0x2000, buf, 8);
    flashsim_trace_set_file(fs, NULL);
    flashsim_read(fs, 0x2000, buf, 8);
    fclose(live);
    cr_assert_str_eq(mem, "0 erase4k 0x002000 4096 0 ok 1\n"
                          "1 program 0x002000 8 45000000 ok 1\n");
    free(mem);
    mem = NULL;
    FILE *dump = open_memstream(&mem, &memlen);
    cr_assert_eq(flashsim_trace_write(fs, dump), 0);
    fclose(dump);
    cr_assert(strstr(mem, "# op kind addr len t_ns status steps\n0 erase4k"));
    cr_assert(strstr(mem, "\n2 read 0x002000 8 "));
    free(mem);
    flashsim_free(fs);
}
