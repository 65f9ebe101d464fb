/* Timing model: datasheet typical/maximum times per command and SPI transfer times.
 * Not measurements: see README.md ("Timing model") for the source and the simplifications. */
#include "internal.h"

/* Typical and maximum values of a Winbond W25Q32-class 3 V SPI NOR chip (the part family on
 * most ESP8266 modules): page program 0.7 / 3 ms, 4 KiB sector erase 45 / 400 ms, 64 KiB block
 * erase 150 / 2000 ms. Read-only, so it is not device state. */
static const flashsim_chip_timing_t generic_chip = {
    .name = "generic-25q",
    .page_program_us = {700, 3000},
    .sector_erase_us = {45000, 400000},
    .block_erase_us = {150000, 2000000},
};

const flashsim_chip_timing_t *flashsim_chip_generic(void)
{
    return &generic_chip;
}

/* The ESP8266 SPI controller moves at most 64 bytes (its 16 data words) per transaction. */
#define SPI_TRANSACTION_BYTES 64u

/* Clocks for one read transaction of n bytes: command, address, mode/dummy, data. The
 * commands are the fast-read variants the ESP8266 uses in each mode. */
static uint64_t read_clocks(flashsim_spi_mode_t mode, uint32_t n)
{
    switch (mode) {
    case FLASHSIM_SPI_QIO: /* EBh: address and mode on 4 lines, 4 dummy clocks */
        return 8 + 6 + 2 + 4 + (uint64_t)n * 2;
    case FLASHSIM_SPI_QOUT: /* 6Bh: address on 1 line, 8 dummy clocks, data on 4 lines */
        return 8 + 24 + 8 + (uint64_t)n * 2;
    case FLASHSIM_SPI_DIO: /* BBh: address and mode on 2 lines */
        return 8 + 12 + 4 + (uint64_t)n * 4;
    case FLASHSIM_SPI_DOUT: /* 3Bh: address on 1 line, 8 dummy clocks, data on 2 lines */
    default:
        return 8 + 24 + 8 + (uint64_t)n * 4;
    }
}

static uint64_t clocks_ns(uint64_t clocks, uint32_t mhz)
{
    return (clocks * 1000 + mhz - 1) / mhz;
}

uint64_t flashsim_read_ns(const flashsim_timing_t *t, uint32_t len)
{
    uint64_t clocks = 0;
    for (; len > SPI_TRANSACTION_BYTES; len -= SPI_TRANSACTION_BYTES)
        clocks += read_clocks(t->mode, SPI_TRANSACTION_BYTES);
    if (len)
        clocks += read_clocks(t->mode, len);
    return clocks_ns(clocks, t->spi_mhz);
}

/* Page program (02h) sends command, address and data on one line, then the chip is busy for
 * tPP whatever the piece's length (the datasheet gives tPP for up to a whole page). */
uint64_t flashsim_program_piece_ns(const flashsim_timing_t *t, uint32_t len)
{
    const flashsim_chip_timing_t *chip = t->chip ? t->chip : &generic_chip;
    return clocks_ns(8 + 24 + (uint64_t)len * 8, t->spi_mhz) +
           (uint64_t)chip->page_program_us[t->worst] * 1000;
}

static void cache(flashsim_t *fs)
{
    const flashsim_chip_timing_t *chip = fs->timing.chip ? fs->timing.chip : &generic_chip;
    bool w = fs->timing.worst;
    fs->erase_sector_ns = (uint64_t)chip->sector_erase_us[w] * 1000;
    fs->erase_block_ns = (uint64_t)chip->block_erase_us[w] * 1000;
    fs->page_program_ns = (uint64_t)chip->page_program_us[w] * 1000;
}

void fs_timing_default(flashsim_t *fs)
{
    fs->timing =
        (flashsim_timing_t){.chip = &generic_chip, .mode = FLASHSIM_SPI_DIO, .spi_mhz = 40};
    cache(fs);
}

flashsim_status_t flashsim_set_timing(flashsim_t *fs, const flashsim_timing_t *timing)
{
    if (!timing || (unsigned)timing->mode > FLASHSIM_SPI_DOUT)
        return FLASHSIM_ERR_RANGE;
    uint32_t mhz = timing->spi_mhz;
    if (mhz != 20 && mhz != 26 && mhz != 40 && mhz != 80)
        return FLASHSIM_ERR_RANGE;
    fs->timing = *timing;
    if (!fs->timing.chip)
        fs->timing.chip = &generic_chip;
    cache(fs);
    return FLASHSIM_OK;
}

flashsim_timing_t flashsim_get_timing(const flashsim_t *fs)
{
    return fs->timing;
}

uint64_t flashsim_time_ns(const flashsim_t *fs)
{
    return fs->st.time_ns;
}

uint64_t flashsim_time_us(const flashsim_t *fs)
{
    return fs->st.time_ns / 1000;
}
