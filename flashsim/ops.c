/* The SPI flash operations: read, program, erase, with the ESP8266 ROM routines' rules. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static flashsim_status_t check_rw(const flashsim_t *fs, uint32_t addr, const void *buf,
                                  uint32_t len)
{
    if (!fs->st.powered)
        return FLASHSIM_ERR_POWER;
    if ((addr | len) & 3u)
        return FLASHSIM_ERR_ALIGN;
    if (addr > fs->cfg.size || len > fs->cfg.size - addr || (len && !buf))
        return FLASHSIM_ERR_RANGE;
    return FLASHSIM_OK;
}

/* Bytes of w that are not zero. */
static inline unsigned nonzero_bytes(uint64_t w)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7Full;
    return (unsigned)__builtin_popcountll((((w & lo7) + lo7) | w) & ~lo7);
}

/* new = old AND data, counting bytes that were not erased and bytes the AND could not honour. */
static void and_into(uint8_t *dst, const uint8_t *src, uint32_t n, flashsim_stats_t *stats)
{
    uint64_t nonerased = 0, conflict = 0;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t o, v;
        memcpy(&o, dst + i, 8);
        memcpy(&v, src + i, 8);
        if (~o) {
            nonerased += nonzero_bytes(~o);
            conflict += nonzero_bytes(v & ~o);
        }
        o &= v;
        memcpy(dst + i, &o, 8);
    }
    for (; i < n; i++) {
        nonerased += dst[i] != 0xFF;
        conflict += (src[i] & ~dst[i]) != 0;
        dst[i] &= src[i];
    }
    stats->program_nonerased_bytes += nonerased;
    stats->program_conflict_bytes += conflict;
}

static bool has_conflict(const flashsim_t *fs, uint32_t addr, const uint8_t *src, uint32_t len)
{
    while (len) {
        uint32_t off = addr % FLASHSIM_SECTOR_SIZE;
        uint32_t n = FLASHSIM_SECTOR_SIZE - off < len ? FLASHSIM_SECTOR_SIZE - off : len;
        const fs_sector_t *s = fs_sector_get(fs, addr / FLASHSIM_SECTOR_SIZE);
        if (s)
            for (uint32_t i = 0; i < n; i++)
                if (src[i] & ~s->data[off + i])
                    return true;
        src += n;
        addr += n;
        len -= n;
    }
    return false;
}

/* Program one page-bounded piece (never crosses a sector either). */
static void program_piece(flashsim_t *fs, uint32_t addr, const uint8_t *src, uint32_t n)
{
    fs_sector_t *s = fs_sector_mut(fs, addr / FLASHSIM_SECTOR_SIZE);
    uint32_t off = addr % FLASHSIM_SECTOR_SIZE;
    and_into(s->data + off, src, n, &fs->st.stats);
    if (s->weak) /* a weak bit programmed to 0 is a solid 0 */
        for (uint32_t i = 0; i < n; i++)
            s->weak[off + i] &= src[i];
}

flashsim_status_t flashsim_read(flashsim_t *fs, uint32_t addr, void *dst, uint32_t len)
{
    flashsim_status_t st = check_rw(fs, addr, dst, len);
    if (st != FLASHSIM_OK || !len)
        return st;
    flashsim_peek(fs, addr, dst, len);
    fs->st.stats.reads++;
    fs->st.stats.read_bytes += len;
    fs->st.read_count++;
    return FLASHSIM_OK;
}

flashsim_status_t flashsim_program(flashsim_t *fs, uint32_t addr, const void *src, uint32_t len)
{
    flashsim_status_t st = check_rw(fs, addr, src, len);
    if (st != FLASHSIM_OK || !len)
        return st;
    fs->st.op_count++;
    fs->st.stats.programs++;
    const uint8_t *in = src;
    if (fs->cfg.strict && has_conflict(fs, addr, in, len)) {
        fs->st.stats.strict_rejects++;
        return FLASHSIM_ERR_IO;
    }
    while (len) {
        uint32_t n = FLASHSIM_PAGE_SIZE - addr % FLASHSIM_PAGE_SIZE;
        if (n > len)
            n = len;
        program_piece(fs, addr, in, n);
        fs->st.stats.program_bytes += n;
        in += n;
        addr += n;
        len -= n;
    }
    return FLASHSIM_OK;
}

static void erase_one(flashsim_t *fs, uint32_t sector)
{
    fs_sector_t *s = fs_sector_mut(fs, sector);
    memset(s->data, 0xFF, FLASHSIM_SECTOR_SIZE);
    s->erase_count++;
    free(s->weak);
    s->weak = NULL;
}

flashsim_status_t flashsim_erase_sector(flashsim_t *fs, uint32_t sector)
{
    if (!fs->st.powered)
        return FLASHSIM_ERR_POWER;
    if (sector >= fs->nsectors)
        return FLASHSIM_ERR_RANGE;
    fs->st.op_count++;
    fs->st.stats.sector_erases++;
    erase_one(fs, sector);
    return FLASHSIM_OK;
}

flashsim_status_t flashsim_erase_block(flashsim_t *fs, uint32_t block)
{
    const uint32_t per_block = FLASHSIM_BLOCK_SIZE / FLASHSIM_SECTOR_SIZE;
    if (!fs->st.powered)
        return FLASHSIM_ERR_POWER;
    if (block >= fs->nsectors / per_block)
        return FLASHSIM_ERR_RANGE;
    fs->st.op_count++;
    fs->st.stats.block_erases++;
    for (uint32_t i = 0; i < per_block; i++)
        erase_one(fs, block * per_block + i);
    return FLASHSIM_OK;
}
