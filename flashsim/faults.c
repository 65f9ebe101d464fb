/* The armed fault plan: arming, triggers, torn effects, stuck and weak bits, wear-out, RTC
 * garbage, and the log of every fault that fired. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Distinct streams of randomness from one seed. */
enum {
    STREAM_TORN_PROGRAM = 1,
    STREAM_TORN_ERASE,
    STREAM_WEAK_SET,
    STREAM_WEAK_READ,
    STREAM_WEAR,
    STREAM_RTC
};

static uint64_t stream(uint64_t seed, unsigned kind, uint64_t a)
{
    return fs_mix3(seed, kind, a);
}

void fs_plan_release(flashsim_t *fs)
{
    flashsim_plan_free(fs->plan);
    free(fs->fired);
    fs->plan = NULL;
    fs->fired = NULL;
    fs->plan_has_op_items = fs->plan_has_addr_items = fs->plan_has_stuck = false;
    fs->fault_seed = fs->cfg.seed;
}

void fs_log(flashsim_t *fs, const flashsim_fault_event_t *ev)
{
    if (fs->log_n == fs->log_cap) {
        fs->log_cap = fs->log_cap ? fs->log_cap * 2 : 16;
        fs->log = fs_xrealloc(fs->log, fs->log_cap * sizeof *fs->log);
    }
    fs->log[fs->log_n++] = *ev;
}

static void fired(flashsim_t *fs, size_t item, uint32_t op, int32_t page, uint32_t addr,
                  uint32_t bits)
{
    const flashsim_fault_t *f = &fs->plan->items[item];
    fs->fired[item]++;
    flashsim_fault_event_t ev = {.op = op,
                                 .page = page,
                                 .addr = addr,
                                 .bits = bits,
                                 .kind = f->kind,
                                 .mode = f->mode,
                                 .item = (int32_t)item,
                                 .seed = fs->fault_seed};
    fs_log(fs, &ev);
}

static void flip(flashsim_t *fs, size_t item, uint32_t op)
{
    const flashsim_fault_t *f = &fs->plan->items[item];
    fs_sector_t *s = fs_sector_mut(fs, f->addr / FLASHSIM_SECTOR_SIZE);
    s->data[f->addr % FLASHSIM_SECTOR_SIZE] ^= (uint8_t)(1u << f->bit);
    fired(fs, item, op, -1, f->addr, 1);
}

flashsim_status_t flashsim_set_plan(flashsim_t *fs, const flashsim_plan_t *plan, uint32_t op_base)
{
    if (fs->in_hook) {
        fprintf(stderr, "flashsim: flashsim_set_plan() called from a hook callback\n");
        abort();
    }
    for (size_t i = 0; plan && i < plan->n; i++) {
        const flashsim_fault_t *f = &plan->items[i];
        bool has_addr =
            f->kind != FLASHSIM_FAULT_CUT && !(f->kind == FLASHSIM_FAULT_FAIL && f->at_op);
        if (has_addr && f->addr >= fs->cfg.size)
            return FLASHSIM_ERR_RANGE;
    }
    fs_plan_release(fs);
    fs->log_n = 0;
    if (!plan)
        return FLASHSIM_OK;
    fs->plan = fs_plan_copy(plan);
    fs->fired = fs_xcalloc(plan->n ? plan->n : 1, sizeof *fs->fired);
    fs->fault_seed = plan->has_seed ? plan->seed : fs->cfg.seed;
    for (size_t i = 0; i < plan->n; i++) {
        flashsim_fault_t *f = &fs->plan->items[i];
        if (f->at_op) {
            f->op += op_base;
            fs->plan_has_op_items = true;
        } else if (f->kind == FLASHSIM_FAULT_FAIL) {
            fs->plan_has_addr_items = true;
        } else if (f->kind == FLASHSIM_FAULT_STUCK0 || f->kind == FLASHSIM_FAULT_STUCK1) {
            fs->plan_has_stuck = true;
        } else if (f->kind == FLASHSIM_FAULT_FLIP) {
            flip(fs, i, fs->st.op_count);
        }
    }
    fs_force_stuck(fs, 0, fs->cfg.size, fs->st.op_count);
    return FLASHSIM_OK;
}

static bool overlaps(uint32_t x, uint32_t addr, uint32_t len)
{
    return x >= addr && x - addr < len;
}

