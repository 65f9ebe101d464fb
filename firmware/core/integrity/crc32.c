/* CRC-32/MPEG-2 and the gzip CRC-32, four bits at a time: a 16-entry table per CRC (64 bytes)
 * keeps the bootloader small, at two table steps per byte instead of eight shift-and-xor steps. */
#include "crc32.h"

/* crc_mpeg2_nibble[n] = CRC register after shifting the 4-bit value n (at the top) through the
 * polynomial 0x04C11DB7, MSB first. */
static const uint32_t crc_mpeg2_nibble[16] = {
    0x00000000u, 0x04C11DB7u, 0x09823B6Eu, 0x0D4326D9u, 0x130476DCu, 0x17C56B6Bu,
    0x1A864DB2u, 0x1E475005u, 0x2608EDB8u, 0x22C9F00Fu, 0x2F8AD6D6u, 0x2B4BCB61u,
    0x350C9B64u, 0x31CD86D3u, 0x3C8EA00Au, 0x384FBDBDu,
};

/* crc_gzip_nibble[n] = the reflected polynomial 0xEDB88320 applied to the 4-bit value n (at the
 * bottom), LSB first. */
static const uint32_t crc_gzip_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t crc32_mpeg2(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len--) {
        crc ^= (uint32_t)*p++ << 24;
        crc = (crc << 4) ^ crc_mpeg2_nibble[crc >> 28];
        crc = (crc << 4) ^ crc_mpeg2_nibble[crc >> 28];
    }
    return crc;
}

uint32_t crc32_gzip(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ crc_gzip_nibble[crc & 15u];
        crc = (crc >> 4) ^ crc_gzip_nibble[crc & 15u];
    }
    return ~crc;
}
