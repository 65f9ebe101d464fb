/* __muldi3, which Debian's lx106 libgcc.a lacks (see mul64.h). */
#include "mul64.h"

int64_t __muldi3(int64_t a, int64_t b);

int64_t __muldi3(int64_t a, int64_t b)
{
    return (int64_t)lx106_mul64((uint64_t)a, (uint64_t)b);
}