static bool addr_fail(flashsim_t *fs, uint32_t op, flashsim_access_t access, uint32_t addr,
                      uint32_t len)
{
    for (size_t i = 0; i < fs->plan->n; i++) {
        const flashsim_fault_t *f = &fs->plan->items[i];
        if (f->kind != FLASHSIM_FAULT_FAIL || f->at_op || (f->once && fs->fired[i]))
            continue;
        if ((f->on == FLASHSIM_ACCESS_ANY || f->on == access) && overlaps(f->addr, addr, len)) {
            fired(fs, i, op, -1, f->addr, 0);
            return true;
        }
    }
    return false;
}

bool fs_faults_at_start(flashsim_t *fs, uint32_t op, flashsim_access_t access, uint32_t addr,
                        uint32_t len)
{
    if (!fs->plan)
        return false;
    bool fail = false;
    if (fs->plan_has_op_items) {
        for (size_t i = 0; i < fs->plan->n; i++) {
            const flashsim_fault_t *f = &fs->plan->items[i];
            if (!f->at_op || f->op != op)
                continue;
            if (f->kind == FLASHSIM_FAULT_FLIP) {
                flip(fs, i, op);
            } else if (f->kind == FLASHSIM_FAULT_FAIL && !fail) {
                fired(fs, i, op, -1, addr, 0);
                fail = true;
            }
        }
    }
    if (!fail && fs->plan_has_addr_items)
        fail = addr_fail(fs, op, access, addr, len);
    return fail;
}

bool fs_read_fails(flashsim_t *fs, uint32_t addr, uint32_t len)
{
    return fs->plan && fs->plan_has_addr_items &&
           addr_fail(fs, fs->st.op_count, FLASHSIM_ACCESS_READ, addr, len);
}

const flashsim_fault_t *fs_cut_for(const flashsim_t *fs, uint32_t op, size_t *item)
{
    if (!fs->plan || !fs->plan_has_op_items)
        return NULL;
    for (size_t i = 0; i < fs->plan->n; i++) {
        const flashsim_fault_t *f = &fs->plan->items[i];
        if (f->kind == FLASHSIM_FAULT_CUT && f->op == op) {
            *item = i;
            return f;
        }
    }
    return NULL;
}

void fs_cut_fired(flashsim_t *fs, size_t item, uint32_t op, int32_t page, uint32_t addr,
                  uint32_t bits)
{
    fired(fs, item, op, page, addr, bits);
    fs->st.powered = false;
    fs->st.stats.power_cuts++;
}

void fs_force_stuck(flashsim_t *fs, uint32_t addr, uint32_t len, uint32_t op)
{
    if (!fs->plan_has_stuck)
        return;
    for (size_t i = 0; i < fs->plan->n; i++) {
        const flashsim_fault_t *f = &fs->plan->items[i];
        if ((f->kind != FLASHSIM_FAULT_STUCK0 && f->kind != FLASHSIM_FAULT_STUCK1) ||
            !overlaps(f->addr, addr, len))
            continue;
        uint32_t sector = f->addr / FLASHSIM_SECTOR_SIZE, off = f->addr % FLASHSIM_SECTOR_SIZE;
        const fs_sector_t *cur = fs_sector_get(fs, sector);
        uint8_t byte = cur ? cur->data[off] : 0xFF, mask = (uint8_t)(1u << f->bit);
        uint8_t want = f->kind == FLASHSIM_FAULT_STUCK1 ? byte | mask : byte & ~mask;
        if (want == byte)
            continue;
        fs_sector_t *s = fs_sector_mut(fs, sector);
        s->data[off] = want;
        if (s->weak)
            s->weak[off] &= (uint8_t)~mask;
        fired(fs, i, op, -1, f->addr, 1);
    }
}

void fs_weak_read(flashsim_t *fs, const fs_sector_t *s, uint32_t sector, uint32_t off, uint8_t *out,
                  uint32_t n)
{
    uint64_t base = (uint64_t)sector * FLASHSIM_SECTOR_SIZE + off;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t m = s->weak[off + i];
        if (m) {
            uint8_t r =
                (uint8_t)stream(fs->fault_seed ^ fs->st.read_count, STREAM_WEAK_READ, base + i);
            out[i] = (uint8_t)((out[i] & ~m) | (r & m));
        }
    }
}

