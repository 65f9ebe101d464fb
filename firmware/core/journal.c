/* The safe bootloader's update journal (see journal.h for the format and the rules). */
#include "journal.h"

#include <stddef.h>
#include <string.h>

#include "byteorder.h"
#include "crc32.h"

#define CRC_LEN (JOURNAL_REC_SIZE - 4u)

/* Words 3..9 of a record are the seven consecutive uint32_t fields src..boot_crc: copied as
 * one block (small code in the bootloader). */
#define BODY_OFFSET offsetof(journal_rec_t, src)
#define BODY_WORDS 7u
_Static_assert(offsetof(journal_rec_t, boot_crc) == BODY_OFFSET + 4u * (BODY_WORDS - 1u),
               "src..boot_crc are consecutive words");

void journal_encode(const journal_rec_t *rec, uint8_t out[JOURNAL_REC_SIZE])
{
    uint32_t w[JOURNAL_REC_WORDS] = {0};
    w[0] = JOURNAL_MAGIC;
    w[1] = rec->seq;
    w[2] = (uint32_t)rec->state | (uint32_t)rec->flags << 8;
    memcpy(&w[3], (const uint8_t *)rec + BODY_OFFSET, 4u * BODY_WORDS);
    for (unsigned i = 0; i < JOURNAL_REC_WORDS - 1u; i++)
        le32_store(out + 4u * i, w[i]);
    le32_store(out + CRC_LEN, crc32_gzip(0, out, CRC_LEN));
}

bool journal_decode(const uint8_t in[JOURNAL_REC_SIZE], journal_rec_t *rec)
{
    uint32_t w[JOURNAL_REC_WORDS];
    for (unsigned i = 0; i < JOURNAL_REC_WORDS; i++)
        w[i] = le32_load(in + 4u * i);
    uint8_t state = (uint8_t)w[2];
    if (w[0] != JOURNAL_MAGIC || w[JOURNAL_REC_WORDS - 1u] != crc32_gzip(0, in, CRC_LEN))
        return false;
    rec->seq = w[1];
    rec->state = state;
    rec->flags = (uint8_t)(w[2] >> 8);
    memcpy((uint8_t *)rec + BODY_OFFSET, &w[3], 4u * BODY_WORDS);
    return state >= JOURNAL_PENDING && state <= JOURNAL_FAILED;
}

static bool all_ff(const uint8_t *p, uint32_t len)
{
    while (len--)
        if (*p++ != 0xFFu)
            return false;
    return true;
}

static hal_status_t read_slot(const journal_t *j, uint32_t sector, uint32_t slot, uint8_t *buf)
{
    return hal_flash_read(journal_log_addr(j->base, sector) + slot * JOURNAL_REC_SIZE, buf,
                          JOURNAL_REC_SIZE);
}

hal_status_t journal_open(journal_t *j, uint32_t base)
{
    _Alignas(4) uint8_t buf[JOURNAL_REC_SIZE];
    journal_rec_t rec;
    memset(j, 0, sizeof(*j));
    j->base = base;
    /* The two log sectors are adjacent: slot n of the pair is slot n % 64 of sector n / 64. */
    for (uint32_t n = 0; n < 2u * JOURNAL_SLOTS; n++) {
        hal_status_t st = read_slot(j, 0, n, buf);
        if (st != HAL_OK)
            return st;
        /* Serial-number comparison: newer even across a wrap of the counter. */
        if (journal_decode(buf, &rec) && (!j->have || (int32_t)(rec.seq - j->last.seq) > 0)) {
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
    _Alignas(4) uint8_t enc[JOURNAL_REC_SIZE], buf[JOURNAL_REC_SIZE];
    rec->seq = j->have ? j->last.seq + 1u : 1u;
    journal_encode(rec, enc);
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
        st = hal_flash_write(addr, enc, JOURNAL_REC_SIZE);
        if (st == HAL_ERR_POWER)
            return st;
        if (st == HAL_OK && (st = hal_flash_read(addr, buf, JOURNAL_REC_SIZE)) != HAL_OK)
            return st;
        if (memcmp(buf, enc, JOURNAL_REC_SIZE) == 0) {
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
