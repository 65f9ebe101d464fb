/* Little-endian loads and stores on byte arrays. Every on-flash and on-RTC format of the OTA
 * stack is little-endian; these keep the code independent of the host's byte order and of
 * alignment (the lx106 core faults on unaligned 32-bit loads). */
#ifndef OTASIM_BYTEORDER_H
#define OTASIM_BYTEORDER_H

#include <stdint.h>

static inline uint32_t le32_load(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void le32_store(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif
