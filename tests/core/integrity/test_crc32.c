/* CRC-32/MPEG-2 and gzip CRC-32: check values, the spec's boot-command example, and random
 * inputs against zlib (for MPEG-2 through the bit-reflection identity, and against an
 * independent bitwise reference). */
#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

#include "crc32.h"
#include "test_rng.h"

Test(crc32, check_values)
{
    cr_assert_eq(crc32_mpeg2(CRC32_MPEG2_INIT, "123456789", 9), 0x0376E6E7u);
    cr_assert_eq(crc32_gzip(0, "123456789", 9), 0xCBF43926u);
    cr_assert_eq(crc32_gzip(0, "", 0), 0u);
    cr_assert_eq(crc32_mpeg2(CRC32_MPEG2_INIT, "", 0), CRC32_MPEG2_INIT);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Spec §4 worked example: the eboot command block, CRC over its first 124 bytes. */
Test(crc32, boot_command_example)
{
    uint8_t cmd[128] = {0};
    put_le32(cmd + 0, 0xEB001000u);
    put_le32(cmd + 4, 1);
    put_le32(cmd + 8, 0x2B5000u);
    put_le32(cmd + 12, 0);
    put_le32(cmd + 16, 0x4A5D2u);
    cr_assert_eq(crc32_mpeg2(CRC32_MPEG2_INIT, cmd, 124), 0x44CFAD20u);
}

static uint8_t reflect8(uint8_t b)
{
    uint8_t r = 0;
    for (int i = 0; i < 8; i++)
        if (b & (1u << i))
            r |= (uint8_t)(0x80u >> i);
    return r;
}

static uint32_t reflect32(uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++)
        if (v & (1u << i))
            r |= 0x80000000u >> i;
    return r;
}

/* MPEG-2 via zlib: the non-reflected CRC of data equals the reflected CRC of the bit-reversed
 * bytes, bit-reversed (init 0xFFFFFFFF is its own reflection). zlib applies a final XOR that
 * MPEG-2 does not, hence the ~. */
static uint32_t mpeg2_via_zlib(const uint8_t *data, size_t len, uint8_t *scratch)
{
    for (size_t i = 0; i < len; i++)
        scratch[i] = reflect8(data[i]);
    return ~reflect32((uint32_t)crc32(0, scratch, (uInt)len));
}

static uint32_t mpeg2_bitwise(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint32_t)data[i] << 24;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

Test(crc32, random_against_zlib)
{
    static uint8_t data[5000], scratch[5000];
    test_rng_t rng = {0xC4C32ull};
    for (int iter = 0; iter < 1500; iter++) {
        size_t len = rng_length(&rng, sizeof data);
        rng_fill(&rng, data, len);
        /* Streamed in random chunks, chained through the previous result. */
        uint32_t gz = 0, mp = CRC32_MPEG2_INIT;
        size_t off = 0;
        while (off < len) {
            size_t n = 1 + rng_below(&rng, (uint32_t)(len - off));
            gz = crc32_gzip(gz, data + off, n);
            mp = crc32_mpeg2(mp, data + off, n);
            off += n;
        }
        uint32_t want_gz = (uint32_t)crc32(0, data, (uInt)len);
        cr_assert_eq(gz, want_gz, "gzip crc iter %d len %zu: %08x != zlib %08x", iter, len, gz,
                     want_gz);
        cr_assert_eq(crc32_gzip(0, data, len), want_gz);
        cr_assert_eq(mp, mpeg2_via_zlib(data, len, scratch), "mpeg2 crc iter %d len %zu", iter,
                     len);
        cr_assert_eq(mp, mpeg2_bitwise(data, len), "mpeg2 bitwise iter %d len %zu", iter, len);
    }
}

Test(crc32, gzip_chaining_from_nonzero_seed)
{
    /* crc32_gzip(crc, ...) continues any prior CRC exactly like zlib's crc32(crc, ...). */
    test_rng_t rng = {77};
    uint8_t data[256];
    for (int iter = 0; iter < 200; iter++) {
        uint32_t seed = (uint32_t)rng_next(&rng);
        size_t len = rng_below(&rng, sizeof data + 1);
        rng_fill(&rng, data, len);
        cr_assert_eq(crc32_gzip(seed, data, len), (uint32_t)crc32(seed, data, (uInt)len));
    }
}
