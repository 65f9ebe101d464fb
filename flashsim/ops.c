/* The SPI flash operations: read, program, erase, with the ESP8266 ROM routines' rules, the
 * armed fault plan, the hook, the timing model and the trace. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void no_reentry(const flashsim_t *fs, const char *what)
{
    if (fs->in_hook) {
        fprintf(stderr, "flashsim: %s called from a hook callback on the same device\n", what);
        abort();
    }
}

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

static void hook(flashsim_t *fs, flashsim_hook_phase_t phase, flashsim_op_kind_t kind, uint32_t op,
                 uint32_t page, uint32_t addr, uint32_t len, const uint8_t *data,
                 flashsim_status_t status)
{
    if (!fs->hook)
        return;
    flashsim_hook_event_t ev = {.phase = phase,
                                .kind = kind,
                                .op = op,
                                .page = page,
                                .addr = addr,
                                .len = len,
                                .data = data,
                                .status = status};
    fs->in_hook = true;
    fs->hook(fs, &ev, fs->hook_ctx);
    fs->in_hook = false;
}

/* Bytes of w that are not zero. */
static inline unsigned nonzero_bytes(uint64_t w)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7Full;
    return (unsigned)__builtin_popcountll((((w & lo7) + lo7) | w) & ~lo7);
}

/* new = old AND data, a word at a time, counting bytes that were not erased and bytes the AND
 * could not honour (data has a 1 over a 0). */
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

/* Program one page-bounded piece (it never crosses a sector either). */
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
    no_reentry(fs, "flashsim_read()");
    flashsim_status_t st = check_rw(fs, addr, dst, len);
    if (st != FLASHSIM_OK || !len)
        return st;
    uint64_t t0 = fs->st.time_ns;
    if (fs_read_fails(fs, addr, len)) {
        fs_trace(fs, FLASHSIM_OP_READ, fs->st.op_count, addr, len, t0, FLASHSIM_ERR_IO, 0);
        return FLASHSIM_ERR_IO;
    }
    uint8_t *out = dst;
    for (uint32_t a = addr, left = len; left;) {
        uint32_t sector = a / FLASHSIM_SECTOR_SIZE, off = a % FLASHSIM_SECTOR_SIZE;
        uint32_t n = FLASHSIM_SECTOR_SIZE - off < left ? FLASHSIM_SECTOR_SIZE - off : left;
        const fs_sector_t *s = fs_sector_get(fs, sector);
        if (s) {
            memcpy(out, s->data + off, n);
            if (s->weak)
                fs_weak_read(fs, s, sector, off, out, n);
        } else {
            memset(out, 0xFF, n);
        }
        out += n;
        a += n;
        left -= n;
    }
    fs->st.read_count++;
    fs->st.stats.reads++;
    fs->st.stats.read_bytes += len;
    fs->st.time_ns += flashsim_read_ns(&fs->timing, len);
    fs_trace(fs, FLASHSIM_OP_READ, fs->st.op_count, addr, len, t0, FLASHSIM_OK, 0);
    return FLASHSIM_OK;
}

/* Steps of a program operation; on return *pages is the number of pages completed. A planned
 * cut at one of its pages (or before/torn at the whole op) is handled here. */
static flashsim_status_t program_steps(flashsim_t *fs, uint32_t op, uint32_t addr,
                                       const uint8_t *in, uint32_t len, const flashsim_fault_t *cut,
                                       size_t cut_item, uint32_t *pages)
{
    if (fs_faults_at_start(fs, op, FLASHSIM_ACCESS_PROGRAM, addr, len))
        return FLASHSIM_ERR_IO;
    if (fs->cfg.strict && has_conflict(fs, addr, in, len)) {
        fs->st.stats.strict_rejects++;
        return FLASHSIM_ERR_IO;
    }
    for (uint32_t page = 0; len; page++) {
        uint32_t n = FLASHSIM_PAGE_SIZE - addr % FLASHSIM_PAGE_SIZE;
        if (n > len)
            n = len;
        hook(fs, FLASHSIM_HOOK_BEFORE, FLASHSIM_OP_PROGRAM, op, page, addr, n, in, FLASHSIM_OK);
        uint64_t piece_ns = flashsim_program_piece_ns(&fs->timing, n);
        bool here = cut && (cut->page == (int32_t)page || (cut->page < 0 && page == 0));
        if (here && cut->mode != FLASHSIM_CUT_AFTER) {
            uint32_t bits = 0;
            if (cut->mode == FLASHSIM_CUT_TORN) {
                bits = fs_tear_piece(fs, addr, in, n, fs->fault_seed, op, page);
                fs_force_stuck(fs, addr, n, op);
                fs->st.time_ns += piece_ns / 2;
            }
            fs_cut_fired(fs, cut_item, op, (int32_t)page, addr, bits);
            return FLASHSIM_ERR_POWER;
        }
        program_piece(fs, addr, in, n);
        fs_force_stuck(fs, addr, n, op);
        fs->st.stats.program_bytes += n;
        fs->st.time_ns += piece_ns;
        ++*pages;
        if (here && cut->page >= 0) { /* cut after this page */
            fs_cut_fired(fs, cut_item, op, (int32_t)page, addr, 0);
            return FLASHSIM_ERR_POWER;
        }
        in += n;
        addr += n;
        len -= n;
    }
    return FLASHSIM_OK;
}

static uint32_t page_count(uint32_t addr, uint32_t len)
{
    return (addr + len - 1) / FLASHSIM_PAGE_SIZE - addr / FLASHSIM_PAGE_SIZE + 1;
}

