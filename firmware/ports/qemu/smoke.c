/* QEMU smoke program: proves the cross toolchain, start-up, .data/.bss set-up, the libgcc
 * division gap and semihosting all work. Prints a line, checks a few divisions whose results the
 * compiler cannot fold, and exits with code 3 on success (a distinctive non-zero code proves
 * the exit code really reaches the host), or 10+N on the first failing check N. */
#include <stdint.h>
#include <string.h>

#include "semihost.h"

static volatile uint32_t operands[] = {1000000007u, 97u, 0xFFFFFFFFu, 3u};
static volatile int32_t soperands[] = {-1000, 7};
static uint32_t zeroed[16];
static int initialised = 42;

int lx106_main(void);

int lx106_main(void)
{
    static const char hello[] = "otasim lx106 smoke: hello from the lx106 core\n";
    semihost_write(1, hello, (uint32_t)strlen(hello));
    if (initialised != 42)
        return 10;
    for (unsigned i = 0; i < 16; i++)
        if (zeroed[i] != 0)
            return 11;
    if (operands[0] / operands[1] != 10309278u)
        return 12;
    if (operands[0] % operands[1] != 41u)
        return 13;
    if (operands[2] / operands[3] != 0x55555555u)
        return 14;
    if (soperands[0] / soperands[1] != -142)
        return 15;
    if (soperands[0] % soperands[1] != -6)
        return 16;
    static const char ok[] = "otasim lx106 smoke: ok\n";
    semihost_write(1, ok, (uint32_t)strlen(ok));
    return 3;
}
