/* The two CRC-32s of the OTA stack. */
#ifndef OTASIM_CRC32_H
#define OTASIM_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32/MPEG-2: poly 0x04C11DB7, MSB-first, no final XOR. Start with CRC32_MPEG2_INIT; used by
 * the eboot command block and elf2bin's __crc_val. crc32_mpeg2(INIT, "123456789", 9) ==
 * 0x0376E6E7. Chain calls by passing the previous result. */
#define CRC32_MPEG2_INIT 0xFFFFFFFFu
uint32_t crc32_mpeg2(uint32_t crc, const void *data, size_t len);

/* The gzip/zlib CRC-32 (reflected, poly 0xEDB88320, init and final XOR 0xFFFFFFFF), chained
 * exactly like zlib's crc32(): start with 0. crc32_gzip(0, "123456789", 9) == 0xCBF43926. */
uint32_t crc32_gzip(uint32_t crc, const void *data, size_t len);

#endif
