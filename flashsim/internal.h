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
    _Alignas(16) uint8_t data[FLASHSIM_SECTOR_SIZE];
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

struct flashsim {
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
const fs_sector_t *fs_sector_get(const flashsim_t *fs, uint32_t sector);
/* Writable sector, private to this device (copies shared chunk/sector, creates erased ones). */
fs_sector_t *fs_sector_mut(flashsim_t *fs, uint32_t sector);

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