flashsim_status_t flashsim_program(flashsim_t *fs, uint32_t addr, const void *src, uint32_t len)
{
    no_reentry(fs, "flashsim_program()");
    flashsim_status_t st = check_rw(fs, addr, src, len);
    if (st != FLASHSIM_OK || !len)
        return st;
    uint32_t op = fs->st.op_count++;
    fs->st.stats.programs++;
    uint64_t t0 = fs->st.time_ns;
    size_t cut_item = 0;
    const flashsim_fault_t *cut = fs_cut_for(fs, op, &cut_item);
    uint32_t pages = 0;
    st = program_steps(fs, op, addr, src, len, cut, cut_item, &pages);
    if (st != FLASHSIM_ERR_POWER) {
        hook(fs, FLASHSIM_HOOK_AFTER, FLASHSIM_OP_PROGRAM, op, page_count(addr, len), addr, len,
             NULL, st);
        if (st == FLASHSIM_OK && cut && cut->mode == FLASHSIM_CUT_AFTER && cut->page < 0) {
            fs_cut_fired(fs, cut_item, op, -1, addr, 0);
            st = FLASHSIM_ERR_POWER;
        }
    }
    fs_trace(fs, FLASHSIM_OP_PROGRAM, op, addr, len, t0, st, pages);
    return st;
}

static flashsim_status_t erase_steps(flashsim_t *fs, flashsim_op_kind_t kind, uint32_t op,
                                     uint32_t first, uint32_t count, uint32_t *done)
{
    uint32_t addr = first * FLASHSIM_SECTOR_SIZE, len = count * FLASHSIM_SECTOR_SIZE;
    uint64_t erase_ns = kind == FLASHSIM_OP_ERASE_BLOCK ? fs->erase_block_ns : fs->erase_sector_ns;
    if (fs_faults_at_start(fs, op, FLASHSIM_ACCESS_ERASE, addr, len))
        return FLASHSIM_ERR_IO;
    size_t cut_item = 0;
    const flashsim_fault_t *cut = fs_cut_for(fs, op, &cut_item);
    if (cut && cut->page > 0)
        cut = NULL; /* an erase has only step 0: such a cut never fires */
    hook(fs, FLASHSIM_HOOK_BEFORE, kind, op, 0, addr, len, NULL, FLASHSIM_OK);
    if (cut && cut->mode != FLASHSIM_CUT_AFTER) {
        uint32_t bits = 0;
        if (cut->mode == FLASHSIM_CUT_TORN) {
            for (uint32_t i = 0; i < count; i++)
                bits += fs_tear_sector(fs, first + i, fs->fault_seed, op, cut->weak);
            fs_force_stuck(fs, addr, len, op);
            fs->st.time_ns += erase_ns / 2;
        }
        fs_cut_fired(fs, cut_item, op, cut->page, addr, bits);
        return FLASHSIM_ERR_POWER;
    }
    bool ok = true;
    for (uint32_t i = 0; i < count; i++)
        ok &= fs_erase_cycle(fs, first + i, op);
    fs_force_stuck(fs, addr, len, op);
    fs->st.time_ns += erase_ns;
    flashsim_status_t st = ok ? FLASHSIM_OK : FLASHSIM_ERR_IO;
    *done = 1;
    hook(fs, FLASHSIM_HOOK_AFTER, kind, op, 1, addr, len, NULL, st);
    if (cut) { /* after */
        fs_cut_fired(fs, cut_item, op, cut->page, addr, 0);
        return FLASHSIM_ERR_POWER;
    }
    return st;
}

static flashsim_status_t erase(flashsim_t *fs, flashsim_op_kind_t kind, uint32_t first,
                               uint32_t count)
{
    uint32_t op = fs->st.op_count++;
    if (kind == FLASHSIM_OP_ERASE_BLOCK)
        fs->st.stats.block_erases++;
    else
        fs->st.stats.sector_erases++;
    uint64_t t0 = fs->st.time_ns;
    uint32_t done = 0;
    flashsim_status_t st = erase_steps(fs, kind, op, first, count, &done);
    fs_trace(fs, kind, op, first * FLASHSIM_SECTOR_SIZE, count * FLASHSIM_SECTOR_SIZE, t0, st,
             done);
    return st;
}

flashsim_status_t flashsim_erase_sector(flashsim_t *fs, uint32_t sector)
{
    no_reentry(fs, "flashsim_erase_sector()");
    if (!fs->st.powered)
        return FLASHSIM_ERR_POWER;
    if (sector >= fs->nsectors)
        return FLASHSIM_ERR_RANGE;
    return erase(fs, FLASHSIM_OP_ERASE_SECTOR, sector, 1);
}

flashsim_status_t flashsim_erase_block(flashsim_t *fs, uint32_t block)
{
    const uint32_t per_block = FLASHSIM_BLOCK_SIZE / FLASHSIM_SECTOR_SIZE;
    no_reentry(fs, "flashsim_erase_block()");
    if (!fs->st.powered)
        return FLASHSIM_ERR_POWER;
    if (block >= fs->nsectors / per_block)
        return FLASHSIM_ERR_RANGE;
    return erase(fs, FLASHSIM_OP_ERASE_BLOCK, block * per_block, per_block);
}

void flashsim_set_hook(flashsim_t *fs, flashsim_hook_fn fn, void *ctx)
{
    no_reentry(fs, "flashsim_set_hook()");
    fs->hook = fn;
    fs->hook_ctx = ctx;
}
