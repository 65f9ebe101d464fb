/* Random-access byte readers. The image parser, the signed-image verifier and the sketch
 * helpers read through this one callback type, so the same code works on a byte buffer (host
 * tools, tests, fuzzing) and on flash (the Updater, the bootloader, getSketchSize). */
#ifndef OTASIM_READER_H
#define OTASIM_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

/* Copy `len` bytes starting at `offset` into `dst`. Returns false if any of them cannot be
 * read (out of range, I/O error); `dst` is then unspecified. `len` may be 0. */
typedef bool (*reader_fn)(void *ctx, uint32_t offset, void *dst, uint32_t len);

typedef struct reader {
    reader_fn read;
    void *ctx;
} reader_t;

static inline bool reader_read(const reader_t *r, uint32_t offset, void *dst, uint32_t len)
{
    return r->read(r->ctx, offset, dst, len);
}

/* A byte buffer as a reader: offsets are buffer indexes; reads past `len` fail. */
typedef struct mem_reader {
    const uint8_t *data;
    uint32_t len;
} mem_reader_t;
bool mem_reader_read(void *ctx, uint32_t offset, void *dst, uint32_t len);
static inline reader_t mem_reader(mem_reader_t *m)
{
    reader_t r = {mem_reader_read, m};
    return r;
}

/* Flash through the HAL, any alignment (the HAL itself needs 4-byte aligned addresses and
 * lengths): offsets are physical flash addresses. `ctx` is unused. */
hal_status_t flash_read_any(uint32_t addr, void *dst, uint32_t len);
bool flash_reader_read(void *ctx, uint32_t offset, void *dst, uint32_t len);
static inline reader_t flash_reader(void)
{
    reader_t r = {flash_reader_read, 0};
    return r;
}

#endif
