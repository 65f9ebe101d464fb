/* The lx106 libgcc gap (firmware/ports/lx106/divmod.h) against the host's own division. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "divmod.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

/* Mix full-range values with small and edge values: plain random pairs would rarely divide
 * by something small. */
static uint32_t pick(void)
{
    static const uint32_t edges[] = {0, 1, 2, 3, 7, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu};
    switch (rnd() % 4) {
    case 0:
        return edges[rnd() % 8];
    case 1:
        return rnd() % 1000;
    default:
        return rnd() >> (rnd() % 32);
    }
}

Test(divmod, unsigned_matches_host)
{
    for (int i = 0; i < 200000; i++) {
        uint32_t a = pick(), b = pick();
        if (b == 0)
            continue;
        uint32_t r, q = lx106_udivmod(a, b, &r);
        cr_assert_eq(q, a / b, "%u / %u", a, b);
        cr_assert_eq(r, a % b, "%u %% %u", a, b);
    }
}

Test(divmod, signed_matches_host)
{
    for (int i = 0; i < 200000; i++) {
        int32_t a = (int32_t)pick(), b = (int32_t)pick();
        if (b == 0 || (a == INT32_MIN && b == -1))
            continue; /* undefined in C */
        int32_t r, q = lx106_divmod(a, b, &r);
        cr_assert_eq(q, a / b, "%d / %d", a, b);
        cr_assert_eq(r, a % b, "%d %% %d", a, b);
    }
}

Test(divmod, division_by_zero_is_defined)
{
    uint32_t r;
    cr_assert_eq(lx106_udivmod(1234, 0, &r), 0xFFFFFFFFu);
    cr_assert_eq(r, 1234u);
    int32_t sr;
    cr_assert_eq(lx106_divmod(-5, 0, &sr), -1);
    cr_assert_eq(sr, -5);
}
