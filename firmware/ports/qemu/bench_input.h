/* The fixed input of the lx106 bench (bench.c) and of its host-side expectation generator
 * (bench_gen.c): BENCH_LEN bytes from a 32-bit LCG, so both sides build it without a table. */
#ifndef OTASIM_QEMU_BENCH_INPUT_H
#define OTASIM_QEMU_BENCH_INPUT_H

#include <stdint.h>

#define BENCH_LEN 8192u

static inline void bench_fill(uint8_t *buf, uint32_t len)
{
    uint32_t x = 0x12345678u;
    for (uint32_t i = 0; i < len; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = (uint8_t)(x >> 24);
    }
}

/* Compressible text for inflate: words picked by the same LCG. */
static inline void bench_fill_text(uint8_t *buf, uint32_t len)
{
    static const char *const words[] = {"flash ",      "sector ", "update ", "boot ", "image ",
                                        "0x40201010 ", "erase ",  "write ",  "ok\n",  "crc "};
    uint32_t x = 0xC0FFEEu, p = 0;
    while (p < len) {
        x = x * 1664525u + 1013904223u;
        const char *w = words[(x >> 24) % 10u];
        while (*w && p < len)
            buf[p++] = (uint8_t)*w++;
    }
}

#endif
