/* The three C library routines the bootloader uses, as byte loops: picolibc's are faster but
 * bigger, and the bootloader has 4 KiB. Built with -fno-tree-loop-distribute-patterns so
 * the compiler does not turn the loops back into calls of themselves. */
#include <stddef.h>
#include <string.h>

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}