/* Random byte i of a stream keyed by (seed, kind, key). */
static inline uint8_t rnd_byte(uint64_t seed, unsigned kind, uint64_t key, uint32_t i)
{
    return (uint8_t)(stream(seed, kind, key ^ ((uint64_t)(i / 8) << 40)) >> (8 * (i % 8)));
}

uint32_t fs_tear_piece(flashsim_t *fs, uint32_t addr, const uint8_t *src, uint32_t n, uint64_t seed,
                       uint32_t op, uint32_t page)
{
    fs_sector_t *s = fs_sector_mut(fs, addr / FLASHSIM_SECTOR_SIZE);
    uint8_t *d = s->data + addr % FLASHSIM_SECTOR_SIZE;
    uint64_t key = (uint64_t)op << 20 ^ page;
    uint32_t bits = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t landed = (uint8_t)(d[i] & ~src[i] & rnd_byte(seed, STREAM_TORN_PROGRAM, key, i));
        d[i] &= (uint8_t)~landed;
        if (s->weak)
            s->weak[addr % FLASHSIM_SECTOR_SIZE + i] &= (uint8_t)~landed;
        bits += (uint32_t)__builtin_popcount(landed);
    }
    return bits;
}

uint32_t fs_tear_sector(flashsim_t *fs, uint32_t sector, uint64_t seed, uint32_t op, bool weak)
{
    fs_sector_t *s = fs_sector_mut(fs, sector);
    s->erase_count++; /* an interrupted erase still stresses the cells */
    uint64_t key = (uint64_t)op << 20 ^ sector;
    uint32_t bits = 0;
    for (uint32_t i = 0; i < FLASHSIM_SECTOR_SIZE; i++) {
        uint8_t up = (uint8_t)(~s->data[i] & rnd_byte(seed, STREAM_TORN_ERASE, key, i));
        s->data[i] |= up;
        bits += (uint32_t)__builtin_popcount(up);
        uint8_t old_weak = s->weak ? s->weak[i] : 0;
        uint8_t w = (uint8_t)((old_weak & ~up) |
                              (weak ? ~s->data[i] & rnd_byte(seed, STREAM_WEAK_SET, key, i) : 0));
        if (w && !s->weak)
            s->weak = fs_xcalloc(1, FLASHSIM_SECTOR_SIZE);
        if (s->weak)
            s->weak[i] = w;
    }
    return bits;
}

static void erase_sector_data(fs_sector_t *s)
{
    memset(s->data, 0xFF, FLASHSIM_SECTOR_SIZE);
    s->erase_count++;
    free(s->weak);
    s->weak = NULL;
}

bool fs_erase_cycle(flashsim_t *fs, uint32_t sector, uint32_t op)
{
    fs_sector_t *s = fs_sector_mut(fs, sector);
    if (s->erase_count < fs->cfg.endurance) {
        erase_sector_data(s);
        return true;
    }
    /* Worn out: each sector fails its own way, chosen by the device seed. */
    uint64_t h = stream(fs->cfg.seed, STREAM_WEAR, sector);
    flashsim_fault_event_t ev = {.op = op,
                                 .page = 0,
                                 .addr = sector * FLASHSIM_SECTOR_SIZE,
                                 .kind = FLASHSIM_FAULT_WEAR,
                                 .item = -1,
                                 .seed = fs->cfg.seed};
    if (h & 1) {
        s->erase_count++;
        fs_log(fs, &ev);
        return false;
    }
    erase_sector_data(s);
    uint32_t nstuck = 1 + (uint32_t)(h >> 1) % 4;
    for (uint32_t j = 0; j < nstuck; j++) {
        uint32_t bit =
            (uint32_t)(stream(fs->cfg.seed, STREAM_WEAR, (uint64_t)sector << 8 | (j + 1)) %
                       (FLASHSIM_SECTOR_SIZE * 8));
        if (s->data[bit / 8] & (1u << bit % 8)) {
            s->data[bit / 8] &= (uint8_t) ~(1u << bit % 8);
            ev.bits++;
        }
    }
    fs_log(fs, &ev);
    return true;
}

void fs_rtc_power_loss(flashsim_t *fs)
{
    if (!fs->plan || !fs->plan->rtc_garbage) {
        memset(fs->st.rtc, 0, FLASHSIM_RTC_SIZE);
        return;
    }
    uint32_t bits = 0;
    for (uint32_t i = 0; i < FLASHSIM_RTC_SIZE; i++) {
        fs->st.rtc[i] = rnd_byte(fs->fault_seed, STREAM_RTC, fs->st.stats.power_losses, i);
        bits += (uint32_t)__builtin_popcount(fs->st.rtc[i]);
    }
    flashsim_fault_event_t ev = {.op = fs->st.op_count,
                                 .page = -1,
                                 .addr = FLASHSIM_RTC_BASE,
                                 .bits = bits,
                                 .kind = FLASHSIM_FAULT_RTC,
                                 .item = -1,
                                 .seed = fs->fault_seed};
    fs_log(fs, &ev);
}

flashsim_status_t flashsim_tear_program(flashsim_t *fs, uint32_t addr, const void *src,
                                        uint32_t len, uint64_t seed, uint32_t op, uint32_t page)
{
    if ((addr | len) & 3u)
        return FLASHSIM_ERR_ALIGN;
    if (addr > fs->cfg.size || len > fs->cfg.size - addr || (len && !src))
        return FLASHSIM_ERR_RANGE;
    const uint8_t *in = src;
    while (len) {
        uint32_t n = FLASHSIM_PAGE_SIZE - addr % FLASHSIM_PAGE_SIZE;
        if (n > len)
            n = len;
        fs_tear_piece(fs, addr, in, n, seed, op, page++);
        addr += n;
        in += n;
        len -= n;
    }
    return FLASHSIM_OK;
}

flashsim_status_t flashsim_tear_erase(flashsim_t *fs, uint32_t sector, uint64_t seed, uint32_t op,
                                      bool weak)
{
    if (sector >= fs->nsectors)
        return FLASHSIM_ERR_RANGE;
    fs_tear_sector(fs, sector, seed, op, weak);
    return FLASHSIM_OK;
}

const flashsim_fault_event_t *flashsim_fault_log(const flashsim_t *fs, size_t *count)
{
    *count = fs->log_n;
    return fs->log;
}

uint32_t flashsim_fault_fired(const flashsim_t *fs, size_t item)
{
    return fs->plan && item < fs->plan->n ? fs->fired[item] : 0;
}

size_t flashsim_faults_unfired(const flashsim_t *fs)
{
    size_t n = 0;
    for (size_t i = 0; fs->plan && i < fs->plan->n; i++)
        n += fs->fired[i] == 0;
    return n;
}

int flashsim_fault_event_format(const flashsim_fault_event_t *ev, char *buf, size_t size)
{
    static const char *const modes[] = {"before", "after", "torn"};
    char where[40];
    if (ev->page >= 0)
        snprintf(where, sizeof where, "op %u page %d", ev->op, ev->page);
    else
        snprintf(where, sizeof where, "op %u", ev->op);
    switch (ev->kind) {
    case FLASHSIM_FAULT_CUT:
        if (ev->mode == FLASHSIM_CUT_TORN)
            return snprintf(buf, size, "%s: cut torn at 0x%06x, %u bits landed, seed %llu", where,
                            ev->addr, ev->bits, (unsigned long long)ev->seed);
        return snprintf(buf, size, "%s: cut %s at 0x%06x", where, modes[ev->mode % 3], ev->addr);
    case FLASHSIM_FAULT_WEAR:
        if (!ev->bits)
            return snprintf(buf, size, "%s: wear-out, erase of 0x%06x failed, seed %llu", where,
                            ev->addr, (unsigned long long)ev->seed);
        return snprintf(buf, size, "%s: wear-out, %u bits stuck at 0 in 0x%06x, seed %llu", where,
                        ev->bits, ev->addr, (unsigned long long)ev->seed);
    case FLASHSIM_FAULT_RTC:
        return snprintf(buf, size, "%s: power loss filled RTC memory with garbage, seed %llu",
                        where, (unsigned long long)ev->seed);
    default:
        return snprintf(buf, size, "%s: %s at 0x%06x (plan item %d)", where,
                        flashsim_fault_kind_name(ev->kind), ev->addr, ev->item);
    }
}
