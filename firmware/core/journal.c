/* The safe bootloader's update journal (see journal.h for the format and the rules). */
#include "journal.h"

#include <stddef.h>
#include <string.h>

#include "crc32.h"

#define CRC_LEN (JOURNAL_REC_SIZE - 4u)

/* The record as it goes to flash: magic, zero fields and CRC filled in. */
static void seal(journal_rec_t *r)
{
    r->magic = JOURNAL_MAGIC;
    r->zero = 0;
    memset(r->reserved, 0, sizeof(r->reserved));
    r->crc = crc32_gzip(0, r, CRC_LEN);
}

/* A record read from a slot (or decoded): magic, CRC, state. */
static bool valid(const journal_rec_t *r)
{
    return r->magic == JOURNAL_MAGIC && r->crc == crc32_gzip(0, r, CRC_LEN) &&
           r->state >= JOURNAL_PENDING && r->state <= JOURNAL_FAILED;
}

void journal_encode(const journal_rec_t *rec, uint8_t out[JOURNAL_REC_SIZE])
{
    journal_rec_t r = *rec;
    seal(&r);
    memcpy(out, &r, JOURNAL_REC_SIZE);
}

bool journal_decode(const uint8_t in[JOURNAL_REC_SIZE], journal_rec_t *rec)
{
    memcpy(rec, in, JOURNAL_REC_SIZE);
    return valid(rec);
}

static bool all_ff(const uint8_t *p, uint32_t len)
{
    while (len--)
        if (*p++ != 0xFFu)
            return false;
    return true;
}

static hal_status_t read_slot(const journal_t *j, uint32_t sector, uint32_t slot, void *buf)
{
    return hal_flash_read(journal_log_addr(j->base, sector) + slot * JOURNAL_REC_SIZE, buf,
                          JOURNAL_REC_SIZE);
}

hal_status_t journal_open(journal_t *j, uint32_t base)
{
    journal_rec_t rec;
    memset(j, 0, sizeof(*j));
    j->base = base;
    /* The two log sectors are adjacent: slot n of the pair is slot n % 64 of sector n / 64. */
    for (uint32_t n = 0; n < 2u * JOURNAL_SLOTS; n++) {
        hal_status_t st = read_slot(j, 0, n, &rec);
        if (st != HAL_OK)
            return st;
        /* Serial-number comparison: newer even across a wrap of the counter. */
        if (valid(&rec) && (!j->have || (int32_t)(rec.seq - j->last.seq) > 0)) {
            j->have = true;
            j->last = rec;
            j->sector = n / JOURNAL_SLOTS;
            j->slot = n % JOURNAL_SLOTS + 1u;
        }
    }
    return HAL_OK;
}

/* One scan does both jobs: finding the next erased slot, and checking that a log sector just
 * erased reads erased in every slot before any of it is used (verify). A torn or failed erase
 * is retried once; a record that does not read back as written leaves its slot behind. */
hal_status_t journal_append(journal_t *j, journal_rec_t *rec)
{
    _Alignas(4) uint8_t buf[JOURNAL_REC_SIZE];
    rec->seq = j->have ? j->last.seq + 1u : 1u;
    seal(rec);
    unsigned erases = 0;
    bool verify = false;
    for (;;) {
        hal_status_t st;
        if (j->slot >= JOURNAL_SLOTS) {
            if (verify) { /* the whole sector reads erased: use it from slot 0 */
                verify = false;
                j->slot = 0;
                continue;
            }
            if (erases == 2u)
                return HAL_ERR_IO;
            /* This sector is full: continue in the other one, which holds only older
             * records (the second erase retries the same sector). */
            if (erases++ == 0u)
                j->sector ^= 1u;
            st = hal_flash_erase_sector(journal_log_addr(j->base, j->sector) /
                                        HAL_FLASH_SECTOR_SIZE);
            if (st == HAL_ERR_POWER)
                return st;
            if (st == HAL_OK) {
                verify = true;
                j->slot = 0;
            }
            continue;
        }
        st = read_slot(j, j->sector, j->slot, buf);
        if (st != HAL_OK)
            return st;
        bool erased = all_ff(buf, JOURNAL_REC_SIZE);
        if (verify && !erased) { /* the erase left bits: erase again */
            verify = false;
            j->slot = JOURNAL_SLOTS;
            continue;
        }
        if (verify || !erased) { /* verifying, or used or torn: never programmed over */
            j->slot++;
            continue;
        }
        uint32_t addr = journal_log_addr(j->base, j->sector) + j->slot * JOURNAL_REC_SIZE;
        j->slot++;
        st = hal_flash_write(addr, rec, JOURNAL_REC_SIZE);
        if (st == HAL_ERR_POWER)
            return st;
        if (st == HAL_OK && (st = hal_flash_read(addr, buf, JOURNAL_REC_SIZE)) != HAL_OK)
            return st;
        if (memcmp(buf, rec, JOURNAL_REC_SIZE) == 0) {
            j->have = true;
            j->last = *rec;
            return HAL_OK;
        }
    }
}

hal_status_t journal_record_pending(uint32_t src, uint32_t dst, uint32_t size)
{
    journal_t j;
    hal_status_t st = journal_open(&j, journal_area(hal_flash_real_size()));
    if (st != HAL_OK)
        return st;
    journal_rec_t rec = {0};
    rec.state = JOURNAL_PENDING;
    rec.src = src;
    rec.dst = dst;
    rec.size = size;
    return journal_append(&j, &rec);
}
