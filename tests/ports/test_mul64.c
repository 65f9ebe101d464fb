/* The lx106 __muldi3 replacement (firmware/ports/lx106/mul64.h) against the host's multiply. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "mul64.h"

static uint64_t s = 0x243F6A8885A308D3ull;
static uint64_t rnd64(void)
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

static uint64_t pick(void)
{
    static const uint64_t edges[] = {0,
                                     1,
                                     2,
                                     0xFFFFu,
                                     0x10000u,
                                     0xFFFFFFFFu,
                                     0x100000000ull,
                                     0x7FFFFFFFFFFFFFFFull,
                                     0x8000000000000000ull,
                                     UINT64_MAX};
    uint64_t r = rnd64();
    switch (r % 4) {
    case 0:
        return edges[(r >> 8) % 10];
    case 1:
        return rnd64() & 0xFFFFFFFFu;
    default:
        return rnd64() >> (r >> 8) % 64;
    }
}

Test(mul64, matches_host_multiplication)
{
    for (int i = 0; i < 200000; i++) {
        uint64_t a = pick(), b = pick();
        cr_assert_eq(lx106_mul64(a, b), a * b, "%llx * %llx", (unsigned long long)a,
                     (unsigned long long)b);
        uint32_t x = (uint32_t)a, y = (uint32_t)b;
        cr_assert_eq(lx106_mul32x32(x, y), (uint64_t)x * y);
    }
    cr_assert_eq((int64_t)lx106_mul64((uint64_t)-3, 7), -21);
}
