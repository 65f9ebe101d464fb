/* 64-bit multiplication from 32-bit multiplies: Debian's lx106 libgcc.a lacks __muldi3 as
 * well (RSA's Montgomery multiplication needs it); libgcc_mul.c exports it under that name.
 * Kept in a header so the host tests can compare it with the host's own multiplication.
 * Every partial product is 16 x 16 bits so nothing here needs a 64-bit multiply itself. */
#ifndef OTASIM_LX106_MUL64_H
#define OTASIM_LX106_MUL64_H

#include <stdint.h>

/* The full 64-bit product of two 32-bit numbers. */
static inline uint64_t lx106_mul32x32(uint32_t a, uint32_t b)
{
    uint32_t al = a & 0xFFFFu, ah = a >> 16, bl = b & 0xFFFFu, bh = b >> 16;
    uint32_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    /* Middle column: the high half of ll plus the low halves of the cross terms. */
    uint32_t mid = (ll >> 16) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
    uint32_t lo = (ll & 0xFFFFu) | (mid << 16);
    uint32_t hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
    return (uint64_t)hi << 32 | lo;
}

/* a * b modulo 2^64 (what __muldi3 returns, signed or not). */
static inline uint64_t lx106_mul64(uint64_t a, uint64_t b)
{
    uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32);
    uint32_t bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
    uint64_t p = lx106_mul32x32(al, bl);
    uint32_t cross = al * bh + ah * bl; /* only the low 32 bits reach the result */
    return p + ((uint64_t)cross << 32);
}

#endif
