/* Shared helpers of the imagekit sources (not part of the API). */
#ifndef OTASIM_IMAGEKIT_INTERNAL_H
#define OTASIM_IMAGEKIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* snprintf into err (if any); always returns -1 so callers can `return ik_fail(...)`. */
int ik_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline void ik_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t ik_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
