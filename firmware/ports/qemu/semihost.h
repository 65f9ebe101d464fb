/* Xtensa semihosting under qemu-system-xtensa -semihosting: `simcall` with a2 = call number,
 * a3.. = arguments, result in a2. The call numbers are QEMU's (target/xtensa/xtensa-semi.c). */
#ifndef OTASIM_QEMU_SEMIHOST_H
#define OTASIM_QEMU_SEMIHOST_H

#include <stdint.h>

enum {
    SEMI_EXIT = 1,
    SEMI_READ = 3,
    SEMI_WRITE = 4,
    SEMI_OPEN = 5,
    SEMI_CLOSE = 6,
    SEMI_LSEEK = 19,
};

static inline int32_t semihost_call(int32_t nr, int32_t a, int32_t b, int32_t c)
{
    register int32_t a2 __asm__("a2") = nr;
    register int32_t a3 __asm__("a3") = a;
    register int32_t a4 __asm__("a4") = b;
    register int32_t a5 __asm__("a5") = c;
    __asm__ volatile("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
    return a2;
}

static inline int32_t semihost_write(int fd, const void *buf, uint32_t len)
{
    return semihost_call(SEMI_WRITE, fd, (int32_t)(uintptr_t)buf, (int32_t)len);
}

static inline int32_t semihost_read(int fd, void *buf, uint32_t len)
{
    return semihost_call(SEMI_READ, fd, (int32_t)(uintptr_t)buf, (int32_t)len);
}

__attribute__((noreturn)) static inline void semihost_exit(int code)
{
    semihost_call(SEMI_EXIT, code, 0, 0);
    for (;;) {
    }
}

#endif
