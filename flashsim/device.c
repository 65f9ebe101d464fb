/* Device life cycle, geometry, direct access, RTC memory and resets. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static bool valid_size(uint32_t size)
{
    return size >= FLASHSIM_MIN_SIZE && size <= FLASHSIM_MAX_SIZE && (size & (size - 1)) == 0;
}

static uint32_t log2u(uint32_t v)
{
    uint32_t n = 0;
    while (v >>= 1)
        n++;
    return n;
}

flashsim_t *flashsim_new(const flashsim_config_t *cfg)
{
    if (!cfg || !valid_size(cfg->size))
        return NULL;
    flashsim_t *fs = fs_xcalloc(1, sizeof *fs);
    fs->cfg = *cfg;
    if (!fs->cfg.endurance)
        fs->cfg.endurance = FLASHSIM_DEFAULT_ENDURANCE;
    if (!fs->cfg.jedec_id)
        fs->cfg.jedec_id = 0xEFu | 0x40u << 8 | log2u(cfg->size) << 16;
    fs->nsectors = cfg->size / FLASHSIM_SECTOR_SIZE;
    fs->nchunks = (fs->nsectors + SECTORS_PER_CHUNK - 1) / SECTORS_PER_CHUNK;
    fs->chunks = fs_chunks_new(fs->nchunks);
    fs->st.powered = true;
    fs->fault_seed = fs->cfg.seed;
    fs->trace_on = true;
    fs_timing_default(fs);
    return fs;
}

void flashsim_free(flashsim_t *fs)
{
    if (!fs)
        return;
    fs_chunks_free(fs->chunks, fs->nchunks);
    fs_plan_release(fs);
    free(fs->log);
    fs_trace_free(fs);
    free(fs);
}

uint32_t flashsim_size(const flashsim_t *fs)
{
    return fs->cfg.size;
}

uint32_t flashsim_jedec_id(const flashsim_t *fs)
{
    return fs->cfg.jedec_id;
}

void flashsim_peek(const flashsim_t *fs, uint32_t addr, void *dst, uint32_t len)
{
    fs_chunks_peek(fs->chunks, fs->cfg.size, addr, dst, len);
}

void flashsim_poke(flashsim_t *fs, uint32_t addr, const void *src, uint32_t len)
{
    const uint8_t *in = src;
    while (len && addr < fs->cfg.size) {
        uint32_t off = addr % FLASHSIM_SECTOR_SIZE;
        uint32_t n = FLASHSIM_SECTOR_SIZE - off;
        if (n > len)
            n = len;
        fs_sector_t *s = fs_sector_mut(fs, addr / FLASHSIM_SECTOR_SIZE);
        memcpy(s->data + off, in, n);
        if (s->weak) /* poked bytes are what the test says they are */
            memset(s->weak + off, 0, n);
        in += n;
        len -= n;
        addr += n;
    }
}

static flashsim_status_t rtc_check(const flashsim_t *fs, uint32_t offset, const void *buf,
                                   uint32_t len)
{
    if (!fs->st.powered)
        return FLASHSIM_ERR_POWER;
    if ((offset | len) & 3u)
        return FLASHSIM_ERR_ALIGN;
    if (offset > FLASHSIM_RTC_SIZE || len > FLASHSIM_RTC_SIZE - offset || (len && !buf))
        return FLASHSIM_ERR_RANGE;
    return FLASHSIM_OK;
}

flashsim_status_t flashsim_rtc_read(flashsim_t *fs, uint32_t offset, void *dst, uint32_t len)
{
    flashsim_status_t st = rtc_check(fs, offset, dst, len);
    if (st == FLASHSIM_OK && len) {
        memcpy(dst, fs->st.rtc + offset, len);
        fs_trace(fs, FLASHSIM_OP_RTC_READ, fs->st.op_count, offset, len, fs->st.time_ns, st, 0);
    }
    return st;
}

bool flashsim_rtc_peek(const flashsim_t *fs, uint32_t offset, void *dst, uint32_t len)
{
    if (offset > FLASHSIM_RTC_SIZE || len > FLASHSIM_RTC_SIZE - offset || (len && !dst))
        return false;
    memcpy(dst, fs->st.rtc + offset, len);
    return true;
}

flashsim_status_t flashsim_rtc_write(flashsim_t *fs, uint32_t offset, const void *src, uint32_t len)
{
    flashsim_status_t st = rtc_check(fs, offset, src, len);
    if (st == FLASHSIM_OK && len) {
        memcpy(fs->st.rtc + offset, src, len);
        fs_trace(fs, FLASHSIM_OP_RTC_WRITE, fs->st.op_count, offset, len, fs->st.time_ns, st, 0);
    }
    return st;
}

static void no_reentry(const flashsim_t *fs, const char *what)
{
    if (fs->in_hook) {
        fprintf(stderr, "flashsim: %s called from a hook callback\n", what);
        abort();
    }
}

void flashsim_warm_reset(flashsim_t *fs)
{
    no_reentry(fs, "flashsim_warm_reset()");
    fs->st.powered = true;
    fs->st.stats.warm_resets++;
    fs_trace(fs, FLASHSIM_OP_WARM_RESET, fs->st.op_count, 0, 0, fs->st.time_ns, FLASHSIM_OK, 0);
}

void flashsim_power_loss(flashsim_t *fs)
{
    no_reentry(fs, "flashsim_power_loss()");
    fs->st.powered = true;
    fs_rtc_power_loss(fs); /* its randomness is keyed by the number of earlier power losses */
    fs->st.stats.power_losses++;
    fs_trace(fs, FLASHSIM_OP_POWER_LOSS, fs->st.op_count, 0, 0, fs->st.time_ns, FLASHSIM_OK, 0);
}

bool flashsim_powered(const flashsim_t *fs)
{
    return fs->st.powered;
}

uint32_t flashsim_op_count(const flashsim_t *fs)
{
    return fs->st.op_count;
}

uint32_t flashsim_erase_count(const flashsim_t *fs, uint32_t sector)
{
    if (sector >= fs->nsectors)
        return 0;
    const fs_sector_t *s = fs_sector_get(fs, sector);
    return s ? s->erase_count : 0;
}

flashsim_stats_t flashsim_stats(const flashsim_t *fs)
{
    return fs->st.stats;
}
