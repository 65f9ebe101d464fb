/* ESP8266 firmware images (spec §3.5, §7.3): parse and validate the 0xE9 image format, the
 * eboot-at-0 + app-at-0x1000 pair that elf2bin writes, the __crc_len/__crc_val words, the
 * otasim app descriptor, and the sketch size exactly as ESP.getSketchSize() computes it.
 *
 * Everything reads through a reader_t (reader.h), so the same parser runs on a file in memory
 * (host tools, tests, fuzzing) and on flash (Updater, bootloader). Parsing is bounded: every
 * read is checked against `limit` (the bytes available from `base`) and against the reader,
 * and a corrupt image yields an error, never an out-of-bounds access.
 *
 * Image layout (all integers little-endian):
 *   header  (8)  : 0xE9, segment count, SPI mode, size<<4 | freq, entry point (u32)
 *   segment (8+n): load address (u32), length n (u32), n data bytes; repeated
 *   padding      : 0x00 until (offset + 1) % 16 == 0
 *   checksum (1) : 0xEF XOR every segment data byte (headers excluded)
 * so an image's length is (end of last segment + 16) & ~15. */
#ifndef OTASIM_IMAGE_H
#define OTASIM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app_desc.h"
#include "reader.h"

#define IMAGE_MAGIC 0xE9u
#define IMAGE_GZIP_MAGIC0 0x1Fu /* a gzip stream starts 1F 8B */
#define IMAGE_GZIP_MAGIC1 0x8Bu
#define IMAGE_CHECKSUM_SEED 0xEFu
#define IMAGE_HEADER_LEN 8u
#define IMAGE_SEGMENT_HEADER_LEN 8u
#define IMAGE_MAX_SEGMENTS 16u /* the ROM loader's limit; elf2bin writes 2 (eboot) and 5 (app) */

/* The image pair (one .bin as elf2bin writes it and as it sits at flash 0). */
#define IMAGE_APP_OFFSET 0x1000u     /* APP_START_OFFSET: the app follows the 4 KiB eboot */
#define IMAGE_IROM_ADDR 0x40201010u  /* where .irom0.text (the app's first segment) is linked */
#define IMAGE_CRC_LEN_OFFSET 0x1010u /* __crc_len: file length, from the start of the pair */
#define IMAGE_CRC_VAL_OFFSET 0x1014u /* __crc_val: CRC-32/MPEG-2 of the file, words zeroed */
#define IMAGE_APP_DESC_PAIR_OFFSET (IMAGE_APP_OFFSET + APP_DESC_OFFSET) /* 0x1018 */

/* SPI flash modes (header byte 2) as ESP.getFlashChipMode() reports them. */
#define IMAGE_FLASH_MODE_QIO 0u
#define IMAGE_FLASH_MODE_QOUT 1u
#define IMAGE_FLASH_MODE_DIO 2u
#define IMAGE_FLASH_MODE_DOUT 3u
#define IMAGE_FLASH_MODE_UNKNOWN 0xFFu

typedef enum {
    IMAGE_OK = 0,
    IMAGE_ERR_READ = 1,      /* the reader failed inside the bounds */
    IMAGE_ERR_TRUNCATED = 2, /* header, a segment or the checksum lies past `limit` */
    IMAGE_ERR_MAGIC = 3,     /* byte 0 is not 0xE9 */
    IMAGE_ERR_SEGMENTS = 4,  /* 0 or more than IMAGE_MAX_SEGMENTS segments */
    IMAGE_ERR_CHECKSUM = 5,  /* stored checksum byte != computed */
    IMAGE_ERR_BOOT_SIZE = 6, /* pair: the eboot image does not fit in its 4 KiB sector */
    IMAGE_ERR_CRC = 7,       /* pair: __crc_len/__crc_val present but the file CRC differs */
} image_status_t;

/* A short English description of a status ("checksum mismatch", ...). */
const char *image_status_str(image_status_t st);

typedef struct image_segment {
    uint32_t load_addr;
    uint32_t length;
    uint32_t data_offset; /* from the start of the image */
} image_segment_t;

typedef struct image_info {
    uint8_t magic;
    uint8_t segment_count;
    uint8_t flash_mode; /* header byte 2, raw */
    uint8_t size_freq;  /* header byte 3, raw: size code << 4 | frequency code */
    uint32_t entry;
    image_segment_t segments[IMAGE_MAX_SEGMENTS];
    uint32_t data_end;     /* offset just past the last segment's data */
    uint32_t length;       /* whole image: (data_end + 16) & ~15, padding and checksum included */
    bool checksum_checked; /* IMAGE_PARSE_CHECKSUM was given; the two fields below are valid */
    uint8_t checksum;      /* stored (last byte of the image) */
    uint8_t checksum_calc; /* 0xEF XOR all segment data */
    bool padding_zero;     /* the padding before the checksum is all 0x00 (as elf2bin writes) */
} image_info_t;

/* Flags for the parse functions. */
#define IMAGE_PARSE_HEADERS 0u  /* walk the headers only: no data read */
#define IMAGE_PARSE_CHECKSUM 1u /* also read all data: checksum (and the pair's file CRC) */

