/* Helpers shared by the Updater conformance tests (test_updater_*.c): small images, one-call
 * updates, the boot command as the bootloader would read it from RTC memory, fault plans.
 * Header-only (static inline) so each test binary stays one source file plus testlib. */
#ifndef OTASIM_TESTS_CORE_UPDATER_UTIL_H
#define OTASIM_TESTS_CORE_UPDATER_UTIL_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "boot_cmd.h"
#include "flashsim.h"
#include "testlib.h"
#include "updater.h"

/* A small valid .bin (eboot + app, CRC words) with a given flash mode / size byte. */
static inline uint8_t *uu_small_pair(uint8_t mode, uint8_t size_freq, uint32_t seed, size_t *len)
{
    tb_pair_opts_t o;
    tb_pair_defaults(&o);
    o.flash_mode = mode;
    o.size_freq = size_freq;
    o.irom_len = 9000;
    o.ram_len = 1600;
    o.seed = seed;
    return tb_build_pair(&o, len);
}

/* A deterministic byte pattern (not an image). */
static inline uint8_t *uu_pattern(size_t len, uint32_t seed)
{
    uint8_t *p = malloc(len ? len : 1);
    cr_assert_not_null(p);
    uint32_t x = seed * 2654435761u + 1u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

/* begin(len, command) + write() in `chunk`-byte pieces + end(false). */
static inline bool uu_update(tdev_t *d, const uint8_t *img, size_t len, int command, size_t chunk)
{
    if (!updater_begin(&d->up, (uint32_t)len, command)) {
        return false;
    }
    for (size_t off = 0; off < len;) {
        size_t n = len - off < chunk ? len - off : chunk;
        if (updater_write(&d->up, img + off, (uint32_t)n) != n) {
            return false;
        }
        off += n;
    }
    return updater_end(&d->up, false);
}

/* The 128-byte boot command block as a bootloader reads it (RTC user offset 0). */
typedef struct uu_cmd {
    uint8_t raw[BOOT_CMD_SIZE];
    boot_cmd_t cmd;
    bool valid; /* boot_cmd_valid() */
} uu_cmd_t;

static inline uu_cmd_t uu_read_cmd(tdev_t *d)
{
    uu_cmd_t c;
    cr_assert_eq(flashsim_rtc_read(d->fs, FLASHSIM_RTC_USER_OFFSET, c.raw, sizeof(c.raw)),
                 FLASHSIM_OK);
    boot_cmd_decode(c.raw, &c.cmd);
    c.valid = boot_cmd_valid(&c.cmd);
    return c;
}

/* Asserts the block is exactly what spec §2.6 step 7 / §3.2 say: magic 0xEB001000, COPY_RAW,
 * args {src, dst, size}, our writer's zeroes elsewhere, and a CRC-32/MPEG-2 over the first 124
 * raw bytes computed by the test's own bitwise CRC. */
static inline void uu_expect_copy_cmd(tdev_t *d, uint32_t src, uint32_t dst, uint32_t size)
{
    uu_cmd_t c = uu_read_cmd(d);
    cr_expect(c.valid, "boot command valid");
    uint32_t w[32];
    for (int i = 0; i < 32; i++) {
        w[i] = c.raw[4 * i] | (uint32_t)c.raw[4 * i + 1] << 8 | (uint32_t)c.raw[4 * i + 2] << 16 |
               (uint32_t)c.raw[4 * i + 3] << 24;
    }
    cr_expect_eq(w[0], 0xEB001000u, "magic %#x", w[0]);
    cr_expect_eq(w[1], 0x00000001u, "action %#x", w[1]);
    cr_expect_eq(w[2], src, "args[0] %#x, want %#x", w[2], src);
    cr_expect_eq(w[3], dst, "args[1] %#x, want %#x", w[3], dst);
    cr_expect_eq(w[4], size, "args[2] %u, want %u", w[4], size);
    for (int i = 5; i < 31; i++) {
        cr_expect_eq(w[i], 0u, "args[%d] zeroed", i - 2);
    }
    cr_expect_eq(w[31], ref_crc32_mpeg2(c.raw, 124), "crc");
}

/* No block a bootloader would act on. */
static inline void uu_expect_no_cmd(tdev_t *d)
{
    uu_cmd_t c = uu_read_cmd(d);
    cr_expect_not(c.valid, "no boot command expected (magic %#x action %#x)", c.cmd.magic,
                  c.cmd.action);
}

static inline void uu_plan(tdev_t *d, const char *text)
{
    char err[128];
    flashsim_plan_t *p = flashsim_plan_parse(text, err, sizeof(err));
    cr_assert_not_null(p, "plan %s: %s", text, err);
    cr_assert_eq(flashsim_set_plan(d->fs, p, 0), FLASHSIM_OK);
    flashsim_plan_free(p);
}

/* getSketchSize() by the spec's rule (§4.4), from the sketch bytes the test installed:
 * pos = 0x1000 + 8, pos += 8 + length per segment, (pos + 16) & ~15. */
static inline uint32_t uu_spec_sketch_size(const tdev_t *d)
{
    const uint8_t *b = d->sketch;
    uint32_t pos = 0x1000 + 8;
    for (unsigned i = 0; i < b[0x1001]; i++) {
        const uint8_t *h = b + pos;
        uint32_t l = h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
        pos += 8 + l;
    }
    return (pos + 16) & ~15u;
}

static inline uint32_t uu_round4k(uint32_t v)
{
    return (uint32_t)(((uint64_t)v + 4095u) / 4096u * 4096u);
}

#endif
