/* CRC-32/MPEG-2 bit by bit, and the gzip CRC-32 four bits at a time: a 16-entry table
 * (64 bytes) keeps the bootloader small, at two table steps per byte instead of eight
 * shift-and-xor steps (the gzip CRC runs over every byte the bootloader inflates, copies and
 * verifies). */
#include "crc32.h"

/* crc_gzip_nibble[n] = the reflected polynomial 0xEDB88320 applied to the 4-bit value n (at the
 * bottom), LSB first. */
static const uint32_t crc_gzip_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

/* Bit by bit, without a table: the MPEG-2 CRC only covers the 124-byte boot command and the
 * bootloader's one check of a staged raw image, and 64 bytes of table are 1.5 % of the
 * bootloader's 4 KiB. */
uint32_t crc32_mpeg2(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len--) {
        crc ^= (uint32_t)*p++ << 24;
        for (unsigned i = 0; i < 8; i++)
            crc = (crc << 1) ^ ((crc >> 31) ? 0x04C11DB7u : 0u);
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