/* Parse one image at `base` whose bytes may extend at most `limit` bytes. */
image_status_t image_parse(const reader_t *r, uint32_t base, uint32_t limit, unsigned flags,
                           image_info_t *out);
image_status_t image_parse_buffer(const uint8_t *buf, size_t len, unsigned flags,
                                  image_info_t *out);

typedef struct image_pair_info {
    image_info_t boot; /* eboot at base */
    image_info_t app;  /* app at base + 0x1000; its offsets are relative to the app image */
    uint32_t length;   /* 0x1000 + app.length: the .bin length */
    /* __crc_len/__crc_val: present when the app's first segment is .irom0.text at
     * IMAGE_IROM_ADDR with at least 8 bytes and the length word is neither 0 nor all ones. */
    bool has_crc;
    uint32_t crc_len;
    uint32_t crc_val;
    bool crc_checked; /* has_crc and IMAGE_PARSE_CHECKSUM */
    uint32_t crc_calc;
    /* The app's checksum matches only with the CRC words read as zero: elf2bin computes it
     * before add_crc() stores them (and never fixes it). Both forms are accepted. */
    bool app_checksum_without_crc;
    /* The app descriptor at pair offset 0x1018, inside .irom0.text. */
    bool has_desc;
    app_desc_t desc;
} image_pair_info_t;

/* Parse the eboot + app pair at `base`. Checks both images (and with IMAGE_PARSE_CHECKSUM their
 * checksums and the whole-file CRC when the CRC words are present). The flash-mode byte the
 * Updater may patch (byte 2) is covered by the file CRC: read the stage through a reader that
 * restores it, or expect IMAGE_ERR_CRC after a patched update (spec §2.5, #7307). */
image_status_t image_parse_pair(const reader_t *r, uint32_t base, uint32_t limit, unsigned flags,
                                image_pair_info_t *out);
image_status_t image_parse_pair_buffer(const uint8_t *buf, size_t len, unsigned flags,
                                       image_pair_info_t *out);

/* The file CRC elf2bin stores in __crc_val: CRC-32/MPEG-2 over [base, base + len) with the
 * words at pair offsets 0x1010 and 0x1014 read as zero (ESP.checkFlashCRC()). */
bool image_file_crc(const reader_t *r, uint32_t base, uint32_t len, uint32_t *crc);

/* An app descriptor from its 64 on-flash bytes; true iff the magic matches and both strings
 * are NUL-terminated inside their fields. */
bool app_desc_decode(const uint8_t raw[sizeof(app_desc_t)], app_desc_t *out);
void app_desc_encode(const app_desc_t *desc, uint8_t raw[sizeof(app_desc_t)]);

/* The bootloader image (at flash 0) carries an app descriptor too, so the native target, the
 * Updater and `otasim image info` can tell which bootloader a device has: name "eboot" (the
 * eboot-compatible mode) or "safeboot" (the power-fail-safe mode). It is wherever the linker put
 * it inside the image's segment data, 4-byte aligned: found by scanning [base, base + limit)
 * (limit at most 4096) for the first offset whose 64 bytes decode as a descriptor. */
#define BOOT_DESC_NAME_EBOOT "eboot"
#define BOOT_DESC_NAME_SAFE "safeboot"
/* Safe mode built without the inflater (BOOT_SAFE_GZIP=0: the ESP8266's 4 KiB sector has room
 * for the journal or the inflater, not both): raw images only; the Updater inflates gzip
 * uploads into the stage itself (updater.h, inflate_to_stage). */
#define BOOT_DESC_NAME_SAFE_RAW "safeboot-raw"
bool image_find_boot_desc(const reader_t *r, uint32_t base, uint32_t limit, app_desc_t *out);

/* ESP.getSketchSize(): walk the app header at base + 0x1000 (all `segment count` segments,
 * headers only) and return (end + 16) & ~15 as an offset from base, eboot included.
 * False if a header cannot be read or the walk passes `limit` (a corrupt header; the original
 * would return a wrapped-around number). */
bool image_sketch_size(const reader_t *r, uint32_t base, uint32_t limit, uint32_t *size);

/* Header byte helpers (Esp.cpp: magicFlashChipSize/Speed/Mode). */
uint32_t image_flash_size_from_code(uint8_t code); /* code = byte3 >> 4; unknown -> 0 */
int image_flash_size_code(uint32_t bytes);         /* inverse; -1 if not a valid size */
uint32_t image_flash_freq_from_code(uint8_t code); /* code = byte3 & 15, in Hz; unknown -> 0 */
uint8_t image_flash_mode_from_byte(uint8_t byte);  /* > DOUT -> IMAGE_FLASH_MODE_UNKNOWN */

/* eboot's loader rule (§3.5): segments it copies into RAM/registers; the rest (flash-mapped
 * .irom0.text and anything else) is skipped. */
bool image_segment_loaded_by_eboot(uint32_t load_addr);

#endif
