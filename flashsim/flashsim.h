/* flashsim: a simulated ESP8266 SPI NOR flash chip and RTC memory, with deterministic faults.
 * No global state: any number of devices per process.
 *
 * This header starts with the stable core API; the rest of the library extends it. */
#ifndef OTASIM_FLASHSIM_H
#define OTASIM_FLASHSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLASHSIM_SECTOR_SIZE 4096u
#define FLASHSIM_BLOCK_SIZE 65536u
#define FLASHSIM_PAGE_SIZE 256u
#define FLASHSIM_RTC_SIZE 768u /* RTC memory from 0x60001100; user area from offset 0x100 */

/* Operation results. Values equal the firmware HAL's hal_status_t on purpose. */
typedef enum {
    FLASHSIM_OK = 0,
    FLASHSIM_ERR_ALIGN = 1, /* address/length not 4-byte aligned, or erase not on a boundary */
    FLASHSIM_ERR_RANGE = 2, /* out of the chip / RTC memory */
    FLASHSIM_ERR_IO = 3,    /* the chip failed the operation (fault plan, worn-out sector, strict
                               mode program over non-erased bits) */
    FLASHSIM_ERR_POWER = 4, /* power is cut: the operation did not (fully) happen, and every
                               operation fails with this until the next reset */
} flashsim_status_t;

typedef struct flashsim flashsim_t;

typedef struct flashsim_config {
    uint32_t size;      /* bytes: a power of two from 512 KiB to 16 MiB */
    uint32_t jedec_id;  /* 0 = derive a plausible id from size */
    uint64_t seed;      /* every random choice (torn bits, wear-out, RTC garbage) derives from it */
    bool strict;        /* reject programming over bits that are already 0 where data has 1 */
    uint32_t endurance; /* erase cycles per sector before wear-out; 0 = default 100,000 */
} flashsim_config_t;

/* NULL on an invalid config (size not a power of two in range). */
flashsim_t *flashsim_new(const flashsim_config_t *cfg);
void flashsim_free(flashsim_t *fs);

uint32_t flashsim_size(const flashsim_t *fs);
uint32_t flashsim_jedec_id(const flashsim_t *fs);

/* SPI flash operations with the ESP8266 ROM routines' rules. */
flashsim_status_t flashsim_read(flashsim_t *fs, uint32_t addr, void *dst, uint32_t len);
flashsim_status_t flashsim_program(flashsim_t *fs, uint32_t addr, const void *src, uint32_t len);
flashsim_status_t flashsim_erase_sector(flashsim_t *fs, uint32_t sector);
flashsim_status_t flashsim_erase_block(flashsim_t *fs, uint32_t block);

/* RTC memory, offsets from 0x60001100, 4-byte aligned. */
flashsim_status_t flashsim_rtc_read(flashsim_t *fs, uint32_t offset, void *dst, uint32_t len);
flashsim_status_t flashsim_rtc_write(flashsim_t *fs, uint32_t offset, const void *src,
                                     uint32_t len);

/* Direct access for test set-up and inspection: no fault, trace, wear or time accounting.
 * Any alignment; out-of-range parts are ignored (peek fills them with 0xFF). */
void flashsim_peek(const flashsim_t *fs, uint32_t addr, void *dst, uint32_t len);
void flashsim_poke(flashsim_t *fs, uint32_t addr, const void *src, uint32_t len);

/* Resets. A warm reset (watchdog, reset pin, software restart) keeps RTC memory; power loss
 * zeroes it or fills it with seeded garbage (per the fault plan). Both clear a pending cut. */
void flashsim_warm_reset(flashsim_t *fs);
void flashsim_power_loss(flashsim_t *fs);
bool flashsim_powered(const flashsim_t *fs);

#endif
