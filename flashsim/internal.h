/* flashsim internals shared by the library's source files. Not installed, not an API. */
#ifndef OTASIM_FLASHSIM_INTERNAL_H
#define OTASIM_FLASHSIM_INTERNAL_H

#include "flashsim.h"

#include <stdio.h>

/* Storage: the chip is a table of chunks, each a table of sectors. Both levels are reference
 * counted and copied on write, so a snapshot copies only the chunk table (a few dozen pointers)
 * and a write after a snapshot copies one chunk table (SECTORS_PER_CHUNK pointers) and one
 * sector. A NULL chunk or sector is a never-written sector: all 0xFF, erase count 0. */
#define SECTORS_PER_CHUNK 32u

typedef struct fs_sector {
    uint32_t refs;
    uint32_t erase_count;
    uint8_t *weak; /* NULL, or FLASHSIM_SECTOR_SIZE bytes: a 1 bit reads back randomly */
    /* FLASHSIM_SECTOR_SIZE bytes, allocated apart from this header: copying a chunk table
     * bumps the refs of up to SECTORS_PER_CHUNK sectors, and with the headers packed together
     * (not one per data page) that writes a page or two instead of 32 — after a fork() (each
     * native boot) every written page is a copy-on-write fault (BENCHMARKS.md, issue 5). */
    uint8_t *data;
} fs_sector_t;

typedef struct fs_chunk {
    uint32_t refs;
    fs_sector_t *sec[SECTORS_PER_CHUNK];
} fs_chunk_t;

/* Everything besides storage that a snapshot saves and a restore brings back. */
typedef struct fs_state {
    uint32_t op_count;
    bool powered;
    uint64_t read_count; /* reads so far: drives the weak-bit randomness */
    uint64_t time_ns;    /* simulated time */
    flashsim_stats_t stats;
    uint8_t rtc[FLASHSIM_RTC_SIZE];
} fs_state_t;

struct flashsim_plan {
    bool has_seed, rtc_garbage;
    uint64_t seed;
    size_t n, cap;
    flashsim_fault_t *items;
};

struct flashsim {
    flashsim_config_t cfg;
    uint32_t nsectors, nchunks;
    fs_chunk_t **chunks;
    fs_state_t st;

    /* Attachments: not device state, so snapshots neither save nor restore them. */
    flashsim_plan_t *plan; /* armed copy; ops already made absolute */
    uint32_t *fired;       /* per plan item */
    uint64_t fault_seed;   /* the plan's seed, else cfg.seed */
    bool plan_has_op_items, plan_has_addr_items, plan_has_stuck;
    flashsim_fault_event_t *log;
    size_t log_n, log_cap;

    flashsim_hook_fn hook;
    void *hook_ctx;
    bool in_hook;

    flashsim_timing_t timing;
    uint64_t erase_sector_ns, erase_block_ns, page_program_ns;

    bool trace_on;
    flashsim_trace_entry_t *trace;
    size_t trace_n, trace_cap;
    FILE *trace_file;
};

struct flashsim_snapshot {
    uint32_t refs;
    flashsim_config_t cfg;
    uint32_t nsectors, nchunks;
    fs_chunk_t **chunks;
    fs_state_t st;
};

/* storage.c */
void *fs_xmalloc(size_t n);
void *fs_xcalloc(size_t n, size_t size);
void *fs_xrealloc(void *p, size_t n);
fs_chunk_t **fs_chunks_new(uint32_t nchunks);
void fs_chunk_unref(fs_chunk_t *c);
void fs_chunks_free(fs_chunk_t **chunks, uint32_t nchunks);
/* Read-only view of a sector: NULL when never written (all 0xFF). */
static inline const fs_sector_t *fs_chunks_sector(fs_chunk_t *const *chunks, uint32_t sector)
{
    const fs_chunk_t *c = chunks[sector / SECTORS_PER_CHUNK];
    return c ? c->sec[sector % SECTORS_PER_CHUNK] : NULL;
}
static inline const fs_sector_t *fs_sector_get(const flashsim_t *fs, uint32_t sector)
{
    return fs_chunks_sector(fs->chunks, sector);
}
/* Raw bytes (peek semantics) of a chip of `size` bytes stored in chunks. */
void fs_chunks_peek(fs_chunk_t *const *chunks, uint32_t size, uint32_t addr, void *dst,
                    uint32_t len);
/* Writable sector, private to this device (copies shared chunk/sector, creates erased ones). */
fs_sector_t *fs_sector_mut(flashsim_t *fs, uint32_t sector);

/* plan.c */
flashsim_plan_t *fs_plan_copy(const flashsim_plan_t *plan);

/* faults.c: what the operations ask the armed plan. */
void fs_plan_release(flashsim_t *fs);
void fs_log(flashsim_t *fs, const flashsim_fault_event_t *ev);
/* At the start of operation op on [addr, addr+len): fire flips planned at op, then say whether
 * a FAIL item (by op, or by address for this access) makes it fail. */
bool fs_faults_at_start(flashsim_t *fs, uint32_t op, flashsim_access_t access, uint32_t addr,
                        uint32_t len);
bool fs_read_fails(flashsim_t *fs, uint32_t addr, uint32_t len);
/* The cut planned for op (NULL if none); *item gets its index. */
const flashsim_fault_t *fs_cut_for(const flashsim_t *fs, uint32_t op, size_t *item);
void fs_cut_fired(flashsim_t *fs, size_t item, uint32_t op, int32_t page, uint32_t addr,
                  uint32_t bits);
/* Force planned stuck bits inside [addr, addr+len) (after a program or erase there). */
void fs_force_stuck(flashsim_t *fs, uint32_t addr, uint32_t len, uint32_t op);
/* Weak bits of the sector read back randomly: adjust out (n bytes at sector offset off). */
void fs_weak_read(flashsim_t *fs, const fs_sector_t *s, uint32_t sector, uint32_t off, uint8_t *out,
                  uint32_t n);
/* Torn effects, returning how many bits changed. */
uint32_t fs_tear_piece(flashsim_t *fs, uint32_t addr, const uint8_t *src, uint32_t n, uint64_t seed,
                       uint32_t op, uint32_t page);
uint32_t fs_tear_sector(flashsim_t *fs, uint32_t sector, uint64_t seed, uint32_t op, bool weak);
/* One erase cycle of a sector, with wear-out; false when the worn sector refused to erase. */
bool fs_erase_cycle(flashsim_t *fs, uint32_t sector, uint32_t op);
void fs_rtc_power_loss(flashsim_t *fs);

/* timing.c */
void fs_timing_default(flashsim_t *fs);

/* trace.c */
void fs_trace(flashsim_t *fs, flashsim_op_kind_t kind, uint32_t op, uint32_t addr, uint32_t len,
              uint64_t t_ns, flashsim_status_t status, uint32_t steps);
void fs_trace_free(flashsim_t *fs);

/* Deterministic randomness: a stateless 64-bit mixer (splitmix64's finaliser). */
static inline uint64_t fs_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static inline uint64_t fs_mix3(uint64_t a, uint64_t b, uint64_t c)
{
    return fs_mix(a ^ fs_mix(b ^ fs_mix(c)));
}

#endif
