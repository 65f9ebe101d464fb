/* flashsim: a simulated ESP8266 SPI NOR flash chip and RTC memory, with deterministic faults.
 * No global state: any number of devices per process. A device, and the snapshots taken from it,
 * belong to one thread at a time (reference counts are not atomic); fork() is fine.
 * Allocation failure aborts the process with a message (this is a host test tool).
 *
 * Rules the model follows (see README.md for the reasoning):
 *
 * Geometry. 4 KiB sectors, 64 KiB blocks, 256 B pages; erased bytes read 0xFF.
 *
 * Checks, in this order, for read/program: power (FLASHSIM_ERR_POWER while a cut is pending),
 * alignment (address and length must be multiples of 4, as for the ESP8266 ROM's SPIRead and
 * SPIWrite: FLASHSIM_ERR_ALIGN), range (FLASHSIM_ERR_RANGE; also for a NULL buffer). A zero-length
 * read or program at an in-range address succeeds and does nothing (it is not an operation).
 * Erase functions take a sector or block index; an index past the chip is FLASHSIM_ERR_RANGE.
 *
 * NOR semantics. Programming only clears bits: new = old AND data. A program may cross page
 * boundaries: it behaves like the ROM's SPIWrite, which splits the write at 256-byte page
 * boundaries into page-program commands, so the data lands linearly (no wrap-around within a
 * page, which is what a single raw page-program command would do on the chip). Erase sets every
 * bit of the sector/block to 1.
 *
 * Operation counting (what fault plans, hooks and the trace call "op N"):
 * - every program call and every sector/block erase call that passes the checks above is one
 *   operation; operations are numbered 0, 1, 2, ... over the device's life (the counter is part
 *   of the device state, so it is saved in snapshots and restored with them);
 * - an operation that fails inside the chip (fault plan, wear-out, strict mode, power cut during
 *   it) still consumes its number; a call rejected by the checks above (including calls while
 *   power is cut) does not;
 * - the pages of a program operation are its sub-steps "op N page P": page 0 is the first
 *   (possibly partial) 256-byte page the data touches, page 1 the next, and so on. An erase
 *   operation has a single step, page 0;
 * - reads, RTC accesses, peek/poke and resets are not operations.
 */
#ifndef OTASIM_FLASHSIM_H
#define OTASIM_FLASHSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLASHSIM_SECTOR_SIZE 4096u
#define FLASHSIM_BLOCK_SIZE 65536u
#define FLASHSIM_PAGE_SIZE 256u
#define FLASHSIM_RTC_SIZE 768u /* RTC memory from 0x60001100; user area from offset 0x100 */
#define FLASHSIM_RTC_BASE 0x60001100u
#define FLASHSIM_RTC_USER_OFFSET                                                                   \
    0x100u /* 0x60001200: 512 bytes; the eboot command is the first                                \
              128 bytes of it */
#define FLASHSIM_MIN_SIZE (512u * 1024u)
#define FLASHSIM_MAX_SIZE (16u * 1024u * 1024u)
#define FLASHSIM_DEFAULT_ENDURANCE 100000u

/* Operation results. Values equal the firmware HAL's hal_status_t on purpose. */
typedef enum {
    FLASHSIM_OK = 0,
    FLASHSIM_ERR_ALIGN = 1, /* address/length not 4-byte aligned, or erase not on a boundary */
    FLASHSIM_ERR_RANGE = 2, /* out of the chip / RTC memory */
    FLASHSIM_ERR_IO = 3,    /* the chip failed the operation (fault plan, worn-out sector, strict
                               mode program over non-erased bits) */
    FLASHSIM_ERR_POWER = 4, /* power is cut: the operation did not (fully) happen, and every
                               operation fails with this until the next reset. A cut planned
                               "after" an operation also returns this from that operation, whose
                               effect is then complete: the CPU never sees its result. */
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
/* The derived id is Winbond-like, as the ESP8266 SDK's spi_flash_get_id() returns it:
 * 0xEF | 0x40 << 8 | log2(size) << 16 (e.g. 0x1640EF for 4 MiB). */
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

/* Operations started so far (the number the next operation gets; inside a hook callback it
 * already counts the running operation). */
uint32_t flashsim_op_count(const flashsim_t *fs);
/* Erase cycles of one sector so far (0 for an index past the chip). */
uint32_t flashsim_erase_count(const flashsim_t *fs, uint32_t sector);

typedef struct flashsim_stats {
    uint64_t reads, read_bytes;
    uint64_t programs, program_bytes;
    uint64_t sector_erases, block_erases;
    uint64_t program_nonerased_bytes; /* programmed bytes whose old value was not 0xFF */
    uint64_t program_conflict_bytes;  /* bytes where data has a 1 over a 0 (the result != data) */
    uint64_t strict_rejects;          /* programs refused by strict mode */
    uint64_t power_cuts, warm_resets, power_losses;
} flashsim_stats_t;
/* Counters since creation; part of the device state (snapshots save and restore them). */
flashsim_stats_t flashsim_stats(const flashsim_t *fs);

#endif
