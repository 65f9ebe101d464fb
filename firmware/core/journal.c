/* The safe bootloader's update journal (see journal.h for the format and the rules). */
#include "journal.h"

#include <string.h>

#include "byteorder.h"
#include "crc32.h"

#define CRC_LEN (JOURNAL_REC_SIZE - 4u)

void journal_encode(const journal_rec_t *rec, uint8_t out[JOURNAL_REC_SIZE])
{
    uint32_t w[JOURNAL_REC_WORDS] = {0};
    w[0] = JOURNAL_MAGIC;
    w[1] = rec->seq;
    w[2] = (uint32_t)rec->state | (uint32_t)rec->flags << 8;
    w[3] = rec->src;
    w[4] = rec->dst;
    w[5] = rec->size;
    w[6] = rec->progress;
    w[7] = rec->out_len;
    w[8] = rec->out_crc;
    w[9] = rec->boot_crc;
    for (unsigned i = 0; i < JOURNAL_REC_WORDS - 1u; i++)
        le32_store(out + 4u * i, w[i]);
    le32_store(out + CRC_LEN, crc32_gzip(0, out, CRC_LEN));
}

bool journal_decode(const uint8_t in[JOURNAL_REC_SIZE], journal_rec_t *rec)
{
    if (le32_load(in) != JOURNAL_MAGIC || le32_load(in + CRC_LEN) != crc32_gzip(0, in, CRC_LEN))
        return false;
    uint32_t st = le32_load(in + 8);
    rec->seq = le32_load(in + 4);
    rec->state = (uint8_t)st;
    rec->flags = (uint8_t)(st >> 8);
    rec->src = le32_load(in + 12);
    rec->dst = le32_load(in + 16);
    rec->size = le32_load(in + 20);
    rec->progress = le32_load(in + 24);
    rec->out_len = le32_load(in + 28);
    rec->out_crc = le32_load(in + 32);
    rec->boot_crc = le32_load(in + 36);
    return rec->state >= JOURNAL_PENDING && rec->state <= JOURNAL_FAILED;
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
    for (uint32_t s = 0; s < 2u; s++) {
        for (uint32_t i = 0; i < JOURNAL_SLOTS; i++) {
            hal_status_t st = read_slot(j, s, i, buf);
            if (st != HAL_OK)
                return st;
            /* Serial-number comparison: newer even across a wrap of the counter. */
            if (journal_decode(buf, &rec) && (!j->have || (int32_t)(rec.seq - j->last.seq) > 0)) {
                j->have = true;
                j->last = rec;
                j->sector = s;
                j->slot = i + 1u;
            }
        }
    }
    return HAL_OK;
}

/* Erase log sector `s` and check that it reads erased (a torn or failed erase is retried). */
static hal_status_t erase_log_sector(const journal_t *j, uint32_t s)
{
    _Alignas(4) uint8_t buf[JOURNAL_REC_SIZE];
    for (unsigned attempt = 0; attempt < 2u; attempt++) {
        hal_status_t st =
            hal_flash_erase_sector(journal_log_addr(j->base, s) / HAL_FLASH_SECTOR_SIZE);
        if (st == HAL_ERR_POWER)
            return st;
        bool clean = st == HAL_OK;
        for (uint32_t i = 0; clean && i < JOURNAL_SLOTS; i++) {
            st = read_slot(j, s, i, buf);
            if (st != HAL_OK)
                return st;
            clean = all_ff(buf, JOURNAL_REC_SIZE);
        }
        if (clean)
            return HAL_OK;
    }
    return HAL_ERR_IO;
}

hal_status_t journal_append(journal_t *j, journal_rec_t *rec)
{
    _Alignas(4) uint8_t enc[JOURNAL_REC_SIZE], buf[JOURNAL_REC_SIZE];
    rec->seq = j->have ? j->last.seq + 1u : 1u;
    journal_encode(rec, enc);
    for (unsigned pass = 0; pass < 2u; pass++) {
        for (; j->slot < JOURNAL_SLOTS; j->slot++) {
            hal_status_t st = read_slot(j, j->sector, j->slot, buf);
            if (st != HAL_OK)
                return st;
            if (!all_ff(buf, JOURNAL_REC_SIZE))
                continue; /* used or torn: never programmed over */
            uint32_t addr = journal_log_addr(j->base, j->sector) + j->slot * JOURNAL_REC_SIZE;
            st = hal_flash_write(addr, enc, JOURNAL_REC_SIZE);
            if (st == HAL_ERR_POWER)
                return st;
            if (st == HAL_OK && (st = hal_flash_read(addr, buf, JOURNAL_REC_SIZE)) != HAL_OK)
                return st;
            if (memcmp(buf, enc, JOURNAL_REC_SIZE) == 0) {
                j->slot++;
                j->have = true;
                j->last = *rec;
                return HAL_OK;
            }
        }
        /* This sector is full: continue in the other one, which holds only older records. */
        if (pass == 1u)
            break;
        hal_status_t st = erase_log_sector(j, j->sector ^ 1u);
        if (st != HAL_OK)
            return st;
        j->sector ^= 1u;
        j->slot = 0;
    }
    return HAL_ERR_IO;
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
