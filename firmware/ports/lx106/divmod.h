/* 32-bit division for cores without a divider. Debian's lx106 libgcc.a lacks __udivsi3,
 * __umodsi3 and __divsi3; libgcc_div.c exports these under those names. Kept in a header so
 * the host tests can compare them with the host's own division. Division by zero returns
 * 0xFFFFFFFF (quotient) and the dividend (remainder), like RISC-V, instead of trapping. */
#ifndef OTASIM_LX106_DIVMOD_H
#define OTASIM_LX106_DIVMOD_H

#include <stdint.h>

static inline uint32_t lx106_udivmod(uint32_t num, uint32_t den, uint32_t *rem)
{
    if (den == 0) {
        *rem = num;
        return 0xFFFFFFFFu;
    }
    uint32_t q = 0, r = 0;
    for (int i = 31; i >= 0; i--) {
        r = (r << 1) | ((num >> i) & 1u);
        if (r >= den) {
            r -= den;
            q |= 1u << i;
        }
    }
    *rem = r;
    return q;
}

static inline int32_t lx106_divmod(int32_t num, int32_t den, int32_t *rem)
{
    uint32_t un = num < 0 ? 0u - (uint32_t)num : (uint32_t)num;
    uint32_t ud = den < 0 ? 0u - (uint32_t)den : (uint32_t)den;
    uint32_t ur;
    uint32_t uq = lx106_udivmod(un, ud, &ur);
    if (den == 0) {
        *rem = num;
        return -1;
    }
    /* C truncates toward zero: quotient negative iff signs differ, remainder takes num's sign. */
    *rem = num < 0 ? (int32_t)(0u - ur) : (int32_t)ur;
    return (num < 0) != (den < 0) ? (int32_t)(0u - uq) : (int32_t)uq;
}

#endif
