/* The libgcc routines Debian's lx106 libgcc.a lacks (see divmod.h); __modsi3 is there. */
#include "divmod.h"

uint32_t __udivsi3(uint32_t a, uint32_t b);
uint32_t __umodsi3(uint32_t a, uint32_t b);
int32_t __divsi3(int32_t a, int32_t b);

uint32_t __udivsi3(uint32_t a, uint32_t b)
{
    uint32_t r;
    return lx106_udivmod(a, b, &r);
}

uint32_t __umodsi3(uint32_t a, uint32_t b)
{
    uint32_t r;
    lx106_udivmod(a, b, &r);
    return r;
}

int32_t __divsi3(int32_t a, int32_t b)
{
    int32_t r;
    return lx106_divmod(a, b, &r);
}
