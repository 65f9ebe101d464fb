/* The safe bootloader's update journal: a tiny append-only log in flash that records a pending
 * update and the bootloader's progress through it, so the update survives losing RTC memory.
 *
 * Location (computable by the Updater and the bootloader from the chip size alone, no RTC):
 *   JOURNAL_AREA_SIZE (12 KiB) right below the EEPROM sector, i.e. [size - 32 KiB, size - 20 KiB):
 *     sector 0 of the area: the boot stash (a copy of a new sector 0, see firmware/boot/README.md)
 *     sectors 1 and 2:      the journal's two ping-pong log sectors
 *   On a layout whose FS or stage would reach into it, layout_for_safe_boot() (layout.h) moves
 *   the FS end (and the stage limit) below it.
 *
 * Records (JOURNAL_REC_SIZE = 64 bytes, 64 per sector, little-endian words):
 *   0 magic JOURNAL_MAGIC   1 seq      2 state | flags << 8   3 src   4 dst   5 size
 *   6 progress               7 out_len  8 out_crc              9 boot_crc    10..14 zero
 *   15 crc: CRC-32 (gzip polynomial) of bytes 0..59
 * Every record is self-contained (it repeats the whole update description), so the journal's
 * state is simply the valid record with the highest sequence number. A torn program leaves a
 * record whose CRC fails: it is ignored, and its slot is never reused. Appends go to the first
 * all-0xFF slot after the newest record of its sector and are read back; when that sector is
 * full the writer erases the *other* sector (which holds only older records) and continues
 * there, so the newest record is never erased. One update costs a handful of records and, on
 * average, a fraction of one sector erase. */
#ifndef OTASIM_JOURNAL_H
#define OTASIM_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

#define JOURNAL_MAGIC 0x314A544Fu /* "OTJ1" */
#define JOURNAL_REC_SIZE 64u
#define JOURNAL_REC_WORDS 16u
#define JOURNAL_SLOTS (HAL_FLASH_SECTOR_SIZE / JOURNAL_REC_SIZE)
#define JOURNAL_AREA_SIZE (3u * HAL_FLASH_SECTOR_SIZE)
#define JOURNAL_EEPROM_OFFSET (20u * 1024u) /* the EEPROM sector sits at size - 20 KiB */

typedef enum {
    JOURNAL_PENDING = 1,  /* written by the Updater (or by the bootloader from an RTC command) */
    JOURNAL_VERIFIED = 2, /* staged image checked; out_len/out_crc/boot_crc valid; copy may run */
    JOURNAL_COPYING = 3,  /* progress = first destination sector not known to be done */
    JOURNAL_DONE = 4,     /* copied and verified */
    JOURNAL_FAILED = 5,   /* refused or failed; progress holds the reason (boot README) */
} journal_state_t;

/* flags */
#define JOURNAL_F_GZIP 0x01u    /* the staged image is gzip */
#define JOURNAL_F_OVERLAP 0x02u /* the destination overwrites the stage: progress is recorded */
#define JOURNAL_F_STASH 0x04u   /* a new sector 0 was stashed (boot_crc is its CRC) */

/* A record is its own flash format (the words above, little-endian): the journal reads and
 * writes it as it is in memory, with no encoding step (small code in the bootloader). */
typedef struct journal_rec {
    uint32_t magic; /* JOURNAL_MAGIC (set by journal_encode/journal_append) */
    uint32_t seq;
    uint8_t state; /* journal_state_t */
    uint8_t flags;
    uint16_t zero;
    uint32_t src, dst, size; /* as in the boot command: stage, destination, staged bytes */
    uint32_t progress;
    uint32_t out_len;  /* bytes the copy writes (sector multiple) */
    uint32_t out_crc;  /* CRC-32 of those bytes as they must end up at dst */
    uint32_t boot_crc; /* CRC-32 of the stashed sector 0 */
    uint32_t reserved[5];
    uint32_t crc; /* CRC-32 of the 60 bytes before it (set by journal_encode/journal_append) */
} journal_rec_t;
_Static_assert(sizeof(journal_rec_t) == 64, "a record is one 64-byte slot");
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "journal_rec_t is the little-endian flash format: a big-endian target needs byte swaps"
#endif

typedef struct journal {
    journal_rec_t last; /* first: word-aligned, for the HAL */
    uint32_t base;      /* the journal area (stash sector first) */
    bool have;          /* a valid record exists; `last` is the newest */
    uint32_t sector;    /* 0 or 1: the log sector the next append goes to */
    uint32_t slot;      /* the slot it tries first (JOURNAL_SLOTS: the sector is full) */
} journal_t;

/* The journal area for a chip of `flash_size` bytes (hal_flash_real_size()). */
static inline uint32_t journal_area(uint32_t flash_size)
{
    return flash_size - JOURNAL_EEPROM_OFFSET - JOURNAL_AREA_SIZE;
}
static inline uint32_t journal_stash_addr(uint32_t base)
{
    return base;
}
static inline uint32_t journal_log_addr(uint32_t base, uint32_t sector)
{
    return base + (1u + sector) * HAL_FLASH_SECTOR_SIZE;
}

/* Record <-> bytes (magic, CRC and the zero fields filled by encode; magic, CRC and state
 * checked by decode). */
void journal_encode(const journal_rec_t *rec, uint8_t out[JOURNAL_REC_SIZE]);
bool journal_decode(const uint8_t in[JOURNAL_REC_SIZE], journal_rec_t *rec);

/* Scan both log sectors at `base`. Only read errors fail. */
hal_status_t journal_open(journal_t *j, uint32_t base);

/* Append `rec` with seq = newest + 1 (rec->seq, magic, zero fields and crc are set). Program +
 * read-back; a slot that does not read back is skipped; a full sector makes the writer erase (and
 * check) the other one. On success j->last is the new record. */
hal_status_t journal_append(journal_t *j, journal_rec_t *rec);

/* True when the newest record asks the bootloader to do something. */
static inline bool journal_active(const journal_t *j)
{
    return j->have && j->last.state >= JOURNAL_PENDING && j->last.state <= JOURNAL_COPYING;
}

/* The Updater's part: record a pending update (after the staged image was verified). */
hal_status_t journal_record_pending(uint32_t src, uint32_t dst, uint32_t size);

#endif
